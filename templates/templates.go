// Package templates holds Archipel's embedded views: HTML pages, e-mail
// bodies, static assets and the fr/en message files, parsed once at start.
package templates

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
	texttemplate "text/template"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/pelletier/go-toml/v2"
	"golang.org/x/text/language"
)

//go:embed html mail static locales welcome
var files embed.FS

// Languages are the supported languages, the default first.
var Languages = []string{"fr", "en"}

// Paris is the time zone every date is shown in.
var Paris = mustLoadLocation("Europe/Paris")

func mustLoadLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// Static returns the static assets (CSS, icons, the small optional script).
func Static() fs.FS {
	sub, _ := fs.Sub(files, "static")
	return sub
}

// Welcome returns the default welcome document (a text/template in
// Markdown) for a language; hosts may replace it with their own.
func Welcome(lang string) string {
	b, err := fs.ReadFile(files, "welcome/"+lang+".md")
	if err != nil {
		b, _ = fs.ReadFile(files, "welcome/"+Languages[0]+".md")
	}
	return string(b)
}

// Set is every page and mail parsed for every language.
type Set struct {
	bundle  *i18n.Bundle
	matcher language.Matcher
	pages   map[string]map[string]*page
	mailTxt map[string]map[string]*texttemplate.Template
	mailHTM map[string]map[string]*template.Template
	local   map[string]*i18n.Localizer
}

// Load parses the message files and every template; a missing or broken
// file fails the start, not a request.
func Load() (*Set, error) {
	bundle := i18n.NewBundle(language.French)
	bundle.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	s := &Set{
		bundle:  bundle,
		pages:   map[string]map[string]*page{},
		mailTxt: map[string]map[string]*texttemplate.Template{},
		mailHTM: map[string]map[string]*template.Template{},
		local:   map[string]*i18n.Localizer{},
	}
	var tags []language.Tag
	for _, lang := range Languages {
		if _, err := MessageIDs(lang); err != nil { // refuses an ID defined twice
			return nil, fmt.Errorf("templates: load %s messages: %w", lang, err)
		}
		names, err := messageFiles(lang)
		if err != nil {
			return nil, err
		}
		for _, name := range names {
			if _, err := bundle.LoadMessageFileFS(files, name); err != nil {
				return nil, fmt.Errorf("templates: load %s messages: %w", lang, err)
			}
		}
		tags = append(tags, language.MustParse(lang))
		s.local[lang] = i18n.NewLocalizer(bundle, lang)
	}
	s.matcher = language.NewMatcher(tags)
	for _, lang := range Languages {
		if err := s.parse(lang); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// page is one page of one language. Every page is parsed at start, so
// that a broken one fails the start, but kept only from its first use: a
// page holds its own copy of the layout and partials, and a service whose
// staff never open some pages in English should not keep them.
type page struct {
	once  sync.Once
	parse func() (*template.Template, error)
	t     *template.Template
	err   error
}

func (p *page) template() (*template.Template, error) {
	p.once.Do(func() { p.t, p.err = p.parse() })
	return p.t, p.err
}

var (
	defineRe   = regexp.MustCompile(`{{-?\s*define\s+"([^"]+)"`)
	templateRe = regexp.MustCompile(`{{-?\s*(?:template|block)\s+"([^"]+)"`)
)

// partialsFor lists the partial files a page needs: those defining a
// template it calls, or that one of them calls.
func partialsFor(src string, partials map[string]string) []string {
	definedIn := map[string]string{}
	for file, body := range partials {
		for _, m := range defineRe.FindAllStringSubmatch(body, -1) {
			definedIn[m[1]] = file
		}
	}
	var need []string
	seen := map[string]bool{}
	queue := []string{src}
	for len(queue) > 0 {
		body := queue[0]
		queue = queue[1:]
		for _, m := range templateRe.FindAllStringSubmatch(body, -1) {
			if file, ok := definedIn[m[1]]; ok && !seen[file] {
				seen[file] = true
				need = append(need, file)
				queue = append(queue, partials[file])
			}
		}
	}
	sort.Strings(need)
	return need
}

func (s *Set) parse(lang string) error {
	funcs := s.funcs(lang)
	layout, err := fs.ReadFile(files, "html/layout.html")
	if err != nil {
		return err
	}
	partialFiles, err := fs.Glob(files, "html/partials/*.html")
	if err != nil {
		return err
	}
	partials := map[string]string{}
	for _, f := range partialFiles {
		b, err := fs.ReadFile(files, f)
		if err != nil {
			return err
		}
		partials[f] = string(b)
	}
	pages, err := fs.Glob(files, "html/*.html")
	if err != nil {
		return err
	}
	s.pages[lang] = map[string]*page{}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		if name == "layout" {
			continue
		}
		src, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		parts := partialsFor(string(layout)+string(src), partials)
		parse := func() (*template.Template, error) {
			t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, append([]string{"html/layout.html", p}, parts...)...)
			if err != nil {
				return nil, fmt.Errorf("templates: parse %s: %w", p, err)
			}
			return t, nil
		}
		if _, err := parse(); err != nil {
			return err
		}
		s.pages[lang][name] = &page{parse: parse}
	}
	txts, _ := fs.Glob(files, "mail/*.txt")
	s.mailTxt[lang] = map[string]*texttemplate.Template{}
	for _, p := range txts {
		name := strings.TrimSuffix(path.Base(p), ".txt")
		t, err := texttemplate.New(path.Base(p)).Funcs(texttemplate.FuncMap(funcs)).ParseFS(files, p)
		if err != nil {
			return fmt.Errorf("templates: parse %s: %w", p, err)
		}
		s.mailTxt[lang][name] = t
	}
	htmls, _ := fs.Glob(files, "mail/*.html")
	s.mailHTM[lang] = map[string]*template.Template{}
	for _, p := range htmls {
		if path.Base(p) == "layout.html" {
			continue
		}
		name := strings.TrimSuffix(path.Base(p), ".html")
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "mail/layout.html", p)
		if err != nil {
			return fmt.Errorf("templates: parse %s: %w", p, err)
		}
		s.mailHTM[lang][name] = t
	}
	return nil
}

