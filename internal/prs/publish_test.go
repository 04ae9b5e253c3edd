package prs

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
	"github.com/nixpkgs-markbot/markbot/internal/state"
	"github.com/nixpkgs-markbot/markbot/internal/testutil"
)

// The people of the fake: bob's login changed since the index was made
// (the index says bob-old), carol is not a collaborator, so a review
// request naming her is refused with 422.
var (
	fakeUsers = []githubtest.User{
		{Login: "alice", ID: 101, Collaborator: true},
		{Login: "bob", ID: 102, Collaborator: true},
		{Login: "carol", ID: 103},
		{Login: "dave", ID: 104, Collaborator: true},
	}
	fakeTeams = []githubtest.Team{{Org: "NixOS", Slug: "python", Name: "Python", ID: 7, Members: []string{"dave"}}}

	carol = nixpkgs.Maintainer{Name: "Carol", GitHub: "carol", GitHubID: 103}
	dave  = nixpkgs.Maintainer{Name: "Dave", GitHub: "dave", GitHubID: 104}
)

func hydraBuild(id string) string { return "https://hydra.nixos.org/build/" + id }

// seedChanges are changes against testdata/nixpkgs: two for alice and bob
// (two files), one for carol, dave and the python team, two unmaintained
// derivations in one file, one file that opts out (refused) and one
// already broken.
func seedChanges() []Change {
	c := func(file string, line int, attrs []string, systems []string, id string, ms ...nixpkgs.Maintainer) Change {
		return Change{Kind: KindMark, File: file, Line: line, Attrs: attrs, Systems: systems,
			BuildID: mustInt(id), BuildURL: hydraBuild(id), Since: since, Maintainers: ms,
			LogTail: []string{"building '/nix/store/…-" + attrs[0] + ".drv'...", "error: build failed (" + id + ")"}}
	}
	py := c("pkgs/development/python-modules/aiogram/default.nix", 78,
		[]string{"python312Packages.aiogram", "python313Packages.aiogram"}, []string{"aarch64-linux"}, "312000003", carol, dave)
	py.Teams = []nixpkgs.Team{pyTeam}
	py.LastSuccess = &Build{ID: 311000003, URL: hydraBuild("311000003"), Time: since.AddDate(0, 0, -20)}
	return []Change{
		c("pkgs/by-name/he/hello/package.nix", 52, []string{"hello"}, nil, "312000001", alice, bob),
		c("pkgs/by-name/fz/fzf/package.nix", 76, []string{"fzf"}, nil, "312000002", bobRenamed, alice),
		py,
		c("pkgs/tools/networking/netkit/default.nix", 30, []string{"netkit-ftp"}, []string{"x86_64-darwin", "aarch64-darwin"}, "312000004"),
		c("pkgs/tools/networking/netkit/default.nix", 52, []string{"netkit-telnet"}, nil, "312000005"),
		c("pkgs/by-name/ht/htop/package.nix", 62, []string{"htop"}, nil, "312000006"),
		c("pkgs/by-name/ma/macos-notify-bridge/package.nix", 37, []string{"macos-notify-bridge"}, []string{"x86_64-linux", "aarch64-linux"}, "312000007"),
	}
}

type fixture struct {
	t   *testing.T
	srv *githubtest.Server
	st  *state.Store

	mu        sync.Mutex
	slept     []time.Duration
	realSleep bool          // sleep for real (up to 1.1s: go-github remembers limits in real time)
	offset    time.Duration // added to the Publisher's clock
}

func newFixture(t *testing.T, mod func(*githubtest.Options)) *fixture {
	t.Helper()
	opts := githubtest.Options{SeedDir: "testdata/nixpkgs", Users: fakeUsers, Teams: fakeTeams}
	if mod != nil {
		mod(&opts)
	}
	srv := githubtest.New(t, opts)
	st, err := state.Open(context.Background(), filepath.Join(t.TempDir(), "markbot.db"), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &fixture{t: t, srv: srv, st: st}
}

func (f *fixture) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return time.Now().Add(f.offset)
}

func (f *fixture) sleep(ctx context.Context, d time.Duration) error {
	f.mu.Lock()
	f.slept = append(f.slept, d)
	real := f.realSleep
	f.mu.Unlock()
	if real {
		return sleepCtx(ctx, min(d, 1100*time.Millisecond))
	}
	return ctx.Err()
}

func quiet() logrus.FieldLogger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

