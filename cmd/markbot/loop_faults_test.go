package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/config"
	"github.com/nixpkgs-markbot/markbot/internal/demo"
	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// The reliability acceptance test: markbot's whole loop (the demo's story:
// detection, marking PRs, their merge, the probe, revert and narrowing PRs,
// their merge) with one fault injected at one external call, for every
// call the loop makes to Hydra and GitHub. A cycle that fails is run again,
// as `markbot serve` does at its next interval (and a crash is a cancelled
// cycle followed by a new one: state is reopened from disk each cycle).
// The final state must equal the fault-free run's: the same markers in the
// same states, the same pull requests (no duplicate), the same files on
// master, byte for byte.
//
// By default a sample of the calls is faulted, each with one fault kind in
// rotation; MARKBOT_FAULTS=all faults every call with every kind, as
// docs/reliability.md reports.

// loopWorld is one run of the story.
type loopWorld struct {
	w   *demo.World
	cfg *config.Config
	log *logrus.Logger

	mu     sync.Mutex
	cancel context.CancelFunc // the running cycle's
}

func newLoopWorld(t *testing.T) *loopWorld {
	t.Helper()
	githubtest.RequireGit(t)
	w, err := demo.NewWorld()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	cfg, err := config.Load(w.Config)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Hydra.RequestsPerSecond, cfg.Probe.Every = 1000, 0
	// Short enough for stalls and slow answers to time out quickly.
	cfg.Hydra.IdleTimeout, cfg.GitHub.Timeout = time.Second, time.Second
	log := logrus.New()
	log.SetOutput(io.Discard)
	return &loopWorld{w: w, cfg: cfg, log: log}
}

// crash cancels the running cycle, like a process dying at that point.
func (l *loopWorld) crash() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancel != nil {
		l.cancel()
	}
}

// cycle runs one reconcile cycle until it succeeds (at most 6 attempts);
// it returns the failed attempts' errors.
func (l *loopWorld) cycle(t *testing.T) []error {
	t.Helper()
	var errs []error
	for range 6 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		l.mu.Lock()
		l.cancel = cancel
		l.mu.Unlock()
		_, err := runCycle(ctx, l.cfg, false, l.log, io.Discard)
		cancel()
		if err == nil {
			return errs
		}
		errs = append(errs, err)
	}
	t.Fatalf("the cycle failed 6 times: %v", errs)
	return nil
}

func (l *loopWorld) mergeOpen(t *testing.T) {
	t.Helper()
	for _, pr := range l.w.GitHub.PullRequests() {
		if pr.State != "open" {
			continue
		}
		if _, err := l.w.GitHub.MergePullRequest(pr.Number, "alice-nix", "merge"); err != nil {
			t.Fatal(err)
		}
	}
}

// story plays the demo's life cycle and returns the failed cycles' errors.
func (l *loopWorld) story(t *testing.T) []error {
	t.Helper()
	var errs []error
	errs = append(errs, l.cycle(t)...) // marking PRs
	l.mergeOpen(t)
	errs = append(errs, l.cycle(t)...) // merged: markers on master
	l.w.AddProbeEval(time.Now().Add(time.Minute), map[string][]string{"cmatrix": nil, "python312Packages.requests": nil,
		"python313Packages.requests": nil, "pv": {"aarch64-darwin"}})
	errs = append(errs, l.cycle(t)...) // revert and narrowing PRs
	// Maintainers merge what markbot opens, whenever it opens it: a fault
	// may put a PR off to a later cycle (a marker's file unreadable this
	// time is retried the next), which is not a failure as long as it comes.
	for range 3 {
		l.mergeOpen(t)
		errs = append(errs, l.cycle(t)...) // merged: reverted, narrowed
		if !slices.ContainsFunc(l.w.GitHub.PullRequests(), func(pr githubtest.PullRequest) bool { return pr.State == "open" }) {
			break
		}
	}
	return errs
}