// Lang returns a supported language for a tag such as "en-GB", or "".
func Lang(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	for _, l := range Languages {
		if tag == l || strings.HasPrefix(tag, l+"-") {
			return l
		}
	}
	return ""
}

// Match picks the best supported language for an Accept-Language header.
func (s *Set) Match(acceptLanguage string) string {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return Languages[0]
	}
	_, idx, conf := s.matcher.Match(tags...)
	if conf == language.No {
		return Languages[0]
	}
	return Languages[idx]
}

// T translates a message ID; args are key/value pairs for the message's
// template. A missing ID is an error, so that tests catch it.
func (s *Set) T(lang, id string, args ...any) (string, error) {
	loc, ok := s.local[lang]
	if !ok {
		loc = s.local[Languages[0]]
	}
	cfg := &i18n.LocalizeConfig{MessageID: id}
	if len(args) > 0 {
		data := map[string]any{}
		for i := 0; i+1 < len(args); i += 2 {
			k, _ := args[i].(string)
			data[k] = args[i+1]
			if k == "Count" {
				cfg.PluralCount = args[i+1]
			}
		}
		cfg.TemplateData = data
	}
	msg, err := loc.Localize(cfg)
	if err != nil {
		return id, fmt.Errorf("templates: message %q in %s: %w", id, lang, err)
	}
	if lang == "fr" && len(args) > 0 {
		msg = ContractFrench(msg)
	}
	return msg, nil
}

// MustT is T for Go code that only uses IDs checked by the tests.
func (s *Set) MustT(lang, id string, args ...any) string {
	msg, _ := s.T(lang, id, args...)
	return msg
}

// storedMessage is a message kept as text to be translated when shown:
// {"id":"…","args":{…}}, as onboarding.StoredMessage writes it.
type storedMessage struct {
	ID   string         `json:"id"`
	Args map[string]any `json:"args"`
}

// decodeStored reads a stored message; ok is false for any other text.
func decodeStored(text string) (m storedMessage, ok bool) {
	if !strings.HasPrefix(text, "{") {
		return m, false
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m.ID == "" || dec.More() {
		return storedMessage{}, false
	}
	return m, true
}

// Msg shows a stored text in a language: a stored message
// ({"id":"…","args":{…}}) is translated with its arguments, any other text
// (such as a reason typed by staff) comes back as it is. Arguments that are
// themselves messages are translated too, and lists of them joined with
// " + ". A message whose ID is unknown also comes back as it is, so that
// stored data never breaks a page.
func (s *Set) Msg(lang, text string) string {
	m, ok := decodeStored(text)
	if !ok {
		return text
	}
	var args []any
	for k, v := range m.Args {
		args = append(args, k, s.storedArg(lang, v))
	}
	msg, err := s.T(lang, m.ID, args...)
	if err != nil {
		return text
	}
	return msg
}

// storedArg turns a decoded argument into a message's value: whole numbers
// as int (so that they print and compare as such), messages translated.
func (s *Set) storedArg(lang string, v any) any {
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return int(n)
		}
		f, _ := v.Float64()
		return f
	case map[string]any:
		raw, _ := json.Marshal(v)
		return s.Msg(lang, string(raw))
	case []any:
		parts := make([]string, len(v))
		for i, item := range v {
			parts[i] = fmt.Sprint(s.storedArg(lang, item))
		}
		return strings.Join(parts, " + ")
	}
	return v
}