// publisher returns a Publisher on a fresh go-github client (go-github
// remembers rate limits per client).
func (f *fixture) publisher(mod func(*Options)) *Publisher {
	f.t.Helper()
	o := Options{Owner: f.srv.Owner(), Repo: f.srv.Repo(), Now: f.now, Sleep: f.sleep, Log: quiet()}
	if mod != nil {
		mod(&o)
	}
	p, err := New(FromGitHub(f.srv.Client()), f.st, o)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) publish(changes []Change, mod func(*Options)) (*Result, error) {
	return f.publisher(mod).Publish(context.Background(), changes)
}

func (f *fixture) mustPublish(changes []Change, mod func(*Options)) *Result {
	f.t.Helper()
	res, err := f.publish(changes, mod)
	if err != nil {
		f.t.Fatalf("Publish: %v", err)
	}
	return res
}

// botBranches are the upstream's markbot branches.
func (f *fixture) botBranches() []string {
	var out []string
	for _, b := range f.srv.Branches() {
		if strings.HasPrefix(b, DefaultBranchPrefix) {
			out = append(out, b)
		}
	}
	return out
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v: %v: %s", args, err, stderr.String())
	}
	return string(out)
}

// checkBranchFiles clones repo, checks branch out and compares every file
// it changed against master with testdata/publish/<name>/<path>.golden.
func checkBranchFiles(t *testing.T, repo, branch, name string) []string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "clone")
	git(t, ".", "clone", "--quiet", repo, dir)
	git(t, dir, "checkout", "--quiet", branch)
	changed := strings.Fields(git(t, dir, "diff", "--name-only", "origin/master", "HEAD"))
	if len(changed) == 0 {
		t.Fatalf("branch %s changes nothing", branch)
	}
	for _, p := range changed {
		got, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		golden(t, filepath.Join("publish", name, p+".golden"), string(got))
	}
	if log := git(t, dir, "log", "--format=%P", "-1"); strings.TrimSpace(log) != strings.TrimSpace(git(t, dir, "rev-parse", "origin/master")) {
		t.Errorf("branch %s is not one commit on master: parents %s", branch, log)
	}
	return changed
}

