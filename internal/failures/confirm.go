// The confirmation step (Confirm): before a persistent failure is
// proposed, ask Hydra whose derivation each of its failing builds is
// about, because the queue runner writes a failed step's status onto every
// build depending on it (inner_fail_job, NixOS/hydra's
// subprojects/hydra-queue-runner/src/state/mod.rs) and the evaluation page
// renders a cached failure (8) as "Failed", like 1 (common.tt
// renderBuildStatusIcon). This is the one step of this package that talks
// to Hydra, through the function its caller gives.
package failures

import (
	"context"
	"fmt"
	"sort"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

// Learned is what Hydra said about one failing build: its exact status
// (/build/{id}) and whose derivation's step that status is about.
type Learned struct {
	Status hydra.Status
	Origin hydra.Origin
}

// Provenance is what was learned, by build id.
type Provenance map[int64]Learned

// ProvenanceFunc asks Hydra about one build, whose evaluation page row
// said it stopped at stop (0: unknown): *hydra.Client's Provenance with
// its cache.
type ProvenanceFunc func(ctx context.Context, build, stop int64) (hydra.Status, hydra.Origin, error)

// DefaultConfirmBudget bounds the builds one Confirm asks about (one or
// two requests each, at most one a second on hydra.nixos.org).
const DefaultConfirmBudget = 200

// DetectWith is Detect deciding with what was learned: a build in prov
// counts by its exact status and origin (Policy.ClassifyOrigin); a build
// that is not, and whose status may hide a dependency's failure (1 on the
// evaluation page may be 8; 7, 8, 10, 11 may be copied), is never
// evidence.
func DetectWith(history []Evaluation, p Policy, prov Provenance) (Result, error) {
	return detect(history, p, func(r *hydra.Record) Class {
		if l, ok := prov[r.Build]; ok {
			return p.ClassifyOrigin(l.Status, l.Origin)
		}
		if needsAsking(p, r.Status) {
			return ClassUnknownOrigin
		}
		return p.ClassifyOrigin(r.Status, statusOrigin(r.Status))
	})
}

// needsAsking: a status that could count as the package's own failure
// but may be a dependency's (1 read from the evaluation page may be 8).
func needsAsking(p Policy, s hydra.Status) bool {
	return s == hydra.StatusFailed || (s.MaybeCopied() && p.ClassifyOrigin(s, hydra.OriginOwn) == ClassOwnFailure)
}

// candidates is the detection that counts every status that may be the
// package's own failure as one: a superset of DetectWith's failures
// whatever is learned (an own failure there is one here, and successes
// are the same), so only its failures' builds need asking about.
func candidates(history []Evaluation, p Policy) (Result, error) {
	return detect(history, p, func(r *hydra.Record) Class {
		if needsAsking(p, r.Status) {
			return ClassOwnFailure
		}
		return p.ClassifyOrigin(r.Status, statusOrigin(r.Status))
	})
}

// Confirm finds the persistent failures the way Detect does, but asks
// Hydra (ask) about each failing build of each candidate's streak whose
// status may hide a dependency's failure, at most budget builds
// (DefaultConfirmBudget when 0), oldest failure first, and decides with
// the answers (DetectWith). A failure with a build it could not ask about
// is left out and named in Result.Unconfirmed; a build whose step is a
// dependency's never makes its package fail. Only a cancelled ctx is an
// error: Hydra failing to answer about one build leaves that failure
// unconfirmed.
func Confirm(ctx context.Context, history []Evaluation, p Policy, ask ProvenanceFunc, budget int) (Result, Provenance, error) {
	if budget <= 0 {
		budget = DefaultConfirmBudget
	}
	cand, err := candidates(history, p)
	if err != nil || cand.MassBreakage != nil || len(cand.Failures) == 0 {
		return cand, nil, err
	}
	// The builds of each candidate's streak, by id, with the stop time the
	// page showed.
	stops := map[int64]int64{}
	for i := range history {
		for j := range history[i].Records {
			r := &history[i].Records[j]
			if needsAsking(p, r.Status) {
				if _, ok := stops[r.Build]; !ok {
					stops[r.Build] = r.Stop
				}
			}
		}
	}
	fs := append([]Failure(nil), cand.Failures...)
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].FailingSince.Before(fs[j].FailingSince) })
	prov := Provenance{}
	asked, askErrors := 0, 0
	var askError error
	for _, f := range fs {
		for _, sf := range f.PerSystem {
			for _, bt := range sf.BuildTimes {
				stop, ok := stops[bt.Build]
				if _, done := prov[bt.Build]; !ok || done || asked >= budget {
					continue
				}
				asked++
				st, o, err := ask(ctx, bt.Build, stop)
				if err != nil {
					if ctx.Err() != nil {
						return Result{}, nil, ctx.Err()
					}
					askErrors++
					if askError == nil {
						askError = fmt.Errorf("build %d: %w", bt.Build, err)
					}
					continue // unconfirmed
				}
				prov[bt.Build] = Learned{Status: st, Origin: o}
			}
		}
	}
	res, err := DetectWith(history, p, prov)
	if err != nil {
		return res, prov, fmt.Errorf("failures: %w", err)
	}
	res.AskErrors, res.AskError = askErrors, askError
	// A candidate with a build not learned about is left out whole, not
	// kept on its other systems: a marker narrower than the failure would
	// stay narrow (the next cycle sees its attribute marked). It is named
	// in Unconfirmed, and a later cycle asks again.
	incomplete := map[string]bool{}
	for _, f := range cand.Failures {
	unasked:
		for _, sf := range f.PerSystem {
			for _, bt := range sf.BuildTimes {
				if _, ok := stops[bt.Build]; ok {
					if _, done := prov[bt.Build]; !done {
						incomplete[f.Attr] = true
						res.Unconfirmed = append(res.Unconfirmed, f.Attr)
						break unasked
					}
				}
			}
		}
	}
	if len(incomplete) > 0 {
		kept := res.Failures[:0:0]
		for _, f := range res.Failures {
			if !incomplete[f.Attr] {
				kept = append(kept, f)
			}
		}
		res.Failures = kept
	}
	return res, prov, nil
}
