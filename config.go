package main

import (
	"archipel/accounts"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the service, read from flags and ARCHIPEL_*
// environment variables (secrets also from ARCHIPEL_*_FILE), validated once
// at start and handed down explicitly.
type Config struct {
	// Args are the command's arguments other than flags, wherever they
	// stood among the flags ("approve ID --host SLUG" as "approve --host SLUG ID").
	Args []string

	Addr            string
	BaseURL         string
	DataDir         string
	DatabaseURL     string
	SMTPURL         string
	MailFrom        string
	SecretKey       string
	LogLevel        string
	LogFormat       string
	Migrate         bool
	TrustedProxies  []string
	ShutdownTimeout time.Duration
	StartsPerHour   int
	MailsPerHour    int
	MetricsAddr     string
	MetricsToken    string
	// Pprof serves Go's profiles on the metrics address, for performance
	// work (README: Performance and footprint).
	Pprof bool
	// ChatonsPrivate lets Archipel read ChatonsInfos files on private and
	// loopback addresses (a host on the same local network).
	ChatonsPrivate bool
	// The archipelago as its own ChatonsInfos files describe it.
	ChatonsName        string
	ChatonsDescription string
	ChatonsContact     string
	// Staff sign-in through the host's identity provider.
	OIDCIssuer       string
	OIDCClientID     string
	OIDCClientSecret string
	OIDCName         string
}

// setting describes one configuration entry; the README's table lists them.
type setting struct {
	name, env, def, help string
	secret               bool
	target               any
}

func (c *Config) settings() []setting {
	return []setting{
		{"addr", "ARCHIPEL_ADDR", ":8080", "address to listen on", false, &c.Addr},
		{"base-url", "ARCHIPEL_BASE_URL", "", "public URL of the service, used in e-mails (default: http://<addr>)", false, &c.BaseURL},
		{"data", "ARCHIPEL_DATA_DIR", "./data", "data directory (SQLite database, outbox)", false, &c.DataDir},
		{"database-url", "ARCHIPEL_DATABASE_URL", "", "postgres:// URL; empty means embedded SQLite in the data directory", true, &c.DatabaseURL},
		{"smtp-url", "ARCHIPEL_SMTP_URL", "", "smtp://user:pass@host:587?tls=starttls; empty writes mail to <data>/outbox", true, &c.SMTPURL},
		{"mail-from", "ARCHIPEL_MAIL_FROM", "Archipel <noreply@archipel.localhost>", "sender of every e-mail", false, &c.MailFrom},
		{"secret-key", "ARCHIPEL_SECRET_KEY", "", "32-byte key (64 hex digits or base64) that encrypts secrets at rest", true, &c.SecretKey},
		{"log-level", "ARCHIPEL_LOG_LEVEL", "info", "debug, info, warn or error", false, &c.LogLevel},
		{"log-format", "ARCHIPEL_LOG_FORMAT", "text", "text or json", false, &c.LogFormat},
		{"migrate", "ARCHIPEL_MIGRATE", "true", "apply pending migrations at start", false, &c.Migrate},
		{"trusted-proxies", "ARCHIPEL_TRUSTED_PROXIES", "", "comma-separated proxy addresses or CIDRs whose X-Forwarded-For is believed", false, &c.TrustedProxies},
		{"shutdown-timeout", "ARCHIPEL_SHUTDOWN_TIMEOUT", "15s", "time given to requests in flight on SIGTERM", false, &c.ShutdownTimeout},
		{"starts-per-hour", "ARCHIPEL_STARTS_PER_HOUR", "10", "sign-ups one address may start per hour", false, &c.StartsPerHour},
		{"mails-per-hour", "ARCHIPEL_MAILS_PER_HOUR", "10", "e-mails (links, resends, resets) one address may ask for per hour", false, &c.MailsPerHour},
		{"metrics-addr", "ARCHIPEL_METRICS_ADDR", "", "separate host:port serving Prometheus /metrics (e.g. 127.0.0.1:9090); empty: none", false, &c.MetricsAddr},
		{"metrics-token", "ARCHIPEL_METRICS_TOKEN", "", "bearer token required on /metrics; when set without metrics-addr, /metrics is served on the main port", true, &c.MetricsToken},
		{"pprof", "ARCHIPEL_PPROF", "false", "also serve Go's profiles (/debug/pprof/) on metrics-addr, behind metrics-token when set", false, &c.Pprof},
		{"oidc-issuer", "ARCHIPEL_OIDC_ISSUER", "", "OpenID Connect issuer URL of the identity provider staff may sign in with; empty: passwords only", false, &c.OIDCIssuer},
		{"oidc-client-id", "ARCHIPEL_OIDC_CLIENT_ID", "", "client id registered at the identity provider", false, &c.OIDCClientID},
		{"oidc-client-secret", "ARCHIPEL_OIDC_CLIENT_SECRET", "", "client secret registered at the identity provider", true, &c.OIDCClientSecret},
		{"oidc-name", "ARCHIPEL_OIDC_NAME", "", "the provider's name on the login page (\"Sign in with <name>\")", false, &c.OIDCName},
		{"chatonsinfos-allow-private", "ARCHIPEL_CHATONSINFOS_ALLOW_PRIVATE", "false", "read hosts' ChatonsInfos files on private and loopback addresses too", false, &c.ChatonsPrivate},
		{"chatonsinfos-name", "ARCHIPEL_CHATONSINFOS_NAME", "Archipel", "the archipelago's name in its published ChatonsInfos files", false, &c.ChatonsName},
		{"chatonsinfos-description", "ARCHIPEL_CHATONSINFOS_DESCRIPTION", "Accompagnement des associations vers le Nextcloud d'hébergeurs alternatifs", "the archipelago's description in its published ChatonsInfos files", false, &c.ChatonsDescription},
		{"chatonsinfos-contact", "ARCHIPEL_CHATONSINFOS_CONTACT", "", "contact e-mail address in the published ChatonsInfos files", false, &c.ChatonsContact},
	}
}

// loadConfig fills a Config from defaults, then environment, then flags.
func loadConfig(fs *flag.FlagSet, args []string, defaults map[string]string) (*Config, error) {
	c := &Config{}
	values := map[string]*string{}
	fs.Usage = func() { printSettings(fs, c.settings(), defaults) }
	for _, s := range c.settings() {
		def := s.def
		if d, ok := defaults[s.name]; ok {
			def = d
		}
		v, err := envValue(s.env, s.secret)
		if err != nil {
			return nil, err
		}
		if v == "" {
			v = def
		}
		values[s.name] = fs.String(s.name, v, s.help+" ($"+s.env+")")
	}
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		// The standard flag package stops at the first argument that is
		// not a flag: take it and read the flags after it too.
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	c.Args = positional
	for _, s := range c.settings() {
		raw := *values[s.name]
		switch t := s.target.(type) {
		case *string:
			*t = raw
		case *bool:
			b, err := strconv.ParseBool(raw)
			if err != nil {
				return nil, fmt.Errorf("config: %s: %q is not true or false", s.env, raw)
			}
			*t = b
		case *int:
			n, err := strconv.Atoi(raw)
			if err != nil {
				return nil, fmt.Errorf("config: %s: %q is not a whole number", s.env, raw)
			}
			*t = n
		case *time.Duration:
			d, err := time.ParseDuration(raw)
			if err != nil {
				return nil, fmt.Errorf("config: %s: %q is not a duration such as 15s", s.env, raw)
			}
			*t = d
		case *[]string:
			*t = nil
			for _, p := range strings.Split(raw, ",") {
				if p = strings.TrimSpace(p); p != "" {
					*t = append(*t, p)
				}
			}
		}
	}
	return c, c.validate()
}

// printSettings is the -h text of a command: every setting with its
// environment variable and its built-in default. It never prints a value
// read from the environment, so secrets stay out of terminals and logs.
func printSettings(fs *flag.FlagSet, settings []setting, defaults map[string]string) {
	w := fs.Output()
	fmt.Fprintf(w, "Usage of archipel %s [flags]\n\nEvery flag also reads an environment variable; secrets may also be read from the file named by <VARIABLE>_FILE.\n\n", fs.Name())
	known := map[string]bool{}
	for _, s := range settings {
		known[s.name] = true
		def := s.def
		if d, ok := defaults[s.name]; ok {
			def = d
		}
		env := "$" + s.env
		if s.secret {
			env += " (or $" + s.env + "_FILE)"
		}
		fmt.Fprintf(w, "  --%s  %s\n      %s", s.name, env, s.help)
		if def != "" {
			fmt.Fprintf(w, " (default %q)", def)
		}
		fmt.Fprintln(w)
	}
	// Flags a command adds beside the settings (approve --host, ...).
	fs.VisitAll(func(f *flag.Flag) {
		if !known[f.Name] {
			fmt.Fprintf(w, "  --%s\n      %s\n", f.Name, f.Usage)
		}
	})
}

// envValue reads NAME, or the file named by NAME_FILE for secrets.
func envValue(name string, secret bool) (string, error) {
	if v := os.Getenv(name); v != "" {
		return v, nil
	}
	if !secret {
		return "", nil
	}
	path := os.Getenv(name + "_FILE")
	if path == "" {
		return "", nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("config: %s_FILE: %w", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func (c *Config) validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("ARCHIPEL_ADDR %q is not host:port", c.Addr))
	}
	if c.BaseURL == "" {
		host := c.Addr
		if strings.HasPrefix(host, ":") {
			host = "localhost" + host
		}
		c.BaseURL = "http://" + host
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("ARCHIPEL_BASE_URL %q is not an http(s) URL", c.BaseURL))
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") &&
		!strings.HasPrefix(c.DatabaseURL, "postgresql://") && !strings.HasPrefix(c.DatabaseURL, "sqlite://") {
		errs = append(errs, errors.New("ARCHIPEL_DATABASE_URL must start with postgres:// or sqlite://"))
	}
	if abs, err := filepath.Abs(c.DataDir); err == nil {
		c.DataDir = abs
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("ARCHIPEL_LOG_LEVEL %q is not debug, info, warn or error", c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("ARCHIPEL_LOG_FORMAT %q is not text or json", c.LogFormat))
	}
	for _, p := range c.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				errs = append(errs, fmt.Errorf("ARCHIPEL_TRUSTED_PROXIES: %q is neither an address nor a CIDR", p))
			}
		}
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("ARCHIPEL_SHUTDOWN_TIMEOUT must be positive"))
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("ARCHIPEL_METRICS_ADDR %q is not host:port", c.MetricsAddr))
		} else if c.MetricsAddr == c.Addr {
			errs = append(errs, errors.New("ARCHIPEL_METRICS_ADDR must differ from ARCHIPEL_ADDR (leave it empty and set ARCHIPEL_METRICS_TOKEN to serve /metrics on the main port)"))
		}
	}
	if c.Pprof && c.MetricsAddr == "" {
		errs = append(errs, errors.New("ARCHIPEL_PPROF needs ARCHIPEL_METRICS_ADDR: profiles are served only on that separate port, never on the public one"))
	}
	if err := c.oidc().Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.StartsPerHour < 1 {
		errs = append(errs, errors.New("ARCHIPEL_STARTS_PER_HOUR must be at least 1"))
	}
	if c.MailsPerHour < 1 {
		errs = append(errs, errors.New("ARCHIPEL_MAILS_PER_HOUR must be at least 1"))
	}
	return errors.Join(errs...)
}

// oidc is the identity provider's settings (its redirect address is set
// by the server from the base URL).
func (c *Config) oidc() accounts.OIDCConfig {
	return accounts.OIDCConfig{Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID, ClientSecret: c.OIDCClientSecret, Name: c.OIDCName}
}

// Secure reports whether cookies must carry the Secure flag.
func (c *Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

func (c *Config) logger() *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}
