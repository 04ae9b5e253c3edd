package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/app"
	"github.com/nixpkgs-markbot/markbot/internal/bot"
	"github.com/nixpkgs-markbot/markbot/internal/config"
	"github.com/nixpkgs-markbot/markbot/internal/ghauth"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
	"github.com/nixpkgs-markbot/markbot/internal/report"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

const serveUsage = `usage: markbot serve --config FILE [--init] [-v]

Runs the GitHub App server on server.listen: a reconcile cycle at start and
every server.cycle_interval, GitHub's webhooks on POST /webhook (a closed
markbot pull request starts a cycle; comment commands @markbot help,
recheck and drop <attr>), GET /healthz, GET /metrics (Prometheus) and a
status page on GET /. After each cycle, each compare: entry whose head
jobset has a new finished evaluation is compared and its report posted on
post_to, or markbot's comment there edited (as markbot compare --post).
Needs the App's credentials and the webhook secret
(github.app_id, github.installation_id, github.private_key_file,
github.webhook_secret_file); authenticates as the App even when
MARKBOT_GITHUB_TOKEN is set. Logs JSON to stderr. Stops gracefully on
SIGINT or SIGTERM. Exit codes: 0 stopped, 1 error, 64 usage error.
`

func runServe(args []string, stdout, stderr io.Writer) int {
	fs := newConfigFlags("markbot serve", serveUsage, stderr)
	initDB := fs.Bool("init", false, "start afresh when the state database is an empty (0-byte) file, which is otherwise refused")
	cfg, code := fs.load(args)
	if cfg == nil {
		return code
	}
	if *initDB {
		if err := initState(cfg.State.Path); err != nil {
			fmt.Fprintf(stderr, "markbot serve: %v\n", err)
			return exitError
		}
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "markbot serve: %v\n", err)
		return exitError
	}
	if err := cfg.RequireApp(); err != nil {
		return fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, cfg, serverLogger(stderr, *fs.verbose), stdout, stderr)
}

// serve runs the server with a loaded configuration until ctx ends.
func serve(ctx context.Context, cfg *config.Config, log *logrus.Logger, stdout, stderr io.Writer) int {
	fail := func(err error) int {
		fmt.Fprintf(stderr, "markbot serve: %v\n", err)
		return exitError
	}
	if err := cfg.RequireApp(); err != nil {
		return fail(err)
	}
	cfg.SetLogger(log) // warnings about the secret files go to the server's log
	secret, err := cfg.ReadWebhookSecret()
	if err != nil {
		return fail(err)
	}
	cfg.GitHub.Token = "" // the server acts as the App

	st, err := state.Open(ctx, cfg.State.Path, state.Options{})
	if err != nil {
		return fail(err)
	}
	defer st.Close()
	// The server's own client (drops, comment replies, the status page's
	// reads) makes conditional reads too, kept in the same state database
	// as the cycles' (etags.go).
	gh, fork, err := ghauth.Clients(cfg, newETagWiring(cfg, log).use(st).wrap(nil))
	if err != nil {
		return fail(err)
	}
	if err := ghauth.VerifyInstallations(ctx, cfg); err != nil {
		return fail(err)
	}
	o := appOptionsFork(cfg, log, st, gh, fork)
	o.Secret = secret
	srv, err := app.New(o)
	if err != nil {
		return fail(err)
	}
	ln, err := net.Listen("tcp", cfg.Server.Listen)
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stdout, "markbot serve: listening on %s (webhook: POST %s/webhook)\n", listenURL(ln.Addr()), listenURL(ln.Addr()))
	if err := srv.Serve(ctx, ln); err != nil {
		return fail(err)
	}
	return exitOK
}

// serverLogger logs JSON (one object a line, for the journal and log
// shippers) at info level, debug with -v.
func serverLogger(w io.Writer, verbose bool) *logrus.Logger {
	log := logrus.New()
	log.SetOutput(w)
	log.SetFormatter(&logrus.JSONFormatter{})
	log.SetLevel(logrus.InfoLevel)
	if verbose {
		log.SetLevel(logrus.DebugLevel)
	}
	return log
}

// listenURL is the address to print: 127.0.0.1 for an unspecified host.
func listenURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// repoWebURL is the repository's web address: github.com for the public
// API, the Enterprise host (API URL without /api/v3/) otherwise.
func repoWebURL(apiURL, repository string) string {
	if apiURL == "" || apiURL == config.DefaultAPIURL {
		return "https://github.com/" + repository
	}
	base := strings.TrimSuffix(strings.TrimSuffix(apiURL, "/"), "/api/v3")
	return base + "/" + repository
}

