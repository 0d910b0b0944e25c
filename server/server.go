// Package server translates HTTP into calls to the domain packages: routes,
// middleware, and one handler per page.
package server

import (
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"archipel/accounts"
	"archipel/database"
	"archipel/mail"
	"archipel/metrics"
	"archipel/onboarding"
	"archipel/provisioning"
	"archipel/rights"
	"archipel/templates"
	"archipel/training"
)

// Options are the settings the HTTP layer needs.
type Options struct {
	BaseURL        string
	Secure         bool // cookies get the Secure flag (https base URL)
	TrustedProxies []string
	// Limits on what one address may do per hour.
	StartsPerHour int
	MailsPerHour  int
	// MetricsToken, when set, serves /metrics on the main port to requests
	// bearing it.
	MetricsToken string
	// The archipelago as its ChatonsInfos files describe it.
	ChatonsName        string
	ChatonsDescription string
	ChatonsContact     string
	Version            string // software.version
	// OIDC, when its issuer is set, lets staff sign in through the host's
	// identity provider beside their password.
	OIDC accounts.OIDCConfig
}

// Deps are the explicit dependencies of every handler.
type Deps struct {
	DB         *database.DB
	Templates  *templates.Set
	Onboarding *onboarding.Store
	Accounts   *accounts.Store
	Hosts      *provisioning.Hosts
	Engine     *provisioning.Engine
	Postman    *mail.Postman
	Training   *training.Store
	// Usage reads a case's usage on demand (the case page's button).
	Usage    *training.UsageReader
	Showcase *training.Showcase
	Rights   *rights.Store      // made from DB when nil
	Notifier *accounts.Notifier // made from Accounts and Postman when nil
	Logger   *slog.Logger
	Now      func() time.Time
	Metrics  *metrics.Metrics          // nil: nothing counted
	Chatons  *onboarding.ChatonsReader // nil: no ChatonsInfos reading
	OIDC     *accounts.OIDC            // nil: passwords only (built from Options.OIDC when unset)
}

// Handler carries the dependencies every page handler uses.
type Handler struct {
	opts Options
	Deps
	// publicPages keeps the latest public answers by ETag (public_cache.go).
	publicPages *lru.Cache[string, publicCopy]
	// static keeps pages that hold nothing of their visitor, by name,
	// language and path (renderStatic): a few dozen at most.
	static sync.Map
}

// New builds the HTTP handler of the whole service.
func New(opts Options, deps Deps) (http.Handler, error) {
	if opts.StartsPerHour == 0 {
		opts.StartsPerHour = 10
	}
	if opts.MailsPerHour == 0 {
		opts.MailsPerHour = 10
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.Rights == nil {
		deps.Rights = rights.NewStore(deps.DB, deps.Now)
		deps.Rights.Postman = deps.Postman
	}
	if deps.Notifier == nil && deps.Accounts != nil && deps.Postman != nil {
		deps.Notifier = &accounts.Notifier{Store: deps.Accounts, Postman: deps.Postman, BaseURL: opts.BaseURL}
	}
	if deps.OIDC == nil && opts.OIDC.Issuer != "" {
		opts.OIDC.RedirectURL = opts.BaseURL + oidcCallback
		deps.OIDC = accounts.NewOIDC(deps.Accounts, opts.OIDC)
	}
	h := &Handler{opts: opts, Deps: deps, publicPages: newPublicPages()}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.ContextWithFallback = true
	if err := r.SetTrustedProxies(opts.TrustedProxies); err != nil {
		return nil, err
	}
	h.routes(r)
	// Browsers say where an unsafe request comes from (Sec-Fetch-Site,
	// Origin): cross-origin form posts are refused before any handler runs.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(h.crossOriginDenied))
	return cop.Handler(r), nil
}

func (h *Handler) crossOriginDenied(w http.ResponseWriter, r *http.Request) {
	lang := templates.Lang(r.URL.Query().Get("lang"))
	if ck, err := r.Cookie(langCookie); lang == "" && err == nil {
		lang = templates.Lang(ck.Value)
	}
	if lang == "" {
		lang = h.Templates.Match(r.Header.Get("Accept-Language"))
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write([]byte(h.Templates.MustT(lang, "error.cross_origin")))
}

// ready reports whether the database answers.
func (h *Handler) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return h.DB.PingContext(ctx)
}
