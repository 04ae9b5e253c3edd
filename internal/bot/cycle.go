package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
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
	Log      logrus.FieldLogger
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
