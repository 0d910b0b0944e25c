package rights_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"archipel/accounts"
	"archipel/apperr"
	"archipel/database/dbtest"
	"archipel/rights"
)

// exportSchema compiles the shipped JSON Schema.
func exportSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(rights.ExportSchema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("export-v1.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("export-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func TestExportHoldsEverythingOfItsRequestAndNothingOfAnother(t *testing.T) {
	db := dbtest.Open(t)
	seedHost(t, db, "h-a")
	seedHost(t, db, "h-b")
	a := seedAssociation(t, db, "A", "h-a")
	b := seedAssociation(t, db, "B", "h-b")
	store := rights.NewStore(db, func() time.Time { return now })
	e, err := store.ExportFor(context.Background(), rights.Requester{}, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	got := string(raw)
	t.Run("every value seeded for the request is in its export", func(t *testing.T) {
		for _, v := range a.Values {
			if !strings.Contains(got, v) {
				t.Errorf("export lacks %q", v)
			}
		}
		if e.Showcase == nil || e.Showcase.Logo == nil || string(e.Showcase.Logo.Data) != "PNG-A" {
			t.Errorf("the logo is missing: %+v", e.Showcase)
		}
		if len(e.Sessions) != 1 || len(e.CheckIns) != 1 || len(e.UsageReadings) != 1 || len(e.Consents) != 1 || len(e.Interviews) != 1 {
			t.Errorf("sessions %d, check-ins %d, readings %d, consents %d, interviews %d: want one each",
				len(e.Sessions), len(e.CheckIns), len(e.UsageReadings), len(e.Consents), len(e.Interviews))
		}
	})
	t.Run("nothing of the other host's request is in it", func(t *testing.T) {
		for _, v := range append(append(b.Values, b.Internal...), b.Secrets...) {
			if strings.Contains(got, v) {
				t.Errorf("export of A holds %q of B", v)
			}
		}
		if strings.Contains(got, "-B") {
			t.Errorf("export of A mentions B: %s", got)
		}
	})
	t.Run("staff's internal notes and link hashes are not in it", func(t *testing.T) {
		for _, v := range append(a.Internal, a.Secrets...) {
			if strings.Contains(got, v) {
				t.Errorf("export holds %q", v)
			}
		}
	})
	t.Run("the export validates against the shipped schema", func(t *testing.T) {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if err := exportSchema(t).Validate(inst); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("the schema refuses an export that breaks it", func(t *testing.T) {
		var m map[string]any
		_ = json.Unmarshal(raw, &m)
		m["surprise"] = true
		delete(m, "request")
		bad, _ := json.Marshal(m)
		inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(bad))
		if err := exportSchema(t).Validate(inst); err == nil {
			t.Fatal("an export with an unknown field and no request validated")
		}
	})
	t.Run("the export is recorded in the register as answered", func(t *testing.T) {
		if n := count(t, db, `SELECT COUNT(*) FROM rights_requests WHERE kind = 'export' AND application_id = $1
			AND requested_by = 'association' AND status = 'done' AND answered_at IS NOT NULL`, a.ID); n != 1 {
			t.Errorf("%d register lines, want 1", n)
		}
	})
}

func TestStaffExportIsScopedToTheirHost(t *testing.T) {
	db := dbtest.Open(t)
	seedHost(t, db, "h-a")
	seedHost(t, db, "h-b")
	a := seedAssociation(t, db, "A", "h-a")
	seedRequest(t, db, "draft-a", "draft", now)
	exec(t, db, `UPDATE applications SET host_id = 'h-a' WHERE id = 'draft-a'`)
	store := rights.NewStore(db, nil)
	for _, tc := range []struct {
		name string
		user *accounts.User
		id   string
		ok   bool
	}{
		{"staff of the request's host may", &accounts.User{ID: "s-a", Role: accounts.RoleStaff, HostID: "h-a"}, a.ID, true},
		{"an administrator may", &accounts.User{ID: "adm", Role: accounts.RoleAdmin}, a.ID, true},
		{"staff of another host may not", &accounts.User{ID: "s-b", Role: accounts.RoleStaff, HostID: "h-b"}, a.ID, false},
		{"a trainer may not", &accounts.User{ID: "t-a", Role: accounts.RoleTrainer, HostID: "h-a"}, a.ID, false},
		{"nobody on staff sees a draft", &accounts.User{ID: "s-a", Role: accounts.RoleStaff, HostID: "h-a"}, "draft-a", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := store.ExportFor(context.Background(), rights.Requester{Staff: tc.user}, tc.id)
			if tc.ok && err != nil {
				t.Fatal(err)
			}
			if !tc.ok && !errors.Is(err, apperr.ErrNotFound) {
				t.Fatalf("err = %v, want not found", err)
			}
		})
	}
}
