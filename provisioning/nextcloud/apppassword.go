package nextcloud

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
)

// appPasswordPattern matches what Nextcloud generates: 72 letters and digits
// (getapppassword) or five dash-separated groups of five (settings page).
var appPasswordPattern = regexp.MustCompile(`^(?:[A-Za-z0-9]{72}|[A-Za-z0-9]{5}(?:-[A-Za-z0-9]{5}){4})$`)

// LooksLikeAppPassword reports whether secret has the shape of a Nextcloud
// app password, to warn an operator who pasted a login password. It is a
// heuristic: only the server knows (getapppassword answers 403 to an app password).
func LooksLikeAppPassword(secret string) bool { return appPasswordPattern.MatchString(secret) }

// AppPasswordFromLogin exchanges user's login password for a new app password
// (GET /core/getapppassword), for the host check when an operator only has a
// password. The password is sent once and never kept. ErrForbidden when the
// password given is already an app password; ErrUnauthorized when it is wrong
// (each failure slows the host's answers to Archipel: brute-force protection).
func (c *Client) AppPasswordFromLogin(ctx context.Context, user, password string) (string, error) {
	op := fmt.Sprintf("get app password for %q", user)
	if user == "" || password == "" {
		return "", invalid(op, "user and password are required")
	}
	var data struct {
		AppPassword string `json:"apppassword"`
	}
	err := c.do(ctx, request{op: op, method: http.MethodGet, path: ocsPath("core", "getapppassword"), login: &[2]string{user, password}}, &data)
	if err != nil {
		return "", err
	}
	if data.AppPassword == "" {
		return "", &Error{Op: op, Kind: ErrInvalid, Message: "the answer carries no app password"}
	}
	return data.AppPassword, nil
}

// DeleteAppPassword revokes the app password the client authenticates with;
// the client is unusable afterwards. ErrForbidden when the client uses a
// login password instead.
func (c *Client) DeleteAppPassword(ctx context.Context) error {
	return c.do(ctx, request{op: "delete app password", method: http.MethodDelete, path: ocsPath("core", "apppassword")}, nil)
}
