package bot

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

type fakeIndex map[string]nixpkgs.Package

func (ix fakeIndex) Lookup(attr string) (nixpkgs.Package, bool) {
	p, ok := ix[attr]
	return p, ok
}

func (ix fakeIndex) Revision() string { return "" }

func (ix fakeIndex) Attrs() []string {
	var out []string
	for a := range ix {
		out = append(out, a)
	}
	return out
}

func pkg(attr, pos string) nixpkgs.Package {
	file, line, _ := strings.Cut(pos, ":")
	var l int
	fmt.Sscan(line, &l)
	return nixpkgs.Package{Attr: attr, Position: pos, File: file, Line: l,
		Maintainers: []nixpkgs.Maintainer{{Name: "Alice", GitHub: "alice", GitHubID: 1}}}
}

var since = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func failure(attr string, systems ...string) failures.Failure {
	f := failures.Failure{Attr: attr, Systems: systems, FailingSince: since}
	for i, s := range systems {
		f.PerSystem = append(f.PerSystem, failures.SystemFailure{System: s, Job: attr + "." + s, Build: int64(100 + i)})
	}
	return f
}

// newest builds an evaluation's records from "attr.system" jobs.
func newest(jobs ...string) *hydra.EvalRecords {
	er := &hydra.EvalRecords{Eval: 1}
	for _, j := range jobs {
		i := strings.LastIndex(j, ".")
		er.Records = append(er.Records, hydra.Record{Job: j, System: j[i+1:]})
	}
	return er
}

func url(id int64) string { return fmt.Sprintf("https://hydra.nixos.org/build/%d", id) }

func TestMarkChanges(t *testing.T) {
	ix := fakeIndex{
		"hello":                     pkg("hello", "pkgs/by-name/he/hello/package.nix:40"),
		"python312Packages.foo":     pkg("python312Packages.foo", "pkgs/development/python-modules/foo/default.nix:30"),
		"python313Packages.foo":     pkg("python313Packages.foo", "pkgs/development/python-modules/foo/default.nix:30"),
		"unpositioned":              {Attr: "unpositioned"},
		"already":                   func() nixpkgs.Package { p := pkg("already", "pkgs/a.nix:3"); p.Broken = true; return p }(),
		"python312Packages.bar":     pkg("python312Packages.bar", "pkgs/development/python-modules/bar/default.nix:20"),
		"python313Packages.bar":     pkg("python313Packages.bar", "pkgs/development/python-modules/bar/default.nix:20"),
		"python312Packages.partial": pkg("python312Packages.partial", "pkgs/p.nix:9"),
		"python313Packages.partial": pkg("python313Packages.partial", "pkgs/p.nix:9"),
	}
	tests := []struct {
		why      string
		failures []failures.Failure
		newest   []string
		want     string // "file:line attrs systems" per change, "; "-joined
		skipped  string
	}{
		{
			why:      "a package failing on its own gets one change with its systems",
			failures: []failures.Failure{failure("hello", "x86_64-darwin", "aarch64-darwin")},
			newest:   []string{"hello.x86_64-darwin", "hello.aarch64-darwin", "hello.x86_64-linux"},
			want:     "pkgs/by-name/he/hello/package.nix:40 [hello] [x86_64-darwin aarch64-darwin] build 100",
		},
		{
			why:      "two attributes sharing a derivation, both failing: one change for both",
			failures: []failures.Failure{failure("python312Packages.foo", "x86_64-linux"), failure("python313Packages.foo", "x86_64-linux")},
			newest:   []string{"python312Packages.foo.x86_64-linux", "python313Packages.foo.x86_64-linux"},
			want:     "pkgs/development/python-modules/foo/default.nix:30 [python312Packages.foo python313Packages.foo] [x86_64-linux] build 100",
		},
		{
			why:      "a sibling that still builds on that system: marking the shared file would break it",
			failures: []failures.Failure{failure("python312Packages.bar", "x86_64-linux")},
			newest:   []string{"python312Packages.bar.x86_64-linux", "python313Packages.bar.x86_64-linux"},
			skipped:  "python312Packages.bar: shares its file with attributes that still build (python313Packages.bar on x86_64-linux)",
		},
		{
			why:      "a sibling failing on fewer systems narrows the marker to the common ones",
			failures: []failures.Failure{failure("python312Packages.partial", "x86_64-linux", "aarch64-linux"), failure("python313Packages.partial", "aarch64-linux")},
			newest:   []string{"python312Packages.partial.x86_64-linux", "python312Packages.partial.aarch64-linux", "python313Packages.partial.x86_64-linux", "python313Packages.partial.aarch64-linux"},
			want:     "pkgs/p.nix:9 [python312Packages.partial python313Packages.partial] [aarch64-linux] build 101",
		},
		{
			why:      "a sibling Hydra does not build does not count",
			failures: []failures.Failure{failure("python312Packages.bar", "x86_64-linux")},
			newest:   []string{"python312Packages.bar.x86_64-linux"},
			want:     "pkgs/development/python-modules/bar/default.nix:20 [python312Packages.bar python313Packages.bar] [x86_64-linux] build 100",
		},
		{
			why:      "not in the index, no position, or already broken there: nothing to edit",
			failures: []failures.Failure{failure("gone", "x86_64-linux"), failure("unpositioned", "x86_64-linux"), failure("already", "x86_64-linux")},
			skipped:  "gone: not in the packages index; unpositioned: the packages index has no meta.position for it; already: already broken in the packages index",
		},
	}
	for _, tt := range tests {
		t.Run(tt.why, func(t *testing.T) {
			changes, skipped := MarkChanges(failures.Result{Failures: tt.failures}, newest(tt.newest...), ix, url)
			var got []string
			for _, c := range changes {
				got = append(got, fmt.Sprintf("%s:%d %v %v build %d", c.File, c.Line, c.Attrs, c.Systems, c.BuildID))
				if c.BuildURL != url(c.BuildID) || c.Maintainers[0].GitHub != "alice" || !c.Since.Equal(since) {
					t.Errorf("change %+v: evidence or maintainers not carried over", c)
				}
			}
			var sk []string
			for _, s := range skipped {
				sk = append(sk, s.String())
			}
			if g := strings.Join(got, "; "); g != tt.want {
				t.Errorf("changes:\n got %s\nwant %s", g, tt.want)
			}
			if g := strings.Join(sk, "; "); g != tt.skipped {
				t.Errorf("skipped:\n got %s\nwant %s", g, tt.skipped)
			}
		})
	}
}

