package simulator

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
)

// tableCells parses the state page and returns the text of the cells of
// each table, by table id, row by row.
func tableCells(t *testing.T, page string) map[string][][]string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(page))
	dec.Strict = false
	dec.AutoClose = xml.HTMLAutoClose
	dec.Entity = xml.HTMLEntity
	tables := map[string][][]string{}
	var table string
	var cell *strings.Builder
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch e := tok.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "table":
				for _, a := range e.Attr {
					if a.Name.Local == "id" {
						table = a.Value
					}
				}
			case "tr":
				tables[table] = append(tables[table], nil)
			case "td":
				cell = &strings.Builder{}
			default:
				if cell != nil {
					t.Errorf("element <%s> inside a cell of %s: markup was not escaped", e.Name.Local, table)
				}
			}
		case xml.CharData:
			if cell != nil {
				cell.Write(e)
			}
		case xml.EndElement:
			if e.Name.Local == "td" && cell != nil {
				rows := tables[table]
				rows[len(rows)-1] = append(rows[len(rows)-1], cell.String())
				cell = nil
			}
		}
	}
	return tables
}

// hasCell reports whether a table has a cell with exactly text.
func hasCell(rows [][]string, text string) bool {
	for _, r := range rows {
		for _, c := range r {
			if c == text {
				return true
			}
		}
	}
	return false
}

func TestStatePage(t *testing.T) {
	sim, srv := newServer(t, Options{})
	hostile := `<script>alert("x")</script>`
	mustAddUser(t, sim, Account{ID: "alice", Password: "alice-password-1", DisplayName: hostile, Email: `a&b@example.test`, Groups: []string{`team<b>&co`}})
	mustSend(t, srv, dav("PUT", "alice", "alice-password-1", "/%3Cimg%3E.txt", "hello"), http.StatusCreated)

	res, page := sendFull(t, srv, request{method: "GET", path: "/_archipel/state"})
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, content type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "<img>") {
		t.Fatalf("raw markup from the state reached the page:\n%s", page)
	}
	tables := tableCells(t, page)
	tests := []struct {
		name, table, text string
	}{
		{"a hostile display name shows as text", "accounts", hostile},
		{"an e-mail with an ampersand shows as text", "accounts", "a&b@example.test"},
		{"a group id with markup shows as text", "groups", "team<b>&co"},
		{"a file name with markup shows as text", "files", "/<img>.txt"},
		{"the administrator is listed", "accounts", "admin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !hasCell(tables[tt.table], tt.text) {
				t.Errorf("table %s has no cell %q: %v", tt.table, tt.text, tables[tt.table])
			}
		})
	}
}

func TestStatePageIsReadOnly(t *testing.T) {
	_, srv := newServer(t, Options{})
	mustSend(t, srv, request{method: "POST", path: "/_archipel/state", body: "x=1"}, http.StatusMethodNotAllowed)
}
