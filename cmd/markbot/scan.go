package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/term"

	"github.com/nixpkgs-markbot/markbot/internal/bot"
	"github.com/nixpkgs-markbot/markbot/internal/breaks"
	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

// exitMassBreakage is markbot scan's exit code when the newest evaluation
// looks like a mass breakage: nothing is proposed.
const exitMassBreakage = 2

// scanSchema versions the JSON markbot scan --json writes (docs/hydra.md).
const scanSchema = 2

func runScan(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pol := failures.DefaultPolicy()
	hydraURL := fs.String("hydra", hydra.DefaultBaseURL, "Hydra base `URL`")
	jobset := fs.String("jobset", hydra.DefaultProject+"/"+hydra.DefaultJobset, "`project/jobset` to scan")
	nEvals := fs.Int("evals", 10, "number of finished evaluations to read, newest first")
	fs.IntVar(&pol.MinDays, "min-days", pol.MinDays, "days a single derivation must have been failing (D)")
	asJSON := fs.Bool("json", false, "write JSON (schema in docs/hydra.md) instead of a table")
	stateDir := fs.String("state-dir", defaultStateDir(), "`directory` for markbot's state (the evaluation cache)")
	rate := fs.Float64("rate", 1, "requests per second to Hydra (hydra.nixos.org allows about 2)")
	contact := fs.String("contact", os.Getenv("MARKBOT_HYDRA_CONTACT"), "your `e-mail or URL`, sent in the User-Agent (required for hydra.nixos.org; default $MARKBOT_HYDRA_CONTACT)")
	lookback := fs.Int("lookback", breaks.DefaultLookback, "with --json, at most this many `requests` to Hydra for \"broke between\" ranges the evaluations read do not reach (0: none)")
	confirm := fs.Int("confirm", failures.DefaultConfirmBudget, "ask Hydra about at most this many failing `builds` whose status may be a dependency's (each one or two requests, answers cached); a failure not asked about is not listed")
	read := fs.String("read", string(hydra.ReadPage), "how an evaluation is read: `page` (the evaluation page, works at nixpkgs scale) or builds (/eval/N/builds, small jobsets only)")
	verbose := fs.Bool("v", false, "log every request, retries, and per evaluation its requests, bytes and time")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: markbot scan [--hydra URL] [--contact EMAIL] [--jobset P/J] [--evals N] [--min-days D] [--read page|builds] [--confirm N] [--lookback R] [--json] [--state-dir DIR] [-v]")
		fmt.Fprintln(stderr, "\nLists the packages that fail persistently on Hydra. Exit 2: mass breakage, nothing proposed.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	project, js, ok := strings.Cut(*jobset, "/")
	if fs.NArg() > 0 || !ok || project == "" || js == "" || strings.Contains(js, "/") || *nEvals < 1 {
		switch {
		case fs.NArg() > 0:
			fmt.Fprintf(stderr, "markbot scan: unexpected argument %q\n", fs.Arg(0))
		case *nEvals < 1:
			fmt.Fprintln(stderr, "markbot scan: --evals must be at least 1")
		default:
			fmt.Fprintf(stderr, "markbot scan: --jobset %q is not project/jobset\n", *jobset)
		}
		return exitUsage
	}
	if err := pol.Validate(); err != nil {
		fmt.Fprintf(stderr, "markbot scan: %v\n", err)
		return exitUsage
	}

	log := logrus.New()
	log.SetOutput(stderr)
	log.SetLevel(logrus.WarnLevel)
	if *verbose {
		log.SetLevel(logrus.DebugLevel)
	}
	opts := hydra.Options{BaseURL: *hydraURL, Contact: *contact, Logger: log, Rate: *rate, Burst: 1, Read: hydra.ReadMode(*read)}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		opts.Progress = stderr
	}
	client, err := hydra.New(opts)
	if err != nil {
		fmt.Fprintf(stderr, "markbot scan: %v\n", err)
		return exitUsage
	}
	cache, err := hydra.OpenCache(*stateDir, client.BaseURL())
	if err != nil {
		fmt.Fprintf(stderr, "markbot scan: %v\n", err)
		return exitError
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	records, err := client.History(ctx, cache, project, js, *nEvals)
	if err != nil {
		fmt.Fprintf(stderr, "markbot scan: reading Hydra at %s: %v\n", client.BaseURL(), err)
		return exitError
	}
	history := make([]failures.Evaluation, len(records))
	for i, er := range records {
		history[i] = failures.FromRecords(er)
	}
	res, err := bot.Decide(ctx, client, cache, history, pol, *confirm, log)
	if err != nil {
		fmt.Fprintf(stderr, "markbot scan: %v\n", err)
		return exitError
	}
	if len(history) < pol.Evaluations {
		fmt.Fprintf(stderr, "markbot scan: only %d finished evaluations; a failure needs %d to count as persistent\n",
			len(history), pol.Evaluations)
	}
	if *asJSON {
		// "Broke between" is only in the JSON: the table costs no request.
		var ranges map[string]breaks.Range
		if ranges, err = brokeBetween(ctx, client, project, js, records, res, *lookback); err != nil {
			fmt.Fprintf(stderr, "markbot scan: reading Hydra at %s: %v\n", client.BaseURL(), err)
			return exitError
		}
		err = writeScanJSON(stdout, client, *jobset, history, pol, res, ranges)
	} else {
		err = writeScanTable(stdout, client, *jobset, pol, res)
	}
	if err != nil {
		fmt.Fprintf(stderr, "markbot scan: %v\n", err)
		return exitError
	}
	if res.MassBreakage != nil {
		return exitMassBreakage
	}
	return exitOK
}

// defaultStateDir is $XDG_STATE_HOME/markbot, else ~/.local/state/markbot.
func defaultStateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "markbot")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "state", "markbot")
	}
	return ".markbot-state"
}