// snapshot is what must not depend on faults, with the fake Hydra's
// address (a new port each run) taken out.
func (l *loopWorld) snapshot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	st, err := state.Open(context.Background(), l.cfg.State.Path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	markers, err := st.Markers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Pull requests are named by their titles, not their numbers: a batch
	// that failed and was published again later gets a later number.
	prs := l.w.GitHub.PullRequests()
	title := func(n int) string {
		for _, pr := range prs {
			if pr.Number == n {
				return strconv.Quote(pr.Title)
			}
		}
		return strconv.Itoa(n)
	}
	sort.Slice(markers, func(i, j int) bool { return markers[i].Attr < markers[j].Attr })
	for _, m := range markers {
		fmt.Fprintf(&b, "marker %s %s systems=%v build=%s pr=%s revert=%s file=%s:%d\n",
			m.Attr, m.State, m.Systems, m.BuildURL, title(m.PR), title(m.RevertPR), m.File, m.Line)
	}
	var lines []string
	for _, pr := range prs {
		line := fmt.Sprintf("PR %q %s merged=%v labels=%v reviewers=%v", pr.Title, pr.State, pr.Merged, pr.Labels, pr.Reviewers)
		if sp, err := st.PR(context.Background(), pr.Number); err != nil {
			line += fmt.Sprintf("; not in state: %v", err)
		} else {
			line += fmt.Sprintf("; state %s %s %v", sp.State, sp.Kind, sp.Attrs)
		}
		lines = append(lines, line)
	}
	slices.Sort(lines)
	b.WriteString(strings.Join(lines, "\n") + "\n")
	seed, err := demo.SeedFiles()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for p := range seed {
			if !yield(p) {
				return
			}
		}
	}) {
		got, err := l.w.GitHub.File("master", p)
		if err != nil {
			fmt.Fprintf(&b, "file %s: %v\n", p, err)
			continue
		}
		if string(got) != seed[p] {
			fmt.Fprintf(&b, "file %s:\n%s\n", p, got)
		}
	}
	return strings.ReplaceAll(b.String(), l.w.HydraURL, "HYDRA")
}

// A loopFault is one fault at the n-th request to one service, or (with
// method set) at the n-th request with that method and path.
type loopFault struct {
	service      string // "github", "hydra"
	n            int
	method, path string
	kind         string
}

func (f loopFault) String() string {
	if f.method != "" {
		return fmt.Sprintf("%s %s %s#%d/%s", f.service, f.method, f.path, f.n, f.kind)
	}
	return fmt.Sprintf("%s#%d/%s", f.service, f.n, f.kind)
}

// The fault kinds, by service. "crash-before" stops the cycle as the
// request leaves (not performed); "crash-after" once it was performed.
var (
	githubFaultKinds = []string{"500", "crash-after", "429", "truncated", "timeout", "dropped-after", "crash-before", "403-secondary"}
	hydraFaultKinds  = []string{"500", "truncated", "timeout", "429", "reset", "invalid-json", "crash-before", "html"}
)

func (l *loopWorld) inject(t *testing.T, f loopFault) {
	t.Helper()
	switch f.service {
	case "github":
		ft := githubtest.Fault{Method: f.method, Path: f.path, Skip: f.n - 1}
		switch f.kind {
		case "500":
			ft.Kind = githubtest.ServerError
		case "429":
			ft.Kind = githubtest.TooManyRequests
		case "403-secondary":
			ft.Kind = githubtest.SecondaryRateLimit
		case "truncated":
			ft.Kind = githubtest.Truncate
		case "timeout":
			ft.Kind, ft.Delay = githubtest.Slow, 1500*time.Millisecond
		case "dropped-after":
			ft.Kind, ft.After = githubtest.DropConnection, true
		case "crash-before":
			ft.Kind, ft.OnHit = githubtest.ServerError, l.crash
		case "crash-after":
			ft.Kind, ft.After, ft.OnHit = githubtest.DropConnection, true, l.crash
		default:
			t.Fatalf("unknown GitHub fault %q", f.kind)
		}
		l.w.GitHub.Inject(ft)
	case "hydra":
		var ft hydratest.Fault
		switch f.kind {
		case "500":
			ft.Kind = hydratest.FaultStatus
		case "429":
			ft.Kind, ft.RetryAfter = hydratest.FaultRateLimit, 1
		case "truncated":
			ft.Kind = hydratest.FaultTruncate
		case "timeout":
			ft.Kind, ft.Delay = hydratest.FaultStall, 3*time.Second
		case "reset":
			ft.Kind = hydratest.FaultReset
		case "invalid-json":
			ft.Kind = hydratest.FaultInvalidJSON
		case "html":
			ft.Kind = hydratest.FaultHTML
		case "crash-before":
			ft.Kind, ft.OnHit = hydratest.FaultReset, l.crash
		default:
			t.Fatalf("unknown Hydra fault %q", f.kind)
		}
		l.w.HydraFaults.At(f.n, ft)
	}
}

