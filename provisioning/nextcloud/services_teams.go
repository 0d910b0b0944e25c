package nextcloud

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Team is a Nextcloud Team (a circle of the circles app).
type Team struct {
	// ID is the 31-character id every other call uses.
	ID string
	// Name is the name asked for; names are not unique.
	Name string
	// DisplayName is Name, de-duplicated by Nextcloud against every circle
	// (a group's hidden circle included): "Asso Test (2)".
	DisplayName string
	// Owner is the account owning the team.
	Owner string
	// Config is the team's flags; 4096 (Local) refuses groups.
	Config int
}

// TeamMember is a member of a team.
type TeamMember struct {
	// UserID is the account id, or the group's display name for a group.
	UserID string
	// Type is the member type: 1 account, 16 circle (a group enters as its
	// hidden circle).
	Type int
	// Group is the group id a group member stands for ("" otherwise).
	Group string
	// Level is 1 member, 4 moderator, 8 admin, 9 owner.
	Level int
}

type teamJSON struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	DisplayName string   `json:"displayName"`
	Config      flexNum  `json:"config"`
	Owner       struct { // absent in some lists
		UserID string `json:"userId"`
	} `json:"owner"`
}

func (t teamJSON) team() Team {
	return Team{ID: t.ID, Name: t.Name, DisplayName: t.DisplayName, Owner: t.Owner.UserID, Config: int(t.Config.int64())}
}

type memberJSON struct {
	UserID   string  `json:"userId"`
	UserType flexNum `json:"userType"`
	Level    flexNum `json:"level"`
	BasedOn  struct {
		Name   string  `json:"name"`
		Source flexNum `json:"source"`
	} `json:"basedOn"`
}

func (m memberJSON) member() TeamMember {
	tm := TeamMember{UserID: m.UserID, Type: int(m.UserType.int64()), Level: int(m.Level.int64())}
	if g, ok := strings.CutPrefix(m.BasedOn.Name, "group:"); ok && m.BasedOn.Source.int64() == 2 {
		tm.Group = g
	}
	return tm
}

// teamsPath is the circles app's admin route acting as account as.
func teamsPath(as string, segments ...string) string {
	return ocsPath(append([]string{"apps", "circles", "admin", as, "circles"}, segments...)...)
}

// Teams lists the teams account as belongs to, through the admin routes
// (the client's account must be an administrator, else ErrForbidden; an
// unknown account is ErrNotFound).
func (c *Client) Teams(ctx context.Context, as string) ([]Team, error) {
	op := fmt.Sprintf("list teams of %q", as)
	if err := validID(op, "account", as); err != nil {
		return nil, err
	}
	var out []teamJSON
	if err := c.do(ctx, request{op: op, method: http.MethodGet, path: teamsPath(as)}, &out); err != nil {
		return nil, err
	}
	teams := make([]Team, 0, len(out))
	for _, t := range out {
		teams = append(teams, t.team())
	}
	return teams, nil
}

// Team reads a team as account as sees it: ErrNotFound when it is gone.
func (c *Client) Team(ctx context.Context, as, id string) (Team, error) {
	op := fmt.Sprintf("read team %q", id)
	if err := validID(op, "team", id); err != nil {
		return Team{}, err
	}
	var out teamJSON
	if err := c.do(ctx, request{op: op, method: http.MethodGet, path: teamsPath(as, id)}, &out); err != nil {
		return Team{}, err
	}
	return out.team(), nil
}

// CreateTeam makes a team owned by account owner (the client's account,
// an administrator, invites it). Names are not unique: a second call makes a
// second team, so look before. The team is never made Local, which would
// refuse groups.
func (c *Client) CreateTeam(ctx context.Context, owner, name string) (Team, error) {
	op := fmt.Sprintf("create team %q for %q", name, owner)
	if err := validID(op, "account", owner); err != nil {
		return Team{}, err
	}
	if len([]rune(name)) < 3 {
		return Team{}, invalid(op, "a team name needs at least 3 characters")
	}
	var out teamJSON
	err := c.do(ctx, request{op: op, method: http.MethodPost, path: teamsPath(owner),
		form: url.Values{"name": {name}}}, &out)
	if err != nil {
		return Team{}, err
	}
	return out.team(), nil
}

// MemberType is the type of a member added to a team.
type MemberType int

// Member types of the circles API.
const (
	MemberUser  MemberType = 1
	MemberGroup MemberType = 2
)

// AddTeamMember adds an account or a group to a team, acting as account as
// (its owner). ErrAlreadyExists when it is a member already (OCS 122),
// ErrNotFound when the team or the member is missing.
func (c *Client) AddTeamMember(ctx context.Context, as, teamID, member string, t MemberType) error {
	op := fmt.Sprintf("add %q to team %q", member, teamID)
	if err := validID(op, "team", teamID); err != nil {
		return err
	}
	return c.do(ctx, request{op: op, method: http.MethodPost, path: teamsPath(as, teamID, "members"),
		form:  url.Values{"userId": {member}, "type": {strconv.Itoa(int(t))}},
		codes: codes{122: ErrAlreadyExists, 131: ErrInvalid}}, nil)
}

// TeamMembers lists a team's members as account as sees them.
func (c *Client) TeamMembers(ctx context.Context, as, teamID string) ([]TeamMember, error) {
	op := fmt.Sprintf("list members of team %q", teamID)
	if err := validID(op, "team", teamID); err != nil {
		return nil, err
	}
	var out []memberJSON
	if err := c.do(ctx, request{op: op, method: http.MethodGet, path: teamsPath(as, teamID, "members")}, &out); err != nil {
		return nil, err
	}
	members := make([]TeamMember, 0, len(out))
	for _, m := range out {
		members = append(members, m.member())
	}
	return members, nil
}

// DeleteTeam deletes a team, acting as account as: ErrNotFound when it is
// gone already.
func (c *Client) DeleteTeam(ctx context.Context, as, teamID string) error {
	op := fmt.Sprintf("delete team %q", teamID)
	if err := validID(op, "team", teamID); err != nil {
		return err
	}
	return c.do(ctx, request{op: op, method: http.MethodDelete, path: teamsPath(as, teamID)}, nil)
}
