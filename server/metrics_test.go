package server_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"archipel/accounts"
	"archipel/onboarding"
	"archipel/provisioning"
	"archipel/provisioning/simulator"
	"archipel/server"
)

const metricsToken = "metrics-token-for-tests-0123456789"

// scrape reads /metrics with a bearer token (none when token is empty).
func (a *testApp) scrape(t *testing.T, token string) (int, map[string]*dto.MetricFamily) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, a.Server.URL+"/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return res.StatusCode, nil
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return res.StatusCode, families
}

// sample sums a family's values over the series whose labels include want.
func sample(families map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f, ok := families[name]
	if !ok {
		return -1
	}
	var sum float64
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			match = match && labels[k] == v
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

func TestMetricsAreNotPublicByDefault(t *testing.T) {
	app := newTestApp(t)
	if status, _ := app.scrape(t, ""); status != http.StatusNotFound {
		t.Errorf("/metrics without a token configured answered %d, want 404", status)
	}
}

func TestMetricsAfterAProvisioningRun(t *testing.T) {
	app := newTestAppWith(t, server.Options{MetricsToken: metricsToken})
	sim := app.reqConnect("h-lyon")
	ctx := context.Background()
	const email = "tresorerie@velo-solidaire.example"
	visitor, id := app.reqSubmit("fr", email, "Vélo solidaire de Lyon")
	resumeLink := app.lastLink(email)
	visitor.get(resumeLink) // a path holding a private token goes through the counters
	apps := onboarding.NewStore(app.DB, nil)
	req, err := apps.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	host, err := app.Hosts.Get(ctx, "h-lyon")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Engine.Approve(ctx, req, host, provisioning.DefaultPlanOptions(req, host), &accounts.User{ID: "test", Email: "test", Role: accounts.RoleAdmin}); err != nil {
		t.Fatal(err)
	}
	app.reqRunDue()
	if st := app.reqStatus(id); st != onboarding.StatusReady {
		t.Fatalf("request is %s after the run\n%s", st, app.Logs.String())
	}

	t.Run("without the bearer token the scrape is refused", func(t *testing.T) {
		for _, token := range []string{"", "wrong-token"} {
			if status, _ := app.scrape(t, token); status != http.StatusUnauthorized {
				t.Errorf("token %q: status %d, want 401", token, status)
			}
		}
	})

	if _, err := app.Outbox.List(); err != nil { // the mail dispatcher's round: queued e-mails handed over
		t.Fatal(err)
	}
	status, families := app.scrape(t, metricsToken)
	if status != http.StatusOK {
		t.Fatalf("scrape: %d", status)
	}
	t.Run("counters moved", func(t *testing.T) {
		for _, c := range []struct {
			name   string
			labels map[string]string
		}{
			{"archipel_http_requests_total", map[string]string{"route": "/demande/:step", "method": "POST", "status": "303"}},
			{"archipel_http_request_duration_seconds", map[string]string{"route": "/demande/:step"}},
			{"archipel_http_requests_total", map[string]string{"route": "/reprendre/:token", "method": "GET"}},
			{"archipel_provisioning_jobs", map[string]string{"kind": "provision", "state": "succeeded"}},
			{"archipel_provisioning_step_duration_seconds", map[string]string{"step": provisioning.StepGroup, "outcome": "done"}},
			{"archipel_nextcloud_requests_total", map[string]string{"host": "ile-numerique", "operation": "POST ocs cloud/groups", "outcome": "2xx"}},
			{"archipel_nextcloud_request_duration_seconds", map[string]string{"host": "ile-numerique"}},
			{"archipel_mail_total", map[string]string{"template": "workspace_ready", "outcome": "sent"}},
			{"go_sql_open_connections", nil},
		} {
			if v := sample(families, c.name, c.labels); v <= 0 {
				t.Errorf("%s%v = %v, want > 0", c.name, c.labels, v)
			}
		}
		if v := sample(families, "archipel_provisioning_jobs", map[string]string{"kind": "provision", "state": "failed"}); v != 0 {
			t.Errorf("failed jobs = %v, want 0 (and present)", v)
		}
		if v := sample(families, "archipel_provisioning_jobs", map[string]string{"kind": "cleanup", "state": "succeeded"}); v != 0 {
			t.Errorf("succeeded clean-ups = %v, want 0 (and present): the creation is no clean-up", v)
		}
	})

	t.Run("no label holds an e-mail, a token or an identifier", func(t *testing.T) {
		snap := sim.Snapshot()
		var secrets []string
		for _, g := range snap.Groups {
			if g.ID != "admin" { // Nextcloud's own administrators' group
				secrets = append(secrets, g.ID)
			}
		}
		for _, u := range snap.Users {
			if u.ID != simulator.DefaultAdminUser {
				secrets = append(secrets, u.ID)
			}
		}
		secrets = append(secrets, id, "velo", "Vélo", metricsToken)
		m := regexp.MustCompile(`/reprendre/([A-Za-z0-9_-]+)`).FindStringSubmatch(resumeLink)
		if m == nil {
			t.Fatalf("no private link in %q", resumeLink)
		}
		secrets = append(secrets, m[1])
		for name, f := range families {
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					v := l.GetValue()
					if strings.Contains(v, "@") {
						t.Errorf("%s{%s=%q} holds an e-mail address", name, l.GetName(), v)
					}
					for _, s := range secrets {
						if s != "" && strings.Contains(strings.ToLower(v), strings.ToLower(s)) {
							t.Errorf("%s{%s=%q} holds %q", name, l.GetName(), v, s)
						}
					}
				}
			}
		}
	})
}
