package training

import (
	"context"
	"time"

	"archipel/database"
)

// Flag is a warning on a case, raised by a usage reading or a check-in
// left unanswered, and lifted when the reason goes away.
type Flag string

// The flags a case may carry.
const (
	FlagNoLogin7d         Flag = "no_login_7d"        // nobody logged in within 7 days of the opening
	FlagNoLogin30d        Flag = "no_login_30d"       // no login for 30 days
	FlagStorage90         Flag = "storage_90"         // storage over 90 % of the quota
	FlagCheckinUnanswered Flag = "checkin_unanswered" // a check-in got no answer, even after the reminder
)

// Flags lists every flag, for labels.
var Flags = []Flag{FlagNoLogin7d, FlagNoLogin30d, FlagStorage90, FlagCheckinUnanswered}

// CaseFlag is a flag raised on a case.
type CaseFlag struct {
	Flag     Flag
	RaisedAt time.Time
}

// CaseFlags returns the flags raised on a case.
func (s *Store) CaseFlags(ctx context.Context, caseID string) ([]CaseFlag, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT flag, raised_at FROM case_flags WHERE case_id = $1 ORDER BY raised_at`, caseID)
	if err != nil {
		return nil, database.MapError(err, "training: flags")
	}
	defer rows.Close()
	var out []CaseFlag
	for rows.Next() {
		var f CaseFlag
		if err := rows.Scan(&f.Flag, &f.RaisedAt); err != nil {
			return nil, database.MapError(err, "training: flags")
		}
		out = append(out, f)
	}
	return out, database.MapError(rows.Err(), "training: flags")
}

// flagsByCase returns the flags of every case of a host (all hosts when
// hostID is empty).
func (s *Store) flagsByCase(ctx context.Context, hostID string) (map[string][]Flag, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT f.case_id, f.flag FROM case_flags f JOIN cases c ON c.id = f.case_id
		WHERE ($1 = '' OR c.host_id = $1) ORDER BY f.raised_at`, hostID)
	if err != nil {
		return nil, database.MapError(err, "training: flags")
	}
	defer rows.Close()
	out := map[string][]Flag{}
	for rows.Next() {
		var id string
		var f Flag
		if err := rows.Scan(&id, &f); err != nil {
			return nil, database.MapError(err, "training: flags")
		}
		out[id] = append(out[id], f)
	}
	return out, database.MapError(rows.Err(), "training: flags")
}

// setFlag raises or lifts a flag; raising one already raised keeps its
// first date.
func (s *Store) setFlag(ctx context.Context, caseID string, f Flag, on bool) error {
	var err error
	if on {
		_, err = s.db.ExecContext(ctx, `INSERT INTO case_flags (case_id, flag, raised_at) VALUES ($1, $2, $3) ON CONFLICT (case_id, flag) DO NOTHING`,
			caseID, f, s.now())
	} else {
		_, err = s.db.ExecContext(ctx, `DELETE FROM case_flags WHERE case_id = $1 AND flag = $2`, caseID, f)
	}
	return database.MapError(err, "training: set flag")
}
