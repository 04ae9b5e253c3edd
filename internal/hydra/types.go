// Package hydra owns markbot's conversation with a Hydra server
// (hydra.nixos.org by default): the JSON API client (evaluations, streamed
// builds of an evaluation, single builds, log tails), its politeness
// (User-Agent, client-side rate limit, retries with backoff) and the on-disk
// cache of what failure detection needs from each finished evaluation.
//
// It owns no decisions: internal/failures turns the records kept here into
// persistent failures.
package hydra

import (
	"bytes"
	"fmt"
	"strconv"
)

// Default values for a Client.
const (
	DefaultBaseURL = "https://hydra.nixos.org"
	DefaultProject = "nixpkgs"
	DefaultJobset  = "unstable"
)

// Status is a Hydra buildstatus code. Unfinished builds (buildstatus null)
// are StatusUnfinished.
type Status int16

// Build status codes, as Hydra's database stores them.
const (
	StatusUnfinished         Status = -1
	StatusSucceeded          Status = 0
	StatusFailed             Status = 1
	StatusDependencyFailed   Status = 2
	StatusAborted            Status = 3
	StatusCancelled          Status = 4
	StatusObsolete           Status = 5
	StatusFailedWithOutput   Status = 6
	StatusTimedOut           Status = 7
	StatusCachedFailure      Status = 8
	StatusUnsupported        Status = 9
	StatusLogLimitExceeded   Status = 10
	StatusOutputLimitExceeds Status = 11
	StatusNonDeterministic   Status = 12
	StatusResolved           Status = 13
)

var statusNames = map[Status]string{
	StatusUnfinished:         "unfinished",
	StatusSucceeded:          "succeeded",
	StatusFailed:             "failed",
	StatusDependencyFailed:   "dependency failed",
	StatusAborted:            "aborted",
	StatusCancelled:          "cancelled",
	StatusObsolete:           "obsolete",
	StatusFailedWithOutput:   "failed with output",
	StatusTimedOut:           "timed out",
	StatusCachedFailure:      "cached failure",
	StatusUnsupported:        "unsupported system",
	StatusLogLimitExceeded:   "log limit exceeded",
	StatusOutputLimitExceeds: "output limit exceeded",
	StatusNonDeterministic:   "non-deterministic",
	StatusResolved:           "resolved",
}

func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return "status " + strconv.Itoa(int(s))
}

// Flag is a boolean that Hydra writes either as 0/1 or as true/false.
type Flag bool

// UnmarshalJSON accepts 0, 1, true, false and null (false).
func (f *Flag) UnmarshalJSON(b []byte) error {
	switch string(bytes.TrimSpace(b)) {
	case "1", "true":
		*f = true
	case "0", "false", "null":
		*f = false
	default:
		return fmt.Errorf("hydra: %q is not a flag (0, 1, true or false)", b)
	}
	return nil
}

// MarshalJSON writes the flag as Hydra does: 0 or 1.
func (f Flag) MarshalJSON() ([]byte, error) {
	if f {
		return []byte("1"), nil
	}
	return []byte("0"), nil
}

// Eval is one jobset evaluation as /eval/{id} and /jobset/{p}/{j}/evals
// describe it. The member build ids ("builds", megabytes for nixpkgs) are
// deliberately not kept: EachBuild streams the members themselves.
type Eval struct {
	ID           int64                `json:"id"`
	Timestamp    int64                `json:"timestamp"`
	CheckoutTime int64                `json:"checkouttime"`
	EvalTime     int64                `json:"evaltime"`
	HasNewBuilds Flag                 `json:"hasnewbuilds"`
	Flake        *string              `json:"flake,omitempty"`
	Inputs       map[string]EvalInput `json:"jobsetevalinputs"`
}

// NixpkgsRevision is the git revision of the evaluation's nixpkgs input
// (jobsetevalinputs.nixpkgs.revision), "" when it has none.
func (e *Eval) NixpkgsRevision() string {
	if in, ok := e.Inputs["nixpkgs"]; ok && in.Revision != nil {
		return *in.Revision
	}
	return ""
}

// EvalInput is one input of an evaluation (the nixpkgs git revision, …).
type EvalInput struct {
	Type     string  `json:"type"`
	URI      *string `json:"uri"`
	Revision *string `json:"revision"`
	Value    *string `json:"value"`
}

// Build is one build as /build/{id} and /eval/{id}/builds describe it, with
// the fields markbot reads. Outputs, products and metrics are skipped.
type Build struct {
	ID          int64   `json:"id"`
	Project     string  `json:"project"`
	Jobset      string  `json:"jobset"`
	Job         string  `json:"job"`
	NixName     string  `json:"nixname"`
	System      string  `json:"system"`
	Finished    Flag    `json:"finished"`
	BuildStatus *int    `json:"buildstatus"`
	Priority    int     `json:"priority"`
	Timestamp   int64   `json:"timestamp"`
	StartTime   int64   `json:"starttime"`
	StopTime    int64   `json:"stoptime"`
	DrvPath     string  `json:"drvpath"`
	JobsetEvals []int64 `json:"jobsetevals"`
}

// Status is the build's status, StatusUnfinished while it has none.
func (b *Build) Status() Status {
	if !b.Finished || b.BuildStatus == nil {
		return StatusUnfinished
	}
	return Status(*b.BuildStatus)
}
