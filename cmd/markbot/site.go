package main

// markbot site: the maintainer pages and Atom feeds as static files
// (internal/report), from every watched jobset (watch:), markbot's state
// and the packages index.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/bot"
	"github.com/nixpkgs-markbot/markbot/internal/breaks"
	"github.com/nixpkgs-markbot/markbot/internal/config"
	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
	"github.com/nixpkgs-markbot/markbot/internal/report"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

const siteUsage = `usage: markbot site --config FILE --out DIR --base-url URL [-v]

Writes, for every GitHub login and team of the packages index, a page and
an Atom feed of what they maintain that fails persistently on any watched
jobset (watch:), and a page per jobset (the Zero Hydra Failures view), as
static files in DIR (replaced whole). Nobody is mailed or pinged. Each
watched jobset costs one reading of its new evaluations (cached). The
feeds remember what failed before in DIR/../<DIR>.history.json, so that a
package that builds again says so. Exit codes: 0 written, 1 error, 64 usage.
`

func runSite(args []string, stdout, stderr io.Writer) int {
	fs := newConfigFlags("markbot site", siteUsage, stderr)
	out := fs.String("out", "", "the `directory` to write the site to (required)")
	baseURL := fs.String("base-url", "", "the http(s) `URL` the site is published at, like https://OWNER.github.io/REPO/ (required: Atom links are absolute)")
	cfg, code := fs.load(args)
	if cfg == nil {
		return code
	}
	if *out == "" {
		fmt.Fprintln(stderr, "markbot site: --out DIR is required")
		return exitUsage
	}
	dir, err := filepath.Abs(*out)
	if err != nil {
		fmt.Fprintf(stderr, "markbot site: %v\n", err)
		return exitUsage
	}
	if *baseURL == "" {
		fmt.Fprintln(stderr, "markbot site: --base-url URL is required (where the site is published: feeds link absolutely)")
		return exitUsage
	}
	log := cliLogger(stderr, *fs.verbose)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	site, err := buildSite(ctx, cfg, *baseURL, nil, log, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "markbot site: %v\n", err)
		return exitError
	}
	hist := report.FileHistory{Path: filepath.Join(filepath.Dir(dir), filepath.Base(dir)+".history.json")}
	prev, err := hist.Load()
	if err != nil {
		fmt.Fprintf(stderr, "markbot site: %v\n", err)
		return exitError
	}
	site.Feed = report.Track(prev, site, site.Generated)
	stats, err := report.WriteSite(dir, site)
	if err != nil {
		fmt.Fprintf(stderr, "markbot site: %v\n", err)
		return exitError
	}
	if err := hist.Save(site.Feed); err != nil {
		fmt.Fprintf(stderr, "markbot site: the site is written, but its feed history is not: %v\n", err)
		return exitError
	}
	fmt.Fprintf(stdout, "markbot site: %d jobsets, %d failures, %d maintainers, %d teams: %s (%+v)\n",
		len(site.Jobsets), len(site.Failures), len(site.Maintainers), len(site.Teams), dir, stats)
	return exitOK
}

// buildSite reads every watched jobset and markbot's state into a Site.
// A jobset that cannot be read is on the site with its error (the pages
// say so, and its feed entries stay as they were), not a failure of the
// whole site.
func buildSite(ctx context.Context, cfg *config.Config, baseURL string, indexes *siteIndexes, log *logrus.Logger, stderr io.Writer) (*report.Site, error) {
	if indexes == nil {
		indexes = &siteIndexes{}
	}
	defer indexes.keepOnly()
	site := &report.Site{Generated: time.Now().UTC().Truncate(time.Second), BaseURL: baseURL}
	var people *nixpkgs.Index // the mark jobset's index, else the first one read
	for _, w := range cfg.Watched() {
		js := report.Jobset{Hydra: w.Hydra, Project: w.Project, Name: w.Jobset, Role: report.Role(w.Role)}
		fails, ix, err := readWatched(ctx, cfg, w, &js, indexes, log, stderr)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			js.Error = err.Error()
			log.WithField("jobset", w.Name()).WithError(err).Warn("site: jobset not read")
		}
		site.Jobsets = append(site.Jobsets, js)
		site.Failures = append(site.Failures, fails...)
		if ix != nil && (people == nil || w.Role == config.RoleMark) {
			people = ix
		}
	}
	if people != nil {
		site.Maintainers, site.Teams = report.People(people)
	}
	if _, err := os.Stat(cfg.State.Path); err == nil {
		st, err := state.Open(ctx, cfg.State.Path, state.Options{})
		if err != nil {
			return nil, err
		}
		defer st.Close()
		s := report.State{RepoURL: "https://github.com/" + cfg.GitHub.Repository, Probes: map[int64][]state.Probe{}}
		if s.Markers, err = st.Markers(ctx); err != nil {
			return nil, err
		}
		for _, m := range s.Markers {
			if s.Probes[m.ID], err = st.LatestProbes(ctx, m.ID); err != nil {
				return nil, err
			}
		}
		if s.PRs, err = st.PRs(ctx); err != nil {
			return nil, err
		}
		refusals, err := prs.Refusals(ctx, st, time.Now().Add(-prs.RefusedFor))
		if err != nil {
			return nil, err
		}
		s.Refusals = map[string]string{}
		for _, r := range refusals {
			s.Refusals[r.Attr] = fmt.Sprintf("%s (build %d, %s): %s", r.Outcome, r.BuildID, r.At.UTC().Format(time.DateOnly), r.Reason)
		}
		report.FromState(site, s, people)
	}
	return site, nil
}

