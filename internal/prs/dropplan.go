// The planning step of a drop: which packages leave, the branch's files
// before and after (planDrop, dropEdits), and the result it reports.

package prs

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/state"
	"github.com/nixpkgs-markbot/markbot/internal/udiff"
)

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
			headCommit, resp, err = r.gh.headGit().GetCommit(ctx, r.headOwner, r.headRepo, ps.head)
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
		fc, err := r.readFile(ctx, r.headOwner, r.headRepo, head, f)
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
