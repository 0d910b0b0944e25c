package onboarding

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
)

// MatchActor is the actor recorded when matching, not a person, chose a host.
const MatchActor = "matching"

// Match is the outcome of matching a request with a partner host.
type Match struct {
	Host   *HostProfile // nil when no host is eligible: the request waits in the shared queue
	Reason string       // for staff, a StoredMessage
}

// Found reports whether a host was given the request.
func (m Match) Found() bool { return m.Host != nil }

// lighter reports whether a carries less than b, relative to capacity
// (compared as fractions, without rounding).
func lighter(a, b *HostProfile) int {
	l, r := a.Load.Total()*b.MaxAssociations, b.Load.Total()*a.MaxAssociations
	switch {
	case l < r:
		return -1
	case l > r:
		return 1
	}
	return 0
}

// ChooseHost picks, among hosts, the one matching gives a request from that
// département asking for those services: of the eligible hosts (not paused,
// serving the département, offering every service, with room left), the
// least loaded relative to its capacity, ties going to the one least
// recently given a request, so that successive requests spread across
// hosts. The reason says why, as a StoredMessage translated when shown
// (match.reason.only, least or tied); ok is false when no host is
// eligible, and the reason then says what was missing
// (match.reason.none_serving, none_offering or all_full).
func ChooseHost(departement string, services []string, hosts []HostProfile) (chosen HostProfile, reason string, ok bool) {
	var eligible []HostProfile
	var open, serving, offering int
	for _, h := range hosts {
		if h.Paused {
			continue
		}
		open++
		if !h.Serves(departement) {
			continue
		}
		serving++
		if !h.Offers(services) {
			continue
		}
		offering++
		if h.HasRoom() {
			eligible = append(eligible, h)
		}
	}
	wanted := make([]Message, len(services))
	for i, code := range services {
		wanted[i] = Message{ID: "opt.services." + code}
	}
	switch {
	case serving == 0:
		return HostProfile{}, StoredMessage("match.reason.none_serving", map[string]any{
			"Open": open, "Departement": departement}), false
	case offering == 0:
		return HostProfile{}, StoredMessage("match.reason.none_offering", map[string]any{
			"Open": open, "Serving": serving, "Departement": departement, "Services": wanted}), false
	case len(eligible) == 0:
		return HostProfile{}, StoredMessage("match.reason.all_full", map[string]any{
			"Open": open, "Serving": serving, "Offering": offering, "Departement": departement, "Services": wanted}), false
	}
	slices.SortStableFunc(eligible, func(a, b HostProfile) int {
		if c := lighter(&a, &b); c != 0 {
			return c
		}
		if c := a.LastAssignedAt.Compare(b.LastAssignedAt); c != 0 {
			return c // never assigned (zero time) first
		}
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	chosen = eligible[0]
	tied := 1 // hosts as lightly loaded as the chosen one, itself included
	for _, h := range eligible[1:] {
		if lighter(&chosen, &h) == 0 {
			tied++
		}
	}
	id := "match.reason.only"
	switch {
	case tied > 1:
		id = "match.reason.tied"
	case len(eligible) > 1:
		id = "match.reason.least"
	}
	return chosen, StoredMessage(id, map[string]any{
		"Departement": departement, "AllFrance": chosen.ServesAllFrance(), "Services": wanted,
		"Load": chosen.Load.Total(), "Capacity": chosen.MaxAssociations, "Eligible": len(eligible), "Tied": tied,
	}), true
}

// lockHosts reads the hosts open to new requests inside tx; on PostgreSQL
// their rows stay locked until tx ends, so that two matchings at once
// count and assign one after the other and never both take a host's last
// slot. SQLite needs no lock: its transactions begin IMMEDIATE, one writer
// at a time.
func (s *Store) lockHosts(ctx context.Context, tx *sql.Tx, onlyID string) ([]HostProfile, error) {
	q := `SELECT ` + hostColumns + ` FROM hosts h WHERE h.paused = FALSE AND ($1 = '' OR h.id = $1) ORDER BY h.id`
	if s.db.Dialect == database.Postgres {
		q += ` FOR UPDATE`
	}
	rows, err := tx.QueryContext(ctx, q, onlyID)
	if err != nil {
		return nil, err
	}
	var out []HostProfile
	for rows.Next() {
		h, err := scanHost(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	loads, err := hostLoads(ctx, tx)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Load = loads[out[i].ID]
	}
	return out, nil
}

// MatchHost gives a submitted request that has no host yet (the association
// let the archipelago choose) to the host ChooseHost picks, recording the
// reason on the request (match_reason) and in its staff timeline. With no
// eligible host the request stays without one, in the shared queue, and
// its public timeline says it waits for a host. Counting and assigning
// happen in one transaction. Errors: conflict when the request is not a
// submitted one without host. then runs in its transaction, with a's host
// and match reason already set.
func (s *Store) MatchHost(ctx context.Context, a *Application, then ...database.Then) (Match, error) {
	if a.Status != StatusSubmitted || a.HostID != "" {
		return Match{}, apperr.New(apperr.Conflict, "err.request.changed", "onboarding: match host")
	}
	dep, services := a.Answers.Association.Departement, a.Answers.Needs.Services
	var m Match
	now := s.now()
	before := *a
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		hosts, err := s.lockHosts(ctx, tx, "")
		if err != nil {
			return err
		}
		chosen, reason, ok := ChooseHost(dep, services, hosts)
		m = Match{Reason: reason}
		if !ok {
			res, err := tx.ExecContext(ctx, `UPDATE applications SET match_reason = $1, updated_at = $2
				WHERE id = $3 AND host_id IS NULL AND status = 'submitted'`, reason, now, a.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return apperr.New(apperr.Conflict, "err.request.changed", "onboarding: match host")
			}
			if err := addEvent(ctx, tx, a.ID, EventWaitingHost, "", "", true, now); err != nil {
				return err
			}
			a.MatchReason = reason
			return database.RunThen(tx, then)
		}
		res, err := tx.ExecContext(ctx, `UPDATE applications SET host_id = $1, match_reason = $2, version = version + 1, updated_at = $3
			WHERE id = $4 AND host_id IS NULL AND status = 'submitted'`, chosen.ID, reason, now, a.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "err.request.changed", "onboarding: match host")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE hosts SET last_assigned_at = $1 WHERE id = $2`, now, chosen.ID); err != nil {
			return err
		}
		chosen.Load.Open++
		chosen.LastAssignedAt = now
		m.Host = &chosen
		if err := addEvent(ctx, tx, a.ID, EventHostAssigned, MatchActor, reason, false, now); err != nil {
			return err
		}
		a.HostID, a.MatchReason = chosen.ID, reason
		a.Version++
		return database.RunThen(tx, then)
	})
	if err != nil {
		a.HostID, a.MatchReason, a.Version = before.HostID, before.MatchReason, before.Version
		return Match{}, database.MapError(err, "onboarding: match host")
	}
	return m, nil
}

// WaitingForHost lists the submitted requests no host has, oldest first:
// the shared queue an administrator assigns from.
func (s *Store) WaitingForHost(ctx context.Context) ([]Application, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+appColumns+` FROM applications a
		WHERE a.host_id IS NULL AND a.status = 'submitted' ORDER BY a.submitted_at, a.id`)
	if err != nil {
		return nil, database.MapError(err, "onboarding: waiting for host")
	}
	defer rows.Close()
	var out []Application
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return nil, database.MapError(err, "onboarding: waiting for host")
		}
		out = append(out, *a)
	}
	return out, database.MapError(rows.Err(), "onboarding: waiting for host")
}

// HostChange is the form that gives a request to a host by hand: from the
// shared queue, or as a transfer from its current host.
type HostChange struct {
	HostID string `form:"change_host"`
	Reason string `form:"change_reason"`
}

// Validate checks the form: a host and a reason are required.
func (f *HostChange) Validate() FieldErrors {
	var fe FieldErrors
	f.HostID, f.Reason = clean(f.HostID), clean(f.Reason)
	if f.HostID == "" {
		fe.add("change_host", "err.change_host.required")
	}
	fe.text("change_reason", f.Reason, true, maxLong)
	return fe
}

// MayTransfer reports whether an actor may move the request to another
// host: administrators, and the staff of its current host.
func (a *Application) MayTransfer(actor *accounts.User) bool {
	return actor != nil && (actor.Admin() || (actor.Role == accounts.RoleStaff && a.HostID != "" && actor.HostID == a.HostID))
}

// Transferable reports whether a request may still move to another host:
// once approved, its workspace is being made on the current one.
func (a *Application) Transferable() bool {
	switch a.Status {
	case StatusSubmitted, StatusInfoRequested, StatusInterviewPlanned:
		return a.HostID != ""
	}
	return false
}

// AssignWaiting gives a request of the shared queue to a host chosen by an
// administrator, with the reason, and tells the association in its public
// timeline. A paused host is refused (resume it first); a full one is
// accepted, capacity being the administrator's call here. Refused values
// come back as field errors; errors: conflict when the request has a host
// meanwhile; not found for an actor who is not an administrator.
func (s *Store) AssignWaiting(ctx context.Context, a *Application, f *HostChange, actor *accounts.User, then ...database.Then) (FieldErrors, error) {
	if actor == nil || !actor.Admin() {
		return nil, apperr.New(apperr.NotFound, "error.not_found", "onboarding: assign waiting")
	}
	if fe := f.Validate(); len(fe) > 0 {
		return fe, nil
	}
	if a.HostID != "" || a.Status != StatusSubmitted {
		return nil, apperr.New(apperr.Conflict, "err.request.changed", "onboarding: assign waiting")
	}
	return s.changeHost(ctx, a, f, actor, EventHostFound, `host_id IS NULL AND status = 'submitted'`, then)
}

// Transfer moves a request to another host, with the reason, and tells the
// association in its public timeline. Only requests not yet approved move
// (Transferable); the target must be another host, not paused. Refused
// values come back as field errors; errors: conflict when the request
// changed meanwhile or may no longer move; not found for an actor who may
// not transfer it (MayTransfer, DecidesOn).
func (s *Store) Transfer(ctx context.Context, a *Application, f *HostChange, actor *accounts.User, then ...database.Then) (FieldErrors, error) {
	if !a.MayTransfer(actor) {
		return nil, apperr.New(apperr.NotFound, "error.not_found", "onboarding: transfer")
	}
	if fe := f.Validate(); len(fe) > 0 {
		return fe, nil
	}
	if !a.Transferable() {
		return nil, apperr.New(apperr.Conflict, "err.transfer.too_late", "onboarding: transfer")
	}
	if f.HostID == a.HostID {
		return FieldErrors{{"change_host", "err.change_host.same"}}, nil
	}
	return s.changeHost(ctx, a, f, actor, EventTransferred, `host_id = $6 AND status = $7`, then, a.HostID, a.Status)
}

// changeHost gives a request to f's host if the request is still at the
// version read and matches guard (whose arguments start at $6), locking the
// host row on PostgreSQL like matching does.
func (s *Store) changeHost(ctx context.Context, a *Application, f *HostChange, who *accounts.User, publicEvent, guard string, then []database.Then, guardArgs ...any) (FieldErrors, error) {
	if a.Erased() {
		// An erased request is a record of its erasure, going nowhere.
		return nil, apperr.New(apperr.NotFound, "error.not_found", "onboarding: change host")
	}
	var fe FieldErrors
	now := s.now()
	actor := who.Email
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := DecidesOn(ctx, tx, who, a.ID); err != nil {
			return err
		}
		var paused bool
		q := `SELECT paused FROM hosts WHERE id = $1`
		if s.db.Dialect == database.Postgres {
			q += ` FOR UPDATE`
		}
		switch err := tx.QueryRowContext(ctx, q, f.HostID).Scan(&paused); {
		case errors.Is(err, sql.ErrNoRows):
			fe = FieldErrors{{"change_host", "err.choice"}}
			return nil
		case err != nil:
			return err
		case paused:
			fe = FieldErrors{{"change_host", "err.change_host.paused"}}
			return nil
		}
		// The entries are written while the request is still with the
		// host it leaves: the names in them stay that host's (Timeline).
		if err := addEvent(ctx, tx, a.ID, EventHostAssigned, actor, f.Reason, false, now); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, a.ID, publicEvent, actor, "", true, now); err != nil {
			return err
		}
		// The staff member following the request belongs to the host it
		// leaves.
		args := append([]any{f.HostID, f.Reason, now, a.ID, a.Version}, guardArgs...)
		res, err := tx.ExecContext(ctx, `UPDATE applications SET host_id = $1, match_reason = $2, assigned_to = NULL, version = version + 1, updated_at = $3
			WHERE id = $4 AND version = $5 AND `+guard, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.Conflict, "err.request.changed", "onboarding: change host")
		}
		if _, err = tx.ExecContext(ctx, `UPDATE hosts SET last_assigned_at = $1 WHERE id = $2`, now, f.HostID); err != nil {
			return err
		}
		// What goes with the change (its audit line, the association's
		// e-mail) commits with it.
		return database.RunThen(tx, then)
	})
	if err != nil || len(fe) > 0 {
		return fe, database.MapError(err, "onboarding: change host")
	}
	a.HostID, a.MatchReason = f.HostID, f.Reason
	a.Version++
	a.UpdatedAt = now
	return nil, nil
}
