package app

// This file is the budgets of what comments make markbot do: replies,
// and the cycles (with their probes) a recheck starts. Each has a bucket
// per pull request and one for all of them, so that neither one busy pull
// request nor many quiet ones make markbot talk or work without bound.

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is a token bucket: Burst events at once, then one every Every.
type Rate struct {
	Burst int
	Every time.Duration
}

// Default budgets (Options).
var (
	// Replies: a maintainer dropping several packages in a row is
	// answered each time; a conversation with the bot is not.
	DefaultReplyRatePerPR = Rate{Burst: 6, Every: 10 * time.Minute}
	DefaultReplyRate      = Rate{Burst: 30, Every: 2 * time.Minute}
	// Cycles a recheck starts: one per pull request an hour, three at
	// once across pull requests, then one every 20 minutes (a cycle reads
	// Hydra and may build packages for hours).
	DefaultRecheckRatePerPR = Rate{Burst: 1, Every: time.Hour}
	DefaultRecheckRate      = Rate{Burst: 3, Every: 20 * time.Minute}
)

func (r Rate) orDefault(def Rate) Rate {
	if r.Burst <= 0 || r.Every <= 0 {
		return def
	}
	return r
}

func (r Rate) limiter() *rate.Limiter { return rate.NewLimiter(rate.Every(r.Every), r.Burst) }

// maxTrackedPRs bounds the per-PR buckets kept; beyond it, full buckets
// (the same as new ones) are forgotten.
const maxTrackedPRs = 4096

// budget is a bucket per pull request and one for all of them.
type budget struct {
	mu     sync.Mutex
	perPR  Rate
	global *rate.Limiter
	prs    map[int]*rate.Limiter
	now    func() time.Time
}

func newBudget(perPR, global Rate, now func() time.Time) *budget {
	return &budget{perPR: perPR, global: global.limiter(), prs: map[int]*rate.Limiter{}, now: now}
}

// allow takes one token from PR pr's bucket and the global one, and
// reports whether both had one (taking nothing when either is empty).
func (b *budget) allow(pr int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	l, ok := b.prs[pr]
	if !ok {
		if len(b.prs) >= maxTrackedPRs {
			for n, x := range b.prs {
				if x.TokensAt(now) >= float64(b.perPR.Burst) {
					delete(b.prs, n)
				}
			}
		}
		l = b.perPR.limiter()
		b.prs[pr] = l
	}
	if l.TokensAt(now) < 1 || b.global.TokensAt(now) < 1 {
		return false
	}
	l.AllowN(now, 1)
	b.global.AllowN(now, 1)
	return true
}
