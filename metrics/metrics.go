// Package metrics exposes the service's Prometheus metrics: HTTP requests,
// provisioning, Nextcloud calls, check-ins, mail and the database pool.
//
// Labels never carry personal data: routes are gin's patterns (never the
// raw path), Nextcloud operations are path templates with every
// identifier replaced by ":id", hosts are their slugs.
package metrics

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"archipel/mail"
)

// Metrics holds the service's collectors in their own registry (no global
// state: tests build as many as they like).
type Metrics struct {
	Registry *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	ncCalls      *prometheus.CounterVec
	ncDuration   *prometheus.HistogramVec
	steps        *prometheus.HistogramVec
	checkins     *prometheus.CounterVec
	mails        *prometheus.CounterVec
}

// New returns the metrics with the Go runtime and process collectors
// registered.
func New() *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "archipel_http_requests_total", Help: "HTTP requests answered, by route pattern, method and status.",
	}, []string{"route", "method", "status"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "archipel_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route pattern and method.",
		Buckets: prometheus.DefBuckets,
	}, []string{"route", "method"})
	m.ncCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "archipel_nextcloud_requests_total", Help: "Requests to partner hosts' Nextcloud, by host, operation and outcome (2xx, 4xx, 5xx, error).",
	}, []string{"host", "operation", "outcome"})
	m.ncDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "archipel_nextcloud_request_duration_seconds", Help: "Latency of requests to partner hosts' Nextcloud, by host and operation.",
		Buckets: []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"host", "operation"})
	m.steps = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "archipel_provisioning_step_duration_seconds", Help: "Time a provisioning step took, by step and outcome (done, failed).",
		Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
	}, []string{"step", "outcome"})
	m.checkins = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "archipel_checkins_total", Help: "Check-ins by event: sent, reminded, expired (unanswered after the reminder).",
	}, []string{"event"})
	m.mails = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "archipel_mail_total", Help: "E-mails handed to the mail server (or outbox), by template and outcome (sent, failed).",
	}, []string{"template", "outcome"})
	for _, event := range []string{"sent", "reminded", "expired"} {
		m.checkins.WithLabelValues(event)
	}
	m.Registry.MustRegister(m.httpRequests, m.httpDuration, m.ncCalls, m.ncDuration, m.steps, m.checkins, m.mails,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// ObserveDB exports the connection pool's statistics (sql.DBStats).
func (m *Metrics) ObserveDB(db *sql.DB, dialect string) {
	m.Registry.MustRegister(collectors.NewDBStatsCollector(db, dialect))
}

// ObserveJobs exports the number of jobs of the provisioning engine of
// each kind (provision: creating a workspace; cleanup: deleting one at an
// erasure) in each state, read at each scrape from the database (so every
// replica reports the same). Every kind and state is exported, zeros too.
func (m *Metrics) ObserveJobs(count func(ctx context.Context) (map[string]map[string]int, error), kinds, states []string, logger *slog.Logger) {
	m.Registry.MustRegister(&jobsCollector{count: count, kinds: kinds, states: states, logger: logger,
		desc: prometheus.NewDesc("archipel_provisioning_jobs", "Jobs of the provisioning engine by kind (provision, cleanup) and state (whole archipelago).",
			[]string{"kind", "state"}, nil)})
}

type jobsCollector struct {
	count         func(ctx context.Context) (map[string]map[string]int, error)
	kinds, states []string
	logger        *slog.Logger
	desc          *prometheus.Desc
}

func (c *jobsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *jobsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.count(ctx)
	if err != nil {
		c.logger.Warn("metrics: count provisioning jobs", slog.Any("err", err))
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	for _, k := range c.kinds {
		for _, s := range c.states {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[k][s]), k, s)
		}
	}
}

// HTTPRequest records one answered request; route is the router's pattern
// (empty for an unknown path, recorded as "unmatched").
func (m *Metrics) HTTPRequest(route, method string, status int, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	if !knownMethod(method) {
		method = "other"
	}
	m.httpRequests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(took.Seconds())
}

func knownMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// Step records one provisioning step run (a provisioning.StepObserver).
func (m *Metrics) Step(step string, ok bool, took time.Duration) {
	outcome := "done"
	if !ok {
		outcome = "failed"
	}
	m.steps.WithLabelValues(step, outcome).Observe(took.Seconds())
}

// CheckIns adds what one dispatcher tick did.
func (m *Metrics) CheckIns(sent, reminded, expired int) {
	m.checkins.WithLabelValues("sent").Add(float64(sent))
	m.checkins.WithLabelValues("reminded").Add(float64(reminded))
	m.checkins.WithLabelValues("expired").Add(float64(expired))
}

