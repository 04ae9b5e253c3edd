// The "broke between" step of Run: for each regression on each system,
// where it started on the head jobset (internal/breaks), looked up on
// Hydra's per-job history within Options.Lookback requests.

package compare

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/nixpkgs-markbot/markbot/internal/breaks"
	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

// findRanges fills the BrokeBetween of the regressions' systems, in
// section order (the packages shown first get their ranges first). A
// regression compares one evaluation of each jobset, so the range always
// comes from Hydra: the job's newest success on head, and the first head
// evaluation after it holding the failing build. A request that fails
// leaves that range unknown (logged); only a cancelled context stops Run.
func findRanges(ctx context.Context, d Deps, o Options, headEval hydra.Eval, rep *Report) error {
	bh, ok := d.Hydra.(breaks.Hydra)
	if !ok || o.Lookback <= 0 {
		return nil
	}
	f := &breaks.Finder{Hydra: bh, Budget: o.Lookback}
	if o.RangeCache != "" {
		var err error
		if f, err = breaks.Open(o.RangeCache, bh, o.Lookback); err != nil {
			d.Log.WithError(err).Warn("broke-between cache unreadable: looking ranges up again")
		}
		defer func() {
			if err := f.Save(); err != nil {
				d.Log.WithError(err).Warn("broke-between cache not saved")
			}
		}()
	}
	revs := map[int64]string{}
	if rev := headEval.NixpkgsRevision(); rev != "" {
		revs[headEval.ID] = rev
	}
	for i := range rep.Sections {
		for j := range rep.Sections[i].Packages {
			p := &rep.Sections[i].Packages[j]
			for k := range p.Systems {
				sd := &p.Systems[k]
				if sd.Head == nil {
					continue
				}
				sf := failures.SystemFailure{System: sd.System, Job: sd.Job, Build: sd.Head.ID, FirstFailingEval: headEval.ID}
				r, found, err := f.Find(ctx, o.Head.Project, o.Head.Name, sf, revs)
				if err != nil {
					if ctx.Err() != nil {
						return ctx.Err()
					}
					d.Log.WithError(err).WithField("job", sd.Job).Warn("broke between unknown")
					continue
				}
				if found {
					sd.BrokeBetween = r
				}
			}
		}
	}
	if f.Spent() > 0 {
		d.Log.WithField("requests", f.Spent()).Info("looked back on Hydra for broke-between ranges")
	}
	if f.Commits == nil {
		f.Commits = map[string]int{}
	}
	countCommits(ctx, d, rep, f.Commits)
	return nil
}

// CommitCounter counts the commits between two nixpkgs revisions (the
// adapter FromGitHub makes: GitHub's compare API). Run counts the ranges
// it found when its GitHub is one (with --post).
type CommitCounter interface {
	CountCommits(ctx context.Context, owner, repo, base, head string) (int, error)
}

// MaxCommitCounts bounds the compare requests of one report (equal ranges
// are asked once); a range past it, or one GitHub cannot compare, is shown
// without a count.
const MaxCommitCounts = 10

// countCommits counts the report's ranges (those in known first: a count
// never changes; -1 there is a range GitHub could not compare, 404 or 422,
// not asked again), at most MaxCommitCounts requests.
func countCommits(ctx context.Context, d Deps, rep *Report, known map[string]int) {
	cc, ok := d.GitHub.(CommitCounter)
	if !ok {
		return
	}
	owner, repo, _ := strings.Cut(NixpkgsRepo, "/")
	asked := 0
	for i := range rep.Sections {
		for j := range rep.Sections[i].Packages {
			p := &rep.Sections[i].Packages[j]
			for k := range p.Systems {
				br := p.Systems[k].BrokeBetween
				if !br.Known() {
					continue
				}
				key := br.Good.Revision + "..." + br.Bad.Revision
				n, seen := known[key]
				if !seen {
					if asked >= MaxCommitCounts || ctx.Err() != nil {
						continue
					}
					asked++
					var err error
					if n, err = cc.CountCommits(ctx, owner, repo, br.Good.Revision, br.Bad.Revision); err != nil {
						d.Log.WithError(err).Info("no commit count for a broke-between range")
						var er *github.ErrorResponse
						if !errors.As(err, &er) || er.Response == nil ||
							(er.Response.StatusCode != http.StatusNotFound && er.Response.StatusCode != http.StatusUnprocessableEntity) {
							continue // asked again next time
						}
						n = -1
					}
					known[key] = n
				}
				p.Systems[k].Commits = max(n, 0)
			}
		}
	}
}
