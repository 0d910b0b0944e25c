package server_test

// The browser tests walk the whole flow in headless Chromium as a person
// who uses only the keyboard would, once with JavaScript and once without.
// On every page they run axe-core, weigh everything the page loads and
// check that nothing comes from another origin. Chromium and axe-core come
// from the machine (apt and npm, see .ci/run), never from the network at
// run time.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"archipel/onboarding"
)

const (
	// chromeEnvExec names the variable that points at a Chromium binary.
	chromeEnvExec = "ARCHIPEL_CHROMIUM"
	// chromeEnvShots names the variable that asks for screenshots, saved in
	// the directory it names.
	chromeEnvShots = "ARCHIPEL_SCREENSHOTS"
	// chromeAxeFile is axe-core as npm installs it at the root of the repo.
	chromeAxeFile = "../node_modules/axe-core/axe.min.js"
	// chromePageBudget is the most a page may weigh, with all it loads.
	chromePageBudget = 60 * 1024
	// chromeMaxTabs is how many key presses reaching a control may take.
	chromeMaxTabs = 150
)

// chromeAxeTags are the rules axe runs: WCAG 2.1 levels A and AA.
var chromeAxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

// chromeTools returns the path of Chromium and the source of axe-core. When
// one is missing the test fails on CI, which must never skip these tests,
// and is skipped elsewhere with the command that installs it.
func chromeTools(t *testing.T) (execPath, axe string) {
	t.Helper()
	missing := func(what, install string) {
		t.Helper()
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing and CI is set: browser tests must run on CI; install it with: %s", what, install)
		}
		t.Skipf("%s is missing; install it with: %s", what, install)
	}
	execPath = os.Getenv(chromeEnvExec)
	if execPath == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if _, err := os.Stat("/usr/bin/" + name); err == nil {
				execPath = "/usr/bin/" + name
				break
			}
			if p, err := exec.LookPath(name); err == nil {
				execPath = p
				break
			}
		}
	}
	if execPath == "" {
		missing("Chromium", "apt-get update && apt-get install -y chromium (or set "+chromeEnvExec+")")
	} else if _, err := os.Stat(execPath); err != nil {
		missing("Chromium at "+execPath, "apt-get update && apt-get install -y chromium")
	}
	src, err := os.ReadFile(chromeAxeFile)
	if err != nil {
		missing("axe-core ("+chromeAxeFile+")", "npm ci (at the root of the repository)")
	}
	return execPath, string(src)
}

// chromeOptions say how a tab is set up.
type chromeOptions struct {
	JavaScript bool
	Lang       string // Accept-Language
	Width      int64
	Height     int64
	Mobile     bool
}

// chromeTab is one headless Chromium on its own profile: the tab the test
// drives, the record of the network traffic of the page loading in it, and,
// when that tab runs no script, a second tab where axe-core runs.
type chromeTab struct {
	t      *testing.T
	ctx    context.Context
	origin string
	axe    string          // axe-core's source
	axeCtx context.Context // the tab axe runs in: this one, or one with script
	opts   chromeOptions
	net    chromeNet
	pages  []chromePage
}

// chromePage is what one page load cost.
type chromePage struct {
	Name     string
	Path     string
	Bytes    float64
	Requests int
	Axe      string // summary of axe-core's results
}

// chromeNet adds up the requests of the current page load. It is fed from
// chromedp's event loop, so it only records and never calls back.
type chromeNet struct {
	mu      sync.Mutex
	urls    []string
	bytes   float64
	pending map[network.RequestID]string
	last    time.Time
}

func (n *chromeNet) reset() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.urls, n.bytes, n.pending, n.last = nil, 0, map[network.RequestID]string{}, time.Now()
}

func (n *chromeNet) handle(ev any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		n.urls = append(n.urls, ev.Request.URL)
		if ev.RedirectResponse != nil {
			// A redirect reuses the request ID; its response is counted here.
			n.bytes += ev.RedirectResponse.EncodedDataLength
		}
		n.pending[ev.RequestID] = ev.Request.URL
	case *network.EventLoadingFinished:
		n.bytes += ev.EncodedDataLength
		delete(n.pending, ev.RequestID)
	case *network.EventLoadingFailed:
		delete(n.pending, ev.RequestID)
	default:
		return
	}
	n.last = time.Now()
}

