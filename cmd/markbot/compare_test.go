package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/nixpkgs-markbot/markbot/internal/compare"
	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
)

// cmpHydra serves a base and a head jobset at one URL: each request goes to
// the first fake that knows its path (anything but 404). Their evaluation
// and build ids do not overlap. It counts the requests markbot makes.
type cmpHydra struct {
	fakes []*hydratest.Fake
	mu    sync.Mutex
	paths []string
}

func (m *cmpHydra) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	m.paths = append(m.paths, r.URL.Path)
	m.mu.Unlock()
	hs := make([]http.Handler, len(m.fakes))
	for i, f := range m.fakes {
		hs[i] = f
	}
	hydratest.Multi(hs...).ServeHTTP(w, r)
}

// take returns and forgets the paths requested so far.
func (m *cmpHydra) take() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.paths
	m.paths = nil
	return p
}

type cmpJob struct {
	attr, system string
	status       int
}

func cmpBuilds(first, eval int64, project, jobset string, jobs []cmpJob) []*hydratest.Build {
	var out []*hydratest.Build
	for i, j := range jobs {
		id := first + int64(i)
		b := hydratest.B(id, j.attr+"."+j.system, j.system, j.status, fmt.Sprintf("%032d-%s", id, j.attr), 1767225600+eval, 1767225660+eval)
		b.Project, b.Jobset = project, jobset
		if j.status == 1 {
			b.Log = "configure: ok\nerror: " + j.attr + " does not compile\n"
		}
		out = append(out, b)
	}
	return out
}

type cmpEnv struct {
	base, head *hydratest.Static
	headJobs   []cmpJob
	hydra      *cmpHydra
	url        string
	gh         *githubtest.Server
	pr         int
	state      string
	packages   string
}

const cmpBase, cmpHead = "nixpkgs/unstable", "nixpkgs/staging-next"

var cmpBaseJobs = []cmpJob{{"hello", "x86_64-linux", 0}, {"hello", "aarch64-linux", 0}, {"renamed", "x86_64-linux", 0},
	{"newreg", "x86_64-linux", 0}, {"fixme", "x86_64-linux", 1}, {"orphan", "x86_64-linux", 0}}

// newCmpEnv starts the fake Hydra (base evaluation 100; head evaluation 200
// with regressions of hello and renamed and a fix) and, with gh, the fake
// GitHub holding staging-next's pull request #1.
func newCmpEnv(t *testing.T, gh bool) *cmpEnv {
	t.Helper()
	e := &cmpEnv{base: hydratest.NewStatic("nixpkgs", "unstable"), head: hydratest.NewStatic("nixpkgs", "staging-next"),
		state: t.TempDir()}
	e.base.AddEval(100, 1767225700, cmpBuilds(10000, 100, "nixpkgs", "unstable", cmpBaseJobs)...)
	e.headJobs = []cmpJob{{"hello", "x86_64-linux", 1}, {"hello", "aarch64-linux", 0}, {"renamed", "x86_64-linux", 1},
		{"newreg", "x86_64-linux", 0}, {"fixme", "x86_64-linux", 0}, {"orphan", "x86_64-linux", 2}}
	e.head.AddEval(200, 1767225800, cmpBuilds(20000, 200, "nixpkgs", "staging-next", e.headJobs)...)
	e.hydra = &cmpHydra{fakes: []*hydratest.Fake{hydratest.New(e.base), hydratest.New(e.head)}}
	srv := httptest.NewServer(frontEnd(e.hydra))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	e.packages, _ = filepath.Abs(filepath.Join("..", "..", "internal", "compare", "testdata", "packages.json"))
	if !gh {
		return e
	}
	e.gh = githubtest.New(t, githubtest.Options{Users: []githubtest.User{
		{Login: "alice", ID: 1001}, {Login: "bob-b", ID: 1002}, {Login: "frank", ID: 1006},
		{Login: "grace-new", ID: 1007}, // the index still says old-login
		{Login: "a-human", ID: 5000},
	}})
	ctx := context.Background()
	c := e.gh.Client()
	sha, _ := e.gh.Ref("master")
	if _, _, err := c.Git.CreateRef(ctx, "NixOS", "nixpkgs", &github.Reference{Ref: github.String("refs/heads/staging-next"),
		Object: &github.GitObject{SHA: github.String(sha)}}); err != nil {
		t.Fatal(err)
	}
	content := "staging\n"
	if _, err := e.gh.Commit("staging-next", "staging-next: mass rebuild", map[string]*string{"STAGING": &content}); err != nil {
		t.Fatal(err)
	}
	pr, _, err := c.PullRequests.Create(ctx, "NixOS", "nixpkgs", &github.NewPullRequest{Title: github.String("staging-next 2026-01-01"),
		Head: github.String("staging-next"), Base: github.String("master")})
	if err != nil {
		t.Fatal(err)
	}
	e.pr = pr.GetNumber()
	// A human quoting a marker of another comparison, and an unrelated comment.
	e.gh.AddComment(e.pr, "a-human", "see <!-- markbot compare base=nixpkgs/unstable head=nixpkgs/python-updates {\"version\":1} -->")
	e.gh.AddComment(e.pr, "a-human", "LGTM")
	e.gh.ResetStats()
	t.Setenv("MARKBOT_GITHUB_TOKEN", "ghp_test")
	return e
}

