package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/nixedit"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// ProbeHydra is what the revert loop needs of Hydra (*hydra.Client).
type ProbeHydra interface {
	History(ctx context.Context, cache *hydra.Cache, project, jobset string, n int) ([]*hydra.EvalRecords, error)
	BuildURL(id int64) string
}

// RepoContents reads a file of the repository at a ref
// (*github.RepositoriesService, prs.Client.Contents).
type RepoContents interface {
	GetContents(ctx context.Context, owner, repo, path string, opts *github.RepositoryContentGetOptions) (*github.RepositoryContent, []*github.RepositoryContent, *github.Response, error)
}

// RevertStore is the part of internal/state the revert loop uses
// (*state.Store).
type RevertStore interface {
	Markers(ctx context.Context, states ...state.MarkerState) ([]state.Marker, error)
	TransitionMarker(ctx context.Context, id int64, to state.MarkerState, message string) (state.Marker, error)
	SetMarkerPosition(ctx context.Context, id int64, file string, line int) error
	Log(ctx context.Context, e state.Event) (int64, error)
	Events(ctx context.Context, f state.EventFilter) ([]state.Event, error)
}

var (
	_ ProbeHydra   = (*hydra.Client)(nil)
	_ RepoContents = (*github.RepositoriesService)(nil)
	_ RevertStore  = (*state.Store)(nil)
)

// probeEvent is the event kind Revert logs after each probe; Every is
// measured from the newest one.
const probeEvent = "revert.probe"

// RevertOptions configure Revert.
type RevertOptions struct {
	// Owner, Repo and Base name the repository and branch markers are read
	// from (Base default "master").
	Owner, Repo, Base string
	// ProbeProject and ProbeJobset name the jobset evaluated with
	// allowBroken (hydra.probe_jobset). Empty: no probe; only the markers'
	// fate on the base branch is read.
	ProbeProject, ProbeJobset string
	Cache                     *hydra.Cache
	// Systems are the systems a marker covering every system must build on
	// (default: those the probe built it on).
	Systems []string
	// Every: when the last probe (a "revert.probe" event) is more recent
	// than this, Revert does nothing (policy.probe_every). 0: every call.
	Every time.Duration
	// Index, if set, gives the unmark PRs their maintainers as reviewers.
	Index func(context.Context) (Index, error)
	// DryRun: read only; no state is written (the publisher must be a dry
	// run too).
	DryRun bool
	Now    func() time.Time
	Log    logrus.FieldLogger
}

// RevertNote is one marker left as it is, and why.
type RevertNote struct {
	Attr   string
	Reason string
}

func (n RevertNote) String() string { return n.Attr + ": " + n.Reason }

// RevertSummary is what one Revert saw and did.
type RevertSummary struct {
	// NotDue is true when the last probe is more recent than Every.
	NotDue bool
	// Checked is the number of markers read at the base branch.
	Checked int
	// HumanOwned are markers a human edited or removed: let go.
	HumanOwned []RevertNote
	// Moved are markers whose position line changed; state follows.
	Moved []RevertNote
	// Unreadable are markers whose file could not be read or parsed this
	// time (kept; the next cycle tries again).
	Unreadable []RevertNote
	// ProbeEval is the probe evaluation read (0: none).
	ProbeEval int64
	// Changes are the unmark changes proposed (green on every system).
	Changes []prs.Change
	// Partial are markers green on some of their systems only: not
	// reverted (narrowing a marker to the failing systems is not done yet).
	Partial []RevertNote
	// Failing are markers the probe does not show green (failing, not
	// built, or a probe older than the marker).
	Failing []RevertNote
	// Publish is the unmark publication (nil when nothing was proposed).
	Publish *prs.Result
}

