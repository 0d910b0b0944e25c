package training

import (
	"context"
	"slices"
	"strconv"
	"time"

	"archipel/accounts"
	"archipel/database"
)

// Card is a case as the board and the dashboard show it.
type Card struct {
	Case
	Flags    []Flag
	Trainers []string // names of its trainers
}

// Column is one stage of the board with its cases.
type Column struct {
	Stage Stage
	Cards []Card
}

// Board returns the cases actor may see (as List) in one column per stage,
// in stage order.
func (s *Store) Board(ctx context.Context, actor *accounts.User, asked string) ([]Column, error) {
	hostID, err := hostOf(actor, asked, "training: board")
	if err != nil {
		return nil, err
	}
	cards, err := s.cards(ctx, hostID, "")
	if err != nil {
		return nil, err
	}
	cols := make([]Column, len(Stages))
	for i, st := range Stages {
		cols[i].Stage = st
	}
	for _, c := range cards {
		i := slices.Index(Stages, c.Stage)
		if i < 0 {
			continue
		}
		cols[i].Cards = append(cols[i].Cards, c)
	}
	return cols, nil
}

// cards returns the cases of a host (all when empty), only those a user
// accompanies when trainerID is set, with their flags and trainers' names.
func (s *Store) cards(ctx context.Context, hostID, trainerID string) ([]Card, error) {
	cases, err := s.list(ctx, hostID)
	if err != nil {
		return nil, err
	}
	flags, err := s.flagsByCase(ctx, hostID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT t.case_id, t.user_id, u.name, u.email FROM case_trainers t
		JOIN staff_users u ON u.id = t.user_id JOIN cases c ON c.id = t.case_id
		WHERE ($1 = '' OR c.host_id = $1) ORDER BY u.name, u.email`, hostID)
	if err != nil {
		return nil, database.MapError(err, "training: cards")
	}
	names := map[string][]string{}
	ids := map[string][]string{}
	for rows.Next() {
		var caseID, userID, name, email string
		if err := rows.Scan(&caseID, &userID, &name, &email); err != nil {
			rows.Close()
			return nil, database.MapError(err, "training: cards")
		}
		if name == "" {
			name = email
		}
		names[caseID] = append(names[caseID], name)
		ids[caseID] = append(ids[caseID], userID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, database.MapError(err, "training: cards")
	}
	var out []Card
	for _, c := range cases {
		c.TrainerIDs = ids[c.ID]
		if trainerID != "" && !slices.Contains(c.TrainerIDs, trainerID) {
			continue
		}
		out = append(out, Card{Case: c, Flags: flags[c.ID], Trainers: names[c.ID]})
	}
	return out, nil
}

// Scope is what a dashboard covers: a host's cases, or a trainer's, or
// (both empty) every case.
type Scope struct {
	HostID    string
	TrainerID string
}

// Dashboard is a trainer's view of the week.
type Dashboard struct {
	WeekStart time.Time // Monday 00:00 in Paris
	WeekEnd   time.Time
	// MyCases are the open cases the user accompanies.
	MyCases []Card
	// Sessions are the user's sessions this week.
	Sessions []Session
	// Due are the check-ins of the scope going out within a week.
	Due []CheckIn
	// Unanswered are the scope's check-ins sent and not answered (yet).
	Unanswered []CheckIn
	// Flagged are the scope's open cases with a flag.
	Flagged []Card
	// Covers names the scope: "all", "host" or "mine" (DashboardScope).
	Covers string
}

// WeekOf returns the Monday 00:00 (Paris) that starts the week of t, and
// the next one.
func WeekOf(t time.Time) (time.Time, time.Time) {
	local := t.In(Paris)
	back := (int(local.Weekday()) + 6) % 7
	start := time.Date(local.Year(), local.Month(), local.Day()-back, 0, 0, 0, 0, Paris)
	return start, start.AddDate(0, 0, 7)
}

// DashboardScope is what actor's dashboard covers: every case for an
// administrator ("all"), their host's for its staff ("host"), the cases
// they accompany for a trainer ("mine"). Not found for nobody or an
// account of no host.
func DashboardScope(actor *accounts.User) (Scope, string, error) {
	hostID, err := hostOf(actor, "", "training: dashboard")
	switch {
	case err != nil:
		return Scope{}, "", err
	case actor.Admin():
		return Scope{}, "all", nil
	case actor.Role == accounts.RoleStaff:
		return Scope{HostID: hostID}, "host", nil
	}
	// A trainer's cases are of their host, always.
	return Scope{HostID: hostID, TrainerID: actor.ID}, "mine", nil
}

// Dashboard gathers what actor needs this week: their own cases and
// sessions, and the check-ins and flags of their scope (DashboardScope).
func (s *Store) Dashboard(ctx context.Context, actor *accounts.User) (*Dashboard, error) {
	scope, covers, err := DashboardScope(actor)
	if err != nil {
		return nil, err
	}
	userID := actor.ID
	now := s.now()
	d := &Dashboard{Covers: covers}
	d.WeekStart, d.WeekEnd = WeekOf(now)
	mine, err := s.cards(ctx, scope.HostID, userID)
	if err != nil {
		return nil, err
	}
	for _, c := range mine {
		if c.Stage != StageClosed {
			d.MyCases = append(d.MyCases, c)
		}
	}
	if d.Sessions, err = s.TrainerSessions(ctx, userID, d.WeekStart, d.WeekEnd); err != nil {
		return nil, err
	}
	in, args := scopeWhere(scope, 1)
	if d.Due, err = s.checkins(ctx, `c.closed_at IS NULL AND c.checkins_stopped = FALSE AND k.status IN (`+notSentList+`)
		AND k.due_at < $`+strconv.Itoa(len(args)+1)+in, append(args, now.Add(7*day))...); err != nil {
		return nil, err
	}
	if d.Unanswered, err = s.checkins(ctx, `c.closed_at IS NULL AND k.status IN (`+waitingList+`, '`+string(CheckinExpired)+`')`+in, args...); err != nil {
		return nil, err
	}
	all, err := s.cards(ctx, scope.HostID, scope.TrainerID)
	if err != nil {
		return nil, err
	}
	for _, c := range all {
		if c.Stage != StageClosed && len(c.Flags) > 0 {
			d.Flagged = append(d.Flagged, c)
		}
	}
	return d, nil
}

// scopeWhere returns " AND …" limiting check-ins (k) of cases (c) to a
// scope, numbering its placeholders from n.
func scopeWhere(sc Scope, n int) (string, []any) {
	var where string
	var args []any
	if sc.HostID != "" {
		args = append(args, sc.HostID)
		where += ` AND c.host_id = $` + strconv.Itoa(n+len(args)-1)
	}
	if sc.TrainerID != "" {
		args = append(args, sc.TrainerID)
		where += ` AND c.id IN (SELECT case_id FROM case_trainers WHERE user_id = $` + strconv.Itoa(n+len(args)-1) + `)`
	}
	return where, args
}
