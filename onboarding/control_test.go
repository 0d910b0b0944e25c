package onboarding_test

import (
	"strconv"
	"testing"
)

// A tab or a line break in an association's name passed validation, then
// every e-mail with the name in its subject was refused.
func TestControlCharactersAreRefusedInSingleLineFields(t *testing.T) {
	for _, v := range []string{"Les Amis\tdu Vélo", "Les Amis\r\nBcc: x@y.example", "Les Amis\u2028du Vélo", "Nul\x00part"} {
		t.Run("the association's name "+strconv.Quote(v), func(t *testing.T) {
			s := validAssociation()
			s.Name = v
			if got := s.Validate().For("name"); got != "err.control_chars" {
				t.Errorf("error %q, want err.control_chars", got)
			}
			if s.Name != v {
				t.Errorf("the value typed was changed to %q", s.Name)
			}
		})
	}
	t.Run("the town, the contact's name and role", func(t *testing.T) {
		s := validAssociation()
		s.Town = "Ly\ton"
		if got := s.Validate().For("town"); got != "err.control_chars" {
			t.Errorf("town: %q", got)
		}
		m := validMembers()
		m.ContactName, m.ContactRole = "Anne\tMartin", "Présidente\n2"
		fe := m.Validate()
		if fe.For("contact_name") != "err.control_chars" || fe.For("contact_role") != "err.control_chars" {
			t.Errorf("members: %v", fe)
		}
	})
	t.Run("a text of several lines keeps its line breaks", func(t *testing.T) {
		s := validAssociation()
		s.Purpose = "Réparer des vélos.\nApprendre à réparer."
		if got := s.Validate().For("purpose"); got != "" {
			t.Errorf("purpose: %q", got)
		}
	})
}
