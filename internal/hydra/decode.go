package hydra

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// ErrStop may be returned by an EachBuild or DecodeBuilds callback to stop
// reading early without an error.
var ErrStop = errors.New("hydra: stop")

// DecodeBuilds reads a JSON array of builds (the body of /eval/{id}/builds)
// from r one element at a time and calls fn for each, so memory does not
// depend on the length of the array. fn must not keep the *Build: it is
// reused for the next element. A truncated array, anything but an array, or
// trailing data after it is an error.
func DecodeBuilds(r io.Reader, fn func(*Build) error) error {
	return decodeArray(r, fn)
}

// recordFields are the only fields of a build that a Record needs; decoding
// into it skips the rest (outputs, products, metrics, evaluations), which
// is most of each element.
type recordFields struct {
	ID          int64  `json:"id"`
	Job         string `json:"job"`
	System      string `json:"system"`
	Finished    Flag   `json:"finished"`
	BuildStatus *int   `json:"buildstatus"`
	StartTime   int64  `json:"starttime"`
	StopTime    int64  `json:"stoptime"`
	DrvPath     string `json:"drvpath"`
}

// DecodeRecords is DecodeBuilds for ingestion: it reads the same array but
// hands fn only each build's Record (reused for the next element).
func DecodeRecords(r io.Reader, fn func(*Record) error) error {
	var rec Record
	return decodeArray(r, func(f *recordFields) error {
		b := Build{ID: f.ID, Job: f.Job, System: f.System, Finished: f.Finished, BuildStatus: f.BuildStatus,
			StartTime: f.StartTime, StopTime: f.StopTime, DrvPath: f.DrvPath}
		rec = RecordOf(&b)
		return fn(&rec)
	})
}

// decodeArray streams the elements of a JSON array into a T each.
func decodeArray[T any](r io.Reader, fn func(*T) error) error {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	var v T
	var zero T
	n := 0
	for dec.More() {
		v = zero
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("build #%d: %w", n, noEOF(err))
		}
		n++
		if err := fn(&v); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
	if err := expectDelim(dec, ']'); err != nil {
		return fmt.Errorf("after %d builds: %w", n, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return fmt.Errorf("unexpected data after the builds array")
		}
		return err
	}
	return nil
}

// EvalsPage is one page of /jobset/{p}/{j}/evals.
type EvalsPage struct {
	Evals []Eval `json:"evals"`
	First string `json:"first"`
	Next  string `json:"next"`
	Last  string `json:"last"`
}

// DecodeEvalsPage reads one page of /jobset/{p}/{j}/evals. Each evaluation
// is decoded on its own so that only one evaluation's member list is held at
// a time.
func DecodeEvalsPage(r io.Reader) (*EvalsPage, error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var p EvalsPage
	sawEvals := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, noEOF(err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("expected an object key, got %v", tok)
		}
		switch key {
		case "evals":
			sawEvals = true
			if err := expectDelim(dec, '['); err != nil {
				return nil, fmt.Errorf("evals: %w", err)
			}
			for dec.More() {
				var e Eval
				if err := dec.Decode(&e); err != nil {
					return nil, fmt.Errorf("evals[%d]: %w", len(p.Evals), noEOF(err))
				}
				p.Evals = append(p.Evals, e)
			}
			if err := expectDelim(dec, ']'); err != nil {
				return nil, fmt.Errorf("evals: %w", err)
			}
		case "first", "next", "last":
			var s *string
			if err := dec.Decode(&s); err != nil {
				return nil, fmt.Errorf("%s: %w", key, noEOF(err))
			}
			if s != nil {
				switch key {
				case "first":
					p.First = *s
				case "next":
					p.Next = *s
				case "last":
					p.Last = *s
				}
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fmt.Errorf("%s: %w", key, noEOF(err))
			}
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if !sawEvals {
		return nil, errors.New(`no "evals" in the answer`)
	}
	return &p, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return noEOF(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("unexpected JSON: expected %q, got %v", want, tok)
	}
	return nil
}

// noEOF turns a plain io.EOF in the middle of a document into
// io.ErrUnexpectedEOF: the body ended before the JSON did.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
