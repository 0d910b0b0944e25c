package onboarding

import (
	"context"
	"strconv"
	"time"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database"
)

// TodoItem is a request waiting for staff, as the dashboard lists it.
type TodoItem struct {
	ID   string
	Name string    // the association's
	At   time.Time // when it was sent, or the interview's start
}

// Todo is what waits for a staff account among requests: new ones (sent,
// no interview planned yet), interviews this week, and decisions pending
// (the interview is over, nobody approved or declined yet). Lists hold at
// most TodoListed items; the counts are complete.
type Todo struct {
	New, Interviews, Decisions              int
	NewItems, InterviewItems, DecisionItems []TodoItem
	SharedQueue                             int // requests no host has (counted for administrators)
	WeekStart, WeekEnd                      time.Time
}

// TodoListed is how many items each list of the dashboard shows.
const TodoListed = 5

// Todo counts and lists what waits for actor at now: an administrator's
// across every host, a host's staff's and trainers' on their host.
// Errors: forbidden without an actor.
func (s *Store) Todo(ctx context.Context, actor *accounts.User, now time.Time) (*Todo, error) {
	if actor == nil || (!actor.Admin() && actor.HostID == "") {
		return nil, apperr.New(apperr.Forbidden, "error.forbidden", "onboarding: todo")
	}
	scope, args := "", []any{}
	if !actor.Admin() {
		scope, args = ` AND a.host_id = $1`, []any{actor.HostID}
	}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	t := &Todo{}
	// The week runs from Monday to Sunday in Paris.
	local := now.In(Paris)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, Paris)
	t.WeekStart = day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	t.WeekEnd = t.WeekStart.AddDate(0, 0, 7)

	var err error
	base := append([]any(nil), args...)
	args = append([]any(nil), base...)
	t.New, t.NewItems, err = s.todoList(ctx, `FROM applications a WHERE a.status = 'submitted'`+scope,
		`a.submitted_at`, `a.submitted_at`, args)
	if err != nil {
		return nil, err
	}
	args = append([]any(nil), base...)
	week := ` AND i.scheduled_at >= ` + arg(t.WeekStart.UTC()) + ` AND i.scheduled_at < ` + arg(t.WeekEnd.UTC())
	t.Interviews, t.InterviewItems, err = s.todoList(ctx, `FROM applications a JOIN interviews i ON i.application_id = a.id
		WHERE a.status = 'interview_planned'`+scope+week, `i.scheduled_at`, `i.scheduled_at`, args)
	if err != nil {
		return nil, err
	}
	args = append([]any(nil), base...)
	past := ` AND i.scheduled_at < ` + arg(now.UTC())
	t.Decisions, t.DecisionItems, err = s.todoList(ctx, `FROM applications a JOIN interviews i ON i.application_id = a.id
		WHERE a.status = 'interview_planned'`+scope+past, `i.scheduled_at`, `i.scheduled_at`, args)
	if err != nil {
		return nil, err
	}
	if actor.Admin() {
		err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM applications WHERE host_id IS NULL AND status = 'submitted'`).Scan(&t.SharedQueue)
		if err != nil {
			return nil, database.MapError(err, "onboarding: todo")
		}
	}
	return t, nil
}

// todoList counts the rows of from and lists the first TodoListed by order.
func (s *Store) todoList(ctx context.Context, from, at, order string, args []any) (int, []TodoItem, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) `+from, args...).Scan(&n); err != nil {
		return 0, nil, database.MapError(err, "onboarding: todo")
	}
	rows, err := s.db.QueryContext(ctx, `SELECT a.id, a.association_name, `+at+` `+from+` ORDER BY `+order+`, a.id LIMIT `+strconv.Itoa(TodoListed), args...)
	if err != nil {
		return 0, nil, database.MapError(err, "onboarding: todo")
	}
	defer rows.Close()
	var items []TodoItem
	for rows.Next() {
		var it TodoItem
		if err := rows.Scan(&it.ID, &it.Name, &it.At); err != nil {
			return 0, nil, database.MapError(err, "onboarding: todo")
		}
		items = append(items, it)
	}
	return n, items, database.MapError(rows.Err(), "onboarding: todo")
}
