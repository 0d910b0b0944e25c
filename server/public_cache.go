package server

import (
	"bytes"
	"net/http"

	"github.com/gin-gonic/gin"
	lru "github.com/hashicorp/golang-lru/v2"
)

// Public pages (showcase, entries, feed, directory, figures, open data)
// change only when the showcase, a host or a case does, which their ETag
// already says (publicFresh). The server keeps the latest answers under
// that ETag, so that a page asked again before any change costs one read of
// the stamp rather than its queries and its template. Every replica keeps
// its own copies; a change anywhere changes the stamp they are keyed by.

// publicCacheEntries bounds the copies kept (at most publicCacheMaxBody
// each: about 2 MB for typical pages, 16 MB at the very worst).
const (
	publicCacheEntries = 64
	publicCacheMaxBody = 256 << 10
)

// publicCacheKey is the context key where publicFresh leaves the key under
// which the answer being made may be kept.
const publicCacheKey = "archipel.publicCacheKey"

// publicCopy is a kept answer: its body and the headers its handler set.
type publicCopy struct {
	body    []byte
	headers http.Header
}

// publicCopyHeaders are the headers a public handler sets itself; the
// others (security headers, validators) are set again on every answer.
var publicCopyHeaders = []string{"Content-Type", "Content-Disposition", "Access-Control-Allow-Origin", "Content-Language"}

func newPublicPages() *lru.Cache[string, publicCopy] {
	c, err := lru.New[string, publicCopy](publicCacheEntries)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return c
}

// servePublicCopy answers from a kept copy when there is one for etag, and
// otherwise marks the answer to come as one to keep. Only anonymous GETs
// are kept: a signed-in member of staff sees their own navigation.
func (h *Handler) servePublicCopy(c *gin.Context, etag string) bool {
	if c.Request.Method != http.MethodGet || userOf(c) != nil {
		return false
	}
	if p, ok := h.publicPages.Get(etag); ok {
		if w, ok := c.Writer.(*copyingWriter); ok {
			w.off = true // already kept
		}
		hd := c.Writer.Header()
		for k, v := range p.headers {
			hd[k] = v
		}
		c.Status(http.StatusOK)
		_, _ = c.Writer.Write(p.body)
		return true
	}
	c.Set(publicCacheKey, etag)
	return false
}

// keepPublic is the public routes' middleware: it copies what a handler
// writes and keeps a complete 200 that publicFresh marked, unless it sets a
// cookie or is too large.
func (h *Handler) keepPublic(c *gin.Context) {
	if c.Request.Method != http.MethodGet {
		c.Next()
		return
	}
	w := &copyingWriter{ResponseWriter: c.Writer}
	c.Writer = w
	c.Next()
	key := c.GetString(publicCacheKey)
	if key == "" || w.off || w.Status() != http.StatusOK || w.tooLarge || len(c.Errors) > 0 || w.Header().Get("Set-Cookie") != "" {
		return
	}
	headers := http.Header{}
	for _, k := range publicCopyHeaders {
		if v := w.Header().Values(k); len(v) > 0 {
			headers[k] = append([]string(nil), v...)
		}
	}
	h.publicPages.Add(key, publicCopy{body: bytes.Clone(w.buf.Bytes()), headers: headers})
}

// copyingWriter copies the body written through it, up to
// publicCacheMaxBody.
type copyingWriter struct {
	gin.ResponseWriter
	buf      bytes.Buffer
	tooLarge bool
	off      bool // the answer is a kept copy
}

func (w *copyingWriter) Write(b []byte) (int, error) {
	w.copy(b)
	return w.ResponseWriter.Write(b)
}

func (w *copyingWriter) WriteString(s string) (int, error) {
	w.copy([]byte(s))
	return w.ResponseWriter.WriteString(s)
}

func (w *copyingWriter) copy(b []byte) {
	if w.tooLarge || w.off {
		return
	}
	if w.buf.Len()+len(b) > publicCacheMaxBody {
		w.tooLarge = true
		w.buf = bytes.Buffer{}
		return
	}
	w.buf.Write(b)
}
