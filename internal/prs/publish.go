package prs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/state"
	"github.com/nixpkgs-markbot/markbot/internal/udiff"
)

// Store is the part of internal/state Publish uses; *state.Store has it.
type Store interface {
	RecordPR(ctx context.Context, p state.PR) (state.PR, error)
	PR(ctx context.Context, number int) (state.PR, error)
	PRs(ctx context.Context, states ...state.PRState) ([]state.PR, error)
	SetPRState(ctx context.Context, number int, to state.PRState, message string) error
	AddMarker(ctx context.Context, m state.Marker) (state.Marker, error)
	LiveMarker(ctx context.Context, attr string) (state.Marker, bool, error)
	SetMarkerPR(ctx context.Context, id int64, number int, revert bool) error
	SetMarkerEvidence(ctx context.Context, id int64, systems []string, buildID int64, buildURL string) error
	TransitionMarker(ctx context.Context, id int64, to state.MarkerState, message string) (state.Marker, error)
	MarkersForPR(ctx context.Context, number int) ([]state.Marker, error)
	Markers(ctx context.Context, states ...state.MarkerState) ([]state.Marker, error)
	AddSkip(ctx context.Context, attr, reason string, until time.Time) error
	ActiveSkip(ctx context.Context, attr string, now time.Time) (state.Skip, bool, error)
	Log(ctx context.Context, e state.Event) (int64, error)
	Events(ctx context.Context, f state.EventFilter) ([]state.Event, error)
}

var _ Store = (*state.Store)(nil)

// Defaults for Options.
const (
	DefaultBase            = "master"
	DefaultMaxReviewers    = 15
	DefaultSkipFor         = 30 * 24 * time.Hour
	DefaultRateLimitBudget = 10 * time.Minute
	DefaultBotLogin        = "markbot[bot]"
	DefaultMarkLabel       = "0.kind: build failure"
)

// Ping is whom a PR asks for reviews (internal/config's policy.ping).
type Ping string

// The ping policies.
const (
	// PingMaintainers requests reviews from the packages' maintainers and
	// teams, up to MaxReviewers. It is the default ("").
	PingMaintainers Ping = "maintainers"
	// PingNone requests no reviews and @-mentions nobody: the body names
	// the maintainers in backticks and says reviews were not requested.
	PingNone Ping = "none"
)

// Options configure a Publisher.
type Options struct {
	// Owner and Repo name the upstream repository (NixOS/nixpkgs).
	Owner, Repo string
	// Base is the base branch (default "master").
	Base string
	// Fork, if set, is the fork that holds markbot's branches, "OWNER" or
	// "OWNER/REPO" (REPO defaults to Repo: a fork keeps the upstream's
	// name unless renamed); PR heads are then "OWNER:branch". Empty:
	// branches in the upstream.
	Fork string
	// BranchPrefix and MaxPerPR are as in PlanOptions.
	BranchPrefix string
	MaxPerPR     int
	// MarkLabels and UnmarkLabels label the PRs (nil MarkLabels: the
	// nixpkgs label "0.kind: build failure"; nil UnmarkLabels: none).
	MarkLabels, UnmarkLabels []string
	// MaxReviewers caps review requests per PR (default 15); above it,
	// nobody is requested and the body names the maintainers without pings.
	MaxReviewers int
	// Ping is the review-request policy ("": PingMaintainers).
	Ping Ping
	// PingSecondaryPlatforms, when false (the default), makes a batch whose
	// changes all fail only on Darwin (x86_64-darwin, aarch64-darwin: see
	// SecondaryPlatformsOnly) request no reviews; the body names the
	// maintainers without pinging them and says why.
	PingSecondaryPlatforms bool
	// BotLogin is the login PRs are authored by, never requested as a
	// reviewer (default "markbot[bot]"; the created PR's author is excluded too).
	BotLogin string
	// SkipFor is how long a human-closed PR's attributes are not proposed
	// again (default 30 days).
	SkipFor time.Duration
	// RateLimitBudget is the total time one Publish may wait out rate
	// limits (default 10 minutes); beyond it Publish stops with a
	// *BudgetError (ErrBudgetExhausted).
	RateLimitBudget time.Duration
	// DryRun performs only reads: no branch, commit, PR, label, review
	// request or state write. PRResults carry title, body and diffs.
	DryRun bool
	// Now and Sleep replace the clock (default time.Now and a timer).
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error
	// Log receives structured logs (default logrus.StandardLogger()).
	Log logrus.FieldLogger
	// Views, when set, keeps each run's sync of markbot's pull requests
	// for the next while its owner says nothing changed on GitHub
	// (views.go; markbot serve, told by its webhooks). nil: every run
	// reads GitHub.
	Views *Views
}

