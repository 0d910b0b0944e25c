package templates_test

import (
	"strings"
	"testing"
	"time"

	"archipel/accounts"
	"archipel/onboarding"
	"archipel/provisioning"
	"archipel/server"
	"archipel/templates"
)

// adminHosts are partner hosts in every state the administrator's pages
// show: open and connected, paused, full, serving all of France.
func adminHosts() []onboarding.HostProfile {
	at := time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)
	return []onboarding.HostProfile{
		{ID: "h1", Slug: "ile-numerique", Name: "L'Île numérique", Website: "https://ile.example", ContactEmail: "contact@ile.example",
			Region: "Auvergne-Rhône-Alpes", Departements: []string{"69", "01"}, Services: []string{"files", "calendars"},
			MaxAssociations: 20, StorageBudgetGB: 500, DefaultQuotaGB: 10, DefaultAccounts: 10, FolderTemplate: []string{"Administratif", "Projets"},
			NextcloudURL: "https://cloud.ile.example", NextcloudUser: "archipel", HasSecret: true, LastAssignedAt: at, CreatedAt: at, UpdatedAt: at,
			Load: onboarding.HostLoad{Open: 3, Active: 5, StorageGB: 80}},
		{ID: "h2", Slug: "recif-solidaire", Name: "Récif solidaire", ContactEmail: "bonjour@recif.example", Departements: []string{"*"},
			Services: onboarding.Services, MaxAssociations: 2, StorageBudgetGB: 100, DefaultQuotaGB: 5, DefaultAccounts: 5,
			CreatedAt: at, UpdatedAt: at, Load: onboarding.HostLoad{Open: 1, Active: 1}},
		{ID: "h3", Slug: "lagon-complet", Name: "Lagon complet", ContactEmail: "lagon@lagon.example", Departements: []string{"2A", "2B"},
			Services: []string{"files"}, MaxAssociations: 10, StorageBudgetGB: 100, DefaultQuotaGB: 5, DefaultAccounts: 5, Paused: true,
			CreatedAt: at, UpdatedAt: at},
	}
}

// hostFormFields are the fields of the host form; the slug is not among
// them once the host exists.
func hostFormFields(withSlug bool) []string {
	var out []string
	for _, f := range formFields(&onboarding.HostForm{}) {
		if f != "host_slug" || withSlug {
			out = append(out, f)
		}
	}
	return out
}

