package compare

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
)

// memGitHub is an in-memory GitHub for Run's posting logic; the end-to-end
// tests in cmd/markbot use internal/githubtest.
type memGitHub struct {
	comments []Comment
	logins   map[int64]string
	writes   []string
	lookups  int
	self     string
}

func (g *memGitHub) Comments(_ context.Context, _, _ string, _ int) ([]Comment, error) {
	return append([]Comment(nil), g.comments...), nil
}

func (g *memGitHub) CreateComment(_ context.Context, _, _ string, _ int, body string) (Comment, error) {
	c := Comment{ID: int64(len(g.comments) + 1), Author: g.self, Body: body}
	g.comments = append(g.comments, c)
	g.writes = append(g.writes, fmt.Sprintf("create %d", c.ID))
	return c, nil
}

func (g *memGitHub) EditComment(_ context.Context, _, _ string, id int64, body string) (Comment, error) {
	for i := range g.comments {
		if g.comments[i].ID == id {
			g.comments[i].Body = body
			g.writes = append(g.writes, fmt.Sprintf("edit %d", id))
			return g.comments[i], nil
		}
	}
	return Comment{}, fmt.Errorf("no comment %d", id)
}

func (g *memGitHub) Login(_ context.Context, id int64) (string, error) {
	g.lookups++
	return g.logins[id], nil
}

var regressionJobs = struct{ base, head []job }{
	[]job{{"hello", x86, 0}, {"renamed", x86, 0}, {"python313Packages.foo", x86, 0}},
	[]job{{"hello", x86, 1}, {"renamed", x86, 1}, {"python313Packages.foo", x86, 1}},
}

