package provisioning

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
	"archipel/onboarding"
	"archipel/templates"
)

// tellStaff tells the people of a job's host that the job needs attention,
// once per stop, through the staff notifications (each account as its
// preferences say, in its language; its trainers never, the host's contact
// address always; the administrators when the host has no staff), in the
// transaction that records the notice. It is the one place the engine
// does; a failure is logged and the job's state is not affected.
func (e *Engine) tellStaff(ctx context.Context, j *Job, reason string, log *slog.Logger) {
	if e.postman == nil {
		return
	}
	h, err := e.Hosts.Get(ctx, j.HostID)
	if err != nil {
		log.Error("provisioning: notice host", slog.Any("err", err))
		return
	}
	since := j.FailingSince
	if since.IsZero() {
		since = e.Jobs.now()
	}
	link := strings.TrimRight(e.opts.BaseURL, "/") + "/staff/requests/" + url.PathEscape(j.ApplicationID)
	notifier := &accounts.Notifier{Store: accounts.NewStore(e.db, nil), Postman: e.postman, BaseURL: e.opts.BaseURL}
	told := false
	err = e.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE provisioning_jobs SET notified_at = $1 WHERE id = $2 AND notified_at IS NULL`, e.Jobs.now(), j.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // told already
		}
		_, contact, lang, err := onboarding.HostContact(ctx, tx, j.HostID)
		if err != nil {
			return err
		}
		told = true
		return notifier.Notify(ctx, tx, accounts.Notice{Kind: accounts.KindJobAttention, HostID: j.HostID, RequestID: j.ApplicationID,
			Name: j.Plan.AssociationName, Link: link, Contact: contact, ContactName: h.Name, ContactLanguage: lang,
			Template: "needs_attention", Data: map[string]any{
				"Host": h.Name, "Reason": reason, "RequestURL": link,
				"Since": since.In(templates.Paris).Format("02/01/2006 15:04"),
			}})
	})
	if err != nil {
		log.Error("provisioning: needs-attention notice", slog.Any("err", database.MapError(err, "provisioning: notice")))
		return
	}
	if told {
		e.postman.Wake()
	}
}

// Stopped is a job waiting for staff, as the dashboards list it.
type Stopped struct {
	JobID         string
	ApplicationID string
	Association   string
	HostName      string
	Status        JobStatus // JobNeedsAttention or JobFailed
	Kind          JobKind   // a creation, or the clean-up of an erased request's workspace
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
	rows, err := s.db.QueryContext(ctx, `SELECT j.id, j.application_id, j.plan, h.name, j.status, j.kind, j.error_key, j.finished_at, j.updated_at
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
		// Two columns rather than COALESCE: SQLite gives an expression no
		// declared type, and the driver then returns its text.
		var finished sql.NullTime
		if err := rows.Scan(&st.JobID, &st.ApplicationID, &plan, &st.HostName, &st.Status, &st.Kind, &st.ErrorKey, &finished, &st.Since); err != nil {
			return nil, database.MapError(err, "provisioning: stopped jobs")
		}
		if finished.Valid {
			st.Since = finished.Time
		}
		var p Plan
		if json.Unmarshal([]byte(plan), &p) == nil {
			st.Association = p.AssociationName
		}
		out = append(out, st)
	}
	return out, database.MapError(rows.Err(), "provisioning: stopped jobs")
}
