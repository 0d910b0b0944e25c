package mail

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// smtpTimeout bounds connecting and each exchange with the server, so a
// stuck relay cannot hold a request or a job forever.
const smtpTimeout = 30 * time.Second

// Transport security modes, as written in the tls= parameter of an SMTP URL.
const (
	securitySTARTTLS = "starttls"
	securityTLS      = "tls"
	securityNone     = "none"
)

// SMTP is a Sender that hands messages to an SMTP server.
type SMTP struct {
	client *gomail.Client
	from   *netmail.Address
	addr   string // host:port, for error messages
}

// smtpConfig is what an SMTP URL says.
type smtpConfig struct {
	host     string
	port     int
	security string
	username string
	password string
}

// NewSMTP returns an SMTP sender for rawURL, like smtp://user:pass@host:587?tls=starttls|tls|none, sending as from.
func NewSMTP(rawURL, from string) (*SMTP, error) {
	cfg, err := parseSMTPURL(rawURL)
	if err != nil {
		return nil, err
	}
	addr, err := parseFrom(from)
	if err != nil {
		return nil, err
	}

	opts := []gomail.Option{
		gomail.WithPort(cfg.port),
		gomail.WithTimeout(smtpTimeout),
	}
	switch cfg.security {
	case securityTLS:
		opts = append(opts, gomail.WithSSL())
	case securitySTARTTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case securityNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if cfg.username != "" {
		// PLAIN is what Postfix/Dovecot and most hosting relays offer; go-mail
		// refuses it on an unencrypted connection except to localhost.
		opts = append(opts,
			gomail.WithSMTPAuth(gomail.SMTPAuthPlain),
			gomail.WithUsername(cfg.username),
			gomail.WithPassword(cfg.password))
	}
	client, err := gomail.NewClient(cfg.host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail: SMTP client for %s: %w", cfg.host, err)
	}
	return &SMTP{
		client: client,
		from:   addr,
		addr:   fmt.Sprintf("%s:%d", cfg.host, cfg.port),
	}, nil
}

// Send hands m to the server over a new connection; see Sender for the errors it returns.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mail: smtp: %w", err)
	}
	if err := m.Validate(); err != nil {
		return err
	}
	msg, err := build(m, s.from, time.Now())
	if err != nil {
		return err
	}
	if err := s.client.DialAndSendWithContext(ctx, msg); err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return fmt.Errorf("mail: send to %s via %s: %w: %w", m.To, s.addr, ctxErr, err)
		}
		return unavailable(fmt.Sprintf("mail: send to %s via %s", m.To, s.addr), err)
	}
	return nil
}

// parseSMTPURL reads smtp://user:pass@host:port?tls=starttls|tls|none; its
// errors never repeat the URL, which may hold a password.
func parseSMTPURL(rawURL string) (smtpConfig, error) {
	const example = "smtp://user:password@host:587?tls=starttls"
	if strings.TrimSpace(rawURL) == "" {
		return smtpConfig{}, errors.New("mail: SMTP URL is empty")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error quotes the URL, password included
		}
		return smtpConfig{}, fmt.Errorf("mail: SMTP URL is malformed (want e.g. %s): %w", example, err)
	}

	var cfg smtpConfig
	switch u.Scheme {
	case "smtp":
		cfg.security = securitySTARTTLS
	case "smtps":
		cfg.security = securityTLS
	default:
		return smtpConfig{}, fmt.Errorf("mail: SMTP URL scheme %q is not supported, use smtp:// or smtps://", u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" {
		return smtpConfig{}, fmt.Errorf("mail: SMTP URL has no host (want e.g. %s)", example)
	}
	if cfg.host = u.Hostname(); cfg.host == "" {
		return smtpConfig{}, fmt.Errorf("mail: SMTP URL has no host (want e.g. %s)", example)
	}
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return smtpConfig{}, errors.New("mail: SMTP URL must not have a path or fragment")
	}

	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return smtpConfig{}, fmt.Errorf("mail: SMTP URL query is malformed: %w", err)
	}
	for key, values := range query {
		if key != "tls" {
			return smtpConfig{}, fmt.Errorf("mail: SMTP URL parameter %q is not supported, only tls is", key)
		}
		if len(values) != 1 {
			return smtpConfig{}, errors.New("mail: SMTP URL parameter tls is given more than once")
		}
	}
	if query.Has("tls") {
		mode := strings.ToLower(query.Get("tls"))
		switch {
		case mode != securitySTARTTLS && mode != securityTLS && mode != securityNone:
			return smtpConfig{}, fmt.Errorf("mail: SMTP URL tls=%q is not one of starttls, tls, none", query.Get("tls"))
		case u.Scheme == "smtps" && mode != securityTLS:
			return smtpConfig{}, fmt.Errorf("mail: smtps:// implies tls=tls, not tls=%s", mode)
		}
		cfg.security = mode
	}

	switch port := u.Port(); {
	case port != "":
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return smtpConfig{}, fmt.Errorf("mail: SMTP URL port %q is not a number from 1 to 65535", port)
		}
		cfg.port = n
	case cfg.security == securityTLS:
		cfg.port = gomail.DefaultPortSSL
	case cfg.security == securitySTARTTLS:
		cfg.port = gomail.DefaultPortTLS
	default:
		cfg.port = gomail.DefaultPort
	}

	if u.User != nil {
		cfg.username = u.User.Username()
		cfg.password, _ = u.User.Password()
	}
	switch {
	case cfg.username == "" && cfg.password != "":
		return smtpConfig{}, errors.New("mail: SMTP URL has a password but no user name")
	case cfg.username != "" && cfg.password == "":
		return smtpConfig{}, fmt.Errorf("mail: SMTP URL has user name %q but no password", cfg.username)
	case cfg.username != "" && cfg.security == securityNone && !isLoopback(cfg.host):
		return smtpConfig{}, fmt.Errorf("mail: SMTP URL would send the password unencrypted to %s; use tls=starttls or tls=tls", cfg.host)
	}
	return cfg, nil
}

// isLoopback matches the hosts go-mail accepts PLAIN authentication with in clear.
func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}
