// Package app is markbot's GitHub App server (markbot serve). Its single
// concern is running the bot unattended: it receives GitHub's webhooks
// (verified, deduplicated, answered 202 at once and handled by one worker),
// runs a reconcile cycle every interval and on demand (never two at once),
// answers comment commands on markbot's pull requests, and shows what it
// is doing (/healthz, /metrics, a status page at /).
//
// The cycle itself, the state store, GitHub and the savings estimate are
// injected (Options), so that the server is tested without Hydra and the
// command wires the real ones. Decisions (which event matters, what a
// comment asks, what to answer) are pure functions over the event's data;
// handlers only unpack, decide and act.
package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/bot"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// Store is what the server reads and writes in the state database
// (*state.Store has it).
type Store interface {
	Markers(ctx context.Context, states ...state.MarkerState) ([]state.Marker, error)
	AddSkip(ctx context.Context, attr, reason string, until time.Time) error
	Log(ctx context.Context, e state.Event) (int64, error)
	Events(ctx context.Context, f state.EventFilter) ([]state.Event, error)
	// ClaimEvent records a webhook event as acted on; false: it was before.
	ClaimEvent(ctx context.Context, key string) (bool, error)
}

// PullRequests reads a pull request (go-github's PullRequestsService).
type PullRequests interface {
	Get(ctx context.Context, owner, repo string, number int) (*github.PullRequest, *github.Response, error)
}

// Comments posts replies (go-github's IssuesService).
type Comments interface {
	CreateComment(ctx context.Context, owner, repo string, number int, comment *github.IssueComment) (*github.IssueComment, *github.Response, error)
}

// Defaults for Options.
const (
	DefaultMaxBodyBytes    = 25 << 20
	DefaultQueueSize       = 256
	DefaultDedupSize       = 4096
	DefaultShutdownTimeout = 30 * time.Second
	DefaultEventTimeout    = 2 * time.Minute
	DefaultBodyTimeout     = 10 * time.Second
	// RecentCycles is how many cycles the status page shows.
	RecentCycles = 20
)

