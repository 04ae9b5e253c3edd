// The decide step's question to Hydra: whose failure each failing build's
// status is about (failures.Confirm), so that no package is marked for a
// dependency's failure that the queue runner copied onto its build.

package bot

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

// Provenancer asks Hydra for a build's exact status and whose derivation's
// step it is about (*hydra.Client).
type Provenancer interface {
	Provenance(ctx context.Context, cache *hydra.Cache, id, stop int64) (hydra.Status, hydra.Origin, error)
}

// Decide finds the persistent failures of history under p that are the
// packages' own: with h (when it is a Provenancer) asked about at most
// budget failing builds (failures.DefaultConfirmBudget when 0), answers
// kept in cache. Without a Provenancer, no build whose status may hide a
// dependency's failure counts (failures.DetectWith with nothing learned).
// Failures left unconfirmed for want of budget are logged and come back
// next time (the answers already had are cached). Hydra failing to answer
// (but for a 404: a build Hydra no longer has stays unconfirmed) stops the
// decision with an error, as any other failed read of the cycle does, so
// that the rerun decides on the whole picture: publishing the rest would
// split a batch over two PRs.
func Decide(ctx context.Context, h any, cache *hydra.Cache, history []failures.Evaluation, p failures.Policy, budget int, log logrus.FieldLogger) (failures.Result, error) {
	pv, ok := h.(Provenancer)
	if !ok {
		return failures.DetectWith(history, p, nil)
	}
	var hard error
	ask := func(ctx context.Context, id, stop int64) (hydra.Status, hydra.Origin, error) {
		st, o, err := pv.Provenance(ctx, cache, id, stop)
		if err != nil && hard == nil && !hydra.IsNotFound(err) {
			hard = err
		}
		return st, o, err
	}
	res, prov, err := failures.Confirm(ctx, history, p, ask, budget)
	if err != nil {
		return res, err
	}
	if hard != nil {
		return res, fmt.Errorf("Hydra did not answer whose failure a build is (%d builds unanswered): %w", res.AskErrors, hard)
	}
	if log != nil && (len(prov) > 0 || len(res.Unconfirmed) > 0) {
		log.WithFields(logrus.Fields{"asked": len(prov), "unconfirmed": len(res.Unconfirmed)}).
			Info("decide: asked Hydra whose failure each failing build is (a dependency's status is copied onto its dependents)")
	}
	return res, nil
}
