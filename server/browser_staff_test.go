package server_test

// The staff browser test walks, in headless Chromium without JavaScript and
// with the keyboard only, what staff, trainers, administrators and the
// association do after a request is sent: a new host is added and connected
// to a simulated Nextcloud, its staff member reviews the request, plans the
// interview and approves it, the workspace is provisioned; the case is
// accompanied (a session, a check-in answered from its e-mail, usage read
// from Nextcloud) and closed; its story is published on the showcase with
// the association's consent, then withdrawn. Every page goes through the
// checks of browser_test.go: axe-core's WCAG 2.1 A and AA rules (on a copy
// in a tab with script), the page's weight and its origin.

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"archipel/accounts"
	"archipel/mail"
	"archipel/onboarding"
	"archipel/provisioning"
	"archipel/provisioning/nextcloud"
	"archipel/provisioning/simulator"
	"archipel/server"
	"archipel/training"
)

// chromeStaffPassword is the password every account of the journey chooses.
const chromeStaffPassword = "une phrase de passe pour le navigateur"

var (
	chromeStaffInviteRe  = regexp.MustCompile(`/staff/invitation/[A-Za-z0-9_-]+`)
	chromeStaffConsentRe = regexp.MustCompile(`/showcase/consent/[A-Za-z0-9_-]+\?lang=(?:fr|en)`)
)

// chromeStaffJourney is what the three parts of the journey share.
type chromeStaffJourney struct {
	app    *testApp
	admin  *chromeTab // the administrator's browser
	staff  *chromeTab // the new host's staff member's browser
	assoc  *chromeTab // the association's browser
	sim    *simulator.Simulator
	simURL string
	disp   *training.Dispatcher

	hostID, hostName, hostSlug string
	staffEmail                 string
	assocEmail, assocName      string
	requestID                  string
	caseID                     string
	entryID                    string
	account                    string // the association's Nextcloud account
}

// TestBrowserStaffJourneys walks the staff workspace, the accompaniment and
// the showcase in French, without JavaScript, pressing keys only.
func TestBrowserStaffJourneys(t *testing.T) {
	execPath, axe := chromeTools(t)
	app := newTestApp(t)
	// As "archipel demo" does: the administrator may make time pass.
	app.Training.EnableDemo()
	opts := chromeOptions{JavaScript: false, Lang: "fr-FR,fr", Width: 1280, Height: 900}
	j := &chromeStaffJourney{app: app,
		admin:    chromeStart(t, app.Server.URL, execPath, axe, opts),
		staff:    chromeStart(t, app.Server.URL, execPath, axe, opts),
		assoc:    chromeStart(t, app.Server.URL, execPath, axe, opts),
		hostName: "Kreiz Breizh Numérique", hostSlug: "kreiz-breizh",
		staffEmail: "morgane@kreiz-breizh.example",
		assocEmail: "contact@chorale-brest.example", assocName: "Chorale des Abers",
	}
	j.sim, j.simURL = chromeStaffSimulator(t)
	logger := slog.New(slog.NewTextHandler(app.Logs, nil))
	// The dispatcher is not running in the test app: it ticks when told,
	// on the store's clock, reading usage as the service's does.
	j.disp = training.NewDispatcher(app.Training, app.Postman,
		training.NewUsageReader(app.Training, app.Hosts, logger), logger,
		training.DispatcherOptions{BaseURL: app.Server.URL, Worker: "browser-staff-test"})

	for _, part := range []struct {
		name string
		walk func(t *testing.T)
	}{
		{"an administrator adds a host and its staff member turns a request into a workspace", j.workspace},
		{"the case is accompanied, checked in with and closed as a success", j.accompaniment},
		{"the association consents to its story on the showcase, then withdraws it", j.showcase},
	} {
		ok := t.Run(part.name, func(t *testing.T) {
			for _, tab := range []*chromeTab{j.admin, j.staff, j.assoc} {
				tab.t = t
			}
			part.walk(t)
		})
		for _, tab := range []*chromeTab{j.admin, j.staff, j.assoc} {
			tab.t = t
		}
		if !ok {
			break
		}
	}
	chromeStaffReport(t, j.admin, j.staff, j.assoc)
}

// chromeStaffSimulator starts a simulated Nextcloud on its own address.
func chromeStaffSimulator(t *testing.T) (*simulator.Simulator, string) {
	t.Helper()
	sim := simulator.New(simulator.Options{AdminPassword: "admin-password-for-tests", MailEnabled: true})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	return sim, srv.URL
}

