package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"testing"
)

func TestApproveReadsFlagsBeforeAndAfterTheID(t *testing.T) {
	for _, args := range [][]string{
		{"--data", "/tmp/x", "REQ-1", "--host", "ile"},
		{"REQ-1", "--data", "/tmp/x", "--host", "ile"},
		{"--host", "ile", "--data", "/tmp/x", "REQ-1"},
	} {
		fs := flag.NewFlagSet("approve", flag.ContinueOnError)
		host := fs.String("host", "", "")
		cfg, err := loadConfig(fs, args, nil)
		if err != nil {
			t.Fatalf("%q: %v", args, err)
		}
		if len(cfg.Args) != 1 || cfg.Args[0] != "REQ-1" || *host != "ile" || cfg.DataDir != "/tmp/x" {
			t.Errorf("%q: args %q, host %q, data %q", args, cfg.Args, *host, cfg.DataDir)
		}
	}
}

func TestEveryCommandsHelpSucceeds(t *testing.T) {
	for _, cmd := range [][]string{{"serve", "-h"}, {"demo", "-h"}, {"migrate", "-h"}, {"approve", "-h"}, {"host", "-h"},
		{"host", "check", "-h"}, {"user", "-h"}, {"user", "add", "-h"}, {"help"}, {"-h"}} {
		var out bytes.Buffer
		err := run(context.Background(), cmd, &out)
		// main exits 0 on flag.ErrHelp: the flags were printed.
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%q: %v", cmd, err)
		}
		if out.Len() == 0 {
			t.Errorf("%q printed nothing", cmd)
		}
	}
}
