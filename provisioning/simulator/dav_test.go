package simulator

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// dav builds a WebDAV call for user on a path under their files.
func dav(method, user, pass, path, body string) request {
	return request{method: method, path: "/remote.php/dav/files/" + user + path, user: user, pass: pass, body: body}
}

// davMessage extracts the Sabre message of an error body.
func davMessage(body string) string {
	_, rest, _ := strings.Cut(body, "<s:message>")
	msg, _, _ := strings.Cut(rest, "</s:message>")
	return msg
}

func TestUserQuotaAppliesToTheirFiles(t *testing.T) {
	tests := []struct {
		name      string
		quota     string
		size      int
		want      int
		wantMsg   string
		wantStore bool
	}{
		{"a file that fits in the quota is stored", "1 KB", 800, http.StatusCreated, "", true},
		{"a file larger than the free space is refused with 507", "1 KB", 1000, http.StatusInsufficientStorage,
			"Insufficient space in //big.bin, 1000 required, 860 available", false},
		{"an unlimited quota stores anything", "none", 100000, http.StatusCreated, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, srv := newServer(t, Options{})
			mustAddUser(t, sim, Account{ID: "carol", Password: "carol-password-1", Quota: tt.quota})
			code, body := send(t, srv, dav("PUT", "carol", "carol-password-1", "/big.bin", strings.Repeat("x", tt.size)))
			if code != tt.want {
				t.Fatalf("status %d, want %d; body %s", code, tt.want, body)
			}
			if tt.wantMsg != "" && davMessage(body) != tt.wantMsg {
				t.Errorf("message %q, want %q", davMessage(body), tt.wantMsg)
			}
			_, stored := sim.Snapshot().Files["carol"]["/big.bin"]
			if stored != tt.wantStore {
				t.Errorf("file stored: %v, want %v", stored, tt.wantStore)
			}
		})
	}
}

func TestQuotaTooSmallForTheSkeleton(t *testing.T) {
	sim, srv := newServer(t, Options{})
	mustAddUser(t, sim, Account{ID: "carol", Password: "carol-password-1", Quota: "100 B"})
	propfind := dav("PROPFIND", "carol", "carol-password-1", "/", "")
	propfind.header = map[string]string{"Depth": "0"}
	code, body := send(t, srv, propfind)
	if code != http.StatusServiceUnavailable || davMessage(body) != errSkeleton.Error() {
		t.Fatalf("first login: %d %q, want 503 %q", code, davMessage(body), errSkeleton.Error())
	}
	code, body = send(t, srv, dav("PUT", "carol", "carol-password-1", "/big.bin", strings.Repeat("x", 5000)))
	if code != http.StatusInsufficientStorage || davMessage(body) != "Insufficient space in //big.bin, 5000 required, 0 available" {
		t.Errorf("upload: %d %q", code, davMessage(body))
	}
}

func TestGroupFolderQuotaAppliesInsideTheFolder(t *testing.T) {
	sim, srv := newServer(t, Options{})
	mustAddUser(t, sim, Account{ID: "alice", Password: "alice-password-1", Groups: []string{"engineering"}})
	mustSend(t, srv, asAdmin("POST", "/index.php/apps/groupfolders/folders?format=json", "mountpoint=Engineering+Files"), 200)
	mustSend(t, srv, asAdmin("POST", "/index.php/apps/groupfolders/folders/1/groups?format=json", "group=engineering"), 200)
	mustSend(t, srv, asAdmin("POST", "/index.php/apps/groupfolders/folders/1/quota?format=json", "quota=100"), 200)
	tests := []struct {
		name string
		path string
		size int
		want int
	}{
		{"a small file fits in the folder", "/Engineering%20Files/a.txt", 60, http.StatusCreated},
		{"the folder's remaining space is enforced", "/Engineering%20Files/b.txt", 60, http.StatusInsufficientStorage},
		{"the user's own home is not limited by the folder", "/c.txt", 60, http.StatusCreated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, body := send(t, srv, dav("PUT", "alice", "alice-password-1", tt.path, strings.Repeat("y", tt.size))); code != tt.want {
				t.Errorf("status %d, want %d; body %s", code, tt.want, body)
			}
		})
	}
	if got := sim.Snapshot().GroupFolders[0].Size; got != 60 {
		t.Errorf("folder size %d, want 60", got)
	}
}

