package nextcloud

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Collection is a calendar or an address book as its owner sees it.
type Collection struct {
	// URI is the last segment of its URL, e.g. "asso-test".
	URI string
	// DisplayName is the name shown to its owner.
	DisplayName string
	// Deleted is true for a calendar in the CalDAV trash bin: it still
	// answers at its URL and blocks the creation of another one there.
	Deleted bool
	// Sharees are the principals it is shared with (its oc:invite list).
	Sharees []Sharee
}

// Sharee is one entry of a collection's share list.
type Sharee struct {
	// Principal is e.g. "principals/groups/asso-test".
	Principal string
	// CommonName is the sharee's display name.
	CommonName string
	// ReadWrite is false for a read-only share.
	ReadWrite bool
}

// SharedWith returns the sharee entry of a principal, if any.
func (c Collection) SharedWith(principal string) (Sharee, bool) {
	for _, s := range c.Sharees {
		if strings.EqualFold(s.Principal, principal) {
			return s, true
		}
	}
	return Sharee{}, false
}

// GroupPrincipal is the DAV principal of a group, for sharing.
func GroupPrincipal(group string) string { return "principals/groups/" + url.PathEscape(group) }

// davKind tells calendars from address books.
type davKind int

const (
	calendars davKind = iota
	addressBooks
)

func (k davKind) path(owner, uri string) string {
	if k == calendars {
		return "/remote.php/dav/calendars/" + url.PathEscape(owner) + "/" + url.PathEscape(uri) + "/"
	}
	return "/remote.php/dav/addressbooks/users/" + url.PathEscape(owner) + "/" + url.PathEscape(uri) + "/"
}

func (k davKind) String() string {
	if k == calendars {
		return "calendar"
	}
	return "address book"
}

const propfindCollection = `<?xml version="1.0" encoding="UTF-8"?>
<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns" xmlns:cs="http://calendarserver.org/ns/" xmlns:nc="http://nextcloud.com/ns"><d:prop><d:resourcetype/><d:displayname/><oc:invite/><cs:getctag/><nc:deleted-at/></d:prop></d:propfind>`

// multistatus is the part of a PROPFIND answer the client reads.
type multistatus struct {
	Responses []struct {
		Href     string `xml:"DAV: href"`
		Propstat []struct {
			Status string `xml:"DAV: status"`
			Prop   struct {
				ResourceType struct {
					Inner []struct {
						XMLName xml.Name
					} `xml:",any"`
				} `xml:"DAV: resourcetype"`
				DisplayName string `xml:"DAV: displayname"`
				DeletedAt   string `xml:"http://nextcloud.com/ns deleted-at"`
				Invite      struct {
					Users []struct {
						Href       string `xml:"DAV: href"`
						CommonName string `xml:"http://owncloud.org/ns common-name"`
						Access     struct {
							ReadWrite *struct{} `xml:"http://owncloud.org/ns read-write"`
						} `xml:"http://owncloud.org/ns access"`
					} `xml:"http://owncloud.org/ns user"`
				} `xml:"http://owncloud.org/ns invite"`
			} `xml:"DAV: prop"`
		} `xml:"DAV: propstat"`
	} `xml:"DAV: response"`
}

// Calendar reads a calendar of the client's account: ErrNotFound when
// there is none at uri. A calendar in the trash bin is returned with Deleted.
func (c *Client) Calendar(ctx context.Context, uri string) (Collection, error) {
	return c.collection(ctx, calendars, uri)
}

// AddressBook reads an address book of the client's account: ErrNotFound
// when there is none at uri.
func (c *Client) AddressBook(ctx context.Context, uri string) (Collection, error) {
	return c.collection(ctx, addressBooks, uri)
}

