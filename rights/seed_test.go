package rights_test

import (
	"testing"
	"time"

	"archipel/database"
)

// seeded is one association seeded in every table that can hold data about
// it: Values are what it gave or what was written about it, each distinct
// and marked with its tag; Internal are staff's working notes.
type seeded struct {
	ID, HostID, CaseID string
	Values             []string
	Internal           []string
	Secrets            []string // link hashes: not exported, gone after erasure
}

// seedAssociation seeds a ready request of host with a workspace, a case,
// sessions, check-ins, usage readings, a published showcase entry with a
// logo, notes, an interview and audit lines.
func seedAssociation(t *testing.T, db *database.DB, tag, hostID string) seeded {
	t.Helper()
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	s := seeded{ID: "app-" + tag, HostID: hostID, CaseID: "case-" + tag}
	v := func(name string) string {
		val := name + "-" + tag
		s.Values = append(s.Values, val)
		return val
	}
	name, email, legal := v("Association"), v("contact")+"@example.org", v("W69")
	phone, person, purpose := v("0612"), v("Camille"), v("purpose")
	answers := `{"association":{"name":"` + name + `","legal_id":"` + legal + `","contact_email":"` + email + `","purpose":"` + purpose +
		`","town":"` + v("Town") + `"},"members":{"contact_name":"` + person + `","contact_phone":"` + phone + `"},"tools":{},"needs":{},"host":{},"consent":{}}`
	exec(t, db, `INSERT INTO applications (id, status, language, answers, association_name, contact_email, legal_id, departement, services,
		host_id, created_at, updated_at, submitted_at, email_verified_at) VALUES ($1, 'ready', 'fr', $2, $3, $4, $5, '69', 'files,calendars', $6, $7, $7, $7, $7)`,
		s.ID, answers, name, email, legal, hostID, at)
	exec(t, db, `INSERT INTO application_tokens (hash, application_id, created_at, kind, email) VALUES ($1, $2, $3, 'mail', $4)`, "tokenhash-"+tag, s.ID, at, email)
	s.Secrets = append(s.Secrets, "tokenhash-"+tag)
	exec(t, db, `INSERT INTO application_events (application_id, kind, actor, detail, public, created_at) VALUES ($1, 'reschedule_requested', '', $2, TRUE, $3)`,
		s.ID, v("reschedule message"), at)
	exec(t, db, `INSERT INTO mail_outbox (id, message_id, application_id, tag, to_addr, to_name, subject, text_body, status, next_attempt_at, created_at, sent_at)
		VALUES ($1, $1, $2, 'link', $3, $4, $5, $6, 'sent', $7, $7, $7)`, "mail-"+tag, s.ID, email, person, v("Votre lien"), tag+"-sent-body", at)
	s.Secrets = append(s.Secrets, tag+"-sent-body")
	exec(t, db, `INSERT INTO mail_outbox (id, message_id, application_id, tag, to_addr, subject, text_body, status, next_attempt_at, created_at)
		VALUES ($1, $1, $2, 'ready', $3, $4, $5, 'pending', $6, $6)`, "mail2-"+tag, s.ID, email, v("Pending subject"), tag+"-pending-body", at)
	s.Secrets = append(s.Secrets, tag+"-pending-body")
	exec(t, db, `INSERT INTO staff_users (id, email, role, host_id, created_at, updated_at) VALUES ($1, $2, 'staff', $3, $4, $4)`,
		"digest-"+tag, "digest-"+tag+"@staff.example", hostID, at)
	exec(t, db, `INSERT INTO staff_digest_items (id, user_id, kind, application_id, name, link, created_at) VALUES ($1, $1, 'submitted', $2, $3, $4, $5)`,
		"digest-"+tag, s.ID, name, "/staff/requests/"+s.ID, at)
	exec(t, db, `INSERT INTO interviews (id, application_id, scheduled_at, mode, link, place, status, notes, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, 'video', $4, '', 'planned', $5, 'staff', $3, $3)`, "iv-"+tag, s.ID, at, v("https://visio.example/room"), `{"notes":"`+tag+`-internal-interview"}`)
	s.Internal = append(s.Internal, tag+"-internal-interview")
	exec(t, db, `INSERT INTO application_notes (application_id, author_id, author_name, body, created_at) VALUES ($1, 'staff', 'Staff', $2, $3)`,
		s.ID, tag+"-internal-note", at)
	s.Internal = append(s.Internal, tag+"-internal-note")
	exec(t, db, `INSERT INTO audit_log (at, actor_id, actor_email, action, host_id, application_id, detail) VALUES ($1, 'staff', 'staff@host.example', 'approve', $2, $3, $4)`,
		at, hostID, s.ID, tag+"-audit-detail")
	s.Internal = append(s.Internal, tag+"-audit-detail")
	exec(t, db, `INSERT INTO provisioning_jobs (id, application_id, host_id, status, plan, next_run_at, created_at, updated_at)
		VALUES ($1, $2, $3, 'done', $4, $5, $5, $5)`, "job-"+tag, s.ID, hostID,
		`{"application_id":"`+s.ID+`","association_name":"`+name+`","contact_name":"`+person+`","contact_email":"`+email+`","documents":[{"name":"Bienvenue.md","content":"`+name+`"}]}`, at)
	exec(t, db, `INSERT INTO workspaces (application_id, host_id, login_url, account_id, group_id, folder, quota_bytes, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, 1000, $7)`, s.ID, hostID, "https://cloud."+tag+".example", "acct"+tag, "grp"+tag, "/Folder"+tag, at)
	exec(t, db, `INSERT INTO cases (id, application_id, host_id, stage, goals, opened_at, updated_at) VALUES ($1, $2, $3, 'active', $4, $5, $5)`,
		s.CaseID, s.ID, hostID, v("goals"), at)
	exec(t, db, `INSERT INTO training_sessions (id, case_id, starts_at, duration_minutes, format, topics, attendees, notes, next_steps, created_at, updated_at)
		VALUES ($1, $2, $3, 90, 'visio', 'files', 4, $4, $5, $3, $3)`, "ts-"+tag, s.CaseID, at, tag+"-internal-session", v("next steps"))
	s.Internal = append(s.Internal, tag+"-internal-session")
	exec(t, db, `INSERT INTO checkins (id, case_id, offset_days, due_at, status, answered_at, rating, works, blocks, wants_help)
		VALUES ($1, $2, 7, $3, 'answered', $3, 4, $4, $5, TRUE)`, "ci-"+tag, s.CaseID, at, v("works"), v("blocks"))
	exec(t, db, `INSERT INTO usage_readings (case_id, taken_at, ok, accounts, used_bytes, quota_bytes) VALUES ($1, $2, TRUE, 3, 123456, 1000)`, s.CaseID, at)
	exec(t, db, `INSERT INTO showcase_entries (id, case_id, host_id, association_name, town, departement, story, quote, services, logo, logo_type,
		version, consent_version, status, published_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, '69', $6, $7, 'files', $8, 'image/png', 1, 1, 'published', $9, $9, $9)`,
		"se-"+tag, s.CaseID, hostID, name, v("Showtown"), v("story"), v("quote"), []byte("PNG-"+tag), at)
	exec(t, db, `INSERT INTO showcase_consents (entry_id, entry_version, decision, text_digest, token_hash, at) VALUES ($1, 1, 'given', 'digest', $2, $3)`,
		"se-"+tag, "consenttoken-"+tag, at)
	s.Secrets = append(s.Secrets, "consenttoken-"+tag)
	return s
}
