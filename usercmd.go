package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"archipel/accounts"
	"archipel/database"
	"archipel/provisioning"
)

// userCommand runs `archipel user add`: it creates a staff account and
// prints a one-time link (valid 7 days) where its owner chooses a password.
func userCommand(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintln(stdout, "usage: archipel user add --email E --role admin|staff|trainer [--host SLUG]")
		return nil
	}
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: archipel user add --email E --role admin|staff|trainer [--host SLUG]")
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stdout)
	email := fs.String("email", "", "the account's e-mail address")
	role := fs.String("role", "", "admin, staff or trainer")
	hostSlug := fs.String("host", "", "the host of a staff or trainer account")
	name := fs.String("name", "", "the person's name")
	cfg, err := loadConfig(fs, args[1:], nil)
	if err != nil {
		return err
	}
	r, ok := accounts.ParseRole(*role)
	if !ok {
		return fmt.Errorf("--role must be admin, staff or trainer, not %q", *role)
	}
	db, err := database.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	n := accounts.NewUser{Email: *email, Name: *name, Role: r}
	if r != accounts.RoleAdmin {
		if *hostSlug == "" {
			return errors.New("a staff or trainer account needs --host SLUG")
		}
		h, err := provisioning.NewHosts(db, nil, 0).BySlug(ctx, *hostSlug)
		if err != nil {
			return fmt.Errorf("host %q: %w", *hostSlug, err)
		}
		n.HostID = h.ID
	}
	if errs := n.Validate(); len(errs) > 0 {
		return fmt.Errorf("invalid account: %v", errs)
	}
	store := accounts.NewStore(db, nil)
	// The audit line commits with the account.
	u, err := store.Create(ctx, n, store.RecordIn(ctx, nil, accounts.ActionUserCreated, n.HostID, "", n.Email+" ("+string(n.Role)+") from the command line"))
	if err != nil {
		return err
	}
	token, err := store.NewLink(ctx, u, accounts.PurposeInvite)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "account %s (%s) created.\nChoose its password within 7 days at:\n  %s/staff/invitation/%s\n", u.Email, u.Role, cfg.BaseURL, token)
	return nil
}
