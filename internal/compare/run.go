package compare

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

// Hydra is what Run reads from Hydra (*hydra.Client satisfies it).
type Hydra interface {
	LatestEval(ctx context.Context, project, jobset string) (hydra.Eval, error)
	EachEval(ctx context.Context, project, jobset string, fn func(hydra.Eval) bool) error
	Ingest(ctx context.Context, cache *hydra.Cache, e hydra.Eval) (cached bool, err error)
	LogTail(ctx context.Context, buildID int64, n int) ([]string, error)
	BaseURL() string
}

// Comment is an issue or pull request comment.
type Comment struct {
	ID     int64
	Author string
	Body   string
	URL    string
}

// GitHub is what posting needs (FromGitHub adapts go-github).
type GitHub interface {
	// Comments lists every comment of issue or PR number, oldest first.
	Comments(ctx context.Context, owner, repo string, number int) ([]Comment, error)
	CreateComment(ctx context.Context, owner, repo string, number int, body string) (Comment, error)
	EditComment(ctx context.Context, owner, repo string, id int64, body string) (Comment, error)
	// Login resolves a GitHub account id to its current login ("" for a
	// deleted account).
	Login(ctx context.Context, id int64) (string, error)
}

// Deps are Run's collaborators.
type Deps struct {
	Hydra Hydra
	// Cache holds finished evaluations (each fetched once, ever).
	Cache *hydra.Cache
	// Index loads the packages index (maintainers); called only when there
	// is something to report. nil: no maintainers.
	Index func(ctx context.Context) (Index, error)
	// GitHub is needed only with Options.Post.
	GitHub GitHub
	Log    logrus.FieldLogger
}

// Target is the issue or pull request the report is posted on.
type Target struct {
	Owner, Repo string
	Number      int
}

func (t Target) String() string { return t.Owner + "/" + t.Repo + "#" + strconv.Itoa(t.Number) }

// ParseTarget reads "OWNER/REPO#N".
func ParseTarget(s string) (Target, bool) {
	repo, num, ok := strings.Cut(s, "#")
	owner, name, ok2 := strings.Cut(repo, "/")
	n, err := strconv.Atoi(num)
	if !ok || !ok2 || err != nil || n < 1 || owner == "" || name == "" || strings.Contains(name, "/") {
		return Target{}, false
	}
	return Target{owner, name, n}, true
}

// Options configure Run. Base, Head and Policy are required.
type Options struct {
	Base, Head Jobset
	Policy     failures.Policy
	// Post, when set, posts (or updates) the report as a comment there.
	Post *Target
	// Author, when set, is the login whose comments are markbot's: only
	// those are edited. Empty: any comment carrying the marker.
	Author string
	Ping   PingPolicy
	// LogLines per package (default 15); MaxLogs bounds how many log
	// tails are fetched (each costs Hydra requests; default 40, about as
	// many as fit in a comment; <0: none).
	LogLines int
	MaxLogs  int
	// LogCache, when set, is a directory where fetched log tails are kept
	// (a finished build's log does not change), so a rerun reads none again.
	LogCache string
	// JSONOut is where the full JSON report is written when the comment
	// has to be shortened ("" = not written); JSONURL, if set, is where
	// readers find it (else the comment names JSONOut).
	JSONOut string
	JSONURL string
	// Limit on the comment in bytes (default CommentLimit).
	Limit int
	// TeamOrg is the teams' organisation (default NixOS).
	TeamOrg string
	// Confirm bounds the regressions' head builds Hydra is asked about
	// (whose failure each is; failures.DefaultConfirmBudget when 0, <0:
	// none).
	Confirm int
	// Lookback is the most requests to Hydra spent on "broke between"
	// ranges of regressions (RequestsPerLookup each, when the Hydra client
	// can look back: breaks.Hydra); 0: none.
	Lookback int
	// RangeCache, when set, is a file keeping the ranges looked up
	// (breaks.SaveKnown), so a rerun asks Hydra only for new failures.
	RangeCache string
	// AfterHeadEval: when head's newest finished evaluation is not newer,
	// Run stops early with Result.Skipped (for markbot serve: run once per
	// new evaluation).
	AfterHeadEval int64
}

// Action is what Run did with the comment.
type Action string

// The comment actions.
const (
	ActionNone      Action = ""          // not posting
	ActionCreated   Action = "created"   // a new comment
	ActionEdited    Action = "edited"    // markbot's earlier comment updated
	ActionUnchanged Action = "unchanged" // the same report is already there: no write
)

// Outcome is what Run did.
type Outcome struct {
	// Skipped: head has no evaluation newer than AfterHeadEval.
	Skipped bool
	Report  *Report
	// Markdown is the comment body (also when not posting).
	Markdown Rendered
	Action   Action
	Comment  Comment
	// JSONPath is where the full report was written ("" if not).
	JSONPath string
	// LogErrors counts log tails Hydra could not serve (not fatal).
	LogErrors int
}

