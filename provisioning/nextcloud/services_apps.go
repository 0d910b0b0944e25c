package nextcloud

// The association's services (calendar, address book, Team, Deck board, Talk
// conversation) follow what a real Nextcloud 34.0.1 answered, recorded in
// shared/nextcloud/nc34-services (copied to provisioning/testdata). Unlike the
// provisioning API, DAV, circles and Deck accept an app password.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// The apps whose presence decides what a host can offer an association.
const (
	AppDAV           = "dav"           // calendars and contacts (CalDAV/CardDAV), shipped
	AppCircles       = "circles"       // Teams, shipped
	AppDeck          = "deck"          // task boards
	AppSpreed        = "spreed"        // Talk: video calls
	AppForms         = "forms"         // forms
	AppPolls         = "polls"         // polls
	AppRichdocuments = "richdocuments" // online office (Collabora)
	AppOnlyoffice    = "onlyoffice"    // online office (ONLYOFFICE)
)

// EnabledApps lists the ids of the apps enabled on the server, sorted. It is
// an administrator's call (a sub-admin gets ErrForbidden); an app password
// works. Apps installed but disabled, and apps absent, are both left out.
func (c *Client) EnabledApps(ctx context.Context) ([]string, error) {
	var out struct {
		Apps list `json:"apps"`
	}
	err := c.do(ctx, request{op: "list enabled apps", method: http.MethodGet, path: ocsPath("cloud", "apps"),
		query: url.Values{"filter": {"enabled"}}}, &out)
	if err != nil {
		return nil, err
	}
	apps := []string(out.Apps)
	sort.Strings(apps)
	return apps, nil
}

// CapabilityApps lists the apps that declare capabilities (the keys of
// /ocs/v2.php/cloud/capabilities), sorted: any account may read them, so it
// stands in for EnabledApps where the app list is refused. Apps without
// capabilities (forms, polls) do not show there.
func (c *Client) CapabilityApps(ctx context.Context) ([]string, error) {
	var out struct {
		Capabilities map[string]json.RawMessage `json:"capabilities"`
	}
	err := c.do(ctx, request{op: "read capabilities", method: http.MethodGet, path: ocsPath("cloud", "capabilities")}, &out)
	if err != nil {
		return nil, err
	}
	apps := make([]string, 0, len(out.Capabilities))
	for k := range out.Capabilities {
		apps = append(apps, k)
	}
	if len(apps) > 0 && !slices.Contains(apps, AppDAV) {
		// dav has declared capabilities since Nextcloud 18; an old server
		// still serves CalDAV and CardDAV.
		apps = append(apps, AppDAV)
	}
	sort.Strings(apps)
	return apps, nil
}

// rawCall is one request outside OCS (CalDAV, CardDAV, Deck's REST routes).
type rawCall struct {
	op      string
	method  string
	path    string // escaped path below BaseURL
	header  map[string]string
	body    []byte
	codes   codes
	accepts []int // statuses that are a success besides 2xx
}

// raw sends a request as the client's account and returns the status and the
// bounded body; a status of 300 or more (not in accepts) becomes an *Error.
func (c *Client) raw(ctx context.Context, r rawCall) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base.String()+r.path, body)
	if err != nil {
		return 0, nil, invalid(r.op, "build request: %v", err)
	}
	req.Header.Set("User-Agent", c.userAgent)
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	if c.user != "" {
		req.SetBasicAuth(c.user, c.password)
	}
	resp, raw, err := c.send(req)
	if err != nil {
		return 0, nil, &Error{Op: r.op, Kind: ErrUnavailable, Err: err}
	}
	if resp.StatusCode < 300 || slices.Contains(r.accepts, resp.StatusCode) {
		return resp.StatusCode, raw, nil
	}
	if resp.StatusCode < 400 {
		return resp.StatusCode, raw, redirected(r.op, resp)
	}
	if meta, _, isOCS := parseEnvelope(raw); isOCS {
		return resp.StatusCode, raw, responseError(r.op, resp.StatusCode, resp.Header, meta.StatusCode, meta.Message, r.codes)
	}
	// Deck's {"status":403,"message":"Permission denied"}, a Sabre error,
	// or nothing.
	msg, exception := bodyMessage(raw)
	e := responseError(r.op, resp.StatusCode, resp.Header, 0, msg, r.codes)
	e.Exception = exception
	return resp.StatusCode, raw, e
}

// validID refuses ids that cannot be one path segment.
func validID(op, what, id string) error {
	if strings.TrimSpace(id) == "" || strings.ContainsAny(id, "/\\") {
		return invalid(op, "invalid %s %q", what, id)
	}
	return nil
}

func asError(err error, target **Error) bool { return errors.As(err, target) }
