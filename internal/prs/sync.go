// The sync and finishing steps of a publishing run: what happened to
// markbot's pull requests since the last run (merged, closed by a human),
// and finishing the ones this or an earlier run opened or adopted (labels,
// reviewers, the markers they insert recorded in state).
package prs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// syncClosed looks at the PRs state records as open (recorded, read by
// sync before listOpen) that are no longer
// listed open: merged ones move their markers on; closed ones are a human's
// no, and their attributes are skipped for SkipFor.
func (r *run) syncClosed(ctx context.Context, recorded []state.PR) error {
	for _, sp := range recorded {
		if slices.ContainsFunc(r.open, func(b *botPR) bool { return b.Number == sp.Number }) {
			continue
		}
		var pr *github.PullRequest
		var err error
		if is := r.closedIssues[sp.Number]; is != nil {
			// Read as an issue by listOpen: closed, merged or not.
			pr = &github.PullRequest{Number: is.Number, State: is.State, ClosedAt: is.ClosedAt,
				Merged: github.Bool(is.GetPullRequestLinks().MergedAt != nil)}
		} else {
			err = r.call(ctx, fmt.Sprintf("GET pull #%d", sp.Number), func(ctx context.Context) (resp *github.Response, err error) {
				pr, resp, err = r.gh.Pulls.Get(ctx, r.o.Owner, r.o.Repo, sp.Number)
				return resp, err
			})
			if err != nil {
				return err
			}
		}
		switch {
		case pr.GetState() == "open":
			// Open but not found by its branch (listOpen looks at every
			// base): its head is not a prefixed branch of the head
			// repository as configured now (the fork or the prefix
			// changed). asBotPR decides whether it still counts.
			if bp, ok := r.asBotPR(pr); ok {
				r.addOpen(bp)
			}
		case pr.GetMerged():
			err = r.prMerged(ctx, sp)
		case pr.GetState() == "closed":
			// markbot's own close after every package was dropped (a
			// crash came before state knew) is nobody's no: no skips.
			var l *dropLog
			if l, err = r.dropLog(ctx, sp.Number); err == nil {
				if op := l.closing(); op != nil {
					if !r.o.DryRun {
						err = r.finishClose(ctx, sp.Number, op)
					}
					break
				}
				err = r.prClosed(ctx, sp.Number, Kind(sp.Kind), sp.Attrs, pr.GetClosedAt().Time)
			}
		}
		if err != nil {
			return fmt.Errorf("PR #%d: %w", sp.Number, err)
		}
	}
	return nil
}

func (r *run) prMerged(ctx context.Context, sp state.PR) error {
	if r.o.DryRun {
		return nil
	}
	markers, err := r.st.MarkersForPR(ctx, sp.Number)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("%s PR #%d merged", sp.Kind, sp.Number)
	for _, m := range markers {
		switch {
		case sp.Kind == state.MarkPR && m.PR == sp.Number && m.State == state.Proposed:
			_, err = r.st.TransitionMarker(ctx, m.ID, state.Merged, msg)
		case sp.Kind == state.UnmarkPR && m.RevertPR == sp.Number && m.State == state.Reverting:
			var n *HiddenNarrow
			if n, err = r.narrowing(ctx, sp.Number, m.Attr); err != nil {
				return err
			}
			if n == nil {
				_, err = r.st.TransitionMarker(ctx, m.ID, state.Reverted, msg)
				break
			}
			// Narrowed: the same marker, on master for fewer systems and
			// naming a build that fails there.
			if err = r.st.SetMarkerEvidence(ctx, m.ID, n.Systems, n.Build, n.URL); err == nil {
				_, err = r.st.TransitionMarker(ctx, m.ID, state.Merged,
					fmt.Sprintf("%s: narrowed to %s", msg, strings.Join(n.Systems, ", ")))
			}
		}
		if err != nil {
			return err
		}
	}
	r.log.WithFields(logrus.Fields{"pr": sp.Number, "branch": sp.Branch}).Info("PR merged")
	return r.st.SetPRState(ctx, sp.Number, state.PRMerged, msg)
}