func TestPublishOpensPRs(t *testing.T) {
	f := newFixture(t, nil)
	res := f.mustPublish(seedChanges(), nil)

	prs := f.srv.PullRequests()
	if len(prs) != 3 || len(res.PRs) != 3 {
		t.Fatalf("%d PRs on GitHub, %d in the result, want 3: %+v", len(prs), len(res.PRs), res.PRs)
	}
	want := []struct {
		title     string
		attrs     []string
		reviewers []string
		teams     []string
		dropped   []string
		files     []string
	}{
		{"treewide: mark 2 packages broken on Hydra", []string{"netkit-ftp", "netkit-telnet"}, nil, nil, nil,
			[]string{"pkgs/tools/networking/netkit/default.nix"}},
		{"treewide: mark 2 packages broken on Hydra", []string{"fzf", "hello"}, []string{"alice", "bob"}, nil, nil,
			[]string{"pkgs/by-name/fz/fzf/package.nix", "pkgs/by-name/he/hello/package.nix"}},
		{"python312Packages.aiogram: mark broken", []string{"python312Packages.aiogram", "python313Packages.aiogram"},
			[]string{"dave"}, []string{"python"}, nil,
			[]string{"pkgs/development/python-modules/aiogram/default.nix"}},
	}
	for i, w := range want {
		pr, r := prs[i], res.PRs[i]
		name := "pr" + string(rune('1'+i))
		if r.Status != StatusOpened || r.Number != pr.Number || r.Err != nil {
			t.Errorf("%s: result %+v", name, r)
		}
		if pr.Title != w.title || pr.State != "open" || pr.BaseRef != "master" || pr.HeadRef != r.Branch ||
			pr.HeadRef != BranchName(DefaultBranchPrefix, KindMark, w.attrs) {
			t.Errorf("%s: %q %s %s→%s", name, pr.Title, pr.State, pr.HeadRef, pr.BaseRef)
		}
		if !slices.Equal(pr.Labels, []string{DefaultMarkLabel}) {
			t.Errorf("%s: labels %v", name, pr.Labels)
		}
		// carol is not a collaborator: the check before the request finds
		// her (teams_test.go), GitHub refuses nobody.
		if name == "pr3" && !slices.Equal(r.Reviewers.Refused, []string{"carol"}) {
			t.Errorf("%s: refused %v, want [carol]", name, r.Reviewers.Refused)
		}
		if !slices.Equal(pr.Reviewers, w.reviewers) || !slices.Equal(pr.TeamReviewers, w.teams) || !slices.Equal(r.Dropped, w.dropped) {
			t.Errorf("%s: reviewers %v teams %v dropped %v, want %v %v %v", name, pr.Reviewers, pr.TeamReviewers, r.Dropped, w.reviewers, w.teams, w.dropped)
		}
		if h, ok := ParseHidden(pr.Body); !ok || !slices.Equal(h.Attrs, w.attrs) {
			t.Errorf("%s: hidden block %+v %v", name, h, ok)
		}
		golden(t, "publish/"+name+".body.md", pr.Body)
		if files := checkBranchFiles(t, f.srv.RepoPath(), pr.HeadRef, name); !slices.Equal(files, w.files) {
			t.Errorf("%s: files %v, want %v", name, files, w.files)
		}
		sp, err := f.st.PR(context.Background(), pr.Number)
		if err != nil || sp.Branch != pr.HeadRef || sp.HeadSHA != pr.HeadSHA || !slices.Equal(sp.Attrs, w.attrs) || sp.State != state.PROpen {
			t.Errorf("%s: state %+v, %v", name, sp, err)
		}
		for _, kind := range []string{"pr.opened", "pr.published", "pr.labeled", "pr.reviewers"} {
			if ev, _ := f.st.Events(context.Background(), state.EventFilter{PR: pr.Number, Kind: kind}); len(ev) != 1 {
				t.Errorf("%s: %d %s events", name, len(ev), kind)
			}
		}
	}

	outcomes := map[string]Outcome{}
	for _, c := range res.Changes {
		outcomes[c.Attrs[0]] = c.Outcome
	}
	wantOutcomes := map[string]Outcome{"hello": OutcomeIncluded, "fzf": OutcomeIncluded, "python312Packages.aiogram": OutcomeIncluded,
		"netkit-ftp": OutcomeIncluded, "netkit-telnet": OutcomeIncluded, "htop": OutcomeRefused, "macos-notify-bridge": OutcomeAlreadyBroken}
	if !mapsEqual(outcomes, wantOutcomes) {
		t.Errorf("outcomes %v, want %v", outcomes, wantOutcomes)
	}
	for attr, pr := range map[string]int{"netkit-ftp": 1, "netkit-telnet": 1, "fzf": 2, "hello": 2, "python312Packages.aiogram": 3} {
		m, ok, err := f.st.LiveMarker(context.Background(), attr)
		if err != nil || !ok || m.PR != pr || m.State != state.Proposed {
			t.Errorf("marker %s: %+v %v %v", attr, m, ok, err)
		}
	}
	if m, _, _ := f.st.LiveMarker(context.Background(), "python312Packages.aiogram"); !slices.Equal(m.Attrs, []string{"python312Packages.aiogram", "python313Packages.aiogram"}) || !slices.Equal(m.Systems, []string{"aarch64-linux"}) {
		t.Errorf("aiogram marker %+v", m)
	}
	var sum bytes.Buffer
	if err := res.WriteSummary(&sum); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"7 changes proposed, 3 PRs opened, 2 changes skipped", "opened #1", "skipped htop: edit refused", "skipped macos-notify-bridge: already marked broken"} {
		if !strings.Contains(sum.String(), s) {
			t.Errorf("summary lacks %q:\n%s", s, sum.String())
		}
	}

	// The same changes again: everything is covered, nothing is written.
	f.srv.ResetStats()
	again := f.mustPublish(seedChanges(), nil)
	if m := f.srv.Mutations(); len(m) != 0 {
		t.Errorf("second Publish wrote: %+v", m)
	}
	if n := again.Count(OutcomeCovered); n != 5 {
		t.Errorf("second Publish: %d covered, want 5: %+v", n, again.Changes)
	}
	if len(f.srv.PullRequests()) != 3 || len(f.botBranches()) != 3 {
		t.Errorf("second Publish: %d PRs, branches %v", len(f.srv.PullRequests()), f.botBranches())
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestGoldenFilesParse(t *testing.T) {
	nix := testutil.LookTool(t, "nix-instantiate", "nix")
	var files []string
	for _, glob := range []string{"testdata/publish/*/*/*/*/*/*.golden", "testdata/publish/*/*/*/*/*/*/*.golden", "testdata/nixpkgs/*/*/*/*/*.nix", "testdata/nixpkgs/*/*/*/*/*/*.nix"} {
		m, _ := filepath.Glob(glob)
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		if out, err := exec.Command(nix, "--parse", f).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", f, err, out)
		}
	}
}

