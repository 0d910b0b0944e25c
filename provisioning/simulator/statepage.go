package simulator

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The state page is a developer and demo tool, not part of Archipel's UI, so
// its few English labels live in the template rather than message files.

//go:embed state.html.tmpl
var stateTemplateText string

// stateTemplate is parsed once; a broken template fails the start.
var stateTemplate = template.Must(template.New("state").Funcs(template.FuncMap{
	"join": func(s []string) string { return strings.Join(s, ", ") },
	"quota": func(q int64) string {
		if q == QuotaUnlimited {
			return "none"
		}
		return strconv.FormatInt(q, 10) + " B"
	},
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format(time.RFC3339)
	},
	"perms": func(m map[string]int) string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + " (" + strconv.Itoa(m[k]) + ")"
		}
		return strings.Join(parts, ", ")
	},
}).Parse(stateTemplateText))

// stateFile is one row of the files table.
type stateFile struct {
	Space, Path string
	File
}

// serveStatePage renders GET /_archipel/state: a read-only HTML view of the
// state, without authentication, for the demo.
func (s *Simulator) serveStatePage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	st := s.Snapshot()
	var rows []stateFile
	for _, u := range st.Users {
		rows = appendFiles(rows, u.ID, st.Files[u.ID])
	}
	for _, f := range st.GroupFolders {
		rows = appendFiles(rows, "folder "+strconv.Itoa(f.ID)+" ("+f.MountPoint+")", f.Files)
	}
	var b bytes.Buffer
	err := stateTemplate.Execute(&b, struct {
		Version  string
		Calls    int
		State    State
		Files    []stateFile
		Services ServiceState
	}{s.opts.Version, s.Calls(), st, rows, s.Services()})
	if err != nil {
		http.Error(w, "simulator: state page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}

// appendFiles adds one space's files to the table, sorted by path.
func appendFiles(rows []stateFile, space string, files map[string]File) []stateFile {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		rows = append(rows, stateFile{Space: space, Path: p, File: files[p]})
	}
	return rows
}
