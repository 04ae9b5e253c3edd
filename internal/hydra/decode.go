package hydra

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// ErrStop may be returned by an EachBuild or DecodeBuilds callback to stop
// reading early without an error.
var ErrStop = errors.New("hydra: stop")

// DecodeBuilds reads a JSON array of builds (the body of /eval/{id}/builds)
// from r one element at a time and calls fn for each, so memory does not
// depend on the length of the array. fn must not keep the *Build: it is
// reused for the next element. A truncated array, anything but an array, or
// trailing data after it is an error.
//
// Elements are decoded with encoding/json's (v1) semantics, as before the
// switch to github.com/go-json-experiment/json: names match case-insensitively,
// null leaves a field as it is, invalid UTF-8 becomes U+FFFD, a repeated name's
// last value wins.
func DecodeBuilds(r io.Reader, fn func(*Build) error) error {
	var b Build
	return decodeArray(r, func(dec *jsontext.Decoder) (*Build, error) {
		b = Build{}
		return &b, json.UnmarshalDecode(dec, &b)
	}, fn)
}

// v1Semantics are the options of every decoder here: encoding/json (v1)
// behaviour, with errors reported as the v2 types (which carry the byte
// offset and the JSON pointer of the problem).
var v1Semantics = json.JoinOptions(jsonv1.DefaultOptionsV1(), jsonv1.ReportErrorsWithLegacySemantics(false))

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
// hands fn only each build's Record (reused for the next element). It reads
// the members a Record needs token by token and skips the others unparsed;
// FuzzDecodeBuilds checks that it agrees with DecodeBuilds.
func DecodeRecords(r io.Reader, fn func(*Record) error) error {
	var (
		rec Record
		f   recordFields
		rd  recordDecoder
	)
	return decodeArray(r, func(dec *jsontext.Decoder) (*Record, error) {
		f = recordFields{}
		if err := rd.decode(dec, &f); err != nil {
			return nil, err
		}
		b := Build{ID: f.ID, Job: f.Job, System: f.System, Finished: f.Finished, BuildStatus: f.BuildStatus,
			StartTime: f.StartTime, StopTime: f.StopTime, DrvPath: f.DrvPath}
		rec = RecordOf(&b)
		return &rec, nil
	}, fn)
}

