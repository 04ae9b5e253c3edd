// The decide step's question to Hydra: whose failure each failing build's
// status is about (failures.Confirm), so that no package is marked for a
// dependency's failure that the queue runner copied onto its build.

package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/atomicfile"
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
// next time (the answers already had are cached).
//
// Hydra failing to answer (but for a 404: a build Hydra no longer has
// stays unconfirmed) stops the decision with an error, as any other
// failed read of the cycle does, so that the rerun decides on the whole
// picture: publishing the rest would split a batch over two PRs. Except
// for a build Hydra has failed to answer about for UnansweredGrace (a page
// that errors every time; remembered beside cache): its failure is left
// out, named in the log, and the rest goes on. Before, one such build
// stopped every cycle for good.
func Decide(ctx context.Context, h any, cache *hydra.Cache, history []failures.Evaluation, p failures.Policy, budget int, log logrus.FieldLogger) (failures.Result, error) {
	pv, ok := h.(Provenancer)
	if !ok {
		return failures.DetectWith(history, p, nil)
	}
	un := loadUnanswered(cache)
	now := decideNow()
	var fresh, lasting error
	lastingN := 0
	ask := func(ctx context.Context, id, stop int64) (hydra.Status, hydra.Origin, error) {
		st, o, err := pv.Provenance(ctx, cache, id, stop)
		switch {
		case err == nil || hydra.IsNotFound(err):
			un.answered(id)
		case ctx.Err() != nil:
		case un.since(id, now) >= UnansweredGrace:
			lastingN++
			if lasting == nil {
				lasting = fmt.Errorf("build %d, unanswered since %s: %w", id, un.Since[id].UTC().Format(time.RFC3339), err)
			}
		default:
			if fresh == nil {
				fresh = fmt.Errorf("build %d: %w", id, err)
			}
		}
		return st, o, err
	}
	res, prov, err := failures.Confirm(ctx, history, p, ask, budget)
	if serr := un.save(now); serr != nil && log != nil {
		log.WithError(serr).Warn("decide: the builds Hydra does not answer about are not remembered")
	}
	if err != nil {
		return res, err
	}
	if fresh != nil {
		return res, fmt.Errorf("Hydra did not answer whose failure a build is (%d builds unanswered): %w", res.AskErrors, fresh)
	}
	if lasting != nil && log != nil {
		log.WithFields(logrus.Fields{"builds": lastingN}).WithError(lasting).
			Warn("decide: Hydra has not answered about these failing builds for a day; their failures are left out")
	}
	if log != nil && (len(prov) > 0 || len(res.Unconfirmed) > 0) {
		log.WithFields(logrus.Fields{"asked": len(prov), "unconfirmed": len(res.Unconfirmed)}).
			Info("decide: asked Hydra whose failure each failing build is (a dependency's status is copied onto its dependents)")
	}
	return res, nil
}

// UnansweredGrace is how long Hydra may fail to answer about a build
// before Decide stops waiting for it: a few cycles of markbot serve.
const UnansweredGrace = 24 * time.Hour

// decideNow is Decide's clock (tests set it).
var decideNow = time.Now

// unanswered remembers since when Hydra has failed to answer about each
// build (unanswered.json beside the evaluation cache; nothing kept
// without a cache).
type unanswered struct {
	path    string
	Since   map[int64]time.Time `json:"since"`
	changed bool
}

func loadUnanswered(cache *hydra.Cache) *unanswered {
	u := &unanswered{Since: map[int64]time.Time{}}
	if cache == nil {
		return u
	}
	u.path = filepath.Join(filepath.Dir(cache.Dir()), "unanswered.json")
	if b, err := os.ReadFile(u.path); err == nil && len(b) < 1<<20 {
		var v unanswered
		if json.Unmarshal(b, &v) == nil && v.Since != nil {
			u.Since = v.Since
		}
	}
	return u
}

// since records a failure to answer about id now and returns how long
// Hydra has failed to.
func (u *unanswered) since(id int64, now time.Time) time.Duration {
	t, ok := u.Since[id]
	if !ok || t.After(now) {
		u.Since[id], u.changed = now, true
		return 0
	}
	return now.Sub(t)
}

func (u *unanswered) answered(id int64) {
	if _, ok := u.Since[id]; ok {
		delete(u.Since, id)
		u.changed = true
	}
}

// save writes the builds still unanswered, forgetting those older than 30
// days (no longer asked about).
func (u *unanswered) save(now time.Time) error {
	for id, t := range u.Since {
		if now.Sub(t) > 30*24*time.Hour {
			delete(u.Since, id)
			u.changed = true
		}
	}
	if u.path == "" || !u.changed {
		return nil
	}
	b, err := json.Marshal(u)
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(u.path, b, 0o644)
}
