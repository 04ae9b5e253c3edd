package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

var ctx = context.Background()

// clock is a deterministic, concurrency-safe clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func open(t *testing.T, path string) *Store {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	s, err := Open(ctx, path, Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOpenCreatesAndPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "markbot.db")
	s := open(t, path)
	if v, err := s.SchemaVersion(ctx); err != nil || v != SchemaVersion() {
		t.Fatalf("version %d, %v", v, err)
	}
	since := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	m, err := s.AddMarker(ctx, Marker{Attr: "python313Packages.x", Attrs: []string{"python312Packages.x"}, File: "pkgs/development/python-modules/x/default.nix", Line: 30,
		Systems: []string{"aarch64-darwin", "x86_64-darwin"}, BuildID: 312345678, BuildURL: "https://hydra.nixos.org/build/312345678", Since: since, PR: 7})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordPR(ctx, PR{Number: 7, Kind: MarkPR, Branch: "markbot/mark-x", HeadSHA: "abc", Attrs: []string{"python313Packages.x"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordEvaluation(ctx, Evaluation{ID: 1800001, Jobset: "nixpkgs/trunk", EvaluatedAt: since}); err != nil {
		t.Fatal(err)
	}
	until := since.Add(30 * 24 * time.Hour)
	if err := s.AddSkip(ctx, "hello", "a human closed #5", until); err != nil {
		t.Fatal(err)
	}
	s.Close()

	var mode string
	s2 := open(t, path)
	if err := s2.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal mode %q %v", mode, err)
	}
	got, err := s2.Marker(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("reopened marker\n got %+v\nwant %+v", got, m)
	}
	if got.Attrs[0] != "python313Packages.x" || len(got.Attrs) != 2 {
		t.Fatalf("attrs = %v", got.Attrs)
	}
	if p, err := s2.PR(ctx, 7); err != nil || p.Branch != "markbot/mark-x" || p.State != PROpen {
		t.Fatalf("PR = %+v, %v", p, err)
	}
	if seen, err := s2.EvaluationSeen(ctx, 1800001); err != nil || !seen {
		t.Fatalf("evaluation seen = %v, %v", seen, err)
	}
	if sk, ok, err := s2.ActiveSkip(ctx, "hello", since); err != nil || !ok || !sk.Until.Equal(until) {
		t.Fatalf("skip = %+v %v %v", sk, ok, err)
	}
	evs, err := s2.Events(ctx, EventFilter{})
	if err != nil || len(evs) != 3 {
		t.Fatalf("events = %+v, %v", evs, err)
	}
}

func TestRefusesWhatItDoesNotUnderstand(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name  string
		setup func(path string)
		want  string
	}{
		{"corrupt file", func(p string) {
			os.WriteFile(p, []byte(strings.Repeat("this is not sqlite ", 400)), 0o644)
		}, "corrupt"},
		{"newer schema", func(p string) {
			s, err := Open(ctx, p, Options{})
			if err != nil {
				t.Fatal(err)
			}
			s.db.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion()+6))
			s.Close()
		}, fmt.Sprintf("schema version %d is newer than this markbot (%d): upgrade markbot", SchemaVersion()+6, SchemaVersion())},
		{"foreign sqlite database", func(p string) {
			db, err := sql.Open("sqlite", p)
			if err != nil {
				t.Fatal(err)
			}
			db.Exec("CREATE TABLE precious (x)")
			db.Exec("INSERT INTO precious VALUES (1)")
			db.Close()
		}, "refusing to touch it"},
		{"other application", func(p string) {
			db, _ := sql.Open("sqlite", p)
			db.Exec("PRAGMA application_id = 42")
			db.Exec("PRAGMA user_version = 1")
			db.Close()
		}, "not a markbot state database"},
		{"directory", func(p string) { os.Mkdir(p, 0o755) }, "is a directory"},
		{"empty file", func(p string) { os.WriteFile(p, nil, 0o644) }, "the file is empty (0 bytes), not a markbot state database"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("db%d", i), "markbot.db")
			os.MkdirAll(filepath.Dir(path), 0o755)
			tc.setup(path)
			before, _ := os.ReadFile(path)
			_, err := Open(ctx, path, Options{})
			if err == nil {
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "state: "+path+":") {
				t.Fatalf("err = %v\nwant it to name %s and say %q", err, path, tc.want)
			}
			after, _ := os.ReadFile(path)
			if string(before) != string(after) {
				t.Fatal("the refused file was modified")
			}
		})
	}
}