// helloChange is a one-file, one-PR change with two reviewers.
func helloChange() []Change { return seedChanges()[:1] }

func TestPublishCrashSafety(t *testing.T) {
	steps := []struct{ name, method, path string }{
		{"tree", "POST", "repos/*/*/git/trees"},
		{"commit", "POST", "repos/*/*/git/commits"},
		{"ref", "POST", "repos/*/*/git/refs"},
		{"pull", "POST", "repos/*/*/pulls"},
		{"labels", "POST", "repos/*/*/issues/*/labels"},
		{"reviewers", "POST", "repos/*/*/pulls/*/requested_reviewers"},
	}
	modes := []struct {
		name  string
		kind  githubtest.FaultKind
		after bool
	}{
		{"fails", githubtest.ServerError, false},
		{"answer-lost", githubtest.ServerError, true},
		{"connection-dropped-after", githubtest.DropConnection, true},
	}
	for _, step := range steps {
		for _, mode := range modes {
			t.Run(step.name+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				f := newFixture(t, nil)
				f.srv.Inject(githubtest.Fault{Method: step.method, Path: step.path, Kind: mode.kind, After: mode.after})
				if _, err := f.publish(helloChange(), nil); err == nil {
					t.Fatal("first Publish: no error despite the fault")
				}
				if f.srv.PendingFaults() != 0 {
					t.Fatal("the fault was not hit")
				}
				res := f.mustPublish(helloChange(), nil)
				checkHelloDone(t, f)
				if res.Changes[0].PR != 1 {
					t.Errorf("rerun: change %+v", res.Changes[0])
				}
				// And once more: nothing left to do.
				f.srv.ResetStats()
				f.mustPublish(helloChange(), nil)
				if m := f.srv.Mutations(); len(m) != 0 {
					t.Errorf("third Publish wrote: %+v", m)
				}
			})
		}
	}
}

// checkHelloDone checks the end state of publishing helloChange: one PR,
// one branch, labels and reviewers set, recorded in state.
func checkHelloDone(t *testing.T, f *fixture) {
	t.Helper()
	prs := f.srv.PullRequests()
	if len(prs) != 1 {
		t.Fatalf("%d PRs, want 1", len(prs))
	}
	pr := prs[0]
	if pr.State != "open" || !slices.Equal(pr.Labels, []string{DefaultMarkLabel}) || !slices.Equal(pr.Reviewers, []string{"alice", "bob"}) {
		t.Errorf("PR %+v", pr)
	}
	if b := f.botBranches(); len(b) != 1 || b[0] != pr.HeadRef {
		t.Errorf("branches %v, PR head %s", b, pr.HeadRef)
	}
	if got, err := f.srv.File(pr.HeadRef, "pkgs/by-name/he/hello/package.nix"); err != nil || !bytes.Contains(got, []byte("    broken = true;\n")) {
		t.Errorf("hello on the branch: %v\n%s", err, got)
	}
	if sp, err := f.st.PR(context.Background(), pr.Number); err != nil || sp.State != state.PROpen || sp.HeadSHA != pr.HeadSHA {
		t.Errorf("state PR %+v %v", sp, err)
	}
	if m, ok, err := f.st.LiveMarker(context.Background(), "hello"); err != nil || !ok || m.PR != pr.Number {
		t.Errorf("marker %+v %v %v", m, ok, err)
	}
}

