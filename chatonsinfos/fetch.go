package chatonsinfos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Fetch errors; each wraps one of these so that the host page can say in
// plain words what went wrong.
var (
	ErrURL      = errors.New("chatonsinfos: only http and https addresses may be read")
	ErrPrivate  = errors.New("chatonsinfos: the address is private or local")
	ErrTooLarge = errors.New("chatonsinfos: the file is too large")
	ErrFetch    = errors.New("chatonsinfos: the file could not be fetched")
)

// Fetcher reads ChatonsInfos files from other hosts' web servers, bounded
// in size and time, and never from a private, loopback or link-local
// address unless AllowPrivate says so (the dialled address is checked,
// after DNS and after every redirect, so a name or a redirect cannot lead
// around the check).
type Fetcher struct {
	AllowPrivate bool
	MaxBytes     int64         // 1 MiB when zero
	Timeout      time.Duration // whole exchange, 10 s when zero
	UserAgent    string
	client       *http.Client
}

// NewFetcher returns a fetcher; allowPrivate lets it reach private and
// loopback addresses (an administrator's explicit choice, and tests).
func NewFetcher(allowPrivate bool, userAgent string) *Fetcher {
	f := &Fetcher{AllowPrivate: allowPrivate, MaxBytes: 1 << 20, Timeout: 10 * time.Second, UserAgent: userAgent}
	dialer := &net.Dialer{Timeout: 5 * time.Second, Control: f.control}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, out of the address check
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 5 * time.Second,
		MaxIdleConns:          4,
		IdleConnTimeout:       30 * time.Second,
	}
	f.client = &http.Client{Transport: transport, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return fmt.Errorf("%w: too many redirects", ErrFetch)
		}
		return checkURL(req.URL)
	}}
	return f
}

// control refuses, just before connecting, an address that is not public.
func (f *Fetcher) control(_, address string, _ syscall.RawConn) error {
	if f.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s", ErrPrivate, address)
	}
	if !Public(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrPrivate, ap.Addr())
	}
	return nil
}

// Public reports whether an address is a public unicast one: not
// loopback, private (RFC 1918, fc00::/7), link-local, shared (100.64/10),
// unspecified, multicast or reserved for documentation.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("2001:db8::/32"),
}

func checkURL(u *url.URL) error {
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return fmt.Errorf("%w: %s", ErrURL, u.Redacted())
	}
	return nil
}

// CheckURL says whether raw is an address the fetcher would try.
func CheckURL(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrURL, err)
	}
	return checkURL(u)
}

// Get reads the file at raw, at most MaxBytes.
func (f *Fetcher) Get(ctx context.Context, raw string) ([]byte, error) {
	if err := CheckURL(raw); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSpace(raw), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrURL, err)
	}
	req.Header.Set("Accept", "text/plain, */*;q=0.5")
	if f.UserAgent != "" {
		req.Header.Set("User-Agent", f.UserAgent)
	}
	res, err := f.client.Do(req)
	if err != nil {
		for _, known := range []error{ErrPrivate, ErrURL, ErrFetch} {
			if errors.Is(err, known) {
				return nil, err
			}
		}
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: HTTP %d", ErrFetch, res.StatusCode)
	}
	if res.ContentLength > f.MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes announced", ErrTooLarge, res.ContentLength)
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, f.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, err)
	}
	if int64(len(b)) > f.MaxBytes {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, f.MaxBytes)
	}
	return b, nil
}

// Reading is what one read of an organization file found.
type Reading struct {
	Organization *Organization
	Services     []ServiceReading
}

// ServiceReading is one service file linked by the organization: read, or
// the reason it could not be.
type ServiceReading struct {
	URL     string
	Service *Service // nil when Err is set
	Err     error
}

// maxServices bounds how many service files one organization makes us read.
const maxServices = 30

// ReadOrganization reads an organization file and the service files it
// links (at most 30), within three times the fetcher's time-out. The
// organization's own failure is returned as an error; a service's failure
// is kept beside it.
func (f *Fetcher) ReadOrganization(ctx context.Context, raw string) (*Reading, error) {
	// The whole reading is bounded too: thirty slow service files must not
	// hold a staff page (or the daily task) for minutes.
	ctx, cancel := context.WithTimeout(ctx, 3*f.Timeout)
	defer cancel()
	b, err := f.Get(ctx, raw)
	if err != nil {
		return nil, err
	}
	org, err := ParseOrganization(b)
	if err != nil {
		return nil, err
	}
	base, _ := url.Parse(strings.TrimSpace(raw))
	r := &Reading{Organization: org}
	for i, sub := range org.Subs {
		if i == maxServices {
			break
		}
		su, err := base.Parse(sub.URL) // relative links are allowed
		if err != nil {
			r.Services = append(r.Services, ServiceReading{URL: sub.URL, Err: fmt.Errorf("%w: %v", ErrURL, err)})
			continue
		}
		sr := ServiceReading{URL: su.String()}
		if b, err := f.Get(ctx, su.String()); err != nil {
			sr.Err = err
		} else if sr.Service, err = ParseService(b); err != nil {
			sr.Err = err
		}
		r.Services = append(r.Services, sr)
	}
	return r, nil
}

// ErrorKey is the message ID that tells a staff member why a read failed.
func ErrorKey(err error) string {
	switch {
	case errors.Is(err, ErrURL):
		return "chatons.error.url"
	case errors.Is(err, ErrPrivate):
		return "chatons.error.private"
	case errors.Is(err, ErrTooLarge):
		return "chatons.error.too_large"
	case errors.Is(err, ErrMalformed):
		return "chatons.error.malformed"
	case errors.Is(err, context.DeadlineExceeded):
		return "chatons.error.timeout"
	}
	return "chatons.error.fetch"
}
