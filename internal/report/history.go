// Step 3, the memory Track needs between runs: a History keeps the feed
// entries (what was failing, since when, under which id), in memory or in
// a JSON file. The caller may back it by the state database later.

package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"sync"

	"github.com/nixpkgs-markbot/markbot/internal/atomicfile"
)

// History keeps the feed entries between runs:
//
//	prev, err := h.Load()
//	site.Feed = report.Track(prev, site, site.Generated)
//	err = h.Save(site.Feed)
type History interface {
	// Load returns the entries saved last (none the first time).
	Load() ([]Tracked, error)
	// Save replaces them.
	Save([]Tracked) error
}

// MemoryHistory is a History in memory (for tests, and for a server
// that may forget on restart). The zero value is ready; it is safe for
// concurrent use.
type MemoryHistory struct {
	mu      sync.Mutex
	entries []Tracked
}

// Load returns a copy of the entries saved last.
func (m *MemoryHistory) Load() ([]Tracked, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return cloneTracked(m.entries), nil
}

// Save keeps a copy of entries.
func (m *MemoryHistory) Save(entries []Tracked) error {
	if err := validateTracked(entries); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = cloneTracked(entries)
	return nil
}

func cloneTracked(v []Tracked) []Tracked {
	if v == nil {
		return nil
	}
	out := make([]Tracked, len(v))
	for i, t := range v {
		s := t.Snapshot
		s.Systems, s.Jobs = slices.Clone(s.Systems), slices.Clone(s.Jobs)
		s.Maintainers, s.Teams = slices.Clone(s.Maintainers), slices.Clone(s.Teams)
		if s.BrokeBetween != nil {
			r := *s.BrokeBetween
			s.BrokeBetween = &r
		}
		if s.PR != nil {
			p := *s.PR
			s.PR = &p
		}
		if s.Marker != nil {
			mk := *s.Marker
			s.Marker = &mk
		}
		t.Snapshot = s
		out[i] = t
	}
	return out
}

// FileHistory is a History in a JSON file, written whole through a
// temporary file and a rename, so a crash leaves the old or the new file,
// never half of one. A missing file is an empty history. Saves from two
// processes at once are not supported (the last one wins).
type FileHistory struct {
	Path string
}

// historyVersion is the file's format: {"version": 1, "entries": [...]}.
const historyVersion = 1

// MaxHistorySize bounds the file Load reads (the history of every
// failure of four jobsets at nixpkgs scale is a few megabytes).
const MaxHistorySize = 256 << 20

type historyFile struct {
	Version int       `json:"version"`
	Entries []Tracked `json:"entries"`
}

// Load reads the file (nil when it does not exist).
func (h FileHistory) Load() ([]Tracked, error) {
	f, err := os.Open(h.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("report: history: %w", err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, MaxHistorySize+1)); err != nil {
		return nil, fmt.Errorf("report: history %s: %w", h.Path, err)
	}
	if buf.Len() > MaxHistorySize {
		return nil, fmt.Errorf("report: history %s is larger than %d bytes", h.Path, MaxHistorySize)
	}
	entries, err := decodeHistory(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("report: history %s: %w", h.Path, err)
	}
	return entries, nil
}

// decodeHistory parses a history file strictly: a known version, no
// unknown fields, nothing after the object, and valid entries.
func decodeHistory(data []byte) ([]Tracked, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var hf historyFile
	if err := dec.Decode(&hf); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("data after the history object")
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("data after the history object")
	}
	if hf.Version != historyVersion {
		return nil, fmt.Errorf("unknown version %d (want %d)", hf.Version, historyVersion)
	}
	if err := validateTracked(hf.Entries); err != nil {
		return nil, err
	}
	if len(hf.Entries) == 0 {
		return nil, nil
	}
	return hf.Entries, nil
}

// validateTracked checks what Track relies on: an id (distinct), a jobset
// and an attribute, and times.
func validateTracked(entries []Tracked) error {
	ids := make(map[string]bool, len(entries))
	for i, t := range entries {
		switch {
		case t.ID == "" || t.Jobset == "" || t.Attr == "":
			return fmt.Errorf("entry %d: an id, a jobset and an attribute are required", i)
		case ids[t.ID]:
			return fmt.Errorf("entry %d: id %s given twice", i, t.ID)
		case t.Published.IsZero() || t.Updated.IsZero() || t.Updated.Before(t.Published):
			return fmt.Errorf("entry %s: published %v and updated %v are not a valid pair", t.ID, t.Published, t.Updated)
		case !t.Fixed.IsZero() && t.Fixed.After(t.Updated):
			return fmt.Errorf("entry %s: fixed after its last update", t.ID)
		}
		ids[t.ID] = true
	}
	return nil
}

// encodeHistory is the file's content for entries.
func encodeHistory(entries []Tracked) ([]byte, error) {
	if entries == nil {
		entries = []Tracked{}
	}
	norm := cloneTracked(entries)
	for i := range norm {
		t := &norm[i]
		t.Published, t.Updated = t.Published.UTC(), t.Updated.UTC()
		if !t.Fixed.IsZero() {
			t.Fixed = t.Fixed.UTC()
		}
		if !t.Snapshot.Since.IsZero() {
			t.Snapshot.Since = t.Snapshot.Since.UTC()
		}
	}
	b, err := json.MarshalIndent(historyFile{Version: historyVersion, Entries: norm}, "", " ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Save writes the file atomically (a temporary file beside it, synced,
// then renamed over it).
func (h FileHistory) Save(entries []Tracked) error {
	if err := validateTracked(entries); err != nil {
		return fmt.Errorf("report: history: %w", err)
	}
	b, err := encodeHistory(entries)
	if err != nil {
		return fmt.Errorf("report: history: %w", err)
	}
	if err := atomicfile.WriteFile(h.Path, b, 0o644); err != nil {
		return fmt.Errorf("report: history: %w", err)
	}
	return nil
}
