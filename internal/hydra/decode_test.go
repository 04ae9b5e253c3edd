package hydra

import (
	"bytes"
	jsonv1 "encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestDecodeBuilds(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string // id:status per build
		wantErr string
	}{
		{"empty array", `[]`, "", ""},
		{"two builds", `[{"id":1,"finished":1,"buildstatus":0,"job":"a.x86_64-linux","buildoutputs":{"out":{"path":"/x"}}},
			{"id":2,"finished":1,"buildstatus":2}]`, "1:0 2:2", ""},
		{"finished as a boolean", `[{"id":1,"finished":true,"buildstatus":6}]`, "1:6", ""},
		{"unfinished: null status and times", `[{"id":1,"finished":0,"buildstatus":null,"starttime":null,"stoptime":null}]`, "1:-1", ""},
		{"finished but null status counts as unfinished", `[{"id":1,"finished":1,"buildstatus":null}]`, "1:-1", ""},
		{"unknown fields are skipped", `[{"id":3,"finished":1,"buildstatus":1,"new":{"x":[1,2]}}]`, "3:1", ""},
		{"truncated inside a build", `[{"id":1,"finished":1,"buildstatus":0},{"id":2,"fin`, "1:0", "unexpected EOF"},
		{"truncated between builds", `[{"id":1,"finished":1,"buildstatus":0},`, "1:0", ""},
		{"truncated after the last build", `[{"id":1,"finished":1,"buildstatus":0}`, "1:0", "unexpected EOF"},
		{"not an array", `{"error":"Evaluation 5 doesn't exist."}`, "", "expected"},
		{"HTML", `<!DOCTYPE html><html>`, "", "invalid character '<'"},
		{"empty body", ``, "", "unexpected EOF"},
		{"trailing data", `[] []`, "", "after the builds"},
		// go-json-experiment words type errors "cannot unmarshal" or "unable to
		// unmarshal" (it varies between runs): match what both say.
		{"wrong type", `[{"id":"one"}]`, "", "unmarshal"},
		{"bad flag", `[{"id":1,"finished":2}]`, "", "not a flag"},
		{"number as a string", `[{"id":"1","finished":1,"buildstatus":0}]`, "", "unmarshal"},
		{"fraction", `[{"id":1.5}]`, "", "unmarshal"},
		{"null element", `[null,{"id":2,"finished":1,"buildstatus":3}]`, "0:-1 2:3", ""},
		{"names fold like encoding/json", `[{"ID":7,"Finished":1,"BuildStatus":4,"\u017fystem":"x"}]`, "7:4", ""},
		{"repeated name: last wins", `[{"id":1,"id":2,"finished":1,"buildstatus":1,"buildstatus":null}]`, "2:-1", ""},
		{"null leaves a number", `[{"id":3,"id":null,"finished":1,"buildstatus":0}]`, "3:0", ""},
		{"invalid UTF-8 is accepted", "[{\"id\":1,\"job\":\"a\xffb\",\"finished\":1,\"buildstatus\":0}]", "1:0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "truncated between builds" {
				// `,` then EOF: the element that should follow is missing.
				tt.wantErr = "unexpected EOF"
			}
			check := func(what string, got []string, err error) {
				t.Helper()
				if s := strings.Join(got, " "); s != tt.want {
					t.Errorf("%s: builds = %q, want %q", what, s, tt.want)
				}
				switch {
				case tt.wantErr == "" && err != nil:
					t.Errorf("%s: err = %v", what, err)
				case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
					t.Errorf("%s: err = %v, want %q", what, err, tt.wantErr)
				}
			}
			var got []string
			err := DecodeBuilds(strings.NewReader(tt.in), func(b *Build) error {
				got = append(got, itoa(b.ID)+":"+itoa(int64(b.Status())))
				return nil
			})
			check("DecodeBuilds", got, err)
			got = nil
			err = DecodeRecords(strings.NewReader(tt.in), func(r *Record) error {
				got = append(got, itoa(r.Build)+":"+itoa(int64(r.Status)))
				return nil
			})
			check("DecodeRecords", got, err)
		})
	}
}

