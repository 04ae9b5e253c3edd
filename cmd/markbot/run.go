package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/term"

	"github.com/nixpkgs-markbot/markbot/internal/bot"
	"github.com/nixpkgs-markbot/markbot/internal/breaks"
	"github.com/nixpkgs-markbot/markbot/internal/config"
	"github.com/nixpkgs-markbot/markbot/internal/ghauth"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

const runUsage = `usage: markbot run --config FILE [--dry-run] [--init] [-v]

Runs one cycle: reads Hydra, decides what is persistently broken, locates
the packages, and opens batched pull requests marking them broken.
--dry-run performs only reads and prints each planned pull request (title,
body, unified diffs). Exit codes: 0 done, 1 error, 2 mass breakage (nothing
proposed), 64 usage error.
`

func runRun(args []string, stdout, stderr io.Writer) int {
	fs := newConfigFlags("markbot run", runUsage, stderr)
	dryRun := fs.Bool("dry-run", false, "only read; print the pull requests that would be opened")
	initDB := fs.Bool("init", false, "start afresh when the state database is an empty (0-byte) file, which is otherwise refused")
	cfg, code := fs.load(args)
	if cfg == nil {
		return code
	}
	if *initDB && !*dryRun {
		if err := initState(cfg.State.Path); err != nil {
			fmt.Fprintf(stderr, "markbot run: %v\n", err)
			return exitError
		}
	}
	verbose := fs.verbose
	if err := cfg.RequireAuth(); err != nil && !*dryRun {
		fmt.Fprintf(stderr, "markbot run: %v\n", err)
		return exitError
	}
	log := cliLogger(stderr, *verbose)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// As the App: are the installation ids the App's installations on the
	// repository and the fork? Refused before any cycle otherwise.
	if err := ghauth.VerifyInstallations(ctx, cfg); err != nil {
		fmt.Fprintf(stderr, "markbot run: %v\n", err)
		return exitError
	}

	sum, err := runCycle(ctx, cfg, *dryRun, log, stderr)
	if sum != nil {
		writeRunSummary(stdout, cfg, sum, *dryRun)
	}
	if err != nil {
		fmt.Fprintf(stderr, "markbot run: %v\n", err)
		return exitError
	}
	if sum.Detection.MassBreakage != nil {
		return exitMassBreakage
	}
	return exitOK
}

