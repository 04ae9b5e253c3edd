package report

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/testutil"
)

// findChromium finds a headless browser as internal/app's status page
// test does: Debian's chromium, else Chrome or a chromium on PATH, or the
// one MARKBOT_CHROMIUM names; it skips (fails under
// MARKBOT_REQUIRE_TOOLS=1) without one.
func findChromium(t *testing.T) string {
	t.Helper()
	chromium := os.Getenv("MARKBOT_CHROMIUM")
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if chromium != "" {
			break
		}
		if p, err := exec.LookPath(name); err == nil {
			chromium = p
		}
	}
	if chromium == "" {
		testutil.Missing(t, "no headless browser: install Debian's chromium (or set MARKBOT_CHROMIUM)")
	}
	return chromium
}

// dumpDOM loads url in headless chromium and returns the DOM once the
// page and its deferred script have loaded.
func dumpDOM(t *testing.T, chromium, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, chromium, append(args, "--dump-dom", url)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	return string(out)
}

// noScripts serves h with scripts forbidden by a second
// Content-Security-Policy, as a browser with JavaScript off would load
// the pages. (Chromium's own switch, --blink-settings=scriptEnabled=false,
// also stops --dump-dom, which runs a script to read the DOM.)
func noScripts(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&cspWriter{ResponseWriter: w}, r)
	})
}

type cspWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *cspWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		w.Header().Add("Content-Security-Policy", "script-src 'none'")
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *cspWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

var (
	rowRE    = regexp.MustCompile(`<tr class="failure"[^>]*>`)
	sectRE   = regexp.MustCompile(`<section class="group" data-group="([^"]*)"( hidden="")?>`)
	formRE   = regexp.MustCompile(`<form class="filter" id="filter-form"( hidden="")?>`)
	countRE  = regexp.MustCompile(`<output id="filter-count" for="filter">([^<]*)</output>`)
	hiddenRE = regexp.MustCompile(`hidden=""`)
)

// visible counts the failure rows a person sees: not hidden themselves,
// nor in a hidden section.
func visible(dom string) (rows int, sections []string) {
	for _, sec := range strings.Split(dom, `<section class="group"`)[1:] {
		sec = `<section class="group"` + sec
		m := sectRE.FindStringSubmatch(sec)
		if m == nil || m[2] != "" {
			continue
		}
		sections = append(sections, m[1])
		for _, tr := range rowRE.FindAllString(sec, -1) {
			if !hiddenRE.MatchString(tr) {
				rows++
			}
		}
	}
	return rows, sections
}

// TestPagesInChromium loads a jobset page and a maintainer page from the
// Handler in a real headless browser, with and without JavaScript, and
// checks what a person sees: the rows, the filter (applied from ?q=, under
// the pages' Content-Security-Policy) and, without scripts, every row and
// no filter.
func TestPagesInChromium(t *testing.T) {
	chromium := findChromium(t)
	site := sampleSite(t)
	h := Handler(func() (*Site, error) { return site, nil })
	srv, plain := httptest.NewServer(h), httptest.NewServer(noScripts(h))
	defer srv.Close()
	defer plain.Close()
	tests := []struct {
		name     string
		path     string
		scripts  bool
		rows     int
		sections string
		form     bool // the filter is shown
		count    string
		want     []string
	}{
		{name: "jobset page", path: "/jobsets/nixpkgs/unstable", scripts: true, rows: 5, sections: "alice bob team gnome unmaintained", form: true,
			want: []string{`<td class="attr">hello<br><span class="name">hello-2.12.1</span></td>`, `<h2>No maintainer <span class="count">1</span></h2>`}},
		{name: "jobset page filtered by a maintainer", path: "/jobsets/nixpkgs/unstable?q=bob", scripts: true, rows: 1, sections: "bob", form: true, count: "1 of 5 rows",
			want: []string{`<input id="filter" name="q" type="search"`}},
		{name: "jobset page filtered by two terms", path: "/jobsets/nixpkgs/unstable?q=HELLO+aarch64-darwin", scripts: true, rows: 2, sections: "alice team gnome", form: true, count: "2 of 5 rows"},
		{name: "jobset page filtered to nothing", path: "/jobsets/nixpkgs/unstable?q=nosuchpackage", scripts: true, rows: 0, sections: "", form: true, count: "0 of 5 rows"},
		{name: "jobset page without JavaScript", path: "/jobsets/nixpkgs/unstable?q=bob", scripts: false, rows: 5, sections: "alice bob team gnome unmaintained", form: false, count: ""},
		{name: "maintainer page", path: "/maintainers/alice", scripts: true, rows: 4, sections: "nixpkgs/unstable nixpkgs/staging-next", form: true,
			want: []string{`<h1>alice (Alice Liddell)</h1>`, `<tr class="fixed" id="e-`, `evil&lt;script&gt;alert(1)&lt;/script&gt;`,
				`<a class="build" href="#ZgotmplZ">x86_64-linux</a>`, `merged<br>probed 2026-11-03: still fails on x86_64-linux`}},
		{name: "maintainer page filtered by jobset", path: "/maintainers/alice?q=staging", scripts: true, rows: 2, sections: "nixpkgs/staging-next", form: true, count: "2 of 4 rows"},
		{name: "maintainer page without JavaScript", path: "/maintainers/alice", scripts: false, rows: 4, sections: "nixpkgs/unstable nixpkgs/staging-next", form: false,
			want: []string{`<tr class="fixed" id="e-`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := srv.URL
			if !tt.scripts {
				base = plain.URL
			}
			dom := dumpDOM(t, chromium, base+tt.path)
			rows, sections := visible(dom)
			if rows != tt.rows || strings.Join(sections, " ") != tt.sections {
				t.Errorf("a person sees %d rows in sections %q, want %d in %q", rows, strings.Join(sections, " "), tt.rows, tt.sections)
			}
			m := formRE.FindStringSubmatch(dom)
			if m == nil || (m[1] == "") != tt.form {
				t.Errorf("filter form %v, want shown=%v", m, tt.form)
			}
			if c := countRE.FindStringSubmatch(dom); c == nil || c[1] != tt.count {
				t.Errorf("count %v, want %q", c, tt.count)
			}
			for _, w := range tt.want {
				if !strings.Contains(dom, w) {
					t.Errorf("the DOM lacks %s", w)
				}
			}
			if strings.Contains(dom, "<script>alert") || strings.Contains(dom, "<img") {
				t.Error("markup from the data is in the DOM")
			}
		})
	}
}