// Options configure a Server. Secret, Cycle, CycleInterval, Store,
// PullRequests, Comments, Owner, Repo and BranchPrefix are required.
type Options struct {
	// Secret is the webhook secret; New refuses an empty one (go-github
	// skips the signature check with an empty secret).
	Secret []byte
	// MaxBodyBytes bounds a webhook request's body (larger: 413).
	MaxBodyBytes int64
	// MaxConcurrentWebhooks bounds the webhook requests whose body is
	// being read and verified at once, MaxLargeWebhooks those among them
	// with a body over LargeBodyBytes (or of unknown length), and
	// MaxInFlightBytes the bytes they reserve (each its Content-Length, or
	// MaxBodyBytes without one). A request over a bound is answered 503
	// with Retry-After: RetryAfter seconds, before its body is read.
	// Defaults: DefaultMaxConcurrentWebhooks, DefaultMaxLargeWebhooks,
	// DefaultLargeBodyBytes, MaxLargeWebhooks × MaxBodyBytes +
	// MaxConcurrentWebhooks × LargeBodyBytes, DefaultRetryAfter.
	MaxConcurrentWebhooks int
	MaxLargeWebhooks      int
	LargeBodyBytes        int64
	MaxInFlightBytes      int64
	RetryAfter            int
	// BodyTimeout bounds the reading of a webhook body (default 10s,
	// GitHub's own delivery timeout; negative: no bound but the HTTP
	// server's ReadTimeout).
	BodyTimeout time.Duration
	// Cycle runs one reconcile cycle. The server never runs two at once.
	Cycle func(ctx context.Context) (*bot.Summary, error)
	// CycleInterval is the time between the end of a cycle and the next
	// scheduled one.
	CycleInterval time.Duration
	// NoCycleAtStart leaves the first cycle to the schedule (default: one
	// cycle as soon as the server starts).
	NoCycleAtStart bool
	// Savings, optional, describes the compute markbot's markers save, for
	// the status page; it is called after each cycle. "" shows nothing.
	Savings func(ctx context.Context) (string, error)

	Store        Store
	PullRequests PullRequests
	Comments     Comments
	// Owner and Repo name the repository markbot opens pull requests in;
	// events about other repositories are ignored.
	Owner, Repo string
	// RepoURL is the repository's web address, for links
	// (default https://github.com/Owner/Repo).
	RepoURL string
	// BranchPrefix starts every markbot branch (github.branch_prefix).
	BranchPrefix string
	// BotLogin is the App's login ("markbot[bot]"); its own comments are
	// never read as commands.
	BotLogin string
	// Mention starts a command (default "@markbot").
	Mention string
	// SkipFor is how long "@markbot drop" keeps a package from being
	// proposed again (policy.skip_after_close).
	SkipFor time.Duration
	// Drop, optional, takes packages out of a mark pull request for
	// "@markbot drop" (prs.Dropper makes one from a Publisher's client,
	// store and options). Without it the command only records the skip,
	// and the reply says the branch is not rewritten.
	Drop func(ctx context.Context, number int, drops []prs.Drop) (*prs.DropResult, error)
	// GitHubChanged, optional, is told of each event that changes what a
	// cycle would read of markbot's pull requests: a pull_request event
	// of any action on a markbot PR (its head branch has BranchPrefix),
	// an installation event. markbot serve makes its cycles read those
	// PRs again then (prs.Views.Changed), and not otherwise.
	GitHubChanged func()
	// Pages, when set, serves the maintainer pages and feeds
	// (internal/report's Handler) at /maintainers/, /teams/, /jobsets/
	// and /assets/, and its index at /report: from what the last cycle
	// made, never calling Hydra or GitHub per request.
	Pages http.Handler

	// ReplyRatePerPR and ReplyRate budget the replies to comments, per
	// pull request and in all; RecheckRatePerPR and RecheckRate the cycles
	// "@markbot recheck" starts. Over a budget, a reply is not posted and a
	// recheck is refused (with a reply, if the reply budget allows).
	// Defaults: DefaultReplyRatePerPR, DefaultReplyRate,
	// DefaultRecheckRatePerPR, DefaultRecheckRate.
	ReplyRatePerPR, ReplyRate     Rate
	RecheckRatePerPR, RecheckRate Rate

	QueueSize       int
	DedupSize       int
	ShutdownTimeout time.Duration
	EventTimeout    time.Duration
	Log             logrus.FieldLogger
	Now             func() time.Time
}

// Server is markbot's App server. Create it with New and run it with Serve.
type Server struct {
	o       Options
	log     logrus.FieldLogger
	now     func() time.Time
	started time.Time
	metrics *metrics
	seen    *dedup
	admit   *admission
	// replies and rechecks are the budgets of what comments make the
	// server do.
	replies, rechecks *budget
	queue             chan job
	trigger           chan string

	mu      sync.Mutex // guards the fields below
	running *CycleRecord
	recent  []CycleRecord // newest first, at most RecentCycles
	lastEnd time.Time
	savings savingsLine
	serving bool
}