func adminRenderCases() []renderCase {
	hosts := adminHosts()
	page := func(path, title string, data any) server.Page {
		return server.Page{Path: path, Title: title, Data: data, User: renderAdmin}
	}
	hostPage := func(h *onboarding.HostProfile, f *onboarding.HostForm) *server.AdminHostPage {
		return &server.AdminHostPage{Host: h, Form: f, Regions: onboarding.Regions(), Services: onboarding.Services}
	}
	newWithErrors := page("/staff/admin/hosts/new", "admin.host.new_title", hostPage(nil, &onboarding.HostForm{Name: "x", Slug: "Pas Bon"}))
	newWithErrors.Errors = allErrors(hostFormFields(true))
	editWithErrors := page("/staff/admin/hosts/h1", "admin.host.title", hostPage(&hosts[0], hosts[0].Form()))
	editWithErrors.Errors = allErrors(hostFormFields(false))
	saved := page("/staff/admin/hosts/h3", "admin.host.title", hostPage(&hosts[2], hosts[2].Form()))
	saved.Flash = "notice.host_saved"

	conn := func(h *onboarding.HostProfile, r *provisioning.CheckReport) *server.AdminConnectionPage {
		return &server.AdminConnectionPage{Host: h, Form: &onboarding.Connection{URL: h.NextcloudURL, User: h.NextcloudUser}, Report: r}
	}
	connErrors := page("/staff/admin/hosts/h2/connection", "admin.connection.title", conn(&hosts[1], nil))
	connErrors.Errors = onboarding.FieldErrors{{Field: "nc_url", Key: "err.nc_url.https"}, {Field: "nc_user", Key: "err.nc_user.required"},
		{Field: "nc_password", Key: "err.nc_password.required"}}
	notConnected := page("/staff/admin/hosts/h2/connection", "admin.connection.title", conn(&hosts[1], nil))
	notConnected.FormError = "prov.error.not_connected"
	ready := &provisioning.CheckReport{Version: "27.1.0", Admin: true, GroupFolders: true, Sharing: true, AppPassword: true, Authenticated: true}
	notAdmin := &provisioning.CheckReport{Version: "28.0.1", Sharing: true, Authenticated: true, Problem: "prov.error.not_admin"}
	unreachable := &provisioning.CheckReport{Problem: "check.unreachable", ProblemDetail: "dial tcp: connection refused"}

	users := []accounts.User{*renderAdmin, *renderStaff,
		{ID: "u3", Email: "new@recif.example", Role: accounts.RoleTrainer, HostID: "h2", Active: true},
		{ID: "u4", Email: "old@ile.example", Name: "Ancien", Role: accounts.RoleStaff, HostID: "h1", HasPassword: true,
			LastLoginAt: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)}}
	users[0].HasPassword = true
	usersPage := func(f *server.InviteForm) *server.AdminUsersPage {
		return &server.AdminUsersPage{Users: users, Hosts: hosts, Form: f, Roles: []string{"admin", "staff", "trainer"}, Languages: []string{"fr", "en"}}
	}
	usersErrors := page("/staff/admin/users", "admin.users.title", usersPage(&server.InviteForm{Email: "pas une adresse", Role: "chef", Language: "en"}))
	usersErrors.Errors = allErrors(formFields(&server.InviteForm{}))
	usersInvited := page("/staff/admin/users", "admin.users.title", usersPage(&server.InviteForm{Role: "staff", Language: "fr"}))
	usersInvited.Flash = "notice.invited"

	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	entries := []server.AuditLine{
		{Entry: accounts.Entry{ID: 3, At: at, ActorID: "u1", ActorEmail: "admin@archipel.example", Action: "request_assigned", HostID: "h1", ApplicationID: "a1", Detail: "proche"},
			Who: "Dominique", What: "Hébergeur attribué par l'archipel", Text: "proche", RequestName: "Les Amis du Vélo"},
		{Entry: accounts.Entry{ID: 2, At: at, Action: "host_matched", HostID: "h-gone", ApplicationID: "a2", Detail: onboarding.StoredMessage("match.reason.only",
			map[string]any{"Departement": "69", "Services": []onboarding.Message{{ID: "opt.services.files"}}, "Load": 2, "Capacity": 20, "Eligible": 1})},
			Who: "Archipel", What: "Hébergeur trouvé automatiquement", Text: "Seul hébergeur"},
		{Entry: accounts.Entry{ID: 1, At: at, ActorID: "u1", ActorEmail: "admin@archipel.example", Action: "host_created", HostID: "h1", Detail: "ile-numerique"},
			Who: "Dominique", What: "Hébergeur ajouté", Text: "ile-numerique"},
	}

	waiting := renderApp(onboarding.StatusSubmitted)
	waiting.MatchReason = onboarding.StoredMessage("match.reason.none_offering", map[string]any{"Open": 3, "Serving": 1, "Departement": "69",
		"Services": []onboarding.Message{{ID: "opt.services.files"}, {ID: "opt.services.calendars"}}})
	assigned := renderApp(onboarding.StatusInterviewPlanned)
	assigned.HostID, assigned.MatchReason = "h1", onboarding.StoredMessage("match.reason.least", map[string]any{"Departement": "69",
		"Services": []onboarding.Message{{ID: "opt.services.files"}}, "Load": 2, "Capacity": 20, "Eligible": 2})
	approved := renderApp(onboarding.StatusApproved)
	approved.HostID = "h1"
	change := func(app *onboarding.Application, transfer bool, f *onboarding.HostChange) *server.HostChangePage {
		p := &server.HostChangePage{App: app, Hosts: hosts, Form: f, Transfer: transfer, Action: "/staff/admin/queue/" + app.ID}
		if transfer {
			p.Current, p.Action = &hosts[0], "/staff/admin/requests/"+app.ID+"/transfer"
		}
		return p
	}
	assignErrors := page("/staff/admin/queue/a1", "admin.assign.title", change(waiting, false, &onboarding.HostChange{Reason: strings.Repeat("x", 10)}))
	assignErrors.Errors = onboarding.FieldErrors{{Field: "change_host", Key: "err.change_host.paused"}, {Field: "change_reason", Key: "err.change_reason.required"}}
	transferErrors := page("/staff/admin/requests/a1/transfer", "admin.transfer.title", change(assigned, true, &onboarding.HostChange{HostID: "h1"}))
	transferErrors.Errors = onboarding.FieldErrors{{Field: "change_host", Key: "err.change_host.same"}, {Field: "change_reason", Key: "err.change_reason.required"}}
	tooLate := page("/staff/admin/requests/a1/transfer", "admin.transfer.title", change(approved, true, &onboarding.HostChange{}))
	tooLate.FormError = "err.transfer.too_late"
	transferred := page("/staff/admin/requests/a1/transfer", "admin.transfer.title", change(assigned, true, &onboarding.HostChange{}))
	transferred.Flash = "admin.notice.request_transferred"

	return []renderCase{
		{"the hosts list", "admin_hosts", page("/staff/admin/hosts", "admin.hosts.title", &server.AdminHostsPage{Hosts: hosts, Waiting: 2})},
		{"the hosts list with no host", "admin_hosts", page("/staff/admin/hosts", "admin.hosts.title", &server.AdminHostsPage{})},
		{"the new host form", "admin_host", page("/staff/admin/hosts/new", "admin.host.new_title", hostPage(nil, onboarding.NewHostForm()))},
		{"the new host form with an error on every field", "admin_host", newWithErrors},
		{"an open host's form", "admin_host", page("/staff/admin/hosts/h1", "admin.host.title", hostPage(&hosts[0], hosts[0].Form()))},
		{"an open host's form with an error on every field", "admin_host", editWithErrors},
		{"a paused host's form just saved", "admin_host", saved},
		{"a connected host's connection", "admin_connection", page("/staff/admin/hosts/h1/connection", "admin.connection.title", conn(&hosts[0], nil))},
		{"a connection refused field by field", "admin_connection", connErrors},
		{"a connection test without connection", "admin_connection", notConnected},
		{"a connection test that passed", "admin_connection", page("/staff/admin/hosts/h1/connection", "admin.connection.title", conn(&hosts[0], ready))},
		{"a connection test with an account not administrator", "admin_connection", page("/staff/admin/hosts/h1/connection", "admin.connection.title", conn(&hosts[0], notAdmin))},
		{"a connection test of an unreachable host", "admin_connection", page("/staff/admin/hosts/h1/connection", "admin.connection.title", conn(&hosts[0], unreachable))},
		{"the accounts after an invitation", "admin_users", usersInvited},
		{"the accounts with an invitation refused on every field", "admin_users", usersErrors},
		{"the audit log", "admin_audit", page("/staff/admin/audit", "admin.audit.title", &server.AdminAuditPage{Entries: entries, Hosts: hosts})},
		{"the audit log of one host, empty", "admin_audit", page("/staff/admin/audit", "admin.audit.title", &server.AdminAuditPage{Hosts: hosts, HostID: "h2"})},
		{"the shared queue", "admin_queue", page("/staff/admin/queue", "admin.queue.title", &server.AdminQueuePage{Requests: []onboarding.Application{*waiting, *renderApp(onboarding.StatusSubmitted)}})},
		{"the shared queue, empty", "admin_queue", page("/staff/admin/queue", "admin.queue.title", &server.AdminQueuePage{})},
		{"a request of the shared queue", "admin_host_change", page("/staff/admin/queue/a1", "admin.assign.title", change(waiting, false, &onboarding.HostChange{}))},
		{"a request of the shared queue refused", "admin_host_change", assignErrors},
		{"a transfer", "admin_host_change", transferred},
		{"a transfer refused", "admin_host_change", transferErrors},
		{"a transfer of an approved request", "admin_host_change", tooLate},
	}
}

