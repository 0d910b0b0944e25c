package server

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"archipel/chatonsinfos"
	"archipel/onboarding"
)

// The archipelago's ChatonsInfos files, under /.well-known/chatonsinfos/.
const (
	chatonsDir         = "/.well-known/chatonsinfos/"
	chatonsFederation  = chatonsDir + "archipel.properties"
	chatonsService     = chatonsDir + "archipel-service.properties"
	chatonsMetricsFile = chatonsDir + "archipel-metrics.properties"
)

func (h *Handler) chatonsRoutes(r *gin.Engine) {
	if h.opts.ChatonsName == "" {
		h.opts.ChatonsName = "Archipel"
	}
	for path, fn := range map[string]gin.HandlerFunc{
		chatonsFederation: h.chatonsFederationFile, chatonsService: h.chatonsServiceFile, chatonsMetricsFile: h.chatonsMetrics,
	} {
		r.GET(path, fn)
		r.HEAD(path, fn)
	}
}

func (h *Handler) chatonsGenerator() string {
	g := "Archipel"
	if h.opts.Version != "" {
		g += " " + h.opts.Version
	}
	return g
}

func (h *Handler) writeProperties(c *gin.Context, f *chatonsinfos.File) {
	c.Header("Cache-Control", "public, max-age=3600")
	c.Header("Access-Control-Allow-Origin", "*") // statistics crawlers and other sites may read it
	c.Data(http.StatusOK, "text/plain; charset=utf-8", f.Bytes())
}

// chatonsFederationFile describes the archipelago the way a federation
// file does: its name and contacts, then one subs.* line per partner host
// whose organization file is known. Every partner is also listed under
// archipel.hosts.* (name and website) since a federation file can only
// link the hosts that publish a file.
func (h *Handler) chatonsFederationFile(c *gin.Context) {
	ctx := c.Request.Context()
	hosts, err := h.Onboarding.ListHosts(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	links, err := h.Onboarding.ListHostChatonsInfos(ctx)
	if err != nil {
		h.fail(c, err)
		return
	}
	f := chatonsinfos.NewFile(chatonsinfos.ClassFederation, h.chatonsGenerator(), h.Now().In(onboarding.Paris).Format("2006-01-02T15:04:05"))
	f.Set("federation.name", h.opts.ChatonsName)
	f.Set("federation.description", h.opts.ChatonsDescription)
	f.Set("federation.website", h.opts.BaseURL+"/")
	f.Set("federation.contact.email", h.opts.ChatonsContact)
	f.Set("federation.legal.url", h.opts.BaseURL+"/confidentialite")
	for _, host := range hosts {
		if l, ok := links[host.ID]; ok {
			f.Set("subs."+host.Slug, l.URL)
		}
	}
	f.Set("subs.archipel", h.opts.BaseURL+chatonsService)
	for _, host := range hosts {
		f.Set("archipel.hosts."+host.Slug+".name", host.Name)
		f.Set("archipel.hosts."+host.Slug+".website", host.Website)
	}
	h.writeProperties(c, f)
}

// chatonsServiceFile describes Archipel itself as a service: free for the
// associations, OPEN while at least one partner host takes new requests.
func (h *Handler) chatonsServiceFile(c *gin.Context) {
	hosts, err := h.Onboarding.ListHosts(c.Request.Context())
	if err != nil {
		h.fail(c, err)
		return
	}
	load := chatonsinfos.LoadFull
	for _, host := range hosts {
		if !host.Paused && host.HasRoom() {
			load = chatonsinfos.LoadOpen
		}
	}
	f := chatonsinfos.NewFile(chatonsinfos.ClassService, h.chatonsGenerator(), h.Now().In(onboarding.Paris).Format("2006-01-02T15:04:05"))
	f.Set("service.name", h.opts.ChatonsName)
	f.Set("service.description", h.opts.ChatonsDescription)
	f.Set("service.website", h.opts.BaseURL+"/")
	f.Set("service.legal.url", h.opts.BaseURL+"/confidentialite")
	f.Set("service.contact.email", h.opts.ChatonsContact)
	f.Set("service.status.level", "OK")
	f.Set("service.registration", "Free")
	f.Set("service.registration.load", load)
	f.Set("software.name", "Archipel")
	f.Set("software.version", h.opts.Version)
	f.Set("subs.metrics", h.opts.BaseURL+chatonsMetricsFile)
	h.writeProperties(c, f)
}

// chatonsMetrics is the monthly metrics file: this year and the last, one
// value per month (metrics.<name>.<year>.months) and the year's total.
func (h *Handler) chatonsMetrics(c *gin.Context) {
	now := h.Now().In(onboarding.Paris)
	f := chatonsinfos.NewFile(chatonsinfos.ClassMetrics, h.chatonsGenerator(), now.Format("2006-01-02T15:04:05"))
	// The federation's files are read in French.
	for _, m := range []string{"requests", "workspaces", "accompanied", "showcase"} {
		f.Set("metrics."+m+".name", h.Templates.MustT("fr", "chatons.metrics."+m+".name"))
		f.Set("metrics."+m+".description", h.Templates.MustT("fr", "chatons.metrics."+m+".description"))
	}
	for _, year := range []int{now.Year() - 1, now.Year()} {
		m, err := h.Showcase.Monthly(c.Request.Context(), year)
		if err != nil {
			h.fail(c, err)
			return
		}
		f.SetMonths("requests", year, m.Requests)
		f.SetMonths("workspaces", year, m.Workspaces)
		f.SetMonths("accompanied", year, m.Accompanied)
		f.SetMonths("showcase", year, m.Showcase)
	}
	f.Set("metrics.period.end", now.Format("2006-01-02"))
	h.writeProperties(c, f)
}