// New checks the options and returns a Server.
func New(o Options) (*Server, error) {
	var errs []error
	need := func(missing bool, what string) {
		if missing {
			errs = append(errs, errors.New(what))
		}
	}
	need(len(o.Secret) == 0, "no webhook secret: without one GitHub's signatures cannot be checked")
	need(o.Cycle == nil, "no cycle function")
	need(o.CycleInterval <= 0, "the cycle interval must be positive")
	need(o.Store == nil, "no state store")
	need(o.PullRequests == nil || o.Comments == nil, "no GitHub client")
	need(o.Owner == "" || o.Repo == "", "no repository")
	need(o.BranchPrefix == "", "no branch prefix")
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.MaxConcurrentWebhooks <= 0 {
		o.MaxConcurrentWebhooks = DefaultMaxConcurrentWebhooks
	}
	if o.MaxLargeWebhooks <= 0 {
		o.MaxLargeWebhooks = DefaultMaxLargeWebhooks
	}
	if o.LargeBodyBytes <= 0 {
		o.LargeBodyBytes = min(DefaultLargeBodyBytes, o.MaxBodyBytes)
	}
	if o.MaxInFlightBytes <= 0 {
		o.MaxInFlightBytes = int64(o.MaxLargeWebhooks)*o.MaxBodyBytes + int64(o.MaxConcurrentWebhooks)*o.LargeBodyBytes
	}
	if o.RetryAfter <= 0 {
		o.RetryAfter = DefaultRetryAfter
	}
	if o.BodyTimeout == 0 {
		o.BodyTimeout = DefaultBodyTimeout
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.DedupSize <= 0 {
		o.DedupSize = DefaultDedupSize
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.EventTimeout <= 0 {
		o.EventTimeout = DefaultEventTimeout
	}
	if o.Mention == "" {
		o.Mention = "@markbot"
	}
	if o.RepoURL == "" {
		o.RepoURL = "https://github.com/" + o.Owner + "/" + o.Repo
	}
	if o.Log == nil {
		o.Log = logrus.StandardLogger()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{
		o:       o,
		log:     o.Log,
		now:     o.Now,
		started: o.Now(),
		seen:    newDedup(o.DedupSize),
		admit:   &admission{maxRequests: o.MaxConcurrentWebhooks, maxLarge: o.MaxLargeWebhooks, maxBytes: o.MaxInFlightBytes},
		queue:   make(chan job, o.QueueSize),
		trigger: make(chan string, 1),
	}
	s.replies = newBudget(o.ReplyRatePerPR.orDefault(DefaultReplyRatePerPR), o.ReplyRate.orDefault(DefaultReplyRate), o.Now)
	s.rechecks = newBudget(o.RecheckRatePerPR.orDefault(DefaultRecheckRatePerPR), o.RecheckRate.orDefault(DefaultRecheckRate), o.Now)
	s.metrics = newMetrics(s)
	return s, nil
}

// Handler serves the webhook, /healthz, /metrics and the status page.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /webhook", s.handleWebhook)
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.Handle("GET /metrics", s.metrics.handler())
	mux.HandleFunc("GET /{$}", s.handleStatus)
	if p := s.o.Pages; p != nil {
		for _, prefix := range []string{"/maintainers/", "/teams/", "/jobsets/", "/assets/"} {
			mux.Handle("GET "+prefix, p)
		}
		// The site's index is its "/"; here "/" is the status page.
		mux.Handle("GET /report", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r2 := r.Clone(r.Context())
			r2.URL.Path, r2.URL.RawPath = "/", ""
			p.ServeHTTP(w, r2)
		}))
	}
	return mux
}

// Serve answers HTTP on ln and runs the event worker and the cycle loop
// until ctx is cancelled. It then shuts down gracefully: it stops accepting
// requests and waits for those in flight, cancels the running cycle, lets
// the worker finish the event it is handling and those already accepted,
// and waits for all of it at most ShutdownTimeout. Serve may be called once.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.mu.Lock()
	if s.serving {
		s.mu.Unlock()
		return errors.New("app: Serve called twice")
	}
	s.serving = true
	s.mu.Unlock()

	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	// Events are handled with a context that outlives ctx (the worker
	// finishes what it accepted) until the shutdown times out.
	eventCtx, cancelEvents := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelEvents()
	cycleCtx, cancelCycles := context.WithCancel(ctx)
	defer cancelCycles()

	stopWorker := make(chan struct{})
	workerDone := make(chan struct{})
	cyclesDone := make(chan struct{})
	go func() { defer close(workerDone); s.worker(eventCtx, stopWorker) }()
	go func() { defer close(cyclesDone); s.cycleLoop(cycleCtx) }()

	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	var serveErr error
	select {
	case <-ctx.Done():
		s.log.Info("shutting down")
	case serveErr = <-served:
		s.log.WithError(serveErr).Error("HTTP server stopped")
	}

	deadline, cancel := context.WithTimeout(context.Background(), s.o.ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(deadline); err != nil {
		s.log.WithError(err).Warn("shutdown: requests still in flight")
	}
	cancelCycles()
	close(stopWorker)
	for _, w := range []struct {
		name string
		done chan struct{}
	}{{"event worker", workerDone}, {"cycle", cyclesDone}} {
		select {
		case <-w.done:
		case <-deadline.Done():
			cancelEvents()
			return fmt.Errorf("app: shutdown: the %s did not stop within %s", w.name, s.o.ShutdownTimeout)
		}
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("app: %w", serveErr)
	}
	s.log.Info("stopped")
	return nil
}