func TestWebDAVCollectionsAndFiles(t *testing.T) {
	_, srv := newServer(t, Options{})
	admin := func(method, path, body string) request { return dav(method, "admin", testAdminPassword, path, body) }
	steps := []struct {
		name    string
		rq      request
		want    int
		wantMsg string
	}{
		{"creating a folder answers 201", admin("MKCOL", "/Projects", ""), 201, ""},
		{"creating it again answers 405", admin("MKCOL", "/Projects/", ""), 405, msgExists},
		{"creating a folder under a missing parent answers 409", admin("MKCOL", "/Nope/Deeper", ""), 409, "Parent node does not exist"},
		{"uploading a new file answers 201", admin("PUT", "/Projects/hello.txt", "hello world\n"), 201, ""},
		{"overwriting it answers 204", admin("PUT", "/Projects/hello.txt", "hello again\n"), 204, ""},
		{"uploading into a missing folder answers 404", admin("PUT", "/NoSuchDir/x.txt", "x"), 404, "File with name //NoSuchDir could not be located"},
		{"downloading the file answers 200", admin("GET", "/Projects/hello.txt", ""), 200, ""},
		{"downloading a missing file answers 404", admin("GET", "/Projects/missing.txt", ""), 404, "File with name /Projects/missing.txt could not be located"},
		{"deleting the file answers 204", admin("DELETE", "/Projects/hello.txt", ""), 204, ""},
		{"deleting it again answers 404", admin("DELETE", "/Projects/hello.txt", ""), 404, "File with name /Projects/hello.txt could not be located"},
		{"the legacy endpoint serves the same tree", request{method: "PROPFIND", path: "/remote.php/webdav/Projects/", user: "admin", pass: testAdminPassword}, 207, ""},
		{"a wrong password answers 401", dav("PROPFIND", "admin", "wrong", "/", ""), 401, msgBadPassword},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			code, body := send(t, srv, st.rq)
			if code != st.want {
				t.Fatalf("status %d, want %d; body %s", code, st.want, body)
			}
			if st.wantMsg != "" && davMessage(body) != st.wantMsg {
				t.Errorf("message %q, want %q", davMessage(body), st.wantMsg)
			}
		})
	}
}

func TestPropfindReportsQuotaAndEtags(t *testing.T) {
	sim, srv := newServer(t, Options{})
	mustAddUser(t, sim, Account{ID: "alice", Password: "alice-password-1", Quota: "1 GB"})
	rq := dav("PUT", "alice", "alice-password-1", "/note.md", "# note\n")
	mustSend(t, srv, rq, http.StatusCreated)
	propfind := dav("PROPFIND", "alice", "alice-password-1", "/",
		`<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:quota-used-bytes/><d:quota-available-bytes/><d:getetag/></d:prop></d:propfind>`)
	propfind.header = map[string]string{"Depth": "0"}
	body := mustSend(t, srv, propfind, http.StatusMultiStatus)
	used := int64(len(skeletonText) + len("# note\n"))
	for _, want := range []string{
		fmt.Sprintf("<d:quota-used-bytes>%d</d:quota-used-bytes>", used),
		fmt.Sprintf("<d:quota-available-bytes>%d</d:quota-available-bytes>", (1<<30)-used),
		"<d:getetag>&quot;",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("multistatus lacks %s:\n%s", want, body)
		}
	}
	files := sim.Snapshot().Files["alice"]
	if f := files["/note.md"]; f.Size != 7 || f.ETag == "" {
		t.Errorf("snapshot of /note.md = %+v", f)
	}
}