func (e *cmpEnv) args(extra ...string) []string {
	a := []string{"--base", cmpBase, "--head", cmpHead, "--hydra", e.url, "--packages", e.packages,
		"--state-dir", e.state, "--rate", "1000"}
	if e.gh != nil {
		a = append(a, "--github-api", e.gh.URL(), "--post", fmt.Sprintf("NixOS/nixpkgs#%d", e.pr))
	}
	return append(a, extra...)
}

func (e *cmpEnv) run(t *testing.T, want int, extra ...string) (string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if code := realMain(append([]string{"compare"}, e.args(extra...)...), &out, &errb); code != want {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, want, out.String(), errb.String())
	}
	return out.String(), errb.String()
}

// markbotComments are the comments carrying markbot's compare marker for
// unstable..staging-next.
func (e *cmpEnv) markbotComments(t *testing.T) []githubtest.Comment {
	t.Helper()
	pr, _ := e.gh.PullRequest(e.pr)
	var out []githubtest.Comment
	for _, c := range pr.Comments {
		if m, ok := compare.ParseMarker(c.Body); ok && m.Head.String() == cmpHead {
			out = append(out, c)
		}
	}
	return out
}

func mutationSummaries(calls []githubtest.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Method+" "+c.Path)
	}
	return out
}

func countsText(m map[string]int) string {
	var ks []string
	for k, v := range m {
		ks = append(ks, fmt.Sprintf("%s ×%d", k, v))
	}
	sort.Strings(ks)
	return strings.Join(ks, "; ")
}

