// Package failures owns markbot's decision of which packages fail
// persistently on Hydra: pure functions from the build records of recent
// evaluations (internal/hydra) to per-attribute failures, with the
// mass-breakage guard and the allow/deny filters. It does no I/O.
package failures

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
)

// Policy says what counts as a persistent failure. The config package fills
// it from markbot.yaml; DefaultPolicy gives the defaults.
type Policy struct {
	// JobPrefix, when set, is what the jobset's job names carry before the
	// attribute path (a watched jobset on another Hydra): stripped before
	// nixpkgs.AttrFromJob; a job without it is not a package.
	JobPrefix string
	// Evaluations (K): the job must fail in every one of the last K
	// evaluations that built it (status success or own failure).
	Evaluations int
	// MinDays (D) and MinDerivations: and it must have been failing for at
	// least D days, or across at least MinDerivations distinct derivations.
	MinDays        int
	MinDerivations int
	// OwnFailure lists the statuses that are the package's own failure.
	OwnFailure []hydra.Status
	// IncludeLogLimit and IncludeOutputLimit add statuses 10 and 11 (Hydra's
	// log and output size limits) to OwnFailure.
	IncludeLogLimit    bool
	IncludeOutputLimit bool
	// MassBreakageShare: when more than this share of the newest
	// evaluation's jobs newly fail, nothing is proposed.
	MassBreakageShare float64
	// Allow and Deny are globs (path.Match syntax; '*' crosses dots) over
	// attribute paths. Deny wins; an empty Allow allows all.
	Allow []string
	Deny  []string
	// Systems are the systems considered; builds for others are ignored.
	Systems []string
}

// DefaultSystems are the systems nixpkgs' Hydra jobset builds for.
var DefaultSystems = []string{"x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"}

// DefaultPolicy: K=3, D=14, two derivations, statuses 1 and 6, 2% mass
// breakage, the four Hydra systems.
func DefaultPolicy() Policy {
	return Policy{
		Evaluations:       3,
		MinDays:           14,
		MinDerivations:    2,
		OwnFailure:        []hydra.Status{hydra.StatusFailed, hydra.StatusFailedWithOutput},
		MassBreakageShare: 0.02,
		Systems:           slices.Clone(DefaultSystems),
	}
}

// Validate reports a policy that cannot be applied.
func (p Policy) Validate() error {
	var errs []error
	if p.Evaluations < 1 {
		errs = append(errs, fmt.Errorf("evaluations (K) must be at least 1, not %d", p.Evaluations))
	}
	if p.MinDays < 0 {
		errs = append(errs, fmt.Errorf("min days (D) must not be negative, not %d", p.MinDays))
	}
	if p.MinDerivations < 1 {
		errs = append(errs, fmt.Errorf("min derivations must be at least 1, not %d", p.MinDerivations))
	}
	if p.MassBreakageShare <= 0 || p.MassBreakageShare > 1 {
		errs = append(errs, fmt.Errorf("mass breakage share must be in (0, 1], not %g", p.MassBreakageShare))
	}
	if len(p.OwnFailure) == 0 {
		errs = append(errs, errors.New("no status counts as an own failure"))
	}
	for _, s := range p.OwnFailure {
		switch s {
		case hydra.StatusSucceeded, hydra.StatusDependencyFailed, hydra.StatusUnsupported, hydra.StatusNonDeterministic,
			hydra.StatusUnfinished, hydra.StatusResolved, hydra.StatusAborted, hydra.StatusCancelled:
			errs = append(errs, fmt.Errorf("status %d (%s) cannot count as the package's own failure", s, s))
		default:
			if !s.Known() {
				errs = append(errs, fmt.Errorf("status %d is not one of Hydra's", s))
			}
		}
	}
	if len(p.Systems) == 0 {
		errs = append(errs, errors.New("no systems"))
	}
	for _, g := range append(slices.Clone(p.Allow), p.Deny...) {
		if _, err := path.Match(g, ""); err != nil {
			errs = append(errs, fmt.Errorf("glob %q: %w", g, err))
		}
	}
	return errors.Join(errs...)
}

// Class is what a build status is evidence of.
type Class int

