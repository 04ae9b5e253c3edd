package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/ghfile"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// ProbeHydra is what the revert loop needs of Hydra (*hydra.Client).
type ProbeHydra interface {
	History(ctx context.Context, cache *hydra.Cache, project, jobset string, n int) ([]*hydra.EvalRecords, error)
	BuildURL(id int64) string
}

// RepoContents reads a file of the repository at a ref, whatever its size,
// through internal/ghfile (a *github.Client, as prs.Client.Contents).
type RepoContents = ghfile.API

// RevertStore is the part of internal/state the revert loop uses
// (*state.Store).
type RevertStore interface {
	Markers(ctx context.Context, states ...state.MarkerState) ([]state.Marker, error)
	TransitionMarker(ctx context.Context, id int64, to state.MarkerState, message string) (state.Marker, error)
	SetMarkerPosition(ctx context.Context, id int64, file string, line int) error
	Log(ctx context.Context, e state.Event) (int64, error)
	Events(ctx context.Context, f state.EventFilter) ([]state.Event, error)
	RecordProbes(ctx context.Context, ps []state.Probe) ([]state.Probe, error)
	LatestProbes(ctx context.Context, id int64) ([]state.Probe, error)
}

var (
	_ ProbeHydra   = (*hydra.Client)(nil)
	_ RepoContents = (*github.Client)(nil)
	_ RevertStore  = (*state.Store)(nil)
)

// probeEvent is the event kind Revert logs after each probe round.
const probeEvent = "revert.probe"

// CheckedEvent is the event kind Revert logs for a marker whose file it
// read and found the marker in, when no probe is configured: the marker
// is read again once RevertOptions.Every has passed.
const CheckedEvent = "revert.checked"

// ProbeRequestedEvent is the event kind that asks for a marker's attribute
// (the event's Attr) to be probed at the next Revert, whenever it was last
// probed ("@markbot recheck").
const ProbeRequestedEvent = "probe.requested"

// RevertOptions configure Revert.
type RevertOptions struct {
	// Owner, Repo and Base name the repository and branch markers are read
	// from (Base default "master").
	Owner, Repo, Base string
	// ProbeProject and ProbeJobset name the jobset evaluated with
	// allowBroken (probe.hydra_jobset). Empty: no Hydra probe.
	ProbeProject, ProbeJobset string
	Cache                     *hydra.Cache
	// Local, if set, is the local build probe (probe.build_command): it
	// builds what the Hydra probe did not, on the systems it can build.
	// With neither probe only the markers' fate on the base branch is read.
	Local *LocalBuilder
	// Systems are the systems a marker covering every system must build on
	// (default: those the probes built it on).
	Systems []string
	// Master is the newest evaluation of the watched jobset (the cycle's;
	// nil: unknown). A marker whose derivation there differs from the one
	// it was last probed at is due at once.
	Master *hydra.EvalRecords
	// Every (probe.every): a marker whose derivation did not change is
	// probed when its last probe is at least this old. 0: every call.
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
	// NotDue is true when probes are configured but no marker was due:
	// every one was probed less than Every ago and its derivation did not
	// change since.
	NotDue bool
	// Due are the markers probed this time, and why.
	Due []RevertNote
	// Builds are the local builds run, with their outcome and log.
	Builds []RevertNote
	// ProbeErrors are probes that could not run (the local command failed
	// to start, the Hydra probe jobset could not be read); their markers
	// are tried again next time.
	ProbeErrors []RevertNote
	// Markers is the number of markers on the base branch (merged, or
	// probing); Checked how many of them were read there: with a probe
	// configured, only the due ones.
	Markers, Checked int
	// HumanOwned are markers a human edited or removed: let go.
	HumanOwned []RevertNote
	// Moved are markers whose position line changed; state follows.
	Moved []RevertNote
	// Unreadable are markers whose file could not be read or parsed this
	// time (kept; the next cycle tries again).
	Unreadable []RevertNote
	// ProbeEval is the probe evaluation read (0: none).
	ProbeEval int64
	// Changes are the unmark changes proposed: green on every system, or
	// narrowing the marker (Change.Narrow) when green on some.
	Changes []prs.Change
	// Partial are markers green on some of their systems only: their
	// changes (in Changes) narrow them to the other systems.
	Partial []RevertNote
	// Failing are due markers the probes do not show green (failing, not
	// built, or a Hydra probe older than the marker).
	Failing []RevertNote
	// Publish is the unmark publication (nil when nothing was proposed).
	Publish *prs.Result
}

