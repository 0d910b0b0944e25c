package nextcloud

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestWebDAVCalls(t *testing.T) {
	runReplayCases(t, []replayCase{
		{
			name:      "creating a folder succeeds",
			exchanges: []string{"61-mkcol"},
			call:      func(ctx context.Context, c *Client) error { return c.Mkdir(ctx, "admin", "/Projects") },
		},
		{
			name:      "creating an existing folder reports it already exists",
			exchanges: []string{"61-mkcol-existing"},
			call:      func(ctx context.Context, c *Client) error { return c.Mkdir(ctx, "admin", "Projects") },
			want:      ErrAlreadyExists,
		},
		{
			name:      "creating a folder in a missing parent reports it not found",
			exchanges: []string{"61-mkcol-nested-missing-parent"},
			call:      func(ctx context.Context, c *Client) error { return c.Mkdir(ctx, "admin", "/Nope/Deeper/Deepest") },
			want:      ErrNotFound,
		},
		{
			name:      "uploading a new file succeeds",
			exchanges: []string{"62-put-new"},
			call: func(ctx context.Context, c *Client) error {
				return c.Upload(ctx, "admin", "/Projects/hello.txt", []byte("hello world\n"))
			},
		},
		{
			name:      "uploading over a file succeeds",
			exchanges: []string{"62-put-overwrite"},
			call: func(ctx context.Context, c *Client) error {
				return c.Upload(ctx, "admin", "/Projects/hello.txt", []byte("hello again, world\n"))
			},
		},
		{
			name:      "uploading into a missing folder reports it not found and creates no folder",
			exchanges: []string{"62-put-missing-parent"},
			call: func(ctx context.Context, c *Client) error {
				return c.Upload(ctx, "admin", "/NoSuchDir/x.txt", []byte("x"))
			},
			want: ErrNotFound,
		},
		{
			name:      "uploading beyond the quota reports the quota",
			exchanges: []string{"85-carol-put-over-quota"},
			as:        "carol",
			call: func(ctx context.Context, c *Client) error {
				return c.Upload(ctx, "carol", "/big.bin", make([]byte, 5000))
			},
			want: ErrQuota,
		},
		{
			name:      "uploading into a group folder with a space in its name succeeds",
			exchanges: []string{"94-gf-alice-put-in-folder"},
			as:        "alice",
			call: func(ctx context.Context, c *Client) error {
				return c.Upload(ctx, "alice", "/Engineering Files/spec.txt", []byte("spec\n"))
			},
		},
		{
			name:      "downloading a missing file reports it not found",
			exchanges: []string{"63-get-missing"},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Download(ctx, "admin", "/Projects/missing.txt")
				return err
			},
			want: ErrNotFound,
		},
		{
			name:      "deleting a file succeeds",
			exchanges: []string{"65-delete-file"},
			call:      func(ctx context.Context, c *Client) error { return c.Delete(ctx, "admin", "/Projects/hello.txt") },
		},
		{
			name:      "deleting a missing file reports it not found",
			exchanges: []string{"65-delete-missing"},
			call:      func(ctx context.Context, c *Client) error { return c.Delete(ctx, "admin", "/Projects/hello.txt") },
			want:      ErrNotFound,
		},
		{
			name:      "describing a missing folder reports it not found",
			exchanges: []string{"64-propfind-missing"},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Stat(ctx, "admin", "/NoSuchDir/")
				return err
			},
			want: ErrNotFound,
		},
		{
			name:      "a home whose quota is smaller than the skeleton files answers 503",
			exchanges: []string{"85-carol-propfind-quota"},
			as:        "carol",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Stat(ctx, "carol", "/")
				return err
			},
			want: ErrUnavailable,
		},
		{
			name:      "a wrong password on WebDAV is unauthorized",
			exchanges: []string{"B2-wrong-password-dav"},
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Stat(ctx, "admin", "/")
				return err
			},
			want: ErrUnauthorized,
		},
		{
			name: "another user's files are refused before sending",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.Stat(ctx, "alice", "/")
				return err
			},
			want: ErrForbidden,
		},
		{
			name: "a path with .. is refused before sending",
			call: func(ctx context.Context, c *Client) error { return c.Upload(ctx, "admin", "/Projects/../../x", nil) },
			want: ErrInvalid,
		},
		{
			name: "deleting the home folder is refused before sending",
			call: func(ctx context.Context, c *Client) error { return c.Delete(ctx, "admin", "/") },
			want: ErrInvalid,
		},
	})
}

