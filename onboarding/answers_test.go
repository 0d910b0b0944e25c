package onboarding_test

import (
	"slices"
	"strings"
	"testing"

	"archipel/onboarding"
)

// fieldKeys lists a form's errors as "field=key", in order, for messages.
func fieldKeys(fe onboarding.FieldErrors) []string {
	var out []string
	for _, e := range fe {
		out = append(out, e.Field+"="+e.Key)
	}
	return out
}

// checkFieldErrors fails unless fe holds exactly the wanted "field=key" pairs.
func checkFieldErrors(t *testing.T, fe onboarding.FieldErrors, want ...string) {
	t.Helper()
	got := fieldKeys(fe)
	if !slices.Equal(got, want) {
		t.Errorf("errors = %q, want %q", got, want)
	}
}

func validAssociation() onboarding.AssociationStep {
	return onboarding.AssociationStep{
		Name: "Les Amis du Vélo", LegalForm: "loi1901", LegalID: "W691234567", Postcode: "69001",
		Town: "Lyon", Website: "https://amis-velo.example.org", Purpose: "Promouvoir le vélo en ville",
		Sector: "sport", ContactEmail: "anne@amis-velo.example.org",
	}
}

func TestAssociationStepValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *onboarding.AssociationStep)
		want   []string
	}{
		{"complete answers are accepted", func(s *onboarding.AssociationStep) {}, nil},
		{"an empty form names every required field, in page order", func(s *onboarding.AssociationStep) {
			*s = onboarding.AssociationStep{}
		}, []string{"name=err.name.required", "legal_form=err.legal_form.required", "postcode=err.postcode.required",
			"town=err.town.required", "purpose=err.purpose.required", "sector=err.sector.required",
			"contact_email=err.contact_email.required"}},
		{"a name of spaces only is missing", func(s *onboarding.AssociationStep) { s.Name = "   " }, []string{"name=err.name.required"}},
		{"a name of 200 characters is accepted", func(s *onboarding.AssociationStep) { s.Name = strings.Repeat("é", 200) }, nil},
		{"a name of 201 characters is too long", func(s *onboarding.AssociationStep) { s.Name = strings.Repeat("é", 201) }, []string{"name=err.too_long"}},
		{"a legal form outside the list is refused", func(s *onboarding.AssociationStep) { s.LegalForm = "sarl" }, []string{"legal_form=err.choice"}},
		{"the legal id may be left out", func(s *onboarding.AssociationStep) { s.LegalID = "" }, nil},
		{"a malformed legal id is refused", func(s *onboarding.AssociationStep) { s.LegalID = "W12" }, []string{"legal_id=err.legal_id.invalid"}},
		{"a legal id over 40 characters is too long", func(s *onboarding.AssociationStep) { s.LegalID = strings.Repeat("1", 41) }, []string{"legal_id=err.too_long"}},
		{"a foreign postcode is refused", func(s *onboarding.AssociationStep) { s.Postcode = "1000" }, []string{"postcode=err.postcode.invalid"}},
		{"Monaco's postcode is refused", func(s *onboarding.AssociationStep) { s.Postcode = "98000" }, []string{"postcode=err.postcode.invalid"}},
		{"a town over 100 characters is too long", func(s *onboarding.AssociationStep) { s.Town = strings.Repeat("a", 101) }, []string{"town=err.too_long"}},
		{"a purpose of 2000 characters is accepted", func(s *onboarding.AssociationStep) { s.Purpose = strings.Repeat("a", 2000) }, nil},
		{"a purpose over 2000 characters is too long", func(s *onboarding.AssociationStep) { s.Purpose = strings.Repeat("a", 2001) }, []string{"purpose=err.too_long"}},
		{"a sector outside the list is refused", func(s *onboarding.AssociationStep) { s.Sector = "finance" }, []string{"sector=err.choice"}},
		{"the website may be left out", func(s *onboarding.AssociationStep) { s.Website = "" }, nil},
		{"a website without a dot is refused", func(s *onboarding.AssociationStep) { s.Website = "localhost" }, []string{"website=err.website.invalid"}},
		{"an ftp website is refused", func(s *onboarding.AssociationStep) { s.Website = "ftp://files.example.org" }, []string{"website=err.website.invalid"}},
		{"a javascript URL is refused", func(s *onboarding.AssociationStep) { s.Website = "javascript:alert(1)" }, []string{"website=err.website.invalid"}},
		{"a website with credentials is refused", func(s *onboarding.AssociationStep) { s.Website = "https://user:pw@example.org" }, []string{"website=err.website.invalid"}},
		{"a website with a space in its host is refused", func(s *onboarding.AssociationStep) { s.Website = "mon asso.fr" }, []string{"website=err.website.invalid"}},
		{"a website over 200 characters is refused", func(s *onboarding.AssociationStep) { s.Website = strings.Repeat("a", 200) + ".fr" }, []string{"website=err.website.invalid"}},
		{"an address without a domain is refused", func(s *onboarding.AssociationStep) { s.ContactEmail = "anne" }, []string{"contact_email=err.contact_email.invalid"}},
		{"an address whose domain has no dot is refused", func(s *onboarding.AssociationStep) { s.ContactEmail = "anne@localhost" }, []string{"contact_email=err.contact_email.invalid"}},
		{"an address with a display name is refused", func(s *onboarding.AssociationStep) { s.ContactEmail = "Anne <anne@example.org>" }, []string{"contact_email=err.contact_email.invalid"}},
		{"two addresses are refused", func(s *onboarding.AssociationStep) { s.ContactEmail = "anne@example.org, bob@example.org" }, []string{"contact_email=err.contact_email.invalid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validAssociation()
			tt.change(&s)
			checkFieldErrors(t, s.Validate(), tt.want...)
		})
	}
}

