// The evidence step "broke between": for each change of a cycle, the last
// evaluation in which its job built and the first in which it failed, with
// their nixpkgs revisions, for the PR body (internal/breaks).

package bot

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/breaks"
	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
)

// brokeBetween fills each change's BrokeBetween: from the history read
// (no request), else from Hydra's per-job history while o.Lookback lasts
// and h can look back (breaks.Hydra). A range not found stays nil
// (unknown). A request that fails leaves the range unknown too: the log
// says why, and the PR is not held back for it; only a cancelled cycle
// stops here.
func brokeBetween(ctx context.Context, h Hydra, records []*hydra.EvalRecords, res failures.Result, changes []prs.Change, o Options) error {
	log := o.Log
	if log == nil {
		log = logrus.StandardLogger()
	}
	revs := breaks.Revisions(records)
	f := &breaks.Finder{}
	if bh, ok := h.(breaks.Hydra); ok && o.Lookback > 0 {
		f.Hydra, f.Budget = bh, o.Lookback
		if o.RangeCache != "" {
			var err error
			if f, err = breaks.Open(o.RangeCache, bh, o.Lookback); err != nil {
				log.WithError(err).Warn("evidence: broke-between cache unreadable: looking ranges up again")
			}
			defer func() {
				if err := f.Save(); err != nil {
					log.WithError(err).Warn("evidence: broke-between cache not saved")
				}
			}()
		}
	}
	byBuild := map[int64]failures.SystemFailure{}
	for _, fl := range res.Failures {
		for _, sf := range fl.PerSystem {
			byBuild[sf.Build] = sf
		}
	}
	for i := range changes {
		c := &changes[i]
		sf, ok := byBuild[c.BuildID]
		if !ok {
			continue
		}
		r, ok, err := f.Find(ctx, o.Project, o.Jobset, sf, revs)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			log.WithFields(logrus.Fields{"attr": c.Attr(), "job": sf.Job}).Warnf("evidence: broke between unknown: %v", err)
			continue
		}
		if ok {
			c.BrokeBetween = &prs.Range{Good: r.Good.Revision, Bad: r.Bad.Revision, GoodEval: r.Good.Eval, BadEval: r.Bad.Eval,
				Exact: r.Exact, Commits: -1}
		}
	}
	if f.Spent() > 0 {
		log.WithFields(logrus.Fields{"requests": f.Spent(), "budget": o.Lookback}).Info(fmt.Sprintf("evidence: looked %d requests further back on Hydra for broke-between ranges", f.Spent()))
	}
	return nil
}