// idle reports whether no request is pending and none moved for a while.
func (n *chromeNet) idle(quiet time.Duration) (bool, []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	var pending []string
	for _, u := range n.pending {
		pending = append(pending, u)
	}
	return len(pending) == 0 && time.Since(n.last) >= quiet, pending
}

// chromeStart starts Chromium on a fresh profile, with the page cache off so
// that every page is weighed as a first visit.
func chromeStart(t *testing.T, origin, execPath, axe string, o chromeOptions) *chromeTab {
	t.Helper()
	flags := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", o.Lang),
		chromedp.WindowSize(int(o.Width), int(o.Height)),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), flags...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// The first Run starts the browser; it must have no deadline.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", execPath, err)
	}
	tab := &chromeTab{t: t, origin: origin, axe: axe, opts: o}
	tab.net.reset()
	if err := chromedp.Listen(ctx, tab.net.handle); err != nil {
		t.Fatal(err)
	}
	setup := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
			return fmt.Errorf("disable cache: %w", err)
		}
		if _, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
			Headers: network.Headers{"Accept-Language": o.Lang},
		}); err != nil {
			return fmt.Errorf("set language: %w", err)
		}
		// Headless tabs are not always the focused window; :focus then
		// matches nothing.
		if _, err := cdp.Call(ctx, tg, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
			return fmt.Errorf("emulate focus: %w", err)
		}
		if !o.JavaScript {
			if _, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
				return fmt.Errorf("disable JavaScript: %w", err)
			}
		}
		return nil
	})
	if err := chromedp.Do(ctx, setup, tab.viewport(o.Width, o.Height, o.Mobile)); err != nil {
		t.Fatal(err)
	}
	tctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(cancel)
	tab.ctx, tab.axeCtx = tctx, tctx
	if !o.JavaScript {
		// axe-core is a script: a second tab, of the same size, with script,
		// checks copies of the pages this tab gets.
		actx, cancel := chromedp.NewContext(ctx)
		t.Cleanup(cancel)
		if err := chromedp.Do(actx, tab.viewport(o.Width, o.Height, o.Mobile), chromedp.Navigate(origin+"/")); err != nil {
			t.Fatalf("open the tab for axe-core: %v", err)
		}
		actx, cancel = context.WithTimeout(actx, 4*time.Minute)
		t.Cleanup(cancel)
		tab.axeCtx = actx
	}
	return tab
}

func (tab *chromeTab) viewport(w, h int64, mobile bool) chromedp.Action[chromedp.Void] {
	if mobile {
		return chromedp.EmulateViewport(w, h, chromedp.EmulateMobile)
	}
	return chromedp.EmulateViewport(w, h)
}

// open loads a URL as if typed in the address bar.
func (tab *chromeTab) open(name, rawURL, wantPath string, wantStatus int) *goquery.Document {
	tab.t.Helper()
	tab.net.reset()
	resp, err := chromedp.Run(tab.ctx, chromedp.NavigateResponse(rawURL))
	if err != nil {
		tab.t.Fatalf("%s: open %s: %v", name, rawURL, err)
	}
	return tab.arrived(name, resp, wantPath, wantStatus)
}

// press presses a key that loads a new page (Enter on a link or a button).
func (tab *chromeTab) press(name, key, wantPath string, wantStatus int) *goquery.Document {
	tab.t.Helper()
	tab.net.reset()
	resp, err := chromedp.RunResponse(tab.ctx, chromedp.KeyEvent(key))
	if err != nil {
		tab.t.Fatalf("%s: press %q: %v", name, key, err)
	}
	return tab.arrived(name, resp, wantPath, wantStatus)
}

