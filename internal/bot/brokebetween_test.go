package bot

import (
	"context"
	"io"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
)

type recordingPublisher struct{ changes []prs.Change }

func (p *recordingPublisher) Publish(_ context.Context, changes []prs.Change) (*prs.Result, error) {
	p.changes = append(p.changes, changes...)
	return &prs.Result{}, nil
}

// staticHydra serves s behind hydratest's model of hydra.nixos.org's front
// end for the test's lifetime: the front end (its request counts), a
// client of it, the URL and a silent logger.
func staticHydra(t *testing.T, s *hydratest.Static) (*hydratest.FrontEnd, *hydra.Client, string, *logrus.Logger) {
	t.Helper()
	front := hydratest.HydraNixosOrg(hydratest.New(s), hydratest.FrontEndOptions{Rate: 200})
	srv := httptest.NewServer(front)
	t.Cleanup(srv.Close)
	log := logrus.New()
	log.SetOutput(io.Discard)
	hc, err := hydra.New(hydra.Options{BaseURL: srv.URL, Rate: 100, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return front, hc, srv.URL, log
}

// TestCycleBrokeBetween: the changes a cycle publishes carry where each
// failure started. foo built in evaluation 2 of the three read (from the
// history, no request); bar last built in evaluation 1, before them (a
// lookup on Hydra, within Lookback); baz never built (unknown, also with
// budget left); with Lookback 0, bar stays unknown too.
func TestCycleBrokeBetween(t *testing.T) {
	const sys = "x86_64-linux"
	drv := func(c byte, name string) string { return strings.Repeat(string(c), 32) + "-" + name }
	s := hydratest.NewStatic("nixpkgs", "unstable")
	barOK := hydratest.B(10, "bar."+sys, sys, 0, drv('a', "bar-1"), 10, 20)
	barBad := hydratest.B(11, "bar."+sys, sys, 1, drv('b', "bar-2"), 110, 120)
	fooOK := hydratest.B(20, "foo."+sys, sys, 0, drv('c', "foo-1"), 10, 20)
	fooBad := hydratest.B(21, "foo."+sys, sys, 1, drv('d', "foo-2"), 310, 320)
	fooBad2 := hydratest.B(22, "foo."+sys, sys, 1, drv('e', "foo-3"), 410, 420)
	baz := hydratest.B(30, "baz."+sys, sys, 1, drv('f', "baz-1"), 10, 20)
	day := int64(86400)
	s.AddEval(1, 1*day, barOK, fooOK, baz).
		AddEval(2, 10*day, barBad, fooOK, baz).
		AddEval(3, 20*day, barBad, fooBad, baz).
		AddEval(4, 30*day, barBad, fooBad2, baz)
	_, hc, hydraURL, log := staticHydra(t, s)
	idx := fakeIndex{"foo": pkg("foo", "pkgs/foo.nix:3"), "bar": pkg("bar", "pkgs/bar.nix:3"), "baz": pkg("baz", "pkgs/baz.nix:3")}
	index := func(context.Context, *hydra.EvalRecords) (Index, error) { return idx, nil }
	pol := failures.DefaultPolicy()
	pol.Evaluations, pol.MinDays, pol.MinDerivations = 2, 1, 1
	for _, tt := range []struct {
		lookback int
		want     map[string]string // attr → "goodEval..badEval" or "unknown"
	}{
		{40, map[string]string{"foo": "2..3 exact", "bar": "1..2", "baz": "unknown"}},
		{0, map[string]string{"foo": "2..3 exact", "bar": "unknown", "baz": "unknown"}},
	} {
		cache, _ := hydra.OpenCache(t.TempDir(), hydraURL)
		pub := &recordingPublisher{}
		_, err := Cycle(context.Background(), hc, index, pub, Options{Project: "nixpkgs", Jobset: "unstable", Evaluations: 3,
			Policy: pol, Cache: cache, Lookback: tt.lookback, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, c := range pub.changes {
			r := c.BrokeBetween
			switch {
			case r == nil:
				got[c.Attr()] = "unknown"
			case r.Good == "" || r.Bad == "" || r.Commits != -1:
				got[c.Attr()] = "malformed"
			default:
				got[c.Attr()] = strings.TrimSpace(strings.Join([]string{strconv.FormatInt(r.GoodEval, 10) + ".." + strconv.FormatInt(r.BadEval, 10), map[bool]string{true: "exact"}[r.Exact]}, " "))
			}
		}
		for attr, w := range tt.want {
			if got[attr] != w {
				t.Errorf("lookback %d: %s broke between %q, want %q (all: %v)", tt.lookback, attr, got[attr], w, got)
			}
		}
	}
}

// TestCycleKeepsRanges: with Options.RangeCache and LogCache, a range
// looked up once and a log tail read once are not asked for again by the
// next cycle (the PR is still open: the same change comes again); without
// them, every cycle asks Hydra again.
func TestCycleKeepsRanges(t *testing.T) {
	const sys = "x86_64-linux"
	drv := func(c byte, name string) string { return strings.Repeat(string(c), 32) + "-" + name }
	s := hydratest.NewStatic("nixpkgs", "unstable")
	barOK := hydratest.B(10, "bar."+sys, sys, 0, drv('a', "bar-1"), 10, 20)
	barBad := hydratest.B(11, "bar."+sys, sys, 1, drv('b', "bar-2"), 110, 120)
	barBad.Log = "building bar\nerror: bar failed\n"
	ok := hydratest.B(20, "ok."+sys, sys, 0, drv('c', "ok-1"), 10, 20)
	day := int64(86400)
	s.AddEval(1, 1*day, barOK, ok).AddEval(2, 10*day, barBad, ok).AddEval(3, 20*day, barBad, ok).AddEval(4, 30*day, barBad, ok)
	front, hc, hydraURL, log := staticHydra(t, s)
	idx := fakeIndex{"bar": pkg("bar", "pkgs/bar.nix:3")}
	index := func(context.Context, *hydra.EvalRecords) (Index, error) { return idx, nil }
	pol := failures.DefaultPolicy()
	pol.Evaluations, pol.MinDays, pol.MinDerivations = 2, 1, 1
	cache, _ := hydra.OpenCache(t.TempDir(), hydraURL)
	for _, tt := range []struct {
		rangeCache, logCache string
		want                 []int // job lookups and log reads in each of two cycles
	}{
		{"", "", []int{1, 1}},
		{filepath.Join(t.TempDir(), "broke-between.json"), t.TempDir(), []int{1, 0}},
	} {
		for i, want := range tt.want {
			jobs, logs := front.Stats().Requests["job"], front.Stats().Requests["build/log"]
			pub := &recordingPublisher{}
			if _, err := Cycle(context.Background(), hc, index, pub, Options{Project: "nixpkgs", Jobset: "unstable", Evaluations: 3,
				Policy: pol, Cache: cache, Lookback: 40, RangeCache: tt.rangeCache, LogCache: tt.logCache, Log: log}); err != nil {
				t.Fatal(err)
			}
			if n := front.Stats().Requests["job"] - jobs; n != want || len(pub.changes) != 1 || pub.changes[0].BrokeBetween == nil {
				t.Errorf("range cache %q, cycle %d: %d job lookups (want %d), changes %+v", tt.rangeCache, i+1, n, want, pub.changes)
			}
			if n := front.Stats().Requests["build/log"] - logs; n != want || len(pub.changes) != 1 || len(pub.changes[0].LogTail) == 0 {
				t.Errorf("log cache %q, cycle %d: %d log reads (want %d), changes %+v", tt.logCache, i+1, n, want, pub.changes)
			}
		}
	}
}