// decodeArray streams the elements of a JSON array: next decodes one (the
// decoder is positioned at its start) and fn gets the result.
func decodeArray[T any](r io.Reader, next func(*jsontext.Decoder) (*T, error), fn func(*T) error) error {
	cr := newCapReader(r, maxBuildsAnswer, "the builds answer", maxBuildElement, "one build")
	dec := jsontext.NewDecoder(cr, v1Semantics)
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	n := 0
	for {
		// PeekKind is 0 at the end of the input or on a syntax error;
		// reading the ']' below reports it.
		if k := dec.PeekKind(); k == ']' || k == 0 {
			break
		}
		cr.Mark()
		v, err := next(dec)
		if err != nil {
			return fmt.Errorf("build #%d: %w", n, noEOF(err))
		}
		n++
		if err := fn(v); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
	if err := expectDelim(dec, ']'); err != nil {
		return fmt.Errorf("after %d builds: %w", n, err)
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		if err == nil {
			return fmt.Errorf("unexpected data after the builds array (offset %d)", dec.InputOffset())
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
	cr := newCapReader(r, maxEvalsAnswer, "the evaluations page", maxEvalElement, "one evaluation")
	dec := jsontext.NewDecoder(cr, v1Semantics)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var p EvalsPage
	sawEvals := false
	for {
		if k := dec.PeekKind(); k == '}' || k == 0 {
			break
		}
		tok, err := dec.ReadToken()
		if err != nil {
			return nil, noEOF(err)
		}
		switch key := tok.String(); key {
		case "evals":
			sawEvals = true
			if err := expectDelim(dec, '['); err != nil {
				return nil, fmt.Errorf("evals: %w", err)
			}
			for {
				if k := dec.PeekKind(); k == ']' || k == 0 {
					break
				}
				// Unknown members (the megabytes of "builds") are
				// skipped token by token, not held.
				var e Eval
				cr.Mark()
				if err := json.UnmarshalDecode(dec, &e); err != nil {
					return nil, fmt.Errorf("evals[%d]: %w", len(p.Evals), noEOF(err))
				}
				p.Evals = append(p.Evals, e)
			}
			if err := expectDelim(dec, ']'); err != nil {
				return nil, fmt.Errorf("evals: %w", err)
			}
		case "first", "next", "last":
			var s *string
			if err := json.UnmarshalDecode(dec, &s); err != nil {
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
			if err := dec.SkipValue(); err != nil {
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

func expectDelim(dec *jsontext.Decoder, want jsontext.Kind) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return noEOF(err)
	}
	if k := tok.Kind(); k != want {
		got := k.String()
		switch k {
		case '"':
			got = strconv.Quote(tok.String())
		case '0':
			got = tok.String()
		}
		return fmt.Errorf("unexpected JSON: expected '%c', got %s (offset %d)", byte(want), got, dec.InputOffset()-1)
	}
	return nil
}

// The members of a build that a Record needs.
type recordField uint8

const (
	fieldNone recordField = iota
	fieldID
	fieldJob
	fieldSystem
	fieldFinished
	fieldBuildStatus
	fieldStartTime
	fieldStopTime
	fieldDrvPath
)

// recordFieldOf maps a member name to a field as encoding/json (v1) matches
// names: exactly, or else with Unicode case folding (so "ID" is "id", and
// "\u017fystem" with a long s is "system").
func recordFieldOf(name []byte) recordField {
	switch string(name) {
	case "id":
		return fieldID
	case "job":
		return fieldJob
	case "system":
		return fieldSystem
	case "finished":
		return fieldFinished
	case "buildstatus":
		return fieldBuildStatus
	case "starttime":
		return fieldStartTime
	case "stoptime":
		return fieldStopTime
	case "drvpath":
		return fieldDrvPath
	}
	for _, c := range name {
		if 'A' <= c && c <= 'Z' || c >= utf8.RuneSelf {
			switch string(foldName(name)) {
			case "ID":
				return fieldID
			case "JOB":
				return fieldJob
			case "SYSTEM":
				return fieldSystem
			case "FINISHED":
				return fieldFinished
			case "BUILDSTATUS":
				return fieldBuildStatus
			case "STARTTIME":
				return fieldStartTime
			case "STOPTIME":
				return fieldStopTime
			case "DRVPATH":
				return fieldDrvPath
			}
			return fieldNone
		}
	}
	return fieldNone
}

// foldName is encoding/json's: names with equal foldName match. ASCII
// letters are upper-cased, other runes replaced by the smallest rune of
// their case-folding orbit.
func foldName(in []byte) []byte {
	out := make([]byte, 0, len(in))
	for i := 0; i < len(in); {
		if c := in[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(in[i:])
		for {
			r2 := unicode.SimpleFold(r)
			if r2 <= r {
				r = r2
				break
			}
			r = r2
		}
		out = utf8.AppendRune(out, r)
		i += n
	}
	return out
}

// recordDecoder decodes the members of one build that a Record needs,
// with the semantics json.UnmarshalDecode has for recordFields under
// v1Semantics, without reflection and without unquoting the members it
// skips.
type recordDecoder struct {
	buf    []byte // unquoted names and strings
	status int    // what recordFields.BuildStatus points to
}

func (rd *recordDecoder) decode(dec *jsontext.Decoder, f *recordFields) error {
	switch dec.PeekKind() {
	case '{':
	case 'n':
		// v1: null leaves a struct as it is.
		_, err := dec.ReadValue()
		return err
	default:
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		return rd.typeError(dec, v, "hydra.Build", nil)
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	for {
		if k := dec.PeekKind(); k == '}' || k == 0 {
			break
		}
		name, err := dec.ReadValue()
		if err != nil {
			return err
		}
		field := recordFieldOf(rd.unquote(name))
		// ReadValue rather than SkipValue for the members skipped: it
		// scans the value in one go instead of token by token.
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		if field != fieldNone {
			if err := rd.set(dec, f, field, v); err != nil {
				return err
			}
		}
	}
	_, err := dec.ReadToken()
	return err
}

// unquote returns the contents of a JSON string, in rd.buf unless it has no
// escapes and is ASCII. Invalid UTF-8 becomes U+FFFD, as in encoding/json.
func (rd *recordDecoder) unquote(v jsontext.Value) []byte {
	s := v[1 : len(v)-1]
	for _, c := range s {
		if c == '\\' || c >= utf8.RuneSelf {
			// The decoder checked the syntax: the only possible error
			// is invalid UTF-8, which AppendUnquote has replaced.
			rd.buf, _ = jsontext.AppendUnquote(rd.buf[:0], v)
			return rd.buf
		}
	}
	return s
}

func (rd *recordDecoder) set(dec *jsontext.Decoder, f *recordFields, field recordField, v jsontext.Value) error {
	switch field {
	case fieldID, fieldStartTime, fieldStopTime:
		p := &f.ID
		if field == fieldStartTime {
			p = &f.StartTime
		} else if field == fieldStopTime {
			p = &f.StopTime
		}
		switch v.Kind() {
		case 'n': // v1: null leaves it as it is
		case '0':
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				return rd.typeError(dec, v, "int64", nil)
			}
			*p = n
		default:
			return rd.typeError(dec, v, "int64", nil)
		}
	case fieldJob, fieldSystem, fieldDrvPath:
		p := &f.Job
		if field == fieldSystem {
			p = &f.System
		} else if field == fieldDrvPath {
			p = &f.DrvPath
		}
		switch v.Kind() {
		case 'n':
		case '"':
			*p = string(rd.unquote(v))
		default:
			return rd.typeError(dec, v, "string", nil)
		}
	case fieldFinished:
		if err := f.Finished.UnmarshalJSON(v); err != nil {
			return rd.typeError(dec, v, "hydra.Flag", err)
		}
	case fieldBuildStatus:
		switch v.Kind() {
		case 'n':
			f.BuildStatus = nil
		case '0':
			n, err := strconv.ParseInt(string(v), 10, strconv.IntSize)
			if err != nil {
				return rd.typeError(dec, v, "int", nil)
			}
			rd.status = int(n)
			f.BuildStatus = &rd.status
		default:
			return rd.typeError(dec, v, "*int", nil)
		}
	}
	return nil
}

// typeError reports the value just read (v) as unfit for a Go type, where
// it is in the input and why (err, if a method or a parser said).
func (rd *recordDecoder) typeError(dec *jsontext.Decoder, v jsontext.Value, goType string, err error) error {
	return &FieldError{Pointer: dec.StackPointer(), Offset: dec.InputOffset() - int64(len(v)),
		Kind: v.Kind(), Value: string(v), GoType: goType, Err: err}
}

// FieldError is a member of a build with a JSON value that does not fit the
// Go type markbot reads it into (`"id":"one"`, `"finished":2`).
type FieldError struct {
	Pointer jsontext.Pointer // where in the array, like /12/id
	Offset  int64            // of the value in the input
	Kind    jsontext.Kind    // the value's JSON kind
	Value   string           // the value as it appears in the input
	GoType  string
	Err     error // the parser's or the UnmarshalJSON method's reason, if any
}

func (e *FieldError) Error() string {
	kind := "JSON " + e.Kind.String()
	switch e.Kind {
	case '{', '}':
		kind = "JSON object"
	case '[', ']':
		kind = "JSON array"
	case 't', 'f':
		kind = "JSON boolean"
	}
	if len(e.Value) < 100 {
		kind += " " + e.Value
	}
	msg := fmt.Sprintf("json: cannot unmarshal %s into Go %s within %q after offset %d", kind, e.GoType, e.Pointer, e.Offset)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *FieldError) Unwrap() error { return e.Err }

// noEOF turns a plain io.EOF in the middle of a document into
// io.ErrUnexpectedEOF: the body ended before the JSON did.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
