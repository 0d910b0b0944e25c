package provisioning

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/mail"
	"archipel/templates"
)

// tellStaff e-mails the people of a job's host (its contact address and its
// active staff, each in their language) that the job needs attention, once
// per stop. It is the one place the engine sends this; a failure to send is
// logged and the job's state is not affected.
func (e *Engine) tellStaff(ctx context.Context, j *Job, reason string, log *slog.Logger) {
	if e.postman == nil {
		return
	}
	res, err := e.db.ExecContext(ctx, `UPDATE provisioning_jobs SET notified_at = $1 WHERE id = $2 AND notified_at IS NULL`, e.Jobs.now(), j.ID)
	if err != nil {
		log.Error("provisioning: record notice", slog.Any("err", database.MapError(err, "provisioning: notice")))
		return
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return // told already
	}
	h, err := e.Hosts.Get(ctx, j.HostID)
	if err != nil {
		log.Error("provisioning: notice host", slog.Any("err", err))
		return
	}
	type recipient struct{ email, name, lang string }
	var to []recipient
	if h.ContactEmail != "" {
		to = append(to, recipient{h.ContactEmail, h.Name, "fr"})
	}
	rows, err := e.db.QueryContext(ctx, `SELECT email, name, language FROM staff_users
		WHERE host_id = $1 AND role = 'staff' AND active = TRUE ORDER BY email`, j.HostID)
	if err != nil {
		log.Error("provisioning: notice staff", slog.Any("err", database.MapError(err, "provisioning: staff")))
		return
	}
	for rows.Next() {
		var r recipient
		if err := rows.Scan(&r.email, &r.name, &r.lang); err != nil {
			log.Error("provisioning: notice staff", slog.Any("err", err))
			break
		}
		to = append(to, r)
	}
	rows.Close()
	since := j.FailingSince
	if since.IsZero() {
		since = e.Jobs.now()
	}
	seen := map[string]bool{}
	for _, r := range to {
		if seen[strings.ToLower(r.email)] {
			continue
		}
		seen[strings.ToLower(r.email)] = true
		err := e.postman.Send(ctx, mail.Letter{Lang: r.lang, Template: "needs_attention", To: r.email, ToName: r.name,
			Data: map[string]any{
				"Name": j.Plan.AssociationName, "Host": h.Name, "Reason": reason,
				"Since":      since.In(templates.Paris).Format("02/01/2006 15:04"),
				"RequestURL": strings.TrimRight(e.opts.BaseURL, "/") + "/staff/requests/" + url.PathEscape(j.ApplicationID),
			}})
		if err != nil {
			log.Error("provisioning: needs-attention e-mail", slog.Any("err", err))
		}
	}
}

// Stopped is a job waiting for staff, as the dashboards list it.
type Stopped struct {
	JobID         string
	ApplicationID string
	Association   string
	HostName      string
	Status        JobStatus // JobNeedsAttention or JobFailed
	ErrorKey      string
	Since         time.Time // when it stopped
}

// StoppedJobs lists the jobs that wait for staff (needing attention, then
// failed), oldest first, among those actor may see: an administrator sees
// every host's, a host's staff their host's, others none (forbidden).
func (s *Store) StoppedJobs(ctx context.Context, actor *accounts.User) ([]Stopped, error) {
	where, args := `j.status IN ('needs_attention', 'failed')`, []any{}
	switch {
	case actor == nil:
		return nil, apperr.New(apperr.Forbidden, "error.forbidden", "provisioning: stopped jobs")
	case actor.Admin():
	case actor.Role == accounts.RoleStaff && actor.HostID != "":
		where += ` AND j.host_id = $1`
		args = append(args, actor.HostID)
	default:
		return nil, apperr.New(apperr.Forbidden, "error.forbidden", "provisioning: stopped jobs")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT j.id, j.application_id, j.plan, h.name, j.status, j.error_key, COALESCE(j.finished_at, j.updated_at)
		FROM provisioning_jobs j JOIN hosts h ON h.id = j.host_id
		WHERE `+where+` ORDER BY CASE j.status WHEN 'needs_attention' THEN 0 ELSE 1 END, j.updated_at`, args...)
	if err != nil {
		return nil, database.MapError(err, "provisioning: stopped jobs")
	}
	defer rows.Close()
	var out []Stopped
	for rows.Next() {
		var st Stopped
		var plan string
		if err := rows.Scan(&st.JobID, &st.ApplicationID, &plan, &st.HostName, &st.Status, &st.ErrorKey, &st.Since); err != nil {
			return nil, database.MapError(err, "provisioning: stopped jobs")
		}
		var p Plan
		if json.Unmarshal([]byte(plan), &p) == nil {
			st.Association = p.AssociationName
		}
		out = append(out, st)
	}
	return out, database.MapError(rows.Err(), "provisioning: stopped jobs")
}
