package prs

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/state"
	"github.com/nixpkgs-markbot/markbot/internal/udiff"
)

// Drop is one package to take out of an open mark PR.
type Drop struct {
	// Attr names the package: any attribute of its derivation (attributes
	// sharing a marker leave the PR together).
	Attr string
	// Reason says why in a few words ("builds again on Hydra: URL"). It
	// goes into the PR body, the comment, the commit message and the state
	// log.
	Reason string
}

// DropOutcome is what Drop did with one package.
type DropOutcome string

const (
	// DropDropped: taken out of the PR by this call (planned, in a dry run).
	DropDropped DropOutcome = "dropped"
	// DropAlready: an earlier drop (or the PR's closing) took it out.
	DropAlready DropOutcome = "already-dropped"
	// DropNotInPR: the PR does not hold this attribute.
	DropNotInPR DropOutcome = "not-in-pr"
)

// DroppedPackage is one package Drop took out, found already out, or did
// not find.
type DroppedPackage struct {
	// Attr is the attribute as asked for (or the marker's, when the drop
	// was markbot's own idea); Attrs all of the derivation's.
	Attr    string
	Attrs   []string
	File    string
	Outcome DropOutcome
	Reason  string
	// Edit is what happened on the branch: "marker taken out of the
	// branch", or why no edit was needed.
	Edit string
	// Skip: a fix was pushed for it; it is not proposed again for SkipFor.
	Skip bool
}

// How Drop changed a branch (DropResult.BranchUpdate).
const (
	// BranchRewritten: the branch held only markbot's commit, which was
	// replaced by one with the same parent (a forced update).
	BranchRewritten = "rewritten"
	// BranchCommitted: others had pushed commits, which are kept: markbot
	// added a commit on top (a fast-forward).
	BranchCommitted = "commit-on-top"
)

// DropResult is what one Drop did (or, in a dry run, would do).
type DropResult struct {
	PR     int
	URL    string
	Branch string
	// Packages are the packages asked for and those markbot decided to
	// drop itself (touched by a pushed fix), in PR order.
	Packages []DroppedPackage
	// Remaining are the attributes still in the PR afterwards.
	Remaining []string
	// BranchUpdate is BranchRewritten, BranchCommitted or "" (unchanged).
	BranchUpdate string
	// Head is the branch's head afterwards.
	Head string
	// HumanCommits is set when others pushed commits to the branch.
	HumanCommits bool
	// Closed: nothing of markbot's was left, nobody else had pushed to
	// the branch, and markbot closed the PR.
	Closed bool
	// NothingLeft: nothing of markbot's is left, but others' commits are;
	// the PR stays open and markbot no longer tracks it.
	NothingLeft bool
	// Title, Body and Comment are the PR's new title and body and the
	// comment posted (or that would be, in a dry run).
	Title, Body, Comment string
	// Diffs are the branch edits of a dry run.
	Diffs  []FileDiff
	DryRun bool
	// Resumed counts earlier drops a crash had left half done and this
	// call finished.
	Resumed int
}

// Dropped are the packages this call took out.
func (r *DropResult) Dropped() []DroppedPackage {
	var out []DroppedPackage
	for _, p := range r.Packages {
		if p.Outcome == DropDropped {
			out = append(out, p)
		}
	}
	return out
}

// Errors of Drop about the PR itself (wrapped, with the PR's number).
var (
	// ErrNotMarkPR: the PR is not an open markbot mark PR markbot knows
	// (another branch, an unmark PR, or not recorded in state yet).
	ErrNotMarkPR = errors.New("not a markbot mark pull request")
	// ErrPRClosed: the PR is closed or merged.
	ErrPRClosed = errors.New("the pull request is closed")
)

// Event kinds a drop logs, all with the PR's number.
const (
	evDrop          = "pr.drop"            // planned: the dropOp as details
	evDropCommit    = "pr.drop.commit"     // commit created (before the ref moves)
	evDropBranch    = "pr.drop.branch"     // branch moved (or nothing to edit)
	evDropState     = "pr.drop.state"      // markers dropped, PR re-recorded
	evDropBody      = "pr.drop.body"       // title and body edited
	evDropComment1  = "pr.drop.commenting" // about to comment
	evDropComment   = "pr.drop.comment"    // commented
	evDropClosing   = "pr.drop.closing"    // about to close: markbot's close, not a human's
	evDropDone      = "pr.drop.done"       // finished
	evDropAbandoned = "pr.drop.abandoned"  // replanned from scratch after a crash
	evHumanCommits  = "pr.human-commits"   // others' commits on the branch, looked at up to a head
)

// dropOp is one planned drop, logged before its first write, so that a
// rerun after a crash finishes it (or, before the branch moved, plans it
// again).
type dropOp struct {
	ID int64 `json:"-"`
	// Head is the branch head the drop was planned on, Parent (rewrite)
	// the parent of markbot's commit.
	Head   string `json:"head"`
	Parent string `json:"parent,omitempty"`
	Tree   string `json:"tree,omitempty"`
	Mode   string `json:"mode"`
	// Examined is a head whose others' commits were looked at.
	Examined    string        `json:"examined,omitempty"`
	Packages    []dropPackage `json:"packages"`
	Remaining   []dropRest    `json:"remaining"`
	Close       bool          `json:"close,omitempty"`
	NothingLeft bool          `json:"nothing_left,omitempty"`

	steps map[string]stepDetails
}