// The classes of build statuses.
const (
	ClassIgnored          Class = iota // step-only codes (13), codes Hydra does not have (5, 99, …)
	ClassSuccess                       // 0
	ClassOwnFailure                    // 1, 6; 7, 10, 11 by policy; 8: the build's own derivation
	ClassDependency                    // 2, or a copied status whose step is a dependency's
	ClassTransient                     // 3, 4, 7: aborted, cancelled, timed out
	ClassUnsupported                   // 9: not a failure
	ClassNonDeterministic              // 12: not a build failure
	ClassUnfinished                    // still queued or building
	ClassSizeLimit                     // 10, 11 when the policy does not count them
	// ClassUnknownOrigin: 8, or 7, 10, 11 the policy counts, on a build
	// whose steps have not shown that the failing step is its own
	// derivation: the runner may have copied it from a dependency's step
	// (inner_fail_job). Never evidence.
	ClassUnknownOrigin
)

var classNames = [...]string{"ignored", "success", "own failure", "dependency failure", "transient",
	"unsupported", "non-deterministic", "unfinished", "size limit", "failure of unknown origin"}

func (c Class) String() string { return classNames[c] }

// Classify says what a status alone is evidence of under the policy,
// taking a status the policy lists as the build's own (ClassifyOrigin
// checks that for the statuses the queue runner copies onto dependents).
// A cached failure (8) alone is ClassUnknownOrigin.
func (p Policy) Classify(s hydra.Status) Class {
	if slices.Contains(p.OwnFailure, s) ||
		(s == hydra.StatusLogLimitExceeded && p.IncludeLogLimit) ||
		(s == hydra.StatusOutputLimitExceeds && p.IncludeOutputLimit) {
		return ClassOwnFailure
	}
	switch s {
	case hydra.StatusSucceeded:
		return ClassSuccess
	case hydra.StatusDependencyFailed:
		return ClassDependency
	case hydra.StatusAborted, hydra.StatusCancelled, hydra.StatusTimedOut:
		return ClassTransient
	case hydra.StatusUnsupported:
		return ClassUnsupported
	case hydra.StatusNonDeterministic:
		return ClassNonDeterministic
	case hydra.StatusUnfinished:
		return ClassUnfinished
	case hydra.StatusLogLimitExceeded, hydra.StatusOutputLimitExceeds:
		return ClassSizeLimit
	case hydra.StatusCachedFailure:
		return ClassUnknownOrigin
	}
	return ClassIgnored
}

// ClassifyOrigin says what a status is evidence of when it is known whose
// derivation's step it is about (hydra.OriginOf). A status the runner may
// have copied from a dependency (hydra.Status.MaybeCopied) counts as the
// package's own failure only with OriginOwn: with OriginDependency it is a
// dependency failure, with OriginUnknown a failure of unknown origin. A
// cached failure of the build's own derivation counts as 1, which is what
// the C++ runner stored for it (buildStatus() in state.hh).
func (p Policy) ClassifyOrigin(s hydra.Status, o hydra.Origin) Class {
	c := p.Classify(s)
	if !s.MaybeCopied() {
		return c
	}
	if o == hydra.OriginDependency {
		return ClassDependency // whatever the status: a dependency's step
	}
	if s == hydra.StatusCachedFailure {
		c = p.Classify(hydra.StatusFailed)
	}
	switch {
	case c != ClassOwnFailure:
		return c // transient, unsupported, a size limit not counted: whoever's it is
	case o == hydra.OriginOwn:
		return ClassOwnFailure
	}
	return ClassUnknownOrigin
}

// evidence reports whether a class says something about whether the
// package itself builds: only successes and own failures do.
func (c Class) evidence() bool { return c == ClassSuccess || c == ClassOwnFailure }

// allowed applies the allow and deny globs to an attribute path.
func (p Policy) allowed(attr string) bool {
	for _, g := range p.Deny {
		if ok, _ := path.Match(g, attr); ok {
			return false
		}
	}
	if len(p.Allow) == 0 {
		return true
	}
	for _, g := range p.Allow {
		if ok, _ := path.Match(g, attr); ok {
			return true
		}
	}
	return false
}

// attrOf is the attribute path job (on system) builds, under p.JobPrefix.
func (p Policy) attrOf(job, system string) (string, bool) {
	if p.JobPrefix != "" {
		rest, ok := strings.CutPrefix(job, p.JobPrefix)
		if !ok {
			return "", false
		}
		job = rest
	}
	return nixpkgs.AttrFromJob(job, system)
}
