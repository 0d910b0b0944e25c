package nextcloud

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The kinds of failure a call reports; test them with errors.Is.
var (
	// ErrAlreadyExists: the group, user or folder to create is already there (OCS 102 on create, WebDAV 405 on MKCOL).
	ErrAlreadyExists = errors.New("nextcloud: already exists")
	// ErrNotFound: the user, group, folder, share or path does not exist (or is hidden from the caller).
	ErrNotFound = errors.New("nextcloud: not found")
	// ErrUnauthorized: wrong or revoked credentials, unknown or disabled account (HTTP 401, OCS 997); never retry.
	ErrUnauthorized = errors.New("nextcloud: unauthorized")
	// ErrForbidden: the account lacks the right (not an admin, protected admin group, own account).
	ErrForbidden = errors.New("nextcloud: forbidden")
	// ErrQuota: the user's or folder's quota is exhausted (WebDAV 507), or the host refuses the quota asked for.
	ErrQuota = errors.New("nextcloud: quota exceeded")
	// ErrUnavailable: network failure, timeout, rate limit (429), server error (5xx) or maintenance; worth retrying later.
	ErrUnavailable = errors.New("nextcloud: unavailable")
	// ErrInvalid: the request was refused as invalid (other 4xx, OCS 101/103/107…), or failed local validation.
	ErrInvalid = errors.New("nextcloud: invalid request")
	// ErrConfirmationRequired: the server wants a recent password
	// confirmation for a management write (Nextcloud 33+ with an app
	// password, or a session whose confirmation could not be renewed). It
	// is also ErrForbidden: retrying with the same credentials cannot help.
	ErrConfirmationRequired = errors.New("nextcloud: password confirmation required")
	// ErrThrottled: the server's brute-force protection refuses every login
	// from Archipel's address for a while (429 on a login, no Retry-After).
	// It is also ErrUnavailable: wait, never retry at once, never retry a
	// refused password.
	ErrThrottled = errors.New("nextcloud: logins throttled")
)

// ThrottleWait is how long a login refused by Nextcloud's brute-force
// protection waits before trying again: Nextcloud blocks for up to 30
// minutes and sends no Retry-After.
const ThrottleWait = 30 * time.Minute

// msgConfirmationRequired is Nextcloud's refusal of a write without a
// recent password confirmation.
const msgConfirmationRequired = "Password confirmation is required"

// Error is what every call returns on failure: the kind, for errors.Is, and
// what the server said, for logs. Message comes from the server and may be
// localised in the language of the authenticated account.
type Error struct {
	// Op says what was being done, e.g. `create group "asso-42"`.
	Op string
	// Kind is one of the Err* sentinels.
	Kind error
	// HTTPStatus is the HTTP status of the response, 0 when none arrived.
	HTTPStatus int
	// OCSStatus is the OCS meta statuscode, 0 when the body was not an OCS envelope.
	OCSStatus int
	// Message is the server's message (OCS meta message or Sabre s:message), possibly empty.
	Message string
	// Exception is the Sabre exception class of a WebDAV error body.
	Exception string
	// RetryAfter is the server's Retry-After delay (429, 503), 0 when not sent.
	RetryAfter time.Duration
	// Maintenance is true when the server said it is in maintenance mode.
	Maintenance bool
	// Err is the underlying cause (network error, timeout), nil when the server answered.
	Err error
}