type dropPackage struct {
	Marker    int64    `json:"marker"`
	Requested string   `json:"requested,omitempty"`
	Attrs     []string `json:"attrs"`
	File      string   `json:"file"`
	Reason    string   `json:"reason"`
	Edit      string   `json:"edit"`
	// Skip: a pushed fix; not proposed again for SkipFor.
	Skip bool `json:"skip,omitempty"`
}

// dropRest is a derivation left in the PR: its attributes and evidence.
type dropRest struct {
	Attrs    []string `json:"attrs"`
	BuildURL string   `json:"build_url,omitempty"`
}

type stepDetails struct {
	Op  int64  `json:"op"`
	SHA string `json:"sha,omitempty"`
}

func (op *dropOp) done(step string) bool { _, ok := op.steps[step]; return ok }

func (op *dropOp) finished() bool { return op.done(evDropDone) || op.done(evDropAbandoned) }

func (op *dropOp) remainingAttrs() []string { return attrsOf(op.Remaining) }

func (op *dropOp) attrs() []string {
	var attrs []string
	for _, p := range op.Packages {
		attrs = append(attrs, p.Attrs...)
	}
	return attrs
}

// dropLog is what the event log says about one PR's drops.
type dropLog struct {
	ops []*dropOp // newest first
	// examined are heads whose others' commits were looked at.
	examined []string
	human    bool
}

func (l *dropLog) unfinished() *dropOp {
	for _, op := range l.ops {
		if !op.finished() {
			return op
		}
		return nil
	}
	return nil
}

// known are heads markbot wrote or looked at: its commits, the heads it
// planned drops on, and heads whose others' commits it examined.
func (l *dropLog) known() map[string]bool {
	k := map[string]bool{}
	for _, h := range l.examined {
		k[h] = true
	}
	for _, op := range l.ops {
		if op.Examined != "" {
			k[op.Examined] = true
		}
		for _, s := range []string{evDropCommit, evDropBranch} {
			if d, ok := op.steps[s]; ok && d.SHA != "" {
				k[d.SHA] = true
			}
		}
	}
	return k
}

// commits are the commits earlier drops made.
func (l *dropLog) commits() map[string]bool {
	c := map[string]bool{}
	for _, op := range l.ops {
		if d, ok := op.steps[evDropCommit]; ok {
			c[d.SHA] = true
		}
	}
	return c
}

func (l *dropLog) closing() *dropOp {
	for _, op := range l.ops {
		if op.done(evDropClosing) {
			return op
		}
	}
	return nil
}

// dropLog reads PR number's drops from the event log.
func (r *run) dropLog(ctx context.Context, number int) (*dropLog, error) {
	l := &dropLog{}
	const limit = 10000
	planned, err := r.st.Events(ctx, state.EventFilter{PR: number, Kind: evDrop, Limit: limit})
	if err != nil {
		return nil, err
	}
	byID := map[int64]*dropOp{}
	for _, e := range planned {
		op := &dropOp{ID: e.ID, steps: map[string]stepDetails{}}
		if err := json.Unmarshal(e.Details, op); err != nil {
			return nil, fmt.Errorf("event %d: %w", e.ID, err)
		}
		l.ops = append(l.ops, op)
		byID[op.ID] = op
		l.human = l.human || op.Mode == BranchCommitted
	}
	steps, err := r.st.Events(ctx, state.EventFilter{PR: number, Kind: evDrop + ".", Limit: limit})
	if err != nil {
		return nil, err
	}
	for _, e := range steps {
		var d stepDetails
		if err := json.Unmarshal(e.Details, &d); err != nil {
			return nil, fmt.Errorf("event %d: %w", e.ID, err)
		}
		if op := byID[d.Op]; op != nil {
			op.steps[e.Kind] = d
		}
	}
	human, err := r.st.Events(ctx, state.EventFilter{PR: number, Kind: evHumanCommits, Limit: limit})
	if err != nil {
		return nil, err
	}
	for _, e := range human {
		var d struct {
			Head string `json:"head"`
		}
		if err := json.Unmarshal(e.Details, &d); err != nil {
			return nil, fmt.Errorf("event %d: %w", e.ID, err)
		}
		l.examined = append(l.examined, d.Head)
		l.human = true
	}
	return l, nil
}

func (r *run) logStep(ctx context.Context, number int, op *dropOp, kind, sha string) error {
	d := stepDetails{Op: op.ID, SHA: sha}
	details, _ := json.Marshal(d)
	msg := fmt.Sprintf("drop %d from PR #%d: %s", op.ID, number, strings.TrimPrefix(kind, evDrop+"."))
	if sha != "" {
		msg += " " + sha
	}
	if _, err := r.st.Log(ctx, state.Event{Kind: kind, PR: number, Attr: firstAttr(op.attrs()), Message: msg, Details: details}); err != nil {
		return err
	}
	op.steps[kind] = d
	return nil
}

// prLocks serialises drops from one PR within the process (the App server
// answers a command while a cycle may be amending the same PR).
var prLocks sync.Map