// TestComparePostsThenEditsThenRestsQuiet: the first run posts one comment
// mentioning the maintainers; a new head evaluation with one more
// regression edits that comment, mentioning only the new maintainer; a run
// with nothing new writes nothing. It also pins the API calls a report
// costs (docs/compare.md).
func TestComparePostsThenEditsThenRestsQuiet(t *testing.T) {
	e := newCmpEnv(t, true)

	out, errs := e.run(t, exitOK)
	if !strings.Contains(out, "2 regressions, 1 fix") || !strings.Contains(errs, "commented on NixOS/nixpkgs#1") {
		t.Fatalf("first run:\n%s\n%s", out, errs)
	}
	cs := e.markbotComments(t)
	if len(cs) != 1 || cs[0].Author != "markbot[bot]" {
		t.Fatalf("%d markbot comments after the first run", len(cs))
	}
	first := cs[0]
	for _, want := range []string{"### @alice, @bob-b", "### @grace-new", "| `hello` | x86_64-linux |", "error: hello does not compile",
		"**2 regressions**, **1 fix**", "### Fixed on `nixpkgs/staging-next`", "1 attribute failing on `nixpkgs/staging-next` only because a dependency failed"} {
		if !strings.Contains(first.Body, want) {
			t.Errorf("first comment lacks %q:\n%s", want, first.Body)
		}
	}
	if strings.Contains(first.Body, "old-login") {
		t.Error("mentioned the index's stale login instead of the current one")
	}
	hydraFirst, ghFirst := e.hydra.take(), e.gh.RequestCounts()
	// Hydra: latest-eval + its redirect per jobset, each evaluation's builds
	// once, and per regressed package's log the raw log, the drv log and the
	// binary cache (two regressions), and for "broke between" each
	// regression's newest success on head (neither ever built there: one
	// 404 each), and whose failure each regression's head build is (its
	// JSON: a status 1 is never copied from a dependency).
	if len(hydraFirst) != 2*2+2+2*3+2+2 {
		t.Errorf("first run: %d Hydra requests: %v", len(hydraFirst), hydraFirst)
	}
	if got := countsText(ghFirst); got != "GET /repos/{owner}/{repo}/issues/{number}/comments ×1; GET /user/{id} ×3; POST /repos/{owner}/{repo}/issues/{number}/comments ×1" {
		t.Errorf("first run GitHub requests: %s", got)
	}
	t.Logf("first report: %d Hydra requests, GitHub %s", len(hydraFirst), countsText(ghFirst))
	e.gh.ResetStats()

	// A new head evaluation: newreg (frank) regresses too.
	// Hydra reuses the builds of unchanged derivations (same ids).
	again := cmpBuilds(20000, 200, "nixpkgs", "staging-next", e.headJobs)
	again[3] = cmpBuilds(21003, 201, "nixpkgs", "staging-next", []cmpJob{{"newreg", "x86_64-linux", 1}})[0]
	e.head.AddEval(201, 1767229000, again...)
	_, errs = e.run(t, exitOK)
	if !strings.Contains(errs, "updated the comment") {
		t.Fatalf("second run: %s", errs)
	}
	cs = e.markbotComments(t)
	if len(cs) != 1 || cs[0].ID != first.ID {
		t.Fatalf("second run: %d markbot comments (want the first one edited)", len(cs))
	}
	second := cs[0].Body
	if !strings.Contains(second, "### @frank") || !strings.Contains(second, "### `alice`, `bob-b`") ||
		strings.Contains(second, "@alice") || strings.Contains(second, "@grace-new") || !strings.Contains(second, "**3 regressions**") {
		t.Errorf("second version must mention frank only:\n%s", second)
	}
	if !strings.Contains(second, "](https://github.com/NixOS/nixpkgs/compare/") {
		t.Errorf("second version lacks newreg's broke-between link:\n%s", second)
	}
	m, _ := compare.ParseMarker(second)
	if m.HeadEval != 201 || m.Mentioned.Len() != 4 || !m.Mentioned.Has("id:1006") || !m.Mentioned.Has("id:1001") {
		t.Errorf("second marker %+v", m)
	}
	if got := mutationSummaries(e.gh.Mutations()); len(got) != 1 || !strings.HasPrefix(got[0], "PATCH ") {
		t.Errorf("second run mutations: %v", got)
	}
	hydraSecond, ghSecond := e.hydra.take(), e.gh.RequestCounts()
	// Base's evaluation and the two known logs come from the caches: the
	// new head evaluation and one new log are read, and newreg's range
	// (it built in evaluation 200: its newest success and the evaluation
	// holding it, each a redirect, and the failing build; the first bad
	// evaluation is the new one, whose revision is known). The two known
	// ranges come from the range cache; newreg's build is asked about (the
	// others' answers are cached by their stop time).
	if len(hydraSecond) != 2*2+1+3+5+1 {
		t.Errorf("second run: %d Hydra requests: %v", len(hydraSecond), hydraSecond)
	}
	// GitHub is asked to count newreg's range once: the fake has no such
	// revisions (404), which the range cache remembers, so the third run
	// does not ask again.
	if got := countsText(ghSecond); got != "GET /repos/{owner}/{repo}/compare/{basehead} ×1; GET /repos/{owner}/{repo}/issues/{number}/comments ×1; GET /user/{id} ×1; PATCH /repos/{owner}/{repo}/issues/comments/{id} ×1" {
		t.Errorf("second run GitHub requests: %s", got)
	}
	t.Logf("updated report: %d Hydra requests, GitHub %s", len(hydraSecond), countsText(ghSecond))
	e.gh.ResetStats()

	// Nothing new: no write at all.
	_, errs = e.run(t, exitOK)
	if !strings.Contains(errs, "nothing written") {
		t.Errorf("third run: %s", errs)
	}
	if muts := e.gh.Mutations(); len(muts) != 0 {
		t.Errorf("an unchanged report wrote: %v", mutationSummaries(muts))
	}
	hydraThird, ghThird := e.hydra.take(), e.gh.RequestCounts()
	if len(hydraThird) != 2*2 {
		t.Errorf("third run: %d Hydra requests: %v", len(hydraThird), hydraThird)
	}
	if got := countsText(ghThird); got != "GET /repos/{owner}/{repo}/issues/{number}/comments ×1" {
		t.Errorf("third run GitHub requests: %s", got)
	}
	t.Logf("unchanged report: %d Hydra requests, GitHub %s", len(hydraThird), countsText(ghThird))
	if cs := e.markbotComments(t); cs[0].Body != second {
		t.Error("the comment changed")
	}
}

