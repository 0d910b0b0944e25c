package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"archipel/training"
)

// fresh sets the validators of a public answer computed from st and from
// vary (what else it depends on: the language, for pages and the feed),
// and reports whether the answer has been sent: a 304 when the client's
// copy is still good, or the server's own copy of the page (public_cache.go);
// the caller then does nothing more. The answer may be stored but must
// be revalidated every time ("no-cache"): a withdrawn entry disappears at
// once from every copy.
func (h *Handler) publicFresh(c *gin.Context, st training.Stamp, vary ...string) bool {
	parts := append([]string{st.Key, c.Request.URL.Path, c.Request.URL.RawQuery}, vary...)
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
	hd := c.Writer.Header()
	hd.Set("ETag", etag)
	hd.Set("Cache-Control", "no-cache")
	// A Last-Modified in the current second would hide a change made later
	// in that same second from If-Modified-Since: it is sent only once the
	// second is over (the ETag covers the rest).
	lm := st.Modified.UTC().Truncate(time.Second)
	hasLM := !st.Modified.IsZero() && lm.Before(h.Now().UTC().Truncate(time.Second))
	if hasLM {
		hd.Set("Last-Modified", lm.Format(http.TimeFormat))
	}
	if !clientCopyFresh(c, etag, lm, hasLM) {
		// The client's copy, if any, is stale: the server's may not be.
		return h.servePublicCopy(c, etag)
	}
	c.Status(http.StatusNotModified)
	c.Writer.WriteHeaderNow()
	return true
}

// clientCopyFresh reports whether the request's validators match the
// answer's: its ETag, else its Last-Modified when it has one.
func clientCopyFresh(c *gin.Context, etag string, lm time.Time, hasLM bool) bool {
	if inm := c.GetHeader("If-None-Match"); inm != "" {
		// If-None-Match wins over If-Modified-Since (RFC 9110, 13.2.2).
		return publicETagMatches(inm, etag)
	}
	ims := c.GetHeader("If-Modified-Since")
	if ims == "" || !hasLM {
		return false
	}
	t, err := http.ParseTime(ims)
	return err == nil && !lm.After(t)
}

// publicETagMatches is the weak comparison of If-None-Match.
func publicETagMatches(header, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimSpace(v)
		if v == "*" || strings.TrimPrefix(v, "W/") == want {
			return true
		}
	}
	return false
}

// stamp reads the showcase's stamp; false when the request already failed.
func (h *Handler) publicStamp(c *gin.Context, withCases bool) (training.Stamp, bool) {
	st, err := h.Showcase.Stamp(c.Request.Context(), withCases)
	if err != nil {
		h.fail(c, err)
		return st, false
	}
	return st, true
}

// renderPublic writes a public page: like render, but storable and
// revalidated (see fresh) rather than "no-store".
func (h *Handler) renderPublic(c *gin.Context, name string, p Page) {
	var buf bytes.Buffer
	if err := h.Templates.Render(&buf, p.Lang, name, p); err != nil {
		h.Logger.Error("render page", slog.String("page", name), slog.Any("err", err))
		c.Writer.Header().Del("ETag")
		c.Writer.Header().Del("Last-Modified")
		c.Header("Cache-Control", "no-store")
		c.Status(http.StatusInternalServerError)
		_, _ = c.Writer.WriteString(h.Templates.MustT(p.Lang, "error.internal"))
		return
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(http.StatusOK)
	_, _ = c.Writer.Write(buf.Bytes())
}

// publicJSON answers a value as JSON; encoding/json escapes <, > and & so
// that no text can be read as markup.
func (h *Handler) publicJSON(c *gin.Context, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Access-Control-Allow-Origin", "*") // open data, read-only, no credentials
	c.Data(http.StatusOK, "application/json; charset=utf-8", b)
}

// publicBOM starts every CSV export, so that spreadsheets read UTF-8.
const publicBOM = "\ufeff"

// publicCSV answers rows as a CSV download named filename.
func (h *Handler) publicCSV(c *gin.Context, filename string, header []string, rows [][]string) {
	var buf bytes.Buffer
	buf.WriteString(publicBOM)
	w := csv.NewWriter(&buf)
	_ = w.Write(header)
	for _, r := range rows {
		for i := range r {
			r[i] = publicCSVCell(r[i])
		}
		_ = w.Write(r)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="`+filename+`"`)
	c.Header("Access-Control-Allow-Origin", "*")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// publicCSVCell keeps a spreadsheet from running a text as a formula (OWASP's
// "CSV injection"): a cell starting with = + - @ or a tab gets a leading
// apostrophe.
func publicCSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