// Error formats the failure for logs; it never contains credentials.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("nextcloud: ")
	b.WriteString(e.Op)
	b.WriteString(": ")
	kind := ErrInvalid
	if e.Kind != nil {
		kind = e.Kind
	}
	b.WriteString(strings.TrimPrefix(kind.Error(), "nextcloud: "))
	if msg := strings.TrimSpace(e.Message); msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	var details []string
	if e.HTTPStatus != 0 {
		details = append(details, "HTTP "+strconv.Itoa(e.HTTPStatus))
	}
	if e.OCSStatus != 0 {
		details = append(details, "OCS "+strconv.Itoa(e.OCSStatus))
	}
	if e.Maintenance {
		details = append(details, "maintenance mode")
	}
	if len(details) > 0 {
		b.WriteString(" (" + strings.Join(details, ", ") + ")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) and the other sentinels match by
// kind; ErrConfirmationRequired is also ErrForbidden and ErrThrottled also
// ErrUnavailable.
func (e *Error) Is(target error) bool {
	switch {
	case target == nil:
		return false
	case target == e.Kind:
		return true
	case e.Kind == ErrConfirmationRequired:
		return target == ErrForbidden
	case e.Kind == ErrThrottled:
		return target == ErrUnavailable
	}
	return false
}

// Unwrap returns the underlying cause, so errors.Is(err, context.DeadlineExceeded) works.
func (e *Error) Unwrap() error { return e.Err }

// Transient reports whether err is worth retrying later (ErrUnavailable:
// network, timeout, 429, 5xx, maintenance). The client itself never retries.
func Transient(err error) bool { return errors.Is(err, ErrUnavailable) }

// RetryAfter returns the delay the server asked for with Retry-After (429, 503), or 0.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// invalid builds the error of a request refused before it was sent.
func invalid(op, format string, args ...any) *Error {
	return &Error{Op: op, Kind: ErrInvalid, Message: fmt.Sprintf(format, args...)}
}

// codes maps the status codes whose meaning depends on the call to a kind:
// OCS statuscodes for OCS calls, HTTP statuses for WebDAV. Nextcloud reuses
// 101–104 for different things per endpoint (102 is "group exists" on create
// but "group does not exist" on add-to-group), so there is no global table.
type codes map[int]error

// classify decides the kind of a failed response. Authentication, rate
// limiting and server errors mean the same everywhere; the rest is per call.
func classify(httpStatus, ocsStatus int, perCall codes) error {
	switch {
	case ocsStatus == 429:
		// The brute-force protection, also on OCS v1 (HTTP 200).
		return ErrThrottled
	case httpStatus == http.StatusUnauthorized || ocsStatus == 997:
		return ErrUnauthorized
	case httpStatus == http.StatusTooManyRequests:
		return ErrUnavailable
	case httpStatus >= 500 && httpStatus != http.StatusInsufficientStorage:
		return ErrUnavailable
	case ocsStatus == 500 || ocsStatus == 503 || ocsStatus == 996 || ocsStatus == 999:
		// v1 envelopes (groupfolders) carry server errors with HTTP 200.
		return ErrUnavailable
	}
	key := ocsStatus
	if key == 0 {
		key = httpStatus
	}
	if kind, ok := perCall[key]; ok {
		return kind
	}
	switch {
	case httpStatus == http.StatusInsufficientStorage:
		return ErrQuota
	case ocsStatus == 403 || httpStatus == http.StatusForbidden:
		return ErrForbidden
	case ocsStatus == 404 || ocsStatus == 998 || httpStatus == http.StatusNotFound:
		return ErrNotFound
	case httpStatus == http.StatusLocked:
		// A WebDAV lock held by a client or a background job; it expires.
		return ErrUnavailable
	}
	return ErrInvalid
}

// parseRetryAfter reads a Retry-After header given in seconds or as an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// maintenanceHeader is set by Nextcloud on every answer while in maintenance mode.
const maintenanceHeader = "X-Nextcloud-Maintenance-Mode"

// responseError builds the error for a failed HTTP response.
func responseError(op string, status int, header http.Header, ocsStatus int, message string, perCall codes) *Error {
	if (ocsStatus == 403 || status == http.StatusForbidden) && strings.TrimSpace(message) == msgConfirmationRequired {
		return &Error{Op: op, Kind: ErrConfirmationRequired, HTTPStatus: status, OCSStatus: ocsStatus, Message: msgConfirmationRequired}
	}
	e := &Error{
		Op:          op,
		Kind:        classify(status, ocsStatus, perCall),
		HTTPStatus:  status,
		OCSStatus:   ocsStatus,
		Message:     strings.TrimSpace(message),
		RetryAfter:  parseRetryAfter(header.Get("Retry-After"), time.Now()),
		Maintenance: header.Get(maintenanceHeader) == "1",
	}
	if e.Maintenance {
		// Whatever the body says, maintenance passes.
		e.Kind = ErrUnavailable
		if e.Message == "" {
			e.Message = "Nextcloud is in maintenance mode"
		}
	}
	return e
}