func TestAssociationStepNormalizes(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *onboarding.AssociationStep)
		check  func(s onboarding.AssociationStep) bool
	}{
		{"spaces around free text are trimmed",
			func(s *onboarding.AssociationStep) { s.Name, s.Town, s.Purpose = "  Les Amis  ", " Lyon ", "\tVélo\n" },
			func(s onboarding.AssociationStep) bool {
				return s.Name == "Les Amis" && s.Town == "Lyon" && s.Purpose == "Vélo"
			}},
		{"a website without a scheme gets https",
			func(s *onboarding.AssociationStep) { s.Website = "amis-velo.example.org" },
			func(s onboarding.AssociationStep) bool { return s.Website == "https://amis-velo.example.org" }},
		{"an http website keeps its scheme and path",
			func(s *onboarding.AssociationStep) { s.Website = " http://example.org/asso?id=3 " },
			func(s onboarding.AssociationStep) bool { return s.Website == "http://example.org/asso?id=3" }},
		{"a refused website is kept as typed",
			func(s *onboarding.AssociationStep) { s.Website = "ftp://x.example.org" },
			func(s onboarding.AssociationStep) bool { return s.Website == "ftp://x.example.org" }},
		{"the domain of the address is lower-cased, not its local part",
			func(s *onboarding.AssociationStep) { s.ContactEmail = " Anne.Martin@Example.ORG " },
			func(s onboarding.AssociationStep) bool { return s.ContactEmail == "Anne.Martin@example.org" }},
		{"an RNA typed with spaces is stored canonical with its kind",
			func(s *onboarding.AssociationStep) { s.LegalID = "w691 234 567" },
			func(s onboarding.AssociationStep) bool {
				return s.LegalID == "W691234567" && s.LegalIDKind == onboarding.LegalIDRNA
			}},
		{"a SIRET is recognized",
			func(s *onboarding.AssociationStep) { s.LegalID = "732 829 320 00074" },
			func(s onboarding.AssociationStep) bool {
				return s.LegalID == "73282932000074" && s.LegalIDKind == onboarding.LegalIDSIRET
			}},
		{"a removed legal id forgets its kind",
			func(s *onboarding.AssociationStep) { s.LegalID, s.LegalIDKind = "", onboarding.LegalIDRNA },
			func(s onboarding.AssociationStep) bool { return s.LegalIDKind == "" }},
		{"the département is derived from the postcode",
			func(s *onboarding.AssociationStep) { s.Postcode = "20 000" },
			func(s onboarding.AssociationStep) bool { return s.Departement == "2A" }},
		{"a refused postcode leaves no stale département",
			func(s *onboarding.AssociationStep) { s.Postcode, s.Departement = "00100", "69" },
			func(s onboarding.AssociationStep) bool { return s.Departement == "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validAssociation()
			tt.change(&s)
			s.Validate()
			if !tt.check(s) {
				t.Errorf("after Validate: %+v", s)
			}
		})
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		ok   bool
	}{
		{"a plain address is kept", "anne@example.org", "anne@example.org", true},
		{"the domain is lower-cased", "Anne@EXAMPLE.Org", "Anne@example.org", true},
		{"surrounding spaces are trimmed", "  anne@example.org\n", "anne@example.org", true},
		{"a plus tag is kept", "anne+asso@example.org", "anne+asso@example.org", true},
		{"an empty address is refused", "", "", false},
		{"an address without @ is refused", "anne.example.org", "", false},
		{"a domain without a dot is refused", "anne@example", "", false},
		{"a display name is refused", "Anne <anne@example.org>", "", false},
		{"an address over 254 characters is refused", strings.Repeat("a", 250) + "@example.org", "", false},
		{"a space inside is refused", "an ne@example.org", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := onboarding.NormalizeEmail(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("NormalizeEmail(%q) = %q, %t; want %q, %t", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func validMembers() onboarding.MembersStep {
	return onboarding.MembersStep{Members: "40", Volunteers: "12", Employees: "0", ContactName: "Anne Martin",
		ContactRole: "présidente", ContactPhone: "06 12 34 56 78"}
}

func TestMembersStepValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *onboarding.MembersStep)
		want   []string
	}{
		{"complete answers are accepted", func(s *onboarding.MembersStep) {}, nil},
		{"an empty form names every required field", func(s *onboarding.MembersStep) { *s = onboarding.MembersStep{} },
			[]string{"members=err.members.required", "volunteers=err.volunteers.required", "employees=err.employees.required",
				"contact_name=err.contact_name.required", "contact_role=err.contact_role.required"}},
		{"numbers may be typed with thousands separators", func(s *onboarding.MembersStep) { s.Members = "1 200" }, nil},
		{"zero members is out of range", func(s *onboarding.MembersStep) { s.Members = "0" }, []string{"members=err.members.range"}},
		{"a million members is the most", func(s *onboarding.MembersStep) { s.Members = "1000000" }, nil},
		{"more than a million members is out of range", func(s *onboarding.MembersStep) { s.Members = "1000001" }, []string{"members=err.members.range"}},
		{"a negative number of volunteers is out of range", func(s *onboarding.MembersStep) { s.Volunteers = "-1" }, []string{"volunteers=err.volunteers.range"}},
		{"more than 100 000 employees is out of range", func(s *onboarding.MembersStep) { s.Employees = "100001" }, []string{"employees=err.employees.range"}},
		{"a number in words is refused", func(s *onboarding.MembersStep) { s.Members = "quarante" }, []string{"members=err.number"}},
		{"a decimal number of members is refused", func(s *onboarding.MembersStep) { s.Members = "4.5" }, []string{"members=err.number"}},
		{"the phone may be left out", func(s *onboarding.MembersStep) { s.ContactPhone = "" }, nil},
		{"an international phone is accepted", func(s *onboarding.MembersStep) { s.ContactPhone = "+33 (0)6 12.34.56.78" }, nil},
		{"a phone with letters is refused", func(s *onboarding.MembersStep) { s.ContactPhone = "06 CALL ME" }, []string{"contact_phone=err.contact_phone.invalid"}},
		{"a too short phone is refused", func(s *onboarding.MembersStep) { s.ContactPhone = "123" }, []string{"contact_phone=err.contact_phone.invalid"}},
		{"a contact role over 200 characters is too long", func(s *onboarding.MembersStep) { s.ContactRole = strings.Repeat("r", 201) }, []string{"contact_role=err.too_long"}},
		{"accessibility needs over 2000 characters are too long", func(s *onboarding.MembersStep) { s.Accessibility = strings.Repeat("a", 2001) }, []string{"accessibility=err.too_long"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validMembers()
			tt.change(&s)
			checkFieldErrors(t, s.Validate(), tt.want...)
		})
	}
}

func TestToolsStepValidate(t *testing.T) {
	tests := []struct {
		name string
		in   onboarding.ToolsStep
		want []string
	}{
		{"nothing at all is accepted: every field is optional", onboarding.ToolsStep{}, nil},
		{"known tools are accepted", onboarding.ToolsStep{Tools: []string{"google_drive", "whatsapp"}, DataGB: "5"}, nil},
		{"an unknown tool is refused once", onboarding.ToolsStep{Tools: []string{"slack", "teams"}}, []string{"tools=err.choice"}},
		{"\"other\" needs the other tools named", onboarding.ToolsStep{Tools: []string{"other"}}, []string{"tool_other=err.tool_other.required"}},
		{"\"other\" with the tools named is accepted", onboarding.ToolsStep{Tools: []string{"other"}, ToolOther: "Framadate"}, nil},
		{"other tools named without \"other\" are accepted", onboarding.ToolsStep{ToolOther: "Framadate"}, nil},
		{"other tools over 200 characters are too long", onboarding.ToolsStep{Tools: []string{"other"}, ToolOther: strings.Repeat("x", 201)}, []string{"tool_other=err.too_long"}},
		{"problems over 2000 characters are too long", onboarding.ToolsStep{Problems: strings.Repeat("x", 2001)}, []string{"problems=err.too_long"}},
		{"a decimal comma is accepted in the data size", onboarding.ToolsStep{DataGB: "2,5"}, nil},
		{"a data size in words is refused", onboarding.ToolsStep{DataGB: "beaucoup"}, []string{"data_gb=err.number"}},
		{"\"NaN\" is not a data size", onboarding.ToolsStep{DataGB: "NaN"}, []string{"data_gb=err.number"}},
		{"a negative data size is out of range", onboarding.ToolsStep{DataGB: "-1"}, []string{"data_gb=err.data_gb.range"}},
		{"more than 100 000 GB is out of range", onboarding.ToolsStep{DataGB: "100001"}, []string{"data_gb=err.data_gb.range"}},
		{"an infinite data size is out of range", onboarding.ToolsStep{DataGB: "Inf"}, []string{"data_gb=err.data_gb.range"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.in
			checkFieldErrors(t, s.Validate(), tt.want...)
		})
	}
}

func validNeeds() onboarding.NeedsStep {
	return onboarding.NeedsStep{Services: []string{"files", "calendars"}, Accounts: "10", StorageGB: "20", When: "asap", Training: "yes"}
}

func TestNeedsStepValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *onboarding.NeedsStep)
		want   []string
	}{
		{"complete answers are accepted", func(s *onboarding.NeedsStep) {}, nil},
		{"an empty form names every required field", func(s *onboarding.NeedsStep) { *s = onboarding.NeedsStep{} },
			[]string{"services=err.services.required", "accounts=err.accounts.required", "storage_gb=err.storage_gb.required",
				"when=err.when.required", "training=err.training.required"}},
		{"an unknown service is refused", func(s *onboarding.NeedsStep) { s.Services = []string{"files", "mail"} }, []string{"services=err.choice"}},
		{"zero accounts is out of range", func(s *onboarding.NeedsStep) { s.Accounts = "0" }, []string{"accounts=err.accounts.range"}},
		{"a thousand accounts is the most", func(s *onboarding.NeedsStep) { s.Accounts = "1000" }, nil},
		{"more than a thousand accounts is out of range", func(s *onboarding.NeedsStep) { s.Accounts = "1001" }, []string{"accounts=err.accounts.range"}},
		{"more than 10 000 GB is out of range", func(s *onboarding.NeedsStep) { s.StorageGB = "10001" }, []string{"storage_gb=err.storage_gb.range"}},
		{"a storage size in words is refused", func(s *onboarding.NeedsStep) { s.StorageGB = "vingt" }, []string{"storage_gb=err.number"}},
		{"a timing outside the list is refused", func(s *onboarding.NeedsStep) { s.When = "yesterday" }, []string{"when=err.choice"}},
		{"training must be yes or no", func(s *onboarding.NeedsStep) { s.Training = "maybe" }, []string{"training=err.choice"}},
		{"training topics over 2000 characters are too long", func(s *onboarding.NeedsStep) { s.TrainingTopics = strings.Repeat("x", 2001) }, []string{"training_topics=err.too_long"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := validNeeds()
			tt.change(&s)
			checkFieldErrors(t, s.Validate(), tt.want...)
		})
	}
}

