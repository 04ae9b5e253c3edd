package prs

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// TestRecordsRefusals: a Publish records each mark change it could not
// make for a reason that lasts, with the failing build it came for, once
// per build; Refusals reads them back, the newest per attribute.
func TestRecordsRefusals(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.mustPublish(seedChanges(), nil)
	f.mustPublish(seedChanges(), nil) // the same failures again: nothing new
	evs, err := f.st.Events(ctx, state.EventFilter{Kind: RefusedEvent})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, e := range evs {
		got[e.Attr]++
	}
	want := map[string]int{"htop": 1, "macos-notify-bridge": 1}
	if !mapsEqual(got, want) {
		t.Fatalf("refusal events %v, want %v", got, want)
	}
	rs, err := Refusals(ctx, f.st, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(rs, func(a, b Refusal) int { return strings.Compare(a.Attr, b.Attr) })
	if len(rs) != 2 || rs[0].Attr != "htop" || rs[0].Outcome != OutcomeRefused || rs[0].BuildID != 312000006 || rs[0].Reason == "" ||
		rs[1].Attr != "macos-notify-bridge" || rs[1].Outcome != OutcomeAlreadyBroken || rs[1].BuildID != 312000007 {
		t.Fatalf("refusals %+v", rs)
	}

	// A new failing build of htop: tried again, and recorded again.
	c := seedChanges()[5]
	c.BuildID, c.BuildURL = 312000106, hydraBuild("312000106")
	f.mustPublish([]Change{c}, nil)
	rs, _ = Refusals(ctx, f.st, time.Now().Add(-time.Hour))
	for _, r := range rs {
		if r.Attr == "htop" && r.BuildID != 312000106 {
			t.Errorf("htop's newest refusal names build %d, want 312000106", r.BuildID)
		}
	}
	// RefusedFor later, the same build is recorded again, and a reading
	// since then has only that.
	f.mu.Lock()
	f.offset += RefusedFor
	f.mu.Unlock()
	f.mustPublish([]Change{c}, nil)
	rs, _ = Refusals(ctx, f.st, f.now().Add(-RefusedFor))
	if len(rs) != 1 || rs[0].Attr != "htop" || rs[0].BuildID != 312000106 {
		t.Errorf("refusals within RefusedFor, RefusedFor later: %+v; want htop's again", rs)
	}
	// A dry run records nothing.
	f2 := newFixture(t, nil)
	f2.mustPublish(seedChanges(), func(o *Options) { o.DryRun = true })
	if evs, _ := f2.st.Events(ctx, state.EventFilter{Kind: RefusedEvent}); len(evs) != 0 {
		t.Errorf("a dry run recorded %d refusals", len(evs))
	}
}