// HasPage reports whether a page template exists.
func (s *Set) HasPage(name string) bool {
	_, ok := s.pages[Languages[0]][name]
	return ok
}

// Render executes a page into w; it renders into a buffer first so that a
// template error never sends half a page.
func (s *Set) Render(w io.Writer, lang, name string, data any) error {
	p, ok := s.pages[lang][name]
	if !ok {
		return fmt.Errorf("templates: no page %q", name)
	}
	t, err := p.template()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", data); err != nil {
		return fmt.Errorf("templates: render %s/%s: %w", lang, name, err)
	}
	_, err = buf.WriteTo(w)
	return err
}

// Mail renders the subject, plain text and HTML of an e-mail.
func (s *Set) Mail(lang, name string, data any) (subject, text, html string, err error) {
	tt, ok := s.mailTxt[lang][name]
	if !ok {
		return "", "", "", fmt.Errorf("templates: no mail %q", name)
	}
	var tb, hb, sb bytes.Buffer
	if err := tt.ExecuteTemplate(&sb, "subject", data); err != nil {
		return "", "", "", fmt.Errorf("templates: mail %s subject: %w", name, err)
	}
	if err := tt.ExecuteTemplate(&tb, path.Base(name)+".txt", data); err != nil {
		return "", "", "", fmt.Errorf("templates: mail %s text: %w", name, err)
	}
	if ht, ok := s.mailHTM[lang][name]; ok {
		if err := ht.ExecuteTemplate(&hb, "layout.html", data); err != nil {
			return "", "", "", fmt.Errorf("templates: mail %s html: %w", name, err)
		}
	}
	return strings.TrimSpace(sb.String()), tb.String(), hb.String(), nil
}

// messageFiles lists a language's message files: locales/LANG.toml and one
// locales/AREA.LANG.toml per area (notifications, data rights, …), so that
// each area keeps its messages beside the others without one long file.
func messageFiles(lang string) ([]string, error) {
	more, err := fs.Glob(files, "locales/*."+lang+".toml")
	if err != nil {
		return nil, err
	}
	sort.Strings(more)
	return append([]string{"locales/" + lang + ".toml"}, more...), nil
}

// MessageIDs lists the IDs defined for a language across its message files,
// for consistency tests; an ID defined in two files is an error.
func MessageIDs(lang string) ([]string, error) {
	names, err := messageFiles(lang)
	if err != nil {
		return nil, err
	}
	seen := map[string]string{}
	var ids []string
	for _, name := range names {
		raw, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := toml.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for k := range m {
			if first, ok := seen[k]; ok {
				return nil, fmt.Errorf("templates: message %s defined in %s and %s", k, first, name)
			}
			seen[k] = name
			ids = append(ids, k)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

func (s *Set) funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t": func(id string, args ...any) (string, error) {
			return s.T(lang, id, args...)
		},
		"msg": func(text string) string { return s.Msg(lang, text) },
		// size is a number of bytes as a person reads it: "350 Mo",
		// "12,5 Go", "50 Go" (units of 1024).
		"size": func(n int64) string { return Size(lang, n) },
		// sep is what follows a label before its value (" :" in French), or
		// nothing after a label that ends with its own punctuation, such as
		// a question: "Comment ça se passe ? 4/5", not "? : 4/5".
		"sep": func(label string) string {
			if strings.HasSuffix(label, "?") || strings.HasSuffix(label, "!") || strings.HasSuffix(label, ":") {
				return ""
			}
			return s.MustT(lang, "errors.separator")
		},
		"lang": func() string { return lang },
		"date": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			if lang == "fr" {
				return t.In(Paris).Format("02/01/2006")
			}
			return t.In(Paris).Format("2 Jan 2006")
		},
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			if lang == "fr" {
				return t.In(Paris).Format("02/01/2006 à 15:04")
			}
			return t.In(Paris).Format("2 Jan 2006, 15:04")
		},
		"isotime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"has": func(list []string, v string) bool {
			for _, x := range list {
				if x == v {
					return true
				}
			}
			return false
		},
		"add":  func(a, b int) int { return a + b },
		"join": strings.Join,
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, errors.New("dict: odd arguments")
			}
			m := map[string]any{}
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, errors.New("dict: key not a string")
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"list": func(v ...string) []string { return v },
	}
}