func TestAdminMailsRenderInBothLanguages(t *testing.T) {
	s := loadSet(t)
	data := map[string]any{"Name": "Les Amis du Vélo", "Host": "Récif solidaire", "Link": "https://archipel.example/suivi"}
	for _, name := range []string{"waiting_host", "host_assigned", "transferred"} {
		for _, lang := range templates.Languages {
			t.Run("the "+name+" mail in "+lang, func(t *testing.T) {
				subject, text, html, err := s.Mail(lang, name, data)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(subject, "Les Amis du Vélo") || strings.Contains(subject, "\n") {
					t.Errorf("subject %q", subject)
				}
				for _, body := range []string{text, html} {
					if strings.Contains(body, "<no value>") || !strings.Contains(body, data["Link"].(string)) {
						t.Errorf("body without its link or with a missing value:\n%s", body)
					}
					if name != "waiting_host" && !strings.Contains(body, "Récif solidaire") {
						t.Errorf("body does not name the host:\n%s", body)
					}
				}
				if !strings.Contains(html, `lang="`+lang+`"`) {
					t.Errorf("HTML not in %s", lang)
				}
			})
		}
	}
}

func TestAdminMessagesExist(t *testing.T) {
	fr := readMessages(t, "fr")
	want := func(id string) {
		t.Helper()
		if _, ok := fr[id]; !ok {
			t.Errorf("no message %s", id)
		}
	}
	for _, r := range accounts.Roles {
		want("opt.role." + string(r))
	}
	for _, kind := range []string{"waiting_host", "host_assigned", "host_found", "transferred"} {
		want("event." + kind)
	}
	t.Run("every error the host forms give has a message", func(t *testing.T) {
		bad := []*onboarding.HostForm{{}, {Name: strings.Repeat("x", 300), Slug: "-x-", Website: "x", HelpURL: "x", TermsURL: "x", ContactEmail: "x",
			Region: "x", Departements: "99", Services: []string{"x"}, MaxAssociations: "0", StorageBudgetGB: "x", DefaultQuotaGB: "0",
			DefaultAccounts: "0", FolderTemplate: "a/b", WelcomeFR: "{{", WelcomeEN: "{{.Nope}}"},
			{Departements: "*, 69", FolderTemplate: strings.Repeat("x", 101), DefaultQuotaGB: "20", StorageBudgetGB: "10"},
			{FolderTemplate: strings.Repeat("a\n", 51)}}
		var fe onboarding.FieldErrors
		for _, f := range bad {
			fe = append(fe, f.Validate()...)
		}
		fe = append(fe, (&onboarding.Connection{URL: "http://cloud.example"}).Validate("")...)
		fe = append(fe, (&onboarding.Connection{URL: "ftp://x", User: strings.Repeat("u", 70)}).Validate("\x00")...)
		fe = append(fe, (&onboarding.HostChange{}).Validate()...)
		for _, e := range fe {
			want(e.Key)
			want("label." + e.Field)
		}
	})
}