func TestClosedByHuman(t *testing.T) {
	f := newFixture(t, nil)
	f.mustPublish(helloChange(), nil)
	if err := f.srv.ClosePullRequest(1, "alice"); err != nil {
		t.Fatal(err)
	}

	f.offset = 24 * time.Hour
	f.srv.ResetStats()
	res := f.mustPublish(helloChange(), nil)
	if c := res.Changes[0]; c.Outcome != OutcomeClosedByHuman || !strings.Contains(c.Reason, "PR #1 closed without merging") {
		t.Errorf("a day later: %+v", c)
	}
	if m := f.srv.Mutations(); len(m) != 0 {
		t.Errorf("a day later, Publish wrote: %+v", m)
	}
	ctx := context.Background()
	if sp, _ := f.st.PR(ctx, 1); sp.State != state.PRClosed {
		t.Errorf("state PR %+v", sp)
	}
	if ms, _ := f.st.Markers(ctx, state.Dropped); len(ms) != 1 || ms[0].Attr != "hello" {
		t.Errorf("dropped markers %+v", ms)
	}

	// Still skipped near the end of the period; proposed again after it.
	f.offset = DefaultSkipFor - time.Hour
	if res := f.mustPublish(helloChange(), nil); res.Changes[0].Outcome != OutcomeClosedByHuman {
		t.Errorf("before the end of the skip: %+v", res.Changes[0])
	}
	f.offset = DefaultSkipFor + time.Hour
	res = f.mustPublish(helloChange(), nil)
	if res.Changes[0].Outcome != OutcomeIncluded || res.PRs[0].Number != 2 || !res.PRs[0].Reused {
		t.Errorf("after the skip: %+v %+v", res.Changes[0], res.PRs)
	}
	if pr, ok := f.srv.PullRequest(2); !ok || pr.State != "open" || len(f.botBranches()) != 1 {
		t.Errorf("PR #2 %+v, branches %v", pr, f.botBranches())
	}
}

// A PR created by a run that crashed before recording it, then closed by a
// human before the next run: the branch leads to it, and it is a no.
func TestClosedByHumanUnknownToState(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Inject(githubtest.Fault{Method: "POST", Path: "repos/*/*/pulls", Kind: githubtest.ServerError, After: true})
	if _, err := f.publish(helloChange(), nil); err == nil {
		t.Fatal("no error")
	}
	if err := f.srv.ClosePullRequest(1, "alice"); err != nil {
		t.Fatal(err)
	}
	f.srv.ResetStats()
	res := f.mustPublish(helloChange(), nil)
	if res.PRs[0].Status != StatusSkipped || res.Changes[0].Outcome != OutcomeClosedByHuman {
		t.Errorf("result %+v %+v", res.PRs, res.Changes)
	}
	if m := f.srv.Mutations(); len(m) != 0 {
		t.Errorf("Publish wrote: %+v", m)
	}
	if _, ok, _ := f.st.ActiveSkip(context.Background(), "hello", time.Now()); !ok {
		t.Error("no skip recorded")
	}
}

func TestRateLimits(t *testing.T) {
	tests := []struct {
		name string
		kind githubtest.FaultKind
	}{
		{"secondary-403-retry-after", githubtest.SecondaryRateLimit},
		{"primary-403", githubtest.PrimaryRateLimit},
		{"429", githubtest.TooManyRequests},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			f.realSleep = true
			f.srv.Inject(githubtest.Fault{Method: "POST", Path: "repos/*/*/pulls", Kind: tt.kind, RetryAfter: time.Second, ResetIn: time.Second})
			f.mustPublish(helloChange(), nil)
			checkHelloDone(t, f)
			if len(f.slept) == 0 || f.slept[0] < time.Second/2 || f.slept[0] > 2*time.Second {
				t.Errorf("waits %v, want about 1s", f.slept)
			}
		})
	}
}

func TestRateLimitBudget(t *testing.T) {
	t.Run("waits then stops", func(t *testing.T) {
		f := newFixture(t, nil)
		f.srv.Inject(githubtest.Fault{Method: "POST", Path: "repos/*/*/issues/*/labels", Kind: githubtest.TooManyRequests, RetryAfter: time.Second, Times: -1})
		res, err := f.publish(helloChange(), func(o *Options) { o.RateLimitBudget = 2500 * time.Millisecond })
		var be *BudgetError
		if !errors.Is(err, ErrBudgetExhausted) || !errors.As(err, &be) {
			t.Fatalf("Publish: %v, want ErrBudgetExhausted", err)
		}
		if !slices.Equal(f.slept, []time.Duration{time.Second, time.Second}) {
			t.Errorf("waits %v, want 1s twice", f.slept)
		}
		if res.PRs[0].Status != StatusFailed || res.PRs[0].Number != 1 {
			t.Errorf("result %+v", res.PRs[0])
		}
		// The PR is open without labels; the next cycle finishes it.
		f.srv.ClearFaults()
		again := f.mustPublish(helloChange(), nil)
		checkHelloDone(t, f)
		if !slices.Equal(again.Finished, []int{1}) {
			t.Errorf("finished %v", again.Finished)
		}
	})
	t.Run("later batches are left for the next cycle", func(t *testing.T) {
		f := newFixture(t, nil)
		f.srv.Inject(githubtest.Fault{Method: "POST", Path: "repos/*/*/git/trees", Kind: githubtest.SecondaryRateLimit, RetryAfter: time.Hour, Times: -1})
		changes := seedChanges()[:3] // two PRs
		res, err := f.publish(changes, nil)
		if !errors.Is(err, ErrBudgetExhausted) {
			t.Fatalf("Publish: %v", err)
		}
		if len(f.slept) != 0 {
			t.Errorf("waited %v for a limit beyond the budget", f.slept)
		}
		if len(res.PRs) != 2 || res.PRs[0].Status != StatusFailed || res.PRs[1].Status != StatusPending {
			t.Errorf("PRs %+v", res.PRs)
		}
		if len(f.srv.PullRequests()) != 0 || len(f.botBranches()) != 0 {
			t.Error("something was published")
		}
		f.srv.ClearFaults()
		f.mustPublish(changes, nil)
		if n := len(f.srv.PullRequests()); n != 2 {
			t.Errorf("%d PRs after the rerun", n)
		}
	})
}