// savingsText is the status page's "compute saved" line, from the same
// estimate as markbot savings.
func savingsText(ctx context.Context, cfg *config.Config, log *logrus.Logger) (string, error) {
	rep, err := savingsReport(ctx, cfg, log, io.Discard)
	if err != nil {
		return "", err
	}
	if len(rep.Packages) == 0 {
		return "nothing yet (no live markers)", nil
	}
	s := fmt.Sprintf("%s build-hours per week (merged markers)", hours(rep.Total))
	if rep.IfMerged > 0 {
		s += fmt.Sprintf("; %s more if the open pull requests are merged", hours(rep.IfMerged))
	}
	return s, nil
}

// appOptions wires the App server to markbot's cycle, state and GitHub
// client (the secret and anything else specific is set by the caller).
func appOptions(cfg *config.Config, log *logrus.Logger, st *state.Store, gh *github.Client) app.Options {
	return appOptionsFork(cfg, log, st, gh, nil)
}

// appOptionsFork is appOptions with the client writing to github.fork
// when it takes its own credentials (nil: gh's reach it; ghauth.Clients).
func appOptionsFork(cfg *config.Config, log *logrus.Logger, st *state.Store, gh, fork *github.Client) app.Options {
	owner, repo := cfg.GitHub.RepositoryParts()
	pages := &servedSite{history: report.FileHistory{Path: filepath.Join(filepath.Dir(cfg.State.Path), "site-history.json")}}
	// What the last cycle read of markbot's pull requests, kept while the
	// webhooks tell of no change to them (prs.Views): an idle cycle then
	// makes no GitHub request. The server's own drops share it, so their
	// writes make the next cycle read again.
	views := prs.NewViews(cfg.Server.ResyncInterval)
	dropOpts := prsOptions(cfg, false, log)
	dropOpts.Views = views
	return app.Options{
		MaxBodyBytes:  int64(cfg.Server.MaxBodyBytes),
		CycleInterval: cfg.Server.CycleInterval,
		GitHubChanged: views.Changed,
		Cycle: func(ctx context.Context) (*bot.Summary, error) {
			sum, err := runCycleViews(ctx, cfg, false, views, log, io.Discard)
			// The compare: entries, whatever the cycle found: each posts
			// once per new evaluation of its head, and a failing one is
			// logged, not the cycle's failure.
			serveCompares(ctx, cfg, log, st, gh)
			// The pages and feeds of every watched jobset, for /maintainers/…
			pages.refresh(ctx, cfg, log)
			return sum, err
		},
		Pages:        report.Handler(pages.latest),
		Savings:      func(ctx context.Context) (string, error) { return savingsText(ctx, cfg, log) },
		Store:        st,
		PullRequests: gh.PullRequests,
		Comments:     gh.Issues,
		Owner:        owner,
		Repo:         repo,
		RepoURL:      repoWebURL(cfg.GitHub.APIURL, cfg.GitHub.Repository),
		BranchPrefix: cfg.GitHub.BranchPrefix,
		BotLogin:     cfg.GitHub.BotLogin,
		SkipFor:      cfg.Policy.SkipAfterClose,
		Log:          log,
		Drop:         prs.Dropper(prs.FromGitHub(gh).WithFork(fork), st, dropOpts),
	}
}

// servedSite is the site markbot serve answers /maintainers/… from: made
// after each cycle from the cycle's cached readings, kept in memory.
type servedSite struct {
	history report.FileHistory
	indexes siteIndexes
	cur     atomic.Pointer[report.Site]
}

func (p *servedSite) latest() (*report.Site, error) {
	if s := p.cur.Load(); s != nil {
		return s, nil
	}
	return nil, errors.New("the first cycle has not finished yet")
}

// refresh rebuilds the site (each watched jobset: the latest-eval lookup
// and its evaluations list, the rest from the cache). A failure keeps the
// previous site and is logged.
func (p *servedSite) refresh(ctx context.Context, cfg *config.Config, log *logrus.Logger) {
	site, err := buildSite(ctx, cfg, cfg.Server.BaseURL(), &p.indexes, log, io.Discard)
	if err == nil {
		var prev []report.Tracked
		if prev, err = p.history.Load(); err == nil {
			site.Feed = report.Track(prev, site, site.Generated)
			err = p.history.Save(site.Feed)
		}
	}
	if err != nil {
		log.WithError(err).Warn("serve: pages not refreshed")
		return
	}
	p.cur.Store(site)
}