func TestMigrationsAreIncrementalAndTransactional(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s := &Store{db: db, path: path, now: time.Now}
	v1 := []migration{{name: "one", stmts: []string{`CREATE TABLE a (x)`}}}
	if err := s.init(ctx, v1); err != nil {
		t.Fatal(err)
	}
	bad := append(v1, migration{name: "two", stmts: []string{`CREATE TABLE b (x)`, `THIS IS NOT SQL`}})
	err = s.migrate(ctx, bad)
	if err == nil || !strings.Contains(err.Error(), "migrating to schema version 2 (two)") {
		t.Fatalf("err = %v", err)
	}
	if v, _ := s.SchemaVersion(ctx); v != 1 {
		t.Fatalf("version after failed migration = %d", v)
	}
	var n int
	db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'b'`).Scan(&n)
	if n != 0 {
		t.Fatal("half-applied migration left table b")
	}
	good := append(v1, migration{name: "two", stmts: []string{`CREATE TABLE b (x)`}})
	if err := s.migrate(ctx, good); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.SchemaVersion(ctx); v != 2 {
		t.Fatalf("version = %d", v)
	}
	// Re-running is a no-op.
	if err := s.migrate(ctx, good); err != nil {
		t.Fatal(err)
	}
}

func TestMarkerTransitions(t *testing.T) {
	all := []MarkerState{Proposed, Merged, Probing, Reverting, Reverted, Dropped, HumanOwned}
	legal := map[[2]MarkerState]bool{
		{Proposed, Merged}: true, {Proposed, Dropped}: true, {Proposed, HumanOwned}: true,
		{Merged, Probing}: true, {Merged, Reverting}: true, {Merged, HumanOwned}: true,
		{Probing, Merged}: true, {Probing, Reverting}: true, {Probing, HumanOwned}: true,
		{Reverting, Reverted}: true, {Reverting, Merged}: true, {Reverting, HumanOwned}: true,
	}
	for _, from := range all {
		if !from.Valid() {
			t.Errorf("%s not valid", from)
		}
		for _, to := range all {
			if got := CanTransition(from, to); got != legal[[2]MarkerState{from, to}] {
				t.Errorf("CanTransition(%s, %s) = %v", from, to, got)
			}
		}
	}
	if MarkerState("bogus").Valid() {
		t.Error("bogus valid")
	}

	s := open(t, filepath.Join(t.TempDir(), "t.db"))
	m, err := s.AddMarker(ctx, Marker{Attr: "hello", File: "pkgs/by-name/he/hello/package.nix", Line: 45})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMarker(ctx, Marker{Attr: "hello", File: "x", Line: 1}); !errors.Is(err, ErrLiveMarker) {
		t.Fatalf("second live marker: %v", err)
	}
	if _, err := s.AddMarker(ctx, Marker{Attr: "x", File: "x", State: Merged}); err == nil {
		t.Fatal("marker born merged")
	}
	steps := []struct {
		to      MarkerState
		wantErr string
	}{
		{Probing, "illegal transition proposed → probing"},
		{Merged, ""},
		{Probing, ""},
		{Merged, ""},
		{Reverting, ""},
		{Reverted, ""},
		{Merged, "illegal transition reverted → merged"},
	}
	for _, st := range steps {
		got, err := s.TransitionMarker(ctx, m.ID, st.to, "because")
		if st.wantErr != "" {
			var te *TransitionError
			if !errors.As(err, &te) || !strings.Contains(err.Error(), st.wantErr) || !strings.Contains(err.Error(), "hello") {
				t.Fatalf("→ %s: err = %v, want %q", st.to, err, st.wantErr)
			}
			continue
		}
		if err != nil || got.State != st.to {
			t.Fatalf("→ %s: %+v %v", st.to, got, err)
		}
	}
	if _, err := s.TransitionMarker(ctx, 999, Merged, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing marker: %v", err)
	}
	// Final: a new marker for the same attribute is allowed.
	if _, err := s.AddMarker(ctx, Marker{Attr: "hello", File: "pkgs/by-name/he/hello/package.nix", Line: 46}); err != nil {
		t.Fatal(err)
	}
	live, ok, err := s.LiveMarker(ctx, "hello")
	if err != nil || !ok || live.Line != 46 {
		t.Fatalf("live = %+v %v %v", live, ok, err)
	}
	if err := s.SetMarkerPR(ctx, live.ID, 12, false); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMarkerPR(ctx, live.ID, 13, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMarkerPosition(ctx, live.ID, "pkgs/by-name/he/hello/package.nix", 50); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMarkerEvidence(ctx, live.ID, []string{"x86_64-linux"}, 5, "https://hydra.nixos.org/build/5"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMarkerPR(ctx, 999, 1, false); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing marker: %v", err)
	}
	for _, n := range []int{12, 13} {
		ms, err := s.MarkersForPR(ctx, n)
		if err != nil || len(ms) != 1 || ms[0].ID != live.ID || ms[0].Line != 50 || ms[0].BuildID != 5 {
			t.Fatalf("MarkersForPR(%d) = %+v %v", n, ms, err)
		}
	}
	if ms, err := s.Markers(ctx, Reverted); err != nil || len(ms) != 1 || ms[0].ID != m.ID {
		t.Fatalf("reverted = %+v %v", ms, err)
	}
	if ms, _ := s.Markers(ctx); len(ms) != 2 {
		t.Fatalf("all markers = %d", len(ms))
	}
	evs, err := s.Events(ctx, EventFilter{Attr: "hello", Kind: "marker."})
	if err != nil || len(evs) != 7 || evs[0].Kind != "marker.proposed" || evs[1].Kind != "marker.reverted" {
		t.Fatalf("marker events = %+v %v", evs, err)
	}
}

func TestPRs(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "p.db"))
	tests := []struct {
		name string
		pr   PR
		err  string
	}{
		{"zero", PR{Kind: MarkPR}, "not positive"},
		{"kind", PR{Number: 1, Kind: "fix"}, "unknown kind"},
		{"state", PR{Number: 1, Kind: MarkPR, State: "draft"}, "unknown state"},
	}
	for _, tc := range tests {
		if _, err := s.RecordPR(ctx, tc.pr); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
	p, err := s.RecordPR(ctx, PR{Number: 3, Kind: MarkPR, Branch: "b", HeadSHA: "1", Attrs: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	// Idempotent re-record updates the head, keeps state and kind.
	p2, err := s.RecordPR(ctx, PR{Number: 3, Kind: MarkPR, Branch: "b", HeadSHA: "2", Attrs: []string{"a", "b"}, State: PRClosed})
	if err != nil || p2.HeadSHA != "2" || p2.State != PROpen || !p2.Created.Equal(p.Created) {
		t.Fatalf("re-record = %+v %v", p2, err)
	}
	if _, err := s.RecordPR(ctx, PR{Number: 3, Kind: UnmarkPR}); err == nil {
		t.Fatal("kind changed")
	}
	if err := s.SetPRState(ctx, 3, PRClosed, "closed by alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPRState(ctx, 3, PRClosed, ""); err != nil {
		t.Fatal("same state is not a no-op:", err)
	}
	if err := s.SetPRState(ctx, 3, PROpen, "reopened"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPRState(ctx, 3, PRMerged, ""); err != nil {
		t.Fatal(err)
	}
	var te *TransitionError
	if err := s.SetPRState(ctx, 3, PROpen, ""); !errors.As(err, &te) || te.From != "merged" || te.To != "open" {
		t.Fatalf("merged → open: %v", err)
	}
	if err := s.SetPRState(ctx, 4, PROpen, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown PR: %v", err)
	}
	if _, err := s.RecordPR(ctx, PR{Number: 9, Kind: UnmarkPR, Branch: "u"}); err != nil {
		t.Fatal(err)
	}
	open, err := s.PRs(ctx, PROpen)
	if err != nil || len(open) != 1 || open[0].Number != 9 || open[0].Kind != UnmarkPR {
		t.Fatalf("open PRs = %+v %v", open, err)
	}
	evs, _ := s.Events(ctx, EventFilter{PR: 3})
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.Kind)
	}
	if strings.Join(kinds, " ") != "pr.merged pr.open pr.closed pr.opened" {
		t.Fatalf("PR 3 events = %v", kinds)
	}
}

func TestEvaluationsSkipsEvents(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "e.db"))
	for _, id := range []int64{10, 12, 11, 12} {
		_, err := s.RecordEvaluation(ctx, Evaluation{ID: id, Jobset: "nixpkgs/trunk", EvaluatedAt: time.Unix(id, 0)})
		if err != nil {
			t.Fatal(err)
		}
	}
	if isNew, _ := s.RecordEvaluation(ctx, Evaluation{ID: 10, Jobset: "nixpkgs/trunk"}); isNew {
		t.Fatal("re-recorded evaluation reported new")
	}
	s.RecordEvaluation(ctx, Evaluation{ID: 13, Jobset: "nixos/trunk-combined"})
	evals, err := s.Evaluations(ctx, "nixpkgs/trunk", 2)
	if err != nil || len(evals) != 2 || evals[0].ID != 12 || evals[1].ID != 11 || evals[0].FetchedAt.IsZero() {
		t.Fatalf("evaluations = %+v %v", evals, err)
	}
	if _, err := s.RecordEvaluation(ctx, Evaluation{ID: 0, Jobset: "x"}); err == nil {
		t.Fatal("evaluation without id")
	}

	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	s.AddSkip(ctx, "a", "closed", now.Add(time.Hour))
	s.AddSkip(ctx, "b", "closed", now.Add(-time.Hour))
	s.AddSkip(ctx, "a", "closed again", now.Add(2*time.Hour))
	skips, err := s.ActiveSkips(ctx, now)
	if err != nil || len(skips) != 1 || skips[0].Reason != "closed again" {
		t.Fatalf("skips = %+v %v", skips, err)
	}
	if _, ok, _ := s.ActiveSkip(ctx, "b", now); ok {
		t.Fatal("expired skip active")
	}
	if err := s.RemoveSkip(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.ActiveSkip(ctx, "a", now); ok {
		t.Fatal("removed skip active")
	}

	id, err := s.Log(ctx, Event{Kind: "cycle", Message: "done", Details: json.RawMessage(`{"marked": 3}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Log(ctx, Event{Kind: "cycle", Details: json.RawMessage(`{nope`)}); err == nil {
		t.Fatal("invalid details accepted")
	}
	if _, err := s.Log(ctx, Event{}); err == nil {
		t.Fatal("event without kind accepted")
	}
	evs, err := s.Events(ctx, EventFilter{Kind: "cycle", Limit: 1})
	if err != nil || len(evs) != 1 || evs[0].ID != id || string(evs[0].Details) != `{"marked": 3}` {
		t.Fatalf("events = %+v %v", evs, err)
	}
	// Append-only, even for code inside the package.
	if _, err := s.db.ExecContext(ctx, `UPDATE events SET message = 'x'`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Fatalf("update: %v", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM events`); err == nil {
		t.Fatal("delete allowed")
	}
}

func TestConcurrentUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	s := open(t, path)
	s2 := open(t, path) // a second handle, like a second process
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := s
			if w%2 == 1 {
				st = s2
			}
			for i := range 10 {
				attr := fmt.Sprintf("pkg%d_%d", w, i)
				m, err := st.AddMarker(ctx, Marker{Attr: attr, File: "f.nix", Line: i})
				if err != nil {
					errs <- err
					return
				}
				if _, err := st.TransitionMarker(ctx, m.ID, Merged, "merged"); err != nil {
					errs <- err
					return
				}
				if _, err := st.RecordEvaluation(ctx, Evaluation{ID: int64(i + 1), Jobset: "j"}); err != nil {
					errs <- err
					return
				}
				if _, err := st.Markers(ctx, Merged); err != nil {
					errs <- err
					return
				}
			}
			// Everyone races to add the same attribute: exactly one wins.
			if _, err := st.AddMarker(ctx, Marker{Attr: "contended", File: "f.nix", Line: 1}); err != nil && !errors.Is(err, ErrLiveMarker) {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	merged, _ := s.Markers(ctx, Merged)
	proposed, _ := s.Markers(ctx, Proposed)
	if len(merged) != 80 || len(proposed) != 1 {
		t.Fatalf("merged %d proposed %d", len(merged), len(proposed))
	}
	evals, _ := s.Evaluations(ctx, "j", 0)
	if len(evals) != 10 {
		t.Fatalf("evaluations = %d", len(evals))
	}
}

// TestOpenEmptyFile: a zero-length file is not taken for a fresh database
// (it is what a truncated copy or a failed restore leaves) unless the
// caller says so with Init; a missing file is created either way, and Init
// never resets a database that has content.
func TestOpenEmptyFile(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, empty, Options{}); !errors.Is(err, ErrEmptyFile) || !strings.Contains(err.Error(), "delete it") {
		t.Fatalf("empty file without Init: %v", err)
	}
	if fi, _ := os.Stat(empty); fi.Size() != 0 {
		t.Fatal("the refused file was written")
	}
	s, err := Open(ctx, empty, Options{Init: true})
	if err != nil {
		t.Fatalf("empty file with Init: %v", err)
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != SchemaVersion() {
		t.Fatalf("schema %d, %v", v, err)
	}
	if _, err := s.RecordPR(ctx, PR{Number: 1, Kind: MarkPR, Branch: "b", Attrs: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Init on a database with content: opened as it is, nothing lost.
	s, err = Open(ctx, empty, Options{Init: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PR(ctx, 1); err != nil {
		t.Fatalf("Init reset a database: %v", err)
	}
	s.Close()
	// Missing: created without Init.
	s, err = Open(ctx, filepath.Join(dir, "new", "markbot.db"), Options{})
	if err != nil {
		t.Fatalf("missing file: %v", err)
	}
	s.Close()
}