// prClosed records a human's no: skips first, markers next, the PR's state
// last, so a crash in between redoes it all next time.
func (r *run) prClosed(ctx context.Context, number int, kind Kind, attrs []string, closedAt time.Time) error {
	if closedAt.IsZero() {
		closedAt = r.o.Now()
	}
	until := closedAt.Add(r.o.SkipFor)
	reason := fmt.Sprintf("%s PR #%d closed without merging", kind, number)
	for _, a := range attrs {
		r.skips[a] = skipInfo{reason: reason, until: until}
	}
	r.log.WithFields(logrus.Fields{"pr": number, "until": until.Format(time.DateOnly)}).Info("PR closed by a human: skipping its attributes")
	if r.o.DryRun {
		return nil
	}
	if until.After(r.o.Now()) {
		for _, a := range attrs {
			if err := r.st.AddSkip(ctx, a, reason, until); err != nil {
				return err
			}
		}
	}
	markers, err := r.st.MarkersForPR(ctx, number)
	if err != nil {
		return err
	}
	for _, m := range markers {
		switch {
		case kind == KindMark && m.PR == number && m.State == state.Proposed:
			_, err = r.st.TransitionMarker(ctx, m.ID, state.Dropped, reason)
		case kind == KindUnmark && m.RevertPR == number && m.State == state.Reverting:
			_, err = r.st.TransitionMarker(ctx, m.ID, state.Merged, reason)
		}
		if err != nil {
			return err
		}
	}
	return r.st.SetPRState(ctx, number, state.PRClosed, reason)
}

// finishOpen completes open markbot PRs an earlier run left unfinished: not
// recorded in state (crash after creating it), labels or review requests
// not done. Whether a step was done is read from the event log, so labels
// or reviewers a human removed are not added again.
func (r *run) finishOpen(ctx context.Context, changes []Change) error {
	for _, bp := range r.open {
		var mine []Change
		for _, c := range changes {
			if c.Kind == bp.Kind && slices.ContainsFunc(c.Attrs, func(a string) bool { return slices.Contains(bp.Attrs, a) }) {
				mine = append(mine, c)
			}
		}
		did, err := r.finish(ctx, bp, Batch{Kind: bp.Kind, Branch: bp.Branch, Changes: mine}, nil, nil)
		if err != nil {
			return fmt.Errorf("finishing PR #%d: %w", bp.Number, err)
		}
		if did {
			r.res.Finished = append(r.res.Finished, bp.Number)
		}
	}
	return nil
}

type openedDetails struct {
	URL       string     `json:"url"`
	Branch    string     `json:"branch"`
	Reviewers *Reviewers `json:"reviewers,omitempty"`
	// Marks (pr.branch events of mark PRs) are the markers the branch
	// inserts, by attribute.
	Marks map[string]plannedMark `json:"marks,omitempty"`
}

func (d *openedDetails) marks() map[string]plannedMark {
	if d == nil {
		return nil
	}
	return d.Marks
}

// plannedMark is one marker a mark PR's branch inserts, as state records
// it.
type plannedMark struct {
	Attrs   []string  `json:"attrs"`
	File    string    `json:"file"`
	Line    int       `json:"line"`
	Systems []string  `json:"systems,omitempty"`
	Build   int64     `json:"build,omitempty"`
	URL     string    `json:"url"`
	Since   time.Time `json:"since"`
}

func plannedMarks(b Batch) map[string]plannedMark {
	if b.Kind != KindMark {
		return nil
	}
	out := map[string]plannedMark{}
	for _, c := range b.Changes {
		out[c.Attr()] = plannedMark{Attrs: c.Attrs, File: c.File, Line: c.Line, Systems: c.Systems, Build: c.BuildID, URL: c.BuildURL, Since: c.Since}
	}
	return out
}

// change is the mark change it describes (ok false: unusable).
func (m plannedMark) change() (Change, bool) {
	c := Change{Kind: KindMark, File: m.File, Line: m.Line, Attrs: m.Attrs, Systems: m.Systems, BuildID: m.Build, BuildURL: m.URL, Since: m.Since}
	return c, c.validate() == nil
}

