package nextcloud

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// recordedServicesDir holds the 179 exchanges of an association's services
// recorded on Nextcloud 34.0.1.
const recordedServicesDir = "../testdata/nextcloud/nc34-services/recorded"

// TestServiceCallsReadTheRecordedAnswers replays, for each client call of
// the services, the answers a real Nextcloud 34.0.1 gave, traps included.
func TestServiceCallsReadTheRecordedAnswers(t *testing.T) {
	all := loadExchangesFrom(t, recordedServicesDir)
	ctx := context.Background()
	tests := []struct {
		name     string
		exchange string
		as       string // the client's account ("admin" when empty)
		call     func(c *Client) error
		want     error // the error kind, nil for success
	}{
		{"the enabled apps are listed", "02-apps-enabled.v2", "", func(c *Client) error {
			apps, err := c.EnabledApps(ctx)
			if err == nil && (!slices.Contains(apps, AppDeck) || !slices.Contains(apps, AppCircles) || slices.Contains(apps, AppSpreed)) {
				t.Errorf("apps %v", apps)
			}
			return err
		}, nil},
		{"a sub-admin may not list the apps", "14-apps-as-non-admin.v2", "asso-admin", func(c *Client) error { _, err := c.EnabledApps(ctx); return err }, ErrForbidden},
		{"the capabilities name the apps that declare some", "01-capabilities.v2", "", func(c *Client) error {
			apps, err := c.CapabilityApps(ctx)
			if err == nil && (!slices.Contains(apps, AppDeck) || !slices.Contains(apps, AppDAV)) {
				t.Errorf("apps %v", apps)
			}
			return err
		}, nil},
		{"a calendar is created", "20-mkcalendar-admin", "", func(c *Client) error { return c.CreateCalendar(ctx, "asso-test", "Agenda Asso Test", "#0082C9") }, nil},
		{"a calendar that exists is reported so", "20-mkcalendar-exists", "", func(c *Client) error { return c.CreateCalendar(ctx, "asso-test", "Agenda Asso Test", "#0082C9") }, ErrAlreadyExists},
		{"a reserved calendar name is invalid", "20-mkcalendar-reserved-name", "", func(c *Client) error { return c.CreateCalendar(ctx, "app-generated--x", "x", "#000000") }, ErrInvalid},
		{"a calendar is read with its shares", "22-propfind-calendar-shared", "", func(c *Client) error {
			col, err := c.Calendar(ctx, "asso-test")
			if s, ok := col.SharedWith(GroupPrincipal("asso-test")); err == nil && (!ok || !s.ReadWrite || s.CommonName != "Asso Test" || col.Deleted || col.DisplayName != "Agenda Asso Test") {
				t.Errorf("calendar %+v", col)
			}
			return err
		}, nil},
		{"a read-only share reads as such", "25-propfind-calendar-shared-ro", "", func(c *Client) error {
			col, err := c.Calendar(ctx, "asso-test")
			if s, ok := col.SharedWith(GroupPrincipal("asso-test")); err == nil && (!ok || s.ReadWrite) {
				t.Errorf("calendar %+v", col)
			}
			return err
		}, nil},
		{"a calendar in the trash bin reads as deleted", "2A-propfind-deleted-calendar", "", func(c *Client) error {
			col, err := c.Calendar(ctx, "asso-test")
			if err == nil && !col.Deleted {
				t.Errorf("calendar %+v not seen in the trash bin", col)
			}
			return err
		}, nil},
		{"a missing calendar is not found", "21-propfind-calendar-missing", "", func(c *Client) error { _, err := c.Calendar(ctx, "no-such-calendar"); return err }, ErrNotFound},
		{"a calendar is shared with a group", "22-share-calendar-group-rw", "", func(c *Client) error {
			return c.ShareCalendar(ctx, "asso-test", GroupPrincipal("asso-test"), "Agenda Asso Test", true)
		}, nil},
		{"sharing a missing calendar is not found", "26-share-missing-calendar", "", func(c *Client) error {
			return c.ShareCalendar(ctx, "no-such-calendar", GroupPrincipal("asso-test"), "x", true)
		}, ErrNotFound},
		{"a calendar is deleted for good", "2A-delete-calendar-no-trashbin", "", func(c *Client) error { return c.DeleteCalendar(ctx, "asso-test", true) }, nil},
		{"an address book is created", "40-mkcol-addressbook-admin", "", func(c *Client) error { return c.CreateAddressBook(ctx, "asso-test", "Contacts Asso Test", "Asso Test") }, nil},
		{"an address book that exists is reported so", "40-mkcol-addressbook-exists", "", func(c *Client) error { return c.CreateAddressBook(ctx, "asso-test", "Contacts Asso Test", "") }, ErrAlreadyExists},
		{"an address book is read with its shares", "42-propfind-addressbook-shared", "", func(c *Client) error {
			col, err := c.AddressBook(ctx, "asso-test")
			if s, ok := col.SharedWith(GroupPrincipal("asso-test")); err == nil && (!ok || !s.ReadWrite) {
				t.Errorf("address book %+v", col)
			}
			return err
		}, nil},
		{"a missing address book is not found", "41-propfind-addressbook-missing", "", func(c *Client) error { _, err := c.AddressBook(ctx, "no-such-book"); return err }, ErrNotFound},
		{"an address book deleted already is not found", "4A-delete-addressbook-again", "", func(c *Client) error { return c.DeleteAddressBook(ctx, "asso-test") }, ErrNotFound},
		{"a team is created for the association's admin", "60-team-create-as-admin-for-asso-admin", "", func(c *Client) error {
			tm, err := c.CreateTeam(ctx, "asso-admin", "Asso Test")
			if err == nil && (len(tm.ID) != 31 || tm.Owner != "asso-admin" || tm.DisplayName != "Asso Test (2)" || tm.Config != 0) {
				t.Errorf("team %+v", tm)
			}
			return err
		}, nil},
		{"a team for a missing account is not found", "60-team-create-missing-emulated-user", "", func(c *Client) error { _, err := c.CreateTeam(ctx, "no-such-user", "Asso Ghost"); return err }, ErrNotFound},
		{"the admin's teams are listed", "62-team-list-admin-route", "", func(c *Client) error {
			teams, err := c.Teams(ctx, "asso-admin")
			if err == nil && (len(teams) == 0 || teams[0].Name != "Asso Test") {
				t.Errorf("teams %+v", teams)
			}
			return err
		}, nil},
		{"a group joins a team", "61-team-add-group", "", func(c *Client) error {
			return c.AddTeamMember(ctx, "asso-admin", "J6S5BnSqZLb1gRyouvB3Yx65Gc79kRl", "asso-test", MemberGroup)
		}, nil},
		{"a group in a team already is reported so", "61-team-add-group-again", "", func(c *Client) error {
			return c.AddTeamMember(ctx, "asso-admin", "J6S5BnSqZLb1gRyouvB3Yx65Gc79kRl", "asso-test", MemberGroup)
		}, ErrAlreadyExists},
		{"a local team refuses groups", "61-team-add-group-to-local-team", "", func(c *Client) error {
			return c.AddTeamMember(ctx, "asso-admin", "9obwwtrJFDoSO95JHG5ZUXxtJaJwFtg", "asso-test", MemberGroup)
		}, ErrInvalid},
		{"a missing group is not found", "61-team-add-missing-group", "", func(c *Client) error {
			return c.AddTeamMember(ctx, "asso-admin", "J6S5BnSqZLb1gRyouvB3Yx65Gc79kRl", "no-such-group", MemberGroup)
		}, ErrNotFound},
		{"a team's members show its group", "62-team-members", "", func(c *Client) error {
			members, err := c.TeamMembers(ctx, "asso-admin", "J6S5BnSqZLb1gRyouvB3Yx65Gc79kRl")
			found := slices.ContainsFunc(members, func(m TeamMember) bool { return m.Group == "asso-test" && m.Type == 16 })
			if err == nil && !found {
				t.Errorf("members %+v", members)
			}
			return err
		}, nil},
		{"a team deleted already is not found", "67-team-delete-again", "", func(c *Client) error { return c.DeleteTeam(ctx, "asso-admin", "gvEVF14Jv2fdTy1ZQl8OwUMJKf6MPVb") }, ErrNotFound},
		{"a board is created", "80-deck-create-board", "", func(c *Client) error {
			b, err := c.CreateBoard(ctx, "Asso Test", "0082c9")
			if err == nil && (b.ID != 2 || b.Owner != "admin" || len(b.ACL) != 0 || b.Deleted) {
				t.Errorf("board %+v", b)
			}
			return err
		}, nil},
		{"an empty title is refused", "80-deck-create-board-empty-title", "", func(c *Client) error {
			_, err := c.deckCreateRaw(ctx, "", "0082c9")
			return err
		}, ErrInvalid},
		{"a group gets a board's ACL", "81-deck-acl-group", "", func(c *Client) error {
			a, err := c.AddBoardACL(ctx, 2, BoardACL{Type: ACLGroup, Participant: "asso-test", Edit: true})
			if err == nil && (a.ID != 1 || a.Participant != "asso-test" || !a.Edit || a.Manage) {
				t.Errorf("acl %+v", a)
			}
			return err
		}, nil},
		{"the same ACL twice is Deck's 500", "81-deck-acl-group-again", "", func(c *Client) error {
			_, err := c.AddBoardACL(ctx, 2, BoardACL{Type: ACLGroup, Participant: "asso-test", Edit: true})
			return err
		}, ErrUnavailable},
		{"a missing board is Deck's 403", "81-deck-acl-missing-board", "", func(c *Client) error {
			_, err := c.AddBoardACL(ctx, 999999, BoardACL{Type: ACLGroup, Participant: "asso-test", Edit: true})
			return err
		}, ErrForbidden},
		{"a board's ACL shows the dangling entry of a missing group", "83-deck-get-board", "", func(c *Client) error {
			b, err := c.Board(ctx, 2)
			a, ok := b.ACLFor(ACLGroup, "no-such-group")
			if err == nil && (!ok || !a.Dangling) {
				t.Errorf("board %+v", b)
			}
			if g, ok := b.ACLFor(ACLGroup, "asso-test"); err == nil && (!ok || g.Dangling) {
				t.Errorf("group ACL %+v", g)
			}
			return err
		}, nil},
		{"the boards list includes deleted ones and the welcome board", "86-deck-list-after-delete", "", func(c *Client) error {
			boards, err := c.Boards(ctx)
			deleted := slices.ContainsFunc(boards, func(b Board) bool { return b.Deleted })
			welcome := slices.ContainsFunc(boards, func(b Board) bool { return b.Title == "Welcome to Nextcloud Deck!" })
			if err == nil && (!deleted || !welcome) {
				t.Errorf("boards %+v", boards)
			}
			return err
		}, nil},
		{"a deleted board is Deck's 403", "86-deck-get-deleted-board", "", func(c *Client) error { _, err := c.Board(ctx, 3); return err }, ErrForbidden},
		{"Talk absent is not found", "90-talk-create-room-not-installed.v2", "", func(c *Client) error {
			_, err := c.CreateGroupConversation(ctx, "Asso Test", "asso-test")
			return err
		}, ErrNotFound},
		{"a wrong password on Deck is unauthorized", "B0-deck-wrong-password", "", func(c *Client) error { _, err := c.Boards(ctx); return err }, ErrUnauthorized},
		{"a wrong password on DAV is unauthorized", "B0-dav-wrong-password", "", func(c *Client) error {
			_, _, err := c.raw(ctx, rawCall{op: "propfind", method: "PROPFIND", path: "/remote.php/dav/calendars/admin/", header: map[string]string{"Depth": "0"}})
			return err
		}, ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newReplayOf(t, all, tt.exchange)
			s.once = true
			s.allowMissingOCSHeader = true // Deck's REST routes and DAV need none
			as := tt.as
			if as == "" {
				as = "admin"
			}
			c, err := New(Config{BaseURL: s.URL, User: as, AppPassword: "app-password"})
			if err != nil {
				t.Fatal(err)
			}
			err = tt.call(c)
			switch {
			case tt.want == nil && err != nil:
				t.Errorf("error %v", err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Errorf("error %v, want %v", err, tt.want)
			}
			if s.count() != 1 {
				t.Errorf("%d requests, want 1", s.count())
			}
		})
	}
}

// deckCreateRaw sends a board creation without the client's own checks,
// to read Deck's refusal.
func (c *Client) deckCreateRaw(ctx context.Context, title, color string) (Board, error) {
	var out boardJSON
	err := c.deck(ctx, "create board", "POST", "", map[string]string{"title": title, "color": color}, &out)
	return out.board(), err
}