// readWatched reads one watched jobset: its history, the persistent
// failures, where they broke (from the history read: no request) and its
// packages index (the newest evaluation's, else packages.source).
func readWatched(ctx context.Context, cfg *config.Config, w config.Watched, js *report.Jobset, indexes *siteIndexes, log *logrus.Logger, stderr io.Writer) ([]report.Failure, *nixpkgs.Index, error) {
	opts := cfg.HydraOptions()
	opts.BaseURL, opts.Logger = w.Hydra, log
	hc, err := hydra.New(opts)
	if err != nil {
		return nil, nil, err
	}
	cache, err := hydra.OpenCache(filepath.Dir(cfg.State.Path), hc.BaseURL())
	if err != nil {
		return nil, nil, err
	}
	records, err := hc.History(ctx, cache, w.Project, w.Jobset, w.Evaluations)
	if err != nil {
		return nil, nil, err
	}
	newest := records[0]
	js.Eval, js.EvalTime, js.Revision = newest.Eval, time.Unix(newest.Timestamp, 0).UTC(), newest.Revision
	history := make([]failures.Evaluation, len(records))
	for i, er := range records {
		history[i] = failures.FromRecords(er)
	}
	// As the marking cycle decides: a dependency's failure copied onto a
	// build is nobody's here either (answers cached beside the evaluations).
	res, err := bot.Decide(ctx, hc, cache, history, w.Policy, cfg.Hydra.ConfirmBuilds, log)
	if err != nil {
		return nil, nil, err
	}
	js.Jobs = res.Jobs
	if res.MassBreakage != nil {
		return nil, nil, errors.New(res.MassBreakage.String())
	}
	key := hc.BaseURL() + " " + strconv.FormatInt(newest.Eval, 10)
	ix, ok := indexes.get(key)
	if !ok {
		src := &bot.IndexSource{Hydra: hc, Fallback: cfg.Packages.Source, Load: cfg.PackagesLoadOptions(), Log: log,
			Cache: hydra.PackagesCache{Dir: hydra.PackagesCacheDir(cache)}}
		if bi, err := src.Index(ctx, newest); err == nil {
			ix, _ = bi.(*nixpkgs.Index)
			indexes.put(key, ix)
		} else {
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			log.WithField("jobset", w.Name()).WithError(err).Warn("site: no packages index: failures without maintainers")
		}
	} else {
		indexes.put(key, ix) // still in use
	}
	fs := report.FromDetection(*js, res, ix, breaks.Revisions(records))
	if err := lookBack(ctx, hc, cache, w, res, records, fs, log); err != nil {
		return nil, nil, err
	}
	return fs, ix, nil
}

// lookBack fills the "broke between" ranges the history read does not
// reach, from Hydra's per-job routes (internal/breaks), within
// breaks.DefaultLookback requests per jobset and reading; ranges found are
// kept beside the evaluation cache (broke-between.json, shared with
// markbot compare, whose commit counts the pages then show), so each costs
// its requests once. fs is
// report.FromDetection(res): one failure per res failure, in order. A
// request that fails leaves that range unknown; only a cancelled ctx is
// an error.
func lookBack(ctx context.Context, hc *hydra.Client, cache *hydra.Cache, w config.Watched, res failures.Result, records []*hydra.EvalRecords, fs []report.Failure, log logrus.FieldLogger) error {
	f, err := breaks.Open(filepath.Join(filepath.Dir(cache.Dir()), "broke-between.json"), hc, breaks.DefaultLookback)
	if err != nil {
		log.WithError(err).Warn("site: broke-between cache unreadable: looking ranges up again")
	}
	revs := breaks.Revisions(records)
	for i := range res.Failures {
		if i >= len(fs) || fs[i].BrokeBetween != nil || len(res.Failures[i].PerSystem) == 0 {
			continue
		}
		first := res.Failures[i].PerSystem[0]
		for _, sf := range res.Failures[i].PerSystem[1:] {
			if sf.FirstFailingEval < first.FirstFailingEval {
				first = sf
			}
		}
		r, ok, err := f.Find(ctx, w.Project, w.Jobset, first, revs)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			log.WithError(err).WithField("attr", fs[i].Attr).Info("site: broke between unknown")
			continue
		}
		if ok {
			fs[i].BrokeBetween = report.NewRange(r.Good.Revision, r.Bad.Revision, -1)
		}
	}
	// Commit counts markbot compare got from GitHub for the same ranges
	// (the site itself asks GitHub nothing).
	for i := range fs {
		if br := fs[i].BrokeBetween; br != nil && br.Commits < 0 {
			if n, ok := f.Commits[br.Good+"..."+br.Bad]; ok && n >= 0 {
				br.Commits = n
			}
		}
	}
	if err := f.Save(); err != nil {
		log.WithError(err).Warn("site: broke-between cache not saved")
	}
	if f.Spent() > 0 {
		log.WithFields(logrus.Fields{"jobset": w.Name(), "requests": f.Spent()}).Info("site: looked back on Hydra for broke-between ranges")
	}
	return nil
}

// siteIndexes keeps the packages index of each watched jobset's newest
// evaluation between rebuilds of the site (markbot serve rebuilds it every
// cycle): an index is downloaded once per new evaluation, not per cycle.
// Indexes not used by the last rebuild are dropped. Not safe for
// concurrent rebuilds (serve runs one cycle at a time).
type siteIndexes struct {
	m, used map[string]*nixpkgs.Index
}

func (c *siteIndexes) get(key string) (*nixpkgs.Index, bool) {
	ix, ok := c.m[key]
	return ix, ok
}

func (c *siteIndexes) put(key string, ix *nixpkgs.Index) {
	if c.used == nil {
		c.used = map[string]*nixpkgs.Index{}
	}
	c.used[key] = ix
}

// keepOnly ends a rebuild: what it used is what is kept.
func (c *siteIndexes) keepOnly() { c.m, c.used = c.used, nil }
