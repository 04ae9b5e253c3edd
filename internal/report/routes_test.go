package report

import (
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestParseRoute(t *testing.T) {
	tests := []struct {
		path string
		want route
	}{
		{"/", route{kind: routeIndex}},
		{"/index.html", route{kind: routeIndex}},
		{"/maintainers/", route{kind: routeMaintainers}},
		{"/maintainers", route{kind: routeDirRedirect, a: "maintainers"}},
		{"/teams/index.html", route{kind: routeTeams}},
		{"/maintainers/alice", route{kind: routeMaintainer, a: "alice"}},
		{"/maintainers/alice.html", route{kind: routeMaintainer, a: "alice"}},
		{"/maintainers/alice.atom", route{kind: routeMaintainerFeed, a: "alice"}},
		{"/maintainers/Some-User-9", route{kind: routeMaintainer, a: "Some-User-9"}},
		{"/maintainers/" + strings.Repeat("a", 39), route{kind: routeMaintainer, a: strings.Repeat("a", 39)}},
		{"/maintainers/" + strings.Repeat("a", 40), route{}},
		{"/maintainers/al_ice", route{}},
		{"/maintainers/al.ice", route{}},
		{"/maintainers/..", route{}},
		{"/maintainers/../index.html", route{}},
		{"/maintainers/a/b", route{}},
		{"/maintainers/<script>", route{}},
		{"/maintainers/.atom", route{}},
		{"/maintainers/alice.atom.html", route{}},
		{"/teams/gnome", route{kind: routeTeam, a: "gnome"}},
		{"/teams/_private.atom", route{kind: routeTeamFeed, a: "_private"}},
		{"/teams/GNOME", route{}},
		{"/teams/-x", route{}},
		{"/jobsets/nixpkgs/unstable", route{kind: routeJobset, a: "nixpkgs", b: "unstable"}},
		{"/jobsets/nixos/release-24.05.html", route{kind: routeJobset, a: "nixos", b: "release-24.05.html"}},
		{"/jobsets/nixpkgs/..", route{}},
		{"/jobsets/nixpkgs/.jobsets", route{}},
		{"/jobsets/nixpkgs", route{}},
		{"/jobsets/nixpkgs/a/b", route{}},
		{"/jobsets/1nix/unstable", route{}},
		{"/assets/style.css", route{kind: routeAsset, a: "style.css"}},
		{"/assets/other.css", route{}},
		{"/404.html", route{}},
		{"", route{}},
		{"maintainers/alice", route{}},
		{"//maintainers/alice", route{}},
	}
	for _, tt := range tests {
		if got := parseRoute(tt.path); got != tt.want {
			t.Errorf("parseRoute(%q) = %+v, want %+v", tt.path, got, tt.want)
		}
	}
}

var relativeRedirect = regexp.MustCompile(`^[A-Za-z0-9-]+(\.html|\.atom|/)?$`)

// FuzzRoute: whatever the path, the router names only valid logins, slugs
// and jobsets, the handler answers 200 with a file of the written site,
// a relative redirect within the site, or 404, and never panics.
func FuzzRoute(f *testing.F) {
	site := sampleSite(f)
	dir := f.TempDir() + "/site"
	if _, err := WriteSite(dir, site); err != nil {
		f.Fatal(err)
	}
	bodies := map[[32]byte]bool{}
	v := newView(site)
	for _, sf := range v.files() {
		b, err := sf.render()
		if err != nil {
			f.Fatal(err)
		}
		bodies[sha256.Sum256(b)] = true
		f.Add("/" + sf.path)
	}
	h := Handler(func() (*Site, error) { return site, nil })
	for _, s := range []string{"/", "/maintainers", "/maintainers/ALICE.atom", "/maintainers/Alice", "/jobsets/nixos/release-24.05",
		"/maintainers/%2e%2e", "/teams/../maintainers/alice", "//evil.example/", "/maintainers//evil", "/\x00", "/maintainers/alice\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		rt := parseRoute(path)
		switch rt.kind {
		case routeMaintainer, routeMaintainerFeed:
			if !ValidLogin(rt.a) {
				t.Fatalf("%q routes to login %q", path, rt.a)
			}
		case routeTeam, routeTeamFeed:
			if !ValidSlug(rt.a) {
				t.Fatalf("%q routes to slug %q", path, rt.a)
			}
		case routeJobset:
			if !validJobsetName(rt.a, rt.b) || strings.Contains(rt.b, "..") {
				t.Fatalf("%q routes to jobset %q/%q", path, rt.a, rt.b)
			}
		}
		req := &http.Request{Method: "GET", URL: &url.URL{Path: path}, Header: http.Header{}, Host: "example.org"}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
			if !bodies[sha256.Sum256(rec.Body.Bytes())] {
				t.Fatalf("%q: 200 with a body WriteSite does not write", path)
			}
		case http.StatusMovedPermanently:
			if loc := rec.Header().Get("Location"); !relativeRedirect.MatchString(loc) {
				t.Fatalf("%q: redirect to %q", path, loc)
			}
		case http.StatusNotFound:
		default:
			t.Fatalf("%q: status %d", path, rec.Code)
		}
	})
}
