package training

import (
	"encoding/json"
	"strings"
)

// fillFromAnswers takes what a case shows of the association from its
// request's answers (stored as JSON by onboarding).
func fillFromAnswers(c *Case, answers string) {
	var a struct {
		Association struct {
			Town string `json:"town"`
		} `json:"association"`
		Members struct {
			ContactName  string `json:"contact_name"`
			ContactPhone string `json:"contact_phone"`
		} `json:"members"`
		Needs struct {
			Services []string `json:"services"`
		} `json:"needs"`
	}
	if json.Unmarshal([]byte(answers), &a) == nil {
		c.Town, c.ContactName, c.Services = a.Association.Town, a.Members.ContactName, a.Needs.Services
		c.ContactPhone = a.Members.ContactPhone
	}
}

// goalsFromNotes picks the "needs and priorities" section of interview
// notes stored as a JSON object of sections: onboarding.GuideNotes, whose
// section is "needs" (onboarding.GuideSections); the other keys are
// accepted for notes written before the guide had its final names.
func goalsFromNotes(notes string) string {
	var sections map[string]string
	if json.Unmarshal([]byte(notes), &sections) != nil {
		return ""
	}
	for _, k := range []string{"needs", "needs_priorities", "priorities"} {
		if v := strings.TrimSpace(sections[k]); v != "" {
			return v
		}
	}
	return ""
}
