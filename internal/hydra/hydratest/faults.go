package hydratest

import (
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// FaultKind is a way for the fake to misbehave.
type FaultKind int

// The faults the fake can inject.
const (
	// FaultStatus answers Fault.Status (default 500) with a JSON error.
	FaultStatus FaultKind = iota
	// FaultRateLimit answers 429 with Retry-After: Fault.RetryAfter seconds.
	FaultRateLimit
	// FaultSlow waits Fault.Delay before answering normally.
	FaultSlow
	// FaultStall answers normally but pauses Fault.Delay after Fault.After
	// bytes of the body.
	FaultStall
	// FaultTruncate answers normally but drops the connection after
	// Fault.After bytes of the body (default 100).
	FaultTruncate
	// FaultInvalidJSON answers 200 application/json with a broken document.
	FaultInvalidJSON
	// FaultHTML answers 200 with an HTML page where JSON was asked.
	FaultHTML
	// FaultReset closes the connection without answering.
	FaultReset
)

// Fault is one injected misbehaviour, applied to the next Times requests
// (default 1) of one path (Fake.Inject) or from the n-th request on
// (Faults.At).
type Fault struct {
	Kind       FaultKind
	Times      int
	Status     int
	RetryAfter int
	Delay      time.Duration
	After      int
	// PageOnly applies the fault only to requests for a page (no Accept:
	// application/json): /eval/{id} is both the evaluation page and the
	// evaluation's JSON.
	PageOnly bool
	// OnHit, if set, is called each time the fault fires, before it is
	// applied, synchronously and without any lock of the fake held. Tests
	// use it to cancel the client's context at that exact point, like a
	// crash of the client there.
	OnHit func()
}

// applyFault applies ft to a request; done reports that the answer was
// given (or the connection dropped). Otherwise the request is to be served
// normally through the returned writer (FaultSlow after its delay,
// FaultStall and FaultTruncate through a writer that pauses or cuts).
func applyFault(w http.ResponseWriter, r *http.Request, ft *Fault) (_ http.ResponseWriter, done bool) {
	if ft.OnHit != nil {
		ft.OnHit()
	}
	switch ft.Kind {
	case FaultStatus:
		code := ft.Status
		if code == 0 {
			code = http.StatusInternalServerError
		}
		jsonError(w, code, "Internal server error (injected).")
	case FaultRateLimit:
		w.Header().Set("Retry-After", strconv.Itoa(ft.RetryAfter))
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, "Too Many Requests\n")
	case FaultSlow:
		t := time.NewTimer(ft.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return w, true
		}
		return w, false
	case FaultStall, FaultTruncate:
		after := ft.After
		if after <= 0 {
			after = 100
		}
		return &faultyWriter{ResponseWriter: w, left: after, stall: ft.Kind == FaultStall, delay: ft.Delay, ctx: r}, false
	case FaultInvalidJSON:
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"evals": [{"id": 1,, "builds": [}`+"\n")
	case FaultHTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, "<!DOCTYPE html>\n<html><head><title>Hydra</title></head><body>Overview</body></html>\n")
	case FaultReset:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return w, true
			}
		}
		panic(http.ErrAbortHandler)
	}
	return w, true
}

// faultyWriter cuts (or pauses) the body after a number of bytes.
type faultyWriter struct {
	http.ResponseWriter
	left  int
	stall bool
	delay time.Duration
	ctx   *http.Request
}

func (fw *faultyWriter) Write(p []byte) (int, error) {
	if fw.left < 0 || len(p) <= fw.left {
		if fw.left >= 0 {
			fw.left -= len(p)
		}
		return fw.ResponseWriter.Write(p)
	}
	n, _ := fw.ResponseWriter.Write(p[:fw.left])
	if fl, ok := fw.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
	if !fw.stall {
		panic(http.ErrAbortHandler) // the server drops the connection
	}
	t := time.NewTimer(fw.delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-fw.ctx.Context().Done():
		panic(http.ErrAbortHandler)
	}
	rest := p[fw.left:]
	fw.left = -1
	m, err := fw.ResponseWriter.Write(rest)
	return n + m, err
}

// Flush lets bufio users flush through.
func (fw *faultyWriter) Flush() {
	if fl, ok := fw.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
}

// Faults wraps any Hydra handler (a Fake, or Multi of several) and injects
// faults by request count rather than by path: At(n, ft) makes the n-th
// request from now (1-based, whatever its path) misbehave as ft.
//
// The wrapped handler serves every request the fault does not answer
// (FaultSlow after its delay; FaultStall and FaultTruncate through the
// pausing or cutting writer, as with Fake.Inject). It is safe for
// concurrent use; with concurrent requests "the n-th" is the n-th to
// arrive.
type Faults struct {
	h http.Handler

	mu     sync.Mutex
	served int
	queue  []*countFault
}

type countFault struct {
	Fault
	next int // the request number of the next firing
	left int
}

// NewFaults wraps h.
func NewFaults(h http.Handler) *Faults {
	return &Faults{h: h}
}

// At makes the n-th request from now (n ≥ 1; 1 is the next request)
// misbehave as ft, and with ft.Times > 1 the following ones up to the
// (n+Times-1)-th. When faults overlap, the one added first wins a request
// and the others lose that firing.
func (f *Faults) At(n int, ft Fault) {
	n = max(n, 1)
	times := max(ft.Times, 1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queue = append(f.queue, &countFault{Fault: ft, next: f.served + n, left: times})
}

// Requests is the number of requests served since NewFaults.
func (f *Faults) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.served
}

// Pending is the number of faults added with At that have not fired yet
// (for Times > 1: not fired their last time).
func (f *Faults) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.queue)
}

func (f *Faults) take() *Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.served++
	var fired *Fault
	q := f.queue[:0]
	for _, c := range f.queue {
		if c.next == f.served {
			if fired == nil {
				ft := c.Fault
				fired = &ft
			}
			c.next++
			c.left--
		}
		if c.left > 0 {
			q = append(q, c)
		}
	}
	clear(f.queue[len(q):])
	f.queue = q
	return fired
}

func (f *Faults) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ft := f.take(); ft != nil {
		var done bool
		if w, done = applyFault(w, r, ft); done {
			return
		}
	}
	f.h.ServeHTTP(w, r)
}