func TestMarkChangesMassBreakage(t *testing.T) {
	res := failures.Result{Failures: []failures.Failure{failure("hello", "x86_64-linux")}, MassBreakage: &failures.MassBreakage{}}
	if c, s := MarkChanges(res, nil, fakeIndex{}, url); c != nil || s != nil {
		t.Fatal("a mass breakage must propose nothing")
	}
}

func TestWithoutMarked(t *testing.T) {
	newest := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	changes := []prs.Change{{Attrs: []string{"a"}}, {Attrs: []string{"b"}}, {Attrs: []string{"p312.c", "p313.c"}}, {Attrs: []string{"d"}},
		{Attrs: []string{"e"}}, {Attrs: []string{"f"}}, {Attrs: []string{"g"}}}
	m := func(attr string, st state.MarkerState, updated time.Time) state.Marker {
		return state.Marker{Attr: attr, Attrs: []string{attr}, State: st, Updated: updated}
	}
	markers := []state.Marker{
		m("a", state.Reverted, newest.Add(time.Hour)),     // reverted after the newest evaluation: its evidence is stale
		m("b", state.Reverted, newest.Add(-24*time.Hour)), // reverted before: failing again since, a new failure
		{Attr: "p312.c", Attrs: []string{"p312.c", "p313.c"}, State: state.Reverted, Updated: newest.Add(time.Minute)},
		m("e", state.Reverting, newest.Add(-time.Hour)), // on master, its revert PR open (or merged, not synced yet)
		m("f", state.Merged, newest.Add(-time.Hour)),    // on master
		m("g", state.Dropped, newest.Add(time.Hour)),    // its mark PR was closed: prs' skips decide
	}
	kept, skipped := withoutMarked(slices.Clone(changes), nil, markers, newest, 42)
	var names []string
	for _, c := range kept {
		names = append(names, c.Attr())
	}
	if !slices.Equal(names, []string{"b", "d", "g"}) {
		t.Errorf("kept %v, want b d g", names)
	}
	var reasons []string
	for _, s := range skipped {
		reasons = append(reasons, s.String())
	}
	want := []string{
		"a: its marker was taken out on 2026-11-20, after evaluation 42: waiting for an evaluation that builds it again",
		"p312.c, p313.c: its marker was taken out on 2026-11-20, after evaluation 42: waiting for an evaluation that builds it again",
		"e: markbot's marker for it is on the base branch (reverting)",
		"f: markbot's marker for it is on the base branch (merged)",
	}
	if !slices.Equal(reasons, want) {
		t.Errorf("skipped:\n%s\nwant:\n%s", strings.Join(reasons, "\n"), strings.Join(want, "\n"))
	}
}
