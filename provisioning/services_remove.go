package provisioning

// What becomes of the service objects when a workspace ends. Disabling a
// workspace (DisableWorkspace) disables the association's account and
// keeps everything: the calendar, the address book, the Team, the board and
// the conversation stay, shared with the group as before, so that the other
// members keep working and re-enabling loses nothing. Erasure removes them
// with these functions, each of which treats an object already gone as
// removed, so that an interrupted erasure can simply run again.

import (
	"context"
	"errors"

	"archipel/provisioning/nextcloud"
)

// ServiceObjects are the service objects a workspace holds on its host, as
// its provisioning job recorded them; empty fields were not made.
type ServiceObjects struct {
	Calendar     string // URI, owned by the provisioning account
	AddressBook  string // URI, owned by the provisioning account
	TeamID       string
	TeamOwner    string // the association's admin account
	BoardID      int    // owned by the provisioning account
	Conversation string // Talk token, owned by the provisioning account
}

// ServiceObjects returns what a request's provisioning made; not found
// when the request has no job.
func (s *Store) ServiceObjects(ctx context.Context, applicationID string) (ServiceObjects, error) {
	j, err := s.ByApplication(ctx, applicationID)
	if err != nil {
		return ServiceObjects{}, err
	}
	return objectsOf(&j.State), nil
}

// objectsOf returns the service objects a job's state says it made.
func objectsOf(st *State) ServiceObjects {
	sv := st.Services
	o := ServiceObjects{TeamID: sv.TeamID, TeamOwner: st.UserID, BoardID: sv.BoardID, Conversation: sv.Conversation}
	if sv.CalendarOK {
		o.Calendar = sv.Calendar
	}
	if sv.AddressBookOK {
		o.AddressBook = sv.AddressBook
	}
	return o
}

// gone reports whether an error means the object is not there any more.
func gone(err error) bool { return err == nil || errors.Is(err, nextcloud.ErrNotFound) }

// RemoveCalendar deletes a calendar for good, past the trash bin (where it
// would keep its events and block its URI).
func RemoveCalendar(ctx context.Context, c *nextcloud.Client, uri string) error {
	if uri == "" {
		return nil
	}
	if err := c.DeleteCalendar(ctx, uri, true); !gone(err) {
		return err
	}
	return nil
}

// RemoveAddressBook deletes an address book (address books have no trash bin).
func RemoveAddressBook(ctx context.Context, c *nextcloud.Client, uri string) error {
	if uri == "" {
		return nil
	}
	if err := c.DeleteAddressBook(ctx, uri); !gone(err) {
		return err
	}
	return nil
}

// RemoveTeam deletes a Team, acting as its owner: call it before the owner's
// account is deleted (the admin routes then answer "user not found", and the
// Team can only be found by an administrator in Nextcloud's own pages).
func RemoveTeam(ctx context.Context, c *nextcloud.Client, owner, id string) error {
	if id == "" {
		return nil
	}
	if err := c.DeleteTeam(ctx, owner, id); !gone(err) {
		return err
	}
	return nil
}

// RemoveBoard deletes a Deck board. Deck's API only soft-deletes: the board
// leaves its members' lists at once (they get 403), but Deck keeps it,
// restorable by its owner (the provisioning account), until an
// administrator empties Deck's deleted boards. A board deleted already
// answers 403, taken as removed.
func RemoveBoard(ctx context.Context, c *nextcloud.Client, id int) error {
	if id == 0 {
		return nil
	}
	err := c.DeleteBoard(ctx, id)
	if gone(err) || errors.Is(err, nextcloud.ErrForbidden) {
		return nil
	}
	return err
}

// RemoveConversation deletes a Talk conversation with its messages.
func RemoveConversation(ctx context.Context, c *nextcloud.Client, token string) error {
	if token == "" {
		return nil
	}
	if err := c.DeleteConversation(ctx, token); !gone(err) {
		return err
	}
	return nil
}

// RemoveServices removes every service object of a request's workspace
// from its host, the Team first (while its owner's account exists). It can
// run again after a failure: what is gone already counts as removed.
func (e *Engine) RemoveServices(ctx context.Context, applicationID string) error {
	o, err := e.Jobs.ServiceObjects(ctx, applicationID)
	if err != nil {
		return err
	}
	j, err := e.Jobs.ByApplication(ctx, applicationID)
	if err != nil {
		return err
	}
	h, err := e.Hosts.Get(ctx, j.HostID)
	if err != nil {
		return err
	}
	c, err := e.Hosts.Client(ctx, h)
	if err != nil {
		return err
	}
	steps := []func(context.Context) error{
		func(ctx context.Context) error { return RemoveTeam(ctx, c, o.TeamOwner, o.TeamID) },
		func(ctx context.Context) error { return RemoveCalendar(ctx, c, o.Calendar) },
		func(ctx context.Context) error { return RemoveAddressBook(ctx, c, o.AddressBook) },
		func(ctx context.Context) error { return RemoveBoard(ctx, c, o.BoardID) },
		func(ctx context.Context) error { return RemoveConversation(ctx, c, o.Conversation) },
	}
	for _, step := range steps {
		cctx, cancel := context.WithTimeout(ctx, e.opts.CallTimeout)
		err := step(cctx)
		cancel()
		if err != nil {
			return err
		}
	}
	return nil
}
