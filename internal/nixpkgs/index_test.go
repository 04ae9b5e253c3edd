package nixpkgs

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

const fixture = "testdata/packages.json"

func brotliBytes(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, 5)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sources returns the fixture in every form Load accepts.
func sources(t *testing.T) map[string]string {
	t.Helper()
	plain, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	br := brotliBytes(t, plain)
	dir := t.TempDir()
	brPath := filepath.Join(dir, "packages.json.br")
	sniffPath := filepath.Join(dir, "packages-brotli-no-suffix")
	for p, data := range map[string][]byte{brPath: br, sniffPath: br} {
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != "markbot-test" {
			http.Error(w, "no UA", http.StatusForbidden)
			return
		}
		switch r.URL.Path {
		case "/packages.json":
			w.Write(plain)
		case "/packages.json.br":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(br)
		case "/encoded/packages.json":
			w.Header().Set("Content-Encoding", "br")
			w.Write(br)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return map[string]string{
		"plain file":            fixture,
		"brotli file":           brPath,
		"brotli sniffed":        sniffPath,
		"http plain":            srv.URL + "/packages.json",
		"http .br":              srv.URL + "/packages.json.br",
		"http Content-Encoding": srv.URL + "/encoded/packages.json",
		"http missing (error)":  srv.URL + "/nope.json",
		"local missing (error)": filepath.Join(dir, "nope.json"),
	}
}

func TestLoadSources(t *testing.T) {
	var first *Index
	for name, src := range sources(t) {
		t.Run(name, func(t *testing.T) {
			ix, err := Load(context.Background(), src, LoadOptions{UserAgent: "markbot-test"})
			if strings.HasSuffix(name, "(error)") {
				if err == nil || !strings.Contains(err.Error(), "nope.json") {
					t.Fatalf("err = %v, want one naming the source", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ix.Len() != 11 || ix.Version() != 2 || ix.Source() != src {
				t.Fatalf("len=%d version=%d source=%s", ix.Len(), ix.Version(), ix.Source())
			}
			if first == nil {
				first = ix
			} else if !reflect.DeepEqual(first.Attrs(), ix.Attrs()) {
				t.Fatal("sources disagree")
			}
		})
	}
}

var (
	gina       = Maintainer{Name: "Gina", Email: "gina@example.org", GitHub: "gina", GitHubID: 1011}
	hal        = Maintainer{Name: "Hal", Email: "hal@example.org", GitHub: "hal", GitHubID: 1012}
	ivy        = Maintainer{Name: "Ivy", Email: "ivy@example.org", GitHub: "ivy", GitHubID: 1013}
	jo         = Maintainer{Name: "Jo", Email: "jo@example.org", GitHub: "jo", GitHubID: 1014}
	geospatial = Team{ShortName: "Geospatial", GitHub: "geospatial", GitHubID: 80001, Members: []Maintainer{hal, ivy}}
)

func TestLookup(t *testing.T) {
	ix, err := Load(context.Background(), fixture, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		attr string
		want Package
	}{
		{"hello", Package{
			Attr: "hello", Name: "hello-2.12.2", PName: "hello", Version: "2.12.2", System: "x86_64-linux",
			Position: "pkgs/by-name/he/hello/package.nix:45", File: "pkgs/by-name/he/hello/package.nix", Line: 45,
			Description: "Program that produces a familiar, friendly greeting",
			Maintainers: []Maintainer{
				{Name: "Alice Example", Email: "alice@example.org", GitHub: "alice", GitHubID: 1001},
				{Name: "Bob", Email: "bob@example.org", GitHub: "bob-b", GitHubID: 1002},
			},
			Platforms: []string{"x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"},
		}},
		{"python312Packages.requests", Package{
			Attr: "python312Packages.requests", Name: "python3.12-requests-2.32.3", PName: "requests", Version: "2.32.3", System: "x86_64-linux",
			Position: "pkgs/development/python-modules/requests/default.nix:80", File: "pkgs/development/python-modules/requests/default.nix", Line: 80,
			Description: "HTTP library for Python",
			Maintainers: []Maintainer{{Name: "Carol", Email: "carol@example.org", GitHub: "carol", GitHubID: 1003}},
			Platforms:   []string{"x86_64-linux", "aarch64-linux"},
		}},
		{"cudaPackages.cudnn", Package{
			Attr: "cudaPackages.cudnn", Name: "cudnn-9.3.0.75", PName: "cudnn", Version: "9.3.0.75", System: "x86_64-linux",
			Position: "pkgs/development/cuda-modules/cudnn/fixup.nix:12", File: "pkgs/development/cuda-modules/cudnn/fixup.nix", Line: 12,
			Description: "NVIDIA CUDA Deep Neural Network library", Broken: true,
			Maintainers: []Maintainer{{Name: "Dan", Email: "dan@example.org", GitHub: "dan", GitHubID: 1004}},
			Teams: []Team{{ShortName: "CUDA maintainers", GitHub: "cuda-maintainers", GitHubID: 74941, Members: []Maintainer{
				{Name: "Dan", Email: "dan@example.org", GitHub: "dan", GitHubID: 1004},
				{Name: "Erin", Email: "erin@example.org", GitHub: "erin", GitHubID: 1005},
			}}},
			Platforms: []string{"x86_64-linux", "aarch64-linux"},
		}},
		{"gdal", Package{
			Attr: "gdal", Name: "gdal-3.10.2", PName: "gdal", Version: "3.10.2", System: "x86_64-linux",
			Position: "pkgs/by-name/gd/gdal/package.nix:290", File: "pkgs/by-name/gd/gdal/package.nix", Line: 290,
			Description:           "Translator library for raster geospatial data formats",
			Maintainers:           []Maintainer{gina, hal, ivy},
			NonTeamMaintainers:    []Maintainer{gina},
			HasNonTeamMaintainers: true,
			Teams:                 []Team{geospatial},
		}},
		{"qgis", Package{
			Attr: "qgis", Name: "qgis-3.40.4", PName: "qgis", Version: "3.40.4", System: "x86_64-linux",
			Position: "pkgs/applications/gis/qgis/unwrapped.nix:170", File: "pkgs/applications/gis/qgis/unwrapped.nix", Line: 170,
			Description:           "Free and Open Source Geographic Information System",
			Maintainers:           []Maintainer{hal, ivy},
			HasNonTeamMaintainers: true,
			Teams:                 []Team{geospatial},
		}},
		{"xfce.thunar", Package{
			Attr: "xfce.thunar", Name: "thunar-4.20.2", PName: "thunar", Version: "4.20.2", System: "x86_64-linux",
			Position: "pkgs/desktops/xfce/core/thunar/default.nix:60", File: "pkgs/desktops/xfce/core/thunar/default.nix", Line: 60,
			Description:           "Xfce file manager",
			Maintainers:           []Maintainer{jo},
			HasNonTeamMaintainers: true,
			Teams:                 []Team{{ShortName: "Xfce", Members: []Maintainer{jo}}},
		}},
		{"oldtool", Package{
			Attr: "oldtool", Name: "oldtool-0.9", System: "i686-linux",
			Position: "pkgs/tools/misc/oldtool/default.nix:20", File: "pkgs/tools/misc/oldtool/default.nix", Line: 20,
			Description: "A tool from an old release",
			Maintainers: []Maintainer{{Name: "Jane Doe", Email: "jane@example.org"}, {Name: "Anonymous"}},
		}},
		{"nometa", Package{Attr: "nometa", Name: "nometa-1.0", System: "x86_64-linux"}},
		{"weird", Package{Attr: "weird", Position: "nowhere"}},
	}
	for _, tc := range tests {
		t.Run(tc.attr, func(t *testing.T) {
			got, ok := ix.Lookup(tc.attr)
			if !ok {
				t.Fatal("not found")
			}
			if got.Platforms == nil {
				got.Platforms = nil
			}
			if len(got.Platforms) == 0 {
				got.Platforms = nil
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
	if _, ok := ix.Lookup("nope"); ok {
		t.Fatal("found nope")
	}
	// Lookup hands out copies: mutating one does not change the index.
	a, _ := ix.Lookup("hello")
	a.Maintainers[0].GitHub = "mallory"
	a.Platforms[0] = "mallory"
	b, _ := ix.Lookup("hello")
	if b.Maintainers[0].GitHub != "alice" || b.Platforms[0] != "x86_64-linux" {
		t.Fatal("Lookup leaked shared state")
	}
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"empty", ``, []string{"src.json", "unexpected EOF"}},
		{"array", `[]`, []string{"top level", "byte"}},
		{"no packages", `{"version": 2}`, []string{`no "packages"`}},
		{"packages array", `{"packages": []}`, []string{`"packages"`}},
		{"package not object", `{"packages": {"a": {"name": "a"}, "b": 3}}`, []string{`package "b"`, "not an object"}},
		{"truncated", `{"packages": {"a": {"name": "a"}, "b": {"name": `, []string{`package "b"`, "byte"}},
		{"syntax", `{"packages": {"a": {"name": "a",, }}}`, []string{`package "a"`, "invalid character"}},
		{"duplicate attr", `{"packages": {"a": {}, "a": {}}}`, []string{`package "a"`, "duplicate"}},
		{"trailing", `{"packages": {}} {}`, []string{"after the top-level"}},
		{"bad version", `{"version": "two", "packages": {}}`, []string{"version"}},
		{"not json", "\x00\x01garbage", []string{"src.json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tc.in), "src.json")
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err %q lacks %q", err, w)
				}
			}
			var pe *ParseError
			if tc.name != "not json" && !errors.As(err, &pe) {
				t.Errorf("err %T is not a *ParseError", err)
			}
		})
	}
	ix, err := Read(strings.NewReader(`{"packages": {}}`), "ok")
	if err != nil || ix.Len() != 0 {
		t.Fatalf("empty packages: %v", err)
	}
}

func TestLoadCancelled(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"packages": {`)
	for i := range 10000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"p` + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + `_` + itoa(i) + `": {}`)
	}
	b.WriteString(`}}`)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := read(ctx, strings.NewReader(b.String()), "big", true, LoadOptions{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	ix, err := Read(strings.NewReader(b.String()), "big")
	if err != nil || ix.Len() != 10000 {
		t.Fatalf("len %v err %v", ix, err)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var d []byte
	for ; i > 0; i /= 10 {
		d = append([]byte{byte('0' + i%10)}, d...)
	}
	return string(d)
}

func FuzzRead(f *testing.F) {
	plain, err := os.ReadFile(fixture)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(plain)
	f.Add(brotliBytes(f, plain))
	f.Add([]byte(`{"version":2,"packages":{"a":{"meta":{"maintainers":["x <y>"],"position":"f:1"}}}}`))
	f.Add([]byte(`{"packages":{"a":{"meta":{"teams":[{"members":[1,"x",{"githubId":-5}]}]}}}}`))
	f.Add([]byte(`{"version":"2","packages":{"a":{"meta":{"maintainers":[{"githubId":1}],"nonTeamMaintainers":[{"githubId":1}],"teams":[{"github":"t","githubId":"9","members":[{"githubId":1}]}]}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ix, err := Read(bytes.NewReader(data), "fuzz")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz") {
				t.Fatalf("error does not name the source: %v", err)
			}
			return
		}
		for _, a := range ix.Attrs() {
			p, ok := ix.Lookup(a)
			if !ok || p.Attr != a {
				t.Fatalf("Lookup(%q) = %v, %v", a, p, ok)
			}
			if d := p.DirectMaintainers(); !p.HasNonTeamMaintainers && len(d) > len(p.Maintainers) {
				t.Fatalf("%s: %d direct maintainers of %d", a, len(d), len(p.Maintainers))
			}
			if p.File != "" && (p.Line <= 0 || !strings.HasPrefix(p.Position, p.File)) {
				t.Fatalf("position %q parsed as %q:%d", p.Position, p.File, p.Line)
			}
		}
		ix.GroupByPosition(ix.Attrs())
	})
}

// DirectMaintainers: nonTeamMaintainers when the index has the field
// (also empty: a package maintained only through its teams), else
// maintainers less the members of GitHub-backed teams (older releases).
func TestDirectMaintainers(t *testing.T) {
	ix, err := Load(context.Background(), fixture, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		attr string
		want []string
	}{
		{"gdal", []string{"gina"}},
		{"qgis", nil},
		{"xfce.thunar", nil},                  // the field says nobody directly; jo comes through Xfce
		{"hello", []string{"alice", "bob-b"}}, // no field, no teams
		{"cudaPackages.cudnn", nil},           // no field: dan is a member of cuda-maintainers
		{"oldtool", []string{"", ""}},         // no logins at all
	}
	for _, tc := range tests {
		t.Run(tc.attr, func(t *testing.T) {
			p, ok := ix.Lookup(tc.attr)
			if !ok {
				t.Fatal("not found")
			}
			var got []string
			for _, m := range p.DirectMaintainers() {
				got = append(got, m.GitHub)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("DirectMaintainers = %q, want %q", got, tc.want)
			}
		})
	}

	// Without the field, a member of a team without a GitHub team stays
	// (nixpkgs' CI pings those members one by one); matched by id first.
	p := Package{
		Maintainers: []Maintainer{{GitHub: "renamed", GitHubID: 7}, {GitHub: "kim", GitHubID: 8}, {GitHub: "lee"}},
		Teams: []Team{
			{ShortName: "by hand", Members: []Maintainer{{GitHub: "kim", GitHubID: 8}}},
			{GitHub: "gh", Members: []Maintainer{{GitHub: "old-login", GitHubID: 7}, {GitHub: "LEE"}}},
		},
	}
	var got []string
	for _, m := range p.DirectMaintainers() {
		got = append(got, m.GitHub)
	}
	if want := []string{"kim"}; !reflect.DeepEqual(got, want) {
		t.Errorf("DirectMaintainers = %q, want %q", got, want)
	}
}

// The index pkgs/top-level/packages-info.nix writes has "version": "2" (a
// string); nonTeamMaintainers shares the maintainers' array when it is
// their prefix, and a list of another type still counts as present.
func TestVersionStringAndNonTeamShapes(t *testing.T) {
	in := `{"version": "2", "packages": {
	  "a": {"meta": {"maintainers": [{"github": "x", "githubId": 1}, {"github": "y", "githubId": 2}], "nonTeamMaintainers": [{"github": "x", "githubId": 1}]}},
	  "b": {"meta": {"maintainers": [{"github": "x", "githubId": 1}], "nonTeamMaintainers": "nobody"}},
	  "c": {"meta": {"maintainers": [{"github": "x", "githubId": 1}], "nonTeamMaintainers": null}},
	  "d": {"meta": {"maintainers": [{"github": "x", "githubId": 1}], "nonTeamMaintainers": [{"github": "z", "githubId": 3}, {"github": "x", "githubId": 1}]}}}}`
	ix, err := Read(strings.NewReader(in), "packages.json")
	if err != nil {
		t.Fatal(err)
	}
	if ix.Version() != 2 {
		t.Errorf("version %d", ix.Version())
	}
	if p := ix.pkgs["a"]; !p.hasNonTeam || len(p.nonTeam) != 1 || &p.nonTeam[0] != &p.maintainers[0] || cap(p.nonTeam) != 1 {
		t.Errorf("a: nonTeam %v does not share maintainers' array", p.nonTeam)
	}
	for attr, want := range map[string][]string{"a": {"x"}, "b": nil, "c": {"x"}, "d": {"z", "x"}} {
		p, _ := ix.Lookup(attr)
		var got []string
		for _, m := range p.DirectMaintainers() {
			got = append(got, m.GitHub)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: DirectMaintainers = %q, want %q", attr, got, want)
		}
	}
	for _, bad := range []string{`{"version": "two", "packages": {}}`, `{"version": true, "packages": {}}`} {
		if _, err := Read(strings.NewReader(bad), "v.json"); err == nil || !strings.Contains(err.Error(), "version") {
			t.Errorf("%s: err = %v", bad, err)
		}
	}
}
