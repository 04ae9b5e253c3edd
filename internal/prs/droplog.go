// The drop's log in state: each planned drop (dropOp) and each of its
// steps recorded before the next write, so that a rerun after a crash
// finishes the drop or plans it again (dropLog).

package prs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/nixpkgs-markbot/markbot/internal/state"
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