// cliLogger logs text to stderr (JSON is for the server).
func cliLogger(stderr io.Writer, verbose bool) *logrus.Logger {
	log := logrus.New()
	log.SetOutput(stderr)
	log.SetLevel(logrus.WarnLevel)
	if verbose {
		log.SetLevel(logrus.DebugLevel)
	}
	return log
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// runCycle wires the clients and runs one bot.Cycle, reading markbot's
// pull requests from GitHub once (the revert side takes the marking
// side's reading when that side wrote nothing).
func runCycle(ctx context.Context, cfg *config.Config, dryRun bool, log *logrus.Logger, stderr io.Writer) (*bot.Summary, error) {
	return runCycleViews(ctx, cfg, dryRun, prs.NewViews(time.Hour), log, stderr)
}

// runCycleViews is runCycle with views (markbot serve's, kept fresh by its
// webhooks): a cycle with nothing to write then reads nothing of markbot's
// pull requests that views holds (prs.Views).
func runCycleViews(ctx context.Context, cfg *config.Config, dryRun bool, views *prs.Views, log *logrus.Logger, stderr io.Writer) (*bot.Summary, error) {
	hc, cache, err := hydraClient(cfg, log, stderr)
	if err != nil {
		return nil, err
	}
	var wrap func(http.RoundTripper) http.RoundTripper
	if dryRun {
		wrap = prs.ReadOnlyTransport // no code path can write
	}
	etags := newETagWiring(cfg, log) // conditional reads, answers kept in state (etags.go)
	wrap = etags.wrap(wrap)
	// The fork's client, when the fork takes other credentials than
	// github.repository (a second App installation or a fork token).
	gh, fork, err := ghauth.Clients(cfg, wrap)
	if err != nil {
		return nil, err
	}
	var store *state.Store
	var st prs.Store // nil in a dry run: nothing is recorded
	if !dryRun {
		store, err = state.Open(ctx, cfg.State.Path, state.Options{})
		if err != nil {
			return nil, err
		}
		defer store.Close()
		st = store
		etags.use(store)
	}
	owner, repo := cfg.GitHub.RepositoryParts()
	po := prsOptions(cfg, dryRun, log)
	po.Views = views
	pub, err := prs.New(prs.FromGitHub(gh).WithFork(fork), st, po)
	if err != nil {
		return nil, err
	}
	project, jobset := cfg.Hydra.JobsetParts()
	// The packages index (~100 MB) is loaded at most once a run, and only
	// when the marking or the revert side needs it: the newest
	// evaluation's (its tarball job's), else packages.source's.
	index := &bot.IndexSource{Hydra: hc, Fallback: cfg.Packages.Source, Load: cfg.PackagesLoadOptions(), Log: log,
		Cache: hydra.PackagesCache{Dir: hydra.PackagesCacheDir(cache)}}
	sum, cerr := bot.Cycle(ctx, hc, index.Index, pub, bot.Options{
		Project: project, Jobset: jobset,
		Evaluations:   cfg.Hydra.Evaluations,
		Policy:        cfg.FailuresPolicy(),
		Cache:         cache,
		MaxChanges:    cfg.Policy.MaxOpenPRs * cfg.Policy.MaxMarkersPerPR,
		Markers:       markersOf(store),
		Refusals:      refusalsOf(store),
		Lookback:      breaks.DefaultLookback,
		RangeCache:    filepath.Join(filepath.Dir(cache.Dir()), "broke-between.json"),
		LogCache:      hydra.LogTailsDir(cache),
		ConfirmBudget: cfg.Hydra.ConfirmBuilds,
		Log:           log,
	})
	if sum == nil {
		sum = &bot.Summary{}
	}
	if dryRun {
		// The revert loop reads markbot's markers from the state database,
		// which a dry run does not open.
		return sum, cerr
	}
	// Revert runs whatever the marking side found (also after a mass
	// breakage): markers of packages that build again come out.
	pp, pj := cfg.Probe.ProbeJobsetParts()
	rsum, rerr := bot.Revert(ctx, hc, gh, store, pub, bot.RevertOptions{
		Owner: owner, Repo: repo, Base: cfg.GitHub.BaseBranch,
		ProbeProject: pp, ProbeJobset: pj, Cache: cache,
		Local:   localBuilder(cfg),
		Systems: cfg.Policy.Systems, Every: cfg.Probe.Every, Master: sum.Latest,
		Index: func(ctx context.Context) (bot.Index, error) { return index.Index(ctx, sum.Latest) }, Log: log,
	})
	sum.Revert = rsum
	if rerr != nil {
		rerr = fmt.Errorf("revert: %w", rerr)
	}
	return sum, errors.Join(cerr, rerr)
}

// prsOptions are the publisher's options the configuration describes
// (markbot run's cycles and markbot serve's drops share them).
func prsOptions(cfg *config.Config, dryRun bool, log logrus.FieldLogger) prs.Options {
	owner, repo := cfg.GitHub.RepositoryParts()
	fork := ""
	if cfg.GitHub.Fork != "" {
		fo, fr := cfg.GitHub.HeadRepository()
		fork = fo + "/" + fr // its own name: a fork may be renamed
	}
	return prs.Options{
		Owner: owner, Repo: repo, Base: cfg.GitHub.BaseBranch, Fork: fork,
		BranchPrefix: cfg.GitHub.BranchPrefix, MaxPerPR: cfg.Policy.MaxMarkersPerPR,
		MarkLabels: cfg.GitHub.Labels, MaxReviewers: cfg.Policy.MaxReviewers,
		BotLogin: cfg.GitHub.BotLogin, SkipFor: cfg.Policy.SkipAfterClose,
		Ping: prs.Ping(cfg.Policy.Ping), PingSecondaryPlatforms: cfg.Policy.PingSecondaryPlatforms,
		DryRun: dryRun, Log: log,
	}
}

// localBuilder is the local build probe the configuration describes (nil:
// probe.build_command is not set).
func localBuilder(cfg *config.Config) *bot.LocalBuilder {
	p := cfg.Probe
	if len(p.BuildCommand) == 0 {
		return nil
	}
	return &bot.LocalBuilder{Command: p.BuildCommand, Dir: p.BuildDir, Env: p.BuildEnv, Timeout: p.BuildTimeout,
		Systems: p.BuildSystems, LogDir: cfg.ProbeLogDir()}
}

func writeRunSummary(w io.Writer, cfg *config.Config, sum *bot.Summary, dryRun bool) {
	defer writeRevertSummary(w, sum.Revert)
	sum.Amend.WriteSummary(w) // packages taken out of open marking PRs
	res := sum.Detection
	if mb := res.MassBreakage; mb != nil {
		fmt.Fprintf(w, "%s\nNothing is proposed: this looks like a bad merge or broken infrastructure, not broken packages.\n", mb)
		return
	}
	if res.Newest == 0 {
		return // Hydra was not read
	}
	fmt.Fprintf(w, "%s: %d persistent failures in evaluation %d (%d evaluations read)\n",
		cfg.Hydra.Jobset, len(res.Failures), res.Newest, res.Evaluations)
	for _, s := range sum.Skipped {
		fmt.Fprintf(w, "  not proposed: %s\n", s)
	}
	if sum.Deferred > 0 {
		fmt.Fprintf(w, "  %d more left for a later cycle (policy.max_open_prs × policy.max_markers_per_pr)\n", sum.Deferred)
	}
	if sum.Publish == nil {
		return
	}
	if dryRun {
		for _, p := range sum.Publish.PRs {
			if p.Status != prs.StatusDryRun {
				continue
			}
			fmt.Fprintf(w, "\n=== pull request %s: %s\n\n%s\n", p.Branch, p.Title, strings.TrimRight(p.Body, "\n"))
			for _, d := range p.Diffs {
				fmt.Fprintf(w, "\n%s", d.Diff)
			}
		}
		fmt.Fprintln(w)
	}
	sum.Publish.WriteSummary(w)
}

// writeRevertSummary prints what the revert loop did.
func writeRevertSummary(w io.Writer, r *bot.RevertSummary) {
	if r == nil {
		return
	}
	fmt.Fprintf(w, "revert: %d markers on the base branch, %d read there", r.Markers, r.Checked)
	if r.NotDue {
		fmt.Fprintln(w, "; none due for a probe (each was probed within probe.every and its derivation did not change)")
	} else {
		fmt.Fprintf(w, ", %d probed", len(r.Due))
		if r.ProbeEval != 0 {
			fmt.Fprintf(w, " (probe evaluation %d", r.ProbeEval)
			if len(r.Builds) > 0 {
				fmt.Fprintf(w, ", %d local builds", len(r.Builds))
			}
			fmt.Fprint(w, ")")
		} else if len(r.Builds) > 0 {
			fmt.Fprintf(w, " (%d local builds)", len(r.Builds))
		}
		narrowed := r.Narrowed()
		fmt.Fprintf(w, ": %d build again, %d on some systems only (marker narrowed), %d still failing\n", len(r.Changes)-narrowed, narrowed, len(r.Failing))
	}
	for _, n := range r.Builds {
		fmt.Fprintf(w, "  local build: %s\n", n)
	}
	for _, n := range r.ProbeErrors {
		fmt.Fprintf(w, "  probe did not run: %s\n", n)
	}
	for _, n := range r.HumanOwned {
		fmt.Fprintf(w, "  left to humans: %s\n", n)
	}
	for _, n := range r.Partial {
		fmt.Fprintf(w, "  some systems only: %s\n", n)
	}
	for _, n := range r.Unreadable {
		fmt.Fprintf(w, "  unreadable this time: %s\n", n)
	}
	if r.Publish != nil {
		r.Publish.WriteSummary(w)
	}
}

// markersOf reads markbot's markers for the cycle (nil without a store: a
// dry run does not read state).
func markersOf(st *state.Store) func(context.Context) ([]state.Marker, error) {
	if st == nil {
		return nil
	}
	return func(ctx context.Context) ([]state.Marker, error) {
		// The states bot.Cycle looks at: those on the base branch, and reverted.
		return st.Markers(ctx, state.Merged, state.Probing, state.Reverting, state.Reverted)
	}
}

// refusalsOf reads the mark changes refused within prs.RefusedFor (nil
// without a store: a dry run tries everything).
func refusalsOf(st *state.Store) func(context.Context) ([]prs.Refusal, error) {
	if st == nil {
		return nil
	}
	return func(ctx context.Context) ([]prs.Refusal, error) {
		return prs.Refusals(ctx, st, time.Now().Add(-prs.RefusedFor))
	}
}

// hydraClient is the Hydra client the configuration describes, with the
// evaluation cache beside the state database; progress goes to stderr
// when it is a terminal.
func hydraClient(cfg *config.Config, log *logrus.Logger, stderr io.Writer) (*hydra.Client, *hydra.Cache, error) {
	hopts := cfg.HydraOptions()
	hopts.Logger = log
	if isTerminal(stderr) {
		hopts.Progress = stderr
	}
	hc, err := hydra.New(hopts)
	if err != nil {
		return nil, nil, err
	}
	cache, err := hydra.OpenCache(filepath.Dir(cfg.State.Path), hc.BaseURL())
	if err != nil {
		return nil, nil, err
	}
	return hc, cache, nil
}