// pending reports whether the injected fault never fired.
func (l *loopWorld) pending() bool {
	return l.w.GitHub.PendingFaults() > 0 || l.w.HydraFaults.Pending() > 0
}

func TestLoopUnderFaults(t *testing.T) {
	ref := newLoopWorld(t)
	if errs := ref.story(t); len(errs) > 0 {
		t.Fatalf("the fault-free run failed: %v", errs)
	}
	want := ref.snapshot(t)
	githubCalls, hydraCalls := ref.w.GitHub.Requests(), ref.w.HydraFaults.Requests()
	// The writes, each named by method, path and how many requests with
	// the same method and path came before it.
	prefix := apiPrefix(t, ref.w.GitHub.URL())
	var writes []loopFault
	seen := map[string]int{}
	for _, m := range ref.w.GitHub.Mutations() {
		rel := strings.TrimPrefix(m.Path, prefix)
		seen[m.Method+" "+rel]++
		writes = append(writes, loopFault{service: "github", n: seen[m.Method+" "+rel], method: m.Method, path: rel})
	}
	for _, must := range []string{"marker cmatrix reverted", "marker pv merged systems=[x86_64-darwin]", "marker python312Packages.requests reverted", "marker figlet merged"} {
		if !strings.Contains(want, must) {
			t.Fatalf("the fault-free run does not end as the demo does (%q):\n%s", must, want)
		}
	}
	if strings.Contains(want, "open merged=false") {
		t.Fatalf("the fault-free run left a pull request open (a reverted package proposed again?):\n%s", want)
	}
	t.Logf("fault-free run: %d GitHub requests (%d writes), %d Hydra requests", githubCalls, len(writes), hydraCalls)

	// By default a sample (about 25 runs, every kind on each service at
	// least once): every third GitHub write, every 20th GitHub request,
	// every sixth Hydra request, the kinds in rotation. MARKBOT_FAULTS=all:
	// every request, every kind.
	all := os.Getenv("MARKBOT_FAULTS") == "all"
	var faults []loopFault
	for n := 1; n <= githubCalls; n++ {
		switch {
		case all:
			for _, k := range githubFaultKinds {
				faults = append(faults, loopFault{service: "github", n: n, kind: k})
			}
		case n%20 == 0:
			faults = append(faults, loopFault{service: "github", n: n, kind: githubFaultKinds[(n/20)%len(githubFaultKinds)]})
		}
	}
	for i, w := range writes {
		if !all && i%3 == 0 {
			w.kind = githubFaultKinds[(i/3)%len(githubFaultKinds)]
			faults = append(faults, w)
		}
	}
	for n := 1; n <= hydraCalls; n++ {
		switch {
		case all:
			for _, k := range hydraFaultKinds {
				faults = append(faults, loopFault{service: "hydra", n: n, kind: k})
			}
		case n%6 == 0:
			faults = append(faults, loopFault{service: "hydra", n: n, kind: hydraFaultKinds[(n/6)%len(hydraFaultKinds)]})
		}
	}

	var mu sync.Mutex
	fired, failedCycles := 0, 0
	byKind := map[string]int{}
	for _, f := range faults {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			l := newLoopWorld(t)
			l.inject(t, f)
			errs := l.story(t)
			if l.pending() {
				// The run took another path before reaching the n-th call
				// (a retry shifted the count): nothing was injected.
				return
			}
			if got := l.snapshot(t); got != want {
				t.Errorf("after %s the loop ends elsewhere (failed cycles: %v):\n%s", f, errs, lineDiffText(want, got))
				return
			}
			mu.Lock()
			fired++
			failedCycles += len(errs)
			byKind[f.service+"/"+f.kind]++
			mu.Unlock()
		})
	}
	t.Cleanup(func() {
		kinds := slices.Sorted(func(yield func(string) bool) {
			for k := range byKind {
				if !yield(k) {
					return
				}
			}
		})
		var parts []string
		for _, k := range kinds {
			parts = append(parts, k+"="+strconv.Itoa(byKind[k]))
		}
		t.Logf("%d faults planned, %d injected and survived (%d cycles failed and were run again); by kind: %s",
			len(faults), fired, failedCycles, strings.Join(parts, " "))
	})
}

// apiPrefix is the path of the fake GitHub's API root ("/api/v3/").
func apiPrefix(t *testing.T, apiURL string) string {
	t.Helper()
	u, err := url.Parse(apiURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Path
}

// lineDiffText shows the lines only in want (-) or only in got (+).
func lineDiffText(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
