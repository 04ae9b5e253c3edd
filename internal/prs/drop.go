// Dropping packages from an open mark PR: what a drop is and returns, its
// entry points (Publisher.Drop, Dropper), reading the PR, and each round of
// a drop (plan: dropplan.go, execute: dropexec.go, log: droplog.go).

package prs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/state"
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
	r.headRepo = p.o.Repo
	if p.o.Fork != "" {
		owner, repo, ok := strings.Cut(p.o.Fork, "/")
		r.headOwner = owner
		if ok {
			r.headRepo = repo
		}
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
