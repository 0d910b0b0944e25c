package training

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestReportForm(t *testing.T) {
	for _, tt := range []struct {
		name, from, to, field, key string
	}{
		{"a quarter is fine", "2026-01-01", "2026-03-31", "", ""},
		{"one day is fine", "2026-01-01", "2026-01-01", "", ""},
		{"an impossible date is refused", "2026-02-30", "2026-03-31", "report_from", "err.report.date"},
		{"an end before the start is refused", "2026-03-01", "2026-02-28", "report_to", "err.report.order"},
		{"more than five years is refused", "2020-01-01", "2026-01-02", "report_to", "err.report.span"},
		{"a missing date is refused", "2026-01-01", "", "report_to", "err.report.date"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := ReportForm{From: tt.from, To: tt.to}
			p, fe := f.Validate()
			if tt.field == "" {
				if len(fe) > 0 || !p.To.After(p.From) {
					t.Errorf("period %+v, errors %v", p, fe)
				}
				return
			}
			if got := fe.For(tt.field); got != tt.key {
				t.Errorf("error %q (all %v), want %q", got, fe, tt.key)
			}
		})
	}
}

func TestReportForFunders(t *testing.T) {
	e := newEnv(t)
	e.seedHost("h1", "L'Île numérique", "7")
	e.seedHost("h2", "Atoll, libre", "7")
	d := e.dispatcher(e.store, "a", DispatcherOptions{})
	velo := e.seedWorkspace(workspace{host: "h1", name: "Les Amis du Vélo", email: "anne@velo.example"})
	jardin := e.seedWorkspace(workspace{host: "h1", name: "Jardin partagé", email: "jo@jardin.example"})
	e.seedWorkspace(workspace{host: "h2", name: "Chorale", email: "do@chorale.example"})
	e.tick(d)
	add := func(app string, at time.Time, minutes, attendees int, topics ...string) {
		t.Helper()
		s := Session{StartsAt: at, Minutes: minutes, Format: FormatRemote, Topics: topics, Attendees: attendees}
		if err := e.store.AddSession(e.ctx, testAdmin, e.caseOf(app), &s); err != nil {
			t.Fatal(err)
		}
	}
	add(velo, t0.Add(2*day), 90, 6, "calendars", "file_sharing")
	add(velo, t0.Add(9*day), 60, 4, "calendars")
	add(jardin, t0.Add(3*day), 30, 2, "passwords_security")
	add(jardin, t0.AddDate(1, 0, 0), 600, 2, "calendars") // after the period
	e.clock.Advance(7 * day)
	e.tick(d)
	for i, addr := range []string{"anne@velo.example", "jo@jardin.example"} {
		if _, _, err := e.store.AnswerCheckin(e.ctx, linkIn(t, e.mails.to(addr)[0]), CheckinAnswer{Rating: []string{"5", "2"}[i]}); err != nil {
			t.Fatal(err)
		}
	}
	f := ReportForm{From: "2026-03-01", To: "2026-03-31"}
	p, fe := f.Validate()
	if len(fe) > 0 {
		t.Fatal(fe)
	}
	rows, err := e.store.Report(e.ctx, testAdmin, "", p)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1].HostID != "h1" {
		t.Fatalf("rows %+v", rows)
	}
	r := rows[1]
	if r.Associations != 2 || r.Sessions != 3 || r.Minutes != 180 || r.Attendees != 12 || r.Answers != 2 || r.AverageRating() != 3.5 {
		t.Errorf("row %+v", r)
	}
	if got := strings.Join(r.TopicKeys(), ","); got != "calendars,file_sharing,passwords_security" {
		t.Errorf("topics %s", got)
	}
	if only, _ := e.store.Report(e.ctx, testAdmin, "h2", p); len(only) != 1 || only[0].Associations != 1 || only[0].Sessions != 0 {
		t.Errorf("one host's report %+v", only)
	}

	labels := map[string]string{"calendars": "Agendas", "file_sharing": "Partage de fichiers", "passwords_security": "Mots de passe"}
	var buf bytes.Buffer
	err = WriteReportCSV(&buf, rows, CSVOptions{Comma: ';', Decimal: ",", From: f.From, To: f.To,
		Header:     []string{"Hébergeur", "Du", "Au", "Associations", "Séances", "Heures", "Participants", "Thèmes", "Réponses", "Satisfaction"},
		TopicLabel: func(k string) string { return labels[k] }})
	if err != nil {
		t.Fatal(err)
	}
	want := "\uFEFF" +
		"Hébergeur;Du;Au;Associations;Séances;Heures;Participants;Thèmes;Réponses;Satisfaction\r\n" +
		"Atoll, libre;2026-03-01;2026-03-31;1;0;0,00;0;;0;\r\n" +
		"L'Île numérique;2026-03-01;2026-03-31;2;3;3,00;12;\"Agendas (2); Partage de fichiers (1); Mots de passe (1)\";2;3,50\r\n"
	if got := buf.String(); got != want {
		t.Errorf("CSV:\n%q\nwant\n%q", got, want)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte{0xEF, 0xBB, 0xBF}) {
		t.Error("no byte order mark")
	}
}

func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{"=HYPERLINK(1)": "'=HYPERLINK(1)", "+33": "'+33", "Asso": "Asso", "": ""} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q", in, got)
		}
	}
}
