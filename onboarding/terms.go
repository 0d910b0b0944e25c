package onboarding

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// CharterVersion is the version of the archipelago's common charter, the
// text an association accepts when it lets the archipelago choose its host
// (the text itself is in the message files, in each language). Change it
// with the text.
const CharterVersion = "2026-12"

// Terms kinds: what the association accepted when it sent its request.
const (
	TermsCharter = "charter" // the archipelago's charter, host not chosen yet
	TermsHost    = "host"    // the chosen host's own terms
)

// AcceptedTerms records which text the association accepted, like a
// showcase consent: the version and a digest of what it was shown, and the
// terms of every host it could be given to. For a host's own terms the
// version is the number of the text Archipel showed (see HostTerms), or,
// for a host that wrote none, the date its profile last changed.
type AcceptedTerms struct {
	Kind    string      `json:"kind"`
	Version string      `json:"version"`
	Digest  string      `json:"digest"` // SHA-256 of the text shown, hex
	Hosts   []TermsLink `json:"hosts,omitempty"`
}

// TermsLink is a host's terms of use as the association was shown them:
// the version and digest of the text Archipel showed, when the host wrote
// one, and its address.
type TermsLink struct {
	Host    string `json:"host"`
	HostID  string `json:"host_id,omitempty"`
	URL     string `json:"url,omitempty"`
	Version int    `json:"version,omitempty"`
	Digest  string `json:"digest,omitempty"`
}

// termsLink is how a host's terms are shown now.
func termsLink(h HostProfile) TermsLink {
	l := TermsLink{Host: h.Name, HostID: h.ID, URL: h.TermsURL}
	if h.TermsText != "" {
		l.Version, l.Digest = h.TermsVersion, h.TermsDigest
	}
	return l
}

// TextDigest is the SHA-256 of a text, in hex, as AcceptedTerms records it.
func TextDigest(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:])
}

// EligibleHosts are the hosts the matcher may give a request to (the same
// rules as ChooseHost: open, serving the département, offering every
// service, with room left): their terms are shown when the archipelago
// chooses.
func EligibleHosts(departement string, services []string, hosts []HostProfile) []HostProfile {
	var out []HostProfile
	for _, h := range hosts {
		if !h.Paused && h.Serves(departement) && h.Offers(services) && h.HasRoom() {
			out = append(out, h)
		}
	}
	return out
}

// TermsFor says what an association accepts with its answers: the chosen
// host's terms (a URL, recorded with its digest), or, when the archipelago
// chooses, the charter (whose text in the association's language is given)
// together with the terms of every eligible host.
func TermsFor(a *Answers, hosts []HostProfile, charter string) AcceptedTerms {
	if a.Host.Choice != "auto" {
		for _, h := range hosts {
			if h.Slug != a.Host.Choice {
				continue
			}
			l := termsLink(h)
			if l.Version > 0 {
				// The text Archipel showed, in the version current as the
				// request is sent.
				return AcceptedTerms{Kind: TermsHost, Version: strconv.Itoa(l.Version), Digest: l.Digest, Hosts: []TermsLink{l}}
			}
			// A host that wrote no terms in Archipel has only its page:
			// the version is the host's profile as it stood (its terms
			// address and last change).
			return AcceptedTerms{Kind: TermsHost, Version: h.UpdatedAt.UTC().Format("2006-01-02T15:04:05Z"), Digest: TextDigest(h.Name + "\n" + h.TermsURL),
				Hosts: []TermsLink{l}}
		}
	}
	t := AcceptedTerms{Kind: TermsCharter, Version: CharterVersion, Digest: TextDigest(charter)}
	for _, h := range EligibleHosts(a.Association.Departement, a.Needs.Services, hosts) {
		t.Hosts = append(t.Hosts, termsLink(h))
	}
	return t
}