// readHistory gets the n newest finished evaluations into the cache (each
// fetched at most once, ever) and loads them.
func writeScanTable(w io.Writer, c *hydra.Client, jobset string, p failures.Policy, res failures.Result) error {
	if mb := res.MassBreakage; mb != nil {
		_, err := fmt.Fprintf(w, "%s\nNothing is proposed: this looks like a bad merge or broken infrastructure, not broken packages.\n", mb)
		return err
	}
	fmt.Fprintf(w, "%d persistent failures in %s, evaluation %d (%s), %d evaluations read; K=%d, D=%d days\n",
		len(res.Failures), jobset, res.Newest, res.NewestTime.Format("2006-01-02 15:04"), res.Evaluations, p.Evaluations, p.MinDays)
	if n := len(res.Unconfirmed); n > 0 {
		fmt.Fprintf(w, "%d more not listed: their builds' statuses may be a dependency's failure, and Hydra was not asked about them yet (--confirm); a rerun asks again\n", n)
	}
	if len(res.Failures) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ATTRIBUTE\tSYSTEMS\tFAILING SINCE\tDRVS\tBUILD")
	for _, f := range res.Failures {
		days := int(res.NewestTime.Sub(f.FailingSince).Hours() / 24)
		fmt.Fprintf(tw, "%s\t%s\t%s (%dd)\t%d\t%s\n", f.Attr, strings.Join(f.Systems, ","),
			f.FailingSince.Format("2006-01-02"), days, f.Derivations, c.BuildURL(f.PerSystem[0].Build))
	}
	return tw.Flush()
}

// brokeBetween finds the range of every failing system, spending at most
// budget requests on the ones the history does not reach.
func brokeBetween(ctx context.Context, c *hydra.Client, project, jobset string, history []*hydra.EvalRecords, res failures.Result, budget int) (map[string]breaks.Range, error) {
	revs := breaks.Revisions(history)
	f := &breaks.Finder{Hydra: c, Budget: budget}
	out := map[string]breaks.Range{}
	for _, fl := range res.Failures {
		for _, sf := range fl.PerSystem {
			r, ok, err := f.Find(ctx, project, jobset, sf, revs)
			if err != nil {
				return nil, err
			}
			if ok {
				out[sf.Job] = r
			}
		}
	}
	return out, nil
}

// The JSON of markbot scan --json, schema 2 (docs/hydra.md). Fields are only
// ever added within a schema version.
type scanJSON struct {
	Schema       int            `json:"schema"`
	Hydra        string         `json:"hydra"`
	Jobset       string         `json:"jobset"`
	Evaluations  []scanEvalJSON `json:"evaluations"`
	Policy       scanPolicyJSON `json:"policy"`
	Verdict      string         `json:"verdict"`
	MassBreakage *scanMassJSON  `json:"mass_breakage"`
	Failures     []scanFailJSON `json:"failures"`
	Filtered     int            `json:"filtered"`
	Jobs         int            `json:"jobs"`
	// Unconfirmed are attributes failing persistently by the evaluation
	// page whose builds Hydra was not asked about yet (--confirm).
	Unconfirmed []string `json:"unconfirmed"`
}

type scanEvalJSON struct {
	ID   int64     `json:"id"`
	Time time.Time `json:"time"`
}

type scanPolicyJSON struct {
	Evaluations       int      `json:"evaluations"`
	MinDays           int      `json:"min_days"`
	MinDerivations    int      `json:"min_derivations"`
	OwnFailure        []int    `json:"own_failure_statuses"`
	MassBreakageShare float64  `json:"mass_breakage_share"`
	Systems           []string `json:"systems"`
}

type scanMassJSON struct {
	Eval         int64   `json:"eval"`
	PreviousEval int64   `json:"previous_eval"`
	NewlyFailing int     `json:"newly_failing"`
	Jobs         int     `json:"jobs"`
	Share        float64 `json:"share"`
	Threshold    float64 `json:"threshold"`
}

type scanBuildRefJSON struct {
	Build int64     `json:"build"`
	URL   string    `json:"url"`
	Eval  int64     `json:"eval"`
	Time  time.Time `json:"time"`
}

type scanBuildTimeJSON struct {
	Eval    int64  `json:"eval"`
	Build   int64  `json:"build"`
	Seconds *int64 `json:"seconds"`
	Reused  bool   `json:"reused"`
}