// newestFinished is the newest finished evaluation of a jobset, read into
// the cache.
func newestFinished(ctx context.Context, d Deps, j Jobset) (hydra.Eval, error) {
	e, err := d.Hydra.LatestEval(ctx, j.Project, j.Name)
	if err != nil {
		if hydra.IsNotFound(err) {
			return e, whyNoFinished(ctx, d, j, err)
		}
		return e, fmt.Errorf("%s: newest finished evaluation: %w", j, err)
	}
	return e, nil
}

// whyNoFinished explains a latest-eval 404: no such jobset, no evaluation
// at all, or only evaluations still in progress (one more request, on this
// error path only).
func whyNoFinished(ctx context.Context, d Deps, j Jobset, latestErr error) error {
	var newest *hydra.Eval
	err := d.Hydra.EachEval(ctx, j.Project, j.Name, func(e hydra.Eval) bool {
		newest = &e
		return false
	})
	switch {
	case hydra.IsNotFound(err):
		return fmt.Errorf("%s: no such jobset on this Hydra: %w", j, err)
	case err != nil:
		return fmt.Errorf("%s: no finished evaluation (%v), and listing evaluations failed: %w", j, latestErr, err)
	case newest == nil:
		return fmt.Errorf("%s: the jobset has no evaluation yet", j)
	}
	return fmt.Errorf("%s: no finished evaluation yet: the newest, %d, is still in progress (compare needs a finished one)", j, newest.ID)
}

func load(ctx context.Context, d Deps, j Jobset, e hydra.Eval, in *hydra.Interner) (failures.Evaluation, error) {
	cached, err := d.Hydra.Ingest(ctx, d.Cache, e)
	var ue *hydra.UnfinishedError
	if errors.As(err, &ue) {
		return failures.Evaluation{}, fmt.Errorf("%s: evaluation %d is still in progress (%d builds unfinished): compare needs a finished one", j, e.ID, ue.Unfinished)
	}
	if err != nil {
		return failures.Evaluation{}, fmt.Errorf("%s: evaluation %d: %w", j, e.ID, err)
	}
	er, err := d.Cache.Load(e.ID, in)
	if err != nil {
		return failures.Evaluation{}, err
	}
	d.Log.WithFields(logrus.Fields{"jobset": j.String(), "eval": e.ID, "cached": cached, "builds": len(er.Records)}).Info("evaluation read")
	return failures.FromRecords(er), nil
}

// Run compares the newest finished evaluations of head and base, renders
// the report and, with o.Post, posts it or updates markbot's earlier
// comment: only maintainers no earlier version mentioned are mentioned,
// and an unchanged report writes nothing. Every Hydra read comes before
// any GitHub call, so a Hydra error posts nothing.
func Run(ctx context.Context, d Deps, o Options) (*Outcome, error) {
	if d.Log == nil {
		l := logrus.New()
		l.SetOutput(nopWriter{})
		d.Log = l
	}
	if err := o.Policy.Validate(); err != nil {
		return nil, fmt.Errorf("compare: policy: %w", err)
	}
	if o.Post != nil && d.GitHub == nil {
		return nil, errors.New("compare: posting needs a GitHub client")
	}
	headEval, err := newestFinished(ctx, d, o.Head)
	if err != nil {
		return nil, err
	}
	if o.AfterHeadEval > 0 && headEval.ID <= o.AfterHeadEval {
		return &Outcome{Skipped: true}, nil
	}
	baseEval, err := newestFinished(ctx, d, o.Base)
	if err != nil {
		return nil, err
	}
	var in hydra.Interner
	head, err := load(ctx, d, o.Head, headEval, &in)
	if err != nil {
		return nil, err
	}
	base, err := load(ctx, d, o.Base, baseEval, &in)
	if err != nil {
		return nil, err
	}
	res := Compare(base, head, o.Base, o.Head, o.Policy)
	if err := confirmRegressions(ctx, d, d.Cache, o.Policy, o.Confirm, &res); err != nil {
		return nil, err
	}

	var ix Index
	if d.Index != nil && len(res.Regressions)+len(res.Fixes) > 0 {
		if ix, err = d.Index(ctx); err != nil {
			return nil, fmt.Errorf("packages index: %w", err)
		}
	}
	rep := NewReport(res, d.Hydra.BaseURL(), ix)
	out := &Outcome{Report: rep}
	if out.LogErrors, err = fetchLogs(ctx, d, o, rep); err != nil {
		return nil, err
	}
	if err := findRanges(ctx, d, o, headEval, rep); err != nil {
		return nil, err
	}

	mo := MarkdownOptions{LogLines: o.LogLines, Limit: o.Limit, TeamOrg: o.TeamOrg, FullReport: o.JSONURL}
	if mo.FullReport == "" {
		mo.FullReport = o.JSONOut
	}
	mo.Marker = Marker{Version: MarkerVersion, Digest: rep.Digest()}

	var prev *Comment
	if o.Post != nil {
		cs, err := d.GitHub.Comments(ctx, o.Post.Owner, o.Post.Repo, o.Post.Number)
		if err != nil {
			return nil, fmt.Errorf("%s: listing comments: %w", o.Post, err)
		}
		prev = findOwn(cs, o.Base, o.Head, o.Author)
	}
	var prevMarker Marker
	if prev != nil {
		prevMarker, _ = ParseMarker(prev.Body)
		mo.Marker.Mentioned = prevMarker.Mentioned
	}
	mo.Plan = PlanMentions(rep.Sections, prevMarker.Mentioned, o.Ping)
	// A trial rendering with the index's logins says who would be mentioned
	// (a shortened comment leaves some sections out).
	trial := rep.Markdown(mo)
	if prev != nil && prevMarker.Digest == mo.Marker.Digest && len(trial.Mentioned) == 0 {
		out.Action, out.Comment = ActionUnchanged, *prev
		out.Markdown = Rendered{Body: prev.Body, Truncated: trial.Truncated}
		return out, nil
	}
	if o.Post != nil && len(trial.Mentioned) > 0 {
		// Mention people by their current login: the index's may be stale.
		if err := resolveLogins(ctx, d.GitHub, rep, trial.Mentioned, &mo); err != nil {
			return nil, err
		}
	}
	out.Markdown = rep.Markdown(mo)
	if out.Markdown.Truncated && o.JSONOut != "" {
		if err := writeJSON(o.JSONOut, rep); err != nil {
			return nil, err
		}
		out.JSONPath = o.JSONOut
	}
	if o.Post == nil {
		return out, nil
	}
	if prev != nil {
		c, err := d.GitHub.EditComment(ctx, o.Post.Owner, o.Post.Repo, prev.ID, out.Markdown.Body)
		if err != nil {
			return nil, fmt.Errorf("%s: editing comment %d: %w", o.Post, prev.ID, err)
		}
		out.Action, out.Comment = ActionEdited, c
		return out, nil
	}
	c, err := d.GitHub.CreateComment(ctx, o.Post.Owner, o.Post.Repo, o.Post.Number, out.Markdown.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: commenting: %w", o.Post, err)
	}
	out.Action, out.Comment = ActionCreated, c
	return out, nil
}