// arrived checks a page that just loaded: where it is, its status, its
// weight, where its requests went, and axe-core's verdict.
func (tab *chromeTab) arrived(name string, resp *network.Response, wantPath string, wantStatus int) *goquery.Document {
	tab.t.Helper()
	if resp == nil {
		tab.t.Fatalf("%s: no response", name)
	}
	u, err := url.Parse(resp.URL)
	if err != nil {
		tab.t.Fatalf("%s: %v", name, err)
	}
	if u.Path != wantPath || int(resp.Status) != wantStatus {
		tab.t.Fatalf("%s: got %d %s, want %d %s", name, resp.Status, resp.URL, wantStatus, wantPath)
	}
	tab.waitIdle(name)
	tab.net.mu.Lock()
	pg := chromePage{Name: name, Path: u.RequestURI(), Bytes: tab.net.bytes, Requests: len(tab.net.urls)}
	urls := slices.Clone(tab.net.urls)
	tab.net.mu.Unlock()
	for _, r := range chromeForeign(tab.origin, urls) {
		tab.t.Errorf("%s: request to another origin than %s: %s", name, tab.origin, r)
	}
	if pg.Bytes >= chromePageBudget {
		tab.t.Errorf("%s weighs %.1f KB with all it loads (%d requests), over the %d KB budget", name, pg.Bytes/1024, pg.Requests, chromePageBudget/1024)
	}
	html := tab.html(name)
	if !tab.opts.JavaScript {
		tab.copyToAxeTab(name, html)
	}
	pg.Axe = tab.checkAxe(name)
	tab.pages = append(tab.pages, pg)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		tab.t.Fatalf("%s: parse the page: %v", name, err)
	}
	// No page shows an id, an ISO time, a code or "de Les" (readable_test.go).
	for _, pb := range pageProblems(tab.opts.Lang, doc) {
		tab.t.Errorf("%s (%s) shows %s", name, u.Path, pb)
	}
	return doc
}

