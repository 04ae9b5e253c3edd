package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// Amender takes packages out of open mark PRs (*prs.Publisher). A cycle
// whose Publisher is one amends its open PRs.
type Amender interface {
	ProposedMarkers(ctx context.Context) ([]state.Marker, error)
	Drop(ctx context.Context, number int, drops []prs.Drop) (*prs.DropResult, error)
}

var _ Amender = (*prs.Publisher)(nil)

// GreenMarker is a proposed marker whose package builds again on Hydra.
type GreenMarker struct {
	Marker state.Marker
	// Build is a green build of the marker's package (the evidence).
	Build    int64
	BuildURL string
}

// AmendSummary is what Amend saw and did.
type AmendSummary struct {
	// Eval is the evaluation read (the cycle's newest).
	Eval int64
	// Green are the proposed markers building again in it.
	Green []GreenMarker
	// Drops are what the drops did, one per PR.
	Drops []*prs.DropResult
	// Err joins the drops' errors (the next cycle tries again).
	Err error
}

// GreenMarkers decides which proposed markers build again in eval, the
// newest evaluation of the master jobset: an evaluation older than the
// marker says nothing about it; every system the marker covers (its
// systems; when it covers every system, the systems eval built any of its
// attributes on) must have at least one of the marker's attributes built
// there, and every attribute built there must have succeeded (status 0).
// The evidence is the first green build, by system and attribute. Pure.
func GreenMarkers(markers []state.Marker, eval *hydra.EvalRecords, buildURL func(int64) string) []GreenMarker {
	if eval == nil {
		return nil
	}
	type key struct{ attr, system string }
	want := map[string]bool{}
	for _, m := range markers {
		for _, a := range attrsOf(m) {
			want[a] = true
		}
	}
	built := map[key][]hydra.Record{}
	for _, r := range eval.Records {
		if attr, ok := nixpkgs.AttrFromJob(r.Job, r.System); ok && want[attr] {
			built[key{attr, r.System}] = append(built[key{attr, r.System}], r)
		}
	}
	evalTime := time.Unix(eval.Timestamp, 0)
	var out []GreenMarker
	for _, m := range markers {
		if m.State != state.Proposed || (!m.Created.IsZero() && evalTime.Before(m.Created)) {
			continue
		}
		attrs := attrsOf(m)
		need := slices.Clone(m.Systems)
		if len(need) == 0 {
			for k := range built {
				if slices.Contains(attrs, k.attr) && !slices.Contains(need, k.system) {
					need = append(need, k.system)
				}
			}
		}
		sort.Strings(need)
		if len(need) == 0 {
			continue // not built at all: no news
		}
		var evidence int64
		green := true
		for _, s := range need {
			n := 0
			for _, a := range attrs {
				for _, r := range built[key{a, s}] {
					n++
					if r.Status != hydra.StatusSucceeded {
						green = false
					} else if evidence == 0 {
						evidence = r.Build
					}
				}
			}
			green = green && n > 0
		}
		if green && evidence > 0 {
			out = append(out, GreenMarker{Marker: m, Build: evidence, BuildURL: buildURL(evidence)})
		}
	}
	return out
}

// Amend takes the packages that build again on Hydra out of their open
// mark PRs: for each proposed marker, the newest master evaluation the
// cycle read decides (GreenMarkers, no further request to Hydra), and the
// green ones are dropped from their PRs with the reason "builds again on
// Hydra: <build URL>" (see prs.Publisher.Drop: the branch and the body
// lose them; a PR left empty is closed by markbot). pub does this when it
// is an Amender; otherwise, or without an evaluation, Amend does nothing
// and returns nil. A failed drop is logged and reported in the summary;
// the next cycle tries again.
func Amend(ctx context.Context, newest *hydra.EvalRecords, pub Publisher, buildURL func(int64) string, log logrus.FieldLogger) *AmendSummary {
	a, ok := pub.(Amender)
	if !ok || newest == nil {
		return nil
	}
	if log == nil {
		log = logrus.StandardLogger()
	}
	sum := &AmendSummary{Eval: newest.Eval}
	markers, err := a.ProposedMarkers(ctx)
	if err != nil {
		sum.Err = fmt.Errorf("amend: %w", err)
		log.WithError(err).Warn("amend: cannot read the proposed markers")
		return sum
	}
	sum.Green = GreenMarkers(markers, newest, buildURL)
	byPR := map[int][]prs.Drop{}
	for _, g := range sum.Green {
		if g.Marker.PR <= 0 {
			continue
		}
		log.WithFields(logrus.Fields{"attr": g.Marker.Attr, "pr": g.Marker.PR, "build": g.Build, "eval": newest.Eval}).
			Info("amend: builds again on Hydra while its mark PR is open")
		byPR[g.Marker.PR] = append(byPR[g.Marker.PR], prs.Drop{Attr: g.Marker.Attr, Reason: "builds again on Hydra: " + g.BuildURL})
	}
	numbers := make([]int, 0, len(byPR))
	for n := range byPR {
		numbers = append(numbers, n)
	}
	sort.Ints(numbers)
	var errs []error
	for _, n := range numbers {
		res, err := a.Drop(ctx, n, byPR[n])
		if res != nil {
			sum.Drops = append(sum.Drops, res)
		}
		if err != nil {
			log.WithFields(logrus.Fields{"pr": n}).WithError(err).Warn("amend: drop failed; the next cycle tries again")
			errs = append(errs, err)
			if errors.Is(err, prs.ErrBudgetExhausted) || ctx.Err() != nil {
				break
			}
			continue
		}
		log.WithFields(logrus.Fields{"pr": n, "dropped": len(res.Dropped()), "closed": res.Closed}).Info("amend: dropped from the PR")
	}
	sum.Err = errors.Join(errs...)
	return sum
}

// WriteSummary prints what Amend did (nothing for a nil summary or one
// that dropped nothing).
func (s *AmendSummary) WriteSummary(w io.Writer) error {
	if s == nil {
		return nil
	}
	for _, d := range s.Drops {
		if err := d.WriteSummary(w); err != nil {
			return err
		}
	}
	if s.Err != nil {
		_, err := fmt.Fprintf(w, "  amending open PRs: %v (the next cycle tries again)\n", s.Err)
		return err
	}
	return nil
}
