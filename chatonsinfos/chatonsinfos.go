// Package chatonsinfos reads and writes ChatonsInfos files, the
// `.properties` files with which CHATONS hosts describe themselves: a
// federation file lists organization files (subs.*), an organization file
// lists its service files, and metrics files count what happened each
// month. Parsing and writing go through github.com/magiconair/properties.
package chatonsinfos

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/magiconair/properties"
)

// Protocol is the version of the format Archipel writes.
const Protocol = "ChatonsInfos-0.5"

// The file classes (file.class).
const (
	ClassFederation   = "federation"
	ClassOrganization = "organization"
	ClassService      = "service"
	ClassMetrics      = "metrics"
)

// The values of service.registration.load.
const (
	LoadOpen = "OPEN"
	LoadFull = "FULL"
)

// ErrMalformed is wrapped by every parse error: the bytes are not a
// properties file, or not one of the expected class.
var ErrMalformed = errors.New("chatonsinfos: malformed file")

// Parse reads a properties file (UTF-8, ${…} left as typed) and checks
// that its file.class is class.
func Parse(b []byte, class string) (*properties.Properties, error) {
	l := &properties.Loader{Encoding: properties.UTF8, DisableExpansion: true}
	p, err := l.LoadBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if got := strings.ToLower(strings.TrimSpace(p.GetString("file.class", ""))); got != class {
		return nil, fmt.Errorf("%w: file.class is %q, want %q", ErrMalformed, got, class)
	}
	return p, nil
}

// Organization is what an organization file says of a host.
type Organization struct {
	Name        string
	Description string
	Website     string
	Email       string
	ContactURL  string
	Logo        string
	Place       string // organization.geolocation.address, or city and country
	Latitude    string
	Longitude   string
	Subs        []Sub // the service files it links, by key
}

// Sub is one subs.<key> = <url> line.
type Sub struct {
	Key string
	URL string
}

// Service is what a service file says.
type Service struct {
	Name         string
	Description  string
	Website      string
	Software     string // software.name, as written
	Registration string // None, Free, Member, Client (possibly several, comma-separated)
	Load         string // OPEN or FULL (upper-cased); empty when unsaid
	Status       string // service.status.level
}

// IsNextcloud reports whether the service runs Nextcloud.
func (s Service) IsNextcloud() bool {
	return strings.Contains(strings.ToLower(s.Software), "nextcloud")
}

// Full reports whether the service says it takes nobody new.
func (s Service) Full() bool { return s.Load == LoadFull }

func get(p *properties.Properties, key string) string {
	return strings.TrimSpace(p.GetString(key, ""))
}

// subs lists the subs.* lines in file order.
func subs(p *properties.Properties) []Sub {
	var out []Sub
	for _, k := range p.Keys() {
		if key, ok := strings.CutPrefix(k, "subs."); ok && key != "" {
			if u := get(p, k); u != "" {
				out = append(out, Sub{Key: key, URL: u})
			}
		}
	}
	return out
}

// ParseOrganization reads an organization file.
func ParseOrganization(b []byte) (*Organization, error) {
	p, err := Parse(b, ClassOrganization)
	if err != nil {
		return nil, err
	}
	o := &Organization{
		Name: get(p, "organization.name"), Description: get(p, "organization.description"),
		Website: get(p, "organization.website"), Email: get(p, "organization.contact.email"),
		ContactURL: get(p, "organization.contact.url"), Logo: get(p, "organization.logo"),
		Place: get(p, "organization.geolocation.address"), Latitude: get(p, "organization.geolocation.latitude"),
		Longitude: get(p, "organization.geolocation.longitude"), Subs: subs(p),
	}
	if o.Place == "" {
		var parts []string
		for _, k := range []string{"organization.geolocation.city", "organization.country.name"} {
			if v := get(p, k); v != "" {
				parts = append(parts, v)
			}
		}
		o.Place = strings.Join(parts, ", ")
	}
	if o.Name == "" {
		return nil, fmt.Errorf("%w: organization.name is empty", ErrMalformed)
	}
	return o, nil
}

// ParseService reads a service file.
func ParseService(b []byte) (*Service, error) {
	p, err := Parse(b, ClassService)
	if err != nil {
		return nil, err
	}
	s := &Service{
		Name: get(p, "service.name"), Description: get(p, "service.description"), Website: get(p, "service.website"),
		Software: get(p, "software.name"), Registration: get(p, "service.registration"),
		Load: strings.ToUpper(get(p, "service.registration.load")), Status: get(p, "service.status.level"),
	}
	if s.Load != "" && s.Load != LoadOpen && s.Load != LoadFull {
		return nil, fmt.Errorf("%w: service.registration.load is %q, want OPEN or FULL", ErrMalformed, s.Load)
	}
	return s, nil
}

// ParseFederation reads a federation file: its name and the organization
// files it links.
func ParseFederation(b []byte) (name string, orgs []Sub, err error) {
	p, err := Parse(b, ClassFederation)
	if err != nil {
		return "", nil, err
	}
	return get(p, "federation.name"), subs(p), nil
}

// File is a properties file being written: keys keep the order they were
// set in, empty values are left out.
type File struct {
	p *properties.Properties
}

// NewFile starts a file of a class, with its file.* header.
func NewFile(class, generator, datetime string) *File {
	p := properties.NewProperties()
	p.DisableExpansion = true
	f := &File{p: p}
	f.Set("file.class", class)
	f.Set("file.protocol", Protocol)
	f.Set("file.datetime", datetime)
	f.Set("file.generator", generator)
	return f
}

// Set adds key = value unless value is empty.
func (f *File) Set(key, value string) {
	if value = strings.TrimSpace(value); value != "" {
		f.p.MustSet(key, value)
	}
}

// SetMonths writes one metric's twelve monthly values of a year, the
// format's convention (metrics.<name>.<year>.months = v1,…,v12), and the
// year's total (metrics.<name>.<year>).
func (f *File) SetMonths(name string, year int, months [12]int) {
	vals := make([]string, 12)
	total := 0
	for i, v := range months {
		vals[i] = fmt.Sprint(v)
		total += v
	}
	f.p.MustSet(fmt.Sprintf("metrics.%s.%d.months", name, year), strings.Join(vals, ","))
	f.p.MustSet(fmt.Sprintf("metrics.%s.%d", name, year), fmt.Sprint(total))
}

// Bytes is the file as served (UTF-8, keys in the order they were set).
func (f *File) Bytes() []byte {
	var b bytes.Buffer
	_, _ = f.p.Write(&b, properties.UTF8)
	return b.Bytes()
}

// Keys lists the keys set, in order (for tests and checks).
func (f *File) Keys() []string { return slices.Clone(f.p.Keys()) }
