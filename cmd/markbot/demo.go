package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/app"
	"github.com/nixpkgs-markbot/markbot/internal/config"
	"github.com/nixpkgs-markbot/markbot/internal/demo"
	"github.com/nixpkgs-markbot/markbot/internal/ghauth"
	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
	"github.com/nixpkgs-markbot/markbot/internal/report"
	"github.com/nixpkgs-markbot/markbot/internal/state"
	"github.com/nixpkgs-markbot/markbot/internal/udiff"
)

const demoUsage = `usage: markbot demo [--serve] [--site DIR] [-v]

Runs markbot's whole life cycle offline, against a fake Hydra and a fake
GitHub (a temporary git repository holding a sample nixpkgs tree), and
narrates it: detection, the batched marking pull requests (body and diff),
their merge, packages building again, and the revert pull request.
No configuration and no network needed. --serve then keeps markbot's
status page (the GitHub App server's, against the demo's state) up at a
printed localhost URL until interrupted. At the end it writes the maintainer
pages and feeds of two watched jobsets (markbot site) to --site DIR (default
$TMPDIR/markbot-demo-site).
`

func runDemo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("markbot demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "log each request and step")
	serveAfter := fs.Bool("serve", false, "keep the status page up afterwards, until interrupted")
	siteDir := fs.String("site", filepath.Join(os.TempDir(), "markbot-demo-site"), "where to write the demo's maintainer pages and feeds (`directory`, replaced)")
	fs.Usage = func() { fmt.Fprint(stderr, demoUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprint(stderr, demoUsage)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := playDemo(ctx, stdout, stderr, *verbose, *serveAfter, *siteDir); err != nil {
		fmt.Fprintf(stderr, "markbot demo: %v\n", err)
		return exitError
	}
	return exitOK
}

// playDemo runs the demo's story; every step is markbot's real code, only
// Hydra and GitHub are fakes.
func playDemo(ctx context.Context, out, stderr io.Writer, verbose, serveAfter bool, siteDir string) error {
	start := time.Now()
	w, err := demo.NewWorld()
	if err != nil {
		return err
	}
	defer w.Close()
	cfg, err := config.Load(w.Config)
	if err != nil {
		return err
	}
	// Lifted for the fakes: the configuration caps the rate at what
	// hydra.nixos.org allows, and probes at most hourly.
	cfg.Hydra.RequestsPerSecond = 1000
	cfg.Probe.Every = 0
	log := cliLogger(stderr, verbose)
	say := func(format string, args ...any) { fmt.Fprintf(out, format+"\n", args...) }
	step := func(n int, title string) { say("\n━━ %d. %s\n", n, title) }
	original := map[string]string{}
	seed, err := demo.SeedFiles()
	if err != nil {
		return err
	}
	for p, c := range seed {
		original[p] = c
	}

	say("markbot demo: a fake Hydra at %s and a fake GitHub at %s", w.HydraURL, w.GitHub.URL())
	say("holding a sample nixpkgs tree of %d package files (examples/nixpkgs). Configuration: %s", countNix(seed), w.Config)

	step(1, "Hydra: what fails, and what fails persistently")
	say("nixpkgs/unstable has %d evaluations, five days apart. In them cmatrix, figlet and sl fail everywhere,", demo.Evaluations)
	say("pv fails on Darwin only, python3{12,13}Packages.requests on x86_64-linux, python312Packages.httpx")
	say("fails while python313Packages.httpx (same file) builds, lzip is flaky, units only fails through a")
	say("dependency and fd's builds were aborted. Since the newest evaluation a human has moved figlet's lines")
	say("on master: markbot reads each file at the revision its packages index is from and carries the position")
	say("to master (figlet's by %d lines). It reads them and opens pull requests:\n", demo.MovedLines)
	before := w.Front.Stats()
	sum, err := runCycle(ctx, cfg, false, log, stderr)
	if err != nil {
		return err
	}
	writeRunSummary(out, cfg, sum, false)
	after := w.Front.Stats()
	say("Hydra (behind a model of hydra.nixos.org's front end) served that cycle %d requests, %.1f kB on the wire: %s; no 429, no decoy, no 504: %v.",
		after.Passed-before.Passed, float64(after.BytesTotal-before.BytesTotal)/1e3, frontKinds(before, after),
		after.TooManyRequests+after.Decoys+after.GatewayTimeouts == 0)
	opened := openedPRs(sum.Publish)
	if len(opened) == 0 {
		return fmt.Errorf("no pull request was opened")
	}

	step(2, "The marking pull requests, as maintainers see them")
	first := true
	for _, pr := range w.GitHub.PullRequests() {
		if !first {
			say("")
		}
		first = false
		showPR(out, w.GitHub, pr, original, true)
	}

	step(3, "Maintainers review and merge them")
	for _, pr := range w.GitHub.PullRequests() {
		if pr.State != "open" {
			continue
		}
		by := "a nixpkgs committer"
		if len(pr.Reviewers) > 0 {
			by = pr.Reviewers[0]
		}
		if _, err := w.GitHub.MergePullRequest(pr.Number, strings.Fields(by)[0], "merge"); err != nil {
			return fmt.Errorf("merging #%d: %w", pr.Number, err)
		}
		say("#%d merged by %s: %s", pr.Number, by, pr.Title)
	}

	step(4, "Weeks later: cmatrix and requests build again, pv on aarch64-darwin")
	say("Their upstreams fixed the bugs (pv's only on aarch64-darwin). Hydra no longer builds marked packages")
	say("on nixpkgs/unstable, but the %s jobset (evaluated with allowBroken) does, and now", demo.ProbeJobset)
	say("shows them green. cmatrix's and requests' markers come out; pv's is narrowed to x86_64-darwin.\n")
	// (Later than the markers also in whole seconds, which Hydra's
	// timestamps are.)
	w.AddProbeEval(time.Now().Add(time.Minute), map[string][]string{"cmatrix": nil, "python312Packages.requests": nil,
		"python313Packages.requests": nil, "pv": {"aarch64-darwin"}})
	sum, err = runCycle(ctx, cfg, false, log, stderr)
	if err != nil {
		return err
	}
	writeRevertSummary(out, sum.Revert)
	var reverts []githubtest.PullRequest
	for _, pr := range w.GitHub.PullRequests() {
		if pr.State == "open" && strings.Contains(pr.Body, `"kind":"unmark"`) {
			reverts = append(reverts, pr)
		}
	}
	if len(reverts) == 0 {
		return fmt.Errorf("no revert pull request was opened")
	}
	for _, pr := range reverts {
		say("")
		h, _ := prs.ParseHidden(pr.Body)
		showPR(out, w.GitHub, pr, original, len(h.Narrow) > 0) // a narrowing's body says what stays
	}

	step(5, "What Hydra no longer spends")
	if rep, err := savingsReport(ctx, cfg, log, stderr); err != nil {
		say("savings: %v", err)
	} else if err := writeSavingsTable(out, cfg, rep); err != nil {
		return err
	}

	step(6, "They are merged: the files are as their maintainers wrote them, pv's marker narrowed")
	for _, pr := range reverts {
		if _, err := w.GitHub.MergePullRequest(pr.Number, "alice-nix", "merge"); err != nil {
			return fmt.Errorf("merging #%d: %w", pr.Number, err)
		}
		say("#%d merged: %s", pr.Number, pr.Title)
	}
	for _, file := range []string{"pkgs/by-name/cm/cmatrix/package.nix", "pkgs/development/python-modules/requests/default.nix"} {
		got, err := w.GitHub.File("master", file)
		if err != nil {
			return err
		}
		if string(got) != original[file] {
			return fmt.Errorf("%s differs from the original after the revert", file)
		}
		say("%s: byte for byte the original", file)
	}
	pv, err := w.GitHub.File("master", "pkgs/by-name/pv/pv/package.nix")
	if err != nil {
		return err
	}
	if !strings.Contains(string(pv), "# markbot: broken on x86_64-darwin since") {
		return fmt.Errorf("pv's marker was not narrowed to x86_64-darwin:\n%s", pv)
	}
	say("pkgs/by-name/pv/pv/package.nix: marked broken on x86_64-darwin only now")
	// The next cycle records the merges: those markers are done.
	if _, err := runCycle(ctx, cfg, false, log, stderr); err != nil {
		return err
	}

	if siteDir != "" {
		step(7, "Pages and feeds for maintainers (markbot site)")
		if err := demoSite(ctx, cfg, siteDir, say, log, stderr); err != nil {
			return err
		}
	}
	say("\n━━ Done in %.1f s: %d marking pull requests opened and merged; markbot itself took %d markers out and narrowed %d, in %d pull requests.",
		time.Since(start).Seconds(), len(opened), len(sum.Revert.Changes)-sum.Revert.Narrowed(), sum.Revert.Narrowed(), len(reverts))
	say("Run `markbot run --config FILE` against hydra.nixos.org and GitHub for real (see README.md).")
	if serveAfter {
		return demoServe(ctx, cfg, w, out, log)
	}
	return nil
}

// demoServe keeps the GitHub App server up on the demo's state, for its
// status page, until ctx ends.
func demoServe(ctx context.Context, cfg *config.Config, w *demo.World, out io.Writer, log *logrus.Logger) error {
	st, err := state.Open(ctx, cfg.State.Path, state.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	gh, fork, err := ghauth.Clients(cfg, nil)
	if err != nil {
		return err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return err
	}
	o := appOptionsFork(cfg, log, st, gh, fork)
	o.Secret = secret
	o.CycleInterval = time.Hour
	o.NoCycleAtStart = true
	o.RepoURL = strings.TrimSuffix(w.GitHub.URL(), "api/v3/") + "NixOS/nixpkgs"
	srv, err := app.New(o)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nStatus page: %s/ (metrics: %s/metrics). Interrupt (Ctrl-C) to stop.\n", listenURL(ln.Addr()), listenURL(ln.Addr()))
	return srv.Serve(ctx, ln)
}

func countNix(files map[string]string) int {
	n := 0
	for p := range files {
		if strings.HasSuffix(p, ".nix") {
			n++
		}
	}
	return n
}

func openedPRs(r *prs.Result) []prs.PRResult {
	var out []prs.PRResult
	if r == nil {
		return nil
	}
	for _, p := range r.PRs {
		if p.Status == prs.StatusOpened {
			out = append(out, p)
		}
	}
	return out
}

// showPR prints a pull request: title, reviewers, labels, and (when body
// is set) its body; then the diff of its branch against the base.
func showPR(out io.Writer, gh *githubtest.Server, pr githubtest.PullRequest, base map[string]string, body bool) {
	fmt.Fprintf(out, "#%d %s\n", pr.Number, pr.Title)
	fmt.Fprintf(out, "   branch %s, labels %v, review requested from %v\n", pr.HeadRef, pr.Labels, pr.Reviewers)
	if body {
		fmt.Fprintf(out, "\n%s\n", indent(strings.TrimSpace(pr.Body), "   │ "))
	}
	var files []string
	for p := range base {
		files = append(files, p)
	}
	sort.Strings(files)
	for _, p := range files {
		head, err := gh.File(pr.HeadSHA, p)
		if err != nil {
			continue
		}
		// The base of an unmark PR is master with the markers in it.
		old := base[p]
		if b, err := gh.File(pr.BaseRef, p); err == nil && pr.Merged == false {
			old = string(b)
		}
		if d := udiff.Unified("a/"+p, "b/"+p, old, string(head)); d != "" {
			fmt.Fprintf(out, "\n%s", indent(d, "   "))
		}
	}
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// frontKinds lists the requests per kind of path between two readings of
// the front end's counters ("eval 4, jobset/evals 1, …").
func frontKinds(before, after hydratest.FrontEndStats) string {
	var kinds []string
	for k, n := range after.Requests {
		if d := n - before.Requests[k]; d > 0 {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, d))
		}
	}
	sort.Strings(kinds)
	return strings.Join(kinds, ", ")
}

// demoSite writes the site of two watched jobsets: master (marked) and the
// allow-broken probe jobset (reported).
func demoSite(ctx context.Context, cfg *config.Config, dir string, say func(string, ...any), log *logrus.Logger, stderr io.Writer) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	cfg.Watch = []config.WatchConfig{
		{Jobset: "nixpkgs/unstable", Role: config.RoleMark},
		{Jobset: demo.ProbeJobset, Role: config.RoleReport},
	}
	// Feeds carry absolute links: the demo's point at a local server
	// (python3 -m http.server -d DIR 8000 serves them there).
	site, err := buildSite(ctx, cfg, "http://127.0.0.1:8000/", nil, log, stderr)
	if err != nil {
		return err
	}
	site.Feed = report.Track(nil, site, site.Generated)
	if _, err := report.WriteSite(dir, site); err != nil {
		return err
	}
	say("Every maintainer and team gets a page and an Atom feed of what they maintain that fails on any watched")
	say("jobset (here nixpkgs/unstable, marked, and %s, reported): %d failures, %d maintainers,", demo.ProbeJobset, len(site.Failures), len(site.Maintainers))
	say("%d teams. Nobody is mailed or pinged; subscribing is the reader's choice. Open %s", len(site.Teams), filepath.Join(dir, "index.html"))
	return nil
}
