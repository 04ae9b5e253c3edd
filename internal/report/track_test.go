package report

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func oneJobsetSite(at time.Time, fs ...Failure) *Site {
	return &Site{Generated: at, BaseURL: "https://example.org/", Jobsets: sampleJobsets()[:2], Failures: fs}
}

func failing(attr string, since time.Time, systems ...string) Failure {
	return Failure{Jobset: "nixpkgs/unstable", Attr: attr, Systems: systems, Since: since, Maintainers: []string{"alice"}}
}

// TestLifecycle runs a failure through its life, with the history saved
// to a file and loaded again between runs (as across restarts): start →
// unchanged → changed → builds again → still listed → dropped.
func TestLifecycle(t *testing.T) {
	h := FileHistory{Path: filepath.Join(t.TempDir(), "feed.json")}
	day := 24 * time.Hour
	since := t0.Add(-15 * day)
	withPR := failing("hello", since, "x86_64-linux", "aarch64-linux")
	withPR.PR = &PRRef{Number: 7, URL: "https://github.com/NixOS/nixpkgs/pull/7", Kind: "mark", State: "open"}
	withProbe := withPR
	withProbe.Marker = &MarkerRef{State: "merged", LastProbe: t0.Add(3 * day), ProbeResult: "still fails on x86_64-linux"}
	laterProbe := withProbe
	laterProbe.Marker = &MarkerRef{State: "merged", LastProbe: t0.Add(4 * day), ProbeResult: "still fails on x86_64-linux"}
	drifted := laterProbe
	drifted.Since = since.Add(2 * day) // the window of evaluations moved on
	steps := []struct {
		name       string
		at         time.Time
		now        []Failure
		entries    int
		fails      bool
		updated    time.Time // of hello's entry
		systems    string
		fixed      time.Time
		dropped    bool
		buildsText string
	}{
		{name: "starts", at: t0, now: []Failure{failing("hello", since, "x86_64-linux")}, entries: 1, fails: true, updated: t0, systems: "x86_64-linux"},
		{name: "unchanged", at: t0.Add(day), now: []Failure{failing("hello", since, "x86_64-linux")}, entries: 1, fails: true, updated: t0, systems: "x86_64-linux"},
		{name: "more systems", at: t0.Add(2 * day), now: []Failure{failing("hello", since, "x86_64-linux", "aarch64-linux")}, entries: 1, fails: true, updated: t0.Add(2 * day), systems: "x86_64-linux, aarch64-linux"},
		{name: "a PR", at: t0.Add(3 * day), now: []Failure{withPR}, entries: 1, fails: true, updated: t0.Add(3 * day), systems: "x86_64-linux, aarch64-linux"},
		{name: "marker merged", at: t0.Add(4 * day), now: []Failure{withProbe}, entries: 1, fails: true, updated: t0.Add(4 * day), systems: "x86_64-linux, aarch64-linux"},
		{name: "a new probe, same result", at: t0.Add(5 * day), now: []Failure{laterProbe}, entries: 1, fails: true, updated: t0.Add(4 * day), systems: "x86_64-linux, aarch64-linux"},
		{name: "since drifts later", at: t0.Add(6 * day), now: []Failure{drifted}, entries: 1, fails: true, updated: t0.Add(4 * day), systems: "x86_64-linux, aarch64-linux"},
		{name: "builds again", at: t0.Add(7 * day), now: nil, entries: 1, fails: false, updated: t0.Add(7 * day), fixed: t0.Add(7 * day), systems: "x86_64-linux, aarch64-linux"},
		{name: "still builds", at: t0.Add(20 * day), now: nil, entries: 1, fails: false, updated: t0.Add(7 * day), fixed: t0.Add(7 * day), systems: "x86_64-linux, aarch64-linux"},
		{name: "dropped after 30 days", at: t0.Add(37 * day), now: nil, entries: 0, dropped: true},
	}
	id := EntryID(hydraURL, "nixpkgs/unstable", "hello", since)
	for _, st := range steps {
		prev, err := h.Load()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		site := oneJobsetSite(st.at, st.now...)
		site.Feed = Track(prev, site, st.at)
		if err := h.Save(site.Feed); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if len(site.Feed) != st.entries {
			t.Fatalf("%s: %d entries, want %d", st.name, len(site.Feed), st.entries)
		}
		if st.dropped {
			continue
		}
		e := site.Feed[0]
		if e.ID != id {
			t.Errorf("%s: id %s, want %s", st.name, e.ID, id)
		}
		if !e.Published.Equal(t0) {
			t.Errorf("%s: published %v, want %v", st.name, e.Published, t0)
		}
		if !e.Updated.Equal(st.updated) {
			t.Errorf("%s: updated %v, want %v", st.name, e.Updated, st.updated)
		}
		if e.Fails() != st.fails || !e.Fixed.Equal(st.fixed) {
			t.Errorf("%s: fails %v fixed %v, want %v %v", st.name, e.Fails(), e.Fixed, st.fails, st.fixed)
		}
		if got := strings.Join(e.Snapshot.Systems, ", "); got != st.systems {
			t.Errorf("%s: systems %s, want %s", st.name, got, st.systems)
		}
		if !e.Snapshot.Since.Equal(since) {
			t.Errorf("%s: since %v, want the earliest, %v", st.name, e.Snapshot.Since, since)
		}
		// What a reader gets: the entry, with its dates, in alice's feed.
		v := newView(site)
		doc, err := v.feedDoc(v.byLogin["alice"])
		if err != nil {
			t.Fatal(err)
		}
		f := parseAtom(t, st.name, doc)
		if len(f.Entries) != 1 || f.Entries[0].ID != id || !f.Entries[0].UpdatedParsed.Equal(st.updated) {
			t.Errorf("%s: the feed has %+v", st.name, f.Entries)
		} else if want := "builds again on nixpkgs/unstable since " + st.fixed.Format(time.DateOnly); !st.fails && !strings.Contains(f.Entries[0].Content.Value, want) {
			t.Errorf("%s: the entry says %s", st.name, f.Entries[0].Content.Value)
		}
	}
}

