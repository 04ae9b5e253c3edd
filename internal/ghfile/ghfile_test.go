package ghfile

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
)

const (
	contentsRoute = "GET /repos/{owner}/{repo}/contents/{path...}"
	blobsRoute    = "GET /repos/{owner}/{repo}/git/blobs/{sha}"
)

// text is n bytes of Nix-looking text.
func text(n int) string {
	line := "  perlPackages.Foo = buildPerlPackage { pname = \"Foo\"; };\n"
	return strings.Repeat(line, n/len(line)+1)[:n]
}

func gitSHA(s string) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00%s", len(s), s)
	return hex.EncodeToString(h.Sum(nil))
}

// TestRead reads files of every size class from the fake GitHub (its limits
// shrunk: inline up to 1 KiB, nothing over 8 KiB; markbot's cap 4 KiB) and
// counts the requests each costs.
func TestRead(t *testing.T) {
	githubtest.RequireGit(t)
	files := map[string]string{
		"pkgs/small.nix":       text(100),
		"pkgs/empty.nix":       "",
		"pkgs/at-inline.nix":   text(1024),
		"pkgs/over-inline.nix": text(1025),
		"pkgs/at-cap.nix":      text(4096),
		"pkgs/over-cap.nix":    text(4097),
		"pkgs/over-github.nix": text(8193),
		"pkgs/a dir/x y.nix":   "{ }\n",
	}
	s := githubtest.New(t, githubtest.Options{InlineLimit: 1024, FileLimit: 8192, SeedFiles: files})
	master, _ := s.Ref("master")
	r := Reader{API: s.Client(), Owner: s.Owner(), Repo: s.Repo(), MaxSize: 4096}
	for _, tc := range []struct {
		path     string
		ref      string
		requests int    // contents + blobs requests made
		err      string // "" ok; else a substring of the error
		tooLarge *TooLargeError
		unknown  bool
		absent   bool
	}{
		{path: "pkgs/small.nix", requests: 1},
		{path: "pkgs/empty.nix", requests: 1},
		{path: "pkgs/at-inline.nix", requests: 1},
		{path: "pkgs/over-inline.nix", requests: 2},
		{path: "pkgs/at-cap.nix", requests: 2},
		{path: "pkgs/a dir/x y.nix", requests: 1},
		{path: "pkgs/small.nix", ref: "master", requests: 1},
		{path: "pkgs/over-cap.nix", requests: 1, tooLarge: &TooLargeError{Path: "pkgs/over-cap.nix", Size: 4097, Limit: 4096}},
		{path: "pkgs/over-github.nix", requests: 1, tooLarge: &TooLargeError{Path: "pkgs/over-github.nix", Limit: 4096, ByGitHub: true}},
		{path: "pkgs/missing.nix", requests: 1, absent: true},
		{path: "pkgs/small.nix", ref: strings.Repeat("a", 40), requests: 1, unknown: true},
		{path: "pkgs", requests: 1, err: "a directory"},
		{path: "../etc/passwd", err: "not a repository path"},
		{path: "/pkgs/small.nix", err: "not a repository path"},
	} {
		t.Run(tc.path+"@"+tc.ref, func(t *testing.T) {
			ref := tc.ref
			if ref == "" {
				ref = master
			}
			c0, b0 := s.RequestCount(contentsRoute), s.RequestCount(blobsRoute)
			f, err := r.Read(context.Background(), ref, tc.path)
			if got := s.RequestCount(contentsRoute) - c0 + s.RequestCount(blobsRoute) - b0; got != tc.requests {
				t.Errorf("%d requests, want %d", got, tc.requests)
			}
			var tl *TooLargeError
			var ur *UnknownRefError
			switch {
			case tc.tooLarge != nil:
				want := *tc.tooLarge
				want.Ref = ref
				if !errors.As(err, &tl) || *tl != want || !errors.Is(err, ErrTooLarge) {
					t.Fatalf("got %v, want %+v", err, want)
				}
				if !strings.Contains(err.Error(), tc.path) {
					t.Errorf("%q does not name the file", err)
				}
			case tc.unknown:
				if !errors.As(err, &ur) || ur.Ref != ref {
					t.Fatalf("got %v, want an unknown ref", err)
				}
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want an error with %q", err, tc.err)
				}
			case tc.absent:
				if f != nil || err != nil {
					t.Fatalf("got %v, %v; want nil, nil", f, err)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				want := files[tc.path]
				if string(f.Content) != want || f.Size != int64(len(want)) || f.SHA != gitSHA(want) || f.Requests != tc.requests || f.Path != tc.path || f.Ref != ref {
					t.Fatalf("got %d bytes, size %d, sha %s, %d requests; want the file (%d bytes)", len(f.Content), f.Size, f.SHA, f.Requests, len(want))
				}
			}
		})
	}
}