// Narrowed is how many of Changes narrow their marker rather than take it
// out.
func (s *RevertSummary) Narrowed() int {
	n := 0
	for _, c := range s.Changes {
		if c.Narrow != nil {
			n++
		}
	}
	return n
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
// batched unmark PRs by pub. Green on some systems only becomes an unmark
// change that narrows the marker to the others (decideProbe). Unmark
// changes the publisher finds human-changed or not marked move their
// markers to human-owned.
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
	sum.Markers = len(markers)

	// A marker still "probing" is left from a run interrupted during its
	// local build (a crash, a shutdown): it goes back to merged when there
	// is nothing to build now, and is due at once otherwise.
	settle := func(m state.Marker, why string) error {
		if m.State != state.Probing || o.DryRun {
			return nil
		}
		_, err := st.TransitionMarker(ctx, m.ID, state.Merged, why)
		return err
	}
	noProbe := o.ProbeJobset == "" && o.Local == nil
	if noProbe {
		// Nothing is ever due: each marker's file is read once every
		// Every (CheckedEvent records when), so that a human's change to
		// it is seen without reading every file every cycle.
		var stale []state.Marker
		for _, m := range markers {
			ev, err := st.Events(ctx, state.EventFilter{Kind: CheckedEvent, Attr: m.Attr, Limit: 1})
			if err != nil {
				return sum, fmt.Errorf("revert: %w", err)
			}
			if m.State == state.Probing || len(ev) == 0 || o.Every <= 0 || o.Now().Sub(ev[0].At) >= o.Every {
				stale = append(stale, m)
			}
		}
		tracked, err := fates(ctx, gh, st, o, log, stale, sum)
		if err != nil {
			return sum, err
		}
		for _, m := range tracked {
			if !o.DryRun {
				if _, err := st.Log(ctx, state.Event{At: o.Now(), Kind: CheckedEvent, Attr: m.Attr,
					Message: fmt.Sprintf("marker %d still markbot's at %s:%d", m.ID, m.File, m.Line)}); err != nil {
					return sum, fmt.Errorf("revert: %w", err)
				}
			}
			if err := settle(m, "no probe configured"); err != nil {
				return sum, fmt.Errorf("revert: %w", err)
			}
		}
		return sum, nil
	}

	// Which markers are due, from state alone (their probes, a recheck
	// asked for, the derivations of the newest evaluation); only those are
	// read on the base branch, so a cycle with nothing due reads no file.
	cur := currentDrvs(o.Master, markers)
	whys := map[int64]string{}
	var candidates []state.Marker
	for _, m := range markers {
		latest, err := st.LatestProbes(ctx, m.ID)
		if err != nil {
			return sum, fmt.Errorf("revert: %w", err)
		}
		req, err := st.Events(ctx, state.EventFilter{Kind: ProbeRequestedEvent, Attr: m.Attr, Limit: 1})
		if err != nil {
			return sum, fmt.Errorf("revert: %w", err)
		}
		var requested time.Time
		if len(req) > 0 {
			requested = req[0].At
		}
		if o.ProbeJobset == "" && !slices.ContainsFunc(markerSystems(m, o.Systems), o.Local.CanBuild) {
			sum.Failing = append(sum.Failing, RevertNote{m.Attr, "no probe covers its systems (no probe.hydra_jobset; probe.build_systems do not include them)"})
			if err := settle(m, "no probe covers its systems"); err != nil {
				return sum, fmt.Errorf("revert: %w", err)
			}
			continue
		}
		why := dueReason(m, latest, cur, requested, o.Now(), o.Every)
		if m.State == state.Probing {
			why = "its last local build was interrupted"
		}
		if why != "" {
			whys[m.ID] = why
			candidates = append(candidates, m)
		}
	}
	// Fate: read each due marker at the base branch.
	due, err := fates(ctx, gh, st, o, log, candidates, sum)
	if err != nil {
		return sum, err
	}
	for _, m := range due {
		sum.Due = append(sum.Due, RevertNote{m.Attr, whys[m.ID]})
		log.WithFields(logrus.Fields{"attr": m.Attr, "marker": m.ID}).Debug("probe: due: " + whys[m.ID])
	}
	if len(due) == 0 {
		sum.NotDue = len(candidates) == 0
		log.WithFields(logrus.Fields{"markers": len(markers), "every": o.Every}).Debug("revert: no marker due for a probe")
		return sum, nil
	}
	// Probe: Hydra's allowBroken jobset first, then local builds of what it
	// did not build.
	round := map[int64][]state.Probe{} // this round's results, by marker
	notes := map[int64]string{}        // why a marker has no Hydra result
	if o.ProbeJobset != "" {
		records, err := h.History(ctx, o.Cache, o.ProbeProject, o.ProbeJobset, 1)
		if err != nil {
			if ctx.Err() != nil {
				return sum, ctx.Err()
			}
			if o.Local == nil {
				return sum, fmt.Errorf("revert: probe: reading %s/%s: %w", o.ProbeProject, o.ProbeJobset, err)
			}
			log.WithError(err).Warn("probe: cannot read the Hydra probe jobset; local builds only this time")
			sum.ProbeErrors = append(sum.ProbeErrors, RevertNote{o.ProbeProject + "/" + o.ProbeJobset, err.Error()})
		} else {
			sum.ProbeEval = records[0].Eval
			for id, ps := range hydraProbes(due, records[0], h.BuildURL, o.Now(), notes) {
				round[id] = ps
				if !o.DryRun {
					if _, err := st.RecordProbes(ctx, ps); err != nil {
						return sum, fmt.Errorf("revert: %w", err)
					}
				}
			}
		}
	}
	if o.Local != nil {
		if err := localProbes(ctx, st, o, due, cur, round, sum, log); err != nil {
			return sum, err
		}
	} else {
		for _, m := range due {
			if err := settle(m, "no local build probe configured"); err != nil {
				return sum, fmt.Errorf("revert: %w", err)
			}
		}
	}

	// Decide from each due marker's newest results.
	var changes []prs.Change
	for _, m := range due {
		latest, err := st.LatestProbes(ctx, m.ID)
		if err != nil {
			return sum, fmt.Errorf("revert: %w", err)
		}
		c, note, green := decideProbe(m, mergeProbes(latest, round[m.ID]), o.Systems, notes[m.ID])
		if c != nil {
			changes = append(changes, *c)
		}
		switch {
		case green && note.Attr != "":
			sum.Partial = append(sum.Partial, note)
			log.WithFields(logrus.Fields{"attr": note.Attr}).Info("probe: " + note.Reason)
		case c != nil: // green on every system
		default:
			sum.Failing = append(sum.Failing, note)
			log.WithFields(logrus.Fields{"attr": note.Attr}).Debug("probe: not reverted: " + note.Reason)
		}
	}
	sort.Slice(changes, func(i, j int) bool { return changes[i].Attr() < changes[j].Attr() })
	if len(changes) > 0 && o.Index != nil {
		idx, err := o.Index(ctx)
		if err != nil {
			log.WithError(err).Warn("probe: no packages index: the unmark PRs request no reviews")
		} else {
			for i := range changes {
				if p, ok := idx.Lookup(changes[i].Attr()); ok {
					changes[i].Maintainers, changes[i].Teams = p.DirectMaintainers(), p.Teams
				}
			}
		}
	}
	sum.Changes = changes
	narrowed := sum.Narrowed()
	counts := logrus.Fields{"eval": sum.ProbeEval, "tracked": len(markers), "due": len(due), "builds": len(sum.Builds),
		"green": len(changes) - narrowed, "narrowed": narrowed, "partial": len(sum.Partial), "failing": len(sum.Failing)}
	log.WithFields(counts).Info("probe: read")
	if !o.DryRun {
		details, _ := json.Marshal(counts)
		if _, err := st.Log(ctx, state.Event{Kind: probeEvent, Details: details,
			Message: fmt.Sprintf("probe: %d of %d due markers green, %d to narrow (%d tracked)", len(changes)-narrowed, len(due), narrowed, len(markers))}); err != nil {
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
			for _, m := range due {
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

type probeKey struct{ attr, system string }

// currentDrvs maps the tracked markers' attributes and systems to their
// derivations in the newest evaluation of the watched jobset.
func currentDrvs(master *hydra.EvalRecords, markers []state.Marker) map[probeKey]string {
	cur := map[probeKey]string{}
	if master == nil {
		return cur
	}
	want := map[string]bool{}
	for _, m := range markers {
		for _, a := range attrsOf(m) {
			want[a] = true
		}
	}
	for _, r := range master.Records {
		if attr, ok := nixpkgs.AttrFromJob(r.Job, r.System); ok && want[attr] {
			cur[probeKey{attr, r.System}] = r.Derivation()
		}
	}
	return cur
}

// dueReason says why marker m is due for a probe, or "" when it is not:
// never probed; a derivation it was probed at changed in the watched
// jobset; a recheck was asked for after its last probe; or its last probe
// is at least every old (every 0: always due).
func dueReason(m state.Marker, latest []state.Probe, cur map[probeKey]string, requested, now time.Time, every time.Duration) string {
	if len(latest) == 0 {
		return "never probed"
	}
	var newest time.Time
	for _, p := range latest {
		if p.At.After(newest) {
			newest = p.At
		}
	}
	for _, p := range latest {
		if d, ok := cur[probeKey{p.Attr, p.System}]; ok && p.Drv != "" && d != p.Drv {
			return fmt.Sprintf("the derivation of %s on %s changed since its last probe", p.Attr, p.System)
		}
	}
	if requested.After(newest) {
		return "a recheck was asked for"
	}
	if age := now.Sub(newest); every <= 0 || age >= every {
		return fmt.Sprintf("last probed %s ago", age.Round(time.Minute))
	}
	return ""
}

// hydraProbes are the results the probe evaluation holds for the due
// markers' attributes on the systems they cover, as seen now (a probe's
// time is when markbot looked, so Every counts from there; the evaluation
// is in Eval). An evaluation older than a marker says nothing about it
// (noted in notes).
func hydraProbes(due []state.Marker, probe *hydra.EvalRecords, buildURL func(int64) string, now time.Time, notes map[int64]string) map[int64][]state.Probe {
	byAttr := map[string][]hydra.Record{}
	for _, r := range probe.Records {
		if attr, ok := nixpkgs.AttrFromJob(r.Job, r.System); ok {
			byAttr[attr] = append(byAttr[attr], r)
		}
	}
	evalTime := time.Unix(probe.Timestamp, 0)
	out := map[int64][]state.Probe{}
	for _, m := range due {
		if !m.Created.IsZero() && evalTime.Before(m.Created) {
			notes[m.ID] = fmt.Sprintf("probe evaluation %d is older than the marker", probe.Eval)
			continue
		}
		for _, a := range attrsOf(m) {
			for _, r := range byAttr[a] {
				if len(m.Systems) > 0 && !slices.Contains(m.Systems, r.System) {
					continue
				}
				out[m.ID] = append(out[m.ID], state.Probe{Marker: m.ID, Attr: a, System: r.System, Source: state.ProbeHydra,
					Drv: r.Derivation(), OK: r.Status == hydra.StatusSucceeded, Eval: probe.Eval, Build: r.Build,
					URL: buildURL(r.Build), Detail: fmt.Sprintf("Hydra status %d (%s)", r.Status, r.Status), At: now})
			}
		}
		if len(out[m.ID]) == 0 {
			notes[m.ID] = fmt.Sprintf("not built by probe evaluation %d", probe.Eval)
		}
	}
	return out
}

// localProbes builds, one at a time, each due marker's attributes on the
// systems it covers that the local builder can build and this round's
// Hydra probe did not build. The marker is "probing" while it builds.
func localProbes(ctx context.Context, st RevertStore, o RevertOptions, due []state.Marker, cur map[probeKey]string,
	round map[int64][]state.Probe, sum *RevertSummary, log logrus.FieldLogger) error {
	for _, m := range due {
		have := map[probeKey]bool{}
		for _, p := range round[m.ID] {
			have[probeKey{p.Attr, p.System}] = true
		}
		var todo []probeKey
		for _, a := range attrsOf(m) {
			for _, s := range markerSystems(m, o.Systems) {
				if k := (probeKey{a, s}); o.Local.CanBuild(s) && !have[k] {
					todo = append(todo, k)
				}
			}
		}
		if len(todo) == 0 {
			if m.State == state.Probing && !o.DryRun {
				if _, err := st.TransitionMarker(ctx, m.ID, state.Merged, "nothing left to build locally"); err != nil {
					return fmt.Errorf("revert: %w", err)
				}
			}
			continue
		}
		if o.DryRun {
			for _, k := range todo {
				sum.Builds = append(sum.Builds, RevertNote{k.attr, k.system + ": would build locally"})
			}
			continue
		}
		if m.State == state.Merged {
			if _, err := st.TransitionMarker(ctx, m.ID, state.Probing, "local build probe started"); err != nil {
				return fmt.Errorf("revert: %w", err)
			}
		}
		for _, k := range todo {
			l := log.WithFields(logrus.Fields{"attr": k.attr, "system": k.system, "marker": m.ID})
			l.Info("probe: building locally")
			res, err := o.Local.Build(ctx, k.attr, k.system)
			if err != nil {
				if ctx.Err() != nil {
					return ctx.Err() // the marker stays "probing"; the next Revert goes on
				}
				l.WithError(err).Warn("probe: local build did not run; trying again next time")
				sum.ProbeErrors = append(sum.ProbeErrors, RevertNote{k.attr, err.Error()})
				continue
			}
			l.WithFields(logrus.Fields{"ok": res.OK, "log": res.Log, "duration": res.Duration.Round(time.Second)}).Info("probe: local build: " + res.Detail)
			sum.Builds = append(sum.Builds, RevertNote{k.attr, fmt.Sprintf("%s: %s (log %s)", k.system, res.Detail, res.Log)})
			p := state.Probe{Marker: m.ID, Attr: k.attr, System: k.system, Source: state.ProbeLocal, Drv: cur[k],
				OK: res.OK, Log: res.Log, Detail: res.Detail}
			rec, err := st.RecordProbes(ctx, []state.Probe{p})
			if err != nil {
				return fmt.Errorf("revert: %w", err)
			}
			round[m.ID] = append(round[m.ID], rec...)
		}
		if _, err := st.TransitionMarker(ctx, m.ID, state.Merged, "local build probe done"); err != nil {
			return fmt.Errorf("revert: %w", err)
		}
	}
	return nil
}

// markerSystems are the systems m covers: its own, or systems when it
// covers every system.
func markerSystems(m state.Marker, systems []string) []string {
	if len(m.Systems) > 0 {
		return m.Systems
	}
	return systems
}

// mergeProbes is latest with this round's results in place of older ones.
func mergeProbes(latest, round []state.Probe) []state.Probe {
	idx := map[probeKey]int{}
	out := slices.Clone(latest)
	for i, p := range out {
		idx[probeKey{p.Attr, p.System}] = i
	}
	for _, p := range round {
		if i, ok := idx[probeKey{p.Attr, p.System}]; ok {
			if !p.At.Before(out[i].At) {
				out[i] = p
			}
			continue
		}
		idx[probeKey{p.Attr, p.System}] = len(out)
		out = append(out, p)
	}
	return out
}

// decideProbe decides from a marker's newest probe results. Its systems
// (those it was marked for; when it covers every system, systems, or else
// the systems probed) must each have a result for at least one of its
// attributes; a system is green when every result there is. Green on every
// system: an unmark change with a green build as evidence (Hydra's
// preferred over a local one). Green on some: an unmark change that
// narrows the marker to the others, those still failing and those no
// probe built (green=true and a note saying so); the new marker names a
// build the Hydra probe saw fail there, else the marker's own. none is
// the reason given when there is no result at all.
func decideProbe(m state.Marker, latest []state.Probe, systems []string, none string) (c *prs.Change, note RevertNote, green bool) {
	attrs := attrsOf(m)
	results := map[probeKey][]state.Probe{}
	for _, p := range latest {
		if slices.Contains(attrs, p.Attr) {
			results[probeKey{p.Attr, p.System}] = append(results[probeKey{p.Attr, p.System}], p)
		}
	}
	need := m.Systems
	if len(need) == 0 {
		need = systems
		if len(need) == 0 {
			for k := range results {
				if !slices.Contains(need, k.system) {
					need = append(need, k.system)
				}
			}
			sort.Strings(need)
		}
	}
	var greenOn, red, missing []string
	var hydraEvidence, localEvidence, failed *state.Probe
	for _, s := range need {
		n, ok := 0, true
		var hydraOK, localOK *state.Probe
		for _, a := range attrs {
			for _, p := range results[probeKey{a, s}] {
				n++
				switch {
				case !p.OK:
					ok = false
					if p.Source == state.ProbeHydra && p.URL != "" && failed == nil {
						failed = &p
					}
				case p.Source == state.ProbeHydra && hydraOK == nil:
					hydraOK = &p
				case p.Source == state.ProbeLocal && localOK == nil:
					localOK = &p
				}
			}
		}
		switch {
		case n == 0:
			missing = append(missing, s)
		case ok:
			greenOn = append(greenOn, s)
			if hydraEvidence == nil {
				hydraEvidence = hydraOK
			}
			if localEvidence == nil {
				localEvidence = localOK
			}
		default:
			red = append(red, s)
		}
	}
	if len(greenOn) == 0 {
		switch {
		case len(red) > 0:
			return nil, RevertNote{m.Attr, "still failing in the probe on " + strings.Join(red, ", ")}, false
		case none != "":
			return nil, RevertNote{m.Attr, none}, false
		}
		return nil, RevertNote{m.Attr, "not built by any probe"}, false
	}
	c = &prs.Change{Kind: prs.KindUnmark, File: m.File, Line: m.Line, Attrs: attrs, Systems: m.Systems, Since: m.Since}
	if e := hydraEvidence; e != nil {
		c.BuildID, c.BuildURL = e.Build, e.URL
	} else if e := localEvidence; e != nil {
		c.Local = &prs.LocalBuild{System: e.System, Time: e.At}
	}
	if len(greenOn) == len(need) {
		return c, RevertNote{}, true
	}
	var keep []string // in need's order
	for _, s := range need {
		if !slices.Contains(greenOn, s) {
			keep = append(keep, s)
		}
	}
	n := &prs.Narrowing{Green: greenOn, Systems: keep, BuildID: m.BuildID, BuildURL: m.BuildURL}
	if failed != nil {
		n.BuildID, n.BuildURL = failed.Build, failed.URL
	}
	why := fmt.Sprintf("green on %s only", strings.Join(greenOn, ", "))
	if len(red) > 0 {
		why += "; still failing on " + strings.Join(red, ", ")
	}
	if len(missing) > 0 {
		why += "; not built by any probe on " + strings.Join(missing, ", ")
	}
	if n.BuildURL == "" {
		return nil, RevertNote{m.Attr, why + " (not narrowed: no failing build to name)"}, true
	}
	c.Narrow = n
	return c, RevertNote{m.Attr, why + "; narrowing the marker to " + strings.Join(keep, ", ")}, true
}
