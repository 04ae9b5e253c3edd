package bot

import (
	"cmp"
	"context"
	"slices"
	"sort"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// SystemSavings is what one attribute's failing builds cost on one system.
type SystemSavings struct {
	Attr   string
	System string
	// Evaluations is how many evaluations of the failing streak are known
	// (BuildTimes), Rebuilt how many of them built it again (not reused).
	Evaluations int
	Rebuilt     int
	// MeanSeconds is the mean duration of the rebuilt failing builds whose
	// duration Hydra reports (0 when none does).
	MeanSeconds float64
	// HoursPerWeek = MeanSeconds × Rebuilt/Evaluations × evaluations per
	// week / 3600.
	HoursPerWeek float64
}

// PackageSavings is one marker's savings: the sum over its attributes and
// the systems it covers.
type PackageSavings struct {
	Attr    string
	Attrs   []string
	State   state.MarkerState
	Systems []string // the systems the marker covers (empty: all)
	// PerSystem holds one entry per attribute × covered system with known
	// failing builds, by attribute then system.
	PerSystem    []SystemSavings
	HoursPerWeek float64
	// Unknown is true when no failing build of the package is in the
	// history read: its savings are not counted (they are not zero).
	Unknown bool
}

// Proposed reports whether the marker is only proposed (its PR is open):
// its savings are what merging it would save.
func (p PackageSavings) Proposed() bool { return p.State == state.Proposed }

// SavingsReport is the build time Hydra no longer spends on marked packages.
type SavingsReport struct {
	EvaluationsPerWeek float64
	// Packages, most hours first, then by attribute.
	Packages []PackageSavings
	// Total is the hours per week of the markers in force (merged, probing,
	// reverting); IfMerged those of the proposed ones.
	Total    float64
	IfMerged float64
}

// Savings estimates, per marker and in total, the build-hours per week that
// Hydra no longer spends because of markbot's markers.
//
// The model: each evaluation Hydra makes of a jobset builds the jobs whose
// derivation it has not built before; a failing package costs, on each
// system, the duration of its failing build every time an evaluation
// rebuilds it. So per attribute and system,
//
//	hours/week = mean duration of the non-reused failing builds
//	           × share of the evaluations of the failing streak that rebuilt it
//	           × evaluations per week / 3600
//
// summed over the marker's attributes and the systems it covers (all
// systems with failing builds when it covers every system). times gives
// each attribute's failing builds per system (failures.SystemFailure
// BuildTimes: seconds per evaluation, Reused when Hydra did not build it
// again); evalsPerWeek is the jobset's evaluation rate (EvaluationsPerWeek).
//
// Limits, by design: dependents that Hydra stops building (they fail as
// "dependency failed" while the package is broken, and disappear with it
// once it is marked) are not counted, although marking saves their
// evaluation too; builds whose duration Hydra does not report (no start or
// stop time) count as rebuilt but not in the mean; the rate and the
// durations are those of the history read, not of the future; the time
// Hydra's queue runner and evaluator spend besides building (fetching,
// uploading, evaluating the attribute) is not counted; a package with no
// failing build in the history read is reported as unknown and adds
// nothing. Markers in state proposed are reported apart ("if merged"); the
// final states (reverted, dropped, human-owned) save nothing markbot owns
// and are left out.
func Savings(markers []state.Marker, times map[string][]failures.SystemFailure, evalsPerWeek float64) SavingsReport {
	rep := SavingsReport{EvaluationsPerWeek: evalsPerWeek}
	for _, m := range markers {
		if m.State.Final() {
			continue
		}
		ps := PackageSavings{Attr: m.Attr, Attrs: attrsOf(m), State: m.State, Systems: m.Systems}
		for _, a := range ps.Attrs {
			for _, sf := range times[a] {
				if len(m.Systems) > 0 && !slices.Contains(m.Systems, sf.System) {
					continue
				}
				ss := systemSavings(a, sf, evalsPerWeek)
				if ss.Evaluations == 0 {
					continue
				}
				ps.PerSystem = append(ps.PerSystem, ss)
				ps.HoursPerWeek += ss.HoursPerWeek
			}
		}
		ps.Unknown = len(ps.PerSystem) == 0
		if ps.Proposed() {
			rep.IfMerged += ps.HoursPerWeek
		} else {
			rep.Total += ps.HoursPerWeek
		}
		rep.Packages = append(rep.Packages, ps)
	}
	slices.SortStableFunc(rep.Packages, func(a, b PackageSavings) int {
		if c := cmp.Compare(b.HoursPerWeek, a.HoursPerWeek); c != 0 {
			return c
		}
		return cmp.Compare(a.Attr, b.Attr)
	})
	return rep
}

func systemSavings(attr string, sf failures.SystemFailure, evalsPerWeek float64) SystemSavings {
	ss := SystemSavings{Attr: attr, System: sf.System, Evaluations: len(sf.BuildTimes)}
	var sum float64
	var timed int
	for _, bt := range sf.BuildTimes {
		if bt.Reused {
			continue
		}
		ss.Rebuilt++
		if bt.Seconds > 0 {
			sum += float64(bt.Seconds)
			timed++
		}
	}
	if timed > 0 {
		ss.MeanSeconds = sum / float64(timed)
	}
	if ss.Evaluations > 0 {
		ss.HoursPerWeek = ss.MeanSeconds * float64(ss.Rebuilt) / float64(ss.Evaluations) * evalsPerWeek / 3600
	}
	return ss
}

func attrsOf(m state.Marker) []string {
	attrs := slices.Clone(m.Attrs)
	if !slices.Contains(attrs, m.Attr) {
		attrs = append(attrs, m.Attr)
	}
	sort.Strings(attrs)
	return attrs
}

// EvaluationsPerWeek is a jobset's evaluation rate over a history: the
// intervals between its evaluations divided by the time they span. ok is
// false with fewer than two evaluations or when they all have one time.
func EvaluationsPerWeek(history []failures.Evaluation) (rate float64, ok bool) {
	if len(history) < 2 {
		return 0, false
	}
	oldest, newest := history[0].Time, history[0].Time
	for _, e := range history[1:] {
		if e.Time.Before(oldest) {
			oldest = e.Time
		}
		if e.Time.After(newest) {
			newest = e.Time
		}
	}
	span := newest.Sub(oldest)
	if span <= 0 {
		return 0, false
	}
	return float64(len(history)-1) / (float64(span) / float64(week)), true
}

// FailingBuildTimes gives, for each of attrs, its failing builds per system
// as failures.SystemFailure (System, Job, BuildTimes). Attributes detection
// still reports (res: failures.Detect over history) take its PerSystem. A
// marked package is soon no longer built in the jobset, so detection drops
// it; for those the history is walked the way detection does: per job, from
// the newest evaluation that built it back to its last success, the
// evaluations where it failed on its own, oldest first, a build seen in an
// earlier of them counting as reused.
func FailingBuildTimes(history []failures.Evaluation, res failures.Result, attrs []string, p failures.Policy) map[string][]failures.SystemFailure {
	out := map[string][]failures.SystemFailure{}
	want := map[string]bool{}
	for _, a := range attrs {
		want[a] = true
	}
	for _, f := range res.Failures {
		if want[f.Attr] {
			out[f.Attr] = f.PerSystem
			delete(want, f.Attr)
		}
	}
	if len(want) == 0 {
		return out
	}
	evals := make([]*failures.Evaluation, len(history))
	for i := range history {
		evals[i] = &history[i]
	}
	sort.Slice(evals, func(i, j int) bool { return evals[i].ID > evals[j].ID })
	type key struct{ attr, system string }
	type obs struct {
		eval           int64
		build, seconds int64
		own, success   bool
	}
	hist := map[key][]obs{} // newest first
	for _, e := range evals {
		seen := map[key]bool{}
		for _, r := range e.Records {
			if !slices.Contains(p.Systems, r.System) {
				continue
			}
			attr, ok := nixpkgs.AttrFromJob(r.Job, r.System)
			if !ok || !want[attr] {
				continue
			}
			k := key{attr, r.System}
			if seen[k] {
				continue
			}
			seen[k] = true
			class := p.Classify(r.Status)
			hist[k] = append(hist[k], obs{eval: e.ID, build: r.Build, seconds: int64(r.Seconds),
				own: class == failures.ClassOwnFailure, success: class == failures.ClassSuccess})
		}
	}
	keys := make([]key, 0, len(hist))
	for k := range hist {
		keys = append(keys, k)
	}
	sysIndex := func(s string) int { return slices.Index(p.Systems, s) }
	slices.SortFunc(keys, func(a, b key) int {
		if c := cmp.Compare(a.attr, b.attr); c != 0 {
			return c
		}
		return cmp.Compare(sysIndex(a.system), sysIndex(b.system))
	})
	for _, k := range keys {
		var streak []obs
		for _, o := range hist[k] {
			if o.success {
				break
			}
			if o.own {
				streak = append(streak, o)
			}
		}
		if len(streak) == 0 {
			continue
		}
		sf := failures.SystemFailure{System: k.system, Build: streak[0].build, Evaluations: len(streak)}
		seen := map[int64]bool{}
		for i := len(streak) - 1; i >= 0; i-- {
			o := streak[i]
			bt := failures.BuildTime{Eval: o.eval, Build: o.build, Reused: seen[o.build], Seconds: o.seconds}
			seen[o.build] = true
			sf.BuildTimes = append(sf.BuildTimes, bt)
		}
		out[k.attr] = append(out[k.attr], sf)
	}
	return out
}

// SavingsFromHistory reads the savings of markers off a jobset's history:
// detection (failures.Detect) for the failing builds, the history's
// timestamps for the evaluation rate. A mass breakage in the newest
// evaluation does not matter here: the history walk covers every marker.
func SavingsFromHistory(markers []state.Marker, history []failures.Evaluation, p failures.Policy) (SavingsReport, error) {
	return SavingsWithDetails(context.Background(), markers, history, p, nil, nil)
}

// SavingsDurationsPerSystem and SavingsDurationBudget bound what
// SavingsWithDetails asks Hydra: the newest 3 rebuilt failing builds of each
// marked attribute and system, 200 requests a report (about 3½ minutes at
// hydra.nixos.org's polite rate; the build answers that succeeded are
// cached).
const (
	SavingsDurationsPerSystem = 3
	SavingsDurationBudget     = 200
)

// SavingsWithDetails is SavingsFromHistory that first asks h (when not nil)
// for the durations the history lacks (FillBuildSeconds).
func SavingsWithDetails(ctx context.Context, markers []state.Marker, history []failures.Evaluation, p failures.Policy, h BuildDetailer, cache *hydra.Cache) (SavingsReport, error) {
	res, err := failures.Detect(history, p)
	if err != nil {
		return SavingsReport{}, err
	}
	if res.MassBreakage != nil {
		res.Failures = nil
	}
	var attrs []string
	for _, m := range markers {
		attrs = append(attrs, attrsOf(m)...)
	}
	rate, _ := EvaluationsPerWeek(history)
	times := FailingBuildTimes(history, res, attrs, p)
	if h != nil {
		if _, err := FillBuildSeconds(ctx, h, cache, times, SavingsDurationsPerSystem, SavingsDurationBudget); err != nil {
			return SavingsReport{}, err
		}
	}
	return Savings(markers, times, rate), nil
}

// week is the unit of the savings rate.
const week = 7 * 24 * time.Hour

// BuildDetailer gives one build's details (*hydra.Client).
type BuildDetailer interface {
	BuildDetail(ctx context.Context, cache *hydra.Cache, id int64) (*hydra.Build, error)
}

// FillBuildSeconds asks Hydra for the durations the history does not hold
// (the evaluation page shows no start time): for each attribute and system,
// the newest perSystem rebuilt failing builds with no duration, at most
// budget requests in all. It returns how many builds it asked for; a build
// Hydra cannot describe stays without a duration (the mean leaves it out).
func FillBuildSeconds(ctx context.Context, h BuildDetailer, cache *hydra.Cache, times map[string][]failures.SystemFailure, perSystem, budget int) (asked int, err error) {
	attrs := make([]string, 0, len(times))
	for a := range times {
		attrs = append(attrs, a)
	}
	sort.Strings(attrs)
	for _, a := range attrs {
		for si := range times[a] {
			sf := &times[a][si]
			filled := 0
			for i := len(sf.BuildTimes) - 1; i >= 0 && filled < perSystem; i-- {
				bt := &sf.BuildTimes[i]
				if bt.Reused {
					continue
				}
				if bt.Seconds > 0 {
					filled++
					continue
				}
				if asked >= budget {
					return asked, nil
				}
				asked++
				b, err := h.BuildDetail(ctx, cache, bt.Build)
				if err != nil {
					if ctx.Err() != nil {
						return asked, ctx.Err()
					}
					continue
				}
				if d := b.StopTime - b.StartTime; b.StartTime > 0 && d > 0 {
					bt.Seconds = d
					filled++
				}
			}
		}
	}
	return asked, nil
}
