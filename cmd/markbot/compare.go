package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/breaks"
	"github.com/nixpkgs-markbot/markbot/internal/compare"
	"github.com/nixpkgs-markbot/markbot/internal/config"
	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/ghauth"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
	"github.com/nixpkgs-markbot/markbot/internal/version"
)

const compareUsage = `usage: markbot compare --base P/J --head P/J [--hydra URL] [--packages FILE|URL]
                       [--format table|json|markdown] [--post OWNER/REPO#N] [--state-dir DIR]
                       [--json-out FILE] [--rate R] [-v]

Compares the newest finished evaluation of the head jobset (a staging-next or
python-updates branch) with the base jobset's (master): regressions (the
package's own failure on head, built on base), fixes, and what is left out.
With --post, writes the markdown report as a comment on that pull request or
issue, or updates markbot's earlier comment there, mentioning only maintainers
no earlier version mentioned (MARKBOT_GITHUB_TOKEN). Exit codes: 0 done,
1 error (Hydra, GitHub, the packages index), 64 usage error.
`

func runCompare(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("base", "", "the base `project/jobset` (master: nixpkgs/unstable)")
	head := fs.String("head", "", "the head `project/jobset` (nixpkgs/staging-next, nixpkgs/python-updates)")
	hydraURL := fs.String("hydra", hydra.DefaultBaseURL, "Hydra base `URL`")
	packages := fs.String("packages", config.DefaultPackagesSource, "packages index: a `file or URL` of packages.json[.br] (maintainers)")
	format := fs.String("format", "table", "output: table, json (the full report) or markdown (the comment)")
	post := fs.String("post", "", "post the report as a comment on `OWNER/REPO#N` (updated in place on later runs)")
	as := fs.String("as", "", "only comments by this `login` are markbot's (default: any comment carrying the marker)")
	apiURL := fs.String("github-api", config.DefaultAPIURL, "GitHub REST API base `URL`, ending in /")
	stateDir := fs.String("state-dir", defaultStateDir(), "`directory` for markbot's state (evaluation and log caches, the full report)")
	jsonOut := fs.String("json-out", "", "where the full JSON report goes when the comment is shortened (`file`; default in --state-dir)")
	jsonURL := fs.String("json-url", "", "the `URL` readers find the full report at, named in a shortened comment instead of --json-out")
	ping := fs.String("ping", "maintainers", "mention maintainers (maintainers) or nobody (none)")
	pingDarwin := fs.Bool("ping-secondary-platforms", false, "also mention maintainers of packages that regress only on Darwin")
	maxMentions := fs.Int("max-mentions", compare.DefaultMaxMentions, "mention cap per maintainer set (teams count as one); above it nobody in the set is mentioned")
	maxLogs := fs.Int("max-logs", 40, "log tails fetched at most (each costs 3 Hydra requests); 0: none")
	confirm := fs.Int("confirm", failures.DefaultConfirmBudget, "ask Hydra whose failure each regression's head build is, for at most this many `builds` (1–2 requests each, answers cached; -1: none)")
	lookback := fs.Int("lookback", breaks.DefaultLookback, "at most this many `requests` to Hydra for the regressions' \"broke between\" ranges on head (0: none)")
	rate := fs.Float64("rate", 1, "requests per second to Hydra (hydra.nixos.org allows about 2)")
	contact := fs.String("contact", os.Getenv("MARKBOT_HYDRA_CONTACT"), "your `e-mail or URL`, sent in the User-Agent (required for hydra.nixos.org; default $MARKBOT_HYDRA_CONTACT)")
	read := fs.String("read", string(hydra.ReadPage), "how an evaluation is read: `page` or builds (small jobsets only)")
	verbose := fs.Bool("v", false, "log requests and steps")
	fs.Usage = func() { fmt.Fprint(stderr, compareUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "markbot compare: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	bj, ok := compare.ParseJobset(*base)
	if !ok {
		return usageErr("--base %q is not project/jobset (required)", *base)
	}
	hj, ok := compare.ParseJobset(*head)
	if !ok {
		return usageErr("--head %q is not project/jobset (required)", *head)
	}
	if bj == hj {
		return usageErr("--base and --head are the same jobset")
	}
	switch *format {
	case "table", "json", "markdown":
	default:
		return usageErr("--format %q: want table, json or markdown", *format)
	}
	if *ping != "maintainers" && *ping != "none" {
		return usageErr("--ping %q: want maintainers or none", *ping)
	}
	if *maxMentions < 1 {
		return usageErr("--max-mentions must be at least 1")
	}
	if *maxLogs < 0 {
		return usageErr("--max-logs must not be negative")
	}
	var target *compare.Target
	if *post != "" {
		t, ok := compare.ParseTarget(*post)
		if !ok {
			return usageErr("--post %q is not OWNER/REPO#N", *post)
		}
		target = &t
	}

	log := cliLogger(stderr, *verbose)
	hopts := hydra.Options{BaseURL: *hydraURL, Contact: *contact, Read: hydra.ReadMode(*read), Logger: log, Rate: *rate, Burst: 1}
	if isTerminal(stderr) {
		hopts.Progress = stderr
	}
	hc, err := hydra.New(hopts)
	if err != nil {
		return usageErr("%v", err)
	}
	cache, err := hydra.OpenCache(*stateDir, hc.BaseURL())
	if err != nil {
		fmt.Fprintf(stderr, "markbot compare: %v\n", err)
		return exitError
	}
	var gh *github.Client
	if target != nil {
		cfg := config.Default()
		cfg.GitHub.APIURL = *apiURL
		cfg.GitHub.Token = config.Secret(strings.TrimSpace(os.Getenv("MARKBOT_GITHUB_TOKEN")))
		if !cfg.GitHub.Token.IsSet() {
			fmt.Fprintln(stderr, "markbot compare: --post needs a GitHub token in MARKBOT_GITHUB_TOKEN")
			return exitError
		}
		if gh, err = ghauth.Client(cfg, nil); err != nil {
			return usageErr("%v", err)
		}
	}
	deps := compareDeps(hc, cache, *packages, nixpkgs.LoadOptions{UserAgent: version.UserAgent()}, gh, log)
	opts := compareSetup{Base: bj, Head: hj, Post: target, Author: *as,
		Ping:    compare.PingPolicy{None: *ping == "none", Max: *maxMentions, PingSecondaryPlatforms: *pingDarwin, Exclude: *as},
		Policy:  failures.DefaultPolicy(),
		MaxLogs: *maxLogs, Confirm: *confirm, Lookback: *lookback, StateDir: *stateDir, JSONOut: *jsonOut, JSONURL: *jsonURL,
	}.options(cache)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	res, err := compare.Run(ctx, deps, opts)
	if err != nil {
		fmt.Fprintf(stderr, "markbot compare: %v\n", err)
		return exitError
	}
	switch *format {
	case "json":
		err = res.Report.JSON(stdout)
	case "markdown":
		_, err = io.WriteString(stdout, res.Markdown.Body)
	default:
		err = res.Report.Table(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "markbot compare: %v\n", err)
		return exitError
	}
	if res.LogErrors > 0 {
		fmt.Fprintf(stderr, "markbot compare: %d log tails could not be read from Hydra (run with -v for why); the report links the builds\n", res.LogErrors)
	}
	if res.JSONPath != "" {
		fmt.Fprintf(stderr, "markbot compare: the comment is shortened to fit GitHub's limit; the full report is in %s\n", res.JSONPath)
	}
	switch res.Action {
	case compare.ActionCreated:
		fmt.Fprintf(stderr, "markbot compare: commented on %s: %s (mentioning %d)\n", target, res.Comment.URL, len(res.Markdown.Mentioned))
	case compare.ActionEdited:
		fmt.Fprintf(stderr, "markbot compare: updated the comment on %s: %s (mentioning %d more)\n", target, res.Comment.URL, len(res.Markdown.Mentioned))
	case compare.ActionUnchanged:
		fmt.Fprintf(stderr, "markbot compare: the comment on %s already says this: nothing written (%s)\n", target, res.Comment.URL)
	}
	return exitOK
}

// compareSetup is one comparison's settings, from markbot compare's flags
// or from a compare: entry of markbot serve's configuration; options turns
// them into compare.Options the same way for both.
type compareSetup struct {
	Base, Head compare.Jobset
	// Post, Author, Ping: see compare.Options.
	Post   *compare.Target
	Author string
	Ping   compare.PingPolicy
	Policy failures.Policy
	// MaxLogs is how many log tails are fetched at most; 0: none.
	MaxLogs int
	// Confirm and Lookback: see compare.Options.
	Confirm, Lookback int
	// StateDir holds the full JSON report by default
	// (<StateDir>/compare/BASE..HEAD.json).
	StateDir string
	// JSONOut overrides that path; JSONURL is where readers find it.
	JSONOut, JSONURL string
	// AfterHeadEval: see compare.Options (0: always compare).
	AfterHeadEval int64
}

// options are the compare.Options of s. Log tails are kept beside the
// Hydra cache's evaluations (<state dir>/hydra/<host>/logs).
func (s compareSetup) options(cache *hydra.Cache) compare.Options {
	out := s.JSONOut
	if out == "" {
		out = filepath.Join(s.StateDir, "compare", strings.ReplaceAll(s.Base.String()+".."+s.Head.String(), "/", "-")+".json")
	}
	o := compare.Options{Base: s.Base, Head: s.Head, Policy: s.Policy, Post: s.Post, Author: s.Author,
		Ping:     s.Ping,
		MaxLogs:  s.MaxLogs,
		Confirm:  s.Confirm,
		Lookback: s.Lookback,
		LogCache: hydra.LogTailsDir(cache),
		// Ranges are per head jobset and job: one file serves every entry.
		RangeCache: filepath.Join(filepath.Dir(cache.Dir()), "broke-between.json"),
		JSONOut:    out, JSONURL: s.JSONURL,
		AfterHeadEval: s.AfterHeadEval,
	}
	if s.MaxLogs == 0 {
		o.MaxLogs = -1
	}
	return o
}

// compareDeps are compare.Run's collaborators: the Hydra client and its
// evaluation cache, the packages index from source (loaded at most once,
// and only when a report has regressions or fixes to attribute) and, when
// gh is not nil, GitHub for posting.
func compareDeps(hc *hydra.Client, cache *hydra.Cache, source string, lo nixpkgs.LoadOptions, gh *github.Client, log logrus.FieldLogger) compare.Deps {
	var mu sync.Mutex
	var loaded *nixpkgs.Index
	d := compare.Deps{Hydra: hc, Cache: cache, Log: log,
		Index: func(ctx context.Context) (compare.Index, error) {
			mu.Lock()
			defer mu.Unlock()
			if loaded == nil {
				idx, err := nixpkgs.Load(ctx, source, lo)
				if err != nil {
					return nil, err
				}
				loaded = idx
			}
			return loaded, nil
		}}
	if gh != nil {
		d.GitHub = compare.FromGitHub(gh)
	}
	return d
}
