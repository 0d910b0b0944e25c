package provisioning

// The service steps: a calendar and an address book shared read-write with
// the association's group, a Team owned by its admin with the group as
// member, a Deck board shared with the group, and a Talk conversation where
// the host has Talk. Each checks, the way nc34-services/README.md says,
// before creating; records its intent before asking (a creation whose
// answer was lost is recognised, never repeated); and reads back what the
// API may ignore in silence (a share with a group the server cannot see
// answers 200 and does nothing).

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"archipel/apperr"
	"archipel/provisioning/nextcloud"
)

// The service steps' names, in the order they run (after the folder tree,
// before the welcome documents, which describe what they made).
const (
	StepCalendar = "calendar"
	StepContacts = "contacts"
	StepTeam     = "team"
	StepBoard    = "board"
	StepTalk     = "talk"
)

// ServiceSteps lists the service steps in order.
var ServiceSteps = []string{StepCalendar, StepContacts, StepTeam, StepBoard, StepTalk}

// ServicesState is what the service steps learned and made; it is part of
// the job's State, saved after every change.
type ServicesState struct {
	// Apps are the host's enabled apps, read at preflight.
	Apps     []string `json:"apps,omitempty"`
	AppsRead bool     `json:"apps_read,omitempty"`

	Calendar    string `json:"calendar,omitempty"` // URI, owned by the provisioning account
	CalendarTry int    `json:"calendar_try,omitempty"`
	CalendarOK  bool   `json:"calendar_ok,omitempty"` // made (or recognised) by this job

	AddressBook    string `json:"address_book,omitempty"`
	AddressBookTry int    `json:"address_book_try,omitempty"`
	AddressBookOK  bool   `json:"address_book_ok,omitempty"`

	TeamID   string `json:"team_id,omitempty"`
	TeamName string `json:"team_name,omitempty"`

	BoardID int `json:"board_id,omitempty"`

	Conversation string `json:"conversation,omitempty"` // Talk token

	// Skipped maps a service step to why it made nothing ("not asked",
	// "no app"), for the documents and the e-mail.
	Skipped map[string]string `json:"skipped,omitempty"`
}

// services returns the job's service state.
func (r *run) services() *ServicesState {
	return &r.st.Services
}

func init() {
	for _, st := range []struct {
		name string
		fn   stepFunc
	}{
		{StepCalendar, (*run).calendar},
		{StepContacts, (*run).contacts},
		{StepTeam, (*run).team},
		{StepBoard, (*run).board},
		{StepTalk, (*run).talk},
	} {
		addStep(st.name, StepDocuments, st.fn)
	}
}

// readApps reads the host's enabled apps with the other host facts (once
// per host while they are fresh) and keeps them with the host. A host
// refusing both the app list and the capabilities stops nothing: files,
// calendars and contacts need no app, and the other services are then left
// out, said so in their steps.
func (r *run) readApps(ctx context.Context) ([]string, error) {
	var o Offer
	err := r.do(ctx, func(ctx context.Context) (err error) {
		o, err = ReadOffer(ctx, r.c, r.e.now())
		return err
	})
	switch {
	case err == nil:
		return o.Apps, r.e.Hosts.SaveOffer(ctx, r.h.ID, o)
	case Classify(err).Transient:
		return nil, err
	}
	return []string{nextcloud.AppDAV}, nil
}

// offer is what the host offered at preflight.
func (r *run) offer() Offer {
	sv := r.services()
	if !sv.AppsRead {
		return Offer{}
	}
	return Offer{Apps: sv.Apps, Source: "job", CheckedAt: time.Unix(1, 0)}
}

// wants reports whether the plan holds a service the host serves; when not,
// it records why, for the documents.
func (r *run) wants(ctx context.Context, step, service string) (bool, string, error) {
	sv := r.services()
	why := ""
	switch {
	case !slices.Contains(r.plan.Services, service):
		why = "not asked"
	case !r.offer().Has(service):
		why = "no app"
	}
	if why == "" {
		return true, "", nil
	}
	if sv.Skipped == nil {
		sv.Skipped = map[string]string{}
	}
	if sv.Skipped[step] != why {
		sv.Skipped[step] = why
		if err := r.save(ctx); err != nil {
			return false, "", err
		}
	}
	if why == "no app" {
		return false, detail("prov.detail.service_no_app"), nil
	}
	return false, detail("prov.detail.service_not_asked"), nil
}