type scanSystemJSON struct {
	System           string              `json:"system"`
	Job              string              `json:"job"`
	Build            int64               `json:"build"`
	BuildURL         string              `json:"build_url"`
	Status           int                 `json:"status"`
	FirstFailingEval int64               `json:"first_failing_eval"`
	FailingSince     time.Time           `json:"failing_since"`
	Evaluations      int                 `json:"evaluations"`
	Derivations      int                 `json:"derivations"`
	LastSuccess      *scanBuildRefJSON   `json:"last_success"`
	BrokeBetween     *scanRangeJSON      `json:"broke_between"`
	BuildTimes       []scanBuildTimeJSON `json:"build_times"`
}

type scanFailJSON struct {
	Attr             string            `json:"attr"`
	Systems          []string          `json:"systems"`
	FailingSince     time.Time         `json:"failing_since"`
	FirstFailingEval int64             `json:"first_failing_eval"`
	Derivations      int               `json:"derivations"`
	BuildURL         string            `json:"build_url"`
	LastSuccess      *scanBuildRefJSON `json:"last_success"`
	PerSystem        []scanSystemJSON  `json:"per_system"`
}

// scanRangeJSON is a "broke between" range; null when unknown.
type scanRangeJSON struct {
	Good       scanPointJSON `json:"good"`
	Bad        scanPointJSON `json:"bad"`
	Exact      bool          `json:"exact"`
	CompareURL string        `json:"compare_url"`
}

type scanPointJSON struct {
	Eval     int64  `json:"eval"`
	Revision string `json:"revision"`
}

func writeScanJSON(w io.Writer, c *hydra.Client, jobset string, history []failures.Evaluation, p failures.Policy, res failures.Result, ranges map[string]breaks.Range) error {
	ref := func(r *failures.BuildRef) *scanBuildRefJSON {
		if r == nil {
			return nil
		}
		return &scanBuildRefJSON{Build: r.Build, URL: c.BuildURL(r.Build), Eval: r.Eval, Time: r.Time}
	}
	out := scanJSON{
		Schema: scanSchema, Hydra: strings.TrimRight(c.BaseURL(), "/"), Jobset: jobset, Verdict: "ok",
		Failures: []scanFailJSON{}, Filtered: res.Filtered, Jobs: res.Jobs, Unconfirmed: append([]string{}, res.Unconfirmed...),
		Policy: scanPolicyJSON{Evaluations: p.Evaluations, MinDays: p.MinDays, MinDerivations: p.MinDerivations,
			MassBreakageShare: p.MassBreakageShare, Systems: p.Systems},
	}
	for _, s := range p.OwnFailure {
		out.Policy.OwnFailure = append(out.Policy.OwnFailure, int(s))
	}
	if p.IncludeLogLimit {
		out.Policy.OwnFailure = append(out.Policy.OwnFailure, int(hydra.StatusLogLimitExceeded))
	}
	if p.IncludeOutputLimit {
		out.Policy.OwnFailure = append(out.Policy.OwnFailure, int(hydra.StatusOutputLimitExceeds))
	}
	for _, e := range history {
		out.Evaluations = append(out.Evaluations, scanEvalJSON{ID: e.ID, Time: e.Time})
	}
	if mb := res.MassBreakage; mb != nil {
		out.Verdict = "mass-breakage"
		out.MassBreakage = &scanMassJSON{Eval: mb.Eval, PreviousEval: mb.PreviousEval, NewlyFailing: mb.NewlyFailing,
			Jobs: mb.Jobs, Share: mb.Share, Threshold: mb.Threshold}
	}
	for _, f := range res.Failures {
		jf := scanFailJSON{Attr: f.Attr, Systems: f.Systems, FailingSince: f.FailingSince, FirstFailingEval: f.FirstFailingEval,
			Derivations: f.Derivations, BuildURL: c.BuildURL(f.PerSystem[0].Build), LastSuccess: ref(f.LastSuccess)}
		for _, s := range f.PerSystem {
			js := scanSystemJSON{System: s.System, Job: s.Job, Build: s.Build, BuildURL: c.BuildURL(s.Build), Status: int(s.Status),
				FirstFailingEval: s.FirstFailingEval, FailingSince: s.FailingSince,
				Evaluations: s.Evaluations, Derivations: s.Derivations, LastSuccess: ref(s.LastSuccess)}
			if r, ok := ranges[s.Job]; ok {
				js.BrokeBetween = &scanRangeJSON{Good: scanPointJSON(r.Good), Bad: scanPointJSON(r.Bad), Exact: r.Exact,
					CompareURL: r.CompareURL("NixOS/nixpkgs")}
			}
			for _, bt := range s.BuildTimes {
				jb := scanBuildTimeJSON{Eval: bt.Eval, Build: bt.Build, Reused: bt.Reused}
				if bt.Seconds > 0 {
					jb.Seconds = &bt.Seconds
				}
				js.BuildTimes = append(js.BuildTimes, jb)
			}
			jf.PerSystem = append(jf.PerSystem, js)
		}
		out.Failures = append(out.Failures, jf)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
