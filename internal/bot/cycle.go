package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
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
	// LogCache, when set, is the directory log tails are kept in
	// (hydra.LogTails), so that a change whose PR stays open does not
	// read its build's log again every cycle.
	LogCache string
	// Markers, if set, gives markbot's markers (internal/state). A failure
	// is not proposed for an attribute whose marker is on the base branch
	// (merged, probing or reverting: the revert loop owns it), nor for one
	// whose marker was reverted after the newest evaluation read: that
	// evaluation's failure is the evidence the revert answered, and master
	// has not been evaluated since.
	Markers func(context.Context) ([]state.Marker, error)
	// Refusals, if set, gives the mark changes the publisher could not make
	// recently (prs.Refusals: refused, unreadable, already broken). A
	// change whose failing build is the one refused is not proposed again
	// (it would get the same answer), and does not take a place under
	// MaxChanges.
	Refusals func(context.Context) ([]prs.Refusal, error)
	// ConfirmBudget bounds the failing builds a cycle asks Hydra about
	// (Decide; failures.DefaultConfirmBudget when 0).
	ConfirmBudget int
	// Lookback is the most requests to Hydra a cycle spends on "broke
	// between" ranges that the evaluations read do not reach (when the
	// Hydra client can look further back: breaks.Hydra); 0: none.
	Lookback int
	// RangeCache, when set, is the file the ranges found are kept in
	// (breaks.Open), so that a range costs its requests once, not once a
	// cycle while its PR is open.
	RangeCache string
	Log        logrus.FieldLogger
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

// IndexFunc loads the packages index to locate the failures of the
// evaluation newest (nil: none read) with; IndexSource.Index is one.
type IndexFunc func(ctx context.Context, newest *hydra.EvalRecords) (Index, error)