// errShareIgnored means Nextcloud accepted a share and did not make it:
// the group is not visible to the provisioning account (deleted meanwhile).
func errShareIgnored(what string) error {
	return apperr.New(apperr.Invalid, "prov.error.share_ignored", "provisioning: "+what+" share not applied")
}

// collectionURI is the URI of the association's calendar or address book:
// the group's reserved id, so that it is unique on the host.
func collectionURI(group string, try int) string {
	uri := "archipel-" + group
	if try > 1 {
		uri += "-" + strconv.Itoa(try)
	}
	return uri
}

// davService is what differs between the calendar and the address book.
type davService struct {
	kind    string // "calendar" or "address book", for attempts
	shared  string // message of the step's detail when the share was there
	made    string // message of the step's detail when shared now
	uri     *string
	try     *int
	ok      *bool
	read    func(context.Context, string) (nextcloud.Collection, error)
	create  func(context.Context, string) error
	restore func(context.Context, string) error // nil: no trash bin
	share   func(context.Context, string) error
}

// calendar ensures a calendar named after the association, shared
// read-write with its group.
func (r *run) calendar(ctx context.Context) (string, error) {
	if ok, d, err := r.wants(ctx, StepCalendar, ServiceCalendars); !ok {
		return d, err
	}
	sv := r.services()
	name := calendarName(r.plan)
	return r.ensureCollection(ctx, davService{
		kind: "calendar", shared: "prov.detail.calendar", made: "prov.detail.calendar_made", uri: &sv.Calendar, try: &sv.CalendarTry, ok: &sv.CalendarOK,
		read:    r.c.Calendar,
		create:  func(ctx context.Context, uri string) error { return r.c.CreateCalendar(ctx, uri, name, "#0082C9") },
		restore: r.c.RestoreCalendar,
		share: func(ctx context.Context, uri string) error {
			return r.c.ShareCalendar(ctx, uri, nextcloud.GroupPrincipal(r.st.GroupID), name, true)
		},
	})
}

// contacts ensures an address book named after the association, shared
// read-write with its group.
func (r *run) contacts(ctx context.Context) (string, error) {
	if ok, d, err := r.wants(ctx, StepContacts, ServiceContacts); !ok {
		return d, err
	}
	sv := r.services()
	name := addressBookName(r.plan)
	return r.ensureCollection(ctx, davService{
		kind: "address book", shared: "prov.detail.address_book", made: "prov.detail.address_book_made", uri: &sv.AddressBook, try: &sv.AddressBookTry, ok: &sv.AddressBookOK,
		read: r.c.AddressBook,
		create: func(ctx context.Context, uri string) error {
			return r.c.CreateAddressBook(ctx, uri, name, r.plan.AssociationName)
		},
		share: func(ctx context.Context, uri string) error {
			return r.c.ShareAddressBook(ctx, uri, nextcloud.GroupPrincipal(r.st.GroupID), name, true)
		},
	})
}

func calendarName(p Plan) string {
	if p.Language == "en" {
		return p.AssociationName + " calendar"
	}
	return "Agenda " + p.AssociationName
}

func addressBookName(p Plan) string {
	if p.Language == "en" {
		return p.AssociationName + " contacts"
	}
	return "Contacts " + p.AssociationName
}