func (c *Client) collection(ctx context.Context, k davKind, uri string) (Collection, error) {
	op := fmt.Sprintf("read %s %q", k, uri)
	if err := validID(op, k.String(), uri); err != nil {
		return Collection{}, err
	}
	_, raw, err := c.raw(ctx, rawCall{op: op, method: "PROPFIND", path: k.path(c.user, uri),
		header: map[string]string{"Depth": "0", "Content-Type": "application/xml; charset=utf-8"}, body: []byte(propfindCollection)})
	if err != nil {
		return Collection{}, err
	}
	var ms multistatus
	if err := xml.Unmarshal(raw, &ms); err != nil || len(ms.Responses) == 0 {
		return Collection{}, &Error{Op: op, Kind: ErrInvalid, HTTPStatus: 207, Message: "unreadable PROPFIND answer", Err: err}
	}
	col := Collection{URI: uri}
	for _, ps := range ms.Responses[0].Propstat {
		if !strings.Contains(ps.Status, " 200 ") {
			continue
		}
		p := ps.Prop
		col.DisplayName = p.DisplayName
		for _, rt := range p.ResourceType.Inner {
			if rt.XMLName.Local == "deleted-calendar" {
				col.Deleted = true
			}
		}
		if strings.TrimSpace(p.DeletedAt) != "" {
			col.Deleted = true
		}
		for _, u := range p.Invite.Users {
			col.Sharees = append(col.Sharees, Sharee{Principal: strings.TrimPrefix(u.Href, "principal:"),
				CommonName: u.CommonName, ReadWrite: u.Access.ReadWrite != nil})
		}
	}
	return col, nil
}