// TestTrackCases covers the rest of Track's rules, one run each.
func TestTrackCases(t *testing.T) {
	day := 24 * time.Hour
	since := t0.Add(-15 * day)
	first := Track(nil, oneJobsetSite(t0, failing("hello", since, "x86_64-linux")), t0)
	fixed := Track(first, oneJobsetSite(t0.Add(day)), t0.Add(day))
	tests := []struct {
		name  string
		prev  []Tracked
		site  *Site
		check func(t *testing.T, out []Tracked)
	}{
		{name: "back with the same since: the same entry fails again", prev: fixed,
			site: oneJobsetSite(t0.Add(2*day), failing("hello", since, "x86_64-linux")),
			check: func(t *testing.T, out []Tracked) {
				if len(out) != 1 || !out[0].Fails() || out[0].ID != first[0].ID || !out[0].Updated.Equal(t0.Add(2*day)) {
					t.Errorf("%+v", out)
				}
			}},
		{name: "back with a later since: a new entry, the old one stays", prev: fixed,
			site: oneJobsetSite(t0.Add(2*day), failing("hello", t0.Add(day+time.Hour), "x86_64-linux")),
			check: func(t *testing.T, out []Tracked) {
				if len(out) != 2 || out[0].ID == out[1].ID {
					t.Fatalf("%+v", out)
				}
				if out[0].ID != first[0].ID || out[0].Fails() || !out[1].Fails() || !out[1].Published.Equal(t0.Add(2*day)) {
					t.Errorf("%+v", out)
				}
			}},
		{name: "a jobset not read this time keeps its entries", prev: first,
			site: func() *Site { s := oneJobsetSite(t0.Add(day)); s.Jobsets[0].Error = "Hydra unreachable"; return s }(),
			check: func(t *testing.T, out []Tracked) {
				if len(out) != 1 || !out[0].Fails() || !out[0].Updated.Equal(t0) {
					t.Errorf("%+v", out)
				}
			}},
		{name: "a jobset no longer watched loses its entries", prev: first,
			site: &Site{Generated: t0.Add(day), BaseURL: "https://example.org/", Jobsets: sampleJobsets()[1:2]},
			check: func(t *testing.T, out []Tracked) {
				if len(out) != 0 {
					t.Errorf("%+v", out)
				}
			}},
		{name: "a shorter retention", prev: fixed,
			site: func() *Site { s := oneJobsetSite(t0.Add(3 * day)); s.Retention = 2 * day; return s }(),
			check: func(t *testing.T, out []Tracked) {
				if len(out) != 0 {
					t.Errorf("%+v", out)
				}
			}},
		{name: "the same attribute on two jobsets: two entries", prev: nil,
			site: func() *Site {
				other := failing("hello", since, "x86_64-linux")
				other.Jobset = "nixpkgs/staging-next"
				return oneJobsetSite(t0, failing("hello", since, "x86_64-linux"), other)
			}(),
			check: func(t *testing.T, out []Tracked) {
				if len(out) != 2 || out[0].ID == out[1].ID {
					t.Errorf("%+v", out)
				}
			}},
		{name: "a maintainer change is a change", prev: first,
			site: func() *Site {
				f := failing("hello", since, "x86_64-linux")
				f.Maintainers = []string{"alice", "bob"}
				return oneJobsetSite(t0.Add(day), f)
			}(),
			check: func(t *testing.T, out []Tracked) {
				if len(out) != 1 || !out[0].Updated.Equal(t0.Add(day)) || len(out[0].Snapshot.Maintainers) != 2 {
					t.Errorf("%+v", out)
				}
			}},
		{name: "the order of maintainers is not a change", prev: func() []Tracked {
			f := failing("hello", since, "x86_64-linux")
			f.Maintainers = []string{"bob", "alice"}
			return Track(nil, oneJobsetSite(t0, f), t0)
		}(),
			site: func() *Site {
				f := failing("hello", since, "x86_64-linux")
				f.Maintainers = []string{"alice", "bob", "alice"}
				return oneJobsetSite(t0.Add(day), f)
			}(),
			check: func(t *testing.T, out []Tracked) {
				if len(out) != 1 || !out[0].Updated.Equal(t0) {
					t.Errorf("%+v", out)
				}
			}},
		{name: "the clock went back: updated still moves on", prev: Track(nil, oneJobsetSite(t0.Add(10*day), failing("hello", since, "x86_64-linux")), t0.Add(10*day)),
			site: oneJobsetSite(t0, failing("hello", since, "x86_64-linux", "aarch64-linux")),
			check: func(t *testing.T, out []Tracked) {
				if len(out) != 1 || !out[0].Updated.Equal(t0.Add(10*day+time.Second)) {
					t.Errorf("%+v", out)
				}
				if err := validateTracked(out); err != nil {
					t.Error(err)
				}
				gone := Track(out, oneJobsetSite(t0), t0)
				if err := validateTracked(gone); err != nil || len(gone) != 1 || gone[0].Fails() {
					t.Errorf("%+v: %v", gone, err)
				}
			}},
		{name: "the jobset's Hydra moved: its links change", prev: first,
			site: func() *Site {
				s := oneJobsetSite(t0.Add(day), failing("hello", since, "x86_64-linux"))
				s.Jobsets[0].Hydra = "https://hydra.example.org"
				return s
			}(),
			check: func(t *testing.T, out []Tracked) {
				if len(out) != 1 || out[0].ID != first[0].ID || out[0].Hydra != "https://hydra.example.org" || !out[0].Updated.Equal(t0.Add(day)) {
					t.Errorf("%+v", out)
				}
			}},
		{name: "a failure of an unknown jobset is ignored", prev: nil,
			site: func() *Site { f := failing("hello", since); f.Jobset = "nixpkgs/gone"; return oneJobsetSite(t0, f) }(),
			check: func(t *testing.T, out []Tracked) {
				if len(out) != 0 {
					t.Errorf("%+v", out)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev := cloneTracked(tt.prev)
			out := Track(tt.prev, tt.site, tt.site.Generated)
			tt.check(t, out)
			if len(prev) != len(tt.prev) || (len(prev) > 0 && !prev[0].Updated.Equal(tt.prev[0].Updated)) {
				t.Error("Track changed its input")
			}
		})
	}
}

// TestTrackDeterministic: the same inputs give the same entries, ids
// included, whatever the order of the failures.
func TestTrackDeterministic(t *testing.T) {
	a := sampleSite(t)
	b := sampleSite(t)
	for i, j := 0, len(b.Failures)-1; i < j; i, j = i+1, j-1 {
		b.Failures[i], b.Failures[j] = b.Failures[j], b.Failures[i]
	}
	ta, tb := Track(nil, a, t0), Track(nil, b, t0)
	if len(ta) != len(tb) {
		t.Fatal(len(ta), len(tb))
	}
	for i := range ta {
		if ta[i].ID != tb[i].ID || !ta[i].Snapshot.equal(tb[i].Snapshot) {
			t.Errorf("%d: %s vs %s", i, ta[i].ID, tb[i].ID)
		}
	}
}

func TestEntryID(t *testing.T) {
	since := time.Date(2026, 11, 25, 13, 4, 5, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		hydra, jobset, attr string
		since               time.Time
		want                string
	}{
		{"https://hydra.nixos.org", "nixpkgs/unstable", "hello", since,
			"tag:nixpkgs-markbot.github.io,2026:failure/hydra.nixos.org/nixpkgs/unstable/hello/2026-11-25T12:04:05Z"},
		{"https://Hydra.Example.org/hydra/", "p/j", "a b%c<d>", since,
			"tag:nixpkgs-markbot.github.io,2026:failure/hydra.example.org/hydra/p/j/a%20b%25c%3Cd%3E/2026-11-25T12:04:05Z"},
		{"https://hydra.nixos.org", "nixpkgs/unstable", "hello", time.Time{},
			"tag:nixpkgs-markbot.github.io,2026:failure/hydra.nixos.org/nixpkgs/unstable/hello/unknown"},
	}
	for _, tt := range tests {
		if got := EntryID(tt.hydra, tt.jobset, tt.attr, tt.since); got != tt.want {
			t.Errorf("EntryID(%q, %q, %q) = %s, want %s", tt.hydra, tt.jobset, tt.attr, got, tt.want)
		}
	}
	if EntryID(hydraURL, "p/j", "a%20b", t0) == EntryID(hydraURL, "p/j", "a b", t0) {
		t.Error("distinct attributes share an id")
	}
}