// finish records the PR and its markers in state, adds the labels and
// requests the reviews, each unless already done, logging each step before
// the next. rv, when nil, comes from the "pr.published" event or is resolved
// from b's maintainers. It reports whether it had anything to do.
func (r *run) finish(ctx context.Context, bp *botPR, b Batch, rv *Reviewers, dropped *[]string) (bool, error) {
	log := r.log.WithFields(logrus.Fields{"pr": bp.Number, "branch": bp.Branch})
	did := false
	known := true
	if _, err := r.st.PR(ctx, bp.Number); errors.Is(err, state.ErrNotFound) {
		known = false
	} else if err != nil {
		return did, err
	}
	if !known || rv != nil {
		if _, err := r.st.RecordPR(ctx, state.PR{Number: bp.Number, Kind: state.PRKind(bp.Kind), Branch: bp.Branch,
			HeadSHA: bp.HeadSHA, Attrs: bp.Attrs}); err != nil {
			return did, err
		}
		if err := r.recordMarkers(ctx, bp, b, rv == nil); err != nil {
			return did, err
		}
		kind := "pr.published"
		if rv == nil {
			kind = "pr.adopted"
			did = true
		}
		details, _ := json.Marshal(openedDetails{URL: bp.URL, Branch: bp.Branch, Reviewers: rv})
		if _, err := r.st.Log(ctx, state.Event{Kind: kind, PR: bp.Number, Attr: firstAttr(bp.Attrs),
			Message: fmt.Sprintf("%s PR #%d %s", bp.Kind, bp.Number, bp.URL), Details: details}); err != nil {
			return did, err
		}
		log.Info(kind)
	} else if len(b.Changes) > 0 {
		// Known, but maybe adopted by a run that did not have its changes
		// (the revert loop's sync after a mark PR's answer was lost): its
		// markers are recorded now that the changes are here again.
		if err := r.recordMarkers(ctx, bp, b, false); err != nil {
			return did, err
		}
	}

	labeled, err := r.hasEvent(ctx, bp.Number, "pr.labeled")
	if err != nil {
		return did, err
	}
	if !labeled {
		var missing []string
		for _, l := range r.labels(bp.Kind) {
			if !slices.ContainsFunc(bp.Labels, func(x string) bool { return strings.EqualFold(x, l) }) {
				missing = append(missing, l)
			}
		}
		if len(missing) > 0 {
			err := r.call(ctx, fmt.Sprintf("POST labels #%d", bp.Number), func(ctx context.Context) (resp *github.Response, err error) {
				_, resp, err = r.gh.Issues.AddLabelsToIssue(ctx, r.o.Owner, r.o.Repo, bp.Number, missing)
				return resp, err
			})
			if err != nil {
				return did, err
			}
			did = true
		}
		if _, err := r.st.Log(ctx, state.Event{Kind: "pr.labeled", PR: bp.Number, Attr: firstAttr(bp.Attrs),
			Message: fmt.Sprintf("labels %q", r.labels(bp.Kind))}); err != nil {
			return did, err
		}
	}

	reviewed, err := r.hasEvent(ctx, bp.Number, "pr.reviewers")
	if err != nil || reviewed {
		return did, err
	}
	if rv == nil {
		rv, err = r.openedReviewers(ctx, bp)
		if err != nil {
			return did, err
		}
	}
	if rv == nil {
		if len(b.Changes) == 0 {
			log.Warn("open PR without recorded reviewers and without its changes in this run: not requesting reviews")
			return did, nil
		}
		resolved, err := r.resolveReviewers(ctx, b.Changes)
		if err != nil {
			return did, err
		}
		rv = &resolved
	}
	if r.o.Ping == PingNone && len(rv.Users)+len(rv.Teams) > 0 {
		// Planned under another configuration: never request now.
		log.Info("ping policy none: not requesting the reviews planned when the PR was opened")
		rv = &Reviewers{}
	}
	requested, drop, err := r.requestReviewers(ctx, bp.Number, *rv)
	if err != nil {
		return did, err
	}
	if len(requested.Users)+len(requested.Teams)+len(drop) > 0 {
		did = true
	}
	if dropped != nil {
		*dropped = drop
	}
	details, _ := json.Marshal(map[string]any{"requested": requested, "dropped": drop})
	if _, err := r.st.Log(ctx, state.Event{Kind: "pr.reviewers", PR: bp.Number, Attr: firstAttr(bp.Attrs),
		Message: fmt.Sprintf("review requested from %v, teams %v; dropped %v", requested.Users, requested.Teams, drop), Details: details}); err != nil {
		return did, err
	}
	log.WithFields(logrus.Fields{"reviewers": requested.Users, "teams": requested.Teams, "dropped": drop}).Info("reviews requested")
	return did, nil
}

