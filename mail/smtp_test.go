package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"archipel/apperr"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is one message as the test server got it.
type received struct {
	username, password string
	from               string
	to                 []string
	data               []byte
}

// testServer is a plain SMTP server on 127.0.0.1 that records what it is sent.
type testServer struct {
	addr string
	port int

	mu       sync.Mutex
	messages []received

	// For the crash test: events gets "mail" at MAIL FROM and "data" once a
	// message is stored, whose acceptance is then delayed by delay.
	events chan string
	delay  time.Duration
}

// startTestServer runs a testServer until the test ends.
func startTestServer(t *testing.T) *testServer {
	t.Helper()
	return startServer(t, &testServer{})
}

// startServer runs ts until the test ends.
func startServer(t *testing.T, ts *testServer) *testServer {
	t.Helper()
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &testSession{server: ts}, nil
	}))
	srv.Domain = "localhost"
	srv.ErrorLog = log.New(io.Discard, "", 0) // killed clients reset their connections
	srv.AllowInsecureAuth = true              // PLAIN over a plain connection, for the test only
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = l.Addr().String()
	ts.port = l.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = l.Close() // Close misses the listener when Serve has not started yet
		<-done
	})
	return ts
}

func (ts *testServer) received() []received {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return slicesClone(ts.messages)
}

func slicesClone(r []received) []received { return append([]received(nil), r...) }

// testSession records one SMTP conversation.
type testSession struct {
	server *testServer
	cur    received
}

func (s *testSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *testSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		s.cur.username, s.cur.password = username, password
		return nil
	}), nil
}

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.from = from
	s.server.event("mail")
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = data
	s.server.mu.Lock()
	s.server.messages = append(s.server.messages, s.cur)
	s.server.mu.Unlock()
	s.server.event("data")
	time.Sleep(s.server.delay)
	return nil
}

func (ts *testServer) event(e string) {
	if ts.events != nil {
		select {
		case ts.events <- e:
		default:
		}
	}
}

func (s *testSession) Reset() {
	s.cur = received{username: s.cur.username, password: s.cur.password}
}

func (s *testSession) Logout() error { return nil }

func TestSMTPSendsTheMessage(t *testing.T) {
	ts := startTestServer(t)
	s, err := NewSMTP(fmt.Sprintf("smtp://archipel%%40asso:p%%40ss%%20w0rd@127.0.0.1:%d?tls=none", ts.port), testFrom)
	if err != nil {
		t.Fatalf("NewSMTP: %v", err)
	}
	sent := invitation()

	if err := s.Send(context.Background(), sent); err != nil {
		t.Fatalf("Send: %v", err)
	}

	got := ts.received()
	if len(got) != 1 {
		t.Fatalf("server received %d messages, want 1", len(got))
	}
	r := got[0]
	if r.username != "archipel@asso" || r.password != "p@ss w0rd" {
		t.Errorf("authenticated as %q / %q, want the percent-decoded user and password", r.username, r.password)
	}
	if r.from != "noreply@archipel.example" {
		t.Errorf("MAIL FROM = %q, want noreply@archipel.example", r.from)
	}
	if len(r.to) != 1 || r.to[0] != sent.To {
		t.Errorf("RCPT TO = %v, want [%s]", r.to, sent.To)
	}
	parsed, err := parseMessage(bytes.NewReader(r.data))
	if err != nil {
		t.Fatalf("parse received data: %v", err)
	}
	assertSameMessage(t, parsed, sent)
}

func TestSMTPSendsWithoutCredentials(t *testing.T) {
	ts := startTestServer(t)
	s, err := NewSMTP(fmt.Sprintf("smtp://127.0.0.1:%d?tls=none", ts.port), testFrom)
	if err != nil {
		t.Fatal(err)
	}
	m := invitation()
	m.HTML, m.Attachments = "", nil
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := ts.received()
	if len(got) != 1 || got[0].username != "" {
		t.Fatalf("server received %+v, want one unauthenticated message", got)
	}
	parsed, err := parseMessage(bytes.NewReader(got[0].data))
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Text != m.Text || parsed.HTML != "" {
		t.Errorf("received text %q and HTML %q, want only the text", parsed.Text, parsed.HTML)
	}
}