// Cycle runs one reconcile cycle: observe Hydra, decide, locate, and
// publish the marking pull requests. index is called only when there is a
// failure to locate (loading the packages index costs a ~100 MB download),
// with the newest evaluation read. Each step is logged with its own
// fields; an error stops the cycle, and the next cycle resumes where this
// one stopped (every step is idempotent).
func Cycle(ctx context.Context, h Hydra, index IndexFunc, pub Publisher, o Options) (*Summary, error) {
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
	res, err := Decide(ctx, h, o.Cache, history, o.Policy, o.ConfirmBudget, log)
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
	idx, err := index(ctx, records[0])
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
	if o.Refusals != nil {
		refusals, err := o.Refusals(ctx)
		if err != nil {
			return nil, fmt.Errorf("locate: %w", err)
		}
		changes, skipped = withoutRefused(changes, skipped, refusals)
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

	// Evidence: where each failure started ("broke between").
	if err := brokeBetween(ctx, h, records, res, changes, o); err != nil {
		return nil, err
	}

	// Evidence: the end of each failing build's log, for the PR body. A
	// log Hydra cannot serve is not a reason to hold the marker back.
	tails := hydra.LogTails{Dir: o.LogCache}
	for i := range changes {
		c := &changes[i]
		if lines, ok := tails.Get(c.BuildID, o.LogLines); ok {
			c.LogTail = lines
			continue
		}
		lines, err := h.LogTail(ctx, c.BuildID, o.LogLines)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			log.WithFields(logrus.Fields{"attr": c.Attr(), "build": c.BuildID}).Warnf("evidence: no log tail: %v", err)
			continue
		}
		c.LogTail = lines
		tails.Put(c.BuildID, o.LogLines, lines)
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

// withoutRefused takes out the changes refused for the failing build they
// come for again: the same build, so the same file and the same answer.
func withoutRefused(changes []prs.Change, skipped []Skipped, refusals []prs.Refusal) ([]prs.Change, []Skipped) {
	if len(refusals) == 0 {
		return changes, skipped
	}
	by := map[string]prs.Refusal{}
	for _, r := range refusals {
		by[r.Attr] = r
	}
	var out []prs.Change
	for _, c := range changes {
		r, ok := by[c.Attr()]
		if !ok || r.BuildID != c.BuildID {
			out = append(out, c)
			continue
		}
		skipped = append(skipped, Skipped{Attrs: c.Attrs, Reason: fmt.Sprintf("%s on %s (build %d): %s; not tried again until its failing build changes or %s",
			r.Outcome, r.At.UTC().Format(time.DateOnly), r.BuildID, r.Reason, r.At.Add(prs.RefusedFor).UTC().Format(time.DateOnly))})
	}
	return out, skipped
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

// PackagesHydra is what IndexSource needs of Hydra (*hydra.Client).
type PackagesHydra interface {
	EvalPackagesCached(ctx context.Context, evalID, maxBytes int64, pc hydra.PackagesCache) (io.ReadCloser, *hydra.TarballInfo, error)
}

// IndexSource chooses the packages index a run locates with. First the
// newest evaluation's own: the packages.json.br its tarball job built
// (pkgs/top-level/make-tarball.nix), whose positions are the lines of the
// evaluated revision (hydra.EvalRecords.Revision). When Hydra has none
// (no tarball job, its build unfinished or failed) or it cannot be read,
// the fallback: packages.source, the channel's packages.json.br, which
// lags master (the channel advances only when its aggregate job
// succeeds), with a warning naming both revisions. The channel's
// revision is its git-revision file (nixpkgs.ChannelRevision), "" when it
// cannot be read. One index is loaded per run; Index is safe for
// concurrent use.
type IndexSource struct {
	// Hydra serves the evaluations' tarball builds (nil: the fallback
	// only).
	Hydra PackagesHydra
	// Fallback is packages.source: a path or URL for nixpkgs.Load.
	Fallback string
	Load     nixpkgs.LoadOptions
	// MaxBytes caps the decompressed packages.json read from Hydra (0:
	// hydra.DefaultMaxPackagesBytes).
	MaxBytes int64
	// Cache keeps the evaluations' verified indexes between runs
	// (hydra.PackagesCache; zero: downloaded every run).
	Cache hydra.PackagesCache
	Log   logrus.FieldLogger

	mu     sync.Mutex
	loaded *nixpkgs.Index
}

// Index returns the run's packages index, loading it the first time: the
// evaluation newest's (nil: none read, the fallback's).
func (s *IndexSource) Index(ctx context.Context, newest *hydra.EvalRecords) (Index, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loaded != nil {
		return s.loaded, nil
	}
	log := s.Log
	if log == nil {
		log = logrus.StandardLogger()
	}
	var why error
	if newest != nil && s.Hydra != nil {
		idx, err := s.fromEvaluation(ctx, newest)
		if err == nil {
			s.loaded = idx
			return idx, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		why = err
	}
	idx, err := nixpkgs.Load(ctx, s.Fallback, s.Load)
	if err != nil {
		if why != nil {
			return nil, fmt.Errorf("%w (and the evaluation's: %v)", err, why)
		}
		return nil, err
	}
	rev, rerr := nixpkgs.ChannelRevision(ctx, idx.Location(), s.Load)
	if rerr != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rev = ""
	}
	idx = idx.WithRevision(rev)
	s.loaded = idx
	f := logrus.Fields{"source": s.Fallback, "channel_revision": orUnknown(rev)}
	if rerr != nil {
		f["channel_revision_error"] = rerr.Error()
	}
	if newest == nil || s.Hydra == nil {
		log.WithFields(f).Info("locate: packages index from packages.source")
		return idx, nil
	}
	f["eval"], f["eval_revision"] = newest.Eval, orUnknown(newest.Revision)
	log.WithFields(f).WithError(why).Warn(fmt.Sprintf("locate: no packages index from evaluation %d (revision %s): using packages.source (revision %s), which may lag it; positions that moved in between are carried to the base branch or skipped",
		newest.Eval, orUnknown(newest.Revision), orUnknown(rev)))
	return idx, nil
}

// fromEvaluation reads the packages index of the evaluation's tarball job.
func (s *IndexSource) fromEvaluation(ctx context.Context, e *hydra.EvalRecords) (*nixpkgs.Index, error) {
	rc, info, err := s.Hydra.EvalPackagesCached(ctx, e.Eval, s.MaxBytes, s.Cache)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	o := s.Load
	o.Revision = e.Revision
	idx, err := nixpkgs.ReadContext(ctx, rc, info.URL, o)
	if err != nil {
		return nil, err
	}
	log := s.Log
	if log == nil {
		log = logrus.StandardLogger()
	}
	log.WithFields(logrus.Fields{"eval": e.Eval, "eval_revision": orUnknown(e.Revision), "build": info.Build,
		"url": info.URL, "packages": idx.Len(), "verified": info.Verified, "kept": info.Cached}).Info("locate: packages index of the evaluation")
	return idx, nil
}

func orUnknown(rev string) string {
	if rev == "" {
		return "unknown"
	}
	return rev
}
