package prs

import (
	"testing"
	"time"
)

// TestViews: a Publisher with Views reads GitHub once, and a run after it
// with nothing to publish makes no request at all, until something
// changed (Views.Changed, as markbot serve calls it for a webhook about a
// markbot PR), the view is older than its maximum age, or the run has
// something to publish; a run that writes leaves no view behind.
func TestViews(t *testing.T) {
	f := newFixture(t, nil)
	views := NewViews(time.Hour)
	withViews := func(o *Options) { o.Views = views }
	changes := seedChanges()

	first := f.mustPublish(changes, withViews)
	if len(first.PRs) == 0 {
		t.Fatal("the first run opened nothing")
	}
	// From now on the changes the PRs hold: a change refused or already
	// broken is tried again (and its file read) by every run.
	var published []Change
	for i, c := range first.Changes {
		if c.Outcome == OutcomeIncluded {
			published = append(published, changes[i])
		}
	}
	changes = published
	// The first run wrote: no view. The second reads GitHub and keeps it.
	f.srv.ResetStats()
	f.mustPublish(changes, withViews)
	if f.srv.Requests() == 0 {
		t.Fatal("the run after the writes read nothing: the writing run's sync was kept")
	}
	covered := func(res *Result) int {
		n := 0
		for _, c := range res.Changes {
			if c.Outcome == OutcomeCovered {
				n++
			}
		}
		return n
	}
	f.srv.ResetStats()
	res := f.mustPublish(changes, withViews)
	if n := f.srv.Requests(); n != 0 {
		t.Errorf("an idle run with a view made %d requests: %v", n, f.srv.RequestCounts())
	}
	included := 0
	for _, c := range first.Changes {
		if c.Outcome == OutcomeIncluded {
			included++
		}
	}
	if covered(res) != included {
		t.Errorf("the view's open PRs covered %d changes, want the %d the first run put in PRs", covered(res), included)
	}
	for _, c := range res.Changes {
		if c.Outcome == OutcomeIncluded || c.Outcome == OutcomeFailed {
			t.Errorf("%v: %s with nothing to publish", c.Attrs, c.Outcome)
		}
	}

	// A change heard of: read again.
	views.Changed()
	f.srv.ResetStats()
	f.mustPublish(changes, withViews)
	if f.srv.Requests() == 0 {
		t.Error("after Changed the run read nothing")
	}
	f.srv.ResetStats()
	f.mustPublish(changes, withViews)
	if n := f.srv.Requests(); n != 0 {
		t.Errorf("the run after the re-read made %d requests", n)
	}

	// Too old: read again.
	f.mu.Lock()
	f.offset += time.Hour
	f.mu.Unlock()
	f.srv.ResetStats()
	f.mustPublish(changes, withViews)
	if f.srv.Requests() == 0 {
		t.Error("a view older than its maximum age was used")
	}

	// A PR merged, and the serve side was told: the run reads, records
	// the merge, and the merged PR's changes are no longer covered.
	pr := f.srv.PullRequests()[0]
	if _, err := f.srv.MergePullRequest(pr.Number, "alice", "merge"); err != nil {
		t.Fatal(err)
	}
	views.Changed()
	f.mustPublish(changes, withViews)
	sp, err := f.st.PR(t.Context(), pr.Number)
	if err != nil || sp.State != "merged" {
		t.Errorf("PR #%d in state: %+v, %v; want merged", pr.Number, sp, err)
	}

	// Something to publish: the view is not trusted for it.
	f.mustPublish(nil, withViews) // keeps a view
	f.srv.ResetStats()
	extra := Change{Kind: KindMark, File: "pkgs/by-name/ht/htop/package.nix", Line: 62, Attrs: []string{"htop"},
		BuildID: 312000099, BuildURL: hydraBuild("312000099"), Since: since}
	f.mustPublish([]Change{extra}, withViews)
	if f.srv.RequestCount("GET /repos/{owner}/{repo}/git/matching-refs/{ref...}") == 0 {
		t.Errorf("a run with something to publish did not read the branches: %v", f.srv.RequestCounts())
	}
}

// TestViewsRaceWithChange: a change signalled while a sync is under way
// means its result is not kept.
func TestViewsRaceWithChange(t *testing.T) {
	v := NewViews(time.Hour)
	gen := v.begin()
	v.Changed()
	now := time.Now()
	v.save(&view{gen: gen, key: "k", taken: now})
	if _, ok := v.load("k", now); ok {
		t.Fatal("a view read before a change was kept")
	}
	v.save(&view{gen: v.begin(), key: "k", taken: now})
	if _, ok := v.load("k", now.Add(time.Minute)); !ok {
		t.Fatal("a view read after the change was not kept")
	}
	if _, ok := v.load("other", now); ok {
		t.Fatal("a view was used for another repository or prefix")
	}
	if _, ok := v.load("k", now.Add(time.Hour)); ok {
		t.Fatal("a view was used at its maximum age")
	}
	if _, ok := NewViews(0).load("k", now); ok {
		t.Fatal("NewViews(0) kept a view")
	}
	var none *Views
	none.Changed() // a Publisher without Views calls it on every write
	if _, ok := none.load("k", now); ok {
		t.Fatal("nil Views gave a view")
	}
}