// TestCompareBadInput: an unknown jobset, an evaluation still in progress
// and Hydra errors end with a clear message and exit 1, before anything is
// asked of GitHub.
func TestCompareBadInput(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(e *cmpEnv)
		args  []string
		want  string
	}{
		{"unknown jobset", nil, []string{"--head", "nixpkgs/nope"},
			"nixpkgs/nope: no such jobset on this Hydra: GET "},
		{"evaluation still in progress", func(e *cmpEnv) {
			e.head = hydratest.NewStatic("nixpkgs", "staging-next")
			e.head.AddEval(200, 1767225800, cmpBuilds(20000, 200, "nixpkgs", "staging-next", []cmpJob{{"hello", "x86_64-linux", -1}})...)
			e.hydra.fakes[1] = hydratest.New(e.head)
		}, nil, "nixpkgs/staging-next: no finished evaluation yet: the newest, 200, is still in progress (compare needs a finished one)"},
		// (5xx answers are retried for minutes; internal/compare's tests
		// cover them with a fast client.)
		{"Hydra refuses", func(e *cmpEnv) {
			e.hydra.fakes[1].Inject("/eval/200", hydratest.Fault{Kind: hydratest.FaultStatus, Status: 403, Times: 10, PageOnly: true})
		}, nil, "nixpkgs/staging-next: evaluation 200: GET "},
		{"Hydra answers nonsense", func(e *cmpEnv) {
			e.hydra.fakes[0].Inject("/jobset/nixpkgs/unstable/latest-eval", hydratest.Fault{Kind: hydratest.FaultHTML, Times: 10})
		}, nil, "nixpkgs/unstable: newest finished evaluation: GET "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newCmpEnv(t, true)
			if tc.setup != nil {
				tc.setup(e)
			}
			_, errs := e.run(t, exitError, tc.args...)
			if !strings.Contains(errs, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, errs)
			}
			if n := e.gh.Requests(); n != 0 {
				t.Errorf("%d GitHub requests: %s", n, countsText(e.gh.RequestCounts()))
			}
			if len(e.markbotComments(t)) != 0 {
				t.Error("posted")
			}
		})
	}
}

func TestCompareUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--head", cmpHead},
		{"--base", cmpBase},
		{"--base", cmpBase, "--head", cmpBase},
		{"--base", cmpBase, "--head", "staging-next"},
		{"--base", cmpBase, "--head", cmpHead, "--format", "yaml"},
		{"--base", cmpBase, "--head", cmpHead, "--post", "NixOS/nixpkgs"},
		{"--base", cmpBase, "--head", cmpHead, "--ping", "everyone"},
		{"--base", cmpBase, "--head", cmpHead, "extra"},
	} {
		var out, errb bytes.Buffer
		if code := realMain(append([]string{"compare"}, args...), &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", args, code, exitUsage, errb.String())
		}
	}
	// --post without a token.
	t.Setenv("MARKBOT_GITHUB_TOKEN", "")
	t.Setenv("MARKBOT_HYDRA_CONTACT", "test@example.org")
	var out, errb bytes.Buffer
	if code := realMain([]string{"compare", "--base", cmpBase, "--head", cmpHead, "--post", "NixOS/nixpkgs#1"}, &out, &errb); code != exitError ||
		!strings.Contains(errb.String(), "MARKBOT_GITHUB_TOKEN") {
		t.Errorf("no token: exit %d: %s", code, errb.String())
	}
}

// The three formats without posting (no GitHub at all).
func TestCompareFormats(t *testing.T) {
	e := newCmpEnv(t, false)
	out, _ := e.run(t, exitOK, "--format", "json")
	var doc struct {
		Schema      int `json:"schema"`
		Regressions []struct {
			Attr    string   `json:"attr"`
			LogTail []string `json:"log_tail"`
		} `json:"regressions"`
		DependencyFailures []struct{ Attr string } `json:"dependency_failures"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if doc.Schema != 1 || len(doc.Regressions) != 2 || doc.Regressions[0].Attr != "hello" || len(doc.Regressions[0].LogTail) != 2 ||
		len(doc.DependencyFailures) != 1 || doc.DependencyFailures[0].Attr != "orphan" {
		t.Errorf("JSON: %+v", doc)
	}
	out, _ = e.run(t, exitOK, "--format", "markdown", "--max-logs", "0")
	if !strings.Contains(out, "### @alice, @bob-b") || !strings.Contains(out, "### @old-login") || strings.Contains(out, "<details>") {
		t.Errorf("markdown (index logins, no logs):\n%s", out)
	}
	if _, ok := compare.ParseMarker(out); !ok {
		t.Error("markdown without a marker")
	}
	out, _ = e.run(t, exitOK)
	if !strings.HasPrefix(out, "2 regressions, 1 fix in nixpkgs/staging-next (evaluation 200) compared to nixpkgs/unstable (evaluation 100)") ||
		!strings.Contains(out, "regression  renamed") {
		t.Errorf("table:\n%s", out)
	}
}

// A report over GitHub's size limit is shortened, not rejected, and the
// full JSON is written where the comment says.
func TestCompareShortensLargeReports(t *testing.T) {
	e := newCmpEnv(t, true)
	var baseJobs, headJobs []cmpJob
	for i := range 900 {
		a := fmt.Sprintf("python313Packages.package-with-a-rather-long-name-%03d", i)
		baseJobs = append(baseJobs, cmpJob{a, "x86_64-linux", 0})
		headJobs = append(headJobs, cmpJob{a, "x86_64-linux", 1})
	}
	e.base.AddEval(101, 1767225750, cmpBuilds(30000, 101, "nixpkgs", "unstable", baseJobs)...)
	e.head.AddEval(202, 1767225850, cmpBuilds(40000, 202, "nixpkgs", "staging-next", headJobs)...)
	jsonOut := filepath.Join(t.TempDir(), "full.json")
	_, errs := e.run(t, exitOK, "--json-out", jsonOut, "--max-logs", "0")
	if !strings.Contains(errs, "the full report is in "+jsonOut) {
		t.Errorf("stderr: %s", errs)
	}
	cs := e.markbotComments(t)
	if len(cs) != 1 || len(cs[0].Body) > compare.CommentLimit || !strings.Contains(cs[0].Body, "The full report (JSON): `"+jsonOut+"`") {
		t.Fatalf("%d comments; body %d bytes", len(cs), len(cs[0].Body))
	}
	data, err := os.ReadFile(jsonOut)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Regressions []json.RawMessage `json:"regressions"`
	}
	if err := json.Unmarshal(data, &doc); err != nil || len(doc.Regressions) != 900 {
		t.Errorf("full report: %d regressions, %v", len(doc.Regressions), err)
	}
}