// ensureCollection makes sure the job owns one collection, shared
// read-write with the group: PROPFIND; create when absent; a collection at
// the URI that this job did not ask for is never adopted (the next URI is
// used); one of ours in the trash bin is restored, shares with it.
func (r *run) ensureCollection(ctx context.Context, d davService) (string, error) {
	var col nextcloud.Collection
	for {
		if *d.uri == "" {
			*d.try++
			if *d.try > maxTries {
				return "", permanent("prov.error.collision", "provisioning: "+d.kind+" uri")
			}
			*d.uri, *d.ok = collectionURI(r.st.GroupID, *d.try), false
			if err := r.save(ctx); err != nil {
				return "", err
			}
		}
		uri := *d.uri
		if !*d.ok && !r.attempted(d.kind+":"+uri) {
			// Never asked for: ask at once. A 405 then means somebody
			// else's collection (perhaps in a trash bin) holds the URI.
			if err := r.markAttempt(ctx, d.kind+":"+uri); err != nil {
				return "", err
			}
			err := r.do(ctx, func(ctx context.Context) error { return d.create(ctx, uri) })
			switch {
			case errors.Is(err, nextcloud.ErrAlreadyExists):
				delete(r.st.Asked, d.kind+":"+uri)
				*d.uri = ""
				if err := r.save(ctx); err != nil {
					return "", err
				}
				continue
			case err != nil:
				return "", err
			}
			*d.ok = true
			if err := r.save(ctx); err != nil {
				return "", err
			}
			col = nextcloud.Collection{URI: uri}
			break
		}
		err := r.do(ctx, func(ctx context.Context) (err error) { col, err = d.read(ctx, uri); return err })
		switch {
		case err == nil && (*d.ok || r.attempted(d.kind+":"+uri)):
			if !*d.ok {
				*d.ok = true
				if err := r.save(ctx); err != nil {
					return "", err
				}
			}
			if col.Deleted && d.restore != nil {
				if err := r.do(ctx, func(ctx context.Context) error { return d.restore(ctx, uri) }); err != nil {
					return "", err
				}
				if err := r.do(ctx, func(ctx context.Context) (err error) { col, err = d.read(ctx, uri); return err }); err != nil {
					return "", err
				}
			}
		case err == nil:
			// Somebody else's, perhaps in a trash bin: never adopted.
			*d.uri = ""
			if err := r.save(ctx); err != nil {
				return "", err
			}
			continue
		case errors.Is(err, nextcloud.ErrNotFound):
			if err := r.markAttempt(ctx, d.kind+":"+uri); err != nil {
				return "", err
			}
			err := r.do(ctx, func(ctx context.Context) error { return d.create(ctx, uri) })
			if err != nil && !errors.Is(err, nextcloud.ErrAlreadyExists) {
				return "", err
			}
			// Made now, or by our own request whose answer was lost (the
			// 405 then is ours): either way a fresh look decides.
			continue
		default:
			return "", err
		}
		break
	}
	principal := nextcloud.GroupPrincipal(r.st.GroupID)
	if s, ok := col.SharedWith(principal); ok && s.ReadWrite {
		return detail(d.shared, "URI", *d.uri, "Group", r.st.GroupID), nil
	}
	uri := *d.uri
	if err := r.do(ctx, func(ctx context.Context) error { return d.share(ctx, uri) }); err != nil {
		return "", err
	}
	// Nextcloud answers 200 to a share it skipped: read it back.
	if err := r.do(ctx, func(ctx context.Context) (err error) { col, err = d.read(ctx, uri); return err }); err != nil {
		return "", err
	}
	if s, ok := col.SharedWith(principal); !ok || !s.ReadWrite {
		return "", errShareIgnored(d.kind)
	}
	return detail(d.made, "URI", uri, "Group", r.st.GroupID), nil
}

// teamName is the Team's name: not the association's name alone, which
// the group's hidden circle already holds (the Team would show "(2)").
func teamName(p Plan) string {
	if p.Language == "en" {
		return p.AssociationName + " team"
	}
	return "Équipe " + p.AssociationName
}

