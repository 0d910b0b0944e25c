package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"archipel/metrics"
)

// metricsTokenOnMainPort is the token that opens /metrics on the main
// port: only when no separate metrics address is set. Without a token
// and without an address, no /metrics is served at all.
func metricsTokenOnMainPort(cfg *Config) string {
	if cfg.MetricsAddr != "" {
		return ""
	}
	return cfg.MetricsToken
}

// serveMetrics serves /metrics alone on cfg.MetricsAddr (a port kept off
// the public ingress), and Go's profiles there when cfg.Pprof is set; its
// token, when set, is required for both.
func serveMetrics(cfg *Config, obs *metrics.Metrics, errc chan<- error) (*http.Server, net.Addr, error) {
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen on %s: %w", cfg.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", obs.Handler(cfg.MetricsToken))
	if cfg.Pprof {
		mux.Handle("/debug/pprof/", metrics.RequireToken(cfg.MetricsToken, "pprof", http.HandlerFunc(pprof.Index)))
		mux.Handle("/debug/pprof/profile", metrics.RequireToken(cfg.MetricsToken, "pprof", http.HandlerFunc(pprof.Profile)))
		mux.Handle("/debug/pprof/trace", metrics.RequireToken(cfg.MetricsToken, "pprof", http.HandlerFunc(pprof.Trace)))
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	if cfg.Pprof {
		srv.WriteTimeout = 5 * time.Minute // a CPU profile or a trace lasts ?seconds=
	}
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			errc <- fmt.Errorf("metrics: %w", err)
		}
	}()
	return srv, ln.Addr(), nil
}
