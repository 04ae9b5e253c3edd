package report

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestHistories(t *testing.T) {
	entries := sampleSite(t).Feed
	for _, h := range []History{&MemoryHistory{}, FileHistory{Path: filepath.Join(t.TempDir(), "h.json")}} {
		got, err := h.Load()
		if err != nil || got != nil {
			t.Fatalf("%T: a new history loads %v, %v", h, got, err)
		}
		if err := h.Save(entries); err != nil {
			t.Fatal(err)
		}
		got, err = h.Load()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, entries) {
			t.Errorf("%T: loaded\n%+v\nsaved\n%+v", h, got, entries)
		}
		// What Load returns is a copy.
		got[0].Snapshot.Systems[0] = "changed"
		again, _ := h.Load()
		if again[0].Snapshot.Systems[0] == "changed" {
			t.Errorf("%T: Load shares its entries", h)
		}
		if err := h.Save(nil); err != nil {
			t.Fatal(err)
		}
		if got, err := h.Load(); err != nil || got != nil {
			t.Errorf("%T: after saving nothing: %v, %v", h, got, err)
		}
	}
}

func TestFileHistoryRejects(t *testing.T) {
	ok := `{"version":1,"entries":[{"id":"tag:x","jobset":"p/j","hydra":"https://h","attr":"a","published":"2026-11-01T00:00:00Z","updated":"2026-11-02T00:00:00Z","snapshot":{}}]}`
	tests := []struct{ name, content, want string }{
		{"not JSON", `{`, "unexpected EOF"},
		{"another version", `{"version":2,"entries":[]}`, "unknown version 2"},
		{"unknown field", `{"version":1,"entries":[],"x":1}`, "unknown field"},
		{"trailing data", ok + `{}`, "data after"},
		{"no id", strings.Replace(ok, `"id":"tag:x"`, `"id":""`, 1), "an id, a jobset and an attribute"},
		{"updated before published", strings.Replace(ok, "2026-11-02", "2026-10-02", 1), "not a valid pair"},
		{"twice", strings.Replace(ok, `}]}`, `},`+ok[strings.Index(ok, "[")+1:], 1), "given twice"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-"))
			if err := os.WriteFile(p, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := FileHistory{Path: p}.Load()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
	p := filepath.Join(dir, "ok")
	os.WriteFile(p, []byte(ok), 0o644)
	if got, err := (FileHistory{Path: p}).Load(); err != nil || len(got) != 1 {
		t.Errorf("%v, %v", got, err)
	}
	if err := (FileHistory{Path: p}).Save([]Tracked{{ID: "x"}}); err == nil {
		t.Error("saved an invalid entry")
	}
	if err := (FileHistory{Path: filepath.Join(dir, "missing", "h.json")}).Save(nil); err == nil {
		t.Error("saved into a missing directory")
	}
}

// TestFileHistoryAtomic: a save leaves no temporary file, and a save that
// fails leaves the old file.
func TestFileHistoryAtomic(t *testing.T) {
	dir := t.TempDir()
	h := FileHistory{Path: filepath.Join(dir, "h.json")}
	if err := h.Save(sampleSite(t).Feed); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(h.Path)
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	if os.Getuid() != 0 { // root writes anyway
		if err := h.Save(nil); err == nil {
			t.Error("saved into a read-only directory")
		}
	}
	os.Chmod(dir, 0o755)
	after, _ := os.ReadFile(h.Path)
	if string(before) != string(after) && os.Getuid() != 0 {
		t.Error("a failed save changed the file")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "h.json" {
			t.Errorf("left %s", e.Name())
		}
	}
}

// FuzzHistoryFile: no file content makes Load panic; what it accepts
// saves and loads back the same, and Track takes it.
func FuzzHistoryFile(f *testing.F) {
	b, err := encodeHistory(sampleSite(f).Feed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"version":1,"entries":[]}`))
	f.Add([]byte(`{"version":1,"entries":[{"id":"i","jobset":"nixpkgs/unstable","hydra":"h","attr":"a","published":"2026-11-01T00:00:00Z","updated":"2026-11-01T00:00:00Z","fixed":"2026-11-01T00:00:00Z","snapshot":{"systems":["x"],"jobs":[]}}]}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"version":1,"entries":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := decodeHistory(data)
		if err != nil {
			return
		}
		again, err := encodeHistory(entries)
		if err != nil {
			t.Fatalf("accepted %q but cannot save it: %v", data, err)
		}
		back, err := decodeHistory(again)
		if err != nil {
			t.Fatalf("saved %q but cannot load it: %v", again, err)
		}
		if len(back) != len(entries) {
			t.Fatalf("%d entries back, %d saved", len(back), len(entries))
		}
		for i := range back {
			if back[i].ID != entries[i].ID || !back[i].Updated.Equal(entries[i].Updated) || !back[i].Snapshot.equal(entries[i].Snapshot) {
				t.Fatalf("entry %d changed: %+v vs %+v", i, back[i], entries[i])
			}
		}
		site := oneJobsetSite(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), failing("a", t0, "x86_64-linux"))
		out := Track(entries, site, site.Generated)
		if err := validateTracked(out); err != nil {
			t.Fatalf("Track made invalid entries from %q: %v", data, err)
		}
		v := newView(&Site{Generated: site.Generated, BaseURL: site.BaseURL, Jobsets: site.Jobsets, Failures: site.Failures, Feed: out})
		for _, o := range v.people {
			if _, err := v.feedDoc(o); err != nil {
				t.Fatal(err)
			}
		}
	})
}
