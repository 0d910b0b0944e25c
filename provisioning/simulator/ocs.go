package simulator

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// OCS status codes with a meaning of their own (OCSController constants).
const (
	ocsOK           = 200 // success; reported as 100 on v1
	ocsServerError  = 996
	ocsUnauthorised = 997
	ocsNotFound     = 998
	ocsUnknownError = 999
)

// msgNotLoggedIn and friends are messages Nextcloud sends verbatim.
const (
	msgNotLoggedIn     = "Current user is not logged in"
	msgMustBeAdmin     = "Logged in user must be an admin"
	msgMustBeSubadmin  = "Logged in user must be at least a sub admin"
	msgCSRF            = "CSRF check failed"
	msgInvalidQuery    = "Invalid query, please check the syntax. API specifications are here: http://www.freedesktop.org/wiki/Specifications/open-collaboration-services.\n"
	msgInternalError   = "Internal Server Error\n"
	msgServiceUnavail  = "Service unavailable"
	msgStrictCookie    = "Strict Cookie has not been found in request"
	msgFolderNotFound  = "Groupfolder not found"
	contentTypeJSON    = "application/json; charset=utf-8"
	contentTypeXML     = "application/xml; charset=utf-8"
	wrongCredentialXML = "<?xml version=\"1.0\"?>\n<ocs>\n <meta>\n  <status>failure</status>\n  <statuscode>997</statuscode>\n  <message>Unauthorised</message>\n </meta>\n <data/>\n</ocs>\n"
)

// translations holds the few messages Nextcloud localises in the recordings,
// keyed by language then English text.
var translations = map[string]map[string]string{
	"de": {
		msgMustBeAdmin: "Der angemeldete Benutzer muss ein Administrator sein",
		"Logged in account must be an admin, a sub admin or gotten special right to access this setting": "Das angemeldete Konto muss ein Administrationskonto sein, ein Unteradministrationskontor sein, oder ein Sonderrecht haben, um auf diese Einstellung zuzugreifen",
		"No group specified (required for sub-admins)":                                                   "Keine Gruppe angegeben (erforderlich für Unteradministration)",
	},
}

// ocsResult is what an OCS handler answers: a status code (ocsOK on success),
// a message and the data array.
type ocsResult struct {
	code   int
	msg    string
	data   any
	header map[string]string // extra response headers
}

// ok is a successful result carrying data.
func ok(data any) ocsResult { return ocsResult{code: ocsOK, msg: "OK", data: data} }

// fail is a failed result with an empty data array.
func fail(code int, msg string) ocsResult { return ocsResult{code: code, msg: msg, data: obj{}} }

// ocsCall is one OCS request as the handlers see it.
type ocsCall struct {
	r       *http.Request
	ver     int
	format  string
	params  map[string][]string
	vars    map[string]string
	user    *user
	token   string        // the app password the call authenticated with, if any
	php     *loginSession // the kept session of the call, if any
	baseURL string
	prof    *Profile
}

