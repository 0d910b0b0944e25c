package server_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"archipel/accounts"
	"archipel/onboarding"
	"archipel/templates"
)

// TestEveryAuditActionAndEventKindHasALabel checks that the audit log and
// the timeline never show a code: every audit action (accounts.Actions)
// and every kind of timeline entry (onboarding.EventKinds) has a label in
// French and in English, and the code writes no action or kind that is
// not in those lists (see TestAuditActionsAndEventKindsAreListed).
func TestEveryAuditActionAndEventKindHasALabel(t *testing.T) {
	for _, lang := range templates.Languages {
		ids, err := templates.MessageIDs(lang)
		if err != nil {
			t.Fatal(err)
		}
		has := func(id string) bool { _, ok := slices.BinarySearch(ids, id); return ok }
		t.Run("every audit action has a label in "+lang, func(t *testing.T) {
			for _, a := range accounts.Actions {
				if !has("audit.action."+string(a)) && !has("req.audit."+string(a)) {
					t.Errorf("no audit.action.%s (or req.audit.%s) in %s", a, a, lang)
				}
			}
		})
		t.Run("every timeline entry has a label in "+lang, func(t *testing.T) {
			for _, k := range onboarding.EventKinds() {
				if !has("event." + k) {
					t.Errorf("no event.%s in %s", k, lang)
				}
			}
		})
	}
}

// auditCallees are the functions that write an audit line, with the
// position of their action argument.
var auditCallees = map[string]int{"Record": 2, "RecordIn": 2, "adminRecord": 1, "showcaseAudit": 2, "caseAudit": 1}

// eventCallees are the functions that write a timeline entry, with the
// position of their kind argument.
var eventCallees = map[string]int{"addEvent": 3, "AddEvent": 1, "AddEventIn": 1}

// sqlLiteralValue finds a quoted word in the VALUES of an insert into the
// audit log or the timeline: an action or kind the lists would not know.
var sqlLiteralValue = regexp.MustCompile(`(?s)INSERT INTO (audit_log|application_events)\b.*VALUES\s*\([^)]*'[a-z_]+'`)

// TestAuditActionsAndEventKindsAreListed reads the repository's Go code
// (tests aside) and fails where an audit action or a timeline kind is
// written as a bare string, or a constant of type accounts.Action is
// missing from accounts.Actions: then the label test would not see it.
func TestAuditActionsAndEventKindsAreListed(t *testing.T) {
	fset := token.NewFileSet()
	declared := map[string]string{} // name → value of each accounts.Action constant
	calls := 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "node_modules" || name == "testdata" || strings.HasPrefix(name, ".") && name != ".." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "Action" && f.Name.Name == "accounts" {
					for i, name := range n.Names {
						if lit, ok := n.Values[i].(*ast.BasicLit); ok {
							declared[name.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			case *ast.CallExpr:
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
					// A conversion accounts.Action("…") outside its list.
					if x, ok := fn.X.(*ast.Ident); ok && x.Name == "accounts" && name == "Action" && len(n.Args) == 1 {
						if _, ok := n.Args[0].(*ast.BasicLit); ok {
							t.Errorf("%s: an audit action made from a bare string", fset.Position(n.Pos()))
						}
					}
				}
				for callees, what := range map[*map[string]int]string{&auditCallees: "audit action", &eventCallees: "timeline kind"} {
					if pos, ok := (*callees)[name]; ok && pos < len(n.Args) {
						calls++
						if lit, ok := n.Args[pos].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							t.Errorf("%s: %s %s written as a bare string: use its constant", fset.Position(n.Pos()), what, lit.Value)
						}
					}
				}
			case *ast.BasicLit:
				if n.Kind == token.STRING && sqlLiteralValue.MatchString(n.Value) {
					t.Errorf("%s: an audit action or timeline kind written in SQL: pass its constant", fset.Position(n.Pos()))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 40 {
		t.Errorf("found only %d calls writing audit lines or timeline entries: is the list of callees still right?", calls)
	}
	if len(declared) < 40 {
		t.Fatalf("found only %d accounts.Action constants", len(declared))
	}
	for name, value := range declared {
		if !slices.Contains(accounts.Actions, accounts.Action(value)) {
			t.Errorf("accounts.%s (%q) is not in accounts.Actions", name, value)
		}
	}
}
