package training

import (
	"context"
	"time"

	"archipel/database"
)

// MonthlyMetrics are the archipelago's figures of one year, month by month
// (in France's time), as its ChatonsInfos metrics file publishes them.
type MonthlyMetrics struct {
	Year        int
	Requests    [12]int // requests sent by associations (month of sending)
	Workspaces  [12]int // workspaces created on partner hosts
	Accompanied [12]int // associations whose accompaniment began
	Showcase    [12]int // showcase entries published
}

// Monthly counts a year's figures. Erased requests (data rights) are no
// longer counted: the figures are read from what the database holds.
func (s *Showcase) Monthly(ctx context.Context, year int) (*MonthlyMetrics, error) {
	m := &MonthlyMetrics{Year: year}
	from, to := time.Date(year, 1, 1, 0, 0, 0, 0, Paris).UTC(), time.Date(year+1, 1, 1, 0, 0, 0, 0, Paris).UTC()
	for _, q := range []struct {
		into  *[12]int
		query string
	}{
		{&m.Requests, `SELECT submitted_at FROM applications WHERE submitted_at >= $1 AND submitted_at < $2`},
		{&m.Workspaces, `SELECT created_at FROM workspaces WHERE created_at >= $1 AND created_at < $2`},
		{&m.Accompanied, `SELECT opened_at FROM cases WHERE opened_at >= $1 AND opened_at < $2`},
		{&m.Showcase, `SELECT published_at FROM showcase_entries WHERE published_at >= $1 AND published_at < $2`},
	} {
		rows, err := s.db.QueryContext(ctx, q.query, from, to)
		if err != nil {
			return nil, database.MapError(err, "training: monthly metrics")
		}
		for rows.Next() {
			var at time.Time
			if err := rows.Scan(&at); err != nil {
				rows.Close()
				return nil, database.MapError(err, "training: monthly metrics")
			}
			q.into[at.In(Paris).Month()-1]++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, database.MapError(err, "training: monthly metrics")
		}
	}
	return m, nil
}
