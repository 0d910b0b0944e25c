package nextcloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/studio-b12/gowebdav"
)

// The calls of this file let the engine make one request where two were
// made: an account created with its quota, an upload that answers with the
// new file's ETag.

// CreateUserWithQuota creates an account as CreateUser does, but sends the
// quota (and groups) in the creating request rather than in a second one.
// ErrAlreadyExists when the id is taken. ErrQuota when the host refused the
// quota: Nextcloud then answers 102 (the code of "exists") although it has
// created the account, without its welcome mail; the error's Op says so,
// and a later creation reports ErrAlreadyExists for that id.
func (c *Client) CreateUserWithQuota(ctx context.Context, u NewUser) error {
	op := fmt.Sprintf("create user %q", u.ID)
	if err := u.Validate(); err != nil {
		return err
	}
	form := url.Values{}
	form.Set("userid", u.ID)
	form.Set("email", u.Email)
	if u.DisplayName != "" {
		form.Set("displayName", u.DisplayName)
	}
	if u.Language != "" {
		form.Set("language", u.Language)
	}
	if u.Quota != "" {
		form.Set("quota", u.Quota)
	}
	for _, g := range u.Groups {
		form.Add("groups[]", g)
	}
	err := c.do(ctx, request{op: op, method: http.MethodPost, path: ocsPath("cloud", "users"), form: form,
		codes: codes{102: ErrAlreadyExists, 104: ErrNotFound, 105: ErrForbidden, 106: ErrForbidden}}, nil)
	var e *Error
	if errors.As(err, &e) && e.OCSStatus == 102 && strings.Contains(strings.ToLower(e.Message), "quota") {
		e.Kind = ErrQuota
		e.Op = fmt.Sprintf("create user %q: user created without its welcome mail, quota refused", u.ID)
	}
	return err
}

// UploadETag writes content to the file at p as Upload does and returns the
// ETag the server gave in its answer (without quotes; empty if it sent
// none), so that no PROPFIND is needed after an upload.
func (c *Client) UploadETag(ctx context.Context, user, p string, content []byte) (string, error) {
	op := fmt.Sprintf("upload %q of %q", p, user)
	clean, err := cleanPath(op, p)
	if err != nil {
		return "", err
	}
	if strings.HasSuffix(clean, "/") {
		return "", invalid(op, "path names a folder")
	}
	s, err := c.dav(ctx, op, user)
	if err != nil {
		return "", err
	}
	defer s.cancel()
	if content == nil {
		content = []byte{}
	}
	perCall := codes{http.StatusNotFound: ErrNotFound, http.StatusConflict: ErrNotFound}
	target := s.c.base.Path + "/remote.php/dav/files/" + s.user + clean
	req, err := http.NewRequest(http.MethodPut, gowebdav.PathEscape(target), bytes.NewReader(content))
	if err != nil {
		return "", invalid(op, "build request: %v", err)
	}
	if s.c.user != "" {
		req.SetBasicAuth(s.c.user, s.c.password)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := s.http.Do(req)
	if err != nil {
		return "", s.error(op, err, perCall)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return "", s.error(op, nil, perCall)
	}
	etag := resp.Header.Get("OC-ETag")
	if etag == "" {
		etag = resp.Header.Get("ETag")
	}
	return strings.Trim(strings.TrimPrefix(etag, "W/"), `"`), nil
}
