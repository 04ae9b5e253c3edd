// The sync step's memory: what the opening reads of a publishing run
// (markbot's branches, its open pull requests, what became of those state
// knows) learned, kept for the next run for as long as whoever hears of
// every change on GitHub says nothing changed.
//
// Why: on nixpkgs every answer about an open pull request embeds the base
// repository, whose pushed_at moves with master every few minutes, so
// re-reading markbot's open PRs costs one rate-limit point per PR and
// cycle whatever the ETags; under the App even the answers that did not
// change cost a point, because GitHub's ETags hold for one token only and
// every run has a new installation token. markbot serve hears of each
// change through its webhooks (pull_request events for every action on a
// PR), so a cycle it knows nothing happened to needs no read at all.
package prs

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// Views keeps the last sync of markbot's pull requests for the Publishers
// sharing it (markbot serve's cycles: the marking and the revert side, and
// its drops). Whoever owns it calls Changed for every change it hears of
// (a webhook about a markbot PR); a Publisher's own writes call it too. A
// view is used while nothing changed since it was read and it is younger
// than the maximum age, the net for a change nobody was told of (GitHub
// does not redeliver a failed webhook delivery by itself: "Handling failed
// webhook deliveries"). Without Views every run reads GitHub afresh, as
// markbot run does. Safe for concurrent use.
type Views struct {
	mu     sync.Mutex
	gen    uint64
	saved  *view
	maxAge time.Duration
}

// NewViews returns an empty Views whose views last at most maxAge (0: a
// view is never used, every run reads).
func NewViews(maxAge time.Duration) *Views {
	return &Views{maxAge: maxAge}
}

// Changed forgets the view: something happened on GitHub that the next
// run must read. A sync already under way does not save what it read.
func (v *Views) Changed() {
	if v == nil {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.gen++
	v.saved = nil
}

// view is one sync's result.
type view struct {
	gen      uint64
	key      string
	taken    time.Time
	branches map[string]string
	open     []botPR
}

// begin is called as a sync starts; save stores its result unless a change
// came in between.
func (v *Views) begin() uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.gen
}

func (v *Views) save(s *view) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if s.gen != v.gen || v.maxAge <= 0 {
		return
	}
	v.saved = s
}

// load returns the view for key if it may be used at now.
func (v *Views) load(key string, now time.Time) (*view, bool) {
	if v == nil {
		return nil, false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	s := v.saved
	if s == nil || s.gen != v.gen || s.key != key || now.Sub(s.taken) >= v.maxAge || now.Before(s.taken) {
		return nil, false
	}
	return s, true
}

func (bp *botPR) clone() botPR {
	c := *bp
	c.Attrs = slices.Clone(bp.Attrs)
	c.Labels = slices.Clone(bp.Labels)
	c.Narrow = maps.Clone(bp.Narrow)
	return c
}

// viewKey names what a sync reads: two Publishers share a view only when
// they read the same repositories, base and branches.
func (r *run) viewKey() string {
	return strings.ToLower(strings.Join([]string{r.o.Owner, r.o.Repo, r.headOwner, r.headRepo, r.o.Base, r.o.BranchPrefix}, "\x00"))
}

// sync learns markbot's branches and open pull requests and what became
// of the PRs state records as open: from Options.Views when useView and it
// holds a view nothing changed since (r.fromView), else from GitHub
// (listBranches, listOpen, syncClosed), kept for the next run unless this
// one writes.
func (r *run) sync(ctx context.Context, useView bool) error {
	r.open, r.covered, r.fromView, r.pendingView = nil, map[string]*botPR{}, false, nil
	if useView && !r.o.DryRun {
		if v, ok := r.o.Views.load(r.viewKey(), r.o.Now()); ok {
			r.branches = maps.Clone(v.branches)
			for i := range v.open {
				bp := v.open[i].clone()
				r.addOpen(&bp)
			}
			r.fromView = true
			r.log.WithField("taken", v.taken.UTC().Format(time.RFC3339)).Debug("sync: nothing changed on GitHub since the last one; not read again")
			return nil
		}
	}
	var gen uint64
	if r.o.Views != nil {
		gen = r.o.Views.begin()
	}
	taken := r.o.Now()
	if err := r.listBranches(ctx); err != nil {
		return err
	}
	var recorded []state.PR // the PRs state records as open
	if r.st != nil {
		var err error
		if recorded, err = r.st.PRs(ctx, state.PROpen); err != nil {
			return err
		}
	}
	if err := r.listOpen(ctx, recorded); err != nil {
		return err
	}
	if err := r.syncClosed(ctx, recorded); err != nil {
		return err
	}
	if r.o.Views != nil && !r.o.DryRun {
		s := &view{gen: gen, key: r.viewKey(), taken: taken, branches: maps.Clone(r.branches)}
		for _, bp := range r.open {
			s.open = append(s.open, bp.clone())
		}
		r.pendingView = s
	}
	return nil
}

// keepView saves what this run's sync read, once the run is over: not
// when the run wrote to GitHub (r.call calls Views.Changed then, so the
// save is dropped) or took its sync from a view (whose age must not
// restart).
func (r *run) keepView() {
	if r.pendingView != nil {
		r.o.Views.save(r.pendingView)
		r.pendingView = nil
	}
}
