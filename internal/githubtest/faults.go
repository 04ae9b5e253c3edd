package githubtest

import (
	"fmt"
	"math"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind is a failure the fake can inject.
type FaultKind int

const (
	// ServerError answers Fault.Status (default 500) with a JSON message.
	ServerError FaultKind = iota + 1
	// RefExists answers 422 "Reference already exists".
	RefExists
	// SecondaryRateLimit answers 403 "You have exceeded a secondary rate
	// limit" with Retry-After (go-github: *github.AbuseRateLimitError).
	SecondaryRateLimit
	// PrimaryRateLimit answers 403 with X-RateLimit-Remaining: 0 and a reset
	// time (go-github: *github.RateLimitError).
	PrimaryRateLimit
	// TooManyRequests answers 429 with Retry-After (go-github v60: a plain
	// *github.ErrorResponse).
	TooManyRequests
	// DropConnection hijacks the connection and closes it without an answer.
	// Go's http.Transport silently retries an idempotent request (GET, HEAD)
	// dropped this way on a reused connection: the client may never see the
	// fault, and the retry is one more request. Truncate is always seen.
	DropConnection
	// Truncate performs the request (as if After were set), then sends the
	// status line, the headers with the Content-Length of the whole body and
	// only the first half of the body (at least one byte short), and closes
	// the connection: the client sees an unexpected EOF although the write
	// happened. An answer without a body is cut inside its headers.
	Truncate
	// Slow waits Fault.Delay (default 1s) or until the request's context is
	// done, whichever comes first, then performs the request and answers
	// normally. A client that timed out in the meantime does not see the
	// answer, but the write happens all the same: the worst case of a client
	// timeout.
	Slow
)

func (k FaultKind) String() string {
	switch k {
	case ServerError:
		return "server error"
	case RefExists:
		return "422 reference already exists"
	case SecondaryRateLimit:
		return "403 secondary rate limit"
	case PrimaryRateLimit:
		return "403 primary rate limit"
	case TooManyRequests:
		return "429 too many requests"
	case DropConnection:
		return "dropped connection"
	case Truncate:
		return "truncated answer"
	case Slow:
		return "slow answer"
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault describes failures to inject into matching requests.
type Fault struct {
	// Method matches the HTTP method ("" = any).
	Method string
	// Path matches the request path relative to the API prefix, without the
	// query, segment by segment: "*" (or any path.Match glob) matches one
	// segment, "**" any number of segments; "" matches every path. Example:
	// "repos/*/*/git/refs/**".
	Path string
	Kind FaultKind
	// Times is how many matching requests fail (0 means 1, negative means
	// every one until ClearFaults).
	Times int
	// Status is the ServerError status (default 500).
	Status int
	// RetryAfter is sent by SecondaryRateLimit and TooManyRequests (default 1s,
	// rounded up to whole seconds).
	RetryAfter time.Duration
	// ResetIn is the PrimaryRateLimit reset time from now (default 1s).
	ResetIn time.Duration
	// After performs the request first and then answers with the fault, like
	// a response lost on the way back: the write happened, the client cannot
	// know. Without it the request is not performed. Truncate always performs
	// the request; Slow always performs and answers it.
	After bool
	// Skip lets the first Skip matching requests through unharmed (they are
	// served normally) and fires on the next ones; Times counts firings
	// only. With Method and Path empty every request matches, so
	// Inject(Fault{Kind: ServerError, Skip: 9}) fails the 10th request from
	// now, whatever it is. Every rule counts its matching requests, also
	// those another rule answers.
	Skip int
	// Delay is how long Slow waits (default 1s).
	Delay time.Duration
	// OnHit, if set, is called each time the fault fires, synchronously and
	// without any lock of the server held, before the request is performed
	// (for After, Truncate and Slow) or the fault's answer is written.
	// Tests use it to cancel the client's context at that exact point, like
	// a crash of the client there.
	OnHit func()
}

type faultRule struct {
	Fault
	left int // <0: forever
	skip int // matching requests still to let through
}

type faults struct {
	mu    sync.Mutex
	rules []*faultRule
}

// Inject adds a fault; the first matching rule with uses left wins.
func (s *Server) Inject(f Fault) {
	s.flt.mu.Lock()
	defer s.flt.mu.Unlock()
	left := f.Times
	if left == 0 {
		left = 1
	}
	s.flt.rules = append(s.flt.rules, &faultRule{Fault: f, left: left, skip: max(f.Skip, 0)})
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.flt.mu.Lock()
	defer s.flt.mu.Unlock()
	s.flt.rules = nil
}

// PendingFaults counts injected faults with uses left (forever ones count 1;
// one still skipping requests counts).
func (s *Server) PendingFaults() int {
	s.flt.mu.Lock()
	defer s.flt.mu.Unlock()
	n := 0
	for _, r := range s.flt.rules {
		if r.left != 0 {
			n++
		}
	}
	return n
}

// take returns the fault that fires on a request, if any. Every rule with
// uses left that matches counts the request against its Skip, so a rule's
// count does not depend on the other rules; the first one done skipping
// fires.
func (f *faults) take(method, rel string) *Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	var fired *Fault
	for _, r := range f.rules {
		if r.left == 0 {
			continue
		}
		if r.Method != "" && !strings.EqualFold(r.Method, method) {
			continue
		}
		if r.Path != "" && !matchPath(r.Path, rel) {
			continue
		}
		if r.skip > 0 {
			r.skip--
			continue
		}
		if fired != nil {
			continue
		}
		if r.left > 0 {
			r.left--
		}
		fc := r.Fault
		fired = &fc
	}
	return fired
}

// matchPath matches a slash-separated pattern with "*" globs per segment and
// "**" for any number of segments.
func matchPath(pattern, p string) bool {
	return matchSegs(strings.Split(strings.Trim(pattern, "/"), "/"), strings.Split(strings.Trim(p, "/"), "/"))
}

func matchSegs(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(segs); i++ {
				if matchSegs(pat[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, err := path.Match(pat[0], segs[0]); err != nil || !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

func ceilSeconds(d, def time.Duration) int64 {
	if d <= 0 {
		d = def
	}
	return int64(math.Ceil(d.Seconds()))
}

// applyFault writes the fault's answer and returns its status (0 when the
// connection was dropped).
func (s *Server) applyFault(w http.ResponseWriter, f *Fault, resource string) int {
	now := s.now()
	h := w.Header()
	if f.Kind != DropConnection && f.Kind != PrimaryRateLimit {
		s.charge(h, resource)
	}
	switch f.Kind {
	case DropConnection:
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic(http.ErrAbortHandler)
		}
		conn, _, err := hj.Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		conn.Close()
		return 0
	case RefExists:
		writeJSON(w, http.StatusUnprocessableEntity, jsonError{Message: "Reference already exists",
			DocumentationURL: "https://docs.github.com/rest/git/refs#create-a-reference", Status: "422"})
		return http.StatusUnprocessableEntity
	case SecondaryRateLimit:
		h.Set("Retry-After", strconv.FormatInt(ceilSeconds(f.RetryAfter, time.Second), 10))
		writeJSON(w, http.StatusForbidden, jsonError{
			Message:          "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.",
			DocumentationURL: "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
			Status:           "403"})
		return http.StatusForbidden
	case PrimaryRateLimit:
		limit := s.rate.limit(resource)
		reset := now.Add(time.Duration(ceilSeconds(f.ResetIn, time.Second)) * time.Second)
		h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Used", strconv.Itoa(limit))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
		h.Set("X-RateLimit-Resource", resource)
		msg := "API rate limit exceeded for installation."
		writeJSON(w, http.StatusForbidden, jsonError{Message: msg,
			DocumentationURL: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit", Status: "403"})
		return http.StatusForbidden
	case TooManyRequests:
		h.Set("Retry-After", strconv.FormatInt(ceilSeconds(f.RetryAfter, time.Second), 10))
		writeJSON(w, http.StatusTooManyRequests, jsonError{Message: "Too Many Requests", Status: "429"})
		return http.StatusTooManyRequests
	default: // ServerError and unknown kinds
		status := f.Status
		if status == 0 {
			status = http.StatusInternalServerError
		}
		writeJSON(w, status, jsonError{Message: http.StatusText(status), Status: strconv.Itoa(status)})
		return status
	}
}

// --- rate-limit headers ---

type rateState struct {
	mu    sync.Mutex
	reset map[string]time.Time
	used  map[string]int
}

var rateLimits = map[string]struct {
	limit  int
	window time.Duration
}{
	"core":   {5000, time.Hour},
	"search": {30, time.Minute},
}

func (r *rateState) init(now time.Time) {
	r.reset = map[string]time.Time{}
	r.used = map[string]int{}
}

func (r *rateState) limit(resource string) int { return rateLimits[resource].limit }

// headers counts one request against resource and sets X-RateLimit-*. The
// fake never runs out by itself (remaining stays ≥ 1): inject
// PrimaryRateLimit to test exhaustion.
func (r *rateState) headers(h http.Header, resource string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := rateLimits[resource]
	if reset, ok := r.reset[resource]; !ok || !now.Before(reset) {
		r.reset[resource] = now.Add(l.window)
		r.used[resource] = 0
	}
	r.used[resource]++
	remaining := max(l.limit-r.used[resource], 1)
	h.Set("X-RateLimit-Limit", strconv.Itoa(l.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Used", strconv.Itoa(min(r.used[resource], l.limit-1)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(r.reset[resource].Unix(), 10))
	h.Set("X-RateLimit-Resource", resource)
}

// --- request log ---

// Call is one recorded mutation (any method but GET/HEAD/OPTIONS).
type Call struct {
	Method string
	// Path is the request path including the prefix.
	Path string
	// Endpoint is the route template, e.g. "POST /repos/{owner}/{repo}/pulls".
	Endpoint string
	// Status is the answer's status (0: connection dropped).
	Status int
	// Summary says what the request did, e.g. "create PR #3 markbot/x → master".
	Summary string
	Time    time.Time
}

type stats struct {
	mu          sync.Mutex
	total       int
	perEndpoint map[string]int
	mutations   []Call
}

func (st *stats) count(endpoint string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.total++
	st.perEndpoint[endpoint]++
}

func (st *stats) record(c Call, write bool) {
	if !write {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.mutations = append(st.mutations, c)
}

// Requests is the total number of requests served (including faulted ones).
func (s *Server) Requests() int {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return s.stats.total
}

// RequestCount is the number of requests to one endpoint, named by its route
// template: "POST /repos/{owner}/{repo}/git/trees".
func (s *Server) RequestCount(endpoint string) int {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return s.stats.perEndpoint[endpoint]
}

// RequestCounts returns a copy of the per-endpoint counters.
func (s *Server) RequestCounts() map[string]int {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	out := make(map[string]int, len(s.stats.perEndpoint))
	for k, v := range s.stats.perEndpoint {
		out[k] = v
	}
	return out
}

// Mutations returns the recorded mutations, oldest first.
func (s *Server) Mutations() []Call {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	return append([]Call(nil), s.stats.mutations...)
}

// ResetStats clears counters and the mutation log.
func (s *Server) ResetStats() {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	s.stats.total = 0
	s.stats.perEndpoint = map[string]int{}
	s.stats.mutations = nil
	s.resetETagStats()
}
