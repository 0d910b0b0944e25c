package main

import (
	"fmt"
	"net"
	"net/http"
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
// the public ingress); its token, when set, is required there too.
func serveMetrics(cfg *Config, obs *metrics.Metrics, errc chan<- error) (*http.Server, net.Addr, error) {
	ln, err := net.Listen("tcp", cfg.MetricsAddr)
	if err != nil {
		return nil, nil, fmt.Errorf("listen on %s: %w", cfg.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", obs.Handler(cfg.MetricsToken))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			errc <- fmt.Errorf("metrics: %w", err)
		}
	}()
	return srv, ln.Addr(), nil
}