func itoa(i int64) string { return string(appendInt(nil, i)) }

func appendInt(b []byte, i int64) []byte {
	if i < 0 {
		return appendInt(append(b, '-'), -i)
	}
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

func TestTruncationIsRetryable(t *testing.T) {
	err := DecodeBuilds(strings.NewReader(`[{"id":1`), func(*Build) error { return nil })
	if !errors.Is(err, io.ErrUnexpectedEOF) || !isTransient(decodeErr("http://x", err)) {
		t.Errorf("truncation: %v; want a retryable unexpected EOF", err)
	}
	err = DecodeBuilds(strings.NewReader(`[{"id":1,,`), func(*Build) error { return nil })
	if isTransient(decodeErr("http://x", err)) {
		t.Errorf("a syntax error is retryable: %v", err)
	}
}

func TestDecodeEvalsPage(t *testing.T) {
	p, err := DecodeEvalsPage(strings.NewReader(`{"first":"?page=1","evals":[
		{"id":2,"timestamp":20,"hasnewbuilds":1,"builds":[5,6,7],"jobsetevalinputs":{"nixpkgs":{"type":"git","revision":"ab"}}},
		{"id":1,"timestamp":10,"hasnewbuilds":false,"builds":[]}],"next":"?page=2","last":"?page=9","total":170}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Evals) != 2 || p.Evals[0].ID != 2 || !bool(p.Evals[0].HasNewBuilds) || bool(p.Evals[1].HasNewBuilds) ||
		*p.Evals[0].Inputs["nixpkgs"].Revision != "ab" || p.Next != "?page=2" || p.Last != "?page=9" {
		t.Errorf("page = %+v", p)
	}
	p, err = DecodeEvalsPage(strings.NewReader(`{"evals":[],"first":"?page=1","last":"?page=0","next":null}`))
	if err != nil || p.Next != "" {
		t.Errorf("last page: %+v, %v", p, err)
	}
	for _, bad := range []string{`[]`, `{}`, `{"evals":{}}`, `{"evals":[{"id":1}]`, `{"evals":[],"next":5}`, `{"evals":[]} x`} {
		if _, err := DecodeEvalsPage(strings.NewReader(bad)); err == nil && bad != `{"evals":[]} x` {
			t.Errorf("DecodeEvalsPage(%s) accepted it", bad)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		h    string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"7", 7 * time.Second, true},
		{"Thu, 01 Jan 2026 00:00:30 GMT", 30 * time.Second, true},
		{"Wed, 31 Dec 2025 23:00:00 GMT", 0, true}, // in the past: now
		{"soon", 0, false},
		{"-3", 0, false},
	}
	for _, tt := range tests {
		d, ok := retryAfter(tt.h, now)
		if d != tt.want || ok != tt.ok {
			t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.h, d, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	c, _ := New(Options{Contact: "test@example.org", MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	for attempt, max := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 9: time.Second} {
		for i := 0; i < 50; i++ {
			if d := c.backoff(attempt); d < max/2 || d > max {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", attempt, d, max/2, max)
			}
		}
	}
}

func TestTailLines(t *testing.T) {
	long := strings.Repeat("x", 10000)
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"", 3, ""},
		{"a\nb\nc\nd\n", 2, "c|d"},
		{"a\nb", 5, "a|b"},
		{"a\r\nb\r\n", 5, "a|b"},
		{"a\n\n\n", 2, "|"},
		{long + "\nend\n", 2, strings.Repeat("x", maxLineLen) + "|end"},
	}
	for _, tt := range tests {
		got, err := tailLines(strings.NewReader(tt.in), tt.n, 1<<20)
		if err != nil || strings.Join(got, "|") != tt.want {
			t.Errorf("tailLines(%.20q, %d) = %q, %v; want %q", tt.in, tt.n, got, err, tt.want)
		}
	}
	if _, err := tailLines(strings.NewReader(strings.Repeat("a\n", 100)), 2, 50); !errors.Is(err, ErrLogTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
}

func FuzzDecodeBuilds(f *testing.F) {
	f.Add([]byte(`[{"id":1,"finished":1,"buildstatus":0,"job":"a.x86_64-linux","drvpath":"/nix/store/x.drv"}]`))
	f.Add([]byte(`[{"id":1,"finished":true,"buildstatus":null,"jobsetevals":[1,2]},{"id":2}]`))
	f.Add([]byte(`{"error":"x"}`))
	f.Add([]byte(`[`))
	f.Add([]byte(`<html>`))
	f.Add([]byte(`[null,{"ID":1,"Finished":"1","\u0062uildstatus":2,"job":"a\u00e9\ud800","id":null,"JOB":null}]`))
	f.Add([]byte("[{\"\u017fystem\":\"\xff\",\"drvpath\":\"/nix/store/0a1b2c3d4f5g6h7i8j9k0l1m2n3p4q5r-x.drv\",\"starttime\":-5,\"stoptime\":1e3}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// No panic; the lean decoder used for ingestion agrees with the
		// full one on every document both accept, and both agree with
		// encoding/json (v1), which decoded builds before.
		var old []Record
		errOld := decodeRecordsV1(bytes.NewReader(data), func(r *Record) error {
			old = append(old, *r)
			return nil
		})
		var full, lean []Record
		errFull := DecodeBuilds(bytes.NewReader(data), func(b *Build) error {
			full = append(full, RecordOf(b))
			return nil
		})
		errLean := DecodeRecords(bytes.NewReader(data), func(r *Record) error {
			lean = append(lean, *r)
			return nil
		})
		if errFull == nil && errLean == nil {
			if len(full) != len(lean) {
				t.Fatalf("%d records vs %d", len(full), len(lean))
			}
			for i := range full {
				if full[i] != lean[i] {
					t.Fatalf("record %d: %+v vs %+v", i, full[i], lean[i])
				}
			}
		}
		if errOld == nil && errLean == nil {
			if len(old) != len(lean) {
				t.Fatalf("encoding/json: %d records vs %d", len(old), len(lean))
			}
			for i := range old {
				if old[i] != lean[i] {
					t.Fatalf("record %d: encoding/json %+v vs %+v", i, old[i], lean[i])
				}
			}
		}
		if (errOld == nil) != (errLean == nil) || (errFull == nil) != (errLean == nil) {
			t.Fatalf("encoding/json: %v; DecodeBuilds: %v; DecodeRecords: %v", errOld, errFull, errLean)
		}
	})
}

// decodeRecordsV1 is DecodeRecords as it was with encoding/json (v1): the
// reference FuzzDecodeBuilds holds the new decoders to.
func decodeRecordsV1(r io.Reader, fn func(*Record) error) error {
	dec := jsonv1.NewDecoder(r)
	delim := func(want jsonv1.Delim) error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(jsonv1.Delim); !ok || d != want {
			return errors.New("unexpected JSON")
		}
		return nil
	}
	if err := delim('['); err != nil {
		return err
	}
	for dec.More() {
		var f recordFields
		if err := dec.Decode(&f); err != nil {
			return err
		}
		b := Build{ID: f.ID, Job: f.Job, System: f.System, Finished: f.Finished, BuildStatus: f.BuildStatus,
			StartTime: f.StartTime, StopTime: f.StopTime, DrvPath: f.DrvPath}
		rec := RecordOf(&b)
		if err := fn(&rec); err != nil {
			return err
		}
	}
	if err := delim(']'); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the builds array")
	}
	return nil
}

func FuzzDecodeEvalsPage(f *testing.F) {
	f.Add([]byte(`{"evals":[{"id":1,"builds":[1,2],"hasnewbuilds":1}],"next":"?page=2"}`))
	f.Add([]byte(`{"evals":[],"first":null}`))
	f.Add([]byte(`{"evals":[{"jobsetevalinputs":{"a":{"uri":null}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = DecodeEvalsPage(bytes.NewReader(data))
	})
}
