package prs

import (
	"context"
	"errors"
	"slices"

	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// amendOpen looks again at the open mark PRs whose head moved since markbot
// recorded it (someone pushed to the branch) or that hold a drop a crash
// left half done: packages whose files the pushed commits touched leave the
// PR, as Drop describes, and the new head is recorded so that the same
// commits are not looked at twice. What leaves is no longer covered by the
// PR; a pushed fix is not proposed again for SkipFor.
func (r *run) amendOpen(ctx context.Context) error {
	if r.st == nil {
		return nil
	}
	var errs []error
	for _, bp := range slices.Clone(r.open) {
		if bp.Kind != KindMark {
			continue
		}
		sp, err := r.st.PR(ctx, bp.Number)
		if errors.Is(err, state.ErrNotFound) {
			continue // not adopted yet (a dry run)
		}
		if err != nil {
			return err
		}
		l, err := r.dropLog(ctx, bp.Number)
		if err != nil {
			return err
		}
		moved := sp.HeadSHA != "" && bp.HeadSHA != "" && bp.HeadSHA != sp.HeadSHA && !l.known()[bp.HeadSHA]
		if !moved && (l.unfinished() == nil || r.o.DryRun) {
			continue
		}
		res, err := r.drop(ctx, bp.Number, nil)
		if res != nil && (len(res.Packages) > 0 || res.Resumed > 0) {
			r.res.Drops = append(r.res.Drops, res)
		}
		if err != nil {
			if errors.Is(err, ErrBudgetExhausted) || ctx.Err() != nil {
				return err
			}
			errs = append(errs, err)
			continue
		}
		for _, p := range res.Dropped() {
			for _, a := range p.Attrs {
				if r.covered[a] == bp {
					delete(r.covered, a)
				}
				if p.Skip {
					r.skips[a] = skipInfo{reason: "dropped from PR: " + p.Reason, until: r.o.Now().Add(r.o.SkipFor)}
				}
			}
		}
	}
	return errors.Join(errs...)
}
