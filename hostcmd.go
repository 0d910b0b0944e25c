package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"archipel/provisioning"
	"archipel/provisioning/nextcloud"
	"archipel/templates"
)

// hostCommand runs `archipel host check`.
func hostCommand(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintln(stdout, "usage: archipel host check --url URL --user USER --password-file FILE [--credential app-password|login-password]")
		return nil
	}
	if len(args) == 0 || args[0] != "check" {
		return errors.New("usage: archipel host check --url URL --user USER --password-file FILE [--credential app-password|login-password]")
	}
	fs := flag.NewFlagSet("host check", flag.ContinueOnError)
	fs.SetOutput(stdout)
	rawURL := fs.String("url", "", "the Nextcloud's address, e.g. https://cloud.example.org")
	user := fs.String("user", "", "the provisioning account (an administrator)")
	passwordFile := fs.String("password-file", "", "file holding that account's app password or login password")
	credential := fs.String("credential", "auto", "what the password is: app-password, login-password (of a dedicated account, for Nextcloud 33 and later), or auto (an app password if it looks like one)")
	lang := fs.String("lang", "en", "language of the messages: fr or en")
	timeout := fs.Duration("timeout", 20*time.Second, "bound on each call")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *rawURL == "" || *user == "" || *passwordFile == "" {
		return errors.New("--url, --user and --password-file are all required")
	}
	raw, err := os.ReadFile(*passwordFile)
	if err != nil {
		return fmt.Errorf("read the password file: %w", err)
	}
	secret := strings.TrimSpace(string(raw))
	cfg := nextcloud.Config{BaseURL: *rawURL, User: *user, Timeout: *timeout, UserAgent: nextcloud.UserAgent(version)}
	switch *credential {
	case "app-password":
		cfg.AppPassword = secret
	case "login-password":
		cfg.LoginPassword = secret
	case "auto":
		if nextcloud.LooksLikeAppPassword(secret) {
			cfg.AppPassword = secret
		} else {
			cfg.LoginPassword = secret
		}
	default:
		return errors.New("--credential must be app-password, login-password or auto")
	}
	c, err := nextcloud.New(cfg)
	if err != nil {
		return err
	}
	tpl, err := templates.Load()
	if err != nil {
		return err
	}
	l := templates.Lang(*lang)
	if l == "" {
		l = "en"
	}
	r := provisioning.Check(ctx, c, secret)
	yes := func(b bool) string { return tpl.MustT(l, map[bool]string{true: "check.yes", false: "check.no"}[b]) }
	if r.Version != "" {
		fmt.Fprintf(stdout, "%s %s\n", tpl.MustT(l, "check.version"), r.Version)
	}
	if r.Authenticated {
		fmt.Fprintf(stdout, "%s %s\n", tpl.MustT(l, "check.admin"), yes(r.Admin))
		fmt.Fprintf(stdout, "%s %s\n", tpl.MustT(l, "check.groupfolders"), yes(r.GroupFolders))
		fmt.Fprintf(stdout, "%s %s\n", tpl.MustT(l, "check.sharing"), yes(r.Sharing))
		fmt.Fprintf(stdout, "%s %s\n", tpl.MustT(l, "nc34.check.write"), yes(r.WriteProbed))
		offer := tpl.MustT(l, "check.offer_none")
		if r.Offer.Known() {
			var names []string
			for _, s := range r.Offer.Services() {
				names = append(names, tpl.MustT(l, "opt.services."+s))
			}
			offer = strings.Join(names, ", ")
		}
		fmt.Fprintf(stdout, "%s %s\n", tpl.MustT(l, "check.offer"), offer)
	}
	if r.Warning != "" {
		fmt.Fprintln(stdout, tpl.MustT(l, r.Warning))
	}
	if !r.Ready() {
		if r.ProblemDetail != "" {
			fmt.Fprintf(stdout, "%s %s\n", tpl.MustT(l, "admin.check.detail"), r.ProblemDetail)
		}
		return errors.New(tpl.MustT(l, r.Problem, "Version", r.Version))
	}
	fmt.Fprintln(stdout, tpl.MustT(l, "check.ready"))
	return nil
}