func lockPR(owner, repo string, number int) func() {
	v, _ := prLocks.LoadOrStore(fmt.Sprintf("%s/%s#%d", strings.ToLower(owner), strings.ToLower(repo), number), &sync.Mutex{})
	mu := v.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// Dropper returns a function that makes a Publisher from gh, st and o and
// drops packages with it: what the App server calls for "@markbot drop".
func Dropper(gh Client, st Store, o Options) func(ctx context.Context, number int, drops []Drop) (*DropResult, error) {
	return func(ctx context.Context, number int, drops []Drop) (*DropResult, error) {
		p, err := New(gh, st, o)
		if err != nil {
			return nil, err
		}
		return p.Drop(ctx, number, drops)
	}
}

// ProposedMarkers are the markers in open mark PRs (state proposed); none
// without a state store.
func (p *Publisher) ProposedMarkers(ctx context.Context) ([]state.Marker, error) {
	if p.st == nil {
		return nil, nil
	}
	return p.st.Markers(ctx, state.Proposed)
}

// Drop takes packages out of open mark PR number, which must be markbot's
// (a branch with the prefix in the head repository, recorded in state).
// Attributes the PR does not hold are reported, not errors.
//
// When the branch head is the commit markbot recorded and nobody else ever
// pushed to the branch, the branch is rewritten: markbot's commit is
// replaced by one with the same parent, without the dropped packages'
// markers (a forced update). When others pushed commits, those are never
// rewritten: markbot adds a commit on top taking out the dropped markers
// still there as it wrote them (a marker a human removed or edited needs no
// edit), and it first looks at the commits pushed since it last looked:
// every package whose file one of them touched is dropped too ("a fix was
// pushed to this branch by @login (sha)") and not proposed again for
// SkipFor. The title and body are edited (see dropFromBody), the markers
// move to state dropped, the PR is re-recorded with its remaining
// attributes and new head, and one comment says what was dropped and why.
// When nothing of markbot's is left, markbot closes the PR (its own close,
// recorded without skips: the sync of the next Publish does not take it
// for a human's no), unless others pushed commits: then the PR stays open
// and the comment says markbot has nothing left in it.
//
// Every step is logged in the event log before the next, so a rerun after a
// crash finishes a drop left half done, without a second comment. A dry run
// writes nothing and reports the plan.
func (p *Publisher) Drop(ctx context.Context, number int, drops []Drop) (*DropResult, error) {
	return p.newRun().drop(ctx, number, drops)
}

func (p *Publisher) newRun() *run {
	r := &run{
		Publisher: p,
		lim:       &limiter{budget: p.o.RateLimitBudget, now: p.o.Now, sleep: p.o.Sleep, log: p.o.Log},
		log:       p.o.Log,
		headOwner: p.o.Owner,
		covered:   map[string]*botPR{},
		skips:     map[string]skipInfo{},
		contents:  map[string]*string{},
		logins:    map[int64]string{},
		res:       &Result{},
		index:     map[string]int{},
	}
	if p.o.Fork != "" {
		r.headOwner = p.o.Fork
	}
	return r
}

// maxDropRounds bounds how often one drop call rereads the PR after
// finishing a drop a crash left half done.
const maxDropRounds = 3

func (r *run) drop(ctx context.Context, number int, drops []Drop) (*DropResult, error) {
	res := &DropResult{PR: number, DryRun: r.o.DryRun}
	fail := func(err error) (*DropResult, error) {
		r.log.WithField("pr", number).WithError(err).Error("drop failed")
		return res, fmt.Errorf("dropping from PR #%d: %w", number, err)
	}
	if r.st == nil {
		return fail(errors.New("no state database: markbot cannot tell what it wrote"))
	}
	for _, d := range drops {
		if strings.TrimSpace(d.Attr) == "" {
			return fail(errors.New("a drop without an attribute"))
		}
	}
	defer lockPR(r.o.Owner, r.o.Repo, number)()
	for round := 0; ; round++ {
		again, err := r.dropRound(ctx, number, drops, res)
		if err != nil {
			return fail(err)
		}
		if !again {
			return res, nil
		}
		if round+1 == maxDropRounds {
			return fail(errors.New("a half-done drop keeps coming back"))
		}
	}
}

// prState is PR number as GitHub and state know it.
type prState struct {
	pr      *github.PullRequest
	sp      state.PR
	log     *dropLog
	head    string
	attrs   []string // the hidden block's (else state's)
	markers []state.Marker
}

func (r *run) readPR(ctx context.Context, number int) (*prState, error) {
	ps := &prState{}
	err := r.call(ctx, fmt.Sprintf("GET pull #%d", number), func(ctx context.Context) (resp *github.Response, err error) {
		ps.pr, resp, err = r.gh.Pulls.Get(ctx, r.o.Owner, r.o.Repo, number)
		return resp, err
	})
	if err != nil {
		return nil, err
	}
	head := ps.pr.GetHead()
	owner := head.GetRepo().GetOwner().GetLogin()
	if owner == "" {
		owner = head.GetUser().GetLogin()
	}
	if !strings.HasPrefix(head.GetRef(), r.o.BranchPrefix) || !strings.EqualFold(owner, r.headOwner) {
		return nil, fmt.Errorf("%w: its head %s:%s is not a markbot branch", ErrNotMarkPR, owner, head.GetRef())
	}
	ps.head = head.GetSHA()
	ps.sp, err = r.st.PR(ctx, number)
	if errors.Is(err, state.ErrNotFound) {
		return nil, fmt.Errorf("%w: not recorded in markbot's state yet (the next cycle adopts it)", ErrNotMarkPR)
	}
	if err != nil {
		return nil, err
	}
	if ps.sp.Kind != state.MarkPR {
		return nil, fmt.Errorf("%w: it is a %s PR", ErrNotMarkPR, ps.sp.Kind)
	}
	if h, ok := ParseHidden(ps.pr.GetBody()); ok && h.Kind == KindMark {
		ps.attrs = h.Attrs
	} else {
		ps.attrs = ps.sp.Attrs
	}
	if ps.log, err = r.dropLog(ctx, number); err != nil {
		return nil, err
	}
	all, err := r.st.MarkersForPR(ctx, number)
	if err != nil {
		return nil, err
	}
	for _, m := range all {
		if m.PR == number {
			ps.markers = append(ps.markers, m)
		}
	}
	return ps, nil
}

// dropRound reads the PR, finishes a drop left half done (and then asks
// to be called again, on the PR as it is now) or plans and performs one.
func (r *run) dropRound(ctx context.Context, number int, drops []Drop, res *DropResult) (again bool, err error) {
	ps, err := r.readPR(ctx, number)
	if err != nil {
		return false, err
	}
	res.URL, res.Branch, res.Head = ps.pr.GetHTMLURL(), ps.pr.GetHead().GetRef(), ps.head
	log := r.log.WithFields(logrus.Fields{"pr": number, "branch": res.Branch})

	if ps.pr.GetState() != "open" {
		if ps.pr.GetMerged() {
			return false, fmt.Errorf("%w: it was merged", ErrPRClosed)
		}
		closing := ps.log.closing()
		if closing == nil {
			return false, ErrPRClosed
		}
		// markbot closed it: finish recording that if a crash came first,
		// and report what was asked as already dropped.
		if !closing.done(evDropDone) && !r.o.DryRun {
			if err := r.finishClose(ctx, number, closing); err != nil {
				return false, err
			}
			res.Resumed++
		}
		res.Closed = true
		r.reportAlready(ps, drops, nil, res)
		return false, nil
	}

	if op := ps.log.unfinished(); op != nil && !r.o.DryRun {
		if op.done(evDropBranch) {
			log.WithField("op", op.ID).Info("finishing a drop a crash left half done")
			if err := r.execDrop(ctx, number, ps, op, nil); err != nil {
				return false, err
			}
			res.Resumed++
			return true, nil
		}
		// The branch did not move yet (or it is unknown whether it did):
		// plan again from the branch as it is, with the same packages.
		log.WithField("op", op.ID).Info("replanning a drop a crash interrupted before its branch moved")
		if err := r.logStep(ctx, number, op, evDropAbandoned, ""); err != nil {
			return false, err
		}
		res.Resumed++
		return false, r.planDrop(ctx, number, ps, drops, op.Packages, res)
	}
	return false, r.planDrop(ctx, number, ps, drops, nil, res)
}

// reportAlready reports requested drops (but those of attributes
// dropping now) as already dropped or not in the PR.
func (r *run) reportAlready(ps *prState, drops []Drop, dropping []string, res *DropResult) {
	for _, d := range drops {
		if slices.Contains(dropping, d.Attr) || slices.ContainsFunc(res.Packages, func(p DroppedPackage) bool { return slices.Contains(p.Attrs, d.Attr) }) {
			continue
		}
		i := slices.IndexFunc(ps.markers, func(m state.Marker) bool { return slices.Contains(m.Attrs, d.Attr) })
		if i >= 0 && ps.markers[i].State != state.Proposed {
			m := ps.markers[i]
			res.Packages = append(res.Packages, DroppedPackage{Attr: d.Attr, Attrs: m.Attrs, File: m.File, Outcome: DropAlready,
				Reason: d.Reason, Edit: "already out of this pull request (" + string(m.State) + ")"})
			continue
		}
		res.Packages = append(res.Packages, DroppedPackage{Attr: d.Attr, Outcome: DropNotInPR, Reason: d.Reason,
			Edit: "not in this pull request"})
	}
}

// fileEdit is one file of the branch before and after a drop.
type fileEdit struct {
	File     string
	Old, New string
}

// planDrop decides what leaves the PR (drops asked for, packages carried
// over from a drop planned before a crash, packages whose files others'
// new commits touched), edits the branch's files and performs the drop.
func (r *run) planDrop(ctx context.Context, number int, ps *prState, drops []Drop, carried []dropPackage, res *DropResult) error {
	log := r.log.WithFields(logrus.Fields{"pr": number, "branch": res.Branch})
	known := ps.log.known()
	known[ps.sp.HeadSHA] = ps.sp.HeadSHA != ""
	human := ps.log.human
	examined := ""
	var pushed map[string]pushInfo
	if !known[ps.head] {
		// Someone else moved the branch since markbot last looked.
		var err error
		pushed, err = r.pushedFiles(ctx, number, known)
		if err != nil {
			return err
		}
		human, examined = true, ps.head
	}
	res.HumanCommits = human

	// Which markers leave.
	var pkgs []dropPackage
	var remaining []dropRest
	var dropped []string
	for _, m := range ps.markers {
		if m.State != state.Proposed {
			continue
		}
		pk := dropPackage{Marker: m.ID, Attrs: m.Attrs, File: m.File}
		if i := slices.IndexFunc(drops, func(d Drop) bool { return slices.Contains(m.Attrs, d.Attr) }); i >= 0 {
			pk.Requested, pk.Reason = drops[i].Attr, oneLine(drops[i].Reason)
		} else if i := slices.IndexFunc(carried, func(c dropPackage) bool { return c.Marker == m.ID }); i >= 0 {
			pk.Requested, pk.Reason, pk.Skip = carried[i].Requested, carried[i].Reason, carried[i].Skip
		} else if pi, ok := pushed[m.File]; ok {
			pk.Requested, pk.Reason, pk.Skip = m.Attr, fmt.Sprintf("a fix was pushed to this branch by @%s (%s)", pi.login, short(pi.sha)), true
		} else {
			remaining = append(remaining, dropRest{Attrs: m.Attrs, BuildURL: m.BuildURL})
			continue
		}
		if pk.Reason == "" {
			pk.Reason = "dropped"
		}
		pkgs = append(pkgs, pk)
		dropped = append(dropped, m.Attrs...)
	}
	for _, a := range ps.attrs {
		// In the hidden block without a marker state knows: still in the PR.
		if !slices.ContainsFunc(ps.markers, func(m state.Marker) bool { return slices.Contains(m.Attrs, a) }) {
			remaining = append(remaining, dropRest{Attrs: []string{a}})
		}
	}
	r.reportAlready(ps, drops, dropped, res)
	if len(pkgs) == 0 {
		res.Remaining = attrsOf(remaining)
		if examined != "" && !r.o.DryRun {
			// Nothing to drop for what others pushed: remember the head so
			// that it is not looked at again.
			details, _ := json.Marshal(map[string]any{"head": examined})
			if _, err := r.st.Log(ctx, state.Event{Kind: evHumanCommits, PR: number,
				Message: fmt.Sprintf("commits by others on PR #%d up to %s: no package to drop", number, examined), Details: details}); err != nil {
				return err
			}
			sp := ps.sp
			sp.HeadSHA = ps.head
			if _, err := r.st.RecordPR(ctx, sp); err != nil {
				return err
			}
			log.WithField("head", ps.head).Info("others pushed to the branch; no package to drop")
		}
		return nil
	}

	var headCommit *github.Commit
	if !human {
		if err := r.call(ctx, "GET commit "+ps.head, func(ctx context.Context) (resp *github.Response, err error) {
			headCommit, resp, err = r.gh.headGit().GetCommit(ctx, r.headOwner, r.o.Repo, ps.head)
			return resp, err
		}); err != nil {
			return err
		}
		if len(headCommit.Parents) != 1 || !strings.Contains(headCommit.GetMessage(), commitTrailer) {
			// Not markbot's single commit, whatever state says: never
			// rewrite it.
			human, examined = true, ps.head
		}
	}
	res.HumanCommits = human

	closing := !human && len(remaining) == 0
	var edits []fileEdit
	if closing {
		// markbot closes the PR: its branch stays as it is (pushed back to
		// the base, the PR would count as merged).
		for i := range pkgs {
			pkgs[i].Edit = "the pull request is closed; its branch is left as it was"
		}
	} else {
		// Edit the branch's files: take each dropped marker out where it is.
		var err error
		edits, err = r.dropEdits(ctx, ps.head, ps.markers, pkgs, human, ps.log.commits()[ps.head])
		if err != nil {
			return err
		}
	}
	op := &dropOp{Head: ps.head, Examined: examined, Packages: pkgs, Remaining: remaining, Mode: BranchRewritten,
		steps: map[string]stepDetails{}}
	if human {
		op.Mode = BranchCommitted
	} else {
		op.Parent, op.Tree = headCommit.Parents[0].GetSHA(), headCommit.GetTree().GetSHA()
	}
	op.Close = closing
	op.NothingLeft = human && len(remaining) == 0
	r.fillResult(number, ps, op, res)
	if len(edits) > 0 {
		res.BranchUpdate = op.Mode
	}

	if r.o.DryRun {
		for _, e := range edits {
			res.Diffs = append(res.Diffs, FileDiff{File: e.File, Diff: udiff.Unified("a/"+e.File, "b/"+e.File, e.Old, e.New)})
		}
		log.WithField("attr", firstAttr(op.attrs())).Info("dry run: would drop from the PR")
		return nil
	}
	details, err := json.Marshal(op)
	if err != nil {
		return err
	}
	id, err := r.st.Log(ctx, state.Event{Kind: evDrop, PR: number, Attr: firstAttr(op.attrs()), Details: details,
		Message: fmt.Sprintf("dropping %s from PR #%d", strings.Join(op.attrs(), ", "), number)})
	if err != nil {
		return err
	}
	op.ID = id
	res.Comment = dropComment(number, op, r.o.SkipFor)
	return r.execDrop(ctx, number, ps, op, edits)
}

func attrsOf(groups []dropRest) []string {
	var attrs []string
	for _, g := range groups {
		attrs = append(attrs, g.Attrs...)
	}
	slices.Sort(attrs)
	return slices.Compact(attrs)
}

// fillResult reports op's packages and the PR's new text.
func (r *run) fillResult(number int, ps *prState, op *dropOp, res *DropResult) {
	for _, p := range op.Packages {
		res.Packages = slices.DeleteFunc(res.Packages, func(x DroppedPackage) bool {
			return x.Outcome != DropDropped && slices.Contains(p.Attrs, x.Attr)
		})
		res.Packages = append(res.Packages, DroppedPackage{Attr: cmp.Or(p.Requested, p.Attrs[0]), Attrs: p.Attrs, File: p.File,
			Outcome: DropDropped, Reason: p.Reason, Edit: p.Edit, Skip: p.Skip})
	}
	res.Remaining = op.remainingAttrs()
	res.Closed, res.NothingLeft = op.Close, op.NothingLeft
	res.HumanCommits = res.HumanCommits || op.Mode == BranchCommitted
	res.Title = dropTitle(ps.pr.GetTitle(), op)
	res.Body = dropFromBody(ps.pr.GetBody(), op)
	res.Comment = dropComment(number, op, r.o.SkipFor)
}

// dropEdits reads the dropped packages' files at head (in the head
// repository) and takes each marker out where FindMarker finds it.
// own says head is a commit of an earlier drop (whose answer a crash
// lost): a marker not there is one markbot took out.
func (r *run) dropEdits(ctx context.Context, head string, prMarkers []state.Marker, pkgs []dropPackage, human, own bool) ([]fileEdit, error) {
	byFile := map[string][]int{}
	var files []string
	for i, p := range pkgs {
		if _, ok := byFile[p.File]; !ok {
			files = append(files, p.File)
		}
		byFile[p.File] = append(byFile[p.File], i)
	}
	slices.Sort(files)
	markers := map[int64]state.Marker{}
	for _, m := range prMarkers {
		markers[m.ID] = m
	}
	var edits []fileEdit
	for _, f := range files {
		fc, err := r.readFile(ctx, r.headOwner, head, f)
		if err != nil {
			return nil, err
		}
		if fc == nil {
			for _, i := range byFile[f] {
				pkgs[i].Edit = "no edit needed: " + f + " is no longer on the branch"
			}
			continue
		}
		old := string(fc.Content)
		cur := old
		idx := byFile[f]
		slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(markers[pkgs[b].Marker].Line, markers[pkgs[a].Marker].Line) })
		for _, i := range idx {
			m, ok := markers[pkgs[i].Marker]
			if !ok {
				m = state.Marker{File: f, Line: 1}
			}
			found := FindMarker(f, []byte(cur), m.Line, m.BuildURL)
			switch {
			case found.Status == MarkerFound:
				cur = string(found.Unmarked)
				pkgs[i].Edit = "marker taken out of the branch"
			case found.Status == MarkerGone && own:
				pkgs[i].Edit = "marker taken out of the branch"
			case found.Status == MarkerUnknown:
				pkgs[i].Edit = "marker left as it is: " + found.Reason
			case human:
				pkgs[i].Edit = "no edit needed: " + found.Reason
			default:
				pkgs[i].Edit = "no edit needed: the marker is not on the branch (" + found.Reason + ")"
			}
		}
		if cur != old {
			edits = append(edits, fileEdit{File: f, Old: old, New: cur})
		}
	}
	return edits, nil
}

