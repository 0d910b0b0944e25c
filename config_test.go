package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"archipel/metrics"
)

// readmeSettings reads the rows of the README's settings table: flag name →
// the variable column as written (`ARCHIPEL_X` or `ARCHIPEL_X` (`_FILE`)).
func readmeSettings(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Settings\n")
	if !ok {
		t.Fatal("README.md has no ## Settings section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	row := regexp.MustCompile("(?m)^\\| `--([a-z-]+)` \\| ([^|]+) \\|")
	got := map[string]string{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		if _, dup := got[m[1]]; dup {
			t.Errorf("README lists --%s twice", m[1])
		}
		got[m[1]] = strings.TrimSpace(m[2])
	}
	return got
}

func TestREADMESettingsTableMatchesTheProgram(t *testing.T) {
	documented := readmeSettings(t)
	for _, s := range (&Config{}).settings() {
		want := "`" + s.env + "`"
		if s.secret {
			want += " (`_FILE`)"
		}
		got, ok := documented[s.name]
		if !ok {
			t.Errorf("README's settings table misses --%s (%s)", s.name, s.env)
			continue
		}
		if got != want {
			t.Errorf("README's row for --%s says %s, the program reads %s", s.name, got, want)
		}
		delete(documented, s.name)
	}
	for name := range documented {
		t.Errorf("README documents --%s, which the program does not read", name)
	}
}

func TestServeHelpListsEverySettingWithItsVariable(t *testing.T) {
	t.Setenv("ARCHIPEL_SMTP_URL", "smtp://user:hunter2@mail.example.org:587")
	var out bytes.Buffer
	err := run(context.Background(), []string{"serve", "--help"}, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("serve --help returned %v, want flag.ErrHelp (exit status 0)", err)
	}
	for _, s := range (&Config{}).settings() {
		if !strings.Contains(out.String(), "--"+s.name+"  $"+s.env) {
			t.Errorf("serve --help does not list --%s with $%s:\n%s", s.name, s.env, out.String())
		}
		if s.secret && !strings.Contains(out.String(), "$"+s.env+"_FILE") {
			t.Errorf("serve --help does not say that %s may come from a file", s.env)
		}
	}
	if strings.Contains(out.String(), "hunter2") {
		t.Error("serve --help printed a secret read from the environment")
	}
}

func TestPerAddressLimitsAreSettings(t *testing.T) {
	t.Run("defaults are ten an hour", func(t *testing.T) {
		cfg, err := loadConfig(flag.NewFlagSet("t", flag.ContinueOnError), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.StartsPerHour != 10 || cfg.MailsPerHour != 10 {
			t.Errorf("limits = %d starts, %d mails; want 10 and 10", cfg.StartsPerHour, cfg.MailsPerHour)
		}
	})
	t.Run("the environment and flags set them", func(t *testing.T) {
		t.Setenv("ARCHIPEL_STARTS_PER_HOUR", "3")
		cfg, err := loadConfig(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--mails-per-hour", "25"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.StartsPerHour != 3 || cfg.MailsPerHour != 25 {
			t.Errorf("limits = %d starts, %d mails; want 3 and 25", cfg.StartsPerHour, cfg.MailsPerHour)
		}
	})
	for _, bad := range []string{"0", "-1", "ten"} {
		t.Run("a limit of "+bad+" is refused with the variable's name", func(t *testing.T) {
			t.Setenv("ARCHIPEL_MAILS_PER_HOUR", bad)
			_, err := loadConfig(flag.NewFlagSet("t", flag.ContinueOnError), nil, nil)
			if err == nil || !strings.Contains(err.Error(), "ARCHIPEL_MAILS_PER_HOUR") {
				t.Errorf("err = %v, want a message naming ARCHIPEL_MAILS_PER_HOUR", err)
			}
		})
	}
}

func TestMetricsSettings(t *testing.T) {
	for _, c := range []struct {
		name     string
		args     []string
		mainPort string // token expected on the main port
		wantErr  string
	}{
		{"nothing set serves no metrics anywhere", nil, "", ""},
		{"a token alone opens /metrics on the main port", []string{"--metrics-token", "tok"}, "tok", ""},
		{"a separate address keeps /metrics off the main port", []string{"--metrics-addr", "127.0.0.1:9090", "--metrics-token", "tok"}, "", ""},
		{"an address that is not host:port is refused", []string{"--metrics-addr", "9090"}, "", "ARCHIPEL_METRICS_ADDR"},
		{"the main address is refused", []string{"--addr", ":8080", "--metrics-addr", ":8080"}, "", "must differ"},
		{"profiles without a separate address are refused", []string{"--pprof", "true", "--metrics-token", "tok"}, "", "ARCHIPEL_PPROF needs ARCHIPEL_METRICS_ADDR"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := loadConfig(flag.NewFlagSet("t", flag.ContinueOnError), c.args, nil)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := metricsTokenOnMainPort(cfg); got != c.mainPort {
				t.Errorf("token on the main port = %q, want %q", got, c.mainPort)
			}
		})
	}
}

func TestMetricsListenerServesOnlyMetrics(t *testing.T) {
	cfg, err := loadConfig(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--metrics-addr", "127.0.0.1:0", "--metrics-token", "tok"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	srv, ln, err := serveMetrics(cfg, metrics.New(), errc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	base := "http://" + ln.String()
	expectStatuses(t, base, []tokenGet{{"/metrics", "tok", 200}, {"/metrics", "", 401}, {"/", "tok", 404}, {"/staff/login", "tok", 404}, {"/debug/pprof/heap", "tok", 404}})
}

func TestProfilesOnlyWhenAskedAndBehindTheToken(t *testing.T) {
	cfg, err := loadConfig(flag.NewFlagSet("t", flag.ContinueOnError), []string{"--metrics-addr", "127.0.0.1:0", "--metrics-token", "tok", "--pprof", "true"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	srv, ln, err := serveMetrics(cfg, metrics.New(), errc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	base := "http://" + ln.String()
	expectStatuses(t, base, []tokenGet{{"/debug/pprof/heap", "tok", 200}, {"/debug/pprof/heap", "", 401}, {"/debug/pprof/allocs", "tok", 200}, {"/debug/pprof/profile?seconds=1", "", 401}, {"/metrics", "tok", 200}})
}

// tokenGet is a GET with a bearer token (none when empty) and the status
// it must get.
type tokenGet struct {
	path, token string
	want        int
}

func expectStatuses(t *testing.T, base string, gets []tokenGet) {
	t.Helper()
	for _, c := range gets {
		req, _ := http.NewRequest(http.MethodGet, base+c.path, nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.want {
			t.Errorf("GET %s (token %q): %d, want %d", c.path, c.token, res.StatusCode, c.want)
		}
	}
}
