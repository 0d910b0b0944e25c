package metrics

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"archipel/mail"
)

func TestOperationNamesNoIdentifier(t *testing.T) {
	for _, c := range []struct{ method, path, want string }{
		{"POST", "/ocs/v2.php/cloud/users", "POST ocs cloud/users"},
		{"PUT", "/ocs/v1.php/cloud/users/anne.martin/enable", "PUT ocs cloud/users/:id/enable"},
		{"POST", "/ocs/v2.php/cloud/users/velo-admin/subadmins", "POST ocs cloud/users/:id/subadmins"},
		{"GET", "/ocs/v2.php/cloud/groups/Velo%20solidaire/users", "GET ocs cloud/groups/:id/users"},
		{"POST", "/ocs/v2.php/apps/files_sharing/api/v1/shares", "POST ocs apps/files_sharing/api/v1/shares"},
		{"POST", "/index.php/apps/groupfolders/folders/12/groups/velo", "POST index.php apps/groupfolders/folders/:id/groups/:id"},
		{"MKCOL", "/remote.php/dav/files/velo-admin/Administratif/Comptes", "MKCOL dav files"},
		{"PROPFIND", "/remote.php/dav/calendars/velo-admin/perso/", "PROPFIND dav calendars"},
		{"GET", "/status.php", "GET status.php"},
		{"GET", "/nextcloud/ocs/v2.php/cloud/capabilities", "GET ocs cloud/capabilities"},
		{"BREW", "/coffee/pot/anne", "OTHER other"},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			if got := Operation(c.method, c.path); got != c.want {
				t.Errorf("Operation = %q, want %q", got, c.want)
			}
		})
	}
}

func TestHandlerNeedsTheBearerToken(t *testing.T) {
	m := New()
	h := m.Handler("s3cret-token")
	for _, c := range []struct {
		auth string
		want int
	}{{"", 401}, {"Bearer wrong", 401}, {"s3cret-token", 401}, {"Bearer s3cret-token", 200}} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("Authorization %q: %d, want %d", c.auth, rec.Code, c.want)
		}
	}
}

type failingSender struct{ err error }

func (f failingSender) Send(context.Context, mail.Message) error { return f.err }

func TestCountersMove(t *testing.T) {
	m := New()
	t.Run("mail sent and failed by template", func(t *testing.T) {
		_ = m.Sender(failingSender{}).Send(context.Background(), mail.Message{Tag: "checkin", To: "a@b.example"})
		_ = m.Sender(failingSender{errors.New("down")}).Send(context.Background(), mail.Message{Tag: "checkin", To: "a@b.example"})
		if v := testutil.ToFloat64(m.mails.WithLabelValues("checkin", "sent")); v != 1 {
			t.Errorf("sent = %v", v)
		}
		if v := testutil.ToFloat64(m.mails.WithLabelValues("checkin", "failed")); v != 1 {
			t.Errorf("failed = %v", v)
		}
	})
	t.Run("check-ins sent, reminded, expired", func(t *testing.T) {
		m.CheckIns(3, 2, 1)
		m.CheckIns(1, 0, 0)
		for event, want := range map[string]float64{"sent": 4, "reminded": 2, "expired": 1} {
			if v := testutil.ToFloat64(m.checkins.WithLabelValues(event)); v != want {
				t.Errorf("%s = %v, want %v", event, v, want)
			}
		}
	})
	t.Run("an unknown path is one series, not one per path", func(t *testing.T) {
		m.HTTPRequest("", "GET", 404, 0)
		m.HTTPRequest("", "PURGE", 404, 0)
		if v := testutil.ToFloat64(m.httpRequests.WithLabelValues("unmatched", "other", "404")); v != 1 {
			t.Errorf("unmatched PURGE = %v", v)
		}
	})
	t.Run("the exposition holds no address", func(t *testing.T) {
		rec := httptest.NewRecorder()
		m.Handler("").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if strings.Contains(rec.Body.String(), "@") {
			t.Error("an e-mail address reached the metrics")
		}
	})
}

func TestJobsAreCountedByKindAndState(t *testing.T) {
	m := New()
	counts := map[string]map[string]int{"provision": {"succeeded": 3, "running": 1}, "cleanup": {"needs_attention": 1}}
	m.ObserveJobs(func(context.Context) (map[string]map[string]int, error) { return counts, nil },
		[]string{"provision", "cleanup"}, []string{"running", "succeeded", "needs_attention"}, nil)
	want := `
# HELP archipel_provisioning_jobs Jobs of the provisioning engine by kind (provision, cleanup) and state (whole archipelago).
# TYPE archipel_provisioning_jobs gauge
archipel_provisioning_jobs{kind="cleanup",state="needs_attention"} 1
archipel_provisioning_jobs{kind="cleanup",state="running"} 0
archipel_provisioning_jobs{kind="cleanup",state="succeeded"} 0
archipel_provisioning_jobs{kind="provision",state="needs_attention"} 0
archipel_provisioning_jobs{kind="provision",state="running"} 1
archipel_provisioning_jobs{kind="provision",state="succeeded"} 3
`
	if err := testutil.GatherAndCompare(m.Registry, strings.NewReader(want), "archipel_provisioning_jobs"); err != nil {
		t.Error(err)
	}
}
