package prs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"
)

// ErrBudgetExhausted is returned (wrapped in a *BudgetError) when waiting
// out GitHub's rate limits would exceed the configured budget. Nothing is
// left half-done that the next cycle cannot finish: it resumes from there.
var ErrBudgetExhausted = errors.New("rate-limit budget exhausted")

// BudgetError says which call hit a rate limit that could not be waited out.
type BudgetError struct {
	Op     string        // "POST pulls markbot/mark-3f9a2c1d"
	Wait   time.Duration // what GitHub asked to wait
	Waited time.Duration // what this run had already waited
	Budget time.Duration
	Err    error // the rate-limit error
}

func (e *BudgetError) Error() string {
	return fmt.Sprintf("%s: rate limited, would wait %s after %s of a %s budget: %v", e.Op, e.Wait, e.Waited, e.Budget, e.Err)
}

// Is makes errors.Is(err, ErrBudgetExhausted) hold.
func (e *BudgetError) Is(target error) bool { return target == ErrBudgetExhausted }

func (e *BudgetError) Unwrap() error { return e.Err }

// limiter runs GitHub calls, waiting out rate limits within a budget shared
// by one Publish.
type limiter struct {
	budget time.Duration
	waited time.Duration
	now    func() time.Time
	sleep  func(context.Context, time.Duration) error
	log    logrus.FieldLogger
}

// defaultSecondaryWait is what GitHub advises when a secondary limit names no
// Retry-After: wait at least a minute.
const defaultSecondaryWait = time.Minute

// do runs fn until it is not rate limited, waiting as GitHub asks while the
// budget lasts. go-github v60 also remembers a limit and refuses later calls
// itself until it passes (its bypass switch is not exported in v60); such a
// local refusal is the same error type and is waited out the same way.
func (l *limiter) do(ctx context.Context, op string, fn func(context.Context) (*github.Response, error)) error {
	for {
		_, err := fn(ctx)
		if err == nil {
			return nil
		}
		wait, limited := rateLimitWait(err, l.now())
		if !limited {
			return err
		}
		if l.waited+wait > l.budget {
			return &BudgetError{Op: op, Wait: wait, Waited: l.waited, Budget: l.budget, Err: err}
		}
		l.log.WithFields(logrus.Fields{"op": op, "wait": wait}).Warn("GitHub rate limit: waiting")
		if err := l.sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s: waiting out a rate limit: %w", op, err)
		}
		l.waited += wait
	}
}

// rateLimitWait recognises GitHub's three rate-limit answers and says how long
// to wait: a primary limit (*github.RateLimitError: until the reset time), a
// secondary limit (*github.AbuseRateLimitError: Retry-After), and a 429, which
// go-github v60 leaves a plain *github.ErrorResponse (Retry-After, else the
// reset header, else a minute).
func rateLimitWait(err error, now time.Time) (time.Duration, bool) {
	var rl *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	var er *github.ErrorResponse
	switch {
	case errors.As(err, &rl):
		return max(rl.Rate.Reset.Time.Sub(now), time.Second), true
	case errors.As(err, &abuse):
		if abuse.RetryAfter != nil && *abuse.RetryAfter > 0 {
			return *abuse.RetryAfter, true
		}
		return defaultSecondaryWait, true
	case errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusTooManyRequests:
		h := er.Response.Header
		if s, err := strconv.ParseInt(h.Get("Retry-After"), 10, 64); err == nil && s >= 0 {
			return max(time.Duration(s)*time.Second, time.Second), true
		}
		if t, err := http.ParseTime(h.Get("Retry-After")); err == nil {
			return max(t.Sub(now), time.Second), true
		}
		if s, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			return max(time.Unix(s, 0).Sub(now), time.Second), true
		}
		return defaultSecondaryWait, true
	}
	return 0, false
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
