package nextcloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/studio-b12/gowebdav"
)

// FileInfo describes a file or folder in a user's files.
type FileInfo struct {
	// Path is the cleaned path below the user's home, e.g. "/Projects/hello.txt".
	Path string
	// Name is the last element of Path.
	Name string
	// IsDir is true for folders (and group folders, and shared folders).
	IsDir bool
	// Size is the file size in bytes; 0 for folders.
	Size int64
	// ETag changes whenever the content changes; given without quotes.
	ETag string
	// ModTime is the last modification; zero when the server did not say.
	ModTime time.Time
	// ContentType is the MIME type of a file, empty for folders.
	ContentType string
}

// WebDAV goes through /remote.php/dav/files/{user}/. Reads (PROPFIND, GET)
// use gowebdav; MKCOL, PUT and DELETE are sent directly because gowebdav
// v0.13.0 gives them other meanings: its Mkdir reports an existing folder
// (405) as success, its Write creates missing parent folders on a 404 or 409,
// and its RemoveAll reports a missing file (404) as success and any network
// error as a 400. All requests of a call share one transport bound to the
// call's context, which also keeps the body of a failed response so the
// server's message reaches the error.

// davFailure is what the transport kept of a failed response.
type davFailure struct {
	status    int
	header    http.Header
	message   string
	exception string
}

// davTransport binds every request of one call to its context, fills in the
// server's address (gowebdav is given a root path only, so that it escapes
// the path but never the host), refuses redirects and keeps failures.
type davTransport struct {
	ctx       context.Context
	base      http.RoundTripper
	scheme    string
	host      string
	userAgent string

	mu      sync.Mutex
	failure *davFailure
}

// errRedirect is the cause of a WebDAV answer that tried to redirect.
var errRedirect = errors.New("redirected; check the base URL")

// RoundTrip sends req under the call's context.
func (t *davTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(t.ctx)
	if r.URL.Host == "" {
		r.URL.Scheme = t.scheme
		r.URL.Host = t.host
		r.Host = t.host
	}
	r.Header.Set("User-Agent", t.userAgent)
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		resp.Body.Close()
		return nil, fmt.Errorf("%w: %s", errRedirect, resp.Header.Get("Location"))
	case resp.StatusCode >= 400:
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		msg, exception := bodyMessage(raw)
		t.mu.Lock()
		t.failure = &davFailure{status: resp.StatusCode, header: resp.Header.Clone(), message: msg, exception: exception}
		t.mu.Unlock()
		resp.Body = io.NopCloser(bytes.NewReader(raw))
	}
	return resp, nil
}

func (t *davTransport) lastFailure() *davFailure {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failure
}

// basicAuth is gowebdav's authenticator for preemptive Basic auth. gowebdav's
// default first sends each request without credentials and negotiates after
// the 401; this one sends them at once and never retries a 401.
type basicAuth struct{ user, password string }

// Authorize sets the Authorization header.
func (a basicAuth) Authorize(_ *http.Client, rq *http.Request, _ string) error {
	if a.user != "" {
		rq.SetBasicAuth(a.user, a.password)
	}
	return nil
}

// Verify never asks for another round: a 401 is reported as it is.
func (a basicAuth) Verify(*http.Client, *http.Response, string) (bool, error) { return false, nil }

// Clone returns a, which holds no state.
func (a basicAuth) Clone() gowebdav.Authenticator { return a }

// Close releases nothing.
func (a basicAuth) Close() error { return nil }

// davSession is what one WebDAV call uses.
type davSession struct {
	c         *Client
	user      string
	transport *davTransport
	http      *http.Client
	cancel    context.CancelFunc
}

