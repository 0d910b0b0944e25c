// Command archipel runs the Archipel service: guided sign-up of
// associations, needs-assessment interviews, provisioning on partner hosts'
// Nextcloud, accompaniment and the public showcase.
package main

import (
	"runtime/debug"

	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
	_ "time/tzdata" // Europe/Paris even on images without zoneinfo

	"archipel/accounts"
	"archipel/chatonsinfos"
	"archipel/database"
	"archipel/mail"
	"archipel/metrics"
	"archipel/onboarding"
	"archipel/provisioning"
	"archipel/provisioning/nextcloud"
	"archipel/rights"
	"archipel/server"
	"archipel/templates"
	"archipel/training"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `archipel – bring associations onto alternative hosts' Nextcloud

Usage:
  archipel serve   [flags]   run the service
  archipel demo    [flags]   run everything locally with sample hosts (embedded SQLite)
  archipel migrate [flags]   apply pending database migrations and exit
  archipel approve [flags] REQUEST-ID [--host SLUG]
                             approve a submitted request and provision its workspace
  archipel host check --url URL --user USER --password-file FILE
                             test a partner host's Nextcloud connection
  archipel user add --email E --role admin|staff|trainer [--host SLUG]
                             create a staff account and print its invitation link
  archipel version           print the version

Run "archipel <command> -h" for the flags of a command; every flag also
reads an ARCHIPEL_* environment variable (see README).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
	if errors.Is(err, flag.ErrHelp) {
		return // -h asked for the settings: they were printed
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "archipel:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return errors.New("a command is needed")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "archipel", version)
		return nil
	case "serve":
		cfg, err := loadConfig(newFlagSet("serve", stdout), rest, nil)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, stdout, false)
	case "demo":
		cfg, err := loadConfig(newFlagSet("demo", stdout), rest, map[string]string{
			"addr": "127.0.0.1:8080", "data": filepath.Join(os.TempDir(), "archipel-demo"),
		})
		if err != nil {
			return err
		}
		return serve(ctx, cfg, stdout, true)
	case "migrate":
		cfg, err := loadConfig(newFlagSet("migrate", stdout), rest, nil)
		if err != nil {
			return err
		}
		db, err := database.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
		if err != nil {
			return err
		}
		defer db.Close()
		return db.Migrate(ctx)
	case "approve":
		return approve(ctx, rest, stdout)
	case "host":
		return hostCommand(ctx, rest, stdout)
	case "user":
		return userCommand(ctx, rest, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stdout, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// newFlagSet is a command's flag set writing its -h text and flag errors
// to stdout, so that `archipel serve --help | less` works.
func newFlagSet(name string, stdout io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stdout)
	return fs
}

// serve assembles the service from its configuration and runs it until ctx
// ends, then shuts down gracefully.
func serve(ctx context.Context, cfg *Config, stdout io.Writer, demo bool) error {
	logger := cfg.logger()
	slog.SetDefault(logger)
	db, err := database.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	if cfg.Migrate || demo {
		if err := db.Migrate(ctx); err != nil {
			return err
		}
	}
	if pending, err := db.Pending(ctx); err != nil {
		return err
	} else if pending {
		return errors.New("the database schema is behind: run `archipel migrate` (or start with ARCHIPEL_MIGRATE=true)")
	}
	tpl, err := templates.Load()
	if err != nil {
		return err
	}
	sender, err := mail.New(cfg.SMTPURL, cfg.MailFrom, filepath.Join(cfg.DataDir, "outbox"))
	if err != nil {
		return err
	}
	obs := metrics.New()
	obs.ObserveDB(db.DB, string(db.Dialect))
	sender = obs.Sender(sender)
	keyring, err := cfg.keyring(logger)
	if err != nil {
		return err
	}
	hosts := provisioning.NewHosts(db, keyring, 10)
	hosts.UserAgent = nextcloud.UserAgent(version)
	hosts.Observe = obs.Transport
	apps := onboarding.NewStore(db, nil)
	var sims []*simulatedHost
	if demo {
		ids, err := seedDemo(ctx, apps, hosts)
		if err != nil {
			return err
		}
		if sims, err = startSimulators(ctx, hosts, ids); err != nil {
			return err
		}
		defer stopSimulators(sims)
	}
	staff := accounts.NewStore(db, nil)
	outbox := mail.NewQueue(db, sender, logger, mail.QueueOptions{})
	postman := &mail.Postman{Renderer: tpl, Queue: outbox}
	notifier := &accounts.Notifier{Store: staff, Postman: postman, BaseURL: cfg.BaseURL}
	var demoLogin string
	if demo {
		if demoLogin, err = demoAdmin(ctx, staff); err != nil {
			return err
		}
	}
	engine := provisioning.NewEngine(db, hosts, apps, postman, logger, provisioning.Options{BaseURL: cfg.BaseURL, OnStep: obs.Step})
	obs.ObserveJobs(engine.Jobs.CountByKindAndStatus, provisioning.JobKindNames(), provisioning.JobStatusNames(), logger)
	accompaniment := training.NewStore(db, nil)
	if demo {
		accompaniment.EnableDemo() // the admin dashboard's "make time pass" button
	}
	usage := training.NewUsageReader(accompaniment, hosts, logger)
	outboxDir := "" // e-mails are files there only without an SMTP server
	if cfg.SMTPURL == "" {
		outboxDir = filepath.Join(cfg.DataDir, "outbox")
	}
	dataRights := rights.NewStore(db, nil)
	dataRights.Postman = postman
	dataRights.OutboxDir = outboxDir
	chatons := onboarding.NewChatonsReader(apps, chatonsinfos.NewFetcher(cfg.ChatonsPrivate, nextcloud.UserAgent(version)), logger)
	handler, err := server.New(server.Options{
		BaseURL: cfg.BaseURL, Secure: cfg.Secure(), TrustedProxies: cfg.TrustedProxies,
		StartsPerHour: cfg.StartsPerHour, MailsPerHour: cfg.MailsPerHour,
		MetricsToken: metricsTokenOnMainPort(cfg),
		ChatonsName:  cfg.ChatonsName, ChatonsDescription: cfg.ChatonsDescription, ChatonsContact: cfg.ChatonsContact,
		Version: version, OIDC: cfg.oidc(),
	}, server.Deps{
		DB: db, Templates: tpl, Logger: logger,
		Onboarding: apps,
		Accounts:   staff,
		Hosts:      hosts,
		Engine:     engine,
		Postman:    postman,
		Notifier:   notifier,
		Showcase:   training.NewShowcase(db, nil),
		Training:   accompaniment,
		Usage:      usage,
		Rights:     dataRights,
		Metrics:    obs,
		Chatons:    chatons,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
	}
	// Parsing templates and messages and migrating left garbage the
	// runtime would otherwise keep from the system for minutes.
	debug.FreeOSMemory()
	logger.Info("archipel listening", slog.String("addr", ln.Addr().String()), slog.String("version", version),
		slog.String("database", string(db.Dialect)))
	if demo {
		fmt.Fprintf(stdout, "\nArchipel demo is running: %s\n", cfg.BaseURL)
		fmt.Fprintf(stdout, "  data directory: %s\n", cfg.DataDir)
		if cfg.SMTPURL == "" {
			fmt.Fprintf(stdout, "  e-mails are written to: %s\n", filepath.Join(cfg.DataDir, "outbox"))
		}
		for _, s := range sims {
			if s.name != "" {
				fmt.Fprintf(stdout, "  simulated Nextcloud %s of %s: %s/_archipel/state\n", s.version, s.name, s.url)
			} else {
				fmt.Fprintf(stdout, "  a spare simulated Nextcloud to add as a new host: %s (account admin, app password %s)\n", s.url, s.appPassword)
			}
		}
		fmt.Fprintf(stdout, "  staff pages: %s/staff/login  (%s)\n", cfg.BaseURL, demoLogin)
		fmt.Fprintf(stdout, "  approve a submitted request: go run . approve --data %s REQUEST-ID [--host SLUG]\n", cfg.DataDir)
		fmt.Fprintln(stdout, "Press Ctrl+C to stop.")
	}
	retention := &rights.Enforcer{DB: db, OutboxDir: outboxDir, Logger: logger}
	// The day's tasks run at start when their hour has passed (a replica
	// started late still does the day's work); their garbage, like the
	// start's, goes back to the system once they have ended.
	settled := func() {
		debug.FreeOSMemory()
		logger.Info("start-up tasks ended")
	}
	sched, err := startScheduler(ctx, db, engine.Worker(), logger, settled, retentionTask(retention),
		dailyTask{name: "usage-readings", hour: 6, minute: 15, run: usage.ReadAll},
		dailyTask{name: "staff-digest", hour: 7, minute: 30, run: func(ctx context.Context) error {
			_, err := notifier.SendDigests(ctx)
			return err
		}},
		dailyTask{name: "chatonsinfos", hour: 5, minute: 40, run: chatons.ReadAll})
	if err != nil {
		return err
	}
	defer sched.Shutdown()
	// Opens cases for ready workspaces and sends check-ins, every minute.
	checkins := training.NewDispatcher(accompaniment, postman, usage, logger, training.DispatcherOptions{
		Worker: engine.Worker(), BaseURL: cfg.BaseURL, Notifier: notifier,
		OnTick: func(r training.TickResult, _ error) { obs.CheckIns(r.Sent, r.Reminded, r.Expired) },
	})
	if err := checkins.Start(ctx); err != nil {
		return err
	}
	defer checkins.Shutdown()
	engineDone := make(chan struct{})
	go func() {
		defer close(engineDone)
		engine.Run(ctx)
	}()
	// Sends the outbox's messages, one at a time, claimed across replicas.
	mailDone := make(chan struct{})
	go func() {
		defer close(mailDone)
		outbox.Run(ctx)
	}()
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	if cfg.MetricsAddr != "" {
		msrv, maddr, err := serveMetrics(cfg, obs, errc)
		if err != nil {
			return err
		}
		defer msrv.Close()
		logger.Info("metrics listening", slog.String("addr", maddr.String()), slog.Bool("token", cfg.MetricsToken != ""))
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	<-engineDone
	<-mailDone
	return nil
}

// approve decides a submitted request from the command line and queues its
// provisioning; a running service picks the job up within seconds.
func approve(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlagSet("approve", stdout)
	hostSlug := fs.String("host", "", "partner host to provision on, when the request has none yet")
	cfg, err := loadConfig(fs, args, nil)
	if err != nil {
		return err
	}
	if len(cfg.Args) != 1 {
		return errors.New("usage: archipel approve [flags] REQUEST-ID [--host SLUG] (flags before or after the id)")
	}
	db, err := database.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	if pending, err := db.Pending(ctx); err != nil || pending {
		return errors.Join(err, errors.New("the database schema is behind: run `archipel migrate`"))
	}
	apps := onboarding.NewStore(db, nil)
	app, err := apps.Get(ctx, cfg.Args[0])
	if err != nil {
		return fmt.Errorf("request %s: %w", cfg.Args[0], err)
	}
	hosts := provisioning.NewHosts(db, nil, 0)
	if *hostSlug != "" {
		h, err := hosts.BySlug(ctx, *hostSlug)
		if err != nil {
			return fmt.Errorf("host %q: %w", *hostSlug, err)
		}
		if err := apps.AssignHost(ctx, app, h.ID, "cli", onboarding.StoredMessage("match.reason.cli", nil)); err != nil {
			return err
		}
	}
	if app.HostID == "" {
		return errors.New("this request has no host yet: add --host SLUG")
	}
	h, err := hosts.Get(ctx, app.HostID)
	if err != nil {
		return err
	}
	engine := provisioning.NewEngine(db, hosts, apps, nil, slog.Default(), provisioning.Options{})
	// The services the approval form would propose: those asked for that
	// the host offers, and a Team.
	offer, err := hosts.OfferFor(ctx, h.ID)
	if err != nil {
		return err
	}
	opts := provisioning.DefaultPlanOptions(app, h)
	opts.Services = provisioning.DefaultServices(app.Answers.Needs.Services, offer)
	// Who runs the command line holds the database: an administrator,
	// named "cli" in the timeline as before.
	jobID, err := engine.Approve(ctx, app, h, opts, &accounts.User{ID: "cli", Email: "cli", Role: accounts.RoleAdmin})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "request %s approved on %s; provisioning job %s queued\n", app.ID, h.Name, jobID)
	return nil
}
