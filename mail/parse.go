package mail

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"os"
	"strings"
	"time"
)

// Parsed is a stored or received message read back, headers and bodies decoded.
type Parsed struct {
	From        string // bare sender address
	To          string // bare recipient address
	ToName      string
	Subject     string
	Tag         string
	MessageID   string
	Date        time.Time
	Text        string // plain-text body, line ends as "\n"
	HTML        string // HTML body, line ends as "\n"
	Attachments []Attachment
}

// ReadMessage reads and decodes the .eml file at path, such as one listed by Outbox.List.
func ReadMessage(path string) (Parsed, error) {
	f, err := os.Open(path)
	if err != nil {
		return Parsed{}, fmt.Errorf("mail: read message: %w", err)
	}
	defer f.Close()
	p, err := parseMessage(f)
	if err != nil {
		return Parsed{}, fmt.Errorf("mail: read message %s: %w", path, err)
	}
	return p, nil
}

// headerGetter is what net/mail and mime/multipart headers have in common.
type headerGetter interface {
	Get(key string) string
}

func parseMessage(r io.Reader) (Parsed, error) {
	msg, err := netmail.ReadMessage(r)
	if err != nil {
		return Parsed{}, err
	}
	var dec mime.WordDecoder
	p := Parsed{
		Tag:       msg.Header.Get(TagHeader),
		MessageID: strings.Trim(msg.Header.Get("Message-Id"), "<>"),
	}
	if p.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return Parsed{}, fmt.Errorf("subject: %w", err)
	}
	if from, err := msg.Header.AddressList("From"); err == nil && len(from) > 0 {
		p.From = from[0].Address
	}
	if to, err := msg.Header.AddressList("To"); err == nil && len(to) > 0 {
		p.To, p.ToName = to[0].Address, to[0].Name
	}
	if date, err := msg.Header.Date(); err == nil {
		p.Date = date
	}
	if err := p.readPart(msg.Header, msg.Body, &dec); err != nil {
		return Parsed{}, err
	}
	return p, nil
}

// readPart walks a MIME part, descending into multiparts and keeping the
// first text and HTML bodies and every attachment.
func (p *Parsed) readPart(h headerGetter, body io.Reader, dec *mime.WordDecoder) error {
	contentType := h.Get("Content-Type")
	if contentType == "" {
		contentType = "text/plain; charset=us-ascii"
	}
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}

	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			// Raw, because NextPart would decode quoted-printable but not base64.
			part, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", mediaType, err)
			}
			if err := p.readPart(part.Header, part, dec); err != nil {
				return err
			}
		}
	}

	var decoded io.Reader = body
	switch enc := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding"))); enc {
	case "base64":
		decoded = base64.NewDecoder(base64.StdEncoding, body) // skips line breaks
	case "quoted-printable":
		decoded = quotedprintable.NewReader(body)
	case "", "7bit", "8bit", "binary":
	default:
		return fmt.Errorf("unknown transfer encoding %q", enc)
	}
	data, err := io.ReadAll(decoded)
	if err != nil {
		return fmt.Errorf("%s body: %w", mediaType, err)
	}

	disposition, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	filename := dparams["filename"]
	if filename == "" {
		filename = params["name"]
	}
	switch {
	case disposition == "attachment" || filename != "":
		if name, err := dec.DecodeHeader(filename); err == nil {
			filename = name
		}
		delete(params, "name") // belongs to the MIME part, not to the file
		p.Attachments = append(p.Attachments, Attachment{
			Filename:    filename,
			ContentType: mime.FormatMediaType(mediaType, params),
			Data:        data,
		})
	case mediaType == "text/plain" && p.Text == "":
		p.Text = normalizeNewlines(string(data))
	case mediaType == "text/html" && p.HTML == "":
		p.HTML = normalizeNewlines(string(data))
	}
	return nil
}

func normalizeNewlines(s string) string {
	return strings.ReplaceAll(s, "\r\n", "\n")
}