func TestSMTPFailures(t *testing.T) {
	t.Run("a closed port returns an unavailable error naming the server", func(t *testing.T) {
		addr := closedAddr(t)
		s, err := NewSMTP("smtp://"+addr+"?tls=none", testFrom)
		if err != nil {
			t.Fatal(err)
		}
		err = s.Send(context.Background(), invitation())
		if !errors.Is(err, apperr.ErrUnavailable) {
			t.Fatalf("Send() = %v, want apperr.ErrUnavailable", err)
		}
		for _, want := range []string{"mail: send to tresoriere@les-eclaireurs.example via " + addr, "refused"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
	})
	t.Run("a server without STARTTLS is refused when STARTTLS was asked for", func(t *testing.T) {
		ts := startTestServer(t)
		s, err := NewSMTP(fmt.Sprintf("smtp://archipel:secret@127.0.0.1:%d", ts.port), testFrom)
		if err != nil {
			t.Fatal(err)
		}
		err = s.Send(context.Background(), invitation())
		if !errors.Is(err, apperr.ErrUnavailable) || !strings.Contains(err.Error(), "STARTTLS") {
			t.Fatalf("Send() = %v, want apperr.ErrUnavailable about STARTTLS", err)
		}
		if got := ts.received(); len(got) != 0 {
			t.Errorf("server received %d messages in clear", len(got))
		}
	})
	t.Run("an invalid message is refused before connecting", func(t *testing.T) {
		s, err := NewSMTP("smtp://"+closedAddr(t)+"?tls=none", testFrom)
		if err != nil {
			t.Fatal(err)
		}
		m := invitation()
		m.Subject = ""
		if err := s.Send(context.Background(), m); !errors.Is(err, apperr.ErrInvalid) {
			t.Fatalf("Send() = %v, want apperr.ErrInvalid", err)
		}
	})
	t.Run("a cancelled context stops the send", func(t *testing.T) {
		ts := startTestServer(t)
		s, err := NewSMTP(fmt.Sprintf("smtp://127.0.0.1:%d?tls=none", ts.port), testFrom)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := s.Send(ctx, invitation()); !errors.Is(err, context.Canceled) {
			t.Fatalf("Send() = %v, want context.Canceled", err)
		}
	})
}

// closedAddr returns a 127.0.0.1 address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestParseSMTPURL(t *testing.T) {
	tests := []struct {
		name    string
		url     string
		want    smtpConfig
		wantErr string // part of the error, "" when valid
	}{
		{
			name: "smtp defaults to STARTTLS on port 587",
			url:  "smtp://relay.chatons.example",
			want: smtpConfig{host: "relay.chatons.example", port: 587, security: securitySTARTTLS},
		},
		{
			name: "smtps implies TLS on port 465",
			url:  "smtps://user:pass@relay.example",
			want: smtpConfig{host: "relay.example", port: 465, security: securityTLS, username: "user", password: "pass"},
		},
		{
			name: "tls=tls on smtp uses port 465",
			url:  "smtp://relay.example?tls=tls",
			want: smtpConfig{host: "relay.example", port: 465, security: securityTLS},
		},
		{
			name: "tls=none uses port 25",
			url:  "smtp://relay.example?tls=none",
			want: smtpConfig{host: "relay.example", port: 25, security: securityNone},
		},
		{
			name: "an explicit port wins over the default",
			url:  "smtp://relay.example:2525?tls=STARTTLS",
			want: smtpConfig{host: "relay.example", port: 2525, security: securitySTARTTLS},
		},
		{
			name: "user and password are percent-decoded",
			url:  "smtp://contact%40asso.example:p%40ss%3Aw%2Frd@relay.example:587",
			want: smtpConfig{host: "relay.example", port: 587, security: securitySTARTTLS, username: "contact@asso.example", password: "p@ss:w/rd"},
		},
		{
			name: "an IPv6 loopback may receive credentials in clear",
			url:  "smtp://u:p@[::1]:1025?tls=none",
			want: smtpConfig{host: "::1", port: 1025, security: securityNone, username: "u", password: "p"},
		},
		{name: "an empty URL is refused", url: " ", wantErr: "SMTP URL is empty"},
		{name: "another scheme is refused", url: "http://relay.example", wantErr: `scheme "http" is not supported`},
		{name: "a URL without host is refused", url: "smtp://:587", wantErr: "has no host"},
		{name: "a host without scheme is refused", url: "relay.example:587", wantErr: "is not supported"},
		{name: "a port that is not a number is refused", url: "smtp://relay.example:abc", wantErr: "malformed"},
		{name: "a port out of range is refused", url: "smtp://relay.example:70000", wantErr: `port "70000"`},
		{name: "an unknown tls mode is refused", url: "smtp://relay.example?tls=ssl", wantErr: `tls="ssl" is not one of starttls, tls, none`},
		{name: "smtps with STARTTLS is refused", url: "smtps://relay.example?tls=starttls", wantErr: "smtps:// implies tls=tls"},
		{name: "an unknown parameter is refused", url: "smtp://relay.example?auth=login", wantErr: `parameter "auth" is not supported`},
		{name: "a path is refused", url: "smtp://relay.example/inbox", wantErr: "must not have a path"},
		{name: "a user without password is refused", url: "smtp://user@relay.example", wantErr: `user name "user" but no password`},
		{name: "a password sent in clear to another host is refused", url: "smtp://user:hunter2@relay.example?tls=none", wantErr: "password unencrypted"},
		{name: "a malformed user part does not echo the password", url: "smtp://user:hunter2 %zz@relay.example", wantErr: "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSMTPURL(tt.url)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("parseSMTPURL(%q) = %v", tt.url, err)
				}
				if got != tt.want {
					t.Fatalf("parseSMTPURL(%q) = %+v, want %+v", tt.url, got, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("parseSMTPURL(%q) error = %v, want one containing %q", tt.url, err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q repeats the password", err)
			}
		})
	}
}
