// Package compare owns `markbot compare`: what a wide-impact branch
// (staging-next, python-updates) breaks compared to master, before it
// merges. It compares the newest finished evaluation of two Hydra jobsets
// per attribute and system (a pure function, Compare), renders the report
// (markdown for a GitHub comment, a table, JSON), and posts it as one
// comment on a pull request or issue that later runs edit, pinging each
// maintainer once (Run, behind the narrow Hydra and GitHub interfaces
// declared here).
package compare

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/breaks"
	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
)

// Jobset names a Hydra jobset.
type Jobset struct{ Project, Name string }

func (j Jobset) String() string { return j.Project + "/" + j.Name }

// ParseJobset reads "project/jobset".
func ParseJobset(s string) (Jobset, bool) {
	p, j, ok := strings.Cut(s, "/")
	if !ok || !validName(p) || !validName(j) {
		return Jobset{}, false
	}
	return Jobset{p, j}, true
}

// validName: Hydra's project and jobset names ([a-zA-Z0-9_.-], not
// starting with a dot); nothing here can end an HTML comment.
func validName(s string) bool {
	if s == "" || s[0] == '.' || s[0] == '-' || strings.Contains(s, "--") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// Build is one job's build in one evaluation.
type Build struct {
	ID     int64
	Status hydra.Status
	// Stop is when it finished, as the evaluation page says (Unix time; 0
	// unknown): what Run's confirmation step keys its cached answers on.
	Stop int64 `json:"-"`
}

// SystemDiff is one attribute on one system, in both evaluations (Base is
// nil when the job is only in head, Head when only in base).
type SystemDiff struct {
	System string
	Job    string // head's job name (base's when only in base)
	Base   *Build
	Head   *Build
	// BrokeBetween, for a regression, is where it started on head: the
	// last head evaluation in which the job built and the first in which
	// it failed (the zero Range: unknown). Run fills it (ranges.go).
	BrokeBetween breaks.Range
	// Commits is the number of commits in BrokeBetween as GitHub counts
	// them (0: not counted).
	Commits int
}

// Entry is one attribute with the systems where it belongs to a category
// (regressed, fixed, …), in policy system order.
type Entry struct {
	Attr    string
	Systems []SystemDiff
}

// SystemNames lists the entry's systems.
func (e Entry) SystemNames() []string {
	out := make([]string, len(e.Systems))
	for i, s := range e.Systems {
		out[i] = s.System
	}
	return out
}

// EvalRef is one side of the comparison.
type EvalRef struct {
	Jobset Jobset
	Eval   int64
	Time   time.Time
	// Jobs is the number of package jobs (attribute × system, on the
	// policy's systems) in the evaluation.
	Jobs int
}

// Result is the comparison of two evaluations. Counts are of jobs
// (attribute × system); the lists group them per attribute, sorted.
type Result struct {
	Base, Head EvalRef
	// Regressions: the package's own failure on head (failures.Policy's
	// own-failure statuses) where base built it successfully.
	Regressions []Entry
	// Fixes: an own failure on base, a success on head.
	Fixes []Entry
	// StillFailing counts jobs failing on their own in both.
	StillFailing int
	// DependencyFailures: failing on head only because a dependency failed
	// (status 2), whatever base did. Never a regression of that attribute.
	DependencyFailures []Entry
	// NewFailing: own failures on head of jobs base does not have (a new
	// package, or a system added on head). Not regressions: base never
	// built them.
	NewFailing []Entry
	// OnlyBase counts jobs base has and head does not (removed or renamed).
	OnlyBase int
	// Inconclusive counts jobs that built on base and neither built nor
	// failed on their own on head (aborted, timed out, …).
	Inconclusive int
	// Unconfirmed counts the regressions' jobs whose head build Hydra was
	// not asked about (whose failure it is: Run's confirmation step), or
	// did not answer for: listed as regressions, possibly a dependency's.
	Unconfirmed int
}

// RegressedJobs is the number of regressed jobs (attribute × system).
func (r *Result) RegressedJobs() int { return jobsIn(r.Regressions) }

// FixedJobs is the number of fixed jobs.
func (r *Result) FixedJobs() int { return jobsIn(r.Fixes) }

func jobsIn(es []Entry) int {
	n := 0
	for _, e := range es {
		n += len(e.Systems)
	}
	return n
}

// Share is the regressed jobs' share of head's jobs (0 for no jobs).
func (r *Result) Share() float64 {
	if r.Head.Jobs == 0 {
		return 0
	}
	return float64(r.RegressedJobs()) / float64(r.Head.Jobs)
}

type key struct{ attr, system string }

// jobsOf indexes an evaluation's package jobs on the policy's systems.
func jobsOf(ev failures.Evaluation, p failures.Policy) map[key]hydra.Record {
	m := make(map[key]hydra.Record, len(ev.Records))
	for _, r := range ev.Records {
		if len(p.Systems) > 0 && !slices.Contains(p.Systems, r.System) {
			continue
		}
		attr, ok := nixpkgs.AttrFromJob(r.Job, r.System)
		if !ok {
			continue // aggregates, NixOS tests
		}
		m[key{attr, r.System}] = r
	}
	return m
}

// Compare compares head's evaluation with base's under the policy's
// status classes and systems. It is pure.
func Compare(base, head failures.Evaluation, baseJobset, headJobset Jobset, p failures.Policy) Result {
	bj, hj := jobsOf(base, p), jobsOf(head, p)
	res := Result{
		Base: EvalRef{Jobset: baseJobset, Eval: base.ID, Time: base.Time, Jobs: len(bj)},
		Head: EvalRef{Jobset: headJobset, Eval: head.ID, Time: head.Time, Jobs: len(hj)},
	}
	regressions, fixes, deps, newFailing := map[string][]SystemDiff{}, map[string][]SystemDiff{}, map[string][]SystemDiff{}, map[string][]SystemDiff{}
	for k, h := range hj {
		hc := p.Classify(h.Status)
		d := SystemDiff{System: k.system, Job: h.Job, Head: &Build{ID: h.Build, Status: h.Status, Stop: h.Stop}}
		b, inBase := bj[k]
		var bc failures.Class
		if inBase {
			bc = p.Classify(b.Status)
			d.Base = &Build{ID: b.Build, Status: b.Status, Stop: b.Stop}
		}
		switch {
		case hc == failures.ClassDependency:
			deps[k.attr] = append(deps[k.attr], d)
		case hc == failures.ClassOwnFailure && !inBase:
			newFailing[k.attr] = append(newFailing[k.attr], d)
		case hc == failures.ClassOwnFailure && bc == failures.ClassSuccess:
			regressions[k.attr] = append(regressions[k.attr], d)
		case hc == failures.ClassOwnFailure && bc == failures.ClassOwnFailure:
			res.StillFailing++
		case hc == failures.ClassSuccess && inBase && bc == failures.ClassOwnFailure:
			fixes[k.attr] = append(fixes[k.attr], d)
		case hc != failures.ClassSuccess && hc != failures.ClassOwnFailure && inBase && bc == failures.ClassSuccess:
			res.Inconclusive++
		}
	}
	for k := range bj {
		if _, ok := hj[k]; !ok {
			res.OnlyBase++
		}
	}
	res.Regressions = entries(regressions, p.Systems)
	res.Fixes = entries(fixes, p.Systems)
	res.DependencyFailures = entries(deps, p.Systems)
	res.NewFailing = entries(newFailing, p.Systems)
	return res
}

// entries turns attr → systems into sorted entries, systems in the
// policy's order (unknown systems last, by name).
func entries(m map[string][]SystemDiff, systems []string) []Entry {
	out := make([]Entry, 0, len(m))
	rank := func(s string) int {
		if i := slices.Index(systems, s); i >= 0 {
			return i
		}
		return len(systems)
	}
	for attr, ds := range m {
		sort.Slice(ds, func(i, j int) bool {
			ri, rj := rank(ds[i].System), rank(ds[j].System)
			if ri != rj {
				return ri < rj
			}
			return ds[i].System < ds[j].System
		})
		out = append(out, Entry{Attr: attr, Systems: ds})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Attr < out[j].Attr })
	return out
}
