// Package apperr is Archipel's one error type: a small set of codes and a
// message, given as a translation key, that is safe to show to the user.
package apperr

import (
	"errors"
	"fmt"
)

// Code classifies an error for the user and for HTTP.
type Code string

// The codes every package uses; server/ maps them to HTTP statuses in one place.
const (
	Invalid     Code = "invalid"
	NotFound    Code = "not_found"
	Conflict    Code = "conflict"
	Forbidden   Code = "forbidden"
	Unavailable Code = "unavailable"
	Internal    Code = "internal"
)

// Error is a domain error: a code, a translation key safe to show, and the
// cause kept for logs.
type Error struct {
	Code Code
	// Key is the message ID (in the fr/en message files) shown to the user.
	Key string
	// Op says what was being done, for logs ("onboarding: submit").
	Op string
	// Err is the cause; never shown to the user.
	Err error
}

// Error formats the error for logs.
func (e *Error) Error() string {
	msg := string(e.Code)
	if e.Key != "" {
		msg += " (" + e.Key + ")"
	}
	if e.Op != "" {
		msg = e.Op + ": " + msg
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, apperr.ErrNotFound) match any error of that code.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) && t.Key == "" && t.Op == "" && t.Err == nil {
		return t.Code == e.Code
	}
	return false
}

// Sentinels to compare codes with errors.Is.
var (
	ErrInvalid     = &Error{Code: Invalid}
	ErrNotFound    = &Error{Code: NotFound}
	ErrConflict    = &Error{Code: Conflict}
	ErrForbidden   = &Error{Code: Forbidden}
	ErrUnavailable = &Error{Code: Unavailable}
)

// New returns an error of the given code with a message key.
func New(code Code, key, op string) *Error {
	return &Error{Code: code, Key: key, Op: op}
}

// Wrap returns an error of the given code, keeping err as its cause.
func Wrap(code Code, key, op string, err error) *Error {
	return &Error{Code: code, Key: key, Op: op, Err: err}
}

// Internalf wraps an unexpected failure; its message is never shown.
func Internalf(format string, args ...any) error {
	return &Error{Code: Internal, Key: "error.internal", Err: fmt.Errorf(format, args...)}
}

// CodeOf returns the code of err, Internal when err is not an *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// KeyOf returns the message key of err, or a generic key for its code.
func KeyOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Key != "" {
		return e.Key
	}
	return "error." + string(CodeOf(err))
}