// execDrop performs op's steps not yet done, each logged before the next.
// edits are the branch's new files (nil when resuming after the branch
// step).
func (r *run) execDrop(ctx context.Context, number int, ps *prState, op *dropOp, edits []fileEdit) error {
	log := r.log.WithFields(logrus.Fields{"pr": number, "op": op.ID, "attr": firstAttr(op.attrs())})
	newHead := ps.head
	if d, ok := op.steps[evDropBranch]; ok {
		newHead = d.SHA
	} else {
		if len(edits) > 0 {
			sha, err := r.dropCommit(ctx, number, ps, op, edits)
			if err != nil {
				return err
			}
			newHead = sha
		}
		if err := r.logStep(ctx, number, op, evDropBranch, newHead); err != nil {
			return err
		}
		if len(edits) > 0 {
			log.WithFields(logrus.Fields{"head": newHead, "mode": op.Mode}).Info("drop: branch updated")
		}
	}

	if !op.done(evDropState) {
		for _, p := range op.Packages {
			m, err := r.markerByID(ctx, number, p.Marker)
			if err != nil {
				return err
			}
			if m.State == state.Proposed {
				if _, err := r.st.TransitionMarker(ctx, m.ID, state.Dropped, fmt.Sprintf("dropped from PR #%d: %s", number, p.Reason)); err != nil {
					return err
				}
			}
			if p.Skip {
				for _, a := range p.Attrs {
					if err := r.st.AddSkip(ctx, a, fmt.Sprintf("dropped from PR #%d: %s", number, p.Reason), r.o.Now().Add(r.o.SkipFor)); err != nil {
						return err
					}
				}
			}
		}
		sp := ps.sp
		sp.HeadSHA, sp.Attrs = newHead, op.remainingAttrs()
		if _, err := r.st.RecordPR(ctx, sp); err != nil {
			return err
		}
		if err := r.logStep(ctx, number, op, evDropState, ""); err != nil {
			return err
		}
	}

	if !op.done(evDropBody) && !op.Close {
		edit := &github.PullRequest{Body: github.String(dropFromBody(ps.pr.GetBody(), op))}
		if t := dropTitle(ps.pr.GetTitle(), op); t != ps.pr.GetTitle() {
			edit.Title = github.String(t)
		}
		if err := r.call(ctx, fmt.Sprintf("PATCH pull #%d", number), func(ctx context.Context) (resp *github.Response, err error) {
			_, resp, err = r.gh.Pulls.Edit(ctx, r.o.Owner, r.o.Repo, number, edit)
			return resp, err
		}); err != nil {
			return err
		}
		if err := r.logStep(ctx, number, op, evDropBody, ""); err != nil {
			return err
		}
	}

	if !op.done(evDropComment) {
		found := false
		if op.done(evDropComment1) {
			// Commented before a crash, perhaps: look for it.
			var err error
			if found, err = r.findDropComment(ctx, number, op); err != nil {
				return err
			}
		} else if err := r.logStep(ctx, number, op, evDropComment1, ""); err != nil {
			return err
		}
		if !found {
			body := dropComment(number, op, r.o.SkipFor)
			if err := r.call(ctx, fmt.Sprintf("POST comment #%d", number), func(ctx context.Context) (resp *github.Response, err error) {
				_, resp, err = r.gh.Issues.CreateComment(ctx, r.o.Owner, r.o.Repo, number, &github.IssueComment{Body: github.String(body)})
				return resp, err
			}); err != nil {
				return err
			}
		}
		if err := r.logStep(ctx, number, op, evDropComment, ""); err != nil {
			return err
		}
	}

	if op.Close {
		// The body and the close in one request, the intent logged first:
		// the next sync knows this close is markbot's own.
		if !op.done(evDropClosing) {
			if err := r.logStep(ctx, number, op, evDropClosing, ""); err != nil {
				return err
			}
		}
		edit := &github.PullRequest{State: github.String("closed"), Body: github.String(dropFromBody(ps.pr.GetBody(), op))}
		if err := r.call(ctx, fmt.Sprintf("PATCH pull #%d state=closed", number), func(ctx context.Context) (resp *github.Response, err error) {
			_, resp, err = r.gh.Pulls.Edit(ctx, r.o.Owner, r.o.Repo, number, edit)
			return resp, err
		}); err != nil {
			return err
		}
		return r.finishClose(ctx, number, op)
	}
	if err := r.logStep(ctx, number, op, evDropDone, ""); err != nil {
		return err
	}
	log.WithFields(logrus.Fields{"remaining": len(op.Remaining), "nothing_left": op.NothingLeft}).Info("drop: done")
	return nil
}

