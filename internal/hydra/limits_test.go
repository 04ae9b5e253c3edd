package hydra

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

// hugeValue is a JSON text with one string value of n bytes in the middle,
// produced as it is read (the test never holds it).
func hugeValue(prefix string, n int64, suffix string) io.Reader {
	return io.MultiReader(strings.NewReader(prefix), io.LimitReader(repeatByte('a'), n), strings.NewReader(suffix))
}

type repeatByte byte

func (b repeatByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

// One huge value in any JSON answer is an error naming the limit, and
// reading it costs memory of the order of the limit, not of the value.
func TestJSONDecodersCapValues(t *testing.T) {
	const huge = 256 << 20
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{"a build's field", func() error {
			return DecodeRecords(hugeValue(`[{"id":1,"job":"`, huge, `"}]`), func(*Record) error { return nil })
		}, "one build is larger than"},
		{"a skipped field of a build", func() error {
			return DecodeBuilds(hugeValue(`[{"id":1,"buildproducts":{"x":"`, huge, `"}}]`), func(*Build) error { return nil })
		}, "one build is larger than"},
		{"an evaluation's input", func() error {
			_, err := DecodeEvalsPage(hugeValue(`{"evals":[{"id":1,"flake":"`, huge, `"}]}`))
			return err
		}, "one evaluation is larger than"},
		{"a JSON document", func() error {
			var e Eval
			return json.NewDecoder(newCapReader(hugeValue(`{"id":1,"flake":"`, huge, `"}`), maxJSONDocument, "the answer", 0, "")).Decode(&e)
		}, "the answer is larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			err := tt.run()
			runtime.ReadMemStats(&after)
			var le *LimitError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a LimitError %q", err, tt.want)
			}
			// A decoder doubles its buffer while a token grows: up to 4× the limit.
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 4*uint64(le.Limit)+8<<20 {
				t.Errorf("allocated %d MB for a %d MB value (limit %d MB)", grew>>20, huge>>20, le.Limit>>20)
			}
		})
	}
}

// Values under the caps still decode.
func TestJSONDecodersUnderCaps(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 500<<10)
	in := `[{"id":1,"job":"a.x86_64-linux","system":"x86_64-linux","finished":1,"buildstatus":0,"buildproducts":{"1":{"path":"` + string(big) + `"}}}]`
	n := 0
	if err := DecodeRecords(strings.NewReader(in), func(*Record) error { n++; return nil }); err != nil || n != 1 {
		t.Fatalf("%d records, %v", n, err)
	}
}