var testHosts = []onboarding.Host{
	{ID: "h1", Slug: "ile-numerique", Name: "L'Île numérique"},
	{ID: "h2", Slug: "lagon-complet", Name: "Lagon complet", Paused: true},
}

func TestHostStepValidate(t *testing.T) {
	tests := []struct {
		name    string
		in      onboarding.HostStep
		want    []string
		wantFee string
	}{
		{"letting the archipelago choose is accepted", onboarding.HostStep{Choice: "auto", Contribution: "free"}, nil, ""},
		{"an open host is accepted", onboarding.HostStep{Choice: "ile-numerique", Contribution: "pwyc"}, nil, ""},
		{"an empty form names every required field", onboarding.HostStep{},
			[]string{"host=err.host.required", "contribution=err.contribution.required"}, ""},
		{"a paused host is unavailable", onboarding.HostStep{Choice: "lagon-complet", Contribution: "free"}, []string{"host=err.host.unavailable"}, ""},
		{"an unknown host is unavailable", onboarding.HostStep{Choice: "nulle-part", Contribution: "free"}, []string{"host=err.host.unavailable"}, ""},
		{"a contribution outside the list is refused", onboarding.HostStep{Choice: "auto", Contribution: "barter"}, []string{"contribution=err.choice"}, ""},
		{"a membership needs a fee range", onboarding.HostStep{Choice: "auto", Contribution: "membership"}, []string{"fee_range=err.fee_range.required"}, ""},
		{"a membership with a fee range is accepted", onboarding.HostStep{Choice: "auto", Contribution: "membership", FeeRange: "50_150"}, nil, "50_150"},
		{"a fee range outside the list is refused", onboarding.HostStep{Choice: "auto", Contribution: "membership", FeeRange: "1000"}, []string{"fee_range=err.choice"}, "1000"},
		{"a fee range without membership is dropped", onboarding.HostStep{Choice: "auto", Contribution: "free", FeeRange: "gt300"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.in
			checkFieldErrors(t, s.Validate(testHosts), tt.want...)
			if s.FeeRange != tt.wantFee {
				t.Errorf("fee range = %q, want %q", s.FeeRange, tt.wantFee)
			}
		})
	}
}

