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
	"io"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Default values for a Client.
const (
	DefaultBaseURL = "https://hydra.nixos.org"
	DefaultProject = "nixpkgs"
	DefaultJobset  = "unstable"
)

// Status is a Hydra buildstatus code. Unfinished builds (buildstatus null)
// are StatusUnfinished.
//
// The codes are the BuildStatus enum of NixOS/hydra's queue runners (the
// Rust one hydra.nixos.org runs: subprojects/crates/db/src/models.rs; the
// C++ one before it: src/hydra-queue-runner/state.hh). Which build a code
// is about is not always the build it is stored on: when a step fails, the
// runner writes the step's status onto every build depending on it
// (inner_fail_job in subprojects/hydra-queue-runner/src/state/mod.rs),
// turning only 1 into 2 for the builds whose derivation is not the step's.
// So 1 and 6 are always the build's own derivation, 2 always a
// dependency's, and 3, 4, 7, 8, 9, 10, 11 either. docs/hydra.md has the
// table; internal/failures decides what each counts as.
type Status int16

// Build status codes, as Hydra's database stores them. 5 is no status:
// neither runner's enum has it (it was never assigned), and an unknown
// code is not a failure (Known).
const (
	StatusUnfinished       Status = -1
	StatusSucceeded        Status = 0
	StatusFailed           Status = 1 // the build's own derivation failed (a dependent gets 2)
	StatusDependencyFailed Status = 2 // a dependency's step failed with 1
	StatusAborted          Status = 3 // own or copied from a dependency's step
	StatusCancelled        Status = 4 // own or copied
	// 5: not a status.
	StatusFailedWithOutput Status = 6 // own: the build succeeded and wrote nix-support/failed
	StatusTimedOut         Status = 7 // own or copied from a dependency's step
	// StatusCachedFailure: a step whose outputs are in FailedPaths. The
	// Rust runner stores it on the builds too (own top level or dependents
	// alike); the C++ runner stored 1 (or 2) instead (buildStatus()).
	StatusCachedFailure      Status = 8
	StatusUnsupported        Status = 9  // own or copied: no machine for the step's system
	StatusLogLimitExceeded   Status = 10 // own or copied
	StatusOutputLimitExceeds Status = 11 // own or copied
	StatusNonDeterministic   Status = 12
	StatusResolved           Status = 13 // steps only (a CA derivation resolved)
)