// workspace is part 1: the staff workspace, from a new host to a
// provisioned workspace.
func (j *chromeStaffJourney) workspace(t *testing.T) {
	app, admin, staff := j.app, j.admin, j.staff
	ctx := context.Background()

	// The first administrator, as "archipel user add" makes one.
	u, err := app.Accounts.Create(ctx, accounts.NewUser{Email: "admin@archipel.example", Name: "Claude Admin", Role: accounts.RoleAdmin, Language: "fr"})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Accounts.SetPassword(ctx, u, chromeStaffPassword); err != nil {
		t.Fatal(err)
	}
	admin.open("login", admin.origin+"/staff/login", "/staff/login", 200)
	admin.fill("email", u.Email)
	admin.fill("password", "pas le bon mot de passe")
	doc := admin.submit("/staff/login", "login, refused", "/staff/login", http.StatusUnauthorized)
	if doc.Find(".error-summary").Length() != 1 {
		t.Errorf("a refused login says nothing")
	}
	if v := doc.Find("#f-email").AttrOr("value", ""); v != u.Email {
		t.Errorf("the refused login lost the address: %q", v)
	}
	admin.fill("password", chromeStaffPassword)
	admin.submit("/staff/login", "staff home, administrator", "/staff", 200)

	// A second host: its settings, refused empty, then filled in.
	admin.follow(`nav a[href="/staff/admin/hosts"]`, "hosts", "/staff/admin/hosts")
	admin.follow(`main a[href="/staff/admin/hosts/new"]`, "new host", "/staff/admin/hosts/new")
	doc = admin.submit("/staff/admin/hosts/new", "new host, errors", "/staff/admin/hosts/new", http.StatusBadRequest)
	chromeErrors(t, doc, "host form", "host_name", "host_slug", "host_contact_email", "host_departements")
	admin.fill("host_name", j.hostName)
	admin.fill("host_slug", j.hostSlug)
	admin.fill("host_contact_email", "contact@kreiz-breizh.example")
	admin.tabTo("#f-host_region")
	admin.key("Bretagne")
	if !admin.matches(`#f-host_region option[value="Bretagne"]:checked`) {
		t.Fatalf("typing Bretagne in the region list did not select it")
	}
	admin.fill("host_departements", "29, 22")
	admin.tick("f-host_services-1") // calendars; files is ticked already
	admin.tick("f-host_services-3") // video
	admin.tabTo(`form[action="/staff/admin/hosts/new"] button[type=submit]`)
	doc, path := chromeStaffPress(admin, "host, created", "/staff/admin/hosts/", 200)
	j.hostID = strings.TrimPrefix(path, "/staff/admin/hosts/")
	if got := strings.TrimSpace(doc.Find("h1").Text()); got != j.hostName {
		t.Errorf("the new host's page is titled %q", got)
	}

	// Its Nextcloud connection, with an app password the host's
	// administrator made in Nextcloud's settings.
	nc, err := nextcloud.New(nextcloud.Config{BaseURL: j.simURL})
	if err != nil {
		t.Fatal(err)
	}
	appPassword, err := nc.AppPasswordFromLogin(ctx, simulator.DefaultAdminUser, "admin-password-for-tests")
	if err != nil {
		t.Fatalf("app password: %v", err)
	}
	connection := "/staff/admin/hosts/" + j.hostID + "/connection"
	admin.follow(`main a[href="`+connection+`"]`, "connection", connection)
	admin.fill("nc_url", j.simURL)
	admin.fill("nc_user", simulator.DefaultAdminUser)
	admin.fill("nc_password", appPassword)
	doc = admin.submit(connection, "connection, saved", connection, 200)
	if doc.Find(".notice").Length() != 1 {
		t.Errorf("saving the connection says nothing")
	}
	check := "/staff/admin/hosts/" + j.hostID + "/check"
	doc = admin.submit(check, "connection, tested", check, 200)
	if got, want := chromeStaffText(doc, `[role="status"]`), adminT(t, "fr", "check.ready"); !strings.Contains(got, want) {
		t.Fatalf("the connection test says %q, want %q", got, want)
	}

	// The host's staff member is invited.
	admin.follow(`nav a[href="/staff/admin/users"]`, "users", "/staff/admin/users")
	admin.fill("user_email", j.staffEmail)
	admin.fill("user_name", "Morgane Le Goff")
	if !admin.matches(`#f-user_role-1:checked`) { // staff, the default
		t.Errorf("inviting offers another role than staff first")
	}
	admin.tabTo("#f-user_host")
	admin.key("Kreiz")
	if !admin.matches(fmt.Sprintf(`#f-user_host option[value=%q]:checked`, j.hostID)) {
		t.Fatalf("typing the host's name did not select it")
	}
	doc = admin.submit("/staff/admin/users", "users, invited", "/staff/admin/users", 200)
	if !strings.Contains(chromeStaffText(doc, "table"), j.staffEmail) {
		t.Errorf("the invited account is not listed")
	}

	// An association of Finistère asks for files and video: only the new
	// host serves it.
	answers := validAnswers(j.assocEmail)
	a := answers["association"]
	a.Set("name", j.assocName)
	a.Set("legal_id", "")
	a.Set("postcode", "29200")
	a.Set("town", "Brest")
	a.Set("sector", "culture")
	answers["besoins"].Set("services", "files")
	answers["besoins"].Add("services", "video")
	adminSubmitRequest(t, app, "fr", answers)
	id, hostID, reason := app.requestOf(j.assocEmail)
	if hostID != j.hostID {
		t.Fatalf("the request went to host %q (%s), want %s", hostID, reason, j.hostID)
	}
	j.requestID = id

	// The staff member chooses a password from the invitation and signs in.
	invite := ""
	for _, m := range app.mails(j.staffEmail) {
		if p := chromeStaffInviteRe.FindString(m.Text); p != "" {
			invite = p
		}
	}
	if invite == "" {
		t.Fatalf("no invitation e-mailed to %s", j.staffEmail)
	}
	staff.open("invitation", staff.origin+invite, invite, 200)
	staff.fill("password", chromeStaffPassword)
	staff.fill("password_confirm", chromeStaffPassword)
	staff.submit(invite, "login, password chosen", "/staff/login", 200)
	staff.fill("email", j.staffEmail)
	staff.fill("password", chromeStaffPassword)
	staff.submit("/staff/login", "staff home", "/staff", 200)
	// Which notifications the staff member gets, and in which language.
	staff.follow(`nav a[href="/staff/notifications"]`, "notification settings", "/staff/notifications")
	doc = staff.submit("/staff/notifications", "notification settings, saved", "/staff/notifications", 200)
	if doc.Find(".notice").Length() != 1 {
		t.Errorf("saving the notification settings said nothing")
	}

	// The queue, the request, the interview.
	page := "/staff/requests/" + j.requestID
	staff.follow(`nav a[href="/staff/requests"]`, "queue", "/staff/requests")
	staff.follow(`table a[href="`+page+`"]`, "request", page)
	staff.follow(`main a[href="`+page+`/interview"]`, "interview", page+"/interview")
	doc = staff.submit(page+"/interview", "interview, errors", page+"/interview", http.StatusBadRequest)
	chromeErrors(t, doc, "interview form", "interview_date", "interview_time", "interview_mode")
	_, _, start := reqSlot(6)
	chromeStaffTypeWhen(staff, "f-interview_date", start)
	chromeStaffTypeWhen(staff, "f-interview_time", start)
	staff.tabTo(`input[name="interview_mode"]`) // no mode ticked: the group is entered on its first
	staff.arrowTo("f-interview_mode-1", kb.ArrowDown)
	staff.fill("interview_link", "https://visio.kreiz-breizh.example/chorale")
	doc = staff.submit(page+"/interview", "request, interview planned", page, 200)
	if got := chromeStaffText(doc, "#interview ~ dl"); !strings.Contains(got, "https://visio.kreiz-breizh.example/chorale") {
		t.Errorf("the request does not show the interview: %q", got)
	}
	if len(app.reqMailsTagged(j.assocEmail, "interview_planned")) != 1 {
		t.Errorf("the association was not invited to the interview")
	}

	// The interview guide's notes.
	staff.follow(`#interview ~ p a[href="`+page+`/interview"]`, "interview, planned", page+"/interview")
	staff.fill("guide_activity", "Chorale de 40 voix, concerts dans le Finistère nord")
	staff.fill("guide_data", "3 Go de partitions sur des clés USB")
	doc = staff.submit(page+"/interview/guide", "interview, notes saved", page+"/interview", 200)
	if got := doc.Find("#f-guide_data").Text(); got != "3 Go de partitions sur des clés USB" {
		t.Errorf("the guide's notes are %q", got)
	}

	// Approval with the plan the form proposes.
	staff.follow(`a.back-link[href="`+page+`"]`, "request, interviewed", page)
	doc = staff.follow(`main a[href="`+page+`/approve"]`, "approve", page+"/approve")
	if q := doc.Find("#f-quota_gb").AttrOr("value", ""); q != "20" {
		t.Errorf("the quota proposed is %q, want what the association asked (20)", q)
	}
	doc = staff.submit(page+"/approve", "request, approved", page, 200)
	if doc.Find(".notice").Length() != 1 || app.reqStatus(j.requestID) != onboarding.StatusApproved {
		t.Fatalf("the approval did not go through: %s", app.reqStatus(j.requestID))
	}

	// The engine is not running in the test app: its jobs run now.
	app.reqRunDue()
	doc = staff.open("request, provisioned", staff.origin+page, page, 200)
	rows := doc.Find("#provisioning ~ table").First().Find("tbody tr")
	// Every step of the plan is shown, in the plan's order (the services
	// add theirs to provisioning.StepNames), each done.
	if rows.Length() != len(provisioning.StepNames) {
		t.Fatalf("%d provisioning steps shown, want %d (%v)\n%s", rows.Length(), len(provisioning.StepNames), provisioning.StepNames, app.Logs.String())
	}
	rows.Each(func(i int, row *goquery.Selection) {
		if name, want := strings.TrimSpace(row.Find("td").First().Text()), adminT(t, "fr", "prov.step."+provisioning.StepNames[i]); name != want {
			t.Errorf("step %d is %q, want %q", i+1, name, want)
		}
		if state := strings.TrimSpace(row.Find("td").Eq(1).Text()); state != adminT(t, "fr", "prov.state.done") {
			t.Errorf("step %q is %q", strings.TrimSpace(row.Find("td").First().Text()), state)
		}
	})
	ws := doc.Find("#workspace ~ dl").First().Find(".summary-row dd")
	j.account = strings.TrimSpace(ws.Eq(1).Text())
	group, folder := strings.TrimSpace(ws.Eq(2).Text()), strings.TrimSpace(ws.Eq(3).Text())
	staff.screenshots("staff-request")

	state := j.sim.Snapshot()
	if !slices.ContainsFunc(state.Groups, func(g simulator.Group) bool {
		return g.ID == group && g.DisplayName == j.assocName && slices.Contains(g.Members, j.account)
	}) {
		t.Errorf("no group %q named %q with %q on the host: %+v", group, j.assocName, j.account, state.Groups)
	}
	if !slices.ContainsFunc(state.Users, func(u simulator.User) bool {
		return strings.EqualFold(u.ID, j.account) && u.Email == j.assocEmail && u.Enabled
	}) {
		t.Errorf("no account %q for %s on the host: %+v", j.account, j.assocEmail, state.Users)
	}
	if !slices.ContainsFunc(state.GroupFolders, func(f simulator.GroupFolder) bool {
		_, shared := f.Groups[group]
		return f.MountPoint == folder && shared && f.Quota == 20<<30
	}) {
		t.Errorf("no group folder %q of 20 GB for %q: %+v", folder, group, state.GroupFolders)
	}
	// The mail server refuses for a while: the administrator sees what
	// keeps failing, then it goes.
	app.Outbox.Down(true)
	var failing []mail.Queued
	for round := 0; len(failing) == 0; round++ {
		if round == 100 {
			t.Fatal("no e-mail failed 3 times in 100 rounds")
		}
		if _, err := app.Outbox.Queue.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		var err error
		if failing, err = app.Outbox.Queue.Failing(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	doc = admin.follow(`nav a[href="/staff/admin/mail"]`, "mail queue, failing", "/staff/admin/mail")
	if !strings.Contains(chromeStaffText(doc, "table"), failing[0].To) {
		t.Errorf("the mail page does not list the e-mail to %s that keeps failing", failing[0].To)
	}
	app.Outbox.Down(false)
}

// accompaniment is part 2: the case on the board, a session, a check-in
// answered, usage read, the case closed.
func (j *chromeStaffJourney) accompaniment(t *testing.T) {
	app, admin, staff, assoc := j.app, j.admin, j.staff, j.assoc
	ctx := context.Background()
	// The dispatcher's tick opens a case for the ready workspace.
	if r := j.tick(t); r.Opened != 1 {
		t.Fatalf("the tick opened %d cases", r.Opened)
	}
	c, err := app.Training.ByApplication(ctx, j.requestID)
	if err != nil {
		t.Fatal(err)
	}
	j.caseID = c.ID
	casePage := "/staff/cases/" + c.ID

	staff.follow(`nav a[href="/staff/cases"]`, "cases dashboard", "/staff/cases")
	doc := staff.follow(`main a[href="/staff/cases/board"]`, "board", "/staff/cases/board")
	if doc.Find(`table a[href="`+casePage+`"]`).Length() != 1 {
		t.Fatalf("the case is not on the board:\n%s", chromeStaffText(doc, "main"))
	}
	staff.screenshots("staff-board")
	staff.follow(`table a[href="`+casePage+`"]`, "case", casePage)

	// The staff member follows the case as its trainer.
	staff.tick("f-trainers-0")
	doc = staff.submit(casePage+"/trainers", "case, trainer assigned", casePage, 200)
	if !strings.Contains(chromeStaffText(doc, "#trainers + p"), "Morgane Le Goff") {
		t.Errorf("the trainer is not shown: %q", chromeStaffText(doc, "#trainers + p"))
	}

	// A session, refused empty, then logged.
	newSession := casePage + "/sessions/new"
	staff.follow(`main a[href="`+newSession+`"]`, "session", newSession)
	doc = staff.submit(casePage+"/sessions", "session, errors", casePage+"/sessions", http.StatusBadRequest)
	chromeErrors(t, doc, "session form", "session_date", "session_time")
	// It took place an hour ago.
	at := time.Now().In(training.Paris).Add(-time.Hour).Truncate(time.Minute)
	chromeStaffTypeWhen(staff, "f-session_date", at)
	chromeStaffTypeWhen(staff, "f-session_time", at)
	// 90 minutes at a distance are proposed; this one was on site.
	staff.tabTo(`input[name="session_format"]`) // a group is entered on its ticked radio
	staff.arrowTo("f-session_format-1", kb.ArrowDown)
	staff.tick("f-session_topics-0")
	staff.fill("session_attendees", "6")
	staff.fill("session_next_steps", "Ranger les partitions dans le dossier partagé")
	doc = staff.submit(casePage+"/sessions", "case, session logged", casePage, 200)
	if got := chromeStaffText(doc, "#sessions + table"); !strings.Contains(got, "Ranger les partitions") {
		t.Fatalf("the session is not listed: %q\n%s", got, chromeStaffText(doc, ".error-summary"))
	}

	// A week passes (the demo's button), the dispatcher sends the 7-day
	// check-in, and the association's account logged in meanwhile.
	admin.follow(`nav a[href="/staff/cases"]`, "cases dashboard, administrator", "/staff/cases")
	doc = admin.submit("/staff/admin/demo/advance", "cases dashboard, a week later", "/staff/cases", 200)
	if doc.Find(".notice").Length() != 1 {
		t.Errorf("making time pass says nothing")
	}
	loggedIn := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	if err := j.sim.TouchLogin(j.account, loggedIn); err != nil {
		t.Fatal(err)
	}
	if r := j.tick(t); r.Sent != 1 {
		t.Fatalf("the tick sent %d check-ins, want 1", r.Sent)
	}
	link := app.caseLink(j.assocEmail)

	// The association answers from the e-mail's link.
	doc = assoc.open("check-in", assoc.origin+link, link, 200)
	if doc.Find(`input[name="checkin_rating"]`).Length() != 5 {
		t.Fatalf("the check-in offers no rating")
	}
	assoc.tabTo(`input[name="checkin_rating"]`)
	assoc.arrowTo("f-checkin_rating-3", kb.ArrowDown) // 4 out of 5
	assoc.fill("checkin_works", "Les partitions sont enfin au même endroit")
	assoc.tick("f-checkin_help-1") // a training
	doc = assoc.submit(link, "check-in, answered", link, 200)
	if got := chromeStaffText(doc, "main"); !strings.Contains(got, adminT(t, "fr", "notice.checkin_thanks")) {
		t.Errorf("the answered check-in says %q", got)
	}
	if len(app.reqMailsTagged(j.staffEmail, "checkin_answered")) != 1 {
		t.Errorf("the trainer did not hear of the answer")
	}

	// The case shows the answer and the usage read from Nextcloud.
	doc = staff.open("case, checked in", staff.origin+casePage, casePage, 200)
	if got := chromeStaffText(doc, "#checkins + ul"); !strings.Contains(got, "Les partitions sont enfin au même endroit") {
		t.Errorf("the case does not show the answer: %q", got)
	}
	if got := doc.Find(`#usage ~ dl time`).AttrOr("datetime", ""); got != loggedIn.Format(time.RFC3339) {
		t.Errorf("the case shows the last login at %q, want %s read from Nextcloud: %q", got, loggedIn.Format(time.RFC3339),
			chromeStaffText(doc, "#usage ~ dl"))
	}

	// The trainer closes the case as a success.
	staff.follow(`main a[href="`+casePage+`/close"]`, "close", casePage+"/close")
	staff.tick("f-close_outcome-0") // success
	staff.fill("close_note", "Autonomes sur les fichiers et la visio")
	doc = staff.submit(casePage+"/close", "case, closed", casePage, 200)
	if doc.Find(`#showcase a[href="`+casePage+`/showcase"]`).Length() != 1 {
		t.Fatalf("the closed case does not offer the showcase")
	}
	if got, _ := app.Training.Get(ctx, j.caseID); got.Stage != training.StageClosed || got.Outcome != training.OutcomeSuccess {
		t.Errorf("the case is %s (%s)", got.Stage, got.Outcome)
	}
}

// showcase is part 3: the story drafted, consented to, published, then
// withdrawn.
func (j *chromeStaffJourney) showcase(t *testing.T) {
	app, staff, assoc := j.app, j.staff, j.assoc
	casePage := "/staff/cases/" + j.caseID
	draft := casePage + "/showcase"
	doc := staff.follow(`#showcase a[href="`+draft+`"]`, "showcase draft", draft)
	if v := doc.Find("#f-showcase_name").AttrOr("value", ""); v != j.assocName {
		t.Errorf("the draft's name is %q", v)
	}
	story := "Nos partitions dormaient sur trois clés USB. Aujourd'hui tout le chœur les retrouve dans un espace partagé."
	staff.fill("showcase_story", story)
	staff.fill("showcase_quote", "Enfin toutes les voix au même endroit.")
	doc = staff.submit(draft, "showcase draft, saved", draft, 200)
	if doc.Find(".notice").Length() != 1 {
		t.Errorf("saving the draft says nothing")
	}
	doc = staff.submit(draft+"/ask", "showcase draft, consent asked", draft, 200)
	if doc.Find(".notice").Length() != 1 {
		t.Errorf("asking consent says nothing")
	}
	entry, err := training.NewShowcase(app.DB, nil).ForCase(context.Background(), j.caseID)
	if err != nil {
		t.Fatal(err)
	}
	j.entryID = entry.ID
	public := "/showcase/" + entry.ID
	if got := j.surfaces(t); slices.Contains(got, true) {
		t.Errorf("waiting for consent, the entry is public: on /showcase, feed, API: %v", got)
	}

	// The association reads the text from the e-mail's link and consents.
	link := ""
	for _, m := range app.mails(j.assocEmail) {
		if m.Tag == "showcase_consent" {
			link = chromeStaffConsentRe.FindString(m.Text)
		}
	}
	if link == "" {
		t.Fatalf("no consent link e-mailed to %s", j.assocEmail)
	}
	consent, _, _ := strings.Cut(link, "?")
	doc = assoc.open("consent", assoc.origin+link, consent, 200)
	if !strings.Contains(chromeStaffText(doc, "main"), "trois clés USB") {
		t.Errorf("the consent page does not show the story")
	}
	doc = assoc.submit(consent, "consent, given", consent, 200)
	if doc.Find(".notice").Length() != 1 {
		t.Errorf("consenting says nothing")
	}
	doc = assoc.follow(`main a[href="`+public+`"]`, "showcase entry", public)
	if !strings.Contains(chromeStaffText(doc, "main"), "Enfin toutes les voix au même endroit.") {
		t.Errorf("the published entry lacks the quote")
	}
	doc = assoc.follow(`a.back-link[href="/showcase"]`, "showcase", "/showcase")
	assoc.screenshots("showcase")
	if got := j.surfaces(t); !slices.Equal(got, []bool{true, true, true}) {
		t.Errorf("once consented, the entry is on /showcase, feed, API: %v, want all", got)
	}
	assoc.follow(`main nav a[href="/hosts"]`, "hosts", "/hosts")
	doc = assoc.follow(`main nav a[href="/figures"]`, "figures", "/figures")
	if doc.Find("main table").Length() == 0 {
		t.Errorf("the figures show no table")
	}

	// The association withdraws: the entry is gone everywhere.
	assoc.open("consent, published", assoc.origin+link, consent, 200)
	assoc.tabTo(`form[action="` + consent + `"] button.warning[type=submit]`)
	doc = assoc.press("consent, withdrawn", kb.Enter, consent, 200)
	if doc.Find(".notice").Length() != 1 {
		t.Errorf("withdrawing says nothing")
	}
	assoc.open("showcase entry, withdrawn", assoc.origin+public, public, http.StatusNotFound)
	doc = assoc.open("showcase, after withdrawal", assoc.origin+"/showcase", "/showcase", 200)
	if doc.Find(`a[href="`+public+`"]`).Length() != 0 {
		t.Errorf("the showcase still links to the withdrawn entry")
	}
	if got := j.surfaces(t); slices.Contains(got, true) {
		t.Errorf("after withdrawal, the entry is on /showcase, feed, API: %v", got)
	}
	staff.open("showcase draft, withdrawn", staff.origin+draft, draft, 200)
}

// surfaces says whether the entry is on /showcase, in the Atom feed and in
// the JSON API, read as a feed reader or a program would.
func (j *chromeStaffJourney) surfaces(t *testing.T) []bool {
	t.Helper()
	b := j.app.browser("fr")
	page := b.get("/showcase")
	feedRes := b.get("/showcase.atom")
	api := b.get("/api/v1/showcase")
	for _, r := range []*response{page, feedRes, api} {
		if r.Status != http.StatusOK {
			t.Fatalf("a public surface answers %d", r.Status)
		}
	}
	var f feed
	if err := xml.Unmarshal([]byte(feedRes.Body), &f); err != nil {
		t.Fatalf("the feed does not parse: %v", err)
	}
	var a server.APIShowcase
	if err := json.Unmarshal([]byte(api.Body), &a); err != nil {
		t.Fatalf("the API does not parse: %v", err)
	}
	inFeed := slices.ContainsFunc(f.Entries, func(e feedEntry) bool { return e.ID == "urn:uuid:"+j.entryID })
	inAPI := slices.ContainsFunc(a.Entries, func(e server.APIEntry) bool { return e.ID == j.entryID })
	return []bool{page.Doc.Find(`a[href="/showcase/`+j.entryID+`"]`).Length() > 0, inFeed, inAPI}
}

// tick runs the check-in dispatcher once, as the service's would.
func (j *chromeStaffJourney) tick(t *testing.T) training.TickResult {
	t.Helper()
	r, err := j.disp.Tick(context.Background())
	if err != nil {
		t.Fatalf("dispatcher tick: %v", err)
	}
	return r
}

// chromeStaffPress presses Enter on the focused control, which loads a page
// whose path starts with prefix (an id the test learns from it).
func chromeStaffPress(tab *chromeTab, name, prefix string, wantStatus int) (*goquery.Document, string) {
	tab.t.Helper()
	tab.net.reset()
	resp, err := chromedp.RunResponse(tab.ctx, chromedp.KeyEvent(kb.Enter))
	if err != nil {
		tab.t.Fatalf("%s: press Enter: %v", name, err)
	}
	if resp == nil {
		tab.t.Fatalf("%s: no response", name)
	}
	u, err := url.Parse(resp.URL)
	if err != nil || !strings.HasPrefix(u.Path, prefix) || len(u.Path) == len(prefix) {
		tab.t.Fatalf("%s: got %s, want a page under %s", name, resp.URL, prefix)
	}
	return tab.arrived(name, resp, u.Path, wantStatus), u.Path
}

// chromeStaffTypeWhen moves to a date or time field with Tab and types at
// into it. Such a field is the browser's own: its segments (day, month,
// year; hour, minute, AM/PM) come in the order of the browser's locale,
// which the test reads from the field's user-agent shadow tree through the
// DOM domain (no script), then checks what each segment holds.
func chromeStaffTypeWhen(tab *chromeTab, id string, at time.Time) {
	tab.t.Helper()
	tab.tabTo("#" + id)
	segments := chromeStaffSegments(tab, id)
	twelve := slices.ContainsFunc(segments, func(s chromeStaffSegment) bool { return s.field == "ampm" })
	want := map[string]string{"day": at.Format("2"), "month": at.Format("1"), "year": at.Format("2006"), "minute": at.Format("4"), "ampm": at.Format("PM")}
	for i, s := range segments {
		switch s.field {
		case "day":
			tab.key(at.Format("02"))
		case "month":
			tab.key(at.Format("01"))
		case "year":
			tab.key(at.Format("2006"))
			if i < len(segments)-1 {
				tab.key(kb.ArrowRight) // a year may have more digits: it does not move on by itself
			}
		case "hour":
			if twelve {
				tab.key(at.Format("03"))
				want["hour"] = at.Format("3")
			} else {
				tab.key(at.Format("15"))
				want["hour"] = at.Format("15")
			}
		case "minute":
			tab.key(at.Format("04"))
		case "ampm":
			tab.key(at.Format("PM")[:1])
		default:
			tab.t.Fatalf("#%s has a segment %q the test cannot fill", id, s.field)
		}
	}
	for _, s := range chromeStaffSegments(tab, id) {
		got := strings.TrimLeft(s.value, "0")
		if s.field == "ampm" {
			got = s.text
		}
		if w := strings.TrimLeft(want[s.field], "0"); got != w {
			tab.t.Fatalf("#%s: the %s segment holds %q (%q), want %q", id, s.field, s.value, s.text, want[s.field])
		}
	}
}

// chromeStaffSegment is one segment of a date or time field.
type chromeStaffSegment struct{ field, value, text string }

// chromeStaffSegments reads the segments of a date or time field, in the
// order the browser shows them.
func chromeStaffSegments(tab *chromeTab, id string) []chromeStaffSegment {
	tab.t.Helper()
	nodes, err := chromedp.Run(tab.ctx, chromedp.Nodes(chromedp.CSS("#"+id)))
	if err != nil {
		tab.t.Fatalf("find #%s: %v", id, err)
	}
	nodes[0].RLock()
	nodeID := nodes[0].NodeID
	nodes[0].RUnlock()
	depth, pierce := int64(-1), true
	res, err := chromedp.Call(tab.ctx, dom.DescribeNode, dom.DescribeNodeParams{NodeID: nodeID, Depth: &depth, Pierce: &pierce})
	if err != nil {
		tab.t.Fatalf("describe #%s: %v", id, err)
	}
	var out []chromeStaffSegment
	var walk func(n *cdp.Node)
	walk = func(n *cdp.Node) {
		attrs := map[string]string{}
		for i := 0; i+1 < len(n.Attributes); i += 2 {
			attrs[n.Attributes[i]] = n.Attributes[i+1]
		}
		if f, ok := strings.CutPrefix(attrs["pseudo"], "-webkit-datetime-edit-"); ok && strings.HasSuffix(f, "-field") {
			out = append(out, chromeStaffSegment{field: strings.TrimSuffix(f, "-field"), value: attrs["aria-valuenow"], text: attrs["aria-valuetext"]})
		}
		for _, c := range n.ShadowRoots {
			walk(c)
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(res.Node)
	if len(out) == 0 {
		tab.t.Fatalf("#%s shows no date or time segments", id)
	}
	return out
}

// chromeStaffText is the text of what sel selects, white space collapsed.
func chromeStaffText(doc *goquery.Document, sel string) string {
	return strings.Join(strings.Fields(doc.Find(sel).Text()), " ")
}

// chromeStaffReport logs every page the tabs loaded, heaviest first.
func chromeStaffReport(t *testing.T, tabs ...*chromeTab) {
	t.Helper()
	var pages []chromePage
	for _, tab := range tabs {
		pages = append(pages, tab.pages...)
	}
	slices.SortStableFunc(pages, func(a, b chromePage) int { return int(b.Bytes - a.Bytes) })
	var b strings.Builder
	fmt.Fprintf(&b, "%d pages (budget %d KB each), heaviest first:", len(pages), chromePageBudget/1024)
	for _, p := range pages {
		fmt.Fprintf(&b, "\n\t%-40s %6.1f KB %2d requests  %-60s axe: %s", p.Name, p.Bytes/1024, p.Requests, chromeStaffShort(p.Path), p.Axe)
	}
	t.Log(b.String())
}

// chromeStaffShort keeps a private link's token out of the log.
func chromeStaffShort(path string) string {
	for _, prefix := range []string{"/bilan/", "/showcase/consent/", "/staff/invitation/"} {
		if rest, ok := strings.CutPrefix(path, prefix); ok && len(rest) > 8 {
			return prefix + rest[:8] + "…"
		}
	}
	return path
}