// finishClose records markbot's own close of PR number: closed in state,
// without skips (nobody said no), any marker still proposed dropped.
func (r *run) finishClose(ctx context.Context, number int, op *dropOp) error {
	msg := fmt.Sprintf("closed by markbot: every package was dropped from PR #%d (not a human's no)", number)
	markers, err := r.st.MarkersForPR(ctx, number)
	if err != nil {
		return err
	}
	for _, m := range markers {
		if m.PR == number && m.State == state.Proposed {
			if _, err := r.st.TransitionMarker(ctx, m.ID, state.Dropped, msg); err != nil {
				return err
			}
		}
	}
	if err := r.st.SetPRState(ctx, number, state.PRClosed, msg); err != nil {
		return err
	}
	if !op.done(evDropDone) {
		if err := r.logStep(ctx, number, op, evDropDone, ""); err != nil {
			return err
		}
	}
	r.log.WithFields(logrus.Fields{"pr": number, "attr": firstAttr(op.attrs())}).Info("drop: nothing left; PR closed by markbot")
	return nil
}

func (r *run) markerByID(ctx context.Context, number int, id int64) (state.Marker, error) {
	ms, err := r.st.MarkersForPR(ctx, number)
	if err != nil {
		return state.Marker{}, err
	}
	for _, m := range ms {
		if m.ID == id {
			return m, nil
		}
	}
	return state.Marker{}, fmt.Errorf("marker %d of PR #%d: %w", id, number, state.ErrNotFound)
}

