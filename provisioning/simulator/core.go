package simulator

import (
	"bytes"
	"crypto/md5"
	_ "embed"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// capabilitiesJSON is the data of the recorded capabilities answer
// (02-capabilities.v1), with the recorded server URL as placeholder.
//
//go:embed capabilities.json
var capabilitiesJSON []byte

// recordedBaseURL is the URL of the recorded server inside capabilitiesJSON.
const recordedBaseURL = "http://127.0.0.1:8080"

// baseCapabilities is capabilitiesJSON parsed once; a broken file fails the
// start, not a request.
var baseCapabilities = func() obj {
	v, err := decodeOrdered(bytes.NewReader(capabilitiesJSON))
	if err != nil {
		panic("simulator: capabilities.json: " + err.Error())
	}
	return v.(obj)
}()

// capabilities answers GET cloud/capabilities: the recorded document with
// this server's URL, version, brute-force delay and groupfolders state.
func (s *Simulator) capabilities(c *ocsCall) ocsResult {
	base := baseCapabilities
	if doc := s.opts.Profile.capabilities; len(doc) > 0 {
		base = profileCapabilities(doc)
	}
	data := mapStrings(base, func(v string) string {
		return strings.ReplaceAll(v, recordedBaseURL, c.baseURL)
	}).(obj)
	v := s.opts.Version
	version := obj{
		{"major", versionPart(v, 0)}, {"minor", versionPart(v, 1)}, {"micro", versionPart(v, 2)},
		{"string", versionString(v)}, {"edition", ""}, {"extendedSupport", false},
	}
	data = data.set("version", version)
	caps, _ := data.get("capabilities")
	capsObj := caps.(obj)
	delay := s.bruteForceDelay(clientIP(c.r)).Milliseconds()
	capsObj = capsObj.set("bruteforce", obj{{"delay", delay}, {"allow-listed", false}})
	if s.opts.DisableGroupFolders {
		kept := capsObj[:0:0]
		for _, e := range capsObj {
			if e.k != "groupfolders" {
				kept = append(kept, e)
			}
		}
		capsObj = kept
	} else {
		has := c.user != nil && s.user(c.user.id) != nil && s.hasGroupFolder(c.user)
		gf := obj{{"hasGroupFolders", has}}
		if old, ok := capsObj.get("groupfolders"); ok {
			if v, ok := old.(obj).get("appVersion"); ok {
				gf = obj{{"appVersion", v}, {"hasGroupFolders", has}}
			}
		}
		capsObj = capsObj.set("groupfolders", gf)
	}
	data = data.set("capabilities", capsObj)
	var b bytes.Buffer
	writePHPJSON(&b, data)
	res := ok(data)
	res.header = map[string]string{"ETag": fmt.Sprintf(`"%x"`, md5.Sum(b.Bytes()))}
	return res
}

// parsedCapabilities caches the capabilities documents of the profiles.
var parsedCapabilities sync.Map // *byte → obj

// profileCapabilities parses a profile's capabilities document once.
func profileCapabilities(doc []byte) obj {
	if v, ok := parsedCapabilities.Load(&doc[0]); ok {
		return v.(obj)
	}
	v, err := decodeOrdered(bytes.NewReader(doc))
	if err != nil {
		panic("simulator: capabilities: " + err.Error())
	}
	parsedCapabilities.Store(&doc[0], v.(obj))
	return v.(obj)
}

// confirmAppPassword answers PUT core/apppassword/confirm (password=…): the
// login password confirms the caller's session for management writes. A
// wrong one is 403 with an empty message and a brute-force hint.
func (s *Simulator) confirmAppPassword(c *ocsCall) ocsResult {
	if !s.confirmPassword(c.user, c.php, c.param("password")) {
		r := fail(http.StatusForbidden, "")
		r.header = map[string]string{"X-Nextcloud-Bruteforce-Throttled": "200ms"}
		return r
	}
	return ok(obj{{"lastLogin", s.now().Unix()}})
}

// hasGroupFolder reports whether u sees at least one group folder.
func (s *Simulator) hasGroupFolder(u *user) bool {
	for _, m := range s.mounts(u) {
		if m.folder {
			return true
		}
	}
	return false
}

// editableFields answers GET cloud/user/fields.
func (s *Simulator) editableFields(c *ocsCall) ocsResult {
	if f := s.opts.Profile.EditableFields; f != nil {
		return ok(strList(f))
	}
	return ok(strList([]string{"displayname", "email", "additional_mail", "phone", "address", "website",
		"twitter", "fediverse", "organisation", "role", "headline", "biography", "profile_enabled"}))
}

// getAppPassword answers GET core/getapppassword: a new app password for the
// caller, refused when the caller already uses one.
func (s *Simulator) getAppPassword(c *ocsCall) ocsResult {
	if c.token != "" {
		return fail(http.StatusForbidden, "You cannot request an new apppassword with an apppassword")
	}
	tok := newAppPassword()
	s.tokens[tok] = c.user.id
	return ok(obj{{"apppassword", tok}})
}

// deleteAppPassword answers DELETE core/apppassword: revokes the app
// password the call authenticated with.
func (s *Simulator) deleteAppPassword(c *ocsCall) ocsResult {
	if c.token == "" {
		return fail(http.StatusForbidden, "no app password in use")
	}
	delete(s.tokens, c.token)
	return ok(obj{})
}