var statusNames = map[Status]string{
	StatusUnfinished:         "unfinished",
	StatusSucceeded:          "succeeded",
	StatusFailed:             "failed",
	StatusDependencyFailed:   "dependency failed",
	StatusAborted:            "aborted",
	StatusCancelled:          "cancelled",
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

// Known reports whether s is one of Hydra's codes (or StatusUnfinished).
func (s Status) Known() bool {
	_, ok := statusNames[s]
	return ok
}

// MaybeCopied reports whether Hydra may have written s onto a build for a
// dependency's step (inner_fail_job copies every step status but 1): the
// build's own steps must say whose derivation failed (BuildOrigin).
func (s Status) MaybeCopied() bool {
	switch s {
	case StatusAborted, StatusCancelled, StatusTimedOut, StatusCachedFailure, StatusUnsupported,
		StatusLogLimitExceeded, StatusOutputLimitExceeds:
		return true
	}
	return false
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
// counted, not kept: Members is how many there are, which is what a reading
// of the evaluation must account for before it is cached.
type Eval struct {
	ID           int64                `json:"id"`
	Timestamp    int64                `json:"timestamp"`
	CheckoutTime int64                `json:"checkouttime"`
	EvalTime     int64                `json:"evaltime"`
	HasNewBuilds Flag                 `json:"hasnewbuilds"`
	Flake        *string              `json:"flake,omitempty"`
	Inputs       map[string]EvalInput `json:"jobsetevalinputs"`
	// Members is the length of the answer's "builds" list (the
	// evaluation's member builds, JobsetEvals.pm's json_hint relation);
	// 0 when the answer had none, which means unknown (an evaluation
	// always has members).
	Members int `json:"-"`
}

// evalFields is Eval without its decoding method.
type evalFields struct {
	ID           int64                `json:"id"`
	Timestamp    int64                `json:"timestamp"`
	CheckoutTime int64                `json:"checkouttime"`
	EvalTime     int64                `json:"evaltime"`
	HasNewBuilds Flag                 `json:"hasnewbuilds"`
	Flake        *string              `json:"flake,omitempty"`
	Inputs       map[string]EvalInput `json:"jobsetevalinputs"`
}

// UnmarshalJSONFrom decodes an evaluation token by token, counting the
// member build ids instead of holding them. Names match case-insensitively,
// as everywhere in this package (encoding/json's rules).
func (e *Eval) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if k := dec.PeekKind(); k == 'n' {
		_, err := dec.ReadToken()
		return err
	} else if k != '{' {
		return fmt.Errorf("hydra: an evaluation must be a JSON object, got %v", k)
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	var f evalFields
	members := 0
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		name := tok.String()
		var target any
		switch {
		case strings.EqualFold(name, "builds"):
			if dec.PeekKind() == 'n' {
				if _, err := dec.ReadToken(); err != nil {
					return err
				}
				continue
			}
			if _, err := dec.ReadToken(); err != nil { // '['
				return err
			}
			members = 0
			for k := dec.PeekKind(); k != ']'; k = dec.PeekKind() {
				if k != '0' {
					return fmt.Errorf("hydra: evaluation builds[%d] is not a build id (%v)", members, k)
				}
				if err := dec.SkipValue(); err != nil {
					return err
				}
				members++
			}
			if _, err := dec.ReadToken(); err != nil {
				return err
			}
			continue
		case strings.EqualFold(name, "id"):
			target = &f.ID
		case strings.EqualFold(name, "timestamp"):
			target = &f.Timestamp
		case strings.EqualFold(name, "checkouttime"):
			target = &f.CheckoutTime
		case strings.EqualFold(name, "evaltime"):
			target = &f.EvalTime
		case strings.EqualFold(name, "hasnewbuilds"):
			target = &f.HasNewBuilds
		case strings.EqualFold(name, "flake"):
			target = &f.Flake
		case strings.EqualFold(name, "jobsetevalinputs"):
			target = &f.Inputs
		default:
			if err := dec.SkipValue(); err != nil {
				return err
			}
			continue
		}
		if err := json.UnmarshalDecode(dec, target); err != nil {
			return err
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	*e = Eval{ID: f.ID, Timestamp: f.Timestamp, CheckoutTime: f.CheckoutTime, EvalTime: f.EvalTime,
		HasNewBuilds: f.HasNewBuilds, Flake: f.Flake, Inputs: f.Inputs, Members: members}
	return nil
}

// UnmarshalJSON is UnmarshalJSONFrom for encoding/json.
func (e *Eval) UnmarshalJSON(b []byte) error {
	dec := jsontext.NewDecoder(bytes.NewReader(b), v1Semantics)
	if err := e.UnmarshalJSONFrom(dec); err != nil {
		return err
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return fmt.Errorf("hydra: data after the evaluation")
	}
	return nil
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
// the fields markbot reads. Products and metrics are skipped.
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
	// Outputs are the build's output paths by name ("buildoutputs";
	// Builds.pm as_json), what BuildOrigin compares a failed step's
	// outputs with. Only /build/{id} is decoded with them.
	Outputs map[string]BuildOutput `json:"buildoutputs,omitempty"`
}

// BuildOutput is one of a build's outputs (BuildOutputs.pm).
type BuildOutput struct {
	Path string `json:"path"`
}

// Status is the build's status, StatusUnfinished while it has none.
func (b *Build) Status() Status {
	if !b.Finished || b.BuildStatus == nil {
		return StatusUnfinished
	}
	return Status(*b.BuildStatus)
}