// param returns the first value of a request parameter.
func (c *ocsCall) param(k string) string {
	if v, ok := c.vars[k]; ok {
		return v
	}
	if v := c.params[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// list returns every value of an array parameter (groups[]=a&groups[]=b).
func (c *ocsCall) list(k string) []string {
	var out []string
	for _, v := range c.params[k] {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// tr rewords msg for the profile and localises it for the calling user
// where Nextcloud would.
func (c *ocsCall) tr(msg string) string {
	if c.prof != nil {
		msg = c.prof.message(msg)
	}
	if c.user != nil {
		if t, ok := translations[c.user.language][msg]; ok {
			return t
		}
	}
	return msg
}

// parseParams merges query and body parameters like PHP ($_POST over $_GET).
// Array keys such as "groups[]" are stored under "groups".
func parseParams(r *http.Request) map[string][]string {
	params := map[string][]string{}
	add := func(vals url.Values) {
		for k, v := range vals {
			if i := strings.IndexByte(k, '['); i > 0 {
				k = k[:i]
				params[k] = append(params[k], v...)
				continue
			}
			params[k] = v
		}
	}
	q, _ := url.ParseQuery(r.URL.RawQuery)
	add(q)
	if r.Body == nil {
		return params
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || len(body) == 0 {
		return params
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			vals := url.Values{}
			for k, v := range m {
				switch t := v.(type) {
				case []any:
					for _, e := range t {
						vals.Add(k, jsonScalar(e))
					}
				default:
					vals.Set(k, jsonScalar(t))
				}
			}
			add(vals)
		}
	default:
		if vals, err := url.ParseQuery(string(body)); err == nil {
			add(vals)
		}
	}
	return params
}

// jsonScalar converts a decoded JSON scalar to the string PHP would see.
func jsonScalar(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case bool:
		if t {
			return "1"
		}
		return ""
	case float64:
		return phpFloat(t)
	case nil:
		return ""
	}
	return ""
}

// controllerFormat picks json or xml like an AppFramework OCS controller:
// the format parameter first, then the Accept header, else XML.
func controllerFormat(r *http.Request, params map[string][]string) string {
	if f := params["format"]; len(f) > 0 {
		if f[0] == "json" {
			return "json"
		}
		return "xml"
	}
	for _, h := range strings.Split(r.Header.Get("Accept"), ",") {
		switch strings.TrimPrefix(strings.ToLower(strings.TrimSpace(h)), "application/") {
		case "json":
			return "json"
		case "xml":
			return "xml"
		}
	}
	return "xml"
}

// legacyFormat picks the format like OC_API::requestedFormat: only the
// format query parameter counts.
func legacyFormat(r *http.Request) string {
	if r.URL.Query().Get("format") == "json" {
		return "json"
	}
	return "xml"
}

// ocsHTTPStatus maps an OCS status code to the HTTP status for a version.
func ocsHTTPStatus(ver, code int) int {
	if code == ocsUnauthorised {
		return http.StatusUnauthorized
	}
	if ver == 1 {
		return http.StatusOK
	}
	switch {
	case code == ocsNotFound:
		return http.StatusNotFound
	case code == ocsServerError || code == ocsUnknownError:
		return http.StatusInternalServerError
	case code < 200 || code > 600:
		return http.StatusBadRequest
	}
	return code
}

// ocsBody renders the OCS envelope. withPaging adds the empty v1 totalitems
// and itemsperpage fields.
func ocsBody(format string, code int, msg string, data any, withPaging bool) []byte {
	status := "failure"
	if code == 100 || code == ocsOK {
		status = "ok"
	}
	meta := obj{{"status", status}, {"statuscode", code}, {"message", msg}}
	if withPaging {
		meta = append(meta, kv{"totalitems", ""}, kv{"itemsperpage", ""})
	}
	var b bytes.Buffer
	if format == "json" {
		writePHPJSON(&b, obj{{"ocs", obj{{"meta", meta}, {"data", data}}}})
		return b.Bytes()
	}
	b.WriteString("<?xml version=\"1.0\"?>\n<ocs>\n")
	writeXMLElement(&b, "meta", meta, 1)
	writeXMLElement(&b, "data", data, 1)
	b.WriteString("</ocs>\n")
	return b.Bytes()
}

// writeOCS writes a controller result with the v1 or v2 conventions.
func writeOCS(w http.ResponseWriter, ver int, format string, res ocsResult) {
	code := res.code
	if ver == 1 && code == ocsOK {
		code = 100
	}
	data := res.data
	if data == nil {
		data = obj{}
	}
	for k, v := range res.header {
		w.Header().Set(k, v)
	}
	writeBody(w, ocsHTTPStatus(ver, res.code), format, ocsBody(format, code, res.msg, data, ver == 1))
}

// writeBody sends an OCS body with its content type.
func writeBody(w http.ResponseWriter, status int, format string, body []byte) {
	ct := contentTypeXML
	if format == "json" {
		ct = contentTypeJSON
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

// writeWrongCredentials answers a failed Basic login on an OCS route: always
// XML on 27, whatever format was asked; in the format asked on 34.
func (s *Simulator) writeWrongCredentials(w http.ResponseWriter, r *http.Request, ver int) {
	if s.opts.Profile.JSONAuthErrors && legacyFormat(r) == "json" {
		w.Header().Set("WWW-Authenticate", `Basic realm="Authorisation Required"`)
		writeBody(w, http.StatusUnauthorized, "json", ocsBody("json", ocsUnauthorised, "Unauthorised", obj{}, ver == 1))
		return
	}
	w.Header().Set("WWW-Authenticate", `Basic realm="Authorisation Required"`)
	w.Header().Set("Content-Type", "text/xml; charset=UTF-8")
	w.WriteHeader(http.StatusUnauthorized)
	io.WriteString(w, wrongCredentialXML)
}

// writeJSONField answers {field: msg}.
func writeJSONField(w http.ResponseWriter, status int, field, msg string) {
	var b bytes.Buffer
	writePHPJSON(&b, obj{{field, msg}})
	w.Header().Set("Content-Type", contentTypeJSON)
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// writePlainJSON answers {"message": msg}, the shape of security middleware
// errors (CSRF, not logged in) outside the OCS envelope.
func writePlainJSON(w http.ResponseWriter, status int, msg string) {
	var b bytes.Buffer
	writePHPJSON(&b, obj{{"message", msg}})
	w.Header().Set("Content-Type", contentTypeJSON)
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	w.Write(b.Bytes())
}