func TestConsentStepValidate(t *testing.T) {
	tests := []struct {
		name       string
		in         onboarding.ConsentStep
		want       []string
		wantFollow string
	}{
		{"both required consents are accepted", onboarding.ConsentStep{DataProcessing: "yes", HostTerms: "yes", FollowUp: "yes"}, nil, "yes"},
		{"follow-up is optional and becomes no", onboarding.ConsentStep{DataProcessing: "yes", HostTerms: "yes"}, nil, "no"},
		{"nothing ticked names both required consents", onboarding.ConsentStep{},
			[]string{"consent_data=err.consent_data.required", "consent_terms=err.consent_terms.required"}, "no"},
		{"only \"yes\" counts as consent", onboarding.ConsentStep{DataProcessing: "on", HostTerms: "yes", FollowUp: "on"},
			[]string{"consent_data=err.consent_data.required"}, "no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := tt.in
			checkFieldErrors(t, s.Validate(), tt.want...)
			if s.FollowUp != tt.wantFollow {
				t.Errorf("follow-up = %q, want %q", s.FollowUp, tt.wantFollow)
			}
		})
	}
}

// completeAnswers are answers every step accepts.
func completeAnswers() onboarding.Answers {
	return onboarding.Answers{
		Association: validAssociation(),
		Members:     validMembers(),
		Tools:       onboarding.ToolsStep{Tools: []string{"google_drive"}},
		Needs:       validNeeds(),
		Host:        onboarding.HostStep{Choice: "ile-numerique", Contribution: "free"},
		Consent:     onboarding.ConsentStep{DataProcessing: "yes", HostTerms: "yes"},
	}
}