func TestWebDAVErrorsCarryTheSabreMessage(t *testing.T) {
	s := newReplay(t, "61-mkcol-existing")
	err := s.adminClient(t).Mkdir(t.Context(), "admin", "/Projects")
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got %v", err)
	}
	if e.HTTPStatus != 405 || e.Exception != `Sabre\DAV\Exception\MethodNotAllowed` || e.Message != "The resource you tried to create already exists" {
		t.Errorf("got %+v", e)
	}
}

func TestStat(t *testing.T) {
	s := newReplay(t, "60-propfind-admin-depth0-props")
	got, err := s.adminClient(t).Stat(t.Context(), "admin", "/")
	if err != nil {
		t.Fatal(err)
	}
	want := FileInfo{Path: "/", Name: "/", IsDir: true, ETag: "6b01219982300",
		ModTime: time.Date(2026, 11, 21, 4, 44, 9, 0, time.UTC)}
	if !sameFile(got, want) {
		t.Errorf("stat = %+v, want %+v", got, want)
	}
}

func TestReadDir(t *testing.T) {
	tests := []struct {
		name     string
		exchange string
		as       string
		dir      string
		want     []FileInfo
	}{
		{
			name: "a folder lists its files with size, etag and type", exchange: "64-propfind-folder-depth1", as: "admin", dir: "/Projects",
			want: []FileInfo{{Path: "/Projects/hello.txt", Name: "hello.txt", Size: 19, ETag: "9ebc9a9db0bb57984a45bcd352930746",
				ContentType: "text/plain", ModTime: time.Date(2026, 11, 21, 4, 45, 19, 0, time.UTC)}},
		},
		{
			name: "a home lists group folders and shares as folders", exchange: "94-gf-alice-sees-folder", as: "alice", dir: "/",
			want: []FileInfo{
				{Path: "/Inbox", Name: "Inbox", IsDir: true, ETag: "6b0121e48463a", ModTime: time.Date(2026, 11, 21, 4, 45, 24, 0, time.UTC)},
				{Path: "/welcome.txt", Name: "welcome.txt", Size: 164, ETag: "a0677d869fb13d76aa55ded756039bc1", ContentType: "text/plain",
					ModTime: time.Date(2026, 11, 21, 4, 45, 23, 0, time.UTC)},
				{Path: "/Engineering Files", Name: "Engineering Files", IsDir: true, ETag: "6b01220f05092", ModTime: time.Date(2026, 11, 21, 4, 46, 7, 0, time.UTC)},
				{Path: "/TeamShare", Name: "TeamShare", IsDir: true, ETag: "6b0121f4e614a", ModTime: time.Date(2026, 11, 21, 4, 45, 40, 0, time.UTC)},
				{Path: "/Projects", Name: "Projects", IsDir: true, ETag: "6b0121e24f8a9", ModTime: time.Date(2026, 11, 21, 4, 45, 22, 0, time.UTC)},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newReplay(t, tc.exchange)
			got, err := newTestClient(t, s.URL, tc.as, "APP-PASSWORD").ReadDir(t.Context(), tc.as, tc.dir)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, tc.want, sameFile) {
				t.Errorf("entries =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func sameFile(a, b FileInfo) bool {
	return a.Path == b.Path && a.Name == b.Name && a.IsDir == b.IsDir && a.Size == b.Size && a.ETag == b.ETag &&
		a.ContentType == b.ContentType && a.ModTime.Equal(b.ModTime)
}

func TestDownload(t *testing.T) {
	s := newReplay(t, "63-get")
	got, err := s.adminClient(t).Download(t.Context(), "admin", "/Projects/hello.txt")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "hello again, world\n" {
		t.Errorf("content = %q", got)
	}
}

func TestUploadSendsTheContent(t *testing.T) {
	s := newReplay(t, "62-put-new")
	if err := s.adminClient(t).Upload(t.Context(), "admin", "/Projects/hello.txt", []byte("hello world\n")); err != nil {
		t.Fatal(err)
	}
	r := s.seen()[0]
	if string(r.Body) != "hello world\n" || r.Header.Get("Authorization") == "" {
		t.Errorf("sent body %q with Authorization %q", r.Body, r.Header.Get("Authorization"))
	}
}

func TestPutReturnsTheETagOfTheAnswer(t *testing.T) {
	s := newReplay(t, "62-put-new")
	up, err := s.adminClient(t).Put(t.Context(), "admin", "/Projects/hello.txt", []byte("hello world\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !up.Created || up.ETag != "9ebc9a9db0bb57984a45bcd352930746" || up.FileID != "00000065ocnajachbfgg" {
		t.Errorf("got %+v, want the recorded ETag and file id of a created file", up)
	}
	if n := len(s.seen()); n != 1 {
		t.Errorf("%d requests, want the PUT alone", n)
	}
}