// dropCommit writes the branch edits as a commit and moves the branch:
// rewrite (markbot's commit replaced, same parent, forced update after
// checking nobody pushed meanwhile) or a commit on top (fast-forward only,
// so that a push racing this one is never overwritten).
func (r *run) dropCommit(ctx context.Context, number int, ps *prState, op *dropOp, edits []fileEdit) (string, error) {
	baseTree := op.Tree
	if baseTree == "" {
		var head *github.Commit
		if err := r.call(ctx, "GET commit "+op.Head, func(ctx context.Context) (resp *github.Response, err error) {
			head, resp, err = r.gh.headGit().GetCommit(ctx, r.headOwner, r.o.Repo, op.Head)
			return resp, err
		}); err != nil {
			return "", err
		}
		baseTree = head.GetTree().GetSHA()
	}
	// Each file keeps its mode in the tree the edit goes on (modes.go).
	paths := make([]string, len(edits))
	for i, e := range edits {
		paths[i] = e.File
	}
	modes, err := r.fileModes(ctx, r.gh.headGit(), r.headOwner, r.o.Repo, baseTree, paths)
	if err != nil {
		return "", err
	}
	entries := blobEntries(paths, func(i int) string { return edits[i].New }, modes)
	branch := ps.pr.GetHead().GetRef()
	var tree *github.Tree
	if err := r.call(ctx, "POST trees "+branch, func(ctx context.Context) (resp *github.Response, err error) {
		tree, resp, err = r.gh.headGit().CreateTree(ctx, r.headOwner, r.o.Repo, baseTree, entries)
		return resp, err
	}); err != nil {
		return "", err
	}
	parent, msg := op.Head, dropCommitMessage(op)
	if op.Mode == BranchRewritten {
		parent = op.Parent
		msg = CommitMessage(remainingBatch(op))
	}
	var c *github.Commit
	if err := r.call(ctx, "POST commits "+branch, func(ctx context.Context) (resp *github.Response, err error) {
		c, resp, err = r.gh.headGit().CreateCommit(ctx, r.headOwner, r.o.Repo, &github.Commit{Message: github.String(msg),
			Tree: &github.Tree{SHA: tree.SHA}, Parents: []*github.Commit{{SHA: github.String(parent)}}}, nil)
		return resp, err
	}); err != nil {
		return "", err
	}
	if err := r.logStep(ctx, number, op, evDropCommit, c.GetSHA()); err != nil {
		return "", err
	}
	force := op.Mode == BranchRewritten
	if force {
		var ref *github.Reference
		if err := r.call(ctx, "GET ref heads/"+branch, func(ctx context.Context) (resp *github.Response, err error) {
			ref, resp, err = r.gh.headGit().GetRef(ctx, r.headOwner, r.o.Repo, "heads/"+branch)
			return resp, err
		}); err != nil {
			return "", err
		}
		if got := ref.GetObject().GetSHA(); got != op.Head {
			return "", fmt.Errorf("branch %s moved to %s while markbot was dropping (planned on %s); trying again next time", branch, short(got), short(op.Head))
		}
	}
	if err := r.call(ctx, "PATCH refs "+branch, func(ctx context.Context) (resp *github.Response, err error) {
		_, resp, err = r.gh.headGit().UpdateRef(ctx, r.headOwner, r.o.Repo, &github.Reference{Ref: github.String("heads/" + branch),
			Object: &github.GitObject{SHA: c.SHA}}, force)
		return resp, err
	}); err != nil {
		return "", err
	}
	return c.GetSHA(), nil
}

