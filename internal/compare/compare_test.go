package compare

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

func entriesText(es []Entry) string {
	var parts []string
	for _, e := range es {
		parts = append(parts, e.Attr+":"+strings.Join(e.SystemNames(), ","))
	}
	return strings.Join(parts, " ")
}

// describe summarises a result in one line for table tests.
func describe(r Result) string {
	return fmt.Sprintf("reg[%s] fix[%s] still=%d dep[%s] new[%s] onlybase=%d inconclusive=%d jobs=%d/%d",
		entriesText(r.Regressions), entriesText(r.Fixes), r.StillFailing, entriesText(r.DependencyFailures),
		entriesText(r.NewFailing), r.OnlyBase, r.Inconclusive, r.Base.Jobs, r.Head.Jobs)
}

const (
	x86  = "x86_64-linux"
	arm  = "aarch64-linux"
	xdar = "x86_64-darwin"
	adar = "aarch64-darwin"
)

// TestCompareScenarios runs each scenario through Run against two fake
// Hydra jobsets at one URL, as markbot compare does.
func TestCompareScenarios(t *testing.T) {
	for _, tc := range []struct {
		name       string
		base, head []job
		want       string
	}{
		{"regression",
			[]job{{"hello", x86, 0}, {"hello", arm, 0}}, []job{{"hello", x86, 1}, {"hello", arm, 0}},
			"reg[hello:x86_64-linux] fix[] still=0 dep[] new[] onlybase=0 inconclusive=0 jobs=2/2"},
		{"regression with output (status 6) on two systems, in policy order",
			[]job{{"hello", arm, 0}, {"hello", x86, 0}}, []job{{"hello", arm, 6}, {"hello", x86, 1}},
			"reg[hello:x86_64-linux,aarch64-linux] fix[] still=0 dep[] new[] onlybase=0 inconclusive=0 jobs=2/2"},
		{"fix",
			[]job{{"fixme", x86, 1}}, []job{{"fixme", x86, 0}},
			"reg[] fix[fixme:x86_64-linux] still=0 dep[] new[] onlybase=0 inconclusive=0 jobs=1/1"},
		{"both failing",
			[]job{{"hello", x86, 1}}, []job{{"hello", x86, 6}},
			"reg[] fix[] still=1 dep[] new[] onlybase=0 inconclusive=0 jobs=1/1"},
		{"dependency failure is never a regression",
			[]job{{"hello", x86, 0}, {"zlib-ng", x86, 0}}, []job{{"hello", x86, 2}, {"zlib-ng", x86, 1}},
			"reg[zlib-ng:x86_64-linux] fix[] still=0 dep[hello:x86_64-linux] new[] onlybase=0 inconclusive=0 jobs=2/2"},
		{"dependency failure on base then success is not a fix",
			[]job{{"hello", x86, 2}}, []job{{"hello", x86, 0}},
			"reg[] fix[] still=0 dep[] new[] onlybase=0 inconclusive=0 jobs=1/1"},
		{"job only in head",
			[]job{{"hello", x86, 0}}, []job{{"hello", x86, 0}, {"newpkg", x86, 1}},
			"reg[] fix[] still=0 dep[] new[newpkg:x86_64-linux] onlybase=0 inconclusive=0 jobs=1/2"},
		{"job only in base",
			[]job{{"hello", x86, 0}, {"oldpkg", x86, 1}}, []job{{"hello", x86, 0}},
			"reg[] fix[] still=0 dep[] new[] onlybase=1 inconclusive=0 jobs=2/1"},
		{"system added on head",
			[]job{{"hello", x86, 0}}, []job{{"hello", x86, 1}, {"hello", adar, 1}},
			"reg[hello:x86_64-linux] fix[] still=0 dep[] new[hello:aarch64-darwin] onlybase=0 inconclusive=0 jobs=1/2"},
		{"transient failures, log limits, unsupported and non-deterministic are no regressions",
			[]job{{"a", x86, 0}, {"b", x86, 0}, {"c", x86, 0}, {"d", x86, 0}, {"e", x86, 0}},
			[]job{{"a", x86, 3}, {"b", x86, 7}, {"c", x86, 10}, {"d", x86, 9}, {"e", x86, 12}},
			"reg[] fix[] still=0 dep[] new[] onlybase=0 inconclusive=5 jobs=5/5"},
		{"aggregates, NixOS tests and other systems are not packages",
			[]job{{"unstable", "", 0}, {"nixos.tests.foo", x86, 0}, {"hello", "i686-linux", 0}},
			[]job{{"unstable", "", 1}, {"nixos.tests.foo", x86, 1}, {"hello", "i686-linux", 1}},
			"reg[] fix[] still=0 dep[] new[] onlybase=0 inconclusive=0 jobs=0/0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.base, tc.head)
			out, err := Run(context.Background(), w.deps(t, t.TempDir()), defaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			if got := describe(out.Report.Result); got != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
			if out.Report.Base.Eval != baseEvalID || out.Report.Head.Eval != headEvalID {
				t.Errorf("evaluations %d, %d", out.Report.Base.Eval, out.Report.Head.Eval)
			}
		})
	}
}

// The pure comparison with a policy counting log limits as own failures.
func TestCompareLogLimitPolicy(t *testing.T) {
	rec := func(job, sys string, st hydra.Status, id int64) hydra.Record {
		return hydra.Record{Job: job + "." + sys, System: sys, Status: st, Build: id}
	}
	base := failures.Evaluation{ID: 1, Records: []hydra.Record{rec("a", x86, 0, 1), rec("b", x86, 0, 2)}}
	head := failures.Evaluation{ID: 2, Records: []hydra.Record{rec("a", x86, 10, 3), rec("b", x86, 11, 4)}}
	p := failures.DefaultPolicy()
	p.IncludeLogLimit = true
	got := describe(Compare(base, head, baseJobset, headJobset, p))
	want := "reg[a:x86_64-linux] fix[] still=0 dep[] new[] onlybase=0 inconclusive=1 jobs=2/2"
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	r := Compare(base, head, baseJobset, headJobset, p)
	if r.Share() != 0.5 || r.RegressedJobs() != 1 {
		t.Errorf("share %v, regressed jobs %d", r.Share(), r.RegressedJobs())
	}
}

func TestParseJobsetAndTarget(t *testing.T) {
	for s, ok := range map[string]bool{"nixpkgs/staging-next": true, "nixpkgs": false, "a/b/c": false, "/b": false,
		"a/": false, "a/b--c": false, "a/b c": false, "a/.x": false, "nix_pkgs/python-updates.2": true} {
		if _, got := ParseJobset(s); got != ok {
			t.Errorf("ParseJobset(%q) ok = %v", s, got)
		}
	}
	for s, ok := range map[string]bool{"NixOS/nixpkgs#123": true, "NixOS/nixpkgs": false, "NixOS#1": false,
		"NixOS/nixpkgs#0": false, "NixOS/nixpkgs#x": false, "a/b/c#1": false, "/b#1": false} {
		if _, got := ParseTarget(s); got != ok {
			t.Errorf("ParseTarget(%q) ok = %v", s, got)
		}
	}
}
