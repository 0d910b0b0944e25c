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
	if len(args) == 0 || args[0] != "check" {
		return errors.New("usage: archipel host check --url URL --user USER --password-file FILE")
	}
	fs := flag.NewFlagSet("host check", flag.ContinueOnError)
	rawURL := fs.String("url", "", "the Nextcloud's address, e.g. https://cloud.example.org")
	user := fs.String("user", "", "the provisioning account (an administrator)")
	passwordFile := fs.String("password-file", "", "file holding that account's app password")
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
	c, err := nextcloud.New(nextcloud.Config{BaseURL: *rawURL, User: *user, AppPassword: secret, Timeout: *timeout,
		UserAgent: nextcloud.UserAgent(version)})
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
	}
	if !r.AppPassword {
		fmt.Fprintln(stdout, tpl.MustT(l, "check.not_app_password"))
	}
	if !r.Ready() {
		return errors.New(tpl.MustT(l, r.Problem))
	}
	fmt.Fprintln(stdout, tpl.MustT(l, "check.ready"))
	return nil
}
