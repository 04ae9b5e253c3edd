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