// Revert is the revert loop of one cycle. For each marker on the base
// branch (state merged or probing) it reads the marker's file at the base
// branch: markbot's marker still as written (nixedit.Unmark takes it out,
// and what it takes out names the marker's build) → still tracked, at its
// position line (which Mark may have shifted, e.g. by adding stdenv to
// multi-line formals; the position is searched near the recorded line and
// state updated); a human edited it (HumanChangedError), removed it
// (ErrNotMarked) or removed the file → human-owned, with the reason logged.
// Then the probe: the newest finished evaluation of the allowBroken jobset
// (no older than the marker); a marker all of whose attributes built by the
// probe succeed (status 0) on every system it covers becomes an unmark
// change with a green build as evidence, and the changes are published as
// batched unmark PRs by pub. Green on some systems only is not reverted in
// this version (narrowing is a later step). Unmark changes the publisher
// finds human-changed or not marked move their markers to human-owned.
//
// Markers whose mark PR was merged become "merged" when a Publish syncs
// state with GitHub, so call Revert after the cycle's publication; Revert
// syncs itself (a Publish without changes) when proposed or reverting
// markers exist.
func Revert(ctx context.Context, h ProbeHydra, gh RepoContents, st RevertStore, pub Publisher, o RevertOptions) (*RevertSummary, error) {
	log := o.Log
	if log == nil {
		log = logrus.StandardLogger()
	}
	if o.Base == "" {
		o.Base = prs.DefaultBase
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	sum := &RevertSummary{}
	if o.Every > 0 {
		last, err := st.Events(ctx, state.EventFilter{Kind: probeEvent, Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("revert: %w", err)
		}
		if len(last) > 0 && o.Now().Sub(last[0].At) < o.Every {
			sum.NotDue = true
			log.WithFields(logrus.Fields{"last_probe": last[0].At.UTC().Format(time.RFC3339), "every": o.Every}).Debug("revert: probe not due")
			return sum, nil
		}
	}

	// Sync: merged mark PRs make markers merged.
	pending, err := st.Markers(ctx, state.Proposed, state.Reverting)
	if err != nil {
		return nil, fmt.Errorf("revert: %w", err)
	}
	if len(pending) > 0 {
		if _, err := pub.Publish(ctx, nil); err != nil {
			return nil, fmt.Errorf("revert: syncing pull requests: %w", err)
		}
	}
	markers, err := st.Markers(ctx, state.Merged, state.Probing)
	if err != nil {
		return nil, fmt.Errorf("revert: %w", err)
	}

	// Fate: read each marker at the base branch.
	files := map[string]*string{}
	var tracked []state.Marker
	for _, m := range markers {
		l := log.WithFields(logrus.Fields{"attr": m.Attr, "marker": m.ID, "file": m.File})
		src, ok := files[m.File]
		if !ok {
			src, err = readFile(ctx, gh, o.Owner, o.Repo, o.Base, m.File)
			if err != nil {
				if ctx.Err() != nil {
					return sum, ctx.Err()
				}
				l.WithError(err).Warn("revert: cannot read the marker's file; trying again next cycle")
				sum.Unreadable = append(sum.Unreadable, RevertNote{m.Attr, err.Error()})
				continue
			}
			files[m.File] = src
		}
		sum.Checked++
		var f fate
		if src == nil {
			f = fate{kind: fateHuman, reason: fmt.Sprintf("%s no longer exists on %s", m.File, o.Base)}
		} else {
			f = findMarker(m, []byte(*src))
		}
		switch f.kind {
		case fateUnknown:
			l.Warn("revert: " + f.reason + "; trying again next cycle")
			sum.Unreadable = append(sum.Unreadable, RevertNote{m.Attr, f.reason})
		case fateHuman:
			reason := "marker in " + m.File + " taken over by a human: " + f.reason
			l.WithField("reason", f.reason).Info("revert: marker is human-owned now")
			sum.HumanOwned = append(sum.HumanOwned, RevertNote{m.Attr, f.reason})
			if !o.DryRun {
				if _, err := st.TransitionMarker(ctx, m.ID, state.HumanOwned, reason); err != nil {
					return sum, fmt.Errorf("revert: %w", err)
				}
			}
		case fateTracked:
			if f.line != m.Line {
				l.WithFields(logrus.Fields{"line": m.Line, "now": f.line}).Info("revert: marker's position moved")
				sum.Moved = append(sum.Moved, RevertNote{m.Attr, fmt.Sprintf("line %d → %d", m.Line, f.line)})
				if !o.DryRun {
					if err := st.SetMarkerPosition(ctx, m.ID, m.File, f.line); err != nil {
						return sum, fmt.Errorf("revert: %w", err)
					}
				}
				m.Line = f.line
			}
			tracked = append(tracked, m)
		}
	}
	if o.ProbeJobset == "" || len(tracked) == 0 {
		return sum, nil
	}

	// Probe.
	records, err := h.History(ctx, o.Cache, o.ProbeProject, o.ProbeJobset, 1)
	if err != nil {
		return sum, fmt.Errorf("revert: probe: reading %s/%s: %w", o.ProbeProject, o.ProbeJobset, err)
	}
	probe := records[0]
	sum.ProbeEval = probe.Eval
	changes, partial, failing := ProbeChanges(tracked, probe, o.Systems, h.BuildURL)
	sum.Partial, sum.Failing = partial, failing
	for _, n := range partial {
		log.WithFields(logrus.Fields{"attr": n.Attr, "eval": probe.Eval}).Info("probe: not reverted: " + n.Reason)
	}
	for _, n := range failing {
		log.WithFields(logrus.Fields{"attr": n.Attr, "eval": probe.Eval}).Debug("probe: not reverted: " + n.Reason)
	}
	if len(changes) > 0 && o.Index != nil {
		idx, err := o.Index(ctx)
		if err != nil {
			log.WithError(err).Warn("probe: no packages index: the unmark PRs request no reviews")
		} else {
			for i := range changes {
				if p, ok := idx.Lookup(changes[i].Attr()); ok {
					changes[i].Maintainers, changes[i].Teams = p.Maintainers, p.Teams
				}
			}
		}
	}
	sum.Changes = changes
	log.WithFields(logrus.Fields{"eval": probe.Eval, "tracked": len(tracked), "green": len(changes),
		"partial": len(partial), "failing": len(failing)}).Info("probe: read")
	if !o.DryRun {
		details, _ := json.Marshal(map[string]any{"eval": probe.Eval, "tracked": len(tracked), "green": len(changes),
			"partial": len(partial), "failing": len(failing)})
		if _, err := st.Log(ctx, state.Event{Kind: probeEvent, Details: details,
			Message: fmt.Sprintf("probe %s/%s evaluation %d: %d of %d markers green", o.ProbeProject, o.ProbeJobset, probe.Eval, len(changes), len(tracked))}); err != nil {
			return sum, fmt.Errorf("revert: %w", err)
		}
	}
	if len(changes) == 0 {
		return sum, nil
	}

	// Publish the unmark PRs.
	res, err := pub.Publish(ctx, changes)
	sum.Publish = res
	if res != nil && !o.DryRun {
		for _, cr := range res.Changes {
			if cr.Kind != prs.KindUnmark || (cr.Outcome != prs.OutcomeHumanChanged && cr.Outcome != prs.OutcomeNotMarked) {
				continue
			}
			for _, m := range tracked {
				if m.Attr != firstAttr(cr.Attrs) {
					continue
				}
				sum.HumanOwned = append(sum.HumanOwned, RevertNote{m.Attr, cr.Reason})
				if _, terr := st.TransitionMarker(ctx, m.ID, state.HumanOwned, "unmark: "+cr.Reason); terr != nil {
					err = errors.Join(err, terr)
				}
			}
		}
	}
	if err != nil {
		return sum, fmt.Errorf("revert: publish: %w", err)
	}
	return sum, nil
}

func firstAttr(attrs []string) string {
	if len(attrs) == 0 {
		return ""
	}
	return attrs[0]
}

// readFile reads path at ref; nil without error when it does not exist.
func readFile(ctx context.Context, gh RepoContents, owner, repo, ref, path string) (*string, error) {
	fc, _, resp, err := gh.GetContents(ctx, owner, repo, path, &github.RepositoryContentGetOptions{Ref: ref})
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("GET contents %s at %s: %w", path, ref, err)
	}
	if fc == nil || fc.GetType() != "file" {
		return nil, fmt.Errorf("%s is not a file at %s", path, ref)
	}
	if fc.GetEncoding() == "none" || (fc.Content == nil && fc.GetSize() > 0) {
		return nil, fmt.Errorf("%s: too large for the contents API (%d bytes)", path, fc.GetSize())
	}
	s, err := fc.GetContent()
	if err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	return &s, nil
}

type fateKind int

const (
	fateUnknown fateKind = iota // cannot tell this time (the file does not parse)
	fateTracked                 // markbot's marker as written, at line
	fateHuman                   // edited or removed by a human
)

type fate struct {
	kind   fateKind
	line   int
	reason string
}

// searchLines bounds how far from the recorded line the position is looked
// for (lines added or removed above it since the marker was recorded).
const searchLines = 200

// findMarker decides a marker's fate from its file at the base branch. The
// marker is markbot's as written when nixedit.Unmark succeeds at its
// position and what it takes out names the marker's build (so a marker of
// another derivation in the same file is not taken for it). The recorded
// line is tried first, then lines ever farther from it.
func findMarker(m state.Marker, src []byte) fate {
	ours := func(out []byte) bool {
		u := strings.TrimSuffix(m.BuildURL, "/")
		return u == "" || bytes.Count(out, []byte(u)) < bytes.Count(src, []byte(u))
	}
	out, first := nixedit.Unmark(m.File, src, m.Line)
	var human *nixedit.HumanChangedError
	switch {
	case first == nil && ours(out):
		return fate{kind: fateTracked, line: m.Line}
	case errors.As(first, &human):
		return fate{kind: fateHuman, reason: human.Reason}
	}
	f, err := nixedit.Parse(m.File, src)
	if err != nil {
		return fate{kind: fateUnknown, reason: fmt.Sprintf("%s does not parse: %v", m.File, err)}
	}
	n := bytes.Count(src, []byte("\n")) + 1
	for d := 1; d <= searchLines; d++ {
		for _, line := range []int{m.Line + d, m.Line - d} {
			if line < 1 || line > n {
				continue
			}
			if _, err := f.Locate(line); err != nil {
				continue
			}
			if out, err := nixedit.Unmark(m.File, src, line); err == nil && ours(out) {
				return fate{kind: fateTracked, line: line}
			}
		}
	}
	u := strings.TrimSuffix(m.BuildURL, "/")
	switch {
	case errors.Is(first, nixedit.ErrNotMarked) || (u != "" && !bytes.Contains(src, []byte(u))):
		return fate{kind: fateHuman, reason: "markbot's marker is no longer in " + m.File}
	case first == nil:
		return fate{kind: fateHuman, reason: fmt.Sprintf("the marker at line %d is not the one markbot wrote for %s", m.Line, m.BuildURL)}
	}
	return fate{kind: fateHuman, reason: fmt.Sprintf("markbot's marker is no longer where markbot wrote it (%v)", first)}
}

// ProbeChanges decides from the probe evaluation which tracked markers to
// revert. A marker's systems (all systems it was marked for; when it covers
// every system, systems or else the systems the probe built it on) must
// each have at least one of its attributes built by the probe, and every
// attribute built there must have succeeded. A probe evaluation older than
// the marker says nothing about it. Green on some systems only is partial:
// not reverted (narrowing is a later step).
func ProbeChanges(markers []state.Marker, probe *hydra.EvalRecords, systems []string, buildURL func(int64) string) (changes []prs.Change, partial, failing []RevertNote) {
	type key struct{ attr, system string }
	built := map[key][]hydra.Record{}
	want := map[string]bool{}
	for _, m := range markers {
		for _, a := range attrsOf(m) {
			want[a] = true
		}
	}
	for _, r := range probe.Records {
		attr, ok := nixpkgs.AttrFromJob(r.Job, r.System)
		if ok && want[attr] {
			built[key{attr, r.System}] = append(built[key{attr, r.System}], r)
		}
	}
	evalTime := time.Unix(probe.Timestamp, 0)
	for _, m := range markers {
		attrs := attrsOf(m)
		if !m.Created.IsZero() && evalTime.Before(m.Created) {
			failing = append(failing, RevertNote{m.Attr, fmt.Sprintf("probe evaluation %d is older than the marker", probe.Eval)})
			continue
		}
		need := m.Systems
		if len(need) == 0 {
			need = systems
			if len(need) == 0 {
				seen := map[string]bool{}
				for k := range built {
					if slices.Contains(attrs, k.attr) && !seen[k.system] {
						seen[k.system] = true
						need = append(need, k.system)
					}
				}
				sort.Strings(need)
			}
		}
		var green, red, missing []string
		var evidence int64
		for _, s := range need {
			var n int
			ok := true
			for _, a := range attrs {
				for _, r := range built[key{a, s}] {
					n++
					if r.Status != hydra.StatusSucceeded {
						ok = false
					} else if evidence == 0 {
						evidence = r.Build
					}
				}
			}
			switch {
			case n == 0:
				missing = append(missing, s)
			case ok:
				green = append(green, s)
			default:
				red = append(red, s)
			}
		}
		switch {
		case len(need) > 0 && len(green) == len(need):
			changes = append(changes, prs.Change{Kind: prs.KindUnmark, File: m.File, Line: m.Line, Attrs: attrs,
				Systems: m.Systems, BuildID: evidence, BuildURL: buildURL(evidence), Since: m.Since})
		case len(green) > 0:
			partial = append(partial, RevertNote{m.Attr, fmt.Sprintf("green on %s only; still failing or not built on %s (narrowing the marker is not done yet)",
				strings.Join(green, ", "), strings.Join(append(red, missing...), ", "))})
		case len(red) > 0:
			failing = append(failing, RevertNote{m.Attr, "still failing in the probe on " + strings.Join(red, ", ")})
		default:
			failing = append(failing, RevertNote{m.Attr, fmt.Sprintf("not built by probe evaluation %d", probe.Eval)})
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Attr() < changes[j].Attr() })
	return changes, partial, failing
}