// findDropComment looks for op's comment among the PR's comments.
func (r *run) findDropComment(ctx context.Context, number int, op *dropOp) (bool, error) {
	mark := dropCommentMarker(number, op)
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		var page []*github.IssueComment
		var resp *github.Response
		if err := r.call(ctx, fmt.Sprintf("GET comments #%d", number), func(ctx context.Context) (_ *github.Response, err error) {
			page, resp, err = r.gh.Issues.ListComments(ctx, r.o.Owner, r.o.Repo, number, opts)
			return resp, err
		}); err != nil {
			return false, err
		}
		for _, c := range page {
			if strings.Contains(c.GetBody(), mark) {
				return true, nil
			}
		}
		if resp == nil || resp.NextPage == 0 {
			return false, nil
		}
		opts.Page = resp.NextPage
	}
}

// pushInfo is the first commit by someone else that touched a file.
type pushInfo struct{ login, sha string }

// pushedFiles looks at the PR's commits others pushed since markbot last
// looked (those not reachable from a known head) and returns the files
// they touched, each with the first such commit. markbot's own commits
// (its trailer, or authored by its login) and merges (which bring the base
// branch's changes, not a fix) are passed over.
func (r *run) pushedFiles(ctx context.Context, number int, known map[string]bool) (map[string]pushInfo, error) {
	var commits []*github.RepositoryCommit
	opts := &github.ListOptions{PerPage: 100}
	for {
		var page []*github.RepositoryCommit
		var resp *github.Response
		if err := r.call(ctx, fmt.Sprintf("GET pull #%d commits", number), func(ctx context.Context) (_ *github.Response, err error) {
			page, resp, err = r.gh.Pulls.ListCommits(ctx, r.o.Owner, r.o.Repo, number, opts)
			return resp, err
		}); err != nil {
			return nil, err
		}
		commits = append(commits, page...)
		if resp == nil || resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	parents := map[string][]string{}
	for _, c := range commits {
		for _, p := range c.Parents {
			parents[c.GetSHA()] = append(parents[c.GetSHA()], p.GetSHA())
		}
	}
	seen := map[string]bool{}
	var stack []string
	for sha := range known {
		if known[sha] {
			stack = append(stack, sha)
		}
	}
	for len(stack) > 0 {
		sha := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[sha] {
			continue
		}
		seen[sha] = true
		stack = append(stack, parents[sha]...)
	}
	touched := map[string]pushInfo{}
	for _, c := range commits {
		sha := c.GetSHA()
		if seen[sha] || len(c.Parents) > 1 || r.isMarkbotCommit(c) {
			continue
		}
		login := c.GetAuthor().GetLogin()
		if login == "" {
			login = c.GetCommit().GetAuthor().GetName()
		}
		var full *github.RepositoryCommit
		if err := r.call(ctx, "GET commits/"+short(sha), func(ctx context.Context) (resp *github.Response, err error) {
			full, resp, err = r.gh.Commits.GetCommit(ctx, r.headOwner, r.o.Repo, sha, nil)
			return resp, err
		}); err != nil {
			return nil, err
		}
		for _, f := range full.Files {
			for _, name := range []string{f.GetFilename(), f.GetPreviousFilename()} {
				if _, ok := touched[name]; name != "" && !ok {
					touched[name] = pushInfo{login: login, sha: sha}
				}
			}
		}
		r.log.WithFields(logrus.Fields{"pr": number, "sha": short(sha), "user": login, "files": len(full.Files)}).Info("a commit by someone else on the branch")
	}
	return touched, nil
}

// commitTrailer ends every commit message markbot writes.
const commitTrailer = "Generated by markbot (" + projectURL + ")."

func (r *run) isMarkbotCommit(c *github.RepositoryCommit) bool {
	return strings.Contains(c.GetCommit().GetMessage(), commitTrailer) || strings.EqualFold(c.GetAuthor().GetLogin(), r.o.BotLogin)
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// WriteSummary prints what the drop did, a line per package, as markbot
// run's summary shows it.
func (r *DropResult) WriteSummary(w io.Writer) error {
	var sb strings.Builder
	r.writeSummary(&sb)
	_, err := io.WriteString(w, sb.String())
	return err
}

func (r *DropResult) writeSummary(sb *strings.Builder) {
	would := ""
	if r.DryRun {
		would = "would "
	}
	for _, p := range r.Dropped() {
		fmt.Fprintf(sb, "  %sdrop %s from #%d: %s (%s)\n", would, strings.Join(p.Attrs, ", "), r.PR, p.Reason, p.Edit)
	}
	switch {
	case r.Closed && len(r.Dropped()) > 0:
		fmt.Fprintf(sb, "  %sclose #%d: nothing of markbot's left\n", would, r.PR)
	case r.NothingLeft:
		fmt.Fprintf(sb, "  #%d: nothing of markbot's left; others' commits stay, the PR stays open\n", r.PR)
	}
	if r.Resumed > 0 {
		fmt.Fprintf(sb, "  finished %d drop(s) from #%d left half done by an earlier run\n", r.Resumed, r.PR)
	}
}
