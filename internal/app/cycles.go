package app

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/bot"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
)

// Cycle outcomes, the "outcome" label of markbot_cycles_total.
const (
	CycleOK           = "ok"
	CycleFailed       = "failed"
	CycleMassBreakage = "mass_breakage"
	CycleCancelled    = "cancelled"
)

// CycleRecord is one cycle, as the status page shows it.
type CycleRecord struct {
	Start    time.Time
	Duration time.Duration
	// Reason is what started it: "start", "schedule", or the event.
	Reason  string
	Outcome string
	Err     string
	// Failures is how many persistent failures the cycle found; Opened how
	// many pull requests it opened.
	Failures int
	Opened   int
}

// Outcome classifies a finished cycle.
func Outcome(sum *bot.Summary, err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return CycleCancelled
	case err != nil:
		return CycleFailed
	case sum != nil && sum.Detection.MassBreakage != nil:
		return CycleMassBreakage
	}
	return CycleOK
}

// opened counts the pull requests a cycle opened.
func opened(sum *bot.Summary) int {
	if sum == nil || sum.Publish == nil {
		return 0
	}
	n := 0
	for _, p := range sum.Publish.PRs {
		if p.Status == prs.StatusOpened {
			n++
		}
	}
	return n
}

// TriggerCycle asks for a cycle as soon as possible. Requests made while a
// cycle runs (or another request waits) coalesce into one follow-up cycle;
// it reports whether this request was the one queued.
func (s *Server) TriggerCycle(reason string) bool {
	select {
	case s.trigger <- reason:
		return true
	default:
		return false
	}
}

// cycleLoop runs cycles one at a time: at start (unless NoCycleAtStart),
// CycleInterval after the previous one ended, and when triggered.
func (s *Server) cycleLoop(ctx context.Context) {
	first, reason := time.Duration(0), "start"
	if s.o.NoCycleAtStart {
		first, reason = s.o.CycleInterval, "schedule"
	}
	timer := time.NewTimer(first)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case reason = <-s.trigger:
		}
		s.runCycle(ctx, reason)
		timer.Reset(s.o.CycleInterval)
		reason = "schedule"
	}
}

// runCycle runs one cycle and records it. Only cycleLoop calls it, so two
// cycles never overlap.
func (s *Server) runCycle(ctx context.Context, reason string) {
	start := s.now()
	s.mu.Lock()
	s.running = &CycleRecord{Start: start, Reason: reason}
	s.mu.Unlock()
	log := s.log.WithField("reason", reason)
	log.Info("cycle: start")

	sum, err := s.o.Cycle(ctx)

	rec := CycleRecord{Start: start, Duration: s.now().Sub(start), Reason: reason, Outcome: Outcome(sum, err), Opened: opened(sum)}
	if sum != nil {
		rec.Failures = len(sum.Detection.Failures)
	}
	if err != nil {
		rec.Err = err.Error()
	}
	s.metrics.cycles.WithLabelValues(rec.Outcome).Inc()
	s.metrics.cycleDuration.Observe(rec.Duration.Seconds())
	s.metrics.prsOpened.Add(float64(rec.Opened))
	s.metrics.lastCycle.Set(float64(s.now().Unix()))
	fields := logrus.Fields{"outcome": rec.Outcome, "duration": rec.Duration.Round(time.Millisecond).String(),
		"failures": rec.Failures, "opened": rec.Opened}
	if err != nil {
		log.WithFields(fields).WithError(err).Error("cycle: failed")
	} else {
		log.WithFields(fields).Info("cycle: done")
	}

	s.mu.Lock()
	s.running = nil
	s.lastEnd = s.now()
	s.recent = append([]CycleRecord{rec}, s.recent...)
	if len(s.recent) > RecentCycles {
		s.recent = s.recent[:RecentCycles]
	}
	s.mu.Unlock()

	if s.o.Savings != nil && ctx.Err() == nil {
		line, err := s.o.Savings(ctx)
		if err != nil {
			log.WithError(err).Warn("savings: not estimated")
		}
		s.mu.Lock()
		s.savings = savingsLine{Text: line, At: s.now(), Failed: err != nil}
		s.mu.Unlock()
	}
}

// Cycles returns the recent cycles, newest first, and the running one (nil
// when none runs).
func (s *Server) Cycles() (recent []CycleRecord, running *CycleRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	recent = append([]CycleRecord(nil), s.recent...)
	if s.running != nil {
		r := *s.running
		running = &r
	}
	return recent, running
}

// Healthy reports whether a cycle has ended within 3 × CycleInterval (of
// the last cycle's end, or of the server's start before the first). A
// cycle that fails still counts: /healthz says the loop is alive, the
// metrics say whether the cycles succeed.
func (s *Server) Healthy() (bool, string) {
	s.mu.Lock()
	last := s.lastEnd
	s.mu.Unlock()
	since := last
	if since.IsZero() {
		since = s.started
	}
	limit := 3 * s.o.CycleInterval
	if age := s.now().Sub(since); age > limit {
		if last.IsZero() {
			return false, "no cycle has ended since the server started " + age.Round(time.Second).String() + " ago"
		}
		return false, "the last cycle ended " + age.Round(time.Second).String() + " ago (more than 3 × the cycle interval)"
	}
	return true, "ok"
}

// handleHealth answers 200 "ok", or 503 with the reason when no cycle has
// ended within 3 × the cycle interval.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	ok, msg := s.Healthy()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	w.Write([]byte(msg + "\n"))
}