func TestAnswersComplete(t *testing.T) {
	tests := []struct {
		name   string
		change func(a *onboarding.Answers)
		hosts  []onboarding.Host
		want   onboarding.Step
	}{
		{"complete answers miss nothing", func(a *onboarding.Answers) {}, testHosts, 0},
		{"a missing name sends back to the first step", func(a *onboarding.Answers) { a.Association.Name = "" }, testHosts, onboarding.StepAssociation},
		{"missing members send back to the second step", func(a *onboarding.Answers) { a.Members = onboarding.MembersStep{} }, testHosts, onboarding.StepMembers},
		{"\"other\" tools unnamed send back to the tools", func(a *onboarding.Answers) { a.Tools.Tools = []string{"other"} }, testHosts, onboarding.StepTools},
		{"no service sends back to the needs", func(a *onboarding.Answers) { a.Needs.Services = nil }, testHosts, onboarding.StepNeeds},
		{"a host paused since sends back to the host step", func(a *onboarding.Answers) {}, []onboarding.Host{{Slug: "ile-numerique", Paused: true}}, onboarding.StepHost},
		{"the earliest incomplete step wins", func(a *onboarding.Answers) { a.Members.Members = ""; a.Needs.Accounts = "" }, testHosts, onboarding.StepMembers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := completeAnswers()
			tt.change(&a)
			before := a
			if got := a.Complete(tt.hosts); got != tt.want {
				t.Errorf("Complete = %d, want %d", got, tt.want)
			}
			if a.Association != before.Association || a.Members != before.Members {
				t.Error("Complete changed the answers it checked")
			}
		})
	}
}

func TestSteps(t *testing.T) {
	tests := []struct {
		name string
		slug string
		step onboarding.Step
		ok   bool
		prev onboarding.Step
	}{
		{"the first step has no step before it", "association", onboarding.StepAssociation, true, onboarding.StepAssociation},
		{"members come after the association", "membres", onboarding.StepMembers, true, onboarding.StepAssociation},
		{"the review is the last of six steps", "recapitulatif", onboarding.StepReview, true, onboarding.StepHost},
		{"an unknown slug is no step", "paiement", 0, false, 0},
		{"an empty slug is no step", "", 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, ok := onboarding.StepFromSlug(tt.slug)
			if step != tt.step || ok != tt.ok {
				t.Fatalf("StepFromSlug(%q) = %d, %t", tt.slug, step, ok)
			}
			if !ok {
				return
			}
			if step.Slug() != tt.slug {
				t.Errorf("Slug = %q", step.Slug())
			}
			if step.Prev() != tt.prev {
				t.Errorf("Prev = %d, want %d", step.Prev(), tt.prev)
			}
		})
	}
	if onboarding.StepReview != onboarding.StepCount {
		t.Errorf("the review is step %d of %d", onboarding.StepReview, onboarding.StepCount)
	}
}