// copyToAxeTab shows the page in the tab with script, on the same origin so
// that it gets the same stylesheet, and waits for that stylesheet.
func (tab *chromeTab) copyToAxeTab(name, html string) {
	tab.t.Helper()
	tree, err := chromedp.Call(tab.axeCtx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		tab.t.Fatalf("%s: frame of the axe tab: %v", name, err)
	}
	if _, err := chromedp.Call(tab.axeCtx, page.SetDocumentContent, page.SetDocumentContentParams{
		FrameID: tree.FrameTree.Frame.ID, HTML: "<!doctype html>" + html,
	}); err != nil {
		tab.t.Fatalf("%s: copy to the axe tab: %v", name, err)
	}
	for range 200 {
		ok, err := chromedp.Run(tab.axeCtx, chromedp.Evaluate[bool](
			`document.readyState === 'complete' && document.styleSheets.length > 0 &&
				[...document.styleSheets].every(s => s.cssRules.length > 0)`))
		if err == nil && ok {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	tab.t.Fatalf("%s: the copy in the axe tab never got its stylesheet", name)
}

// waitIdle waits until the page has loaded all it asked for.
func (tab *chromeTab) waitIdle(name string) {
	tab.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ok, pending := tab.net.idle(150 * time.Millisecond)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tab.t.Errorf("%s: requests still pending after 5s: %v", name, pending)
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// chromeForeign returns the URLs that are neither on origin nor data: URLs.
func chromeForeign(origin string, urls []string) []string {
	var out []string
	for _, u := range urls {
		if !strings.HasPrefix(u, origin+"/") && !strings.HasPrefix(u, "data:") {
			out = append(out, u)
		}
	}
	return out
}

// chromeAxeResult is what the test keeps of axe.run's results.
type chromeAxeResult struct {
	Violations []struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		URL    string `json:"helpUrl"`
		Nodes  []struct {
			Target  []any  `json:"target"`
			HTML    string `json:"html"`
			Summary string `json:"failureSummary"`
		} `json:"nodes"`
	} `json:"violations"`
	Passes     int `json:"passes"`
	Incomplete int `json:"incomplete"`
}

// runAxe runs axe-core's WCAG 2.1 A and AA rules on the page.
func (tab *chromeTab) runAxe() (chromeAxeResult, error) {
	if err := chromedp.Do(tab.axeCtx, chromedp.Evaluate[chromedp.Void](tab.axe)); err != nil {
		return chromeAxeResult{}, fmt.Errorf("inject axe-core: %w", err)
	}
	tags, _ := json.Marshal(chromeAxeTags)
	script := fmt.Sprintf(`axe.run(document, {runOnly: {type: 'tag', values: %s}}).then(r => ({
		violations: r.violations.map(v => ({id: v.id, impact: v.impact || '', help: v.help, helpUrl: v.helpUrl,
			nodes: v.nodes.map(n => ({target: n.target, html: n.html, failureSummary: n.failureSummary || ''}))})),
		passes: r.passes.length, incomplete: r.incomplete.length}))`, tags)
	res, err := chromedp.Run(tab.axeCtx, chromedp.Evaluate[chromeAxeResult](script, chromedp.EvalAwaitPromise))
	if err != nil {
		return res, fmt.Errorf("run axe-core: %w", err)
	}
	return res, nil
}

// checkAxe fails the test on any violation axe-core finds in the page.
func (tab *chromeTab) checkAxe(name string) string {
	tab.t.Helper()
	res, err := tab.runAxe()
	if err != nil {
		tab.t.Fatalf("%s: %v", name, err)
	}
	for _, v := range res.Violations {
		var b strings.Builder
		fmt.Fprintf(&b, "%s: axe violation %s (%s): %s <%s>", name, v.ID, v.Impact, v.Help, v.URL)
		for _, n := range v.Nodes {
			fmt.Fprintf(&b, "\n\t%v %s\n\t\t%s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n\t\t"))
		}
		tab.t.Error(b.String())
	}
	where := ""
	if !tab.opts.JavaScript {
		where = " (on a copy in a tab with script)"
	}
	return fmt.Sprintf("%d violations, %d rules passed, %d to review by hand%s", len(res.Violations), res.Passes, res.Incomplete, where)
}

// html returns the page as the browser holds it, read through the DOM
// domain so that it works with script off.
func (tab *chromeTab) html(name string) string {
	tab.t.Helper()
	html, err := chromedp.Run(tab.ctx, chromedp.QueryAfter(chromedp.CSS("html"),
		func(ctx context.Context, tg *chromedp.Target, nodes []*chromedp.Node) (string, error) {
			nodes[0].RLock()
			id := nodes[0].NodeID
			nodes[0].RUnlock()
			res, err := cdp.Call(ctx, tg, dom.GetOuterHTML, dom.GetOuterHTMLParams{NodeID: id})
			return res.OuterHTML, err
		}))
	if err != nil {
		tab.t.Fatalf("%s: read the page: %v", name, err)
	}
	return html
}

// matches reports whether an element matches a CSS selector right now,
// using DOM.querySelectorAll, which needs no script in the page. Pseudo-
// classes such as :focus and :checked give the live state of controls.
func (tab *chromeTab) matches(sel string) bool {
	tab.t.Helper()
	nodes, err := chromedp.Run(tab.ctx, chromedp.Nodes(chromedp.CSSAll(sel), chromedp.AtLeast(0)))
	if err != nil {
		tab.t.Fatalf("query %s: %v", sel, err)
	}
	return len(nodes) > 0
}

// focused describes the element that has the focus, for messages.
func (tab *chromeTab) focused() string {
	tab.t.Helper()
	nodes, err := chromedp.Run(tab.ctx, chromedp.Nodes(chromedp.CSSAll(":focus"), chromedp.AtLeast(0)))
	if err != nil {
		tab.t.Fatalf("query :focus: %v", err)
	}
	if len(nodes) == 0 {
		return "nothing"
	}
	n := nodes[0]
	n.RLock()
	defer n.RUnlock()
	return fmt.Sprintf("<%s %s>", n.LocalName, strings.Join(n.Attributes, " "))
}

// key presses keys on whatever has the focus.
func (tab *chromeTab) key(keys string, opts ...chromedp.KeyOption) {
	tab.t.Helper()
	if err := chromedp.Do(tab.ctx, chromedp.KeyEvent(keys, opts...)); err != nil {
		tab.t.Fatalf("press %q: %v", keys, err)
	}
}

// tabTo presses Tab until the focus is on an element matching sel.
func (tab *chromeTab) tabTo(sel string) { tab.t.Helper(); tab.moveFocus(sel, false) }

// shiftTabTo presses Shift+Tab until the focus is on an element matching sel.
func (tab *chromeTab) shiftTabTo(sel string) { tab.t.Helper(); tab.moveFocus(sel, true) }

func (tab *chromeTab) moveFocus(sel string, back bool) {
	tab.t.Helper()
	var opts []chromedp.KeyOption
	if back {
		opts = append(opts, chromedp.KeyModifiers(chromedp.ModifierShift))
	}
	for range chromeMaxTabs {
		tab.key(kb.Tab, opts...)
		if tab.matches(sel + ":focus") {
			return
		}
	}
	tab.t.Fatalf("%d presses of Tab (back: %v) never reached %s; focus is on %s", chromeMaxTabs, back, sel, tab.focused())
}

// fill moves to a text field with Tab and types into it.
func (tab *chromeTab) fill(name, text string) {
	tab.t.Helper()
	tab.tabTo("#f-" + name)
	tab.key(text)
}

// tick moves to a checkbox or a radio button with Tab and ticks it with Space.
func (tab *chromeTab) tick(id string) {
	tab.t.Helper()
	tab.tabTo("#" + id)
	tab.key(" ")
	if !tab.matches("#" + id + ":checked") {
		tab.t.Fatalf("Space did not tick #%s", id)
	}
}

// arrowTo presses an arrow key in a radio group, whose radios move and tick
// together, until the radio id is ticked.
func (tab *chromeTab) arrowTo(id, arrow string) {
	tab.t.Helper()
	for range 10 {
		tab.key(arrow)
		if tab.matches("#" + id + ":checked:focus") {
			return
		}
	}
	tab.t.Fatalf("arrow keys never ticked #%s; focus is on %s", id, tab.focused())
}

// submit moves to the submit button of a form and presses Enter.
func (tab *chromeTab) submit(action, name, wantPath string, wantStatus int) *goquery.Document {
	tab.t.Helper()
	tab.tabTo(fmt.Sprintf(`form[action=%q] button[type=submit]`, action))
	return tab.press(name, kb.Enter, wantPath, wantStatus)
}

// follow moves to a link with Tab and opens it with Enter.
func (tab *chromeTab) follow(sel, name, wantPath string) *goquery.Document {
	tab.t.Helper()
	tab.tabTo(sel)
	return tab.press(name, kb.Enter, wantPath, 200)
}

// screenshots saves the page at phone and desktop widths when asked to.
func (tab *chromeTab) screenshots(name string) {
	tab.t.Helper()
	dir := os.Getenv(chromeEnvShots)
	if dir == "" {
		return
	}
	for _, w := range []int64{390, 1280} {
		if err := chromedp.Do(tab.ctx, tab.viewport(w, 844, w < 600)); err != nil {
			tab.t.Fatal(err)
		}
		buf, err := chromedp.Run(tab.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			tab.t.Fatalf("screenshot %s: %v", name, err)
		}
		file := filepath.Join(dir, fmt.Sprintf("archipel-%s-%d.png", name, w))
		if err := os.WriteFile(file, buf, 0o644); err != nil {
			tab.t.Fatal(err)
		}
		tab.t.Logf("saved %s", file)
	}
	if err := chromedp.Do(tab.ctx, tab.viewport(tab.opts.Width, tab.opts.Height, tab.opts.Mobile)); err != nil {
		tab.t.Fatal(err)
	}
}

// TestBrowserFlow walks from the home page to a sent request and its
// withdrawal with the keyboard only, with and without JavaScript.
func TestBrowserFlow(t *testing.T) {
	execPath, axe := chromeTools(t)
	for _, tc := range []struct {
		name string
		lang string
		opts chromeOptions
	}{
		{"with JavaScript, in French, on a desktop screen", "fr",
			chromeOptions{JavaScript: true, Lang: "fr-FR,fr", Width: 1280, Height: 900}},
		{"without JavaScript, in English, on a phone screen", "en",
			chromeOptions{JavaScript: false, Lang: "en-GB,en", Width: 390, Height: 844, Mobile: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t)
			// Every host has terms of its own, which step 6 links to.
			terms := "Conditions d'utilisation\n\nLes comptes inactifs depuis deux ans sont supprimés après un courriel d'avertissement."
			if _, err := app.DB.ExecContext(context.Background(), `INSERT INTO host_terms (host_id, version, body, digest, created_at)
				SELECT id, 1, $1, $2, $3 FROM hosts`, terms, onboarding.TextDigest(terms), time.Now()); err != nil {
				t.Fatal(err)
			}
			tab := chromeStart(t, app.Server.URL, execPath, axe, tc.opts)
			chromeWalk(t, app, tab, tc.lang)
			var b strings.Builder
			fmt.Fprintf(&b, "pages (budget %d KB each):", chromePageBudget/1024)
			for _, p := range tab.pages {
				fmt.Fprintf(&b, "\n\t%-40s %6.1f KB %2d requests  %-40s axe: %s", p.Name, p.Bytes/1024, p.Requests, p.Path, p.Axe)
			}
			t.Log(b.String())
		})
	}
}

