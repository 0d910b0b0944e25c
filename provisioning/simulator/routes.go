package simulator

import (
	"net/http"
	"net/url"
	"strings"
)

// access is who may call an OCS route.
type access int

const (
	public       access = iota // no login needed
	loggedIn                   // any account
	subadminOnly               // administrators and subadmins (provisioning_api middleware)
	adminOnly                  // administrators
)

// ocsRoute is one OCS endpoint.
type ocsRoute struct {
	method  string
	pattern string // segments after /ocs/vN.php/, "{name}" for variables
	access  access
	csrf    bool // refused with 412 without OCS-APIRequest: true
	handle  func(*Simulator, *ocsCall) ocsResult
}

// ocsRoutes lists every OCS endpoint the simulator serves, in matching order
// (literal segments such as users/details before users/{userid}).
var ocsRoutes = []ocsRoute{
	{"GET", "cloud/capabilities", public, false, (*Simulator).capabilities},
	{"GET", "cloud/user", loggedIn, false, (*Simulator).currentUser},
	{"GET", "cloud/user/fields", loggedIn, false, (*Simulator).editableFields},
	{"GET", "cloud/users", subadminOnly, false, (*Simulator).listUsers},
	{"POST", "cloud/users", subadminOnly, false, (*Simulator).createUser},
	{"GET", "cloud/users/details", subadminOnly, false, (*Simulator).listUsersDetails},
	{"GET", "cloud/users/{userid}", loggedIn, false, (*Simulator).getUser},
	{"PUT", "cloud/users/{userid}", loggedIn, false, (*Simulator).editUser},
	{"DELETE", "cloud/users/{userid}", subadminOnly, false, (*Simulator).deleteUserRoute},
	{"PUT", "cloud/users/{userid}/enable", subadminOnly, false, (*Simulator).enableUser},
	{"PUT", "cloud/users/{userid}/disable", subadminOnly, false, (*Simulator).disableUser},
	{"GET", "cloud/users/{userid}/groups", loggedIn, false, (*Simulator).userGroupsRoute},
	{"POST", "cloud/users/{userid}/groups", subadminOnly, false, (*Simulator).addToGroup},
	{"DELETE", "cloud/users/{userid}/groups", subadminOnly, false, (*Simulator).removeFromGroup},
	{"GET", "cloud/users/{userid}/subadmins", adminOnly, false, (*Simulator).userSubadmins},
	{"POST", "cloud/users/{userid}/subadmins", adminOnly, false, (*Simulator).addSubadmin},
	{"DELETE", "cloud/users/{userid}/subadmins", adminOnly, false, (*Simulator).removeSubadmin},
	{"POST", "cloud/users/{userid}/welcome", subadminOnly, false, (*Simulator).resendWelcome},
	{"GET", "cloud/groups", subadminOnly, false, (*Simulator).listGroups},
	{"POST", "cloud/groups", adminOnly, false, (*Simulator).createGroup},
	{"GET", "cloud/groups/details", subadminOnly, false, (*Simulator).listGroupsDetails},
	{"GET", "cloud/groups/{groupid}", subadminOnly, false, (*Simulator).groupMembers},
	{"PUT", "cloud/groups/{groupid}", adminOnly, false, (*Simulator).updateGroup},
	{"DELETE", "cloud/groups/{groupid}", adminOnly, false, (*Simulator).deleteGroupRoute},
	{"GET", "cloud/groups/{groupid}/users", subadminOnly, false, (*Simulator).groupMembers},
	{"GET", "cloud/groups/{groupid}/users/details", subadminOnly, false, (*Simulator).groupMembersDetails},
	{"GET", "cloud/groups/{groupid}/subadmins", adminOnly, false, (*Simulator).groupSubadmins},
	{"GET", "core/getapppassword", loggedIn, true, (*Simulator).getAppPassword},
	{"DELETE", "core/apppassword", loggedIn, true, (*Simulator).deleteAppPassword},
	{"PUT", "core/apppassword/confirm", loggedIn, true, (*Simulator).confirmAppPassword},
	{"GET", "apps/files_sharing/api/v1/shares", loggedIn, false, (*Simulator).listShares},
	{"POST", "apps/files_sharing/api/v1/shares", loggedIn, false, (*Simulator).createShare},
	{"GET", "apps/files_sharing/api/v1/shares/{id}", loggedIn, false, (*Simulator).getShare},
	{"DELETE", "apps/files_sharing/api/v1/shares/{id}", loggedIn, false, (*Simulator).deleteShare},
}

