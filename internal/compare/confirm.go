// The confirmation step of Run: a regression's head build that reads
// "Failed" on the evaluation page may be a dependency's cached failure
// (8) or a status the queue runner copied from a dependency's step
// (docs/hydra.md); before its maintainers are told, Hydra is asked whose
// failure it is, as the marking cycle asks (failures.Confirm).

package compare

import (
	"context"
	"slices"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

// Provenancer is *hydra.Client's Provenance: a build's exact status and
// whose derivation's step it is about.
type Provenancer interface {
	Provenance(ctx context.Context, cache *hydra.Cache, id, stop int64) (hydra.Status, hydra.Origin, error)
}

// confirmRegressions asks about the head builds of res's regressions (at
// most budget builds, in the regressions' order) and moves a system whose
// build is a dependency's failure to DependencyFailures, and one whose
// origin stays unknown to Inconclusive; a regression left without systems
// goes. Builds not asked about (no Provenancer, the budget spent, Hydra
// not answering) stay regressions: the report says how many
// (Result.Unconfirmed). Only a cancelled ctx is an error.
func confirmRegressions(ctx context.Context, d Deps, cache *hydra.Cache, p failures.Policy, budget int, res *Result) error {
	pv, ok := d.Hydra.(Provenancer)
	if !ok || budget < 0 {
		res.Unconfirmed = jobsIn(res.Regressions)
		return nil
	}
	if budget == 0 {
		budget = failures.DefaultConfirmBudget
	}
	deps := map[string][]SystemDiff{}
	for _, e := range res.DependencyFailures {
		deps[e.Attr] = e.Systems
	}
	var kept []Entry
	for _, e := range res.Regressions {
		var systems []SystemDiff
		for _, sd := range e.Systems {
			if budget <= 0 {
				res.Unconfirmed++
				systems = append(systems, sd)
				continue
			}
			budget--
			st, o, err := pv.Provenance(ctx, cache, sd.Head.ID, sd.Head.Stop)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				d.Log.WithError(err).WithField("build", sd.Head.ID).Warn("whose failure a head build is: no answer; kept as a regression")
				res.Unconfirmed++
				systems = append(systems, sd)
				continue
			}
			switch p.ClassifyOrigin(st, o) {
			case failures.ClassOwnFailure:
				systems = append(systems, sd)
			case failures.ClassDependency:
				sd.Head.Status = st
				deps[e.Attr] = append(deps[e.Attr], sd)
			default:
				res.Inconclusive++
			}
		}
		if len(systems) > 0 {
			kept = append(kept, Entry{Attr: e.Attr, Systems: systems})
		}
	}
	res.Regressions = kept
	res.DependencyFailures = res.DependencyFailures[:0]
	attrs := make([]string, 0, len(deps))
	for a := range deps {
		attrs = append(attrs, a)
	}
	slices.Sort(attrs)
	for _, a := range attrs {
		res.DependencyFailures = append(res.DependencyFailures, Entry{Attr: a, Systems: deps[a]})
	}
	return nil
}