// TestReadDefaults: with GitHub's own limits and markbot's 64 MiB cap, a file
// just over 1 MB (perl-packages.nix is about 1.2 MB) costs two requests.
func TestReadDefaults(t *testing.T) {
	githubtest.RequireGit(t)
	big := text(githubtest.DefaultInlineLimit + 1)
	s := githubtest.New(t, githubtest.Options{SeedFiles: map[string]string{"pkgs/top-level/perl-packages.nix": big}})
	f, err := Reader{API: s.Client(), Owner: s.Owner(), Repo: s.Repo()}.Read(context.Background(), "master", "pkgs/top-level/perl-packages.nix")
	if err != nil || string(f.Content) != big || f.Requests != 2 {
		t.Fatalf("%v, %v", f, err)
	}
}

// TestReadRateLimited: GitHub's rate-limit errors come through as go-github
// types, whichever of the two requests meets them, so callers wait them out.
func TestReadRateLimited(t *testing.T) {
	githubtest.RequireGit(t)
	s := githubtest.New(t, githubtest.Options{InlineLimit: 10, SeedFiles: map[string]string{"a.nix": text(100)}})
	for _, path := range []string{"repos/*/*/contents/**", "repos/*/*/git/blobs/*"} {
		s.Inject(githubtest.Fault{Path: path, Kind: githubtest.PrimaryRateLimit, Times: 1})
		_, err := Reader{API: s.Client(), Owner: s.Owner(), Repo: s.Repo()}.Read(context.Background(), "master", "a.nix")
		var rl *github.RateLimitError
		if !errors.As(err, &rl) {
			t.Errorf("%s limited: %v, want a *github.RateLimitError", path, err)
		}
	}
}

// hostile answers what its handler says, under go-github's client.
func hostile(t *testing.T, h http.HandlerFunc) Reader {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c := github.NewClient(nil)
	u, _ := url.Parse(srv.URL + "/")
	c.BaseURL = u
	return Reader{API: c, Owner: "o", Repo: "r"}
}

func contentsJSON(size int, sha, encoding, content string) string {
	return fmt.Sprintf(`{"type":"file","size":%d,"sha":%q,"encoding":%q,"content":%q}`, size, sha, encoding, content)
}

// TestReadHostile: a server that lies about sizes, hashes or sends too much
// gets an error naming the file, never more than the caps in memory.
func TestReadHostile(t *testing.T) {
	body := text(3000)
	sha := gitSHA(body)
	for _, tc := range []struct {
		name     string
		contents string
		blob     string
		err      string
	}{
		{"blob longer than said", contentsJSON(3000, sha, "none", ""), body + "x", "more than the 3000 bytes"},
		{"blob shorter than said", contentsJSON(3000, sha, "none", ""), body[:2999], "2999 bytes, the contents API said 3000"},
		{"blob of another hash", contentsJSON(3000, sha, "none", ""), text(2999) + "y", "hash to"},
		{"inline of another hash", contentsJSON(3000, gitSHA("x"), "base64", base64.StdEncoding.EncodeToString([]byte(body))), "", "hash to"},
		{"answer over MaxJSON", `{"type":"file","content":"` + strings.Repeat("A", MaxJSON) + `"}`, "", "answer over its cap"},
		{"not JSON", "<html>", "", "decoding the answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := hostile(t, func(w http.ResponseWriter, req *http.Request) {
				if strings.Contains(req.URL.Path, "/git/blobs/") {
					w.Write([]byte(tc.blob))
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(tc.contents))
			})
			_, err := r.Read(context.Background(), "master", "pkgs/a.nix")
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "pkgs/a.nix") {
				t.Fatalf("got %v, want an error naming the file with %q", err, tc.err)
			}
		})
	}
}