// confirm reports whether the route needs a recent password confirmation
// (#[PasswordConfirmationRequired]): every provisioning write, and
// getapppassword.
func (rt ocsRoute) confirm() bool {
	if rt.pattern == "core/getapppassword" {
		return true
	}
	return rt.method != http.MethodGet && (strings.HasPrefix(rt.pattern, "cloud/users") || strings.HasPrefix(rt.pattern, "cloud/groups"))
}

// gfRoute is one route of the groupfolders app (index.php/apps/groupfolders).
type gfRoute struct {
	method  string
	pattern string
	handle  func(*Simulator, *ocsCall) ocsResult
}

// gfRoutes lists the groupfolders endpoints.
var gfRoutes = []gfRoute{
	{"GET", "folders", (*Simulator).listFolders},
	{"POST", "folders", (*Simulator).createFolder},
	{"GET", "folders/{id}", (*Simulator).getFolder},
	{"DELETE", "folders/{id}", (*Simulator).deleteFolder},
	{"POST", "folders/{id}/groups", (*Simulator).addFolderGroup},
	{"POST", "folders/{id}/groups/{group}", (*Simulator).setFolderPermissions},
	{"DELETE", "folders/{id}/groups/{group}", (*Simulator).removeFolderGroup},
	{"POST", "folders/{id}/quota", (*Simulator).setFolderQuota},
	{"POST", "folders/{id}/acl", (*Simulator).setFolderACL},
	{"POST", "folders/{id}/manageACL", (*Simulator).setFolderManageACL},
	{"POST", "folders/{id}/mountpoint", (*Simulator).renameFolder},
}

// matchPattern matches decoded path segments against a route pattern.
func matchPattern(pattern string, segs []string) (map[string]string, bool) {
	parts := strings.Split(pattern, "/")
	if len(parts) != len(segs) {
		return nil, false
	}
	vars := map[string]string{}
	for i, p := range parts {
		if strings.HasPrefix(p, "{") {
			vars[strings.Trim(p, "{}")] = segs[i]
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	return vars, true
}

// splitPath decodes each segment of an escaped path, so that "%2F" stays
// inside its segment (group ids may contain slashes).
func splitPath(escaped string) []string {
	escaped = strings.Trim(escaped, "/")
	if escaped == "" {
		return nil
	}
	raw := strings.Split(escaped, "/")
	out := make([]string, 0, len(raw))
	for _, p := range raw {
		if p == "" {
			continue
		}
		if d, err := url.PathUnescape(p); err == nil {
			p = d
		}
		out = append(out, p)
	}
	return out
}

// Route prefixes the simulator answers on.
const (
	ocsV1Prefix      = "/ocs/v1.php/"
	ocsV2Prefix      = "/ocs/v2.php/"
	davFilesPrefix   = "/remote.php/dav/files/"
	davLegacyPrefix  = "/remote.php/webdav"
	gfIndexPrefix    = "/index.php/apps/groupfolders/"
	gfPrefix         = "/apps/groupfolders/"
	statusPath       = "/status.php"
	statePagePath    = "/_archipel/state"
	loginConfirmPath = "/index.php/login/confirm"
)

// routeName names the route r falls on, for call counts and fault rules:
// "GET /status.php", "POST /ocs/cloud/users", "GET /ocs/cloud/users/{userid}",
// "PUT /dav/files", "POST /apps/groupfolders/folders/{id}/groups", and
// "GET (unknown)" for everything else. OCS names drop the API version.
func routeName(r *http.Request) string {
	if name, ok := serviceRouteName(r); ok {
		return name
	}
	p := r.URL.EscapedPath()
	m := r.Method
	switch {
	case p == statusPath:
		return m + " " + statusPath
	case strings.HasPrefix(p, ocsV1Prefix), strings.HasPrefix(p, ocsV2Prefix):
		segs := splitPath(p[len(ocsV1Prefix):])
		for _, rt := range ocsRoutes {
			if _, ok := matchPattern(rt.pattern, segs); ok && rt.method == m {
				return m + " /ocs/" + rt.pattern
			}
		}
		return m + " /ocs/(unknown)"
	case strings.HasPrefix(p, davFilesPrefix), p == davLegacyPrefix, strings.HasPrefix(p, davLegacyPrefix+"/"):
		return m + " /dav/files"
	case strings.HasPrefix(p, gfIndexPrefix), strings.HasPrefix(p, gfPrefix):
		rest := strings.TrimPrefix(strings.TrimPrefix(p, "/index.php"), gfPrefix)
		segs := splitPath(rest)
		for _, rt := range gfRoutes {
			if _, ok := matchPattern(rt.pattern, segs); ok && rt.method == m {
				return m + " /apps/groupfolders/" + rt.pattern
			}
		}
		return m + " /apps/groupfolders/(unknown)"
	}
	return m + " (unknown)"
}
