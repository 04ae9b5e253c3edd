package app

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/nixpkgs-markbot/markbot/internal/bot"
	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

var testSecret = []byte("It's a Secret to Everybody")

func sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// env is a server with a real state database and the fake GitHub.
type env struct {
	s    *Server
	st   *state.Store
	gh   *githubtest.Server
	log  *logtest.Hook
	runs atomic.Int32
}

func newEnv(t *testing.T, mod func(*Options)) *env {
	t.Helper()
	e := &env{}
	st, err := state.Open(context.Background(), filepath.Join(t.TempDir(), "markbot.db"), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	e.gh = githubtest.New(t, githubtest.Options{
		SeedFiles: map[string]string{"README.md": "nixpkgs\n"},
		Users: []githubtest.User{
			{Login: "alice", ID: 101, Collaborator: true},
			{Login: "mallory", ID: 102},
		},
	})
	gc := e.gh.Client()
	logger, hook := logtest.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	e.log = hook
	o := Options{
		Secret:         testSecret,
		MaxBodyBytes:   64 << 10,
		Cycle:          func(context.Context) (*bot.Summary, error) { e.runs.Add(1); return &bot.Summary{}, nil },
		CycleInterval:  time.Hour,
		NoCycleAtStart: true,
		Store:          st,
		PullRequests:   gc.PullRequests,
		Comments:       gc.Issues,
		Owner:          "NixOS",
		Repo:           "nixpkgs",
		BranchPrefix:   "markbot/",
		BotLogin:       "markbot[bot]",
		SkipFor:        30 * 24 * time.Hour,
		Log:            logger,
	}
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	return e
}

// post delivers a signed webhook to the handler.
func (e *env) post(t *testing.T, event, delivery string, payload any) *httptest.ResponseRecorder {
	t.Helper()
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return e.postRaw(event, delivery, body, sign(testSecret, body))
}

func (e *env) postRaw(event, delivery string, body []byte, sig string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("POST", "/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if event != "" {
		req.Header.Set("X-GitHub-Event", event)
	}
	if delivery != "" {
		req.Header.Set("X-GitHub-Delivery", delivery)
	}
	if sig != "" {
		req.Header.Set("X-Hub-Signature-256", sig)
	}
	rec := httptest.NewRecorder()
	e.s.Handler().ServeHTTP(rec, req)
	return rec
}

// drain handles the queued events synchronously (no worker runs).
func (e *env) drain(t *testing.T) int {
	t.Helper()
	n := 0
	for {
		select {
		case j := <-e.s.queue:
			e.s.handleJob(context.Background(), j)
			n++
		default:
			return n
		}
	}
}

func repo() *github.Repository {
	return &github.Repository{Name: github.String("nixpkgs"), Owner: &github.User{Login: github.String("NixOS")}}
}

func prClosed(number int, branch string, merged bool) *github.PullRequestEvent {
	return &github.PullRequestEvent{Action: github.String("closed"), Number: github.Int(number), Repo: repo(),
		PullRequest: &github.PullRequest{Number: github.Int(number), Merged: github.Bool(merged),
			Head: &github.PullRequestBranch{Ref: github.String(branch)}}}
}

func TestNewRefuses(t *testing.T) {
	ok := Options{Secret: testSecret, Cycle: func(context.Context) (*bot.Summary, error) { return nil, nil },
		CycleInterval: time.Hour, Store: &state.Store{}, PullRequests: &github.PullRequestsService{},
		Comments: &github.IssuesService{}, Owner: "o", Repo: "r", BranchPrefix: "markbot/"}
	if _, err := New(ok); err != nil {
		t.Fatalf("complete options: %v", err)
	}
	for _, tc := range []struct {
		name string
		mod  func(*Options)
		want string
	}{
		{"no secret", func(o *Options) { o.Secret = nil }, "no webhook secret"},
		{"empty secret", func(o *Options) { o.Secret = []byte{} }, "no webhook secret"},
		{"no cycle", func(o *Options) { o.Cycle = nil }, "no cycle function"},
		{"no interval", func(o *Options) { o.CycleInterval = 0 }, "interval"},
		{"no store", func(o *Options) { o.Store = nil }, "no state store"},
		{"no github", func(o *Options) { o.Comments = nil }, "no GitHub client"},
		{"no repo", func(o *Options) { o.Repo = "" }, "no repository"},
		{"no prefix", func(o *Options) { o.BranchPrefix = "" }, "no branch prefix"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := ok
			tc.mod(&o)
			_, err := New(o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestWebhookAnswers(t *testing.T) {
	closed, _ := json.Marshal(prClosed(7, "markbot/x", true))
	big := append([]byte(`{"action":"closed","padding":"`), bytes.Repeat([]byte("x"), 70<<10)...)
	big = append(big, `"}`...)
	for _, tc := range []struct {
		name, event, delivery string
		body                  []byte
		sig                   string
		ctype                 string
		want                  int
		queued                int
		outcome               string
	}{
		{name: "valid", event: "pull_request", delivery: "d1", body: closed, sig: sign(testSecret, closed), want: 202, queued: 1, outcome: outcomeAccepted},
		{name: "wrong secret", event: "pull_request", delivery: "d1", body: closed, sig: sign([]byte("guess"), closed), want: 401, outcome: outcomeBadSignature},
		{name: "tampered body", event: "pull_request", delivery: "d1", body: append([]byte(" "), closed...), sig: sign(testSecret, closed), want: 401, outcome: outcomeBadSignature},
		{name: "missing signature", event: "pull_request", delivery: "d1", body: closed, want: 401, outcome: outcomeBadSignature},
		{name: "garbage signature", event: "pull_request", delivery: "d1", body: closed, sig: "sha256=zz", want: 401, outcome: outcomeBadSignature},
		{name: "too large", event: "pull_request", delivery: "d1", body: big, sig: sign(testSecret, big), want: 413, outcome: outcomeTooLarge},
		{name: "unknown event", event: "push", delivery: "d1", body: []byte(`{}`), sig: sign(testSecret, []byte(`{}`)), want: 202, outcome: outcomeIgnored},
		{name: "ping", event: "ping", delivery: "d1", body: []byte(`{}`), sig: sign(testSecret, []byte(`{}`)), want: 200, outcome: outcomeAccepted},
		{name: "malformed payload", event: "pull_request", delivery: "d1", body: []byte(`{"action":`), sig: sign(testSecret, []byte(`{"action":`)), want: 400, outcome: outcomeMalformed},
		{name: "no delivery id", event: "pull_request", body: closed, sig: sign(testSecret, closed), want: 400, outcome: outcomeMalformed},
		{name: "not JSON", event: "pull_request", delivery: "d1", body: closed, sig: sign(testSecret, closed), ctype: "text/plain", want: 400, outcome: outcomeMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			req := httptest.NewRequest("POST", "/webhook", bytes.NewReader(tc.body))
			ct := tc.ctype
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
			req.Header.Set("X-GitHub-Event", tc.event)
			if tc.delivery != "" {
				req.Header.Set("X-GitHub-Delivery", tc.delivery)
			}
			if tc.sig != "" {
				req.Header.Set("X-Hub-Signature-256", tc.sig)
			}
			rec := httptest.NewRecorder()
			e.s.Handler().ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("status %d (%q), want %d", rec.Code, rec.Body.String(), tc.want)
			}
			if n := len(e.s.queue); n != tc.queued {
				t.Errorf("%d events queued, want %d", n, tc.queued)
			}
			if !strings.Contains(scrape(t, e.s), `outcome="`+tc.outcome+`"} 1`) {
				t.Errorf("deliveries metric lacks outcome %s", tc.outcome)
			}
			for _, entry := range e.log.AllEntries() {
				if s, _ := entry.String(); strings.Contains(s, string(testSecret)) || strings.Contains(s, "markbot/x") {
					t.Errorf("log shows the secret or the payload: %s", s)
				}
			}
		})
	}
}

func TestDuplicateDeliveryHandledOnce(t *testing.T) {
	e := newEnv(t, nil)
	ev := prClosed(7, "markbot/x", false)
	for i := range 3 {
		if rec := e.post(t, "pull_request", "same-guid", ev); rec.Code != 202 {
			t.Fatalf("delivery %d: status %d", i, rec.Code)
		}
	}
	if rec := e.post(t, "pull_request", "other-guid", ev); rec.Code != 202 {
		t.Fatalf("second delivery: %d", rec.Code)
	}
	if n := e.drain(t); n != 2 {
		t.Fatalf("%d events handled, want 2 (the repeated delivery once)", n)
	}
	if m := scrape(t, e.s); !strings.Contains(m, `markbot_webhook_deliveries_total{event="pull_request",outcome="duplicate"} 2`) {
		t.Errorf("duplicates not counted:\n%s", grep(m, "deliveries"))
	}
}

func TestDedupIsBounded(t *testing.T) {
	d := newDedup(2)
	for _, id := range []string{"a", "b", "c"} {
		if !d.add(id) {
			t.Fatalf("%s reported as seen", id)
		}
	}
	if d.add("c") || d.add("b") {
		t.Error("recent ids forgotten")
	}
	if !d.add("a") {
		t.Error("the oldest id was not evicted")
	}
	if len(d.ids) != 2 || d.order.Len() != 2 {
		t.Errorf("holds %d ids, want 2", len(d.ids))
	}
}

func TestQueueFull(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.QueueSize = 1 })
	ev := prClosed(7, "markbot/x", false)
	if rec := e.post(t, "pull_request", "a", ev); rec.Code != 202 {
		t.Fatal(rec.Code)
	}
	if rec := e.post(t, "pull_request", "b", ev); rec.Code != 503 {
		t.Fatalf("queue full: status %d, want 503", rec.Code)
	}
	e.drain(t)
	if rec := e.post(t, "pull_request", "b", ev); rec.Code != 202 {
		t.Fatalf("redelivery after a full queue: status %d, want 202 (not a duplicate)", rec.Code)
	}
}

func listenLoopback() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

// serve runs the server on a loopback port; stop cancels it and returns
// Serve's error.
func serve(t *testing.T, s *Server) (base string, stop func() error) {
	t.Helper()
	ln, err := listenLoopback()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	var once sync.Once
	var serr error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case serr = <-done:
			case <-time.After(10 * time.Second):
				serr = errors.New("Serve did not return")
			}
		})
		return serr
	}
	t.Cleanup(func() { stop() })
	return "http://" + ln.Addr().String(), stop
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWebhookAnswersBeforeTheWork(t *testing.T) {
	release := make(chan struct{})
	e := newEnv(t, nil)
	e.s.o.Cycle = func(context.Context) (*bot.Summary, error) {
		e.runs.Add(1)
		<-release
		return &bot.Summary{}, nil
	}
	base, stop := serve(t, e.s)
	defer close(release)
	body, _ := json.Marshal(prClosed(3, "markbot/a", true))
	req, _ := http.NewRequest("POST", base+"/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "pull_request")
	req.Header.Set("X-GitHub-Delivery", "d")
	req.Header.Set("X-Hub-Signature-256", sign(testSecret, body))
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 202 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("answered after %s", d)
	}
	// The cycle the event asked for is running, and blocked: the answer
	// did not wait for it.
	waitFor(t, "the triggered cycle", func() bool { return e.runs.Load() == 1 })
	_ = stop
}

