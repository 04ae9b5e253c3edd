// The "broke between" step of Run: for each regression on each system,
// where it started on the head jobset (internal/breaks), looked up on
// Hydra's per-job history within Options.Lookback requests.

package compare

import (
	"context"

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
		known, err := breaks.LoadKnown(o.RangeCache)
		if err != nil {
			d.Log.WithError(err).Warn("broke-between cache unreadable: looking ranges up again")
		}
		f.Known = known
		defer func() {
			if f.Spent() > 0 {
				if err := breaks.SaveKnown(o.RangeCache, f.Known); err != nil {
					d.Log.WithError(err).Warn("broke-between cache not saved")
				}
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
	return nil
}