func firstAttr(attrs []string) string {
	if len(attrs) == 0 {
		return ""
	}
	return attrs[0]
}

func (r *run) hasEvent(ctx context.Context, pr int, kind string) (bool, error) {
	ev, err := r.st.Events(ctx, state.EventFilter{PR: pr, Kind: kind, Limit: 1})
	return len(ev) > 0, err
}

// planned is what was planned for bp: its "pr.published" event, and the
// "pr.branch" event of its branch (logged before the PR was created, with
// the reviewers and, for a mark PR, the markers); nil when neither exists.
func (r *run) planned(ctx context.Context, bp *botPR) (*openedDetails, error) {
	published, err := r.st.Events(ctx, state.EventFilter{PR: bp.Number, Kind: "pr.published", Limit: 1})
	if err != nil {
		return nil, err
	}
	branch, err := r.st.Events(ctx, state.EventFilter{Attr: firstAttr(bp.Attrs), Kind: "pr.branch"})
	if err != nil {
		return nil, err
	}
	decode := func(e state.Event) (*openedDetails, error) {
		var d openedDetails
		if len(e.Details) == 0 {
			return nil, nil // logged by an older markbot
		}
		if err := json.Unmarshal(e.Details, &d); err != nil {
			return nil, fmt.Errorf("event %d: %w", e.ID, err)
		}
		return &d, nil
	}
	var out *openedDetails
	for _, e := range branch {
		d, err := decode(e)
		if err != nil {
			return nil, err
		}
		if d != nil && d.Branch == bp.Branch {
			out = d
			break
		}
	}
	if len(published) > 0 {
		d, err := decode(published[0])
		if err != nil {
			return nil, err
		}
		if d != nil {
			if out != nil {
				d.Marks = out.Marks
			}
			out = d
		}
	}
	return out, nil
}

// openedReviewers are the reviewers planned for bp (nil: unknown).
func (r *run) openedReviewers(ctx context.Context, bp *botPR) (*Reviewers, error) {
	p, err := r.planned(ctx, bp)
	if err != nil || p == nil {
		return nil, err
	}
	return p.Reviewers, nil
}

