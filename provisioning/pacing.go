package provisioning

import (
	"context"
	"database/sql"
	"errors"
	"net/http"
	"time"

	"archipel/database"
)

// Pacing holds across replicas: each host has one schedule in the database
// (host_pacing.updated_at is the earliest time of its next request), and a
// request takes the next slot of that schedule in one short transaction,
// then waits for it. Requests to one host are thus spaced 1/rps apart
// whatever the number of replicas and jobs, with no burst.

// pace reserves the next request slot of a host at rps requests a second
// and returns its time.
func (hs *Hosts) pace(ctx context.Context, hostID string, rps float64) (time.Time, error) {
	// PostgreSQL keeps microseconds: every time here is whole microseconds
	// (the interval rounded up), so that a stored slot is never cut closer
	// to the previous one than 1/rps.
	interval := time.Duration(float64(time.Second) / rps)
	if r := interval.Truncate(time.Microsecond); r < interval {
		interval = r + time.Microsecond
	}
	var slot time.Time
	err := hs.db.Tx(ctx, func(tx *sql.Tx) error {
		now := time.Now().UTC().Truncate(time.Microsecond)
		if _, err := tx.ExecContext(ctx, `INSERT INTO host_pacing (host_id, tokens, updated_at) VALUES ($1, 0, $2)
			ON CONFLICT (host_id) DO NOTHING`, hostID, now); err != nil {
			return err
		}
		lock := ""
		if hs.db.Dialect == database.Postgres {
			lock = " FOR UPDATE" // SQLite's write transactions are exclusive already
		}
		var next time.Time
		if err := tx.QueryRowContext(ctx, `SELECT updated_at FROM host_pacing WHERE host_id = $1`+lock, hostID).Scan(&next); err != nil {
			return err
		}
		if next.Before(now) {
			next = now
		}
		slot = next
		_, err := tx.ExecContext(ctx, `UPDATE host_pacing SET updated_at = $1 WHERE host_id = $2`, next.Add(interval), hostID)
		return err
	})
	if err != nil {
		return time.Time{}, database.MapError(err, "provisioning: pace")
	}
	return slot, nil
}

// rpsOf is a host's request rate: its own setting, else the service's.
func (hs *Hosts) rpsOf(h *Host) float64 {
	if h.RequestsPerSecond > 0 {
		return h.RequestsPerSecond
	}
	return hs.rps
}

// pacedTransport waits for the host's next request slot before each request.
type pacedTransport struct {
	hosts  *Hosts
	hostID string
	rps    float64
	next   http.RoundTripper
}

func (p *pacedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	slot, err := p.hosts.pace(r.Context(), p.hostID, p.rps)
	if err != nil {
		return nil, errors.Join(errPacing, err)
	}
	if wait := time.Until(slot); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-r.Context().Done():
			t.Stop()
			return nil, r.Context().Err()
		case <-t.C:
		}
	}
	return p.next.RoundTrip(r)
}

// errPacing marks a request not sent because the pacing could not be read.
var errPacing = errors.New("provisioning: host pacing unavailable")
