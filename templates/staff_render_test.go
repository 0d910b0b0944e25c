package templates_test

import (
	"time"

	"archipel/accounts"
	"archipel/server"
)

// staffUsers are a signed-in administrator and a host's staff member.
var (
	renderAdmin = &accounts.User{ID: "u1", Email: "admin@archipel.example", Name: "Alix", Role: accounts.RoleAdmin, Active: true, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	renderStaff = &accounts.User{ID: "u2", Email: "staff@ile.example", Role: accounts.RoleStaff, HostID: "h1", Active: true, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
)

// staffRenderCases are the staff pages, each in the states it shows.
func staffRenderCases() []renderCase {
	invite := &server.SetPasswordPage{User: renderStaff, Action: "/staff/invitation/x", Invite: true}
	cases := []renderCase{
		{"the staff login page", "staff_login", server.Page{Path: "/staff/login", Title: "staff.login.title", Data: &server.LoginForm{Next: "/staff"}}},
		{"the staff login page after a failure", "staff_login", server.Page{Path: "/staff/login", Title: "staff.login.title",
			FormError: "err.login.failed", Data: &server.LoginForm{Email: "x@y.example", Next: "/staff"}}},
		{"the reset request page", "staff_reset_request", server.Page{Path: "/staff/reset", Title: "staff.reset.title"}},
		{"the reset sent page", "staff_reset_sent", server.Page{Path: "/staff/reset", Title: "staff.reset.title"}},
		{"the invitation page", "staff_set_password", server.Page{Path: "/staff/invitation/x", Title: "staff.password.title", Data: invite}},
		{"the reset page refusing a short password", "staff_set_password", server.Page{Path: "/staff/reset/x", Title: "staff.password.title",
			FormError: "err.password.short", Data: &server.SetPasswordPage{User: renderStaff, Action: "/staff/reset/x"}}},
		{"the administrator's dashboard", "staff_home", server.Page{Path: "/staff", Title: "staff.home.title", User: renderAdmin}},
		{"a staff member's dashboard", "staff_home", server.Page{Path: "/staff", Title: "staff.home.title", User: renderStaff}},
	}
	cases = append(cases, adminRenderCases()...)
	cases = append(cases, caseRenderCases()...)
	cases = append(cases, showcaseRenderCases()...)
	cases = append(cases, notifyRenderCases()...)
	return append(cases, requestRenderCases()...)
}
