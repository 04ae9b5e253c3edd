// Package prs turns markbot's decisions into pull requests on nixpkgs. Its
// single concern is publishing: it plans batches of changes (one set of
// maintainers per PR, capped in size, mark and unmark never mixed), writes
// each PR's text (a table of packages, log tails, what the reader can do, and
// a hidden block naming the attributes), and publishes each batch through the
// GitHub Git Data API as one branch, one commit and one pull request, with
// labels and capped review requests. Publishing is idempotent and crash-safe:
// it looks first for what an earlier run left (open markbot PRs, branches with
// the deterministic name, PRs a human closed) and records every step in
// internal/state before taking the next, so a rerun after a crash at any step
// ends in the same state with no duplicates. Rate limits are waited out within
// a budget; a dry run performs only reads.
package prs

import (
	"fmt"
	"slices"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
)

// Kind says whether a change marks a derivation broken or takes markbot's
// marker out again. A PR holds changes of one kind only.
type Kind string

const (
	// KindMark inserts the broken marker.
	KindMark Kind = "mark"
	// KindUnmark removes a marker markbot inserted earlier.
	KindUnmark Kind = "unmark"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindMark || k == KindUnmark }

// Build is a Hydra build given as evidence.
type Build struct {
	ID   int64
	URL  string    // https://hydra.nixos.org/build/312345678
	Time time.Time // when it finished (zero: unknown)
}

// Range is the nixpkgs range a failure started in ("broke between"): the
// revision of the newest evaluation in which the job built (Good) and of
// the first in which it failed (Bad). Exact is false when Bad is only the
// oldest failing evaluation markbot could find, so the break may be before
// it. Commits is the number of commits in Good...Bad as GitHub's compare
// API counts them, -1 when unknown.
type Range struct {
	Good, Bad         string
	GoodEval, BadEval int64
	Exact             bool
	Commits           int
}

// LocalBuild is a green build by markbot's local build probe
// (probe.build_command): on which system, and when it finished.
type LocalBuild struct {
	System string
	Time   time.Time
}

// Narrowing is an unmark that narrows the marker to the systems where the
// package still fails rather than taking it out.
type Narrowing struct {
	// Green are the systems the package builds on again: the marker no
	// longer covers them.
	Green []string
	// Systems the new marker covers: those still failing or not built by
	// any probe (never empty).
	Systems []string
	// BuildID and BuildURL are the failing build the new marker names.
	BuildID  int64
	BuildURL string
}

// Change is one derivation to edit. It is plain data: internal/bot builds it
// from a failures.Failure (or a green probe) and a nixpkgs.Package.
type Change struct {
	Kind Kind
	// File is the repository path and Line the meta.position line at
	// Revision.
	File string
	Line int
	// Revision is the nixpkgs commit File and Line are from: the
	// evaluation whose packages index located the derivation. "" means
	// the base commit (unmark changes: the marker's recorded position).
	// Publish reads the file at Revision, locates the derivation there,
	// and carries the position to the base commit when the file changed
	// in between (revision.go), or skips the change as OutcomeMoved.
	Revision string
	// Attrs are the attribute paths sharing the derivation, sorted.
	Attrs []string
	// Systems the marker covers (empty: every system).
	Systems []string
	// BuildID and BuildURL are the evidence: the failing build for a mark,
	// the green build for an unmark.
	BuildID  int64
	BuildURL string
	// Local, for an unmark whose evidence is markbot's local build probe
	// rather than a Hydra build (BuildID and BuildURL then empty).
	Local *LocalBuild
	// Narrow, for an unmark, keeps the marker for the systems still
	// failing instead of taking it out: the package builds again on
	// Narrow.Green only (the evidence above is a green build there).
	Narrow *Narrowing
	// Since is when the package started failing (the marker's date).
	Since time.Time
	// LastSuccess is the last successful build before the failure, if known.
	LastSuccess *Build
	// BrokeBetween is where the failure started, nil when unknown.
	BrokeBetween *Range
	// LogTail holds the last lines of the failing build's log.
	LogTail     []string
	Maintainers []nixpkgs.Maintainer
	Teams       []nixpkgs.Team
}

// Attr is the attribute the change is tracked by: the first of Attrs.
func (c Change) Attr() string {
	if len(c.Attrs) == 0 {
		return ""
	}
	return c.Attrs[0]
}

// LogURL is the evidence build's log.
func (c Change) LogURL() string { return logURL(c.BuildURL) }

func logURL(build string) string {
	if build == "" {
		return ""
	}
	return build + "/log"
}

func (c Change) validate() error {
	switch {
	case !c.Kind.Valid():
		return fmt.Errorf("change %v: unknown kind %q", c.Attrs, c.Kind)
	case len(c.Attrs) == 0:
		return fmt.Errorf("change in %s:%d: no attributes", c.File, c.Line)
	case c.File == "" || c.Line <= 0:
		return fmt.Errorf("change %s: no position (file %q, line %d)", c.Attr(), c.File, c.Line)
	case !slices.IsSorted(c.Attrs):
		return fmt.Errorf("change %s: attributes are not sorted: %v", c.Attr(), c.Attrs)
	case c.Narrow != nil && c.Kind != KindUnmark:
		return fmt.Errorf("change %s: only an unmark can narrow a marker", c.Attr())
	case c.Narrow != nil && (len(c.Narrow.Systems) == 0 || len(c.Narrow.Green) == 0 || c.Narrow.BuildURL == ""):
		return fmt.Errorf("change %s: narrowing needs the systems still failing, the green ones and a failing build", c.Attr())
	}
	return nil
}