// chromeWalk is the journey of one association, pressing keys only.
func chromeWalk(t *testing.T, app *testApp, tab *chromeTab, lang string) {
	t.Helper()
	email := "velo-" + lang + "@example.org"
	answers := validAnswers(email)
	origin := tab.origin

	doc := tab.open("home", origin+"/", "/", 200)
	if got := doc.Find("html").AttrOr("lang", ""); got != lang {
		t.Fatalf("home is in %q, want %q", got, lang)
	}
	// The footer ends the page: Shift+Tab from the top reaches it first.
	tab.shiftTabTo(`footer a[href="/confidentialite"]`)
	tab.press("privacy", kb.Enter, "/confidentialite", 200)
	tab.follow(`nav a[href="/suivi"]`, "status, no link yet", "/suivi")
	tab.follow(`nav a[href="/demande"]`, "start", "/demande")
	tab.follow(`a.button-start`, "step 1 association", "/demande/association")

	// Step 1: sent empty first, then filled in.
	doc = tab.submit("/demande/association", "step 1 association, errors", "/demande/association", 400)
	chromeErrors(t, doc, "step 1", "name", "legal_form", "postcode", "town", "purpose", "sector", "contact_email")
	if tab.opts.JavaScript {
		tab.screenshots("step1-errors")
	}
	legalForm := chromeLabel(t, doc, "f-legal_form-0")
	sector := strings.TrimSpace(doc.Find(`#f-sector option[value="sport"]`).Text())
	a := answers["association"]
	tab.fill("name", a.Get("name"))
	// The legal form is left for later, to come back to it with Shift+Tab.
	for _, f := range []string{"legal_id", "postcode", "town", "website", "purpose"} {
		tab.fill(f, a.Get(f))
	}
	tab.tabTo("#f-sector")
	tab.key(sector) // a closed select picks the option its label is typed for
	if !tab.matches(`#f-sector option[value="sport"]:checked`) {
		t.Fatalf("typing %q in the sector list did not select it", sector)
	}
	tab.fill("contact_email", email)
	tab.shiftTabTo(`input[name="legal_form"]`)
	tab.arrowTo("f-legal_form-0", kb.ArrowDown)
	doc = tab.submit("/demande/association", "step 2 membres", "/demande/membres", 200)
	if doc.Find(".notice").Length() != 1 {
		t.Errorf("step 2 does not say the private link was sent")
	}

	// Step 2.
	doc = tab.submit("/demande/membres", "step 2 membres, errors", "/demande/membres", 400)
	chromeErrors(t, doc, "step 2", "members", "volunteers", "employees", "contact_name", "contact_role")
	m := answers["membres"]
	for _, f := range []string{"members", "volunteers", "employees", "contact_name", "contact_role", "contact_phone"} {
		tab.fill(f, m.Get(f))
	}
	doc = tab.submit("/demande/membres", "step 3 outils", "/demande/outils", 200)

	// Step 3 has no required field: "other" without saying which is refused.
	otherTool := chromeLabel(t, doc, "f-tools-7")
	tab.tick("f-tools-7")
	doc = tab.submit("/demande/outils", "step 3 outils, errors", "/demande/outils", 400)
	chromeErrors(t, doc, "step 3", "tool_other")
	if !tab.matches("#f-tools-7:checked") {
		t.Errorf("step 3 lost the ticked box after the error")
	}
	tools := []string{chromeLabel(t, doc, "f-tools-0"), chromeLabel(t, doc, "f-tools-2")}
	tab.tick("f-tools-0")
	tab.tick("f-tools-2")
	tab.fill("tool_other", "Trello")
	tab.fill("problems", answers["outils"].Get("problems"))
	tab.fill("data_gb", answers["outils"].Get("data_gb"))
	doc = tab.submit("/demande/outils", "step 4 besoins", "/demande/besoins", 200)

	// Step 4.
	doc = tab.submit("/demande/besoins", "step 4 besoins, errors", "/demande/besoins", 400)
	chromeErrors(t, doc, "step 4", "services", "accounts", "storage_gb", "when", "training")
	when := chromeLabel(t, doc, "f-when-1")
	tab.tick("f-services-0")
	tab.tick("f-services-1")
	tab.fill("accounts", answers["besoins"].Get("accounts"))
	tab.fill("storage_gb", answers["besoins"].Get("storage_gb"))
	tab.tabTo(`input[name="when"]`) // a group without a ticked radio is entered on its first
	tab.arrowTo("f-when-1", kb.ArrowDown)
	tab.tick("f-training-0")
	tab.fill("training_topics", "Partager un agenda")
	doc = tab.submit("/demande/besoins", "step 5 hebergeur", "/demande/hebergeur", 200)

	// Step 5: "let Archipel choose" is ticked already.
	doc = tab.submit("/demande/hebergeur", "step 5 hebergeur, errors", "/demande/hebergeur", 400)
	chromeErrors(t, doc, "step 5", "contribution")
	host := chromeLabel(t, doc, "f-host-0")
	tab.tabTo(`input[name="host"]`) // a group is entered on its ticked radio
	tab.arrowTo("f-host-0", kb.ArrowDown)
	tab.tick("f-contribution-0")
	doc = tab.submit("/demande/hebergeur", "step 6 recapitulatif, unconfirmed", "/demande/recapitulatif", 200)

	// Step 6: the review shows every answer, and asks for the e-mailed link.
	summary := doc.Find(".summary").Text()
	for _, want := range append([]string{a.Get("name"), legalForm, a.Get("legal_id"), a.Get("town"), a.Get("purpose"), sector, email,
		m.Get("contact_name"), m.Get("contact_phone"), otherTool, "Trello", when, host}, tools...) {
		if !strings.Contains(summary, want) {
			t.Errorf("the review does not show %q", want)
		}
	}
	if doc.Find("#verify").Length() != 1 {
		t.Errorf("the review does not ask to confirm the address")
	}
	// The terms the box accepts are each a page of their own.
	var terms []string
	doc.Find(`#f-consent_terms-hint a`).Each(func(_ int, a *goquery.Selection) { terms = append(terms, a.AttrOr("href", "")) })
	if len(terms) == 0 {
		t.Errorf("step 6 links to no terms")
	}
	for _, href := range terms {
		if strings.HasPrefix(href, "/") {
			tab.open("terms "+href, origin+href, href, 200)
		}
	}
	doc = tab.open("step 6 recapitulatif, confirmed", app.lastLink(email), "/demande/recapitulatif", 200)
	if doc.Find("#verify").Length() != 0 || doc.Find(".notice").Length() != 1 {
		t.Errorf("opening the e-mailed link did not confirm the address")
	}
	doc = tab.submit("/demande/recapitulatif", "step 6 recapitulatif, errors", "/demande/recapitulatif", 400)
	chromeErrors(t, doc, "step 6", "consent_data", "consent_terms")
	for _, id := range []string{"f-consent_data", "f-consent_terms", "f-consent_contact"} {
		tab.tick(id)
	}
	doc = tab.submit("/demande/recapitulatif", "status, sent", "/suivi", 200)
	if doc.Find(".notice").Length() != 1 || doc.Find(`a[href="/suivi/retirer"]`).Length() != 1 {
		t.Errorf("the status page does not confirm the request or offer to withdraw it")
	}
	if tab.opts.JavaScript {
		tab.screenshots("status")
	}

	// Withdrawal.
	tab.follow(`main a[href="/suivi/retirer"]`, "withdraw confirmation", "/suivi/retirer")
	doc = tab.submit("/suivi/retirer", "status, withdrawn", "/suivi", 200)
	if doc.Find(`a[href="/suivi/retirer"]`).Length() != 0 {
		t.Errorf("a withdrawn request can still be withdrawn")
	}
	tab.open("not found", origin+"/introuvable", "/introuvable", 404)
}