func TestRunPosting(t *testing.T) {
	w := newWorld(t, regressionJobs.base, regressionJobs.head)
	d := w.deps(t, t.TempDir())
	// alice's account is gone; carol is known.
	gh := &memGitHub{self: "markbot[bot]", logins: map[int64]string{1002: "bob-b", 1003: "carol", 1007: "grace"}}
	d.GitHub = gh
	// A comment by someone else carrying the same marker is not markbot's.
	gh.comments = []Comment{{ID: 99, Author: "mallory", Body: Marker{Base: baseJobset, Head: headJobset, Version: 1}.String()}}
	o := defaultOptions()
	o.Post = &Target{"NixOS", "nixpkgs", 1}
	o.Author = "markbot[bot]"
	o.Ping.Exclude = "bob-b"
	out, err := Run(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	if out.Action != ActionCreated || strings.Join(gh.writes, ",") != "create 2" {
		t.Fatalf("action %s, writes %v", out.Action, gh.writes)
	}
	body := gh.comments[1].Body
	for _, want := range []string{"### `alice`, `bob-b`", "### @carol, @NixOS/python", "### @grace"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	m, _ := ParseMarker(body)
	// The deleted account is recorded as done (never looked up again); the
	// excluded login is not mentioned at all.
	if !m.Mentioned.Has("id:1001") || m.Mentioned.Has("id:1002") || !m.Mentioned.Has("id:1007") || !m.Mentioned.Has("team:python") {
		t.Errorf("recorded mentions: %+v", m.Mentioned)
	}
	if strings.Contains(body, "@alice") {
		t.Error("mentioned a deleted account")
	}
	if gh.lookups != 3 { // alice, carol, grace: bob-b is excluded before any lookup
		t.Errorf("%d login lookups", gh.lookups)
	}

	// Same evaluations: nothing to write, no lookups.
	gh.lookups = 0
	out, err = Run(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	if out.Action != ActionUnchanged || len(gh.writes) != 1 || gh.lookups != 0 {
		t.Errorf("rerun: %s, writes %v, %d lookups", out.Action, gh.writes, gh.lookups)
	}

	// Ping none: a different policy, same content: still nothing to write.
	o.Ping.None = true
	if out, err = Run(context.Background(), d, o); err != nil || out.Action != ActionUnchanged {
		t.Errorf("ping none rerun: %v, %v", out.Action, err)
	}

	// Skipped when head has nothing newer than the last evaluation seen.
	o.AfterHeadEval = headEvalID
	if out, err = Run(context.Background(), d, o); err != nil || !out.Skipped {
		t.Errorf("AfterHeadEval: %+v, %v", out, err)
	}
}

// Hydra errors are reported, naming the jobset and evaluation, before any
// GitHub call.
func TestRunHydraErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(w *world)
		want  string
	}{
		{"5xx until the retries run out", func(w *world) {
			w.headFake.Inject("/eval/200", hydratest.Fault{Kind: hydratest.FaultStatus, Times: 5, PageOnly: true})
		}, "nixpkgs/staging-next: evaluation 200: giving up after 2 attempts: GET "},
		{"a body cut short, twice", func(w *world) {
			w.baseFake.Inject("/eval/100", hydratest.Fault{Kind: hydratest.FaultTruncate, Times: 5, After: 50, PageOnly: true})
		}, "nixpkgs/unstable: evaluation 100: "},
		{"invalid JSON", func(w *world) {
			w.baseFake.Inject("/jobset/nixpkgs/unstable/latest-eval", hydratest.Fault{Kind: hydratest.FaultInvalidJSON, Times: 5})
		}, "nixpkgs/unstable: newest finished evaluation: "},
		{"a 429 is waited out", func(w *world) {
			w.headFake.Inject("/jobset/nixpkgs/staging-next/latest-eval", hydratest.Fault{Kind: hydratest.FaultRateLimit, RetryAfter: 0})
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, regressionJobs.base, regressionJobs.head)
			tc.fault(w)
			d := w.deps(t, t.TempDir())
			gh := &memGitHub{}
			d.GitHub = gh
			o := defaultOptions()
			o.Post = &Target{"NixOS", "nixpkgs", 1}
			_, err := Run(context.Background(), d, o)
			if tc.want == "" {
				if err != nil || len(gh.writes) != 1 {
					t.Fatalf("%v, writes %v", err, gh.writes)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if len(gh.writes) != 0 || gh.lookups != 0 {
				t.Errorf("GitHub was used: %v", gh.writes)
			}
			if entries, _ := os.ReadDir(d.Cache.Dir()); len(entries) > 1 {
				t.Errorf("cache holds %d files after a failed fetch", len(entries))
			}
		})
	}
}

// unfinishedHydra says the newest finished evaluation is one whose builds
// turn out unfinished (Hydra's latest-eval and its builds disagree while
// builds are being restarted).
type unfinishedHydra struct{ Hydra }

func (u unfinishedHydra) LatestEval(context.Context, string, string) (hydra.Eval, error) {
	return hydra.Eval{ID: 7}, nil
}

func (u unfinishedHydra) Ingest(context.Context, *hydra.Cache, hydra.Eval) (bool, error) {
	return false, &hydra.UnfinishedError{Eval: 7, Unfinished: 12}
}

func TestRunUnfinishedEvaluation(t *testing.T) {
	w := newWorld(t, nil, nil)
	d := w.deps(t, t.TempDir())
	d.Hydra = unfinishedHydra{d.Hydra}
	_, err := Run(context.Background(), d, defaultOptions())
	if err == nil || err.Error() != "nixpkgs/staging-next: evaluation 7 is still in progress (12 builds unfinished): compare needs a finished one" {
		t.Errorf("error %v", err)
	}
}

// Logs: fetched at most MaxLogs, cached per build, and a log Hydra cannot
// serve is counted, not fatal.
func TestRunLogs(t *testing.T) {
	w := newWorld(t, regressionJobs.base, regressionJobs.head)
	dir := t.TempDir()
	d := w.deps(t, dir)
	o := defaultOptions()
	o.LogCache = filepath.Join(dir, "logs")
	o.MaxLogs = 2
	w.headFake.Inject("/build/20000/log/raw", hydratest.Fault{Kind: hydratest.FaultStatus, Status: 404})
	out, err := Run(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range out.Report.Sections {
		for _, p := range s.Packages {
			got = append(got, fmt.Sprintf("%s:%d", p.Attr, len(p.LogTail)))
		}
	}
	// Sections: hello (alice, bob-b), python313Packages.foo (carol, team),
	// renamed (grace): hello's log is refused, foo's is read, renamed is
	// past MaxLogs.
	if strings.Join(got, " ") != "hello:0 python313Packages.foo:4 renamed:0" || out.LogErrors != 1 {
		t.Errorf("log tails %v, %d errors", got, out.LogErrors)
	}
	before := w.mux.Requests()
	if _, err := Run(context.Background(), d, o); err != nil {
		t.Fatal(err)
	}
	// Cached evaluations and foo's cached log: latest-eval ×2 with
	// redirects, and hello's log asked again (3 requests: a 404 is not
	// cached).
	if n := w.mux.Requests() - before; n != 4+3 {
		t.Errorf("rerun: %d Hydra requests", n)
	}
}
