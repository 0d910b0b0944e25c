package server_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/mail"
	"archipel/onboarding"
	"archipel/provisioning"
	"archipel/provisioning/nextcloud"
	"archipel/provisioning/simulator"
)

// reqAnswers are complete answers choosing a host by its slug, for an
// association of that name; no legal id, so that several requests do not
// look like duplicates.
func reqAnswers(email, name, host string) map[string]url.Values {
	answers := validAnswers(email)
	answers["association"].Set("name", name)
	answers["association"].Set("legal_id", "")
	answers["hebergeur"] = url.Values{"host": {host}, "contribution": {"free"}}
	return answers
}

// reqSubmit sends a request to L'Île numérique (h-lyon) through the
// guided flow in lang; it returns the association's browser and the
// request's id.
func (a *testApp) reqSubmit(lang, email, name string) (*browser, string) {
	a.t.Helper()
	b := adminSubmitRequest(a.t, a, lang, reqAnswers(email, name, "ile-numerique"))
	id, host, _ := a.requestOf(email)
	if host != "h-lyon" {
		a.t.Fatalf("request of %s went to host %q", email, host)
	}
	return b, id
}

// reqConnect connects a host to a fresh simulated Nextcloud, as an operator
// would: with an app password obtained from the administrator's login. The
// host's contact address becomes contact@<host>.example.
func (a *testApp) reqConnect(hostID string) *simulator.Simulator {
	a.t.Helper()
	ctx := context.Background()
	sim := simulator.New(simulator.Options{AdminPassword: "admin-password-for-tests", MailEnabled: true})
	srv := httptest.NewServer(sim)
	a.t.Cleanup(srv.Close)
	a.t.Cleanup(sim.Close)
	c, err := nextcloud.New(nextcloud.Config{BaseURL: srv.URL})
	if err != nil {
		a.t.Fatal(err)
	}
	appPassword, err := c.AppPasswordFromLogin(ctx, simulator.DefaultAdminUser, "admin-password-for-tests")
	if err != nil {
		a.t.Fatalf("app password: %v", err)
	}
	if err := a.Hosts.SetConnection(ctx, &accounts.User{Role: accounts.RoleAdmin}, hostID, srv.URL, simulator.DefaultAdminUser, appPassword, provisioning.CredentialAppPassword); err != nil {
		a.t.Fatalf("set connection: %v", err)
	}
	if _, err := a.DB.ExecContext(ctx, `UPDATE hosts SET contact_email = $1 WHERE id = $2`, "contact@"+hostID+".example", hostID); err != nil {
		a.t.Fatal(err)
	}
	return sim
}

// reqRunDue runs the provisioning jobs that are due, as the service's
// engine would.
func (a *testApp) reqRunDue() {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a.Engine.RunDue(ctx)
}

// reqVersion is the request version a decision form carries.
func reqVersion(t *testing.T, res *response) string {
	t.Helper()
	v, ok := res.Doc.Find(`form input[name="version"]`).Attr("value")
	if !ok || v == "" {
		t.Fatalf("no version in the form:\n%s", adminText(res, "main"))
	}
	return v
}

// reqParis is Europe/Paris, the time zone interview times are typed in.
var reqParis, _ = time.LoadLocation("Europe/Paris")

// reqSlot is an interview slot days ahead at 14:30 in Paris, as typed.
func reqSlot(days int) (date, clock string, start time.Time) {
	d := time.Now().In(reqParis).AddDate(0, 0, days)
	start = time.Date(d.Year(), d.Month(), d.Day(), 14, 30, 0, 0, reqParis)
	return start.Format("02/01/2006"), "14:30", start
}

// reqMailsTagged returns the e-mails sent to addr by one template.
func (a *testApp) reqMailsTagged(addr, tag string) []mail.Parsed {
	a.t.Helper()
	var out []mail.Parsed
	for _, m := range a.mails(addr) {
		if m.Tag == tag {
			out = append(out, m)
		}
	}
	return out
}

// reqICS returns the properties of an e-mail's calendar invitation,
// unfolded, failing unless lines end in CRLF and fit in 75 octets.
func reqICS(t *testing.T, m mail.Parsed) map[string]string {
	t.Helper()
	var data []byte
	for _, att := range m.Attachments {
		if strings.HasPrefix(att.ContentType, "text/calendar") {
			if !strings.Contains(att.ContentType, "method=REQUEST") {
				t.Errorf("content type %q", att.ContentType)
			}
			data = att.Data
		}
	}
	if data == nil {
		t.Fatalf("no calendar attached to %q", m.Subject)
	}
	raw := string(data)
	if !strings.HasSuffix(raw, "\r\n") || strings.Contains(strings.ReplaceAll(raw, "\r\n", ""), "\n") {
		t.Fatalf("lines do not all end with CRLF: %q", raw)
	}
	props := map[string]string{}
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(raw, "\r\n"), "\r\n") {
		if len(l) > 75 {
			t.Errorf("line of %d octets: %q", len(l), l)
		}
		if strings.HasPrefix(l, " ") {
			lines[len(lines)-1] += l[1:]
			continue
		}
		lines = append(lines, l)
	}
	for _, l := range lines {
		head, v, _ := strings.Cut(l, ":")
		name, params, _ := strings.Cut(head, ";")
		if name == "BEGIN" || name == "END" {
			props[name+":"+v] = "yes"
			continue
		}
		if _, seen := props[name]; !seen {
			props[name] = v
			if params != "" {
				props[name+";"] = params
			}
		}
	}
	return props
}

// reqStatus reads a request's status from the database.
func (a *testApp) reqStatus(id string) onboarding.Status {
	a.t.Helper()
	var st onboarding.Status
	if err := a.DB.QueryRowContext(context.Background(), `SELECT status FROM applications WHERE id = $1`, id).Scan(&st); err != nil {
		a.t.Fatal(err)
	}
	return st
}

// reqCount counts rows of a query.
func (a *testApp) reqCount(query string, args ...any) int {
	a.t.Helper()
	var n int
	if err := a.DB.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		a.t.Fatal(err)
	}
	return n
}

// reqExpect is adminExpect for the request pages.
func reqExpect(t *testing.T, res *response, status int, location string) {
	t.Helper()
	adminExpect(t, res, status, location)
}
