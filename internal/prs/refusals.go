// The memory of changes a run could not make: a mark change refused
// (nixedit will not write that file or shape), whose file could not be read
// (too large, a symbolic link), or already marked broken gets the same
// answer from the same file, so it is recorded with the failing build it
// came for (RefusedEvent), and the cycle does not propose it again while
// Hydra's failing build is the same, for at most RefusedFor (internal/bot).
// Without this, every cycle read the file again at the moving base, and
// the refused changes, often among the longest failing, kept the places
// max_open_prs × max_markers_per_pr gives each cycle from the rest.
package prs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// RefusedEvent is the event kind a Publish logs for a mark change it
// could not make for a reason that lasts (OutcomeRefused,
// OutcomeUnreadable, OutcomeAlreadyBroken): Attr is the change's first
// attribute, Details a refusalDetails.
const RefusedEvent = "change.refused"

// RefusedFor is how long a refusal holds a change back while its failing
// build is the same: the file may change in a way that leaves the
// derivation as it was (a reformatting, a meta edit).
const RefusedFor = 7 * 24 * time.Hour

// MaxRefusals bounds the refusals Refusals reads.
const MaxRefusals = 10000

type refusalDetails struct {
	BuildID int64   `json:"build_id"`
	File    string  `json:"file"`
	Outcome Outcome `json:"outcome"`
	Reason  string  `json:"reason"`
}

// Refusal is a mark change a run could not make.
type Refusal struct {
	Attr    string
	BuildID int64
	File    string
	Outcome Outcome
	Reason  string
	At      time.Time
}

// lasting reports whether an outcome is the same for the same file.
func lasting(o Outcome) bool {
	return o == OutcomeRefused || o == OutcomeUnreadable || o == OutcomeAlreadyBroken
}

// recordRefusals logs RefusedEvent for this run's lasting refusals of
// mark changes, unless the attribute's newest refusal names the same
// build (a rerun within the same failure records nothing new).
func (r *run) recordRefusals(ctx context.Context, changes []Change) error {
	if r.st == nil || r.o.DryRun {
		return nil
	}
	for i, cr := range r.res.Changes {
		c := changes[i]
		if c.Kind != KindMark || !lasting(cr.Outcome) || c.BuildID == 0 {
			continue
		}
		prev, err := r.st.Events(ctx, state.EventFilter{Kind: RefusedEvent, Attr: c.Attr(), Limit: 1})
		if err != nil {
			return err
		}
		if len(prev) > 0 {
			var d refusalDetails
			if json.Unmarshal(prev[0].Details, &d) == nil && d.BuildID == c.BuildID && d.Outcome == cr.Outcome && r.o.Now().Sub(prev[0].At) < RefusedFor {
				continue
			}
		}
		details, _ := json.Marshal(refusalDetails{BuildID: c.BuildID, File: c.File, Outcome: cr.Outcome, Reason: cr.Reason})
		if _, err := r.st.Log(ctx, state.Event{At: r.o.Now(), Kind: RefusedEvent, Attr: c.Attr(), Details: details,
			Message: fmt.Sprintf("%s (build %d): %s: %s", c.Attr(), c.BuildID, cr.Outcome, cr.Reason)}); err != nil {
			return err
		}
	}
	return nil
}

// EventReader reads the event log (*state.Store).
type EventReader interface {
	Events(ctx context.Context, f state.EventFilter) ([]state.Event, error)
}

// Refusals returns the refusals logged since since, the newest per
// attribute.
func Refusals(ctx context.Context, st EventReader, since time.Time) ([]Refusal, error) {
	evs, err := st.Events(ctx, state.EventFilter{Kind: RefusedEvent, Since: since, Limit: MaxRefusals})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []Refusal
	for _, e := range evs { // newest first
		if seen[e.Attr] {
			continue
		}
		var d refusalDetails
		if err := json.Unmarshal(e.Details, &d); err != nil || d.BuildID == 0 {
			continue
		}
		seen[e.Attr] = true
		out = append(out, Refusal{Attr: e.Attr, BuildID: d.BuildID, File: d.File, Outcome: d.Outcome, Reason: d.Reason, At: e.At})
	}
	return out, nil
}