func TestCyclesNeverOverlapAndCoalesce(t *testing.T) {
	var running, maxRunning atomic.Int32
	gate := make(chan struct{})
	e := newEnv(t, func(o *Options) { o.NoCycleAtStart = false })
	e.s.o.Cycle = func(ctx context.Context) (*bot.Summary, error) {
		n := running.Add(1)
		if n > maxRunning.Load() {
			maxRunning.Store(n)
		}
		e.runs.Add(1)
		defer running.Add(-1)
		select {
		case <-gate:
		case <-ctx.Done():
		}
		return &bot.Summary{}, nil
	}
	_, stop := serve(t, e.s)
	waitFor(t, "the first cycle", func() bool { return e.runs.Load() == 1 })
	queued := 0
	for range 3 {
		if e.s.TriggerCycle("test") {
			queued++
		}
	}
	if queued != 1 {
		t.Errorf("%d of 3 triggers queued, want 1 (the others coalesce)", queued)
	}
	gate <- struct{}{}
	waitFor(t, "the follow-up cycle", func() bool { return e.runs.Load() == 2 })
	gate <- struct{}{}
	waitFor(t, "the follow-up cycle to end", func() bool { recent, _ := e.s.Cycles(); return len(recent) == 2 })
	time.Sleep(50 * time.Millisecond)
	if n := e.runs.Load(); n != 2 {
		t.Errorf("%d cycles ran, want 2 (one at start, one follow-up)", n)
	}
	if m := maxRunning.Load(); m != 1 {
		t.Errorf("%d cycles ran at once", m)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	recent, _ := e.s.Cycles()
	if recent[1].Reason != "start" || recent[0].Reason != "test" {
		t.Errorf("reasons %q, %q", recent[1].Reason, recent[0].Reason)
	}
}

func TestScheduledCycles(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.CycleInterval = 10 * time.Millisecond })
	_, stop := serve(t, e.s)
	waitFor(t, "three scheduled cycles", func() bool { return e.runs.Load() >= 3 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	recent, _ := e.s.Cycles()
	if recent[0].Reason != "schedule" {
		t.Errorf("reason %q", recent[0].Reason)
	}
}

// blockingPulls blocks Get until released, to hold the worker in an event.
type blockingPulls struct {
	PullRequests
	entered chan struct{}
	release chan struct{}
}

func (b *blockingPulls) Get(ctx context.Context, owner, repo string, n int) (*github.PullRequest, *github.Response, error) {
	close(b.entered)
	<-b.release
	return b.PullRequests.Get(ctx, owner, repo, n)
}

func TestGracefulShutdown(t *testing.T) {
	var cycleErr atomic.Value
	e := newEnv(t, func(o *Options) { o.NoCycleAtStart = false })
	bp := &blockingPulls{PullRequests: e.s.o.PullRequests, entered: make(chan struct{}), release: make(chan struct{})}
	e.s.o.PullRequests = bp
	e.s.o.Cycle = func(ctx context.Context) (*bot.Summary, error) {
		e.runs.Add(1)
		<-ctx.Done()
		cycleErr.Store(ctx.Err())
		return nil, ctx.Err()
	}
	n := openPR(t, e.gh, "markbot/one", []string{"hello"})
	base, stop := serve(t, e.s)
	waitFor(t, "the cycle", func() bool { return e.runs.Load() == 1 })

	body, _ := json.Marshal(comment(n, "alice", "COLLABORATOR", "@markbot help"))
	req, _ := http.NewRequest("POST", base+"/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "issue_comment")
	req.Header.Set("X-GitHub-Delivery", "c1")
	req.Header.Set("X-Hub-Signature-256", sign(testSecret, body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	<-bp.entered // the worker is in the event

	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-stopped:
		t.Fatalf("Serve returned (%v) before the event in progress finished", err)
	default:
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still accepting connections while shutting down")
	}
	close(bp.release)
	if err := <-stopped; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err, _ := cycleErr.Load().(error); !errors.Is(err, context.Canceled) {
		t.Errorf("the cycle's context ended with %v, want canceled", err)
	}
	if got := comments(t, e.gh, n); len(got) != 1 {
		t.Errorf("the event in progress did not finish: %d replies", len(got))
	}
	recent, _ := e.s.Cycles()
	if len(recent) != 1 || recent[0].Outcome != CycleCancelled {
		t.Errorf("cycles recorded: %+v", recent)
	}
}

func TestShutdownTimesOut(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	e := newEnv(t, func(o *Options) { o.NoCycleAtStart = false; o.ShutdownTimeout = 100 * time.Millisecond })
	e.s.o.Cycle = func(context.Context) (*bot.Summary, error) { e.runs.Add(1); <-release; return nil, nil }
	_, stop := serve(t, e.s)
	waitFor(t, "the cycle", func() bool { return e.runs.Load() == 1 })
	start := time.Now()
	err := stop()
	if err == nil || !strings.Contains(err.Error(), "did not stop") {
		t.Fatalf("got %v, want a timeout error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("shutdown took %s", d)
	}
}

func TestHealthz(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	e := newEnv(t, func(o *Options) { o.Now = clock })
	get := func() (int, string) {
		rec := httptest.NewRecorder()
		e.s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := get(); code != 200 || body != "ok\n" {
		t.Fatalf("fresh server: %d %q", code, body)
	}
	advance(3*time.Hour + time.Second)
	if code, body := get(); code != 503 || !strings.Contains(body, "no cycle has ended") {
		t.Fatalf("no cycle in 3 intervals: %d %q", code, body)
	}
	e.s.runCycle(context.Background(), "test")
	if code, _ := get(); code != 200 {
		t.Fatalf("after a cycle: %d", code)
	}
	advance(3*time.Hour + time.Second)
	if code, body := get(); code != 503 || !strings.Contains(body, "last cycle ended") {
		t.Fatalf("stale cycle: %d %q", code, body)
	}
}

func scrape(t *testing.T, s *Server) string {
	t.Helper()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("/metrics: %d %s", rec.Code, rec.Body)
	}
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func grep(text, word string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
