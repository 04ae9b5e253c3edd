package bot

import (
	"context"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// bts builds BuildTimes from seconds; a negative number is a reused build.
func bts(secs ...int64) []failures.BuildTime {
	var out []failures.BuildTime
	for i, s := range secs {
		bt := failures.BuildTime{Eval: int64(i + 1), Build: int64(100 + i), Seconds: s}
		if s < 0 {
			bt.Seconds, bt.Reused = -s, true
		}
		out = append(out, bt)
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestSavingsArithmetic(t *testing.T) {
	const rate = 14.0 // evaluations per week
	for _, tc := range []struct {
		name    string
		marker  state.Marker
		times   map[string][]failures.SystemFailure
		want    float64 // hours per week of the package
		unknown bool
	}{
		{"every evaluation rebuilds",
			state.Marker{Attr: "a", State: state.Merged},
			map[string][]failures.SystemFailure{"a": {{System: "x86_64-linux", BuildTimes: bts(3600, 3600)}}},
			14, false},
		{"half reused: half the rebuilds, mean of the rebuilt only",
			state.Marker{Attr: "a", State: state.Merged},
			map[string][]failures.SystemFailure{"a": {{System: "x86_64-linux", BuildTimes: bts(1800, -99999, 5400, -99999)}}},
			3600.0 * 0.5 * rate / 3600, false},
		{"summed over systems",
			state.Marker{Attr: "a", State: state.Merged},
			map[string][]failures.SystemFailure{"a": {
				{System: "x86_64-linux", BuildTimes: bts(360)},
				{System: "aarch64-darwin", BuildTimes: bts(720)},
			}},
			(360.0 + 720) * rate / 3600, false},
		{"only the systems the marker covers",
			state.Marker{Attr: "a", State: state.Merged, Systems: []string{"aarch64-darwin"}},
			map[string][]failures.SystemFailure{"a": {
				{System: "x86_64-linux", BuildTimes: bts(360)},
				{System: "aarch64-darwin", BuildTimes: bts(720)},
			}},
			720.0 * rate / 3600, false},
		{"summed over the attributes sharing the derivation",
			state.Marker{Attr: "p312.r", Attrs: []string{"p312.r", "p313.r"}, State: state.Probing, Systems: []string{"x86_64-linux"}},
			map[string][]failures.SystemFailure{
				"p312.r": {{System: "x86_64-linux", BuildTimes: bts(600, -600)}},
				"p313.r": {{System: "x86_64-linux", BuildTimes: bts(1200)}},
			},
			(600.0*0.5 + 1200) * rate / 3600, false},
		{"unknown durations count as rebuilt, not in the mean",
			state.Marker{Attr: "a", State: state.Merged},
			map[string][]failures.SystemFailure{"a": {{System: "x86_64-linux", BuildTimes: bts(0, 3600)}}},
			3600.0 * rate / 3600, false},
		{"all reused: nothing spent",
			state.Marker{Attr: "a", State: state.Reverting},
			map[string][]failures.SystemFailure{"a": {{System: "x86_64-linux", BuildTimes: bts(-600, -600)}}},
			0, false},
		{"no build times: unknown",
			state.Marker{Attr: "a", State: state.Merged},
			map[string][]failures.SystemFailure{"b": {{System: "x86_64-linux", BuildTimes: bts(600)}}},
			0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := Savings([]state.Marker{tc.marker}, tc.times, rate)
			if len(rep.Packages) != 1 {
				t.Fatalf("%d packages", len(rep.Packages))
			}
			p := rep.Packages[0]
			if !near(p.HoursPerWeek, tc.want) || p.Unknown != tc.unknown {
				t.Errorf("hours %v unknown %v, want %v %v (%+v)", p.HoursPerWeek, p.Unknown, tc.want, tc.unknown, p.PerSystem)
			}
			if !near(rep.Total, tc.want) || rep.IfMerged != 0 {
				t.Errorf("total %v if merged %v, want %v 0", rep.Total, rep.IfMerged, tc.want)
			}
		})
	}
}

func TestSavingsStatesAndOrder(t *testing.T) {
	one := func(secs int64) []failures.SystemFailure {
		return []failures.SystemFailure{{System: "x86_64-linux", BuildTimes: bts(secs)}}
	}
	times := map[string][]failures.SystemFailure{"a": one(3600), "b": one(7200), "c": one(1800), "d": one(3600), "e": one(3600)}
	markers := []state.Marker{
		{Attr: "a", State: state.Merged},
		{Attr: "b", State: state.Proposed},
		{Attr: "c", State: state.Reverting},
		{Attr: "d", State: state.Reverted},
		{Attr: "e", State: state.HumanOwned},
	}
	rep := Savings(markers, times, 7)
	var order []string
	for _, p := range rep.Packages {
		order = append(order, p.Attr)
	}
	if !slices.Equal(order, []string{"b", "a", "c"}) {
		t.Errorf("packages %v, want b a c (most hours first; final states left out)", order)
	}
	if !near(rep.Total, 7+3.5) || !near(rep.IfMerged, 14) {
		t.Errorf("total %v if merged %v, want 10.5 and 14", rep.Total, rep.IfMerged)
	}
	if !rep.Packages[0].Proposed() || rep.Packages[1].Proposed() {
		t.Errorf("proposed flags wrong")
	}
}

func TestEvaluationsPerWeek(t *testing.T) {
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	ev := func(days ...float64) []failures.Evaluation {
		var out []failures.Evaluation
		for i, d := range days {
			out = append(out, failures.Evaluation{ID: int64(10 - i), Time: t0.Add(time.Duration(d * 24 * float64(time.Hour)))})
		}
		return out
	}
	for _, tc := range []struct {
		name string
		h    []failures.Evaluation
		want float64
		ok   bool
	}{
		{"daily", ev(3, 2, 1, 0), 7, true},
		{"four over fifteen days", ev(15, 10, 5, 0), 3 / (15.0 / 7), true},
		{"any order", ev(0, 7, 14), 1, true},
		{"one", ev(0), 0, false},
		{"no span", ev(1, 1), 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := EvaluationsPerWeek(tc.h)
			if !near(got, tc.want) || ok != tc.ok {
				t.Errorf("got %v %v, want %v %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// rec is a record of attr on system with status, lasting secs (0: unknown).
func rec(attr, system string, status hydra.Status, build, secs int64) hydra.Record {
	r := hydra.Record{Job: attr + "." + system, System: system, Status: status, Build: build}
	if secs > 0 {
		r.Seconds, r.Stop = int32(secs), 1000+secs
	}
	return r
}

func TestFailingBuildTimesWalksHistory(t *testing.T) {
	p := failures.DefaultPolicy()
	t0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	const lx, dw = "x86_64-linux", "aarch64-darwin"
	// Oldest first: e1 success; e2, e3 fail (e3 reuses e2's build); e4
	// depends on a failure (no evidence); e5 has no job (marked: gone).
	history := []failures.Evaluation{
		{ID: 1, Time: t0, Records: []hydra.Record{rec("a", lx, 0, 10, 100), rec("a", dw, 1, 50, 400)}},
		{ID: 2, Time: t0.Add(24 * time.Hour), Records: []hydra.Record{rec("a", lx, 1, 11, 600), rec("a", dw, 1, 51, 0)}},
		{ID: 3, Time: t0.Add(48 * time.Hour), Records: []hydra.Record{rec("a", lx, 1, 11, 600), rec("b", lx, 1, 70, 60)}},
		{ID: 4, Time: t0.Add(72 * time.Hour), Records: []hydra.Record{rec("a", lx, 2, 12, 0)}},
		{ID: 5, Time: t0.Add(96 * time.Hour), Records: []hydra.Record{rec("c", lx, 0, 80, 60)}},
	}
	res, err := failures.Detect(history, p)
	if err != nil {
		t.Fatal(err)
	}
	got := FailingBuildTimes(history, res, []string{"a", "c"}, p)
	if _, ok := got["c"]; ok {
		t.Errorf("c builds: no failing times expected, got %+v", got["c"])
	}
	a := got["a"]
	if len(a) != 2 || a[0].System != lx || a[1].System != dw {
		t.Fatalf("a: %+v", a)
	}
	want := []failures.BuildTime{{Eval: 2, Build: 11, Seconds: 600}, {Eval: 3, Build: 11, Seconds: 600, Reused: true}}
	if !slices.Equal(a[0].BuildTimes, want) {
		t.Errorf("a on linux: %+v, want %+v", a[0].BuildTimes, want)
	}
	want = []failures.BuildTime{{Eval: 1, Build: 50, Seconds: 400}, {Eval: 2, Build: 51}}
	if !slices.Equal(a[1].BuildTimes, want) {
		t.Errorf("a on darwin: %+v, want %+v", a[1].BuildTimes, want)
	}

	// The report over this history: 4 intervals in 4 days = 7/week.
	rep, err := SavingsFromHistory([]state.Marker{{Attr: "a", State: state.Merged}}, history, p)
	if err != nil {
		t.Fatal(err)
	}
	// linux: 600 s × 1/2 × 7; darwin: 400 s × 2/2 × 7.
	if w := (300.0 + 400) * 7 / 3600; !near(rep.Total, w) {
		t.Errorf("total %v, want %v", rep.Total, w)
	}
}

func TestFailingBuildTimesPrefersDetection(t *testing.T) {
	// An attribute detection still reports takes detection's per-system
	// times as they are.
	res := failures.Result{Failures: []failures.Failure{{Attr: "a", PerSystem: []failures.SystemFailure{{System: "x86_64-linux", BuildTimes: bts(42)}}}}}
	got := FailingBuildTimes(nil, res, []string{"a"}, failures.DefaultPolicy())
	if len(got["a"]) != 1 || got["a"][0].BuildTimes[0].Seconds != 42 {
		t.Errorf("got %+v", got)
	}
}

type fakeDetails map[int64]*hydra.Build

func (f fakeDetails) BuildDetail(_ context.Context, _ *hydra.Cache, id int64) (*hydra.Build, error) {
	if b, ok := f[id]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("no build %d", id)
}

// The evaluation page has no start times: durations come from /build/N,
// for the newest rebuilt builds only, within a budget.
func TestFillBuildSeconds(t *testing.T) {
	bt := func(build int64, secs int64, reused bool) failures.BuildTime {
		return failures.BuildTime{Build: build, Seconds: secs, Reused: reused}
	}
	times := map[string][]failures.SystemFailure{
		"a": {{System: "x86_64-linux", BuildTimes: []failures.BuildTime{bt(1, 0, false), bt(2, 0, false), bt(2, 0, true), bt(3, 0, false), bt(4, 0, false)}}},
		"b": {{System: "x86_64-linux", BuildTimes: []failures.BuildTime{bt(9, 0, false)}}},
	}
	d := fakeDetails{}
	for id := int64(1); id <= 4; id++ {
		d[id] = &hydra.Build{ID: id, StartTime: 100, StopTime: 100 + 60*id}
	}
	asked, err := FillBuildSeconds(context.Background(), d, nil, times, 2, 10)
	if err != nil || asked != 3 {
		t.Fatalf("asked %d, %v; want a's two newest rebuilt builds and b's one (unknown to Hydra)", asked, err)
	}
	got := times["a"][0].BuildTimes
	if got[4].Seconds != 240 || got[3].Seconds != 180 || got[1].Seconds != 0 || got[0].Seconds != 0 || times["b"][0].BuildTimes[0].Seconds != 0 {
		t.Errorf("filled %+v / %+v", got, times["b"])
	}
	if asked, _ := FillBuildSeconds(context.Background(), d, nil, times, 5, 1); asked != 1 {
		t.Errorf("budget 1: asked %d", asked)
	}
}
