// Package nextcloud is Archipel's client for the Nextcloud servers of partner
// hosts: the OCS provisioning API (users, groups, subadmins), the groupfolders
// app, the sharing API, WebDAV files and app passwords.
//
// It follows what a real Nextcloud 27.1 answered (see provisioning/testdata/nextcloud/nc27/README.md)
// and, where Nextcloud 28–31 are stricter, the stricter rule. Every call takes a
// context, is bounded by Config.Timeout and returns an *Error whose kind is
// tested with errors.Is (ErrNotFound, ErrAlreadyExists…). The client never
// retries: Transient tells the caller whether a retry may help.
package nextcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds a call when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// maxBody bounds how much of an OCS or error response is read.
const maxBody = 8 << 20

// UserAgent returns the User-Agent Archipel sends, e.g. "Archipel/1.4.0 (+provisioning)".
func UserAgent(version string) string {
	if version == "" {
		version = "dev"
	}
	return "Archipel/" + version + " (+provisioning)"
}

// Config says which server to talk to and as whom.
type Config struct {
	// BaseURL is the server's root, e.g. "https://cloud.host.example" or
	// "https://host.example/nextcloud"; no credentials, query or fragment.
	BaseURL string
	// User is the login of the account Archipel acts as (an admin of the server).
	User string
	// AppPassword is an app password of User: fast and revocable, but
	// Nextcloud 33 and later refuse management writes made with it ("Password
	// confirmation is required"). Empty only for Status and
	// AppPasswordFromLogin, or when LoginPassword is given.
	AppPassword string
	// LoginPassword is the login password of User, a dedicated provisioning
	// account (administrator, no second factor), for the servers that refuse
	// management calls made with an app password. The client then logs in
	// once and works in the Session, never sending the password per request.
	LoginPassword string
	// Session is the login session shared by the clients of one host (with
	// LoginPassword); a private one when nil.
	Session *Session
	// Now is the session's clock (time.Now when nil), for tests.
	Now func() time.Time
	// Timeout bounds each call, including reading the response; DefaultTimeout when zero.
	Timeout time.Duration
	// UserAgent identifies Archipel to the host's admins; UserAgent("dev") when empty.
	UserAgent string
	// HTTPClient carries the transport (proxies, TLS); http.DefaultTransport when nil.
	// Its cookie jar and redirect policy are not used: see New.
	HTTPClient *http.Client
}

// Client talks to one Nextcloud server as one account. It is safe for concurrent use.
type Client struct {
	base      *url.URL // scheme, host and path prefix, no trailing slash
	user      string
	password  string
	timeout   time.Duration
	userAgent string
	http      *http.Client
	transport http.RoundTripper
	session   *Session // with a login password: the session requests go in
}

// UsesLoginPassword reports whether the client authenticates with a login
// password (in a session) rather than an app password.
func (c *Client) UsesLoginPassword() bool { return c.session != nil }

