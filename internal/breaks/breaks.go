// Package breaks finds, for a persistent failure, the revisions it broke
// between: the last evaluation in which the job built and the first in
// which it failed, with their nixpkgs revisions and a GitHub compare link.
//
// From the evaluations markbot read when they reach back far enough (no
// request at all), else from the job's history on Hydra, within a stated
// number of requests per cycle. Unknown stays unknown: nothing is guessed.
package breaks

import (
	"context"
	"fmt"
	"slices"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

// Point is one evaluation and its nixpkgs revision.
type Point struct {
	Eval     int64
	Revision string
}

// Range is where a failure started: Good is the newest evaluation in which
// the job built, Bad the first in which it failed. When Exact is false,
// Bad is the oldest failing evaluation markbot could find, so the break is
// somewhere in Good..Bad but possibly before Bad's revision. The zero Range
// (Good.Eval 0) is unknown.
type Range struct {
	Good, Bad Point
	Exact     bool
}

// Known reports whether both ends are known with their revisions.
func (r Range) Known() bool {
	return r.Good.Eval > 0 && r.Bad.Eval > 0 && ValidRevision(r.Good.Revision) && ValidRevision(r.Bad.Revision)
}

// ValidRevision reports whether s is a git object name as Hydra records a
// nixpkgs input's revision (lower-case hex, 7 to 64 digits). Revisions come
// from Hydra and go into URLs and markdown: anything else is unknown.
func ValidRevision(s string) bool {
	if len(s) < 7 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// CompareURL is the GitHub compare view of the range in repo ("OWNER/REPO"),
// "" when the range is unknown.
func (r Range) CompareURL(repo string) string {
	if !r.Known() {
		return ""
	}
	return fmt.Sprintf("https://github.com/%s/compare/%s...%s", repo, r.Good.Revision, r.Bad.Revision)
}

func (r Range) String() string {
	if !r.Known() {
		return "unknown"
	}
	s := fmt.Sprintf("between %.12s (evaluation %d) and %.12s (evaluation %d)", r.Good.Revision, r.Good.Eval, r.Bad.Revision, r.Bad.Eval)
	if !r.Exact {
		s += ", or earlier"
	}
	return s
}

// Revisions maps evaluation ids to nixpkgs revisions, from the history read.
func Revisions(history []*hydra.EvalRecords) map[int64]string {
	out := make(map[int64]string, len(history))
	for _, er := range history {
		if er.Revision != "" {
			out[er.Eval] = er.Revision
		}
	}
	return out
}

// FromHistory is the range the history read gives, without any request:
// known when the history holds the job's last success before the streak.
func FromHistory(sf failures.SystemFailure, revs map[int64]string) (Range, bool) {
	if sf.LastSuccess == nil || revs[sf.LastSuccess.Eval] == "" || revs[sf.FirstFailingEval] == "" {
		return Range{}, false
	}
	return Range{
		Good:  Point{sf.LastSuccess.Eval, revs[sf.LastSuccess.Eval]},
		Bad:   Point{sf.FirstFailingEval, revs[sf.FirstFailingEval]},
		Exact: true,
	}, true
}

// Hydra is what looking further back needs (*hydra.Client).
type Hydra interface {
	LatestSuccess(ctx context.Context, project, jobset, job string) (*hydra.Build, error)
	LatestEvalOf(ctx context.Context, buildID int64) (hydra.Eval, bool, error)
	Build(ctx context.Context, id int64) (*hydra.Build, error)
	Eval(ctx context.Context, id int64) (hydra.Eval, error)
}

// RequestsPerLookup is the most HTTP requests one lookup on Hydra makes:
// the job's newest success and the newest evaluation holding it (two
// requests each: Hydra answers both with a redirect, which the client
// follows within its rate limit), the oldest failing build known (its
// evaluations), and that evaluation (its revision).
const RequestsPerLookup = 6

// DefaultLookback is the requests a cycle (or a scan, a compare) spends by
// default on ranges the evaluations read do not reach: six lookups, 20 s
// at hydra.nixos.org's 2 requests a second.
const DefaultLookback = 40

// Finder looks ranges up on Hydra when the history is too short, spending
// at most Budget requests (RequestsPerLookup each) over its life: make one
// per cycle. Results are kept in Known (by jobset, job and oldest failing
// build), which the caller may persist: a range, once found, does not
// change while the failure lasts.
type Finder struct {
	Hydra  Hydra
	Budget int
	Known  map[string]Range
	// Commits are the commits GitHub counted in a range, by
	// "GOOD...BAD" (-1: GitHub cannot compare them); kept with Known.
	Commits map[string]int
	spent   int
	// path is the file Open read Known and Commits from, and Save
	// writes them to ("": not kept); commits is len(Commits) when read.
	path    string
	commits int
}

// Spent is how many requests the finder made.
func (f *Finder) Spent() int { return f.spent }

// Key identifies one failure's range.
func Key(project, jobset string, sf failures.SystemFailure) string {
	return fmt.Sprintf("%s/%s/%s/%d", project, jobset, sf.Job, oldestFailing(sf))
}

// oldestFailing is the oldest failing build of the streak markbot saw.
func oldestFailing(sf failures.SystemFailure) int64 {
	if len(sf.BuildTimes) > 0 {
		return sf.BuildTimes[0].Build
	}
	return sf.Build
}

// Find returns the range of one system's failure: from the history, from
// Known, or from Hydra while the budget lasts. It reports false, without
// error, when the range stays unknown (no budget left, the job never
// built, Hydra no longer holds the evaluations).
func (f *Finder) Find(ctx context.Context, project, jobset string, sf failures.SystemFailure, revs map[int64]string) (Range, bool, error) {
	if r, ok := FromHistory(sf, revs); ok {
		return r, true, nil
	}
	key := Key(project, jobset, sf)
	if r, ok := f.Known[key]; ok {
		return r, r.Known(), nil
	}
	if f.Hydra == nil || f.spent+RequestsPerLookup > f.Budget {
		return Range{}, false, nil
	}
	r, err := f.lookup(ctx, project, jobset, sf, revs)
	if err != nil {
		return Range{}, false, err
	}
	if f.Known == nil {
		f.Known = map[string]Range{}
	}
	f.Known[key] = r
	return r, r.Known(), nil
}

func (f *Finder) lookup(ctx context.Context, project, jobset string, sf failures.SystemFailure, revs map[int64]string) (Range, error) {
	r := Range{}
	f.spent += 2 // /job/…/latest and the build it redirects to
	good, err := f.Hydra.LatestSuccess(ctx, project, jobset, sf.Job)
	if err != nil || good == nil {
		return r, err // never built: unknown
	}
	f.spent += 2 // /build/N/eval and the evaluation it redirects to
	ge, ok, err := f.Hydra.LatestEvalOf(ctx, good.ID)
	if err != nil || !ok {
		return r, err
	}
	r.Good = Point{ge.ID, ge.NixpkgsRevision()}
	// The first bad evaluation: the first evaluation after Good holding
	// the oldest failing build markbot knows. An earlier failing
	// derivation may have come between (Exact false).
	f.spent++
	fb, err := f.Hydra.Build(ctx, oldestFailing(sf))
	if err != nil {
		return Range{}, err
	}
	evals := slices.Clone(fb.JobsetEvals)
	slices.Sort(evals)
	i := slices.IndexFunc(evals, func(id int64) bool { return id > ge.ID })
	if i < 0 {
		return Range{}, nil
	}
	bad := evals[i]
	r.Bad = Point{Eval: bad, Revision: revs[bad]}
	if r.Bad.Revision == "" {
		f.spent++
		be, err := f.Hydra.Eval(ctx, bad)
		if err != nil {
			return Range{}, err
		}
		r.Bad.Revision = be.NixpkgsRevision()
	}
	// Another failing derivation may lie between Good and Bad: Exact stays
	// false, and the range says "or earlier".
	return r, nil
}
