package database

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
)

func TestADatabaseThatNeverAnswersFailsTheStartWithAClearMessage(t *testing.T) {
	// A server that accepts connections and never says a word.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var held []net.Conn
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	_, err = Open(context.Background(), "postgres://archipel:secret@"+ln.Addr().String()+"/archipel?sslmode=disable&connect_timeout=1", "")
	if err == nil {
		t.Fatal("opened a database that never answers")
	}
	if msg := err.Error(); !strings.Contains(msg, "did not answer within 1s") || !strings.Contains(msg, ln.Addr().String()) || strings.Contains(msg, "secret") {
		t.Errorf("error %q: want the server, the bound, and no password", msg)
	}
}
