package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/magiconair/properties"

	"archipel/accounts"
	"archipel/chatonsinfos"
	"archipel/onboarding"
)

// chatonsFile fetches one of the archipelago's files and parses it back
// with the same library, checking its class.
func chatonsFile(t *testing.T, app *testApp, path, class string) *properties.Properties {
	t.Helper()
	res := app.browser("").get(path)
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain; charset=utf-8") {
		t.Fatalf("%s: %d %s", path, res.Status, res.Header.Get("Content-Type"))
	}
	p, err := chatonsinfos.Parse([]byte(res.Body), class)
	if err != nil {
		t.Fatalf("%s does not parse back: %v\n%s", path, err, res.Body)
	}
	return p
}

func TestArchipelagoPublishesItsChatonsInfos(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	apps := onboarding.NewStore(app.DB, nil)
	orgURL := "https://ile-numerique.example/.well-known/chatonsinfos/organization.properties"
	if err := apps.SetHostChatonsURL(ctx, &accounts.User{Role: accounts.RoleAdmin}, "h-lyon", orgURL); err != nil {
		t.Fatal(err)
	}

	t.Run("the federation file links the partners' organization files", func(t *testing.T) {
		p := chatonsFile(t, app, "/.well-known/chatonsinfos/archipel.properties", chatonsinfos.ClassFederation)
		for key, want := range map[string]string{
			"federation.name": "Archipel", "federation.website": app.Server.URL + "/", "file.protocol": chatonsinfos.Protocol,
			"subs.ile-numerique":                  orgURL,
			"subs.archipel":                       app.Server.URL + "/.well-known/chatonsinfos/archipel-service.properties",
			"archipel.hosts.recif-solidaire.name": "Récif solidaire",
			"archipel.hosts.ile-numerique.name":   "L'Île numérique",
		} {
			if got := p.GetString(key, ""); got != want {
				t.Errorf("%s = %q, want %q", key, got, want)
			}
		}
		if _, ok := p.Get("subs.recif-solidaire"); ok {
			t.Error("a host without a known file is linked")
		}
		name, orgs, err := chatonsinfos.ParseFederation([]byte(app.browser("").get("/.well-known/chatonsinfos/archipel.properties").Body))
		if err != nil || name != "Archipel" || len(orgs) != 2 {
			t.Errorf("read as a federation: %q %v %v", name, orgs, err)
		}
	})

	t.Run("the service file is OPEN while a host takes requests, FULL when none does", func(t *testing.T) {
		svc, err := chatonsinfos.ParseService([]byte(app.browser("").get("/.well-known/chatonsinfos/archipel-service.properties").Body))
		if err != nil {
			t.Fatal(err)
		}
		if svc.Name != "Archipel" || svc.Registration != "Free" || svc.Load != chatonsinfos.LoadOpen || svc.Software != "Archipel" {
			t.Errorf("service %+v", svc)
		}
		for _, id := range []string{"h-lyon", "h-all"} {
			if err := apps.SetHostPaused(ctx, &accounts.User{Role: accounts.RoleAdmin}, id, true); err != nil {
				t.Fatal(err)
			}
		}
		svc, err = chatonsinfos.ParseService([]byte(app.browser("").get("/.well-known/chatonsinfos/archipel-service.properties").Body))
		if err != nil || !svc.Full() {
			t.Errorf("with every host paused: %+v %v", svc, err)
		}
		for _, id := range []string{"h-lyon", "h-all"} {
			if err := apps.SetHostPaused(ctx, &accounts.User{Role: accounts.RoleAdmin}, id, false); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("the metrics file counts this month's request", func(t *testing.T) {
		_, id := app.reqSubmit("fr", "bureau@jardins.example", "Jardins partagés")
		p := chatonsFile(t, app, "/.well-known/chatonsinfos/archipel-metrics.properties", chatonsinfos.ClassMetrics)
		var now time.Time // the month the request was sent in
		if err := app.DB.QueryRowContext(ctx, `SELECT submitted_at FROM applications WHERE id = $1`, id).Scan(&now); err != nil {
			t.Fatal(err)
		}
		now = now.In(onboarding.Paris)
		year := now.Format("2006")
		months := strings.Split(p.GetString("metrics.requests."+year+".months", ""), ",")
		if len(months) != 12 {
			t.Fatalf("metrics.requests.%s.months = %v", year, months)
		}
		if months[now.Month()-1] != "1" || p.GetString("metrics.requests."+year, "") != "1" {
			t.Errorf("requests of %s: %v", year, months)
		}
		for _, name := range []string{"workspaces", "accompanied", "showcase"} {
			if got := p.GetString("metrics."+name+"."+year, ""); got != "0" {
				t.Errorf("metrics.%s.%s = %q, want 0", name, year, got)
			}
			if p.GetString("metrics."+name+".name", "") == "" {
				t.Errorf("metrics.%s has no name", name)
			}
		}
		if p.GetString("metrics.requests."+now.AddDate(-1, 0, 0).Format("2006")+".months", "") == "" {
			t.Error("last year is missing")
		}
	})
}