// team ensures a Team owned by the association's admin with the group as
// member. Team names are not unique: the job looks among the admin's teams
// for its name before creating, and stores the id.
func (r *run) team(ctx context.Context) (string, error) {
	if ok, d, err := r.wants(ctx, StepTeam, ServiceTeams); !ok {
		return d, err
	}
	sv := r.services()
	owner := r.st.UserID
	fresh := false
	if sv.TeamID != "" {
		err := r.do(ctx, func(ctx context.Context) error { _, err := r.c.Team(ctx, owner, sv.TeamID); return err })
		switch {
		case errors.Is(err, nextcloud.ErrNotFound):
			sv.TeamID = "" // deleted on the host since: made again
		case err != nil:
			return "", err
		}
	}
	if sv.TeamID == "" {
		name := teamName(r.plan)
		var teams []nextcloud.Team
		// The account is the job's own: before the job ever asked, it owns
		// no team, and the list is read only when resuming.
		if r.attempted("team:" + name) {
			if err := r.do(ctx, func(ctx context.Context) (err error) { teams, err = r.c.Teams(ctx, owner); return err }); err != nil {
				return "", err
			}
		}
		// The admin account is this job's own: a team of that name it owns
		// was made by this job, its answer lost.
		for _, t := range teams {
			if t.Name == name && strings.EqualFold(t.Owner, owner) && t.Config&4096 == 0 {
				sv.TeamID, sv.TeamName = t.ID, t.DisplayName
				break
			}
		}
		if sv.TeamID == "" {
			if err := r.markAttempt(ctx, "team:"+name); err != nil {
				return "", err
			}
			var t nextcloud.Team
			if err := r.do(ctx, func(ctx context.Context) (err error) { t, err = r.c.CreateTeam(ctx, owner, name); return err }); err != nil {
				return "", err
			}
			sv.TeamID, sv.TeamName, fresh = t.ID, t.DisplayName, true
		}
		if err := r.save(ctx); err != nil {
			return "", err
		}
	}
	if !fresh {
		var members []nextcloud.TeamMember
		if err := r.do(ctx, func(ctx context.Context) (err error) {
			members, err = r.c.TeamMembers(ctx, owner, sv.TeamID)
			return err
		}); err != nil {
			return "", err
		}
		for _, m := range members {
			if strings.EqualFold(m.Group, r.st.GroupID) {
				return detail("prov.detail.team", "Name", sv.TeamName, "Group", r.st.GroupID), nil
			}
		}
	}
	err := r.do(ctx, func(ctx context.Context) error {
		return r.c.AddTeamMember(ctx, owner, sv.TeamID, r.st.GroupID, nextcloud.MemberGroup)
	})
	if err != nil && !errors.Is(err, nextcloud.ErrAlreadyExists) {
		return "", err
	}
	return detail("prov.detail.team_made", "Name", sv.TeamName, "Group", r.st.GroupID), nil
}

// board ensures a Deck board named after the association, shared with the
// group (edit) and managed by the association's admin. Titles are not
// unique and boards belong to the provisioning account: a board is
// adopted only if this job asked for one and no other request holds it.
func (r *run) board(ctx context.Context) (string, error) {
	if ok, d, err := r.wants(ctx, StepBoard, ServiceTasks); !ok {
		return d, err
	}
	sv := r.services()
	var b nextcloud.Board
	known := false
	if sv.BoardID != 0 {
		err := r.do(ctx, func(ctx context.Context) (err error) { b, err = r.c.Board(ctx, sv.BoardID); return err })
		switch {
		case errors.Is(err, nextcloud.ErrForbidden):
			// Deck's answer for a board deleted since: made again.
			sv.BoardID = 0
		case err != nil:
			return "", err
		default:
			known = true
		}
	}
	if !known {
		// Only a job that asked before (its answer lost) looks for its board.
		if r.attempted("board:" + r.plan.AssociationName) {
			var boards []nextcloud.Board
			if err := r.do(ctx, func(ctx context.Context) (err error) { boards, err = r.c.Boards(ctx); return err }); err != nil {
				return "", err
			}
			for _, c := range boards {
				if c.Title != r.plan.AssociationName || !strings.EqualFold(c.Owner, r.st.Admin) || c.Deleted || !r.boardUnclaimed(c) {
					continue
				}
				ok, err := r.e.Jobs.reserve(ctx, r.h.ID, "board", strconv.Itoa(c.ID), r.plan.ApplicationID)
				if err != nil {
					return "", err
				}
				if ok {
					b, known = c, true
					break
				}
			}
		}
		for !known {
			if err := r.markAttempt(ctx, "board:"+r.plan.AssociationName); err != nil {
				return "", err
			}
			if err := r.do(ctx, func(ctx context.Context) (err error) {
				b, err = r.c.CreateBoard(ctx, r.plan.AssociationName, "0082c9")
				return err
			}); err != nil {
				return "", err
			}
			// Another request that lost its own board's answer may have
			// taken this one between its creation and now: then it is
			// theirs, and this job makes another.
			ok, err := r.e.Jobs.reserve(ctx, r.h.ID, "board", strconv.Itoa(b.ID), r.plan.ApplicationID)
			if err != nil {
				return "", err
			}
			known = ok
		}
		sv.BoardID = b.ID
		if err := r.save(ctx); err != nil {
			return "", err
		}
	}
	wanted := []nextcloud.BoardACL{
		{Type: nextcloud.ACLGroup, Participant: r.st.GroupID, Edit: true},
		{Type: nextcloud.ACLUser, Participant: r.st.UserID, Edit: true, Share: true, Manage: true},
	}
	for _, w := range wanted {
		have, ok := b.ACLFor(w.Type, w.Participant)
		switch {
		case ok && have.Dangling:
			// Deck stored an entry for a participant it could not find:
			// remove it (Deck answers 500 yet removes it) and stop.
			_ = r.do(ctx, func(ctx context.Context) error { return r.c.DeleteBoardACL(ctx, b.ID, have.ID) })
			return "", permanent("prov.error.share_ignored", "provisioning: board share")
		case ok && (have.Edit != w.Edit || have.Manage != w.Manage || have.Share != w.Share):
			w.ID = have.ID
			if err := r.do(ctx, func(ctx context.Context) error { return r.c.UpdateBoardACL(ctx, b.ID, w) }); err != nil {
				return "", err
			}
		case !ok:
			// A second identical entry is a 500 on Deck 1.18: the ACL was
			// read first. A 500 here is retried, and the retry reads again.
			if err := r.do(ctx, func(ctx context.Context) error { _, err := r.c.AddBoardACL(ctx, b.ID, w); return err }); err != nil {
				return "", err
			}
		}
	}
	return detail("prov.detail.board", "ID", b.ID, "Title", b.Title, "Group", r.st.GroupID, "Account", r.st.UserID), nil
}

// boardUnclaimed reports whether a board's ACL names nobody but this
// job's group and account: a board shared with another group is another
// request's.
func (r *run) boardUnclaimed(b nextcloud.Board) bool {
	for _, a := range b.ACL {
		if !strings.EqualFold(a.Participant, r.st.GroupID) && !strings.EqualFold(a.Participant, r.st.UserID) {
			return false
		}
	}
	return true
}

// talk ensures a group conversation where the host has Talk. Talk's API was
// not recorded (nc34-services/README.md §6): the client reads its answers
// defensively, and this step adopts a conversation only by its token or,
// after an interrupted creation, by its name among the provisioning
// account's conversations, reserved for this request.
func (r *run) talk(ctx context.Context) (string, error) {
	if ok, d, err := r.wants(ctx, StepTalk, ServiceVideo); !ok {
		if r.services().Skipped[StepTalk] == "no app" {
			return detail("prov.detail.talk_no_app"), err
		}
		return d, err
	}
	sv := r.services()
	name := r.plan.AssociationName
	var convs []nextcloud.Conversation
	if sv.Conversation != "" || r.attempted("talk:"+name) {
		if err := r.do(ctx, func(ctx context.Context) (err error) { convs, err = r.c.Conversations(ctx); return err }); err != nil {
			return "", err
		}
	}
	if sv.Conversation != "" {
		for _, c := range convs {
			if c.Token == sv.Conversation {
				return detail("prov.detail.talk", "Name", c.Name), nil
			}
		}
		sv.Conversation = "" // deleted since: made again
	}
	if r.attempted("talk:" + name) {
		for _, c := range convs {
			if c.Name != name || c.Type != 2 {
				continue
			}
			ok, err := r.e.Jobs.reserve(ctx, r.h.ID, "talk", c.Token, r.plan.ApplicationID)
			if err != nil {
				return "", err
			}
			if ok {
				sv.Conversation = c.Token
				return detail("prov.detail.talk_adopted", "Name", c.Name), r.save(ctx)
			}
		}
	}
	if err := r.markAttempt(ctx, "talk:"+name); err != nil {
		return "", err
	}
	var c nextcloud.Conversation
	if err := r.do(ctx, func(ctx context.Context) (err error) {
		c, err = r.c.CreateGroupConversation(ctx, name, r.st.GroupID)
		return err
	}); err != nil {
		return "", err
	}
	ok, err := r.e.Jobs.reserve(ctx, r.h.ID, "talk", c.Token, r.plan.ApplicationID)
	if err != nil {
		return "", err
	}
	if !ok {
		// Taken by a request that lost its own answer: theirs now.
		return r.talk(ctx)
	}
	sv.Conversation = c.Token
	return detail("prov.detail.talk_made", "Name", c.Name, "Group", r.st.GroupID), r.save(ctx)
}

// ServiceNote says what a service step made and where the association
// finds it, for the welcome documents and the "ready" e-mail.
type ServiceNote struct {
	Key  string // a plan service: calendars, contacts, teams, tasks, video, office, forms, polls
	Name string // the object's name as members see it ("" for an app)
	URL  string // where to find it
	// DAV is true when the host has no web app for it: the URL is then the
	// CalDAV/CardDAV address for a phone or a mail program.
	DAV bool
}

// ServiceSummary is what the documents and the e-mail say about services.
type ServiceSummary struct {
	// Made lists, in PlanServices order, what is ready for the association.
	Made []ServiceNote
	// Unserved lists the services asked for that the host does not offer.
	Unserved []string
	// NoCall is true when video calls were asked for and the host has no
	// Talk: the documents then say how to hold a call.
	NoCall bool
}

// Note returns the note of a service, nil when it was not made (for
// templates: {{with .Services.Note "calendars"}}).
func (s ServiceSummary) Note(key string) *ServiceNote {
	for i := range s.Made {
		if s.Made[i].Key == key {
			return &s.Made[i]
		}
	}
	return nil
}

// summarize describes what a job's service steps made.
func summarize(p Plan, h *Host, st *State) ServiceSummary {
	var sum ServiceSummary
	sv := &st.Services
	base := strings.TrimRight(h.NextcloudURL, "/") + "/index.php"
	o := Offer{Apps: sv.Apps, CheckedAt: time.Unix(1, 0)}
	if !sv.AppsRead {
		o = Offer{}
	}
	dav := strings.TrimRight(h.NextcloudURL, "/") + "/remote.php/dav"
	for _, key := range PlanServices {
		if key == ServiceFiles || !slices.Contains(p.Services, key) {
			continue
		}
		if !o.Has(key) {
			sum.Unserved = append(sum.Unserved, key)
			sum.NoCall = sum.NoCall || key == ServiceVideo
			continue
		}
		n := ServiceNote{Key: key}
		switch key {
		case ServiceCalendars:
			if sv.Calendar == "" || !sv.CalendarOK {
				continue
			}
			n.Name, n.URL = calendarName(p), base+"/apps/calendar"
			if !o.HasApp("calendar") {
				n.URL, n.DAV = dav, true
			}
		case ServiceContacts:
			if sv.AddressBook == "" || !sv.AddressBookOK {
				continue
			}
			n.Name, n.URL = addressBookName(p), base+"/apps/contacts"
			if !o.HasApp("contacts") {
				n.URL, n.DAV = dav, true
			}
		case ServiceTeams:
			if sv.TeamID == "" {
				continue
			}
			n.Name, n.URL = sv.TeamName, base+"/apps/contacts"
			if !o.HasApp("contacts") {
				// Without the Contacts app, a Team shows in the sharing
				// dialogs of Files.
				n.URL = base + "/apps/files"
			}
		case ServiceTasks:
			if sv.BoardID == 0 {
				continue
			}
			n.Name, n.URL = p.AssociationName, base+"/apps/deck/board/"+strconv.Itoa(sv.BoardID)
		case ServiceVideo:
			if sv.Conversation == "" {
				continue
			}
			n.Name, n.URL = p.AssociationName, base+"/call/"+sv.Conversation
		case ServiceOffice:
			n.URL = base + "/apps/files"
		case ServiceForms:
			n.URL = base + "/apps/forms"
		case ServicePolls:
			n.URL = base + "/apps/polls"
		}
		sum.Made = append(sum.Made, n)
	}
	return sum
}