func TestDryRun(t *testing.T) {
	f := newFixture(t, nil)
	base := f.srv.Client()
	hc := *base.Client()
	hc.Transport = ReadOnlyTransport(hc.Transport)
	ro, err := github.NewClient(&hc).WithEnterpriseURLs(f.srv.URL(), f.srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(FromGitHub(ro), nil, Options{Owner: f.srv.Owner(), Repo: f.srv.Repo(), DryRun: true, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Publish(context.Background(), seedChanges())
	if err != nil {
		t.Fatal(err)
	}
	if m := f.srv.Mutations(); len(m) != 0 {
		t.Errorf("dry run wrote: %+v", m)
	}
	if len(res.PRs) != 3 || len(f.srv.PullRequests()) != 0 || len(f.botBranches()) != 0 {
		t.Fatalf("dry run: %d planned, %d PRs, branches %v", len(res.PRs), len(f.srv.PullRequests()), f.botBranches())
	}
	for i, pr := range res.PRs {
		if pr.Status != StatusDryRun || pr.Title == "" || pr.Body == "" || len(pr.Diffs) == 0 {
			t.Errorf("PR %d: %+v", i, pr)
		}
	}
	var diffs strings.Builder
	for _, d := range res.PRs[1].Diffs {
		diffs.WriteString(d.Diff)
	}
	golden(t, "publish/dry-run-pr2.diff", diffs.String())

	// The read-only transport refuses writes whatever calls them.
	_, _, err = ro.Git.CreateRef(context.Background(), f.srv.Owner(), f.srv.Repo(), &github.Reference{
		Ref: github.String("refs/heads/x"), Object: &github.GitObject{SHA: github.String("0000000000000000000000000000000000000000")}})
	if !errors.Is(err, ErrWriteRefused) || len(f.srv.Mutations()) != 0 {
		t.Errorf("CreateRef through the read-only transport: %v", err)
	}
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL()+"repos/"+f.srv.Owner()+"/"+f.srv.Repo(), nil)
	if resp, err := ReadOnlyTransport(hc.Transport.(readOnly).rt).RoundTrip(req); err != nil {
		t.Errorf("GET through the read-only transport: %v", err)
	} else {
		resp.Body.Close()
	}
}

func TestFork(t *testing.T) {
	f := newFixture(t, func(o *githubtest.Options) { o.Forks = []string{"markbot-bot"} })
	res := f.mustPublish(helloChange(), func(o *Options) { o.Fork = "markbot-bot" })
	pr, ok := f.srv.PullRequest(1)
	if !ok || pr.HeadOwner != "markbot-bot" || !pr.MaintainerCanModify || pr.HeadRef != res.PRs[0].Branch {
		t.Fatalf("PR %+v", pr)
	}
	if len(f.botBranches()) != 0 {
		t.Errorf("branch in the upstream: %v", f.botBranches())
	}
	fork, _ := f.srv.ForkPath("markbot-bot")
	if got := git(t, fork, "show", pr.HeadRef+":pkgs/by-name/he/hello/package.nix"); !strings.Contains(got, "broken = true;") {
		t.Errorf("fork branch lacks the marker:\n%s", got)
	}
	f.srv.ResetStats()
	f.mustPublish(helloChange(), func(o *Options) { o.Fork = "markbot-bot" })
	if m := f.srv.Mutations(); len(m) != 0 {
		t.Errorf("second Publish wrote: %+v", m)
	}
}

// runOverhead are the per-Publish reads: base ref and commit, the branch
// list, one open-PR lookup per markbot branch, and one user lookup per
// distinct maintainer.
var runOverhead = []string{
	"GET /repos/{owner}/{repo}/git/ref/{ref...}",
	"GET /repos/{owner}/{repo}/git/commits/{sha}",
	"GET /repos/{owner}/{repo}/pulls",
	"GET /repos/{owner}/{repo}/git/matching-refs/{ref...}",
	"GET /user/{id}",
	// The reviewer checks (reviewers.go): one per distinct maintainer or team.
	"GET /repos/{owner}/{repo}/collaborators/{login}",
	"GET /orgs/{org}/teams/{slug}/repos/{owner}/{repo}",
}

func TestAPICallsPerPR(t *testing.T) {
	tests := []struct {
		name    string
		changes []Change
		files   int // files of the batch
		perPR   int // measured
		users   int // distinct maintainers
		// trees are the file-mode reads (modes.go): one per directory on
		// the files' paths, root included, each read once a run.
		trees int
	}{
		// contents×2, tree, commit, ref, PR, labels, reviewers; trees:
		// /, pkgs, by-name, he, hello, fz, fzf
		{"two files, reviewers", seedChanges()[:2], 2, 8, 2, 7},
		// contents, tree, commit, ref, PR, labels; nobody to request;
		// trees: /, pkgs, tools, networking, netkit
		{"one file, unmaintained", seedChanges()[3:5], 1, 6, 0, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.mustPublish(tt.changes, nil)
			counts := f.srv.RequestCounts()
			total := f.srv.Requests()
			overhead := 0
			for _, e := range runOverhead {
				overhead += counts[e]
			}
			trees := counts["GET /repos/{owner}/{repo}/git/trees/{sha}"]
			if trees != tt.trees {
				t.Errorf("%d tree reads for the file modes, want %d", trees, tt.trees)
			}
			perPR := total - overhead - trees
			t.Logf("%d requests: %d per run (%v), %d for the PR", total, overhead, counts, perPR)
			if perPR > tt.files+6 || perPR != tt.perPR {
				t.Errorf("%d calls for the PR, want %d (≤ files+6 = %d)", perPR, tt.perPR, tt.files+6)
			}
			// No markbot branch yet: base ref, base commit, matching-refs
			// and the users (looked up and checked); no PR lookup.
			if overhead != 3+2*tt.users || counts["GET /repos/{owner}/{repo}/pulls"] != 0 {
				t.Errorf("%d calls of per-run overhead, want %d", overhead, 3+2*tt.users)
			}
		})
	}
}

func TestMapLine(t *testing.T) {
	old := "a\nb\nc\nd\n"
	tests := []struct {
		cur        string
		line, want int
		ok         bool
	}{
		{old, 3, 3, true},
		{"a\nX\nb\nc\nd\n", 3, 4, true},    // a line inserted above
		{"a\nb\nc\nX\nY\nd\n", 3, 3, true}, // below
		{"a\nB\nc\nd\n", 2, 0, false},      // the line itself changed
		{"a, stdenv\nb\nc\nX\nd\n", 3, 3, true},
	}
	for _, tt := range tests {
		got, ok := mapLine(old, tt.cur, tt.line)
		if got != tt.want || ok != tt.ok {
			t.Errorf("mapLine(%q, %d) = %d, %v; want %d, %v", tt.cur, tt.line, got, ok, tt.want, tt.ok)
		}
	}
}

func mustInt(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		panic(err)
	}
	return n
}