// chromeLabel returns the text of the label of a control.
func chromeLabel(t *testing.T, doc *goquery.Document, id string) string {
	t.Helper()
	l := strings.TrimSpace(doc.Find(fmt.Sprintf(`label[for=%q]`, id)).Text())
	if l == "" {
		t.Fatalf("no label for #%s", id)
	}
	return l
}

// chromeErrors checks a page refused with errors: a summary whose links all
// lead to a control, and each wanted field marked invalid with its message.
func chromeErrors(t *testing.T, doc *goquery.Document, page string, fields ...string) {
	t.Helper()
	summary := doc.Find(".error-summary")
	if summary.Length() != 1 {
		t.Fatalf("%s: no error summary", page)
	}
	summary.Find("a").Each(func(_ int, a *goquery.Selection) {
		href := a.AttrOr("href", "")
		if !strings.HasPrefix(href, "#") || doc.Find(`[id="`+href[1:]+`"]`).Length() != 1 {
			t.Errorf("%s: error summary link %q leads nowhere", page, href)
		}
	})
	for _, f := range fields {
		if summary.Find(`a[href="#f-`+f+`"]`).Length() != 1 {
			t.Errorf("%s: the error summary does not list %s", page, f)
		}
		c := doc.Find("#f-" + f)
		if c.AttrOr("aria-invalid", "") != "true" || !slices.Contains(strings.Fields(c.AttrOr("aria-describedby", "")), "f-"+f+"-error") ||
			doc.Find("#f-"+f+"-error").Length() != 1 {
			t.Errorf("%s: %s is not marked invalid with its message", page, f)
		}
	}
}