// dav checks user and opens a session bounded by the client's timeout.
// WebDAV only reaches the files of the account the client authenticates as:
// Nextcloud answers other users' homes with an empty placeholder collection
// (207), not a 403, so the client refuses them itself.
func (c *Client) dav(ctx context.Context, op, user string) (*davSession, error) {
	switch {
	case user == "" || strings.ContainsAny(user, `/\`):
		return nil, invalid(op, "invalid user id %q", user)
	case c.user == "" || !strings.EqualFold(user, c.user):
		return nil, &Error{Op: op, Kind: ErrForbidden,
			Message: fmt.Sprintf("WebDAV reaches only the files of %q, the account the client authenticates as", c.user)}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	t := &davTransport{ctx: ctx, base: c.transport, scheme: c.base.Scheme, host: c.base.Host, userAgent: c.userAgent}
	return &davSession{c: c, user: user, transport: t, http: &http.Client{Transport: t}, cancel: cancel}, nil
}

// webdav returns a gowebdav client rooted at the user's files.
func (s *davSession) webdav() *gowebdav.Client {
	root := s.c.base.Path + "/remote.php/dav/files/" + s.user + "/"
	wd := gowebdav.NewAuthClient(root, gowebdav.NewPreemptiveAuth(basicAuth{s.c.user, s.c.password}))
	wd.SetTransport(s.transport)
	return wd
}

// send makes a WebDAV request that gowebdav would misreport; success is any 2xx.
func (s *davSession) send(op, method, p string, body []byte, perCall codes) error {
	_, err := s.do(op, method, p, body, perCall)
	return err
}

// do is send returning the (closed) response of a success, for its headers.
func (s *davSession) do(op, method, p string, body []byte, perCall codes) (*http.Response, error) {
	target := s.c.base.Path + "/remote.php/dav/files/" + s.user + p
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, gowebdav.PathEscape(target), rd)
	if err != nil {
		return nil, invalid(op, "build request: %v", err)
	}
	if s.c.user != "" {
		req.SetBasicAuth(s.c.user, s.c.password)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, s.error(op, err, perCall)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return nil, s.error(op, nil, perCall)
	}
	return resp, nil
}

// error turns a failed WebDAV call into an *Error, preferring what the
// server answered over what gowebdav made of it.
func (s *davSession) error(op string, err error, perCall codes) error {
	if f := s.transport.lastFailure(); f != nil {
		e := responseError(op, f.status, f.header, 0, f.message, perCall)
		e.Exception = f.exception
		return e
	}
	if e := sessionError(op, err); e != nil {
		return e
	}
	var se gowebdav.StatusError
	switch {
	case err == nil:
		return &Error{Op: op, Kind: ErrInvalid, Message: "unexpected answer"}
	case errors.Is(err, errRedirect):
		return &Error{Op: op, Kind: ErrInvalid, Message: err.Error()}
	case errors.As(err, &se):
		return &Error{Op: op, Kind: ErrInvalid, HTTPStatus: se.Status, Message: "unexpected WebDAV status"}
	}
	return &Error{Op: op, Kind: ErrUnavailable, Err: err}
}

// cleanPath makes p absolute and clean, keeping a trailing slash (which says
// "a folder" to the server). ".." segments are refused rather than resolved.
func cleanPath(op, p string) (string, error) {
	if strings.ContainsRune(p, 0) {
		return "", invalid(op, "path contains a NUL byte")
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == ".." {
			return "", invalid(op, "path %q contains ..", p)
		}
	}
	clean := path.Clean("/" + p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	return clean, nil
}

// fileInfo converts what gowebdav parsed.
func fileInfo(p string, fi os.FileInfo) FileInfo {
	info := FileInfo{Path: strings.TrimSuffix(p, "/"), Name: fi.Name(), IsDir: fi.IsDir(), Size: fi.Size()}
	if info.Path == "" {
		info.Path = "/"
	}
	if info.Name == "" {
		info.Name = path.Base(info.Path)
	}
	if f, ok := fi.(interface{ ETag() string }); ok {
		info.ETag = strings.Trim(f.ETag(), `"`)
	}
	if f, ok := fi.(interface{ ContentType() string }); ok {
		info.ContentType = f.ContentType()
	}
	if t := fi.ModTime(); t.Unix() > 0 {
		info.ModTime = t
	}
	if info.IsDir {
		info.Size = 0
	}
	return info
}

// Stat describes the file or folder at p in user's files. ErrNotFound when
// there is nothing there.
func (c *Client) Stat(ctx context.Context, user, p string) (FileInfo, error) {
	op := fmt.Sprintf("stat %q of %q", p, user)
	clean, err := cleanPath(op, p)
	if err != nil {
		return FileInfo{}, err
	}
	s, err := c.dav(ctx, op, user)
	if err != nil {
		return FileInfo{}, err
	}
	defer s.cancel()
	fi, err := s.webdav().Stat(clean)
	if err != nil {
		return FileInfo{}, s.error(op, err, nil)
	}
	// gowebdav returns a nil *File when the answer had no readable properties.
	if f, ok := fi.(*gowebdav.File); !ok || f == nil {
		return FileInfo{}, &Error{Op: op, Kind: ErrNotFound, Message: "no properties in the answer"}
	}
	return fileInfo(clean, fi), nil
}

// ReadDir lists the folder at p in user's files. ErrNotFound when it does
// not exist, ErrInvalid when it is a file.
func (c *Client) ReadDir(ctx context.Context, user, p string) ([]FileInfo, error) {
	op := fmt.Sprintf("list %q of %q", p, user)
	clean, err := cleanPath(op, p)
	if err != nil {
		return nil, err
	}
	s, err := c.dav(ctx, op, user)
	if err != nil {
		return nil, err
	}
	defer s.cancel()
	items, err := s.webdav().ReadDir(clean)
	if err != nil {
		var se gowebdav.StatusError
		if s.transport.lastFailure() == nil && errors.As(err, &se) && se.Status == http.StatusMethodNotAllowed {
			// gowebdav's own verdict when the first entry is not a collection.
			return nil, &Error{Op: op, Kind: ErrInvalid, Message: "not a folder"}
		}
		return nil, s.error(op, err, nil)
	}
	dir := strings.TrimSuffix(clean, "/")
	files := make([]FileInfo, 0, len(items))
	for _, fi := range items {
		files = append(files, fileInfo(dir+"/"+fi.Name(), fi))
	}
	return files, nil
}

// Download returns the content of the file at p in user's files.
func (c *Client) Download(ctx context.Context, user, p string) ([]byte, error) {
	op := fmt.Sprintf("download %q of %q", p, user)
	clean, err := cleanPath(op, p)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(clean, "/") {
		return nil, invalid(op, "a folder cannot be downloaded")
	}
	s, err := c.dav(ctx, op, user)
	if err != nil {
		return nil, err
	}
	defer s.cancel()
	data, err := s.webdav().Read(clean)
	if err != nil {
		return nil, s.error(op, err, nil)
	}
	return data, nil
}

// Mkdir creates the folder at p in user's files. ErrAlreadyExists when
// something is there already (405), ErrNotFound when the parent folder is
// missing (409): folders are created one level at a time.
func (c *Client) Mkdir(ctx context.Context, user, p string) error {
	op := fmt.Sprintf("create folder %q of %q", p, user)
	clean, err := cleanPath(op, p)
	if err != nil {
		return err
	}
	if clean == "/" {
		return invalid(op, "the home folder always exists")
	}
	s, err := c.dav(ctx, op, user)
	if err != nil {
		return err
	}
	defer s.cancel()
	return s.send(op, "MKCOL", strings.TrimSuffix(clean, "/"), nil,
		codes{http.StatusMethodNotAllowed: ErrAlreadyExists, http.StatusConflict: ErrNotFound})
}

// Upload writes content to the file at p in user's files, replacing it if
// present. ErrNotFound when the folder does not exist (it is not created),
// ErrQuota when the user's or group folder's quota is exhausted.
func (c *Client) Upload(ctx context.Context, user, p string, content []byte) error {
	_, err := c.Put(ctx, user, p, content)
	return err
}

// Uploaded is what the server said of a file just written.
type Uploaded struct {
	// Created is true when the file is new (201), false when replaced (204).
	Created bool
	// ETag is the file's new ETag, without quotes: Nextcloud sends it with
	// the PUT's answer (ETag, OC-ETag), so no PROPFIND is needed.
	ETag string
	// FileID is Nextcloud's file id (OC-FileId), e.g. "00000158oc8e0ghyirx7".
	FileID string
}

// Put is Upload returning what the answer carries: whether the file was
// created and its ETag and file id. Errors as Upload.
func (c *Client) Put(ctx context.Context, user, p string, content []byte) (Uploaded, error) {
	op := fmt.Sprintf("upload %q of %q", p, user)
	clean, err := cleanPath(op, p)
	if err != nil {
		return Uploaded{}, err
	}
	if strings.HasSuffix(clean, "/") {
		return Uploaded{}, invalid(op, "path names a folder")
	}
	s, err := c.dav(ctx, op, user)
	if err != nil {
		return Uploaded{}, err
	}
	defer s.cancel()
	if content == nil {
		content = []byte{}
	}
	resp, err := s.do(op, http.MethodPut, clean, content,
		codes{http.StatusNotFound: ErrNotFound, http.StatusConflict: ErrNotFound})
	if err != nil {
		return Uploaded{}, err
	}
	etag := resp.Header.Get("OC-ETag")
	if etag == "" {
		etag = resp.Header.Get("ETag")
	}
	return Uploaded{
		Created: resp.StatusCode == http.StatusCreated,
		ETag:    strings.Trim(strings.TrimPrefix(etag, "W/"), `"`),
		FileID:  resp.Header.Get("OC-FileId"),
	}, nil
}

// Delete deletes the file or folder (with its content) at p in user's files;
// it goes to the user's trash bin when that app is enabled. ErrNotFound when
// nothing is there.
func (c *Client) Delete(ctx context.Context, user, p string) error {
	op := fmt.Sprintf("delete %q of %q", p, user)
	clean, err := cleanPath(op, p)
	if err != nil {
		return err
	}
	if clean == "/" {
		return invalid(op, "refusing to delete the home folder")
	}
	s, err := c.dav(ctx, op, user)
	if err != nil {
		return err
	}
	defer s.cancel()
	return s.send(op, http.MethodDelete, strings.TrimSuffix(clean, "/"), nil, nil)
}