// New checks cfg and returns a client. It copies cfg.HTTPClient without its
// cookie jar (a Nextcloud session cookie would turn later requests into
// session requests subject to CSRF checks) and refuses redirects (a redirected
// POST silently becomes a GET; a redirect means BaseURL is wrong).
func New(cfg Config) (*Client, error) {
	const op = "configure client"
	u, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	if err != nil {
		return nil, invalid(op, "base URL: %v", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, invalid(op, "base URL %q: scheme must be http or https", cfg.BaseURL)
	case u.Host == "":
		return nil, invalid(op, "base URL %q has no host", cfg.BaseURL)
	case u.User != nil:
		return nil, invalid(op, "base URL must not carry credentials; use User and AppPassword")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, invalid(op, "base URL %q must not have a query or fragment", cfg.BaseURL)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	if strings.HasSuffix(u.Path, "/index.php") {
		return nil, invalid(op, "base URL %q: give the server root, without index.php", cfg.BaseURL)
	}
	if cfg.AppPassword != "" && cfg.LoginPassword != "" {
		return nil, invalid(op, "give an app password or a login password, not both")
	}
	secret := cfg.AppPassword + cfg.LoginPassword
	if (cfg.User == "") != (secret == "") {
		return nil, invalid(op, "user and password go together")
	}
	c := &Client{
		base:      u,
		user:      cfg.User,
		password:  secret,
		timeout:   cfg.Timeout,
		userAgent: cfg.UserAgent,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.userAgent == "" {
		c.userAgent = UserAgent("")
	}
	hc := &http.Client{}
	if cfg.HTTPClient != nil {
		*hc = *cfg.HTTPClient
	}
	hc.Jar = nil
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.transport = hc.Transport
	if c.transport == nil {
		c.transport = http.DefaultTransport
	}
	if cfg.LoginPassword != "" {
		c.session = cfg.Session
		if c.session == nil {
			c.session = NewSession(cfg.Now)
		}
		c.transport = &sessionTransport{c: c, s: c.session, next: c.transport}
		hc.Transport = c.transport
	}
	c.http = hc
	return c, nil
}

// request is one OCS-style call.
type request struct {
	op     string
	method string
	path   string     // escaped path below BaseURL, e.g. "/ocs/v2.php/cloud/users/bob"
	query  url.Values // format=json is added
	form   url.Values // sent as application/x-www-form-urlencoded when not nil
	codes  codes
	// login replaces the client's credentials (getapppassword with a login password).
	login *[2]string
}

// ocsPath joins the OCS v2 prefix and path segments, escaping each segment.
func ocsPath(segments ...string) string {
	return "/ocs/v2.php" + escapeSegments(segments)
}

// escapeSegments percent-encodes each segment and joins them with slashes:
// a group id "team/a b" becomes one segment "team%2Fa%20b".
func escapeSegments(segments []string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// ocsMeta is the meta part of an OCS envelope, in JSON and XML alike.
type ocsMeta struct {
	Status     string `json:"status" xml:"status"`
	StatusCode int    `json:"statuscode" xml:"statuscode"`
	Message    string `json:"message" xml:"message"`
}

// ok reports whether meta is a success: 100 (v1 and groupfolders) or 200 (v2).
func (m ocsMeta) ok() bool { return m.StatusCode == 100 || m.StatusCode == 200 }

// parseEnvelope reads an OCS envelope in JSON or XML. Nextcloud answers a
// wrong password with XML even when JSON was asked, so both are parsed
// whatever the Content-Type says.
func parseEnvelope(body []byte) (meta ocsMeta, data json.RawMessage, ok bool) {
	body = bytes.TrimSpace(body)
	switch {
	case bytes.HasPrefix(body, []byte("{")):
		var env struct {
			OCS *struct {
				Meta ocsMeta         `json:"meta"`
				Data json.RawMessage `json:"data"`
			} `json:"ocs"`
		}
		if json.Unmarshal(body, &env) != nil || env.OCS == nil || env.OCS.Meta.StatusCode == 0 {
			return ocsMeta{}, nil, false
		}
		return env.OCS.Meta, env.OCS.Data, true
	case bytes.HasPrefix(body, []byte("<")):
		var env struct {
			XMLName xml.Name `xml:"ocs"`
			Meta    ocsMeta  `xml:"meta"`
		}
		if xml.Unmarshal(body, &env) != nil || env.Meta.StatusCode == 0 {
			return ocsMeta{}, nil, false
		}
		return env.Meta, nil, true
	}
	return ocsMeta{}, nil, false
}

// bodyMessage extracts a message from a body that is not an OCS envelope:
// {"message":…} (CSRF failures), a Sabre error, or nothing (HTML pages).
func bodyMessage(body []byte) (message, exception string) {
	body = bytes.TrimSpace(body)
	switch {
	case bytes.HasPrefix(body, []byte("{")):
		var m struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(body, &m) == nil {
			return m.Message, ""
		}
	case bytes.HasPrefix(body, []byte("<?xml")) || bytes.HasPrefix(body, []byte("<d:error")):
		var s struct {
			Exception string `xml:"http://sabredav.org/ns exception"`
			Message   string `xml:"http://sabredav.org/ns message"`
		}
		if xml.Unmarshal(body, &s) == nil {
			return s.Message, s.Exception
		}
	}
	return "", ""
}

// do sends an OCS (or groupfolders) request and decodes the data part of a
// successful answer into out, when out is not nil.
func (c *Client) do(ctx context.Context, r request, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	query := url.Values{}
	for k, v := range r.query {
		query[k] = v
	}
	query.Set("format", "json")
	target := c.base.String() + r.path + "?" + query.Encode()

	var body io.Reader
	if r.form != nil {
		body = strings.NewReader(r.form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return invalid(r.op, "build request: %v", err)
	}
	// Without this header Nextcloud answers 412 "CSRF check failed" on some
	// routes (getapppassword, groupfolders) and treats the call as a browser's.
	req.Header.Set("OCS-APIRequest", "true")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if r.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	switch {
	case r.login != nil:
		req.SetBasicAuth(r.login[0], r.login[1])
	case c.user != "":
		req.SetBasicAuth(c.user, c.password)
	}

	resp, raw, err := c.send(req)
	if err != nil {
		if e := sessionError(r.op, err); e != nil {
			return e
		}
		return &Error{Op: r.op, Kind: ErrUnavailable, Err: err}
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return redirected(r.op, resp)
	}
	meta, data, isOCS := parseEnvelope(raw)
	if isOCS && meta.ok() && resp.StatusCode < 300 {
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			if bytes.Equal(bytes.TrimSpace(data), []byte("[]")) {
				return nil // PHP's empty array stands for an empty object too
			}
			return &Error{Op: r.op, Kind: ErrInvalid, HTTPStatus: resp.StatusCode, OCSStatus: meta.StatusCode,
				Message: "unexpected response data", Err: err}
		}
		return nil
	}
	if isOCS {
		return responseError(r.op, resp.StatusCode, resp.Header, meta.StatusCode, meta.Message, r.codes)
	}
	if resp.StatusCode < 300 {
		// A 200 that is not OCS: a login or landing page, so BaseURL points
		// somewhere else than Nextcloud's root.
		return &Error{Op: r.op, Kind: ErrInvalid, HTTPStatus: resp.StatusCode,
			Message: "the answer is not an OCS response; check the base URL"}
	}
	msg, _ := bodyMessage(raw)
	return responseError(r.op, resp.StatusCode, resp.Header, 0, msg, r.codes)
}

// send performs req and reads the whole (bounded) body.
func (c *Client) send(req *http.Request) (*http.Response, []byte, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, nil, fmt.Errorf("read response: %w", err)
	}
	return resp, raw, nil
}

// redirected reports a redirect, which the client never follows.
func redirected(op string, resp *http.Response) *Error {
	return &Error{Op: op, Kind: ErrInvalid, HTTPStatus: resp.StatusCode,
		Message: fmt.Sprintf("redirected to %q; use that address as the base URL", resp.Header.Get("Location"))}
}

// flexNum decodes a JSON number or numeric string; PHP sends either, and
// floats for integers beyond 32 bits on some builds.
type flexNum struct {
	n     float64
	s     string
	isNum bool
}

// UnmarshalJSON accepts numbers, strings and null.
func (f *flexNum) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		return nil
	case len(b) > 0 && b[0] == '"':
		if err := json.Unmarshal(b, &f.s); err != nil {
			return err
		}
		n := json.Number(strings.TrimSpace(f.s))
		if v, err := n.Float64(); err == nil {
			f.n, f.isNum = v, true
		}
		return nil
	case len(b) > 0 && (b[0] == 't' || b[0] == 'f'):
		var v bool
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		if v {
			f.n = 1
		}
		f.isNum = true
		return nil
	}
	if err := json.Unmarshal(b, &f.n); err != nil {
		return err
	}
	f.isNum = true
	return nil
}

// int64 returns the number, 0 when it was not one.
func (f flexNum) int64() int64 { return int64(f.n) }

// flexString decodes a JSON string or number as a string (share ids are strings, but not in every version).
type flexString string

// UnmarshalJSON accepts strings, numbers and null.
func (s *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var v string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*s = flexString(v)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*s = flexString(n.String())
	return nil
}

// flexBool decodes true/false, 1/0 and "1"/"true".
type flexBool bool

// UnmarshalJSON accepts booleans, numbers and strings.
func (v *flexBool) UnmarshalJSON(b []byte) error {
	var f flexNum
	if err := f.UnmarshalJSON(b); err != nil {
		return err
	}
	*v = flexBool(f.n != 0 || strings.EqualFold(f.s, "true"))
	return nil
}

// list decodes a list of strings that PHP may have encoded as an object:
// json_encode turns an array into {"1":"a","3":"b"} once its keys are not
// 0..n-1 (after array_intersect or array_filter), and an empty map into [].
type list []string

// UnmarshalJSON accepts arrays, objects (values in key order) and null.
func (l *list) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*l = nil
		return nil
	case len(b) > 0 && b[0] == '{':
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		*l = list(sortedValues(m))
		return nil
	}
	var s []string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*l = s
	return nil
}

// sortedValues returns the values of m ordered by key, numeric keys numerically.
func sortedValues[V any](m map[string]V) []V {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, errA := strconv.Atoi(keys[i])
		b, errB := strconv.Atoi(keys[j])
		if errA == nil && errB == nil {
			return a < b
		}
		return keys[i] < keys[j]
	})
	values := make([]V, 0, len(keys))
	for _, k := range keys {
		values = append(values, m[k])
	}
	return values
}
