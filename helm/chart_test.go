// Package helm holds the Kubernetes chart; its test renders the chart with
// the helm command (installed by .ci/run with go install).
package helm

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func helmBinary(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("ARCHIPEL_HELM")}
	if p, err := exec.LookPath("helm"); err == nil {
		candidates = append(candidates, p)
	}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, "go", "bin", "helm"))
	}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if _, err := os.Stat(c); err == nil {
			return c
		}
	}
	msg := "helm not found: go install helm.sh/helm/v3/cmd/helm@v3.22.0"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func render(t *testing.T, helm string, sets ...string) (string, error) {
	t.Helper()
	args := []string{"template", "t", "archipel"}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	out, err := exec.Command(helm, args...).CombinedOutput()
	return string(out), err
}

func TestChart(t *testing.T) {
	helm := helmBinary(t)
	key := strings.Repeat("ab", 32)
	if out, err := exec.Command(helm, "lint", "archipel", "--set", "database.url=postgres://a@db/x", "--set", "secretKey.value="+key).CombinedOutput(); err != nil {
		t.Fatalf("helm lint: %v\n%s", err, out)
	}
	t.Run("several replicas on PostgreSQL read their secrets from files", func(t *testing.T) {
		out, err := render(t, helm, "database.url=postgres://archipel:s3cret@db/archipel", "secretKey.value="+key, "replicaCount=3", "ingress.enabled=true")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		for _, want := range []string{"replicas: 3", "kind: PodDisruptionBudget", "kind: Ingress", "ARCHIPEL_DATABASE_URL_FILE", "ARCHIPEL_SECRET_KEY_FILE",
			"path: /readyz", "path: /healthz", "runAsNonRoot: true", "readOnlyRootFilesystem: true"} {
			if !strings.Contains(out, want) {
				t.Errorf("rendered chart lacks %q", want)
			}
		}
		deployment := out[strings.Index(out, "kind: Deployment"):]
		if strings.Contains(deployment, "s3cret") || strings.Contains(deployment, key) {
			t.Error("a secret value appears in the Deployment instead of a Secret")
		}
		if strings.Contains(out, "kind: PersistentVolumeClaim") {
			t.Error("a volume claim was made for PostgreSQL")
		}
	})
	t.Run("one replica on SQLite keeps its data on a volume", func(t *testing.T) {
		out, err := render(t, helm, "replicaCount=1", "persistence.enabled=true")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		for _, want := range []string{"kind: PersistentVolumeClaim", "type: Recreate", "claimName: t-data"} {
			if !strings.Contains(out, want) {
				t.Errorf("rendered chart lacks %q", want)
			}
		}
	})
	t.Run("metrics are off unless asked, then on their own port and Service", func(t *testing.T) {
		out, err := render(t, helm, "replicaCount=1")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		for _, unwanted := range []string{"ARCHIPEL_METRICS_ADDR", "prometheus.io/scrape", "t-metrics", "ServiceMonitor"} {
			if strings.Contains(out, unwanted) {
				t.Errorf("metrics are off by default, yet the chart holds %q", unwanted)
			}
		}
		out, err = render(t, helm, "replicaCount=1", "ingress.enabled=true", "metrics.enabled=true", "metrics.token=scrape-s3cret",
			"metrics.serviceMonitor.enabled=true", "metrics.serviceMonitor.labels.release=prom")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		for _, want := range []string{`prometheus.io/scrape: "true"`, `prometheus.io/port: "9090"`, "name: ARCHIPEL_METRICS_ADDR", `value: ":9090"`,
			"ARCHIPEL_METRICS_TOKEN_FILE", "name: t-metrics", "kind: ServiceMonitor", "bearerTokenSecret:", "key: metrics-token", "release: prom"} {
			if !strings.Contains(out, want) {
				t.Errorf("rendered chart lacks %q", want)
			}
		}
		deployment := out[strings.Index(out, "kind: Deployment"):]
		if strings.Contains(deployment, "scrape-s3cret") {
			t.Error("the metrics token appears in the Deployment instead of a Secret")
		}
		ingress := out[strings.Index(out, "kind: Ingress"):]
		if strings.Contains(ingress, "t-metrics") || strings.Contains(ingress, "9090") {
			t.Error("the Ingress routes to the metrics port")
		}
	})
	t.Run("impossible settings are refused with a sentence", func(t *testing.T) {
		for _, tc := range []struct {
			sets []string
			want string
		}{
			{[]string{"replicaCount=2"}, "replicaCount must be 1"},
			{[]string{"database.url=postgres://a@db/x"}, "secretKey"},
		} {
			out, err := render(t, helm, tc.sets...)
			if err == nil || !strings.Contains(out, tc.want) {
				t.Errorf("%v: err %v, output %s", tc.sets, err, out)
			}
		}
	})
}