// A mark PR merged by a human, then the package builds again: the unmark
// PR shows the green build, and the markers follow in state.
func TestMergedThenReverted(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.mustPublish(helloChange(), nil)
	if _, err := f.srv.MergePullRequest(1, "alice", "squash"); err != nil {
		t.Fatal(err)
	}
	green := Change{Kind: KindUnmark, File: "pkgs/by-name/he/hello/package.nix", Line: 52, Attrs: []string{"hello"},
		BuildID: 320000001, BuildURL: hydraBuild("320000001"), Since: since, Maintainers: []nixpkgs.Maintainer{alice, bob}}
	res := f.mustPublish([]Change{green}, nil)
	if m, _, _ := f.st.LiveMarker(ctx, "hello"); m.State != state.Reverting || m.PR != 1 || m.RevertPR != 2 {
		t.Errorf("marker after the unmark PR: %+v", m)
	}
	if sp, _ := f.st.PR(ctx, 1); sp.State != state.PRMerged {
		t.Errorf("mark PR in state: %+v", sp)
	}
	pr, ok := f.srv.PullRequest(2)
	if !ok || pr.Title != "hello: unmark broken" || res.PRs[0].Number != 2 || !slices.Equal(pr.Labels, nil) {
		t.Fatalf("unmark PR %+v", pr)
	}
	golden(t, "publish/unmark.body.md", pr.Body)
	if got, _ := f.srv.File(pr.HeadRef, green.File); !bytes.Equal(got, mustRead(t, "testdata/nixpkgs/"+green.File)) {
		t.Errorf("the unmark branch does not give back the original file:\n%s", got)
	}
	if _, err := f.srv.MergePullRequest(2, "alice", "merge"); err != nil {
		t.Fatal(err)
	}
	f.mustPublish(nil, nil)
	if ms, _ := f.st.Markers(ctx, state.Reverted); len(ms) != 1 {
		t.Errorf("reverted markers: %+v", ms)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A crashed run's branch that no longer starts at the base's head is
// force-updated rather than reused.
func TestStaleBranchIsForceUpdated(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.Inject(githubtest.Fault{Method: "POST", Path: "repos/*/*/pulls", Kind: githubtest.ServerError})
	if _, err := f.publish(helloChange(), nil); err == nil {
		t.Fatal("no error")
	}
	old, _ := f.srv.Ref(f.botBranches()[0])
	readme := "moved on\n"
	if _, err := f.srv.Commit("master", "unrelated", map[string]*string{"README.md": &readme}); err != nil {
		t.Fatal(err)
	}
	f.srv.ResetStats()
	res := f.mustPublish(helloChange(), nil)
	checkHelloDone(t, f)
	if res.PRs[0].Reused || f.srv.RequestCount("PATCH /repos/{owner}/{repo}/git/refs/{ref...}") != 1 {
		t.Errorf("reused %v, counts %v", res.PRs[0].Reused, f.srv.RequestCounts())
	}
	pr, _ := f.srv.PullRequest(1)
	if pr.HeadSHA == old {
		t.Error("the PR points at the stale commit")
	}
	master, _ := f.srv.Ref("master")
	if parents := git(t, f.srv.RepoPath(), "log", "--format=%P", "-1", pr.HeadSHA); strings.TrimSpace(parents) != master {
		t.Errorf("head's parent %s, master %s", parents, master)
	}
}

// A mark PR whose creation answer was lost is adopted by a Publish without
// changes (the revert loop's sync): its markers are recorded as planned in
// its branch's event (logged before the PR was created), and so are the
// reviewers requested. The changes coming again later change nothing; if they never
// come (the package was fixed meanwhile), the merged PR's marker is still
// tracked.
func TestAdoptedBeforeItsChangesCome(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.srv.Inject(githubtest.Fault{Method: "POST", Path: "repos/*/*/pulls", Kind: githubtest.DropConnection, After: true})
	if _, err := f.publish(helloChange(), nil); err == nil {
		t.Fatal("no error despite the fault")
	}
	res := f.mustPublish(nil, nil)
	if !slices.Contains(res.Finished, 1) {
		t.Fatalf("PR #1 not adopted: %+v", res)
	}
	if pr, _ := f.srv.PullRequest(1); !slices.Equal(pr.Reviewers, []string{"alice", "bob"}) {
		t.Errorf("adopted without its changes: reviewers %v, want the planned alice, bob", pr.Reviewers)
	}
	m, ok, _ := f.st.LiveMarker(ctx, "hello")
	want := helloChange()[0]
	if !ok || m.PR != 1 || m.File != want.File || m.Line != want.Line || m.BuildURL != want.BuildURL || !m.Since.Equal(want.Since) || m.State != state.Proposed {
		t.Fatalf("marker planned with the branch: %+v %v", m, ok)
	}
	res = f.mustPublish(helloChange(), nil)
	if res.Changes[0].Outcome != OutcomeCovered {
		t.Errorf("change %+v", res.Changes[0])
	}
	checkHelloDone(t, f)
	if ms, _ := f.st.Markers(ctx); len(ms) != 1 {
		t.Errorf("%d markers, want 1: %+v", len(ms), ms)
	}
	if _, err := f.srv.MergePullRequest(1, "alice", "squash"); err != nil {
		t.Fatal(err)
	}
	f.mustPublish(nil, nil)
	if m, _, _ := f.st.LiveMarker(ctx, "hello"); m.State != state.Merged {
		t.Errorf("marker after the merge: %+v", m)
	}
}