// TestBrowserChecksSeeProblems makes sure the checks above can fail: axe-core
// finds the faults of a bad page and a request to another origin is seen.
func TestBrowserChecksSeeProblems(t *testing.T) {
	execPath, axe := chromeTools(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// No lang, a field without a label, faint text, an image from elsewhere.
		fmt.Fprint(w, `<!doctype html><html><head><title>Bad</title></head><body><main>
<p style="color:#bbb">Faint</p><input name="q"><img src="http://localhost:9/x.png" alt=""></main></body></html>`)
	}))
	t.Cleanup(srv.Close)
	tab := chromeStart(t, srv.URL, execPath, axe, chromeOptions{JavaScript: true, Lang: "en", Width: 800, Height: 600})
	tab.net.reset()
	if err := chromedp.Do(tab.ctx, chromedp.Navigate(srv.URL+"/")); err != nil {
		t.Fatal(err)
	}
	tab.waitIdle("bad page")
	tab.net.mu.Lock()
	foreign := chromeForeign(srv.URL, tab.net.urls)
	tab.net.mu.Unlock()
	if len(foreign) != 1 || !strings.HasPrefix(foreign[0], "http://localhost:9/") {
		t.Errorf("requests to another origin: got %v, want the image", foreign)
	}
	res, err := tab.runAxe()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, v := range res.Violations {
		ids = append(ids, v.ID)
	}
	for _, want := range []string{"html-has-lang", "label", "color-contrast"} {
		if !slices.Contains(ids, want) {
			t.Errorf("axe-core did not report %s on a page that breaks it; it reported %v", want, ids)
		}
	}
}
