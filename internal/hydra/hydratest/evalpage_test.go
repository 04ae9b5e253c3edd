package hydratest

import (
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// pageNow is the clock of the golden pages: 2026-02-02 02:40:00 UTC.
var pageNow = time.Unix(1770000000, 0)

func drvName(id int64, name string) string {
	return fmt.Sprintf("%032d-%s", id, name)
}

// bs makes a finished (status ≥ 0) or queued (status < 0) build that
// stopped ago seconds before pageNow.
func bs(id int64, job string, status int, ago int64) *Build {
	system := job[strings.LastIndexByte(job, '.')+1:]
	if !strings.Contains(system, "-") {
		system = "x86_64-linux"
	}
	stop := pageNow.Unix() - ago
	return B(id, job, system, status, drvName(id, strings.SplitN(job, ".", 2)[0]+"-1.0"), stop-100, stop)
}

// comparedScenario has two evaluations whose comparison lands a build in
// every tab and every status title on the page.
func comparedScenario() *Static {
	s := NewStatic("nixpkgs", "unstable")
	s.AddEval(100, pageNow.Unix()-3*86400,
		bs(1, "a.x86_64-linux", 0, 3*86400),
		bs(2, "aa.x86_64-linux", 0, 3*86400), // removed: passed over before b
		bs(3, "b.x86_64-linux", 1, 3*86400),
		bs(4, "c.x86_64-linux", 0, 3*86400),
		bs(5, "d.x86_64-linux", -1, 0),
		bs(6, "ab1.x86_64-linux", 0, 3*86400), // aborted now (status 3)
		bs(7, "st2.x86_64-linux", 1, 3*86400),
		bs(8, "zzz.x86_64-linux", 0, 3*86400), // after the last current build: not listed as removed
	)
	rel := bs(25, "st8.aarch64-linux", 8, 30)
	rel.ReleaseName = "st8-release-2.0"
	zero := bs(26, "st9.x86_64-linux", 9, 0)
	zero.StopTime = 0
	s.AddEval(101, pageNow.Unix()-86400,
		bs(1, "a.x86_64-linux", 0, 3*86400),    // still succeeding (reused)
		bs(13, "b.x86_64-linux", 0, 45),        // now succeeding
		bs(14, "c.x86_64-linux", 1, 7200),      // now failing
		bs(15, "d.x86_64-linux", 0, 3000),      // counterpart queued: unfinished
		bs(16, "e.x86_64-linux", -1, 0),        // new, queued
		bs(17, "ab1.x86_64-linux", 3, 10),      // aborted
		bs(18, "ab2.x86_64-linux", 4, 20),      // aborted (new)
		bs(19, "ab3.x86_64-linux", 7, 8*86400), // aborted
		bs(20, "ab4.x86_64-linux", 10, -50),    // aborted, stopped in the future
		bs(21, "st2.x86_64-linux", 2, 4000),    // still failing
		bs(22, "st5.x86_64-linux", 5, 5000),
		bs(23, "st6.x86_64-linux", 6, 6000),
		bs(24, "st11.x86_64-linux", 11, 7000),
		rel,
		zero,
		bs(27, "st12.x86_64-linux", 12, 9000),
		bs(28, "st13.x86_64-linux", 13, 9500),
		bs(29, `we<i>rd&"q'.x86_64-linux`, 1, 100),
	)
	return s
}

// cappedScenario has more than 250 builds in one tab and more than 250
// removed jobs.
func cappedScenario() *Static {
	s := NewStatic("nixpkgs", "staging")
	var old, cur []*Build
	for i := int64(0); i < 300; i++ {
		old = append(old, bs(1000+i, fmt.Sprintf("p%03d.x86_64-linux", i), 0, 2*86400))
		cur = append(cur, bs(2000+i, fmt.Sprintf("p%03d.x86_64-linux", i), 1, 3600))
	}
	for i := int64(0); i < 260; i++ {
		old = append(old, bs(3000+i, fmt.Sprintf("gone%03d.x86_64-linux", i), 0, 2*86400))
	}
	cur = append(cur, bs(4000, "zz.x86_64-linux", 0, 60)) // after every removed job
	s.AddEval(200, pageNow.Unix()-2*86400, old...)
	s.AddEval(201, pageNow.Unix()-3600, cur...)
	return s
}

// flakeScenario is one flake evaluation, with nothing to compare to.
func flakeScenario() *Static {
	s := NewStatic("hydra", "flake")
	s.AddEval(300, pageNow.Unix()-7200, bs(40, "hydra.x86_64-linux", 0, 600), bs(41, "tests.basic", -1, 0))
	s.evals[0].info.Flake = ptr("github:NixOS/hydra/14332fbf55470184984bf76488960741510971d0")
	s.evals[0].info.Inputs = nil
	return s
}

type pageCase struct {
	name  string
	scen  func() *Static
	eval  int64
	query string
	code  int
}

func pageCases() []pageCase {
	return []pageCase{
		{"compared", comparedScenario, 101, "", 200},
		{"compared-filter", comparedScenario, 101, "?filter=AB", 200},
		{"compared-to-itself", comparedScenario, 101, "?compare=101&full=1", 200},
		{"first", comparedScenario, 100, "", 200},
		{"capped", cappedScenario, 201, "?query=x&compare=200", 200},
		{"capped-full", cappedScenario, 201, "?full=1", 200},
		{"flake", flakeScenario, 300, "", 200},
		{"unknown-compare", comparedScenario, 101, "?compare=%25x", 404},
		{"unknown-eval", comparedScenario, 7, "", 404},
	}
}

// TestEvalPageGolden compares the pages of small static scenarios with
// testdata/evalpage-*.html (go test -run TestEvalPageGolden -update
// rewrites them).
func TestEvalPageGolden(t *testing.T) {
	for _, c := range pageCases() {
		t.Run(c.name, func(t *testing.T) {
			f := New(c.scen())
			f.Now = func() time.Time { return pageNow }
			srv := httptest.NewServer(f)
			defer srv.Close()
			resp, body := get(t, srv.URL+fmt.Sprintf("/eval/%d", c.eval)+c.query, "text/html")
			if resp.StatusCode != c.code || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
				t.Fatalf("status %d %s, want %d text/html", resp.StatusCode, resp.Header.Get("Content-Type"), c.code)
			}
			got := strings.ReplaceAll(string(body), srv.URL, "http://hydra.example.org")
			golden := filepath.Join("testdata", "evalpage-"+c.name+".html")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("page differs from %s (rerun with -update and diff)", golden)
			}
		})
	}
}