// Mail records one e-mail handed over (or not); template is the mail
// template's name, never an address or a subject.
func (m *Metrics) Mail(template string, err error) {
	outcome := "sent"
	if err != nil {
		outcome = "failed"
	}
	if template == "" {
		template = "other"
	}
	m.mails.WithLabelValues(template, outcome).Inc()
}

// Handler serves the metrics in Prometheus' text format. With a token,
// only a request bearing it (Authorization: Bearer …) is answered.
func (m *Metrics) Handler(token string) http.Handler {
	return RequireToken(token, "metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
}

// RequireToken lets through only requests bearing token (any request when
// it is empty); the others get a 401 naming realm.
func RequireToken(token, realm string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="`+realm+`"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Transport wraps a transport to a partner host's Nextcloud so that each
// request is counted and timed under the host's slug.
func (m *Metrics) Transport(host string, next http.RoundTripper) http.RoundTripper {
	return &observedTransport{m: m, host: host, next: next}
}

type observedTransport struct {
	m    *Metrics
	host string
	next http.RoundTripper
}

func (t *observedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	op := Operation(r.Method, r.URL.Path)
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	outcome := "error"
	if err == nil {
		outcome = strconv.Itoa(resp.StatusCode/100) + "xx"
	}
	t.m.ncCalls.WithLabelValues(t.host, op, outcome).Inc()
	t.m.ncDuration.WithLabelValues(t.host, op).Observe(time.Since(start).Seconds())
	return resp, err
}

// vocabulary is every literal path segment of the Nextcloud APIs Archipel
// calls; any other segment is an identifier (a user, a group, a share, a
// folder) and becomes ":id".
var vocabulary = map[string]bool{
	"cloud": true, "capabilities": true, "user": true, "fields": true, "users": true, "details": true,
	"enable": true, "disable": true, "groups": true, "subadmins": true, "welcome": true,
	"core": true, "getapppassword": true, "apppassword": true,
	"apps": true, "files_sharing": true, "api": true, "v1": true, "shares": true,
	"groupfolders": true, "folders": true, "quota": true, "acl": true, "manageACL": true, "mountpoint": true,
	"circles": true, "deck": true, "boards": true, "stacks": true, "cards": true, "labels": true,
	"provisioning_api": true, "config": true, "apps.php": true, "status.php": true,
}

// Operation names a Nextcloud request without its identifiers:
// "PUT ocs cloud/users/:id/enable", "MKCOL dav files", "GET status.php".
func Operation(method, path string) string {
	if !knownMethod(method) && !strings.HasPrefix(method, "PROP") && method != "MKCOL" &&
		method != "REPORT" && method != "MOVE" && method != "COPY" {
		method = "OTHER"
	}
	path = strings.Trim(path, "/")
	// A Nextcloud installed under a sub-path (https://example.org/cloud/…):
	// start at the first segment Nextcloud itself defines.
	for _, anchor := range []string{"ocs/", "remote.php/", "index.php/", "status.php"} {
		if i := strings.Index(path, anchor); i > 0 && path[i-1] == '/' {
			path = path[i:]
			break
		}
	}
	segs := strings.Split(path, "/")
	switch {
	case len(segs) >= 2 && segs[0] == "ocs":
		return method + " ocs " + templated(segs[2:])
	case len(segs) >= 3 && segs[0] == "remote.php" && segs[1] == "dav":
		// files/<user>/<folders…>, calendars/<user>/<calendar>: the kind only.
		return method + " dav " + kind(segs[2])
	case len(segs) >= 2 && segs[0] == "remote.php":
		return method + " " + kind(segs[1])
	case len(segs) >= 2 && segs[0] == "index.php":
		return method + " index.php " + templated(segs[1:])
	case len(segs) == 1 && segs[0] == "status.php":
		return method + " status.php"
	}
	return method + " other"
}

func templated(segs []string) string {
	out := make([]string, 0, len(segs))
	for _, s := range segs {
		if vocabulary[s] {
			out = append(out, s)
		} else {
			out = append(out, ":id")
		}
	}
	return strings.Join(out, "/")
}

func kind(seg string) string {
	switch seg {
	case "files", "calendars", "addressbooks", "principals", "uploads", "trashbin", "webdav", "dav":
		return seg
	}
	return ":id"
}

// Sender wraps a mail sender so that each e-mail is counted by template
// and outcome.
func (m *Metrics) Sender(next mail.Sender) mail.Sender { return &observedSender{m: m, next: next} }

type observedSender struct {
	m    *Metrics
	next mail.Sender
}

func (s *observedSender) Send(ctx context.Context, msg mail.Message) error {
	err := s.next.Send(ctx, msg)
	s.m.Mail(msg.Tag, err)
	return err
}