// Publisher publishes batches of changes as pull requests.
type Publisher struct {
	gh Client
	st Store
	o  Options
}

// New returns a Publisher. st may be nil only for a dry run.
func New(gh Client, st Store, o Options) (*Publisher, error) {
	if o.Owner == "" || o.Repo == "" {
		return nil, errors.New("prs: owner and repository are required")
	}
	if gh.Git == nil || gh.Contents == nil || gh.Pulls == nil || gh.Issues == nil || gh.Users == nil || gh.Commits == nil {
		return nil, errors.New("prs: incomplete GitHub client")
	}
	if st == nil && !o.DryRun {
		return nil, errors.New("prs: a state store is required unless dry-running")
	}
	switch o.Ping {
	case "":
		o.Ping = PingMaintainers
	case PingMaintainers, PingNone:
	default:
		return nil, fmt.Errorf("prs: unknown ping policy %q (want %q or %q)", o.Ping, PingMaintainers, PingNone)
	}
	if strings.Count(o.Fork, "/") > 1 || strings.HasPrefix(o.Fork, "/") || strings.HasSuffix(o.Fork, "/") {
		return nil, fmt.Errorf("prs: fork %q is not OWNER or OWNER/REPO", o.Fork)
	}
	if owner, repo, _ := strings.Cut(o.Fork, "/"); strings.EqualFold(owner, o.Owner) && (repo == "" || strings.EqualFold(repo, o.Repo)) {
		o.Fork = ""
	}
	if o.Base == "" {
		o.Base = DefaultBase
	}
	if o.BranchPrefix == "" {
		o.BranchPrefix = DefaultBranchPrefix
	}
	if o.MaxPerPR <= 0 {
		o.MaxPerPR = DefaultMaxPerPR
	}
	if o.MarkLabels == nil {
		o.MarkLabels = []string{DefaultMarkLabel}
	}
	if o.MaxReviewers <= 0 {
		o.MaxReviewers = DefaultMaxReviewers
	}
	if o.BotLogin == "" {
		o.BotLogin = DefaultBotLogin
	}
	if o.SkipFor <= 0 {
		o.SkipFor = DefaultSkipFor
	}
	if o.RateLimitBudget <= 0 {
		o.RateLimitBudget = DefaultRateLimitBudget
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Log == nil {
		o.Log = logrus.StandardLogger()
	}
	if o.DryRun {
		gh = readOnlyClient(gh)
	}
	return &Publisher{gh: gh, st: st, o: o}, nil
}

// botPR is an open markbot pull request as listed on GitHub.
type botPR struct {
	Number  int
	URL     string
	Branch  string
	HeadSHA string
	Kind    Kind
	Attrs   []string
	Labels  []string
	// Narrow are the markers an unmark PR narrows (its hidden block).
	Narrow map[string]HiddenNarrow
}

type skipInfo struct {
	reason string
	until  time.Time
}

// run is one Publish.
type run struct {
	*Publisher
	lim *limiter
	log logrus.FieldLogger
	// headOwner and headRepo name the repository holding the branches:
	// the upstream, or Options.Fork.
	headOwner string
	headRepo  string
	baseSHA   string
	baseTree  string
	// fromView: the sync came from Options.Views; pendingView is what
	// this run's sync read, for keepView.
	fromView    bool
	pendingView *view
	// closedIssues are PRs state records as open that knownOpen found
	// closed, for syncClosed.
	closedIssues map[int]*github.Issue
	open         []*botPR
	covered      map[string]*botPR
	skips        map[string]skipInfo
	branches     map[string]string
	contents     map[string]*string
	// revContents are files at other commits (the evaluated revisions),
	// by commit and path (revision.go).
	revContents map[string]map[string]*string
	unreadable  map[string]error // files too large to read, by "commit:path" (revision.go)
	logins      map[int64]string
	trees       treeCache // git trees read for file modes (modes.go)
	res         *Result
	index       map[string]int // first attr → index in res.Changes
}

// Publish publishes changes: it plans batches (see Plan), leaves out what an
// open markbot PR already covers and what a human closed recently, edits the
// files at the base branch's head, and opens one PR per batch, one at a
// time. It first finishes what an earlier run left (a PR without its labels
// or review requests) and records PRs humans closed or merged since.
//
// The Result holds every change's outcome and every batch's PR. The error is
// non-nil when a step failed (the batches' errors joined) or the rate-limit
// budget ran out (errors.Is(err, ErrBudgetExhausted)); in both cases the next
// Publish of the same changes resumes where this one stopped.
func (p *Publisher) Publish(ctx context.Context, changes []Change) (*Result, error) {
	if _, err := Plan(changes, p.planOptions()); err != nil {
		return nil, fmt.Errorf("publishing: %w", err)
	}
	r := p.newRun()
	r.res.Changes = make([]ChangeResult, len(changes))
	for i, c := range changes {
		r.index[c.Attr()] = i
		r.res.Changes[i] = changeResult(c, OutcomePending, "not attempted")
	}
	var errs []error
	var todo []Change
	// With a view nothing changed since (Options.Views), what GitHub holds
	// is not read again; when the view leaves something to publish, it is,
	// so that every write starts from GitHub as it is.
	for useView := true; ; useView = false {
		errs = nil
		if err := r.sync(ctx, useView); err != nil {
			return r.res, fmt.Errorf("publishing: %w", err)
		}
		if !p.o.DryRun {
			if err := r.finishOpen(ctx, changes); err != nil {
				return r.res, fmt.Errorf("publishing: %w", err)
			}
		}
		if err := r.amendOpen(ctx); err != nil {
			if errors.Is(err, ErrBudgetExhausted) || ctx.Err() != nil {
				return r.res, fmt.Errorf("publishing: %w", err)
			}
			errs = append(errs, err) // the marking goes on; the next run retries
		}
		var err error
		if todo, err = r.filter(ctx, changes); err != nil {
			return r.res, fmt.Errorf("publishing: %w", err)
		}
		if !r.fromView || len(todo) == 0 {
			break
		}
	}
	defer r.keepView()
	batches, err := Plan(todo, p.planOptions())
	if err != nil {
		return r.res, fmt.Errorf("publishing: %w", err)
	}
	for i, b := range batches {
		pr := r.publishBatch(ctx, b)
		r.res.PRs = append(r.res.PRs, pr)
		if pr.Err == nil {
			continue
		}
		errs = append(errs, pr.Err)
		if errors.Is(pr.Err, ErrBudgetExhausted) || ctx.Err() != nil {
			for _, rest := range batches[i+1:] {
				r.res.PRs = append(r.res.PRs, PRResult{Kind: rest.Kind, Branch: rest.Branch, Status: StatusPending,
					Reason: "not attempted: " + pr.Err.Error(), Attrs: rest.Attrs(), Title: Title(rest)})
			}
			break
		}
	}
	if err := r.recordRefusals(ctx, changes); err != nil {
		errs = append(errs, fmt.Errorf("publishing: recording refusals: %w", err))
	}
	return r.res, errors.Join(errs...)
}

func (p *Publisher) planOptions() PlanOptions {
	return PlanOptions{MaxPerPR: p.o.MaxPerPR, BranchPrefix: p.o.BranchPrefix}
}

func (p *Publisher) labels(k Kind) []string {
	if k == KindUnmark {
		return p.o.UnmarkLabels
	}
	return p.o.MarkLabels
}

func (r *run) set(c Change, cr ChangeResult) {
	if i, ok := r.index[c.Attr()]; ok {
		r.res.Changes[i] = cr
	}
}

// call runs one GitHub request through the rate limiter. A write (an op
// that is not a GET) tells Options.Views that GitHub changed.
func (r *run) call(ctx context.Context, op string, fn func(context.Context) (*github.Response, error)) error {
	if !strings.HasPrefix(op, "GET ") {
		r.o.Views.Changed()
	}
	if err := r.lim.do(ctx, op, fn); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

func statusOf(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

func errorMentions(err error, text string) bool {
	var er *github.ErrorResponse
	if !errors.As(err, &er) {
		return false
	}
	if strings.Contains(er.Message, text) {
		return true
	}
	for _, e := range er.Errors {
		if strings.Contains(e.Message, text) {
			return true
		}
	}
	return false
}

// readBase reads the base branch's head commit and its tree, once a run and
// only when a step needs them (a batch to publish, markers to record): the
// base of nixpkgs moves every few minutes, so its ref and commit are new
// answers, paid for, every time they are read, and a run with nothing to
// write reads neither.
func (r *run) readBase(ctx context.Context) error {
	if r.baseSHA != "" {
		return nil
	}
	var ref *github.Reference
	err := r.call(ctx, "GET ref heads/"+r.o.Base, func(ctx context.Context) (resp *github.Response, err error) {
		ref, resp, err = r.gh.Git.GetRef(ctx, r.o.Owner, r.o.Repo, "heads/"+r.o.Base)
		return resp, err
	})
	if err != nil {
		return err
	}
	sha := ref.GetObject().GetSHA()
	if sha == "" {
		return fmt.Errorf("base %s: no commit in GitHub's answer", r.o.Base)
	}
	var commit *github.Commit
	err = r.call(ctx, "GET commit "+sha, func(ctx context.Context) (resp *github.Response, err error) {
		commit, resp, err = r.gh.Git.GetCommit(ctx, r.o.Owner, r.o.Repo, sha)
		return resp, err
	})
	if err != nil {
		return err
	}
	if commit.GetTree().GetSHA() == "" {
		return fmt.Errorf("base %s: no tree in GitHub's answer for %s", r.o.Base, sha)
	}
	r.baseSHA, r.baseTree = sha, commit.GetTree().GetSHA()
	return nil
}

// filter leaves out changes an open PR covers or a human closed recently.
func (r *run) filter(ctx context.Context, changes []Change) ([]Change, error) {
	var todo []Change
	now := r.o.Now()
changes:
	for _, c := range changes {
		for _, a := range c.Attrs {
			if bp := r.covered[a]; bp != nil {
				cr := changeResult(c, OutcomeCovered, fmt.Sprintf("covered by open PR #%d", bp.Number))
				cr.PR = bp.Number
				r.set(c, cr)
				continue changes
			}
		}
		for _, a := range c.Attrs {
			sk, ok := r.skips[a]
			if !ok && r.st != nil {
				s, found, err := r.st.ActiveSkip(ctx, a, now)
				if err != nil {
					return nil, err
				}
				ok, sk = found, skipInfo{reason: s.Reason, until: s.Until}
			}
			if ok && sk.until.After(now) {
				cr := changeResult(c, OutcomeClosedByHuman, fmt.Sprintf("%s: not proposed again until %s", sk.reason, sk.until.UTC().Format(time.DateOnly)))
				cr.Until = sk.until
				r.set(c, cr)
				continue changes
			}
		}
		todo = append(todo, c)
	}
	return todo, nil
}

// publishBatch edits, commits, opens and finishes one PR.
func (r *run) publishBatch(ctx context.Context, b Batch) PRResult {
	res := PRResult{Kind: b.Kind, Branch: b.Branch, Attrs: b.Attrs(), Title: Title(b)}
	fail := func(err error) PRResult {
		res.Status = StatusFailed
		res.Err = fmt.Errorf("publishing %s: %w", res.Branch, err)
		for _, c := range b.Changes {
			if r.res.Changes[r.index[c.Attr()]].Outcome == OutcomePending {
				r.set(c, changeResult(c, OutcomeFailed, res.Err.Error()))
			}
		}
		r.log.WithFields(logrus.Fields{"branch": res.Branch}).WithError(err).Error("publishing failed")
		return res
	}

	if err := r.readBase(ctx); err != nil {
		return fail(err)
	}
	contents := map[string]string{}
	for _, f := range b.Files() {
		c, err := r.content(ctx, f)
		if err != nil {
			return fail(err)
		}
		if c != nil {
			contents[f] = *c
		}
	}
	// Positions from another revision (the evaluation's index) are
	// carried to the base commit first (revision.go).
	carried, origin, pre, err := r.carry(ctx, b, contents)
	if err != nil {
		return fail(err)
	}
	files, edits := applyEdits(carried, contents)
	outcomes := maps.Clone(pre)
	for i, o := range edits {
		outcomes[origin[i]] = o
	}
	var included []Change
	for i, c := range b.Changes {
		o := outcomes[i]
		if j := slices.Index(origin, i); j >= 0 {
			c = carried.Changes[j] // its position at the base commit
		}
		r.set(c, o)
		if o.Outcome == OutcomeIncluded {
			included = append(included, c)
		} else {
			r.log.WithFields(logrus.Fields{"attr": c.Attr(), "branch": b.Branch}).Info("change skipped: " + o.Reason)
		}
	}
	if len(included) == 0 || len(files) == 0 {
		res.Status, res.Reason = StatusEmpty, "no change to make"
		return res
	}
	final := Batch{Kind: b.Kind, Key: b.Key, Changes: included}
	final.Branch = BranchName(r.o.BranchPrefix, final.Kind, final.Attrs())
	res.Branch, res.Attrs, res.Title = final.Branch, final.Attrs(), Title(final)
	log := r.log.WithFields(logrus.Fields{"branch": final.Branch})

	rv, err := r.resolveReviewers(ctx, final.Changes)
	if err != nil {
		return fail(err)
	}
	res.Reviewers = rv
	r.countCommits(ctx, final.Changes)
	res.Body = Body(final, BodyOptions{Reviewers: rv, Base: r.o.Base, SkipFor: r.o.SkipFor, Repo: r.o.Owner + "/" + r.o.Repo})
	if r.o.DryRun {
		for _, f := range files {
			res.Diffs = append(res.Diffs, FileDiff{File: f.File, Diff: udiff.Unified("a/"+f.File, "b/"+f.File, f.Old, f.New)})
		}
		res.Status = StatusDryRun
		return res
	}

	head := final.Branch
	if r.o.Fork != "" {
		head = r.headOwner + ":" + final.Branch
	}
	tip, exists := r.branches[final.Branch]
	if exists {
		// A branch of an earlier run: if a human closed its PR and state
		// does not know yet (crash before recording), that is a no.
		open, skip, err := r.branchPRs(ctx, final, head)
		if err != nil {
			return fail(err)
		}
		if skip != "" {
			res.Status, res.Reason = StatusSkipped, skip
			for _, c := range final.Changes {
				cr := changeResult(c, OutcomeClosedByHuman, skip)
				r.set(c, cr)
			}
			return res
		}
		if open != nil {
			return r.opened(ctx, res, final, open, rv)
		}
	}

	// Each file keeps its mode in the base tree (modes.go).
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.File
	}
	modes, err := r.fileModes(ctx, r.gh.Git, r.o.Owner, r.o.Repo, r.baseTree, paths)
	if err != nil {
		return fail(err)
	}
	entries := blobEntries(paths, func(i int) string { return files[i].New }, modes)
	var tree *github.Tree
	err = r.call(ctx, "POST trees "+final.Branch, func(ctx context.Context) (resp *github.Response, err error) {
		tree, resp, err = r.gh.headGit().CreateTree(ctx, r.headOwner, r.headRepo, r.baseTree, entries)
		return resp, err
	})
	if err != nil {
		return fail(err)
	}

	commitSHA := ""
	if exists {
		var c *github.Commit
		err := r.call(ctx, "GET commit "+tip, func(ctx context.Context) (resp *github.Response, err error) {
			c, resp, err = r.gh.headGit().GetCommit(ctx, r.headOwner, r.headRepo, tip)
			return resp, err
		})
		if err != nil {
			return fail(err)
		}
		if len(c.Parents) == 1 && c.Parents[0].GetSHA() == r.baseSHA && c.GetTree().GetSHA() == tree.GetSHA() {
			commitSHA, res.Reused = tip, true
			log.Info("reusing the branch of an earlier run")
		}
	}
	if commitSHA == "" {
		var c *github.Commit
		err := r.call(ctx, "POST commits "+final.Branch, func(ctx context.Context) (resp *github.Response, err error) {
			c, resp, err = r.gh.headGit().CreateCommit(ctx, r.headOwner, r.headRepo, &github.Commit{
				Message: github.String(CommitMessage(final)), Tree: &github.Tree{SHA: tree.SHA},
				Parents: []*github.Commit{{SHA: github.String(r.baseSHA)}}}, nil)
			return resp, err
		})
		if err != nil {
			return fail(err)
		}
		commitSHA = c.GetSHA()
		if err := r.pushBranch(ctx, final.Branch, commitSHA, exists); err != nil {
			return fail(err)
		}
	}
	r.branches[final.Branch] = commitSHA
	// The reviewers go with the branch: a PR created whose answer is lost
	// (or a crash right after) is adopted by a later run that may not have
	// its changes any more (the revert loop does not propose an unmark
	// again before probe.every), and requests them from here.
	planned, _ := json.Marshal(openedDetails{Branch: final.Branch, Reviewers: &rv, Marks: plannedMarks(final)})
	if _, err := r.st.Log(ctx, state.Event{Kind: "pr.branch", Attr: final.Attrs()[0], Details: planned,
		Message: fmt.Sprintf("branch %s at %s", final.Branch, commitSHA)}); err != nil {
		return fail(err)
	}

	var pr *github.PullRequest
	err = r.call(ctx, "POST pulls "+final.Branch, func(ctx context.Context) (resp *github.Response, err error) {
		pr, resp, err = r.gh.Pulls.Create(ctx, r.o.Owner, r.o.Repo, &github.NewPullRequest{
			Title: github.String(res.Title), Head: github.String(head), Base: github.String(r.o.Base),
			Body: github.String(res.Body), MaintainerCanModify: github.Bool(true)})
		return resp, err
	})
	if err != nil && statusOf(err) == http.StatusUnprocessableEntity && errorMentions(err, "A pull request already exists") {
		// Created by an earlier attempt whose answer was lost.
		open, _, ferr := r.branchPRs(ctx, final, head)
		if ferr != nil {
			return fail(ferr)
		}
		if open == nil {
			return fail(err)
		}
		return r.opened(ctx, res, final, open, rv)
	}
	if err != nil {
		return fail(err)
	}
	bp, ok := r.asBotPR(pr)
	if !ok {
		return fail(fmt.Errorf("PR #%d: GitHub's answer lacks markbot's head or hidden block", pr.GetNumber()))
	}
	if a := pr.GetUser().GetLogin(); a != "" && !strings.EqualFold(a, r.o.BotLogin) {
		rv = withoutUser(rv, a)
	}
	return r.opened(ctx, res, final, bp, rv)
}

// opened records and finishes a PR that exists now.
func (r *run) opened(ctx context.Context, res PRResult, b Batch, bp *botPR, rv Reviewers) PRResult {
	res.Number, res.URL = bp.Number, bp.URL
	for _, c := range b.Changes {
		cr := changeResult(c, OutcomeIncluded, fmt.Sprintf("in PR #%d", bp.Number))
		cr.PR = bp.Number
		r.set(c, cr)
	}
	if _, err := r.finish(ctx, bp, b, &rv, &res.Dropped); err != nil {
		res.Status = StatusFailed
		res.Err = fmt.Errorf("publishing %s: PR #%d: %w", b.Branch, bp.Number, err)
		return res
	}
	res.Status = StatusOpened
	r.log.WithFields(logrus.Fields{"pr": bp.Number, "branch": b.Branch, "attr": b.Attrs()[0]}).Info("PR opened")
	return res
}

// pushBranch points the branch at sha: created, or forced when it exists.
func (r *run) pushBranch(ctx context.Context, branch, sha string, exists bool) error {
	ref := &github.Reference{Ref: github.String("refs/heads/" + branch), Object: &github.GitObject{SHA: github.String(sha)}}
	if !exists {
		err := r.call(ctx, "POST refs "+branch, func(ctx context.Context) (resp *github.Response, err error) {
			_, resp, err = r.gh.headGit().CreateRef(ctx, r.headOwner, r.headRepo, ref)
			return resp, err
		})
		if err == nil || !(statusOf(err) == http.StatusUnprocessableEntity && errorMentions(err, "Reference already exists")) {
			return err
		}
	}
	return r.call(ctx, "PATCH refs "+branch, func(ctx context.Context) (resp *github.Response, err error) {
		_, resp, err = r.gh.headGit().UpdateRef(ctx, r.headOwner, r.headRepo, &github.Reference{Ref: github.String("heads/" + branch), Object: ref.Object}, true)
		return resp, err
	})
}

// branchPRs looks at the PRs of an existing branch: an open one is
// returned; a closed unmerged one state does not know is recorded as a
// human's no and reported as a skip reason (while the skip lasts).
func (r *run) branchPRs(ctx context.Context, b Batch, head string) (*botPR, string, error) {
	owner, branch := r.headOwner, b.Branch
	var list []*github.PullRequest
	err := r.call(ctx, "GET pulls head="+head, func(ctx context.Context) (resp *github.Response, err error) {
		list, resp, err = r.gh.Pulls.List(ctx, r.o.Owner, r.o.Repo, &github.PullRequestListOptions{
			State: "all", Head: owner + ":" + branch, Base: r.o.Base, ListOptions: github.ListOptions{PerPage: 100}})
		return resp, err
	})
	if err != nil {
		return nil, "", err
	}
	for _, pr := range list {
		if pr.GetState() == "open" {
			if bp, ok := r.asBotPR(pr); ok {
				return bp, "", nil
			}
		}
	}
	for _, pr := range list {
		if pr.GetState() != "closed" || pr.GetMerged() || pr.MergedAt != nil {
			continue
		}
		if _, err := r.st.PR(ctx, pr.GetNumber()); err == nil {
			continue // known: syncClosed dealt with it
		} else if !errors.Is(err, state.ErrNotFound) {
			return nil, "", err
		}
		bp, ok := r.asBotPR(pr)
		if !ok {
			continue
		}
		if _, err := r.st.RecordPR(ctx, state.PR{Number: bp.Number, Kind: state.PRKind(bp.Kind), Branch: bp.Branch,
			HeadSHA: bp.HeadSHA, Attrs: bp.Attrs, State: state.PRClosed}); err != nil {
			return nil, "", err
		}
		closedAt := pr.GetClosedAt().Time
		if err := r.prClosed(ctx, bp.Number, bp.Kind, bp.Attrs, closedAt); err != nil {
			return nil, "", err
		}
		if sk, ok := r.skips[b.Attrs()[0]]; ok && sk.until.After(r.o.Now()) {
			return nil, fmt.Sprintf("%s: not proposed again until %s", sk.reason, sk.until.UTC().Format(time.DateOnly)), nil
		}
	}
	return nil, "", nil
}