func escapeXML(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// CreateCalendar makes a calendar of the client's account for events and
// tasks: ErrAlreadyExists when one is at uri, in the trash bin included.
func (c *Client) CreateCalendar(ctx context.Context, uri, displayName, color string) error {
	op := fmt.Sprintf("create calendar %q", uri)
	if err := validID(op, "calendar", uri); err != nil {
		return err
	}
	body := `<?xml version="1.0" encoding="UTF-8"?>
<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:a="http://apple.com/ns/ical/"><d:set><d:prop><d:displayname>` +
		escapeXML(displayName) + `</d:displayname><a:calendar-color>` + escapeXML(color) +
		`</a:calendar-color><c:supported-calendar-component-set><c:comp name="VEVENT"/><c:comp name="VTODO"/></c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>`
	return c.mkcollection(ctx, op, "MKCALENDAR", calendars.path(c.user, uri), body)
}

// CreateAddressBook makes an address book of the client's account:
// ErrAlreadyExists when one is at uri.
func (c *Client) CreateAddressBook(ctx context.Context, uri, displayName, description string) error {
	op := fmt.Sprintf("create address book %q", uri)
	if err := validID(op, "address book", uri); err != nil {
		return err
	}
	// Without the extended-MKCOL body Nextcloud answers 403 "Unknown
	// resourceType for this collection".
	body := `<?xml version="1.0" encoding="UTF-8"?>
<d:mkcol xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:set><d:prop><d:resourcetype><d:collection/><card:addressbook/></d:resourcetype><d:displayname>` +
		escapeXML(displayName) + `</d:displayname><card:addressbook-description>` + escapeXML(description) +
		`</card:addressbook-description></d:prop></d:set></d:mkcol>`
	return c.mkcollection(ctx, op, "MKCOL", addressBooks.path(c.user, uri), body)
}

func (c *Client) mkcollection(ctx context.Context, op, method, path, body string) error {
	_, _, err := c.raw(ctx, rawCall{op: op, method: method, path: path,
		header: map[string]string{"Content-Type": "application/xml; charset=utf-8"}, body: []byte(body),
		codes: codes{http.StatusMethodNotAllowed: ErrAlreadyExists}})
	var e *Error
	if asError(err, &e) && e.HTTPStatus == http.StatusMethodNotAllowed && strings.Contains(e.Message, "reserved name") {
		e.Kind = ErrInvalid
	}
	return err
}

// ShareCalendar shares a calendar of the client's account with a principal
// (GroupPrincipal), read-write or read-only; sharing again replaces the
// access. Nextcloud answers 200 and silently skips a principal that does not
// exist (or that the client's account cannot see, such as a Team it is not a
// member of): read the share list back with Calendar to be sure.
func (c *Client) ShareCalendar(ctx context.Context, uri, principal, summary string, readWrite bool) error {
	return c.share(ctx, calendars, uri, principal, summary, readWrite, false)
}

// UnshareCalendar removes a principal's share; a missing one is no error.
func (c *Client) UnshareCalendar(ctx context.Context, uri, principal string) error {
	return c.share(ctx, calendars, uri, principal, "", false, true)
}

// ShareAddressBook shares an address book like ShareCalendar, with the same
// silence about missing principals.
func (c *Client) ShareAddressBook(ctx context.Context, uri, principal, summary string, readWrite bool) error {
	return c.share(ctx, addressBooks, uri, principal, summary, readWrite, false)
}

// UnshareAddressBook removes a principal's share; a missing one is no error.
func (c *Client) UnshareAddressBook(ctx context.Context, uri, principal string) error {
	return c.share(ctx, addressBooks, uri, principal, "", false, true)
}

func (c *Client) share(ctx context.Context, k davKind, uri, principal, summary string, readWrite, remove bool) error {
	op := fmt.Sprintf("share %s %q with %s", k, uri, principal)
	if remove {
		op = fmt.Sprintf("unshare %s %q from %s", k, uri, principal)
	}
	if err := validID(op, k.String(), uri); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<o:share xmlns:d="DAV:" xmlns:o="http://owncloud.org/ns">`)
	if remove {
		b.WriteString(`<o:remove><d:href>principal:` + escapeXML(principal) + `</d:href></o:remove>`)
	} else {
		b.WriteString(`<o:set><d:href>principal:` + escapeXML(principal) + `</d:href><o:summary>` + escapeXML(summary) + `</o:summary>`)
		if readWrite {
			b.WriteString(`<o:read-write/>`)
		}
		b.WriteString(`</o:set>`)
	}
	b.WriteString(`</o:share>`)
	// Without an XML Content-Type the sharing plugin ignores the POST (501).
	_, _, err := c.raw(ctx, rawCall{op: op, method: http.MethodPost, path: k.path(c.user, uri),
		header: map[string]string{"Content-Type": "application/xml; charset=utf-8"}, body: []byte(b.String())})
	return err
}

// DeleteCalendar deletes a calendar of the client's account. Nextcloud keeps
// it in its trash bin (where it still blocks its URI) unless permanent is
// true. A missing calendar is ErrNotFound.
func (c *Client) DeleteCalendar(ctx context.Context, uri string, permanent bool) error {
	op := fmt.Sprintf("delete calendar %q", uri)
	if err := validID(op, "calendar", uri); err != nil {
		return err
	}
	h := map[string]string{}
	if permanent {
		h["X-NC-CalDAV-No-Trashbin"] = "1"
	}
	_, _, err := c.raw(ctx, rawCall{op: op, method: http.MethodDelete, path: calendars.path(c.user, uri), header: h})
	return err
}

// RestoreCalendar brings a calendar back from the trash bin, with its shares.
func (c *Client) RestoreCalendar(ctx context.Context, uri string) error {
	op := fmt.Sprintf("restore calendar %q", uri)
	if err := validID(op, "calendar", uri); err != nil {
		return err
	}
	dest := c.base.String() + "/remote.php/dav/calendars/" + url.PathEscape(c.user) + "/trashbin/restore/" + url.PathEscape(uri)
	_, _, err := c.raw(ctx, rawCall{op: op, method: "MOVE", path: calendars.path(c.user, uri), header: map[string]string{"Destination": dest}})
	return err
}

// DeleteAddressBook deletes an address book of the client's account for
// good (address books have no trash bin). A missing one is ErrNotFound.
func (c *Client) DeleteAddressBook(ctx context.Context, uri string) error {
	op := fmt.Sprintf("delete address book %q", uri)
	if err := validID(op, "address book", uri); err != nil {
		return err
	}
	_, _, err := c.raw(ctx, rawCall{op: op, method: http.MethodDelete, path: addressBooks.path(c.user, uri)})
	return err
}
