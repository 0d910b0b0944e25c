package simulator

import (
	"bufio"
	"encoding/json"
	"encoding/xml"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// servicesDir holds the exchanges recorded on a Nextcloud 34.0.1 for an
// association's calendar, address book, Team and Deck board (a copy of
// shared/nextcloud/nc34-services).
const servicesDir = "../testdata/nextcloud/nc34-services/recorded"

// servicesLoginPassword is the placeholder the recordings use for every
// login password, in Authorization headers and request bodies alike.
const servicesLoginPassword = "<LOGIN_PASSWORD>"

func loadServiceExchanges(t *testing.T) []exchange {
	t.Helper()
	f, err := os.Open(filepath.Join(servicesDir, "index.jsonl"))
	if err != nil {
		t.Fatalf("recordings are required for the services conformance test: %v", err)
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
	if len(out) != 179 {
		t.Fatalf("index.jsonl holds %d exchanges, the README says 179", len(out))
	}
	return out
}

var servicesAuthLine = regexp.MustCompile(`(?m)^Authorization: Basic <([^:>]*):([A-Z_]+)>\s*$`)

// servicesCredentials reads who made an exchange, and how, from its raw capture.
func servicesCredentials(t *testing.T, name string) (login, kind string, ok bool) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(servicesDir, name+".http"))
	if err != nil {
		t.Fatalf("raw capture of %s: %v", name, err)
	}
	head, _, _ := strings.Cut(string(raw), "--- response")
	m := servicesAuthLine.FindStringSubmatch(head)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// recordedID extracts the id a creation answered: OCS data.id (a Team) or a
// Deck board's id.
func recordedID(body string) string {
	var env struct {
		OCS struct {
			Data struct {
				ID json.RawMessage `json:"id"`
			} `json:"data"`
		} `json:"ocs"`
	}
	if json.Unmarshal([]byte(body), &env) == nil && len(env.OCS.Data.ID) > 0 {
		return strings.Trim(string(env.OCS.Data.ID), `"`)
	}
	var x struct {
		Data struct {
			ID string `xml:"id"`
		} `xml:"data"`
	}
	if xml.Unmarshal([]byte(body), &x) == nil {
		return x.Data.ID
	}
	return ""
}

// TestServicesConformance replays the 179 exchanges of nc34-services in
// order against one simulator, seeded like the recorded server (the apps of
// 34.0.1 with Deck, no Talk), and checks every HTTP status, OCS status code
// and OCS message, the traps included: a share with a missing group answers
// 200 and changes nothing, a calendar in the trash bin blocks its URI, Deck
// answers 500 to a repeated or dangling ACL and 403 to a missing board, a
// Local team refuses groups. Team ids differ from the recorded ones: each
// recorded id is replaced by the simulator's in later requests.
func TestServicesConformance(t *testing.T) {
	exchanges := loadServiceExchanges(t)
	sim := New(Options{AdminUser: "admin", AdminPassword: servicesLoginPassword, MailEnabled: true, Profile: Profile34()})
	t.Cleanup(sim.Close)
	appPassword := ""
	ids := map[string]string{} // recorded team id → the simulator's
	replace := func(s string) string {
		for rec, got := range ids {
			s = strings.ReplaceAll(s, rec, got)
		}
		return s
	}
	matched := 0
	for _, e := range exchanges {
		t.Run("replaying "+e.Name+" gives the recorded answer", func(t *testing.T) {
			req := httptest.NewRequest(e.Method, replace(e.Path), strings.NewReader(replace(deref(e.ReqBody))))
			for k, v := range e.ReqHeaders {
				req.Header.Set(k, replace(v))
			}
			if login, kind, ok := servicesCredentials(t, e.Name); ok {
				secret := map[string]string{"LOGIN_PASSWORD": servicesLoginPassword, "APP_PASSWORD": appPassword, "WRONG_PASSWORD": "wrong"}[kind]
				req.SetBasicAuth(login, secret)
			}
			rec := httptest.NewRecorder()
			sim.ServeHTTP(rec, req)
			got := rec.Body.String()
			if strings.Contains(e.Path, "getapppassword") && rec.Code == 200 {
				appPassword = appPassword0(got)
			}
			if id := recordedID(e.Body); len(id) == 31 && rec.Code == 200 && strings.Contains(e.Path, "/circles") && e.Method == "POST" && !strings.Contains(e.Path, "/members") {
				ids[id] = recordedID(got)
			}
			if sameAnswer(t, e.Status, e.Body, rec.Code, got, false) {
				matched++
			}
		})
	}
	t.Logf("services conformance: %d exchanges replayed, %d matched", len(exchanges), matched)
}

// appPassword0 extracts the token of a getapppassword answer.
func appPassword0(body string) string { return appPassword(body) }