// page is a fetched evaluation page, cut into its tab panes.
type page struct {
	code  int
	body  string
	nav   map[string]int    // tab id → count in the nav tabs
	panes map[string]string // tab id → the pane's markup
}

var navRE = regexp.MustCompile(`href="#(tabs-[a-z-]+)" data-toggle="tab">(?:<span class="[a-z-]+">)?[A-Za-z /]+ \(([0-9]+)\)`)

func fetchPage(t *testing.T, h http.Handler, path string) *page {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, body := get(t, srv.URL+path, "")
	p := &page{code: resp.StatusCode, body: string(body), nav: map[string]int{}, panes: map[string]string{}}
	for _, m := range navRE.FindAllStringSubmatch(p.body, -1) {
		var n int
		fmt.Sscan(m[2], &n)
		p.nav[m[1]] = n
	}
	rest := p.body
	for {
		i := strings.Index(rest, `<div id="tabs-`)
		if i < 0 {
			break
		}
		rest = rest[i+len(`<div id="`):]
		id := rest[:strings.IndexByte(rest, '"')]
		end := strings.Index(rest, `<div id="tabs-`)
		if end < 0 {
			end = len(rest)
		}
		p.panes[id] = rest[:end]
	}
	return p
}

// rows counts a pane's build rows (or removed-job rows).
func (p *page) rows(tab string) int {
	if tab == "tabs-removed" {
		return strings.Count(p.panes[tab], "<td><a href=")
	}
	return strings.Count(p.panes[tab], `<a class="row-link"`)
}

var buildTabs = []string{"tabs-aborted", "tabs-now-fail", "tabs-now-succeed", "tabs-new", "tabs-still-fail", "tabs-still-succeed", "tabs-unfinished"}

// TestEvalPageTabsAddUp: with full=1 every member build is in exactly one
// tab, and each tab holds as many rows as its nav entry says.
func TestEvalPageTabsAddUp(t *testing.T) {
	c := small()
	c.UnfinishedNewest = true
	g := Generate(c)
	f := New(g)
	for _, e := range g.Evals() {
		p := fetchPage(t, f, fmt.Sprintf("/eval/%d?full=1", e.ID))
		n, _ := f.EvalSize(e.ID)
		sum := 0
		for _, tab := range buildTabs {
			if p.rows(tab) != p.nav[tab] {
				t.Errorf("eval %d %s: %d rows, nav says %d", e.ID, tab, p.rows(tab), p.nav[tab])
			}
			sum += p.nav[tab]
		}
		if sum != n {
			t.Errorf("eval %d: tabs hold %d builds, the evaluation has %d", e.ID, sum, n)
		}
		if p.rows("tabs-removed") != p.nav["tabs-removed"] {
			t.Errorf("eval %d: %d removed rows, nav says %d", e.ID, p.rows("tabs-removed"), p.nav["tabs-removed"])
		}
		if len(p.panes) != 9 {
			t.Errorf("eval %d: %d panes, want 9", e.ID, len(p.panes))
		}
	}
}