// resolveLogins looks up the current login of each person about to be
// mentioned; a deleted account is named with the index's login, not
// mentioned, and recorded in the marker as done.
func resolveLogins(ctx context.Context, gh GitHub, rep *Report, keys []string, mo *MarkdownOptions) error {
	mo.Logins = map[string]string{}
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	for _, s := range rep.Sections {
		for _, p := range s.Users {
			k := p.Key()
			if !want[k] || p.ID == 0 {
				continue
			}
			if _, done := mo.Logins[k]; done {
				continue
			}
			login, err := gh.Login(ctx, p.ID)
			if err != nil {
				return fmt.Errorf("resolving GitHub id %d: %w", p.ID, err)
			}
			mo.Logins[k] = login
			if login == "" {
				// Recorded as handled, so later runs do not look it up
				// (and rewrite the comment) again.
				delete(mo.Plan.Ping, k)
				mo.Logins[k] = p.Login
				mo.Marker.Mentioned.Add(k)
			}
		}
	}
	return nil
}

// findOwn is markbot's newest comment for this base and head.
func findOwn(cs []Comment, base, head Jobset, author string) *Comment {
	for i := len(cs) - 1; i >= 0; i-- {
		c := &cs[i]
		if author != "" && !strings.EqualFold(c.Author, author) {
			continue
		}
		if m, ok := ParseMarker(c.Body); ok && m.Base == base && m.Head == head {
			return c
		}
	}
	return nil
}

// fetchLogs fills the log tails of the first MaxLogs regressed packages, in
// report order, each from its first failing system's head build. A log
// Hydra cannot serve is skipped (counted); a cancelled context is an error.
func fetchLogs(ctx context.Context, d Deps, o Options, rep *Report) (failed int, err error) {
	n := o.LogLines
	if n <= 0 {
		n = DefaultLogLines
	}
	budget := o.MaxLogs
	if budget == 0 {
		budget = 40
	}
	for i := range rep.Sections {
		for j := range rep.Sections[i].Packages {
			if budget <= 0 {
				return failed, nil
			}
			budget--
			p := &rep.Sections[i].Packages[j]
			p.LogBuild = p.Systems[0].Head.ID
			lines, ok := hydra.LogTails{Dir: o.LogCache}.Get(p.LogBuild, n)
			if !ok {
				lines, err = d.Hydra.LogTail(ctx, p.LogBuild, n)
				if ctx.Err() != nil {
					return failed, ctx.Err()
				}
				if err != nil {
					failed++
					d.Log.WithError(err).WithField("build", p.LogBuild).Warn("no log tail")
					continue
				}
				hydra.LogTails{Dir: o.LogCache}.Put(p.LogBuild, n, lines)
			}
			p.LogTail = lines
		}
	}
	return failed, nil
}

func writeJSON(path string, rep *Report) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("full report: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("full report: %w", err)
	}
	err = rep.JSON(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("full report %s: %w", path, err)
	}
	return nil
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }
