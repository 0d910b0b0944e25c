package simulator

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// recordedDir holds the exchanges recorded from a real Nextcloud 27.1
// (copied into the repository: tests never read outside it).
const recordedDir = "../testdata/nextcloud/nc27"

// recordedAdminPassword is the placeholder the recordings use for the
// administrator's password ("Authorization: Basic <admin:ADMIN-PASSWORD>").
const recordedAdminPassword = "ADMIN-PASSWORD"

// notImplemented lists the recorded routes the simulator deliberately does
// not serve, by route name (see routeName) with a one-line reason; exchanges
// on them are skipped. It is empty: every recorded route is implemented,
// including cloud/user/fields and the unknown OCS route of 95-gf-via-ocs-route.
var notImplemented = map[string]string{}

// exchange is one line of recorded/index.jsonl.
type exchange struct {
	Name       string            `json:"name"`
	Method     string            `json:"method"`
	Path       string            `json:"path"`
	User       *string           `json:"user"`
	Auth       string            `json:"auth"`
	ReqHeaders map[string]string `json:"req_headers"`
	ReqBody    *string           `json:"req_body"`
	Status     int               `json:"status"`
	Body       string            `json:"body"`
}

// loadExchanges reads index.jsonl in recording order; a missing directory
// fails the test.
func loadExchanges(t *testing.T) []exchange { return loadExchangesFrom(t, recordedDir) }

// loadExchangesFrom reads the index.jsonl of one recorded set.
func loadExchangesFrom(t *testing.T, dir string) []exchange {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "index.jsonl"))
	if err != nil {
		t.Fatalf("recordings are required for the conformance test: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	var out []exchange
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e exchange
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("index.jsonl: %v", err)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("index.jsonl: %v", err)
	}
	if len(out) == 0 {
		t.Fatal("index.jsonl holds no exchange")
	}
	return out
}

// authLine matches the placeholder form of Basic credentials in .http files.
var authLine = regexp.MustCompile(`(?m)^Authorization: Basic <([^:>]*):([^>]*)>\s*$`)

// recordedCredentials returns the login and secret an exchange was made
// with, read from its raw capture: index.jsonl summarises them in "auth",
// which is wrong for 72-getapppassword-with-apppassword (it used the app
// password). ok is false for an anonymous exchange.
func recordedCredentials(t *testing.T, e exchange) (login, secret string, ok bool) {
	t.Helper()
	return recordedCredentialsIn(t, recordedDir, e)
}

// recordedCredentialsIn reads an exchange's Basic credentials from the raw
// capture of one recorded set.
func recordedCredentialsIn(t *testing.T, dir string, e exchange) (login, secret string, ok bool) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, e.Name+".http"))
	if err != nil {
		t.Fatalf("raw capture of %s: %v", e.Name, err)
	}
	head, _, _ := strings.Cut(string(raw), "--- response")
	m := authLine.FindStringSubmatch(head)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// ocsStatus extracts the OCS meta statuscode of a JSON or XML body.
func ocsStatus(body string) (int, string, bool) {
	var j struct {
		OCS struct {
			Meta struct {
				StatusCode int    `json:"statuscode"`
				Message    string `json:"message"`
			} `json:"meta"`
		} `json:"ocs"`
	}
	if json.Unmarshal([]byte(body), &j) == nil && j.OCS.Meta.StatusCode != 0 {
		return j.OCS.Meta.StatusCode, j.OCS.Meta.Message, true
	}
	var x struct {
		XMLName xml.Name `xml:"ocs"`
		Meta    struct {
			StatusCode int    `xml:"statuscode"`
			Message    string `xml:"message"`
		} `xml:"meta"`
	}
	if xml.Unmarshal([]byte(body), &x) == nil && x.Meta.StatusCode != 0 {
		return x.Meta.StatusCode, x.Meta.Message, true
	}
	return 0, "", false
}

// appPassword extracts the token of a getapppassword answer.
func appPassword(body string) string {
	var j struct {
		OCS struct {
			Data struct {
				AppPassword string `json:"apppassword"`
			} `json:"data"`
		} `json:"ocs"`
	}
	if json.Unmarshal([]byte(body), &j) == nil && j.OCS.Data.AppPassword != "" {
		return j.OCS.Data.AppPassword
	}
	var x struct {
		Data struct {
			AppPassword string `xml:"apppassword"`
		} `xml:"data"`
	}
	xml.Unmarshal([]byte(body), &x)
	return x.Data.AppPassword
}

// TestConformance replays every recorded exchange, in order, against one
// simulator seeded like the recorded server, and checks the HTTP status, the
// OCS status code and the OCS message.
func TestConformance(t *testing.T) {
	exchanges := loadExchanges(t)
	sim := New(Options{AdminUser: "admin", AdminPassword: recordedAdminPassword, MailEnabled: true})
	t.Cleanup(sim.Close)
	issued := map[string]string{} // login → app password the simulator issued
	replayed, matched := 0, 0
	for _, e := range exchanges {
		req := httptest.NewRequest(e.Method, e.Path, nil)
		route := routeName(req)
		if reason, skip := notImplemented[route]; skip {
			t.Logf("skipping %s (%s): %s", e.Name, route, reason)
			continue
		}
		replayed++
		t.Run("replaying "+e.Name+" gives the recorded answer", func(t *testing.T) {
			req := httptest.NewRequest(e.Method, e.Path, strings.NewReader(deref(e.ReqBody)))
			for k, v := range e.ReqHeaders {
				req.Header.Set(k, v)
			}
			if login, secret, ok := recordedCredentials(t, e); ok {
				if secret == strings.ToUpper(login)+"-APP-PASSWORD" {
					secret = issued[strings.ToLower(login)]
				}
				req.SetBasicAuth(login, secret)
			}
			rec := httptest.NewRecorder()
			sim.ServeHTTP(rec, req)
			got := rec.Body.String()
			if strings.Contains(e.Path, "getapppassword") && rec.Code == http.StatusOK {
				if login, _, ok := recordedCredentials(t, e); ok {
					issued[strings.ToLower(login)] = appPassword(got)
				}
			}
			if sameAnswer(t, e.Status, e.Body, rec.Code, got, false) {
				matched++
			}
		})
	}
	t.Logf("conformance: %d exchanges recorded, %d replayed, %d matched, %d routes excluded", len(exchanges), replayed, matched, len(notImplemented))
	if matched != replayed {
		t.Errorf("%d of %d replayed exchanges differ from the recordings", replayed-matched, replayed)
	}
}

// TestConformanceBodyShapes replays the recordings again and compares the
// shape of each answer body with the recorded one: for JSON the keys, their
// order and the type of every value; for XML the element tree. Values that
// depend on time, ids or tokens are not compared.
func TestConformanceBodyShapes(t *testing.T) {
	exchanges := loadExchanges(t)
	sim := New(Options{AdminUser: "admin", AdminPassword: recordedAdminPassword, MailEnabled: true})
	t.Cleanup(sim.Close)
	issued := map[string]string{}
	for _, e := range exchanges {
		req := httptest.NewRequest(e.Method, e.Path, strings.NewReader(deref(e.ReqBody)))
		for k, v := range e.ReqHeaders {
			req.Header.Set(k, v)
		}
		login, secret, authed := recordedCredentials(t, e)
		if authed {
			if secret == strings.ToUpper(login)+"-APP-PASSWORD" {
				secret = issued[strings.ToLower(login)]
			}
			req.SetBasicAuth(login, secret)
		}
		rec := httptest.NewRecorder()
		sim.ServeHTTP(rec, req)
		got := rec.Body.String()
		if strings.Contains(e.Path, "getapppassword") && rec.Code == http.StatusOK && authed {
			issued[strings.ToLower(login)] = appPassword(got)
		}
		if _, skip := notImplemented[routeName(req)]; skip {
			continue
		}
		want, have := bodyShape(e.Body), bodyShape(got)
		if want != have {
			t.Errorf("%s: body shape differs\nrecorded: %s\nsimulator: %s", e.Name, want, have)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// bodyShape summarises a body: JSON keys and value types, or the XML element
// tree with hrefs; other bodies by their length class (empty or not).
func bodyShape(body string) string {
	body = strings.TrimSpace(body)
	if body == "" {
		return "empty"
	}
	if strings.HasPrefix(body, "{") || strings.HasPrefix(body, "[") {
		v, err := decodeOrdered(strings.NewReader(body))
		if err == nil {
			var b strings.Builder
			jsonShape(&b, v)
			return b.String()
		}
	}
	if strings.HasPrefix(body, "<") {
		var b strings.Builder
		dec := xml.NewDecoder(strings.NewReader(body))
		inHref := false
		for {
			tok, err := dec.Token()
			if err != nil {
				break
			}
			switch t := tok.(type) {
			case xml.StartElement:
				b.WriteString("<" + t.Name.Local)
				inHref = t.Name.Local == "href"
			case xml.EndElement:
				b.WriteString(">")
				inHref = false
			case xml.CharData:
				if inHref {
					b.Write(bytes.TrimSpace(t))
				}
			}
		}
		return b.String()
	}
	return "text"
}

// jsonShape writes the structure of a decoded JSON value.
func jsonShape(b *strings.Builder, v any) {
	switch t := v.(type) {
	case obj:
		b.WriteString("{")
		for _, e := range t {
			b.WriteString(e.k + ":")
			jsonShape(b, e.v)
			b.WriteString(",")
		}
		b.WriteString("}")
	case []any:
		b.WriteString("[")
		for _, e := range t {
			jsonShape(b, e)
			b.WriteString(",")
		}
		b.WriteString("]")
	case string:
		b.WriteString("s")
	case json.Number:
		b.WriteString("n")
	case bool:
		b.WriteString("b")
	case nil:
		b.WriteString("null")
	}
}

// sameAnswer compares a replayed answer with the recorded one, failing t
// for each difference: the HTTP status, then the OCS status code and
// message, or, when plain is set and the body is no OCS document, the
// message of a plain or XML error body.
func sameAnswer(t *testing.T, wantStatus int, wantBody string, gotStatus int, got string, plain bool) bool {
	t.Helper()
	ok := true
	if gotStatus != wantStatus {
		t.Errorf("HTTP status: got %d, recorded %d; body %.300s", gotStatus, wantStatus, got)
		ok = false
	}
	if wantCode, wantMsg, isOCS := ocsStatus(wantBody); isOCS {
		gotCode, gotMsg, _ := ocsStatus(got)
		if gotCode != wantCode {
			t.Errorf("OCS statuscode: got %d, recorded %d; body %.300s", gotCode, wantCode, got)
			ok = false
		}
		if gotMsg != wantMsg {
			t.Errorf("OCS message: got %q, recorded %q", gotMsg, wantMsg)
			ok = false
		}
	} else if want := plainMessage(wantBody); plain && want != "" && plainMessage(got) != want {
		t.Errorf("message: got %.200q, recorded %q", got, want)
		ok = false
	}
	return ok
}