func TestEvalPageParameters(t *testing.T) {
	for _, c := range []struct {
		name   string
		scen   func() *Static
		path   string
		code   int
		rows   map[string]int // tab → rows printed
		nav    map[string]int // tab → count in the nav (when different from rows)
		has    []string
		hasNot []string
	}{
		{name: "capped", scen: cappedScenario, path: "/eval/201?filter=&compare=200", code: 200,
			rows: map[string]int{"tabs-now-fail": 250, "tabs-removed": 250, "tabs-new": 1},
			nav:  map[string]int{"tabs-now-fail": 300, "tabs-removed": 260},
			has: []string{`<em>(50 more builds omitted)</em>`, `/eval/201?compare=200&amp;filter=&amp;full=1#tabs-now-fail"`,
				`<a ><em>(10 more jobs omitted)</em></a>`}},
		{name: "full", scen: cappedScenario, path: "/eval/201?full=1", code: 200,
			rows:   map[string]int{"tabs-now-fail": 300, "tabs-removed": 260},
			has:    []string{`<input name="full" type="hidden" value="1"/>`, `?compare=-86400&full=1"`},
			hasNot: []string{"omitted"}},
		{name: "full must be 1", scen: cappedScenario, path: "/eval/201?full=yes", code: 200,
			rows: map[string]int{"tabs-now-fail": 250}, nav: map[string]int{"tabs-now-fail": 300}, has: []string{`value=""/>`}},
		{name: "filter on both evaluations", scen: comparedScenario, path: "/eval/101?filter=A", code: 200,
			rows: map[string]int{"tabs-aborted": 4, "tabs-still-succeed": 1, "tabs-removed": 1},
			has:  []string{`placeholder="Search jobs by name..." value="A"/>`}},
		{name: "filter wildcard", scen: comparedScenario, path: "/eval/101?filter=st_", code: 200,
			rows: map[string]int{"tabs-still-fail": 1, "tabs-new": 7, "tabs-removed": 0}},
		{name: "filter escape", scen: comparedScenario, path: "/eval/101?filter=x%5C", code: 500,
			has: []string{"LIKE pattern must not end with escape character"}},
		{name: "default compare", scen: comparedScenario, path: "/eval/101", code: 200,
			has: []string{`evaluation <a href="http://`, `/eval/100">100</a>.</p>`, `<input name="compare" type="hidden" value="100"/>`}},
		{name: "first evaluation has nothing to compare", scen: comparedScenario, path: "/eval/100", code: 200,
			rows: map[string]int{"tabs-new": 8}, hasNot: []string{"Comparisons are relative"}},
		{name: "compare to itself", scen: comparedScenario, path: "/eval/101?compare=101", code: 200,
			rows: map[string]int{"tabs-still-succeed": 3, "tabs-still-fail": 10, "tabs-unfinished": 1, "tabs-aborted": 4, "tabs-new": 0}},
		{name: "compare a day back", scen: comparedScenario, path: "/eval/101?compare=-86400", code: 200,
			has: []string{`/eval/100">100</a>.</p>`}},
		{name: "compare further back than any", scen: comparedScenario, path: "/eval/101?compare=-9999999", code: 200,
			hasNot: []string{"Comparisons are relative"}},
		{name: "compare jobset without a finished evaluation", scen: comparedScenario, path: "/eval/101?compare=unstable", code: 200,
			hasNot: []string{"Comparisons are relative"}},
		{name: "compare jobset", scen: cappedScenario, path: "/eval/201?compare=staging", code: 200,
			has: []string{`/eval/201">201</a>.</p>`}},
		{name: "unknown jobset", scen: comparedScenario, path: "/eval/101?compare=trunk", code: 404,
			has: []string{"Jobset trunk doesn&#39;t exist.", "<title>Hydra - 404 Not Found</title>", ">Jobset<b"}},
		{name: "unknown evaluation", scen: comparedScenario, path: "/eval/101?compare=99", code: 404,
			has: []string{"Evaluation 99 doesn&#39;t exist."}},
		{name: "empty compare", scen: comparedScenario, path: "/eval/101?compare=", code: 404,
			has: []string{"Unknown comparison source ‘’."}},
		{name: "unknown source", scen: comparedScenario, path: "/eval/101?compare=1x", code: 404,
			has: []string{"Unknown comparison source ‘1x’."}},
		{name: "no such evaluation", scen: comparedScenario, path: "/eval/5", code: 404,
			has: []string{"Evaluation 5 doesn&#39;t exist."}, hasNot: []string{">Jobset<b"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := New(c.scen())
			f.Now = func() time.Time { return pageNow }
			p := fetchPage(t, f, c.path)
			if p.code != c.code {
				t.Fatalf("status %d, want %d", p.code, c.code)
			}
			for tab, n := range c.rows {
				if got := p.rows(tab); got != n {
					t.Errorf("%s: %d rows, want %d", tab, got, n)
				}
				want := n
				if v, ok := c.nav[tab]; ok {
					want = v
				}
				if p.nav[tab] != want {
					t.Errorf("%s: nav says %d, want %d", tab, p.nav[tab], want)
				}
			}
			for _, s := range c.has {
				if !strings.Contains(p.body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range c.hasNot {
				if strings.Contains(p.body, s) {
					t.Errorf("page has %q", s)
				}
			}
		})
	}
}

// TestEvalJSONCompare: view_GET checks compare= for JSON too.
func TestEvalJSONCompare(t *testing.T) {
	srv := httptest.NewServer(New(comparedScenario()))
	defer srv.Close()
	resp, body := get(t, srv.URL+"/eval/101?compare=nonesuch", "application/json")
	if resp.StatusCode != 404 || strings.TrimSpace(string(body)) != `{"error":"Jobset nonesuch doesn't exist."}` {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
	resp, body = get(t, srv.URL+"/eval/101?compare=100", "application/json")
	if resp.StatusCode != 200 || !strings.HasPrefix(string(body), `{"id":101,`) {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
}

func TestStatusTitles(t *testing.T) {
	want := map[int8]string{
		-1: "Queued", 0: "Succeeded", 1: "Failed", 2: "Dependency failed", 3: "Aborted", 4: "Cancelled",
		5: "Failed", 6: "Failed with output", 7: "Timed out", 8: "Failed", 9: "Aborted",
		10: "Log limit exceeded", 11: "Output size limit exceeded", 12: "Non-deterministic build", 13: "Failed", 99: "Failed",
	}
	for st, title := range want {
		if _, got := statusIcon(&member{status: st}); got != title {
			t.Errorf("status %d: %q, want %q", st, got, title)
		}
	}
	// On the page, as title and alt of the row's icon.
	f := New(comparedScenario())
	p := fetchPage(t, f, "/eval/101")
	for _, title := range want {
		if !strings.Contains(p.body, `title="`+title+`" alt="`+title+`" class="build-status"`) {
			t.Errorf("no icon titled %q", title)
		}
	}
}

// discardWriter is an http.ResponseWriter that counts and drops the body.
type discardWriter struct {
	h    http.Header
	code int
	n    int64
}

func (d *discardWriter) Header() http.Header {
	if d.h == nil {
		d.h = http.Header{}
	}
	return d.h
}
func (d *discardWriter) WriteHeader(code int)        { d.code = code }
func (d *discardWriter) Write(p []byte) (int, error) { d.n += int64(len(p)); return len(p), nil }

// BenchmarkEvalPage serves the full evaluation page (full=1) of the newest
// evaluation of the nixpkgs-scale Generated scenario (≈250k builds),
// compared with the one before; the indexes are built before the timer
// starts (the first page of an evaluation also builds its index: see
// BenchmarkEvalIndex).
func BenchmarkEvalPage(b *testing.B) {
	g := Generate(DefaultGenConfig())
	f := New(g)
	id := g.Evals()[0].ID
	req := httptest.NewRequest("GET", fmt.Sprintf("/eval/%d?full=1", id), nil)
	f.ServeHTTP(&discardWriter{}, req)
	b.ResetTimer()
	var n int64
	for i := 0; i < b.N; i++ {
		d := &discardWriter{}
		f.ServeHTTP(d, req)
		n = d.n
	}
	b.SetBytes(n)
	b.ReportMetric(float64(n)/1e6, "MB/page")
}

// BenchmarkEvalIndex builds one evaluation's index from the Generated
// scenario (what the first page of an evaluation costs on top).
func BenchmarkEvalIndex(b *testing.B) {
	g := Generate(DefaultGenConfig())
	f := New(g)
	id := g.Evals()[0].ID
	for i := 0; i < b.N; i++ {
		if f.buildIndex(id) == nil {
			b.Fatal("no index")
		}
	}
}
