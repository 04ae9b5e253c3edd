package hydra

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sampleRecords() []Record {
	return []Record{
		{Job: "hello.x86_64-linux", System: "x86_64-linux",
			Status: StatusSucceeded, Build: 300000001, Seconds: 100, Stop: 1769990100},
		{Job: "python313Packages.foo.aarch64-darwin", System: "aarch64-darwin",
			Status: StatusFailed, Build: 300000002, Seconds: 0, Stop: 0},
		{Job: "queued.x86_64-linux", System: "x86_64-linux", Status: StatusUnfinished, Build: 3},
	}
}

func encode(t testing.TB, eval, ts int64, recs []Record) []byte {
	var buf bytes.Buffer
	w, err := NewRecordWriter(&buf, eval, ts, "0123456789abcdef0123456789abcdef01234567")
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if err := w.Write(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRecordsRoundTrip(t *testing.T) {
	recs := sampleRecords()
	var in Interner
	er, err := ReadRecords(bytes.NewReader(encode(t, 1822526, 1769990000, recs)), &in)
	if err != nil {
		t.Fatal(err)
	}
	if er.Eval != 1822526 || er.Timestamp != 1769990000 || len(er.Records) != len(recs) {
		t.Fatalf("got %+v", er)
	}
	for i := range recs {
		if er.Records[i] != recs[i] {
			t.Errorf("record %d = %+v, want %+v", i, er.Records[i], recs[i])
		}
	}
	// Equal strings are shared.
	if er.Records[0].System != er.Records[2].System || len(in.m) != 6 || er.Revision != "0123456789abcdef0123456789abcdef01234567" {
		t.Errorf("interner holds %d strings", len(in.m))
	}
}

func TestReadRecordsRejectsDamage(t *testing.T) {
	good := encode(t, 5, 6, sampleRecords())
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x40
	tests := map[string][]byte{
		"empty":              nil,
		"not gzip":           []byte("hello"),
		"truncated":          good[:len(good)-10],
		"truncated early":    good[:len(good)/2],
		"a flipped bit":      flipped,
		"two streams joined": append(bytes.Clone(good), good...),
	}
	for name, data := range tests {
		if _, err := ReadRecords(bytes.NewReader(data), nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCacheCommitAbort(t *testing.T) {
	c, err := OpenCache(t.TempDir(), "https://hydra.nixos.org/")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(filepath.Dir(c.Dir()), "hydra.nixos.org") {
		t.Errorf("cache dir %s is not per server", c.Dir())
	}
	w, err := c.Create(7, 70, "")
	if err != nil {
		t.Fatal(err)
	}
	recs := sampleRecords()
	w.Add(&recs[0])
	w.Abort()
	if c.Has(7) {
		t.Error("aborted write is visible")
	}
	w, _ = c.Create(7, 70, "")
	for i := range recs {
		w.Add(&recs[i])
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	er, err := c.Load(7, nil)
	if err != nil || len(er.Records) != 3 || er.Timestamp != 70 {
		t.Fatalf("Load = %+v, %v", er, err)
	}
	if left, _ := filepath.Glob(filepath.Join(c.Dir(), "*.tmp")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// A file holding another evaluation is refused.
	os.Rename(filepath.Join(c.Dir(), "7.mbhe.gz"), filepath.Join(c.Dir(), "8.mbhe.gz"))
	if _, err := c.Load(8, nil); err == nil {
		t.Error("Load(8) accepted evaluation 7's records")
	}
}

func FuzzReadRecords(f *testing.F) {
	f.Add(encode(f, 1, 2, sampleRecords()))
	f.Add(encode(f, 1, 2, nil))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		er, err := ReadRecords(bytes.NewReader(data), nil)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to something that decodes the same.
		again, err := ReadRecords(bytes.NewReader(encode(t, er.Eval, er.Timestamp, er.Records)), nil)
		if err != nil || len(again.Records) != len(er.Records) {
			t.Fatalf("re-encoding failed: %v", err)
		}
	})
}
