package nixpkgs

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const rev1 = "0123456789abcdef0123456789abcdef01234567"

// TestChannelRevision: the git-revision file beside a channel's
// packages.json.br, read after the channel's redirect to its release (as
// channels.nixos.org → releases.nixos.org), or beside a local index.
func TestChannelRevision(t *testing.T) {
	plain, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	br := brotliBytes(t, plain)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/nixos-unstable/packages.json.br":
			http.Redirect(w, r, "/releases/nixos-26.05pre1/packages.json.br", http.StatusMovedPermanently)
		case "/nixos-unstable/git-revision": // the channel moved on meanwhile
			w.Write([]byte(strings.Repeat("f", 40)))
		case "/releases/nixos-26.05pre1/packages.json.br", "/bad/packages.json.br", "/long/packages.json.br", "/packages.json":
			w.Write(br)
		case "/releases/nixos-26.05pre1/git-revision":
			w.Write([]byte(rev1 + "\n"))
		case "/bad/git-revision":
			w.Write([]byte("<html>not found</html>"))
		case "/long/git-revision":
			w.Write([]byte(strings.Repeat("a", 10000)))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	local := filepath.Join(dir, "packages.json")
	os.WriteFile(local, plain, 0o644)
	os.WriteFile(filepath.Join(dir, "git-revision"), []byte(rev1+"\n"), 0o644)
	bare := filepath.Join(t.TempDir(), "packages.json")
	os.WriteFile(bare, plain, 0o644)

	for _, tc := range []struct {
		name, source string
		want         string
		errHas       string
		noFile       bool // errors.Is ErrNoRevisionFile
	}{
		{name: "channel, after its redirect", source: srv.URL + "/nixos-unstable/packages.json.br", want: rev1},
		{name: "local, beside the file", source: local, want: rev1},
		{name: "local, none", source: bare, noFile: true, errHas: "git-revision"},
		{name: "not a channel's name", source: srv.URL + "/packages.json", noFile: true, errHas: "/packages.json"},
		{name: "not a commit id", source: srv.URL + "/bad/packages.json.br", errHas: "/bad/git-revision: \"<html>"},
		{name: "over the cap", source: srv.URL + "/long/packages.json.br", errHas: "over 4096 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ix, err := Load(context.Background(), tc.source, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := ChannelRevision(context.Background(), ix.Location(), LoadOptions{})
			switch {
			case tc.want != "" && (err != nil || got != tc.want):
				t.Fatalf("ChannelRevision = %q, %v; want %q", got, err, tc.want)
			case tc.want == "" && (err == nil || !strings.Contains(err.Error(), tc.errHas) || tc.noFile != errors.Is(err, ErrNoRevisionFile)):
				t.Fatalf("ChannelRevision = %q, %v; want an error saying %q (no file: %v)", got, err, tc.errHas, tc.noFile)
			}
		})
	}
}

func TestRevisionAndLocation(t *testing.T) {
	f, err := os.Open(fixture)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ix, err := ReadContext(context.Background(), f, "https://hydra.example/build/1/download/2/packages.json.br", LoadOptions{Revision: rev1})
	if err != nil {
		t.Fatal(err)
	}
	if ix.Revision() != rev1 || ix.Location() != ix.Source() {
		t.Errorf("Revision %q, Location %q", ix.Revision(), ix.Location())
	}
	other := ix.WithRevision("")
	if other.Revision() != "" || ix.Revision() != rev1 || other.Len() != ix.Len() {
		t.Errorf("WithRevision changed the original or lost packages: %q %q %d %d", other.Revision(), ix.Revision(), other.Len(), ix.Len())
	}
	for s, want := range map[string]bool{rev1: true, strings.ToUpper(rev1): false, rev1[:12]: false, strings.Repeat("a", 64): true, "": false} {
		if IsRevision(s) != want {
			t.Errorf("IsRevision(%q) = %v", s, !want)
		}
	}
}
