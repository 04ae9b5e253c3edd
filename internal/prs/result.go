package prs

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Outcome is what happened to one change.
type Outcome string

const (
	// OutcomeIncluded: the change is in a PR (opened, found, or shown in a dry run).
	OutcomeIncluded Outcome = "included"
	// OutcomeCovered: an open markbot PR already covers the attribute.
	OutcomeCovered Outcome = "covered"
	// OutcomeClosedByHuman: a human closed a PR with the attribute; it is
	// not proposed again until the skip ends.
	OutcomeClosedByHuman Outcome = "closed-by-human"
	// OutcomeAlreadyBroken: the derivation is already marked broken.
	OutcomeAlreadyBroken Outcome = "already-broken"
	// OutcomeNotMarked: there is no markbot marker to take out.
	OutcomeNotMarked Outcome = "not-marked"
	// OutcomeRefused: nixedit will not edit this file or shape.
	OutcomeRefused Outcome = "refused"
	// OutcomeHumanChanged: a human edited markbot's marker; it is theirs.
	OutcomeHumanChanged Outcome = "human-changed"
	// OutcomeFailed: an error (file missing, stale position, API failure).
	OutcomeFailed Outcome = "failed"
	// OutcomePending: not attempted (an earlier batch exhausted the budget).
	OutcomePending Outcome = "pending"
)

// ChangeResult is what happened to one change.
type ChangeResult struct {
	Kind    Kind
	Attrs   []string
	File    string
	Line    int
	Outcome Outcome
	Reason  string
	// PR is the pull request holding or covering the change (0: none).
	PR int
	// Until is when a skip ends (OutcomeClosedByHuman).
	Until time.Time
}

func changeResult(c Change, o Outcome, reason string) ChangeResult {
	return ChangeResult{Kind: c.Kind, Attrs: c.Attrs, File: c.File, Line: c.Line, Outcome: o, Reason: reason}
}

// Status is what happened to one batch.
type Status string

const (
	// StatusOpened: a PR was opened (or found, after a crash) and finished.
	StatusOpened Status = "opened"
	// StatusDryRun: the PR was only rendered.
	StatusDryRun Status = "dry-run"
	// StatusEmpty: no change of the batch needed an edit; nothing opened.
	StatusEmpty Status = "empty"
	// StatusSkipped: a PR closed by a human used this branch; nothing opened.
	StatusSkipped Status = "skipped"
	// StatusFailed: an error stopped the batch (Err); a rerun resumes it.
	StatusFailed Status = "failed"
	// StatusPending: not attempted (the budget ran out before it).
	StatusPending Status = "pending"
)

// FileDiff is one file's unified diff (dry run).
type FileDiff struct {
	File string
	Diff string
}

// PRResult is one planned pull request.
type PRResult struct {
	Kind   Kind
	Branch string
	Status Status
	Reason string
	Title  string
	Body   string
	// Diffs are filled in a dry run.
	Diffs []FileDiff
	// Number and URL of the PR (0 and "" unless opened).
	Number int
	URL    string
	// Reused says the branch (from a crashed run) was reused as it was.
	Reused    bool
	Reviewers Reviewers
	// Dropped are reviewers GitHub refused (not collaborators).
	Dropped []string
	Attrs   []string
	Err     error
}

// Result is what one Publish did: every input change once, in input order,
// and every planned PR.
type Result struct {
	Changes []ChangeResult
	PRs     []PRResult
	// Finished are open markbot PRs found unfinished (labels or review
	// requests missing after a crash) and finished in this run.
	Finished []int
	// Drops are packages taken out of open mark PRs someone pushed to (or
	// drops a crash left half done, finished).
	Drops []*DropResult
}

// Count returns how many changes had outcome o.
func (r *Result) Count(o Outcome) int {
	n := 0
	for _, c := range r.Changes {
		if c.Outcome == o {
			n++
		}
	}
	return n
}

// WriteSummary prints what markbot run shows: what was proposed, opened and
// skipped, with reasons.
func (r *Result) WriteSummary(w io.Writer) error {
	var sb strings.Builder
	opened := 0
	for _, p := range r.PRs {
		if p.Status == StatusOpened {
			opened++
		}
	}
	fmt.Fprintf(&sb, "%d changes proposed, %d PRs opened, %d changes skipped\n",
		len(r.Changes), opened, len(r.Changes)-r.Count(OutcomeIncluded))
	for _, p := range r.PRs {
		switch p.Status {
		case StatusOpened:
			reused := ""
			if p.Reused {
				reused = " (branch reused)"
			}
			fmt.Fprintf(&sb, "  opened #%d %s: %s%s\n", p.Number, p.URL, p.Title, reused)
		case StatusDryRun:
			fmt.Fprintf(&sb, "  would open %s: %s\n", p.Branch, p.Title)
		case StatusFailed:
			fmt.Fprintf(&sb, "  failed %s: %v\n", p.Branch, p.Err)
		default:
			// A batch, not an attribute: said so, so that a branch name
			// never reads as a skipped attribute.
			fmt.Fprintf(&sb, "  no pull request (%s) on branch %s for %s: %s\n", p.Status, p.Branch, strings.Join(p.Attrs, ", "), p.Reason)
		}
	}
	for _, n := range r.Finished {
		fmt.Fprintf(&sb, "  finished #%d (labels or review requests left by an earlier run)\n", n)
	}
	for _, d := range r.Drops {
		d.writeSummary(&sb)
	}
	for _, c := range r.Changes {
		if c.Outcome == OutcomeIncluded {
			continue
		}
		fmt.Fprintf(&sb, "  skipped %s: %s\n", strings.Join(c.Attrs, ", "), c.Reason)
	}
	_, err := io.WriteString(w, sb.String())
	return err
}
