package app

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/bot"
	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/state"
	"github.com/nixpkgs-markbot/markbot/internal/testutil"
)

// seedStatus records markers (one with markup in its name, which must be
// escaped) and runs two cycles, one failing.
func seedStatus(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	since := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	for _, m := range []state.Marker{
		{Attr: "hello", File: "pkgs/by-name/he/hello/package.nix", Line: 35, Systems: []string{"x86_64-darwin", "aarch64-darwin"}, Since: since},
		{Attr: "python312Packages.requests", Attrs: []string{"python312Packages.requests", "python313Packages.requests"}, File: "pkgs/development/python-modules/requests/default.nix", Line: 20, Since: since},
		{Attr: `evil<script>alert(1)</script>`, File: "pkgs/evil.nix", Line: 1},
	} {
		rec, err := e.st.AddMarker(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		if m.Attr == "hello" {
			if err := e.st.SetMarkerPR(ctx, rec.ID, 4242, false); err != nil {
				t.Fatal(err)
			}
		}
	}
	results := []struct {
		sum *bot.Summary
		err error
	}{
		{&bot.Summary{Detection: failures.Result{Failures: make([]failures.Failure, 5)}}, nil},
		{nil, errors.New(`observe: reading nixpkgs/unstable: <b>Hydra</b> said 502`)},
	}
	i := 0
	e.s.o.Cycle = func(context.Context) (*bot.Summary, error) { r := results[i]; i++; return r.sum, r.err }
	e.s.o.Savings = func(context.Context) (string, error) { return "12.50 build-hours per week", nil }
	e.s.runCycle(ctx, "schedule")
	e.s.runCycle(ctx, "recheck by @alice on #4242")
}

func TestStatusPage(t *testing.T) {
	e := newEnv(t, nil)
	seedStatus(t, e)
	rec := httptest.NewRecorder()
	e.s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	page := rec.Body.String()
	for _, w := range []string{
		`<td class="attr">hello</td>`,
		`<td>x86_64-darwin, aarch64-darwin</td>`,
		`<td>2026-11-02</td>`,
		`<a class="pr" href="https://github.com/NixOS/nixpkgs/pull/4242">#4242</a>`,
		`python312Packages.requests<br>python313Packages.requests`,
		`evil&lt;script&gt;alert(1)&lt;/script&gt;`,
		`&lt;b&gt;Hydra&lt;/b&gt; said 502`,
		`recheck by @alice on #4242`,
		`Compute saved: 12.50 build-hours per week`,
		`<td>5</td>`,
	} {
		if !strings.Contains(page, w) {
			t.Errorf("page lacks %q", w)
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "<b>Hydra") {
		t.Error("markup from the data reached the page unescaped")
	}
	if n := strings.Count(page, `<tr class="marker">`); n != 3 {
		t.Errorf("%d marker rows, want 3", n)
	}
	if n := strings.Count(page, `<tr class="cycle">`); n != 2 {
		t.Errorf("%d cycle rows, want 2", n)
	}
	// Newest cycle first.
	if strings.Index(page, `class="failed"`) > strings.Index(page, `class="ok"`) {
		t.Error("cycles not newest first")
	}
}

func TestStatusPageKeepsTwentyCycles(t *testing.T) {
	e := newEnv(t, nil)
	for range RecentCycles + 5 {
		e.s.runCycle(context.Background(), "schedule")
	}
	recent, _ := e.s.Cycles()
	if len(recent) != RecentCycles {
		t.Fatalf("%d cycles kept, want %d", len(recent), RecentCycles)
	}
}

func TestStatusPageWithoutSavings(t *testing.T) {
	e := newEnv(t, nil)
	rec := httptest.NewRecorder()
	e.s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	page := rec.Body.String()
	if strings.Contains(page, "Compute saved") || !strings.Contains(page, "No live markers") || !strings.Contains(page, "No cycle has ended yet") {
		t.Errorf("empty page:\n%s", page)
	}
}

// TestStatusPageInChromium loads the page in a real headless browser and
// checks the DOM it builds.
func TestStatusPageInChromium(t *testing.T) {
	// Debian's chromium; elsewhere (a GitHub runner) Chrome or a chromium
	// on PATH, or the one MARKBOT_CHROMIUM names.
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
	e := newEnv(t, nil)
	seedStatus(t, e)
	base, _ := serve(t, e.s)
	if resp, err := http.Get(base + "/healthz"); err != nil {
		t.Fatal(err)
	} else {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--dump-dom", base+"/")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	dom := string(out)
	for _, w := range []string{
		`<table id="markers">`,
		`<td class="attr">hello</td>`,
		`<a class="pr" href="https://github.com/NixOS/nixpkgs/pull/4242">#4242</a>`,
		`<table id="cycles">`,
		`recheck by @alice on #4242`,
		`evil&lt;script&gt;alert(1)&lt;/script&gt;`,
	} {
		if !strings.Contains(dom, w) {
			t.Errorf("DOM lacks %q:\n%s", w, dom)
		}
	}
	if n := strings.Count(dom, `<tr class="marker">`); n != 3 {
		t.Errorf("DOM has %d marker rows, want 3", n)
	}
	if n := strings.Count(dom, `<tr class="cycle">`); n != 2 {
		t.Errorf("DOM has %d cycle rows, want 2", n)
	}
	if strings.Contains(dom, "<script>") {
		t.Error("the DOM holds a script element from the data")
	}
}
