package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// Hydra is what a cycle needs of the Hydra client (*hydra.Client).
type Hydra interface {
	History(ctx context.Context, cache *hydra.Cache, project, jobset string, n int) ([]*hydra.EvalRecords, error)
	LogTail(ctx context.Context, buildID int64, n int) ([]string, error)
	BuildURL(id int64) string
}

// Publisher opens pull requests for changes (*prs.Publisher).
type Publisher interface {
	Publish(ctx context.Context, changes []prs.Change) (*prs.Result, error)
}

// Options configure a cycle.
type Options struct {
	Project, Jobset string
	// Evaluations is how many finished evaluations to read (≥ Policy.Evaluations).
	Evaluations int
	Policy      failures.Policy
	Cache       *hydra.Cache
	// MaxChanges caps the changes proposed in one cycle (max open PRs ×
	// markers per PR); the longest-failing packages go first. 0: no cap.
	MaxChanges int
	// LogLines is how many log lines each change carries (default 30).
	LogLines int
	// Markers, if set, gives markbot's markers (internal/state). A failure
	// is not proposed for an attribute whose marker is on the base branch
	// (merged, probing or reverting: the revert loop owns it), nor for one
	// whose marker was reverted after the newest evaluation read: that
	// evaluation's failure is the evidence the revert answered, and master
	// has not been evaluated since.
	Markers func(context.Context) ([]state.Marker, error)
	Log     logrus.FieldLogger
}

// Summary is what one cycle saw and did.
type Summary struct {
	Detection failures.Result
	// Skipped are persistent failures not proposed, with reasons.
	Skipped []Skipped
	// Deferred are changes left for a later cycle by MaxChanges.
	Deferred int
	// Publish is nil after a mass breakage or when nothing was proposed.
	Publish *prs.Result
	// Latest is the newest evaluation read (nil: none); the revert loop
	// compares its derivations with the ones last probed.
	Latest *hydra.EvalRecords
	// Amend is what taking packages green again out of open mark PRs did
	// (nil: the publisher cannot; see Amend).
	Amend *AmendSummary
	// Revert is what the revert loop did, when the caller ran it (see
	// Revert; markbot run runs it after the cycle).
	Revert *RevertSummary
}

// Cycle runs one reconcile cycle: observe Hydra, decide, locate, and
// publish the marking pull requests. index is called only when there is a
// failure to locate (loading the packages index costs a ~100 MB download).
// Each step is logged with its own fields; an error stops the cycle, and
// the next cycle resumes where this one stopped (every step is idempotent).
func Cycle(ctx context.Context, h Hydra, index func(context.Context) (Index, error), pub Publisher, o Options) (*Summary, error) {
	log := o.Log
	if log == nil {
		log = logrus.StandardLogger()
	}
	if o.LogLines == 0 {
		o.LogLines = 30
	}
	n := max(o.Evaluations, o.Policy.Evaluations)

	// Observe.
	records, err := h.History(ctx, o.Cache, o.Project, o.Jobset, n)
	if err != nil {
		return nil, fmt.Errorf("observe: reading %s/%s: %w", o.Project, o.Jobset, err)
	}
	history := make([]failures.Evaluation, len(records))
	for i, er := range records {
		history[i] = failures.FromRecords(er)
	}

	// Decide.
	res, err := failures.Detect(history, o.Policy)
	if err != nil {
		return nil, fmt.Errorf("decide: %w", err)
	}
	sum := &Summary{Detection: res}
	if len(records) > 0 {
		sum.Latest = records[0]
	}
	// Amend: packages green again leave their open mark PRs (amend.go).
	sum.Amend = Amend(ctx, sum.Latest, pub, h.BuildURL, log)
	if res.MassBreakage != nil {
		log.WithField("eval", res.Newest).Warn(res.MassBreakage.String() + ": proposing nothing")
		return sum, nil
	}
	log.WithFields(logrus.Fields{"eval": res.Newest, "failures": len(res.Failures)}).Info("decide: persistent failures")
	if len(res.Failures) == 0 {
		return sum, nil
	}

	// Locate.
	idx, err := index(ctx)
	if err != nil {
		return nil, fmt.Errorf("locate: loading the packages index: %w", err)
	}
	changes, skipped := MarkChanges(res, records[0], idx, h.BuildURL)
	if o.Markers != nil {
		markers, err := o.Markers(ctx)
		if err != nil {
			return nil, fmt.Errorf("locate: %w", err)
		}
		changes, skipped = withoutMarked(changes, skipped, markers, res.NewestTime, res.Newest)
	}
	sum.Skipped = skipped
	for _, s := range skipped {
		log.WithField("attr", s.Attrs[0]).Info("locate: not proposed: " + s.Reason)
	}
	// Longest failing first, so a cap defers the newest failures.
	sort.SliceStable(changes, func(i, j int) bool { return changes[i].Since.Before(changes[j].Since) })
	if o.MaxChanges > 0 && len(changes) > o.MaxChanges {
		sum.Deferred = len(changes) - o.MaxChanges
		changes = changes[:o.MaxChanges]
	}
	if len(changes) == 0 {
		return sum, nil
	}

	// Evidence: the end of each failing build's log, for the PR body. A
	// log Hydra cannot serve is not a reason to hold the marker back.
	for i := range changes {
		c := &changes[i]
		lines, err := h.LogTail(ctx, c.BuildID, o.LogLines)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			log.WithFields(logrus.Fields{"attr": c.Attr(), "build": c.BuildID}).Warnf("evidence: no log tail: %v", err)
			continue
		}
		c.LogTail = lines
	}

	// Edit and publish.
	result, err := pub.Publish(ctx, changes)
	sum.Publish = result
	if err != nil {
		var budget *prs.BudgetError
		if errors.As(err, &budget) {
			log.Warnf("publish: %v; the next cycle resumes", err)
			return sum, err
		}
		return sum, fmt.Errorf("publish: %w", err)
	}
	return sum, nil
}

// withoutMarked takes out the changes for attributes markbot's markers
// answer already: one on the base branch, or one reverted after the newest
// evaluation (at newest, id eval).
func withoutMarked(changes []prs.Change, skipped []Skipped, markers []state.Marker, newest time.Time, eval int64) ([]prs.Change, []Skipped) {
	why := func(a string) string {
		for _, m := range markers {
			if !slices.Contains(m.Attrs, a) && m.Attr != a {
				continue
			}
			switch {
			case m.State == state.Merged || m.State == state.Probing || m.State == state.Reverting:
				return fmt.Sprintf("markbot's marker for it is on the base branch (%s)", m.State)
			case m.State == state.Reverted && m.Updated.After(newest):
				return fmt.Sprintf("its marker was taken out on %s, after evaluation %d: waiting for an evaluation that builds it again",
					m.Updated.UTC().Format(time.DateOnly), eval)
			}
		}
		return ""
	}
	kept := slices.DeleteFunc(changes, func(c prs.Change) bool {
		for _, a := range c.Attrs {
			if reason := why(a); reason != "" {
				skipped = append(skipped, Skipped{c.Attrs, reason})
				return true
			}
		}
		return false
	})
	return kept, skipped
}