// recordMarkers records the batch's markers against bp, the PR: new
// markers for a mark PR (those of the batch's changes; when adopting, also
// those planned with the PR's branch), the revert PR of live markers for an
// unmark PR.
// An unmark PR's markers are those of the batch's changes and of the PR's
// hidden block, so a PR adopted after a crash (when the revert loop no
// longer proposes its changes) still moves its markers to reverting; a
// narrowing is logged (narrowingEvent) for prMerged. Rerunning it is
// harmless.
func (r *run) recordMarkers(ctx context.Context, bp *botPR, b Batch, adopting bool) error {
	number := bp.Number
	if b.Kind == KindMark {
		// r.baseSHA is "" when this run has not read the base (nothing to
		// publish): every position from an evaluated revision is then
		// taken from the branch's plan, which is where the PR put it.
		changes := slices.Clone(b.Changes)
		var p *openedDetails
		if adopting || slices.ContainsFunc(changes, func(c Change) bool { return c.Revision != "" && c.Revision != r.baseSHA }) {
			var err error
			if p, err = r.planned(ctx, bp); err != nil {
				return err
			}
		}
		for i, c := range changes {
			// A position from the evaluated revision (a run finishing a PR
			// an earlier run opened): the branch's, at the base commit.
			if pm, ok := p.marks()[c.Attr()]; ok && c.Revision != "" && c.Revision != r.baseSHA {
				changes[i].File, changes[i].Line, changes[i].Revision = pm.File, pm.Line, ""
			}
		}
		if adopting {
			// The PR's markers as planned with its branch, for those whose
			// changes this run does not have (the package fixed meanwhile,
			// or a run that publishes nothing adopting it).
			for _, a := range bp.Attrs {
				pm, ok := p.marks()[a]
				if !ok || slices.ContainsFunc(changes, func(c Change) bool { return slices.Contains(c.Attrs, a) }) {
					continue
				}
				if c, ok := pm.change(); ok {
					changes = append(changes, c)
				}
			}
		}
		for _, c := range changes {
			m, ok, err := r.st.LiveMarker(ctx, c.Attr())
			if err != nil {
				return err
			}
			if !ok {
				m, err = r.st.AddMarker(ctx, state.Marker{Attr: c.Attr(), Attrs: c.Attrs, File: c.File, Line: c.Line,
					Systems: c.Systems, BuildID: c.BuildID, BuildURL: c.BuildURL, Since: c.Since})
				if err != nil {
					return fmt.Errorf("marker %s: %w", c.Attr(), err)
				}
			}
			if m.PR != number {
				if err := r.st.SetMarkerPR(ctx, m.ID, number, false); err != nil {
					return fmt.Errorf("marker %s: %w", c.Attr(), err)
				}
			}
		}
		return nil
	}
	narrow := maps.Clone(bp.Narrow)
	if narrow == nil {
		narrow = map[string]HiddenNarrow{}
	}
	primary := map[string]bool{}
	for _, c := range b.Changes {
		primary[c.Attr()] = true
		if n := c.Narrow; n != nil {
			narrow[c.Attr()] = HiddenNarrow{Systems: n.Systems, Build: n.BuildID, URL: n.BuildURL}
		}
	}
	attrs := slices.Sorted(maps.Keys(primary))
	for _, a := range bp.Attrs {
		if !primary[a] {
			attrs = append(attrs, a)
		}
	}
	for _, a := range attrs {
		m, ok, err := r.st.LiveMarker(ctx, a)
		if err != nil {
			return err
		}
		if !ok {
			if primary[a] {
				r.log.WithFields(logrus.Fields{"attr": a, "pr": number}).Warn("unmark PR for an attribute without a live marker in state")
			}
			continue
		}
		if m.State != state.Merged && m.State != state.Probing && !(m.State == state.Reverting && m.RevertPR == number) {
			continue
		}
		if n, ok := narrow[a]; ok {
			if err := r.logNarrowing(ctx, number, a, n); err != nil {
				return fmt.Errorf("marker %s: %w", a, err)
			}
		}
		if m.State == state.Merged || m.State == state.Probing {
			if _, err := r.st.TransitionMarker(ctx, m.ID, state.Reverting, fmt.Sprintf("unmark PR #%d", number)); err != nil {
				return fmt.Errorf("marker %s: %w", a, err)
			}
		}
		if m.RevertPR != number {
			if err := r.st.SetMarkerPR(ctx, m.ID, number, true); err != nil {
				return fmt.Errorf("marker %s: %w", a, err)
			}
		}
	}
	return nil
}

// narrowingEvent records, against an unmark PR and an attribute, the
// marker the PR leaves for the systems still failing (HiddenNarrow in the
// details); prMerged applies it.
const narrowingEvent = "marker.narrowing"

func (r *run) logNarrowing(ctx context.Context, number int, attr string, n HiddenNarrow) error {
	if have, err := r.narrowing(ctx, number, attr); err != nil || have != nil {
		return err
	}
	details, _ := json.Marshal(n)
	_, err := r.st.Log(ctx, state.Event{Kind: narrowingEvent, PR: number, Attr: attr, Details: details,
		Message: fmt.Sprintf("unmark PR #%d narrows the marker to %s", number, strings.Join(n.Systems, ", "))})
	return err
}

// narrowing is the narrowing logged for PR number and attr (nil: none).
func (r *run) narrowing(ctx context.Context, number int, attr string) (*HiddenNarrow, error) {
	ev, err := r.st.Events(ctx, state.EventFilter{PR: number, Attr: attr, Kind: narrowingEvent, Limit: 1})
	if err != nil || len(ev) == 0 {
		return nil, err
	}
	var n HiddenNarrow
	if err := json.Unmarshal(ev[0].Details, &n); err != nil || len(n.Systems) == 0 {
		return nil, fmt.Errorf("event %d: malformed narrowing %s", ev[0].ID, ev[0].Details)
	}
	return &n, nil
}
