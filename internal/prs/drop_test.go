package prs

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

const green = "builds again on Hydra: https://hydra.nixos.org/build/320000009"

var bg = context.Background()

func (f *fixture) drop(number int, drops []Drop, mod func(*Options)) (*DropResult, error) {
	return f.publisher(mod).Drop(bg, number, drops)
}

func (f *fixture) mustDrop(number int, drops ...Drop) *DropResult {
	f.t.Helper()
	res, err := f.drop(number, drops, nil)
	if err != nil {
		f.t.Fatalf("Drop: %v", err)
	}
	return res
}

func (f *fixture) pr(n int) githubtest.PullRequest {
	f.t.Helper()
	p, ok := f.srv.PullRequest(n)
	if !ok {
		f.t.Fatalf("no PR #%d", n)
	}
	return p
}

// branchCommits are the commits of branch not on master, oldest first.
func (f *fixture) branchCommits(branch string) []string {
	f.t.Helper()
	return strings.Fields(git(f.t, f.srv.RepoPath(), "rev-list", "--reverse", "master.."+branch))
}

func (f *fixture) file(rev, path string) string {
	f.t.Helper()
	b, err := f.srv.File(rev, path)
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b)
}

// dropComments are markbot's drop comments on PR n.
func (f *fixture) dropComments(n int) []string {
	var out []string
	for _, c := range f.pr(n).Comments {
		if strings.Contains(c.Body, "<!-- markbot-drop") {
			out = append(out, c.Body)
		}
	}
	return out
}

func (f *fixture) marker(attr string) state.Marker {
	f.t.Helper()
	ms, err := f.st.Markers(bg)
	if err != nil {
		f.t.Fatal(err)
	}
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].Attr == attr {
			return ms[i]
		}
	}
	f.t.Fatalf("no marker for %s", attr)
	return state.Marker{}
}

func (f *fixture) skips() []state.Skip {
	f.t.Helper()
	s, err := f.st.ActiveSkips(bg, time.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

func endpoints(calls []githubtest.Call) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Endpoint)
	}
	return out
}

var opID = regexp.MustCompile(`"op":\d+`)

// seedChange returns the seed change of attr.
func seedChange(t *testing.T, attr string) Change {
	t.Helper()
	for _, c := range seedChanges() {
		if c.Attr() == attr {
			return c
		}
	}
	t.Fatalf("no seed change %s", attr)
	return Change{}
}

// TestDropRewritesMarkbotBranch: a branch holding only markbot's commit is
// replaced by one commit on the same parent whose tree is the base plus
// the remaining markers, as git sees it; the PR's title, body, state and
// one comment follow; the same drop again writes nothing.
func TestDropRewritesMarkbotBranch(t *testing.T) {
	for _, tt := range []struct {
		name      string
		pr        int
		drop      string
		remaining []string // first attributes of the changes left
		title     string
	}{
		{"pr2-drop-hello", 2, "hello", []string{"fzf"}, "fzf: mark broken"},
		{"pr1-drop-telnet", 1, "netkit-telnet", []string{"netkit-ftp"}, "netkit-ftp: mark broken"},
		{"pr1-drop-ftp", 1, "netkit-ftp", []string{"netkit-telnet"}, "netkit-telnet: mark broken"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			f.mustPublish(seedChanges(), nil)
			master, _ := f.srv.Ref("master")
			before := f.pr(tt.pr)
			f.srv.ResetStats()

			res := f.mustDrop(tt.pr, Drop{Attr: tt.drop, Reason: green})
			if len(res.Packages) != 1 || res.Packages[0].Outcome != DropDropped || res.Packages[0].Edit != "marker taken out of the branch" ||
				res.BranchUpdate != BranchRewritten || res.Closed || res.NothingLeft || res.HumanCommits {
				t.Fatalf("result %+v", res)
			}
			want := []string{"GET /repos/{owner}/{repo}/pulls/{number}", "GET /repos/{owner}/{repo}/git/commits/{sha}",
				"GET /repos/{owner}/{repo}/contents/{path...}", "POST /repos/{owner}/{repo}/git/trees", "POST /repos/{owner}/{repo}/git/commits",
				"GET /repos/{owner}/{repo}/git/ref/{ref...}", "PATCH /repos/{owner}/{repo}/git/refs/{ref...}",
				"PATCH /repos/{owner}/{repo}/pulls/{number}", "POST /repos/{owner}/{repo}/issues/{number}/comments"}
			// The file mode of the rewritten file: its tree read from the
			// root down, 5 directories for pkgs/by-name/he/hello and for
			// pkgs/tools/networking/netkit (modes.go).
			for range 5 {
				want = append(want, "GET /repos/{owner}/{repo}/git/trees/{sha}")
			}
			var got []string
			for ep, n := range f.srv.RequestCounts() {
				for range n {
					got = append(got, ep)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("requests %q\nwant %q", got, want)
			}

			pr := f.pr(tt.pr)
			commits := f.branchCommits(pr.HeadRef)
			if len(commits) != 1 || commits[0] != pr.HeadSHA || pr.HeadSHA == before.HeadSHA {
				t.Fatalf("branch %s: commits %v (head %s, was %s)", pr.HeadRef, commits, pr.HeadSHA, before.HeadSHA)
			}
			if parent := strings.TrimSpace(git(t, f.srv.RepoPath(), "rev-parse", pr.HeadSHA+"^")); parent != master {
				t.Errorf("parent %s, want master %s", parent, master)
			}
			// The tree: master plus the remaining changes' markers.
			var rest []Change
			for _, a := range tt.remaining {
				rest = append(rest, seedChange(t, a))
			}
			b := Batch{Kind: KindMark, Changes: rest}
			contents := map[string]string{}
			for _, file := range b.Files() {
				contents[file] = f.file("master", file)
			}
			edits, _ := applyEdits(b, contents)
			changed := strings.Fields(git(t, f.srv.RepoPath(), "diff", "--name-only", master, pr.HeadSHA))
			if len(edits) != len(changed) {
				t.Fatalf("files changed %v, want %d", changed, len(edits))
			}
			for i, e := range edits {
				if changed[i] != e.File || f.file(pr.HeadSHA, e.File) != e.New {
					t.Errorf("%s on the branch is not master with the remaining markers", e.File)
				}
			}
			if msg := git(t, f.srv.RepoPath(), "log", "-1", "--format=%B", pr.HeadSHA); strings.TrimSpace(msg) != strings.TrimSpace(CommitMessage(b)) {
				t.Errorf("commit message %q, want %q", msg, CommitMessage(b))
			}

			if pr.Title != tt.title || pr.State != "open" {
				t.Errorf("PR %q %s", pr.Title, pr.State)
			}
			golden(t, "drop/"+tt.name+".body.md", pr.Body)
			comments := f.dropComments(tt.pr)
			if len(comments) != 1 {
				t.Fatalf("%d drop comments", len(comments))
			}
			golden(t, "drop/"+tt.name+".comment.md", opID.ReplaceAllString(comments[0], `"op":N`))

			sp, err := f.st.PR(bg, tt.pr)
			if err != nil || sp.HeadSHA != pr.HeadSHA || sp.State != state.PROpen || !slices.Equal(sp.Attrs, b.Attrs()) {
				t.Errorf("state PR %+v %v", sp, err)
			}
			if m := f.marker(tt.drop); m.State != state.Dropped {
				t.Errorf("dropped marker %+v", m)
			}
			for _, a := range tt.remaining {
				if m := f.marker(a); m.State != state.Proposed || m.PR != tt.pr {
					t.Errorf("remaining marker %+v", m)
				}
			}
			if s := f.skips(); len(s) != 0 {
				t.Errorf("skips %+v", s)
			}

			// Again: already dropped, nothing written.
			f.srv.ResetStats()
			again := f.mustDrop(tt.pr, Drop{Attr: tt.drop, Reason: green})
			if len(again.Packages) != 1 || again.Packages[0].Outcome != DropAlready || len(f.srv.Mutations()) != 0 {
				t.Errorf("again: %+v, mutations %v", again.Packages, f.srv.Mutations())
			}
			// A Publish sees the PR as markbot left it: nothing to do.
			var still []Change
			for _, c := range seedChanges() {
				if c.Attr() != tt.drop {
					still = append(still, c)
				}
			}
			f.mustPublish(still, nil)
			if m := f.srv.Mutations(); len(m) != 0 {
				t.Errorf("the next Publish wrote: %v", endpoints(m))
			}
		})
	}
}

// TestDropKeepsHumanCommits: others' commits on the branch stay; markbot
// adds one on top. Then a fix pushed to the branch makes the next Publish
// drop the package it touched (and not propose it again), which leaves
// nothing of markbot's: the PR stays open.
func TestDropKeepsHumanCommits(t *testing.T) {
	f := newFixture(t, nil)
	f.mustPublish(seedChanges(), nil)
	pr := f.pr(2)
	mark := pr.HeadSHA
	readme := "a note by alice\n"
	alice, err := f.srv.CommitAs(pr.HeadRef, "alice", "docs: a note", map[string]*string{"NOTES.md": &readme})
	if err != nil {
		t.Fatal(err)
	}

	res := f.mustDrop(2, Drop{Attr: "hello", Reason: "dropped by @dave (`@markbot drop`)"})
	if res.BranchUpdate != BranchCommitted || !res.HumanCommits || res.Closed || res.NothingLeft ||
		len(res.Packages) != 1 || res.Packages[0].Attr != "hello" || !slices.Equal(res.Remaining, []string{"fzf"}) {
		t.Fatalf("result %+v", res)
	}
	pr = f.pr(2)
	commits := f.branchCommits(pr.HeadRef)
	if len(commits) != 3 || commits[0] != mark || commits[1] != alice || commits[2] != pr.HeadSHA {
		t.Fatalf("commits %v, want markbot's %s, alice's %s, then the drop", commits, mark, alice)
	}
	msg := git(t, f.srv.RepoPath(), "log", "-1", "--format=%B", pr.HeadSHA)
	if !strings.HasPrefix(msg, "hello: drop broken marker from this PR\n\nhello: dropped by @dave") || !strings.Contains(msg, commitTrailer) {
		t.Errorf("commit message %q", msg)
	}
	if f.file(pr.HeadSHA, "pkgs/by-name/he/hello/package.nix") != f.file("master", "pkgs/by-name/he/hello/package.nix") ||
		f.file(pr.HeadSHA, "pkgs/by-name/fz/fzf/package.nix") != f.file(mark, "pkgs/by-name/fz/fzf/package.nix") ||
		f.file(pr.HeadSHA, "NOTES.md") != readme {
		t.Error("the branch is not alice's with hello's marker taken out")
	}
	if sp, _ := f.st.PR(bg, 2); sp.HeadSHA != pr.HeadSHA || !slices.Equal(sp.Attrs, []string{"fzf"}) {
		t.Errorf("state PR %+v", sp)
	}

	// bob pushes a fix for fzf, leaving markbot's marker in place.
	fzfFile := "pkgs/by-name/fz/fzf/package.nix"
	fixed := strings.Replace(f.file(pr.HeadSHA, fzfFile), "buildGoModule", "buildGo124Module", 1)
	if fixed == f.file(pr.HeadSHA, fzfFile) {
		t.Fatal("the fixture's fzf changed: nothing to fix")
	}
	bob, err := f.srv.CommitAs(pr.HeadRef, "bob", "fzf: fix the build", map[string]*string{fzfFile: &fixed})
	if err != nil {
		t.Fatal(err)
	}
	pub := f.mustPublish(seedChanges(), nil)
	if len(pub.Drops) != 1 {
		t.Fatalf("drops %+v", pub.Drops)
	}
	d := pub.Drops[0]
	wantReason := "a fix was pushed to this branch by @bob (" + bob[:12] + ")"
	if d.PR != 2 || len(d.Packages) != 1 || d.Packages[0].Attr != "fzf" || d.Packages[0].Reason != wantReason ||
		d.Packages[0].Edit != "marker taken out of the branch" || !d.NothingLeft || d.Closed {
		t.Fatalf("drop %+v", d)
	}
	for _, c := range pub.Changes {
		if c.Attrs[0] == "fzf" && (c.Outcome != OutcomeClosedByHuman || !strings.Contains(c.Reason, wantReason)) {
			t.Errorf("fzf in the Publish: %+v", c)
		}
	}
	if len(pub.PRs) != 0 && slices.ContainsFunc(pub.PRs, func(p PRResult) bool { return slices.Contains(p.Attrs, "fzf") }) {
		t.Errorf("fzf proposed again: %+v", pub.PRs)
	}
	pr = f.pr(2)
	if pr.State != "open" {
		t.Errorf("PR %s", pr.State)
	}
	if strings.Contains(f.file(pr.HeadSHA, fzfFile), "# markbot:") || !strings.Contains(f.file(pr.HeadSHA, fzfFile), "buildGo124Module") {
		t.Errorf("fzf on the branch keeps the marker or lost bob's fix:\n%s", f.file(pr.HeadSHA, fzfFile))
	}
	if commits := f.branchCommits(pr.HeadRef); len(commits) != 5 || commits[3] != bob {
		t.Errorf("commits %v", commits)
	}
	if _, ok := ParseHidden(pr.Body); ok {
		t.Error("an empty PR still has a hidden block naming packages")
	}
	comments := f.dropComments(2)
	if len(comments) != 2 || !strings.Contains(comments[1], "Nothing markbot proposed is left here") || !strings.Contains(comments[1], "`@bob`") {
		t.Fatalf("comments %q", comments)
	}
	if s := f.skips(); len(s) != 1 || s[0].Attr != "fzf" || !strings.Contains(s[0].Reason, "a fix was pushed") {
		t.Errorf("skips %+v", s)
	}
	if sp, _ := f.st.PR(bg, 2); sp.State != state.PROpen || len(sp.Attrs) != 0 || sp.HeadSHA != pr.HeadSHA {
		t.Errorf("state PR %+v", sp)
	}
	// Once looked at, the same commits are not looked at again.
	f.srv.ResetStats()
	f.mustPublish(seedChanges(), nil)
	if m := f.srv.Mutations(); len(m) != 0 {
		t.Errorf("the next Publish wrote: %v", endpoints(m))
	}
	if n := f.srv.RequestCount("GET /repos/{owner}/{repo}/pulls/{number}/commits"); n != 0 {
		t.Errorf("%d PR commit listings", n)
	}
}

// TestPushedFixOnlyTouchingOtherFiles: commits by others that touch no
// marked file drop nothing; their head is recorded and not looked at again.
func TestPushedFixOnlyTouchingOtherFiles(t *testing.T) {
	f := newFixture(t, nil)
	f.mustPublish(seedChanges(), nil)
	pr := f.pr(2)
	note := "x\n"
	if _, err := f.srv.CommitAs(pr.HeadRef, "alice", "docs", map[string]*string{"NOTES.md": &note}); err != nil {
		t.Fatal(err)
	}
	f.srv.ResetStats()
	pub := f.mustPublish(seedChanges(), nil)
	if len(pub.Drops) != 0 || len(f.srv.Mutations()) != 0 {
		t.Errorf("drops %+v, mutations %v", pub.Drops, endpoints(f.srv.Mutations()))
	}
	if n := f.srv.RequestCount("GET /repos/{owner}/{repo}/commits/{ref}"); n != 1 {
		t.Errorf("%d commits read, want alice's", n)
	}
	if sp, _ := f.st.PR(bg, 2); sp.HeadSHA != f.pr(2).HeadSHA || len(sp.Attrs) != 2 {
		t.Errorf("state PR %+v", sp)
	}
	f.srv.ResetStats()
	f.mustPublish(seedChanges(), nil)
	if n := f.srv.RequestCount("GET /repos/{owner}/{repo}/pulls/{number}/commits"); n != 0 {
		t.Errorf("looked again: %d listings", n)
	}
	// A later drop keeps alice's commit: the branch is not markbot's alone.
	res := f.mustDrop(2, Drop{Attr: "fzf", Reason: green})
	if res.BranchUpdate != BranchCommitted {
		t.Errorf("branch update %q", res.BranchUpdate)
	}
}

// TestDropLastPackageClosesPR: with nothing left, markbot closes the PR
// itself: no skips, and the next Publish neither takes that for a human's
// no nor holds the package back.
func TestDropLastPackageClosesPR(t *testing.T) {
	f := newFixture(t, nil)
	f.mustPublish(helloChange(), nil)
	before := f.pr(1)
	res := f.mustDrop(1, Drop{Attr: "hello", Reason: green})
	if !res.Closed || res.NothingLeft || res.BranchUpdate != "" || len(res.Remaining) != 0 {
		t.Fatalf("result %+v", res)
	}
	pr := f.pr(1)
	if pr.State != "closed" || pr.Merged || pr.HeadSHA != before.HeadSHA || pr.Title != before.Title {
		t.Errorf("PR %s merged=%v head %s (was %s) %q", pr.State, pr.Merged, pr.HeadSHA, before.HeadSHA, pr.Title)
	}
	golden(t, "drop/pr1-close.body.md", pr.Body)
	if c := f.dropComments(1); len(c) != 1 || !strings.Contains(c[0], "markbot closes this pull request") {
		t.Errorf("comments %q", c)
	}
	if sp, _ := f.st.PR(bg, 1); sp.State != state.PRClosed || len(sp.Attrs) != 0 {
		t.Errorf("state PR %+v", sp)
	}
	if ev, _ := f.st.Events(bg, state.EventFilter{PR: 1, Kind: "pr.closed"}); len(ev) != 1 || !strings.Contains(ev[0].Message, "closed by markbot") {
		t.Errorf("pr.closed events %+v", ev)
	}
	if m := f.marker("hello"); m.State != state.Dropped {
		t.Errorf("marker %+v", m)
	}
	if s := f.skips(); len(s) != 0 {
		t.Errorf("skips %+v", s)
	}
	// hello fails again: proposed again, not held back as closed by a human.
	pub := f.mustPublish(helloChange(), nil)
	if c := pub.Changes[0]; c.Outcome != OutcomeIncluded || c.PR != 2 {
		t.Errorf("hello after markbot's close: %+v", c)
	}
}

func TestDropDryRun(t *testing.T) {
	f := newFixture(t, nil)
	f.mustPublish(seedChanges(), nil)
	note := "x\n"
	if _, err := f.srv.CommitAs(f.pr(2).HeadRef, "alice", "hello: fix", map[string]*string{"pkgs/by-name/he/hello/NOTES": &note}); err != nil {
		t.Fatal(err)
	}
	events, _ := f.st.Events(bg, state.EventFilter{Limit: 100000})
	f.srv.ResetStats()
	res, err := f.drop(2, []Drop{{Attr: "fzf", Reason: green}}, func(o *Options) { o.DryRun = true })
	if err != nil {
		t.Fatal(err)
	}
	if !res.DryRun || res.BranchUpdate != BranchCommitted || len(res.Diffs) != 1 || !strings.Contains(res.Diffs[0].Diff, "-    broken = true;") ||
		!strings.Contains(res.Body, "### Dropped from this PR") || !strings.Contains(res.Comment, "`fzf`") || res.Title != "hello: mark broken" {
		t.Errorf("dry run %+v", res)
	}
	if m := f.srv.Mutations(); len(m) != 0 {
		t.Errorf("a dry run wrote: %v", endpoints(m))
	}
	if after, _ := f.st.Events(bg, state.EventFilter{Limit: 100000}); len(after) != len(events) {
		t.Errorf("a dry run logged %d events", len(after)-len(events))
	}
	if m := f.marker("fzf"); m.State != state.Proposed {
		t.Errorf("marker %+v", m)
	}
	// A dry-run Publish reports the drop a pushed commit would cause, too.
	fix := "fixed\n"
	if _, err := f.srv.CommitAs(f.pr(2).HeadRef, "bob", "fzf: fix", map[string]*string{"pkgs/by-name/fz/fzf/package.nix": &fix}); err != nil {
		t.Fatal(err)
	}
	f.srv.ResetStats()
	pub, err := f.publish(seedChanges(), func(o *Options) { o.DryRun = true })
	if err != nil {
		t.Fatal(err)
	}
	if len(pub.Drops) != 1 || !pub.Drops[0].DryRun || len(pub.Drops[0].Dropped()) != 1 || pub.Drops[0].Dropped()[0].Attr != "fzf" {
		t.Errorf("dry-run Publish drops %+v", pub.Drops)
	}
	if m := f.srv.Mutations(); len(m) != 0 {
		t.Errorf("a dry-run Publish wrote: %v", endpoints(m))
	}
}

func TestDropNotInPR(t *testing.T) {
	f := newFixture(t, nil)
	f.mustPublish(seedChanges(), nil)
	f.srv.ResetStats()
	res := f.mustDrop(2, Drop{Attr: "firefox", Reason: "r"})
	if len(res.Packages) != 1 || res.Packages[0].Outcome != DropNotInPR || !slices.Equal(res.Remaining, []string{"fzf", "hello"}) {
		t.Errorf("result %+v", res)
	}
	if m := f.srv.Mutations(); len(m) != 0 {
		t.Errorf("wrote: %v", endpoints(m))
	}
	// A package of another markbot PR is not in this one either.
	if res := f.mustDrop(2, Drop{Attr: "netkit-ftp"}); res.Packages[0].Outcome != DropNotInPR {
		t.Errorf("netkit-ftp from #2: %+v", res.Packages)
	}
	// The second attribute of a derivation drops the whole derivation.
	res = f.mustDrop(3, Drop{Attr: "python313Packages.aiogram", Reason: green})
	if !res.Closed || len(res.Packages) != 1 || !slices.Equal(res.Packages[0].Attrs, []string{"python312Packages.aiogram", "python313Packages.aiogram"}) {
		t.Errorf("aiogram: %+v", res)
	}
	if _, err := f.drop(2, []Drop{{Attr: ""}}, nil); err == nil {
		t.Error("no error for a drop without an attribute")
	}
	if _, err := f.drop(99, []Drop{{Attr: "hello"}}, nil); err == nil {
		t.Error("no error for PR #99")
	}
	// PR #3, which markbot closed: nothing more to drop.
	if res, err := f.drop(3, []Drop{{Attr: "hello"}}, nil); err != nil || !res.Closed || res.Packages[0].Outcome != DropNotInPR {
		t.Errorf("markbot's closed PR: %+v, %v", res, err)
	}
	// PR #1, which a human closed.
	if err := f.srv.ClosePullRequest(1, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.drop(1, []Drop{{Attr: "netkit-ftp"}}, nil); !errors.Is(err, ErrPRClosed) {
		t.Errorf("a closed PR: %v", err)
	}
	// A human's PR.
	c := f.srv.Client()
	sha, _ := f.srv.Ref("master")
	if _, _, err := c.Git.CreateRef(bg, "NixOS", "nixpkgs", &github.Reference{Ref: github.String("refs/heads/fix-hello"), Object: &github.GitObject{SHA: &sha}}); err != nil {
		t.Fatal(err)
	}
	x := "x"
	if _, err := f.srv.Commit("fix-hello", "fix", map[string]*string{"x": &x}); err != nil {
		t.Fatal(err)
	}
	p, _, err := c.PullRequests.Create(bg, "NixOS", "nixpkgs", &github.NewPullRequest{Title: github.String("t"), Head: github.String("fix-hello"), Base: github.String("master")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.drop(p.GetNumber(), []Drop{{Attr: "hello"}}, nil); !errors.Is(err, ErrNotMarkPR) {
		t.Errorf("a human's PR: %v", err)
	}
}

// dropEnd is the end state of a drop, comparable across fixtures (SHAs
// and op ids differ).
type dropEnd struct {
	State, Title, Body string
	Merged             bool
	Commits            int
	Files              map[string]string
	Comments           []string
	Markers            map[string]state.MarkerState
	PRState            state.PRState
	PRAttrs            string
	HeadRecorded       bool
	Skips              int
}

func (f *fixture) dropEnd(n int, files ...string) dropEnd {
	f.t.Helper()
	pr := f.pr(n)
	e := dropEnd{State: pr.State, Title: pr.Title, Body: pr.Body, Merged: pr.Merged, Commits: len(f.branchCommits(pr.HeadRef)),
		Files: map[string]string{}, Markers: map[string]state.MarkerState{}, Skips: len(f.skips())}
	for _, file := range files {
		e.Files[file] = f.file(pr.HeadSHA, file)
	}
	for _, c := range f.dropComments(n) {
		e.Comments = append(e.Comments, opID.ReplaceAllString(c, `"op":N`))
	}
	ms, _ := f.st.Markers(bg)
	for _, m := range ms {
		e.Markers[m.Attr] = m.State
	}
	sp, _ := f.st.PR(bg, n)
	e.PRState, e.PRAttrs, e.HeadRecorded = sp.State, strings.Join(sp.Attrs, ","), sp.HeadSHA == pr.HeadSHA
	return e
}

func (e dropEnd) diff(o dropEnd) string {
	var d []string
	if e.State != o.State || e.Merged != o.Merged || e.Title != o.Title || e.Commits != o.Commits || e.PRState != o.PRState ||
		e.PRAttrs != o.PRAttrs || e.HeadRecorded != o.HeadRecorded || e.Skips != o.Skips {
		d = append(d, "PR, branch or state differ")
	}
	if e.Body != o.Body {
		d = append(d, "bodies differ:\n"+e.Body+"\n---\n"+o.Body)
	}
	if !slices.Equal(e.Comments, o.Comments) {
		d = append(d, "comments differ: "+strings.Join(e.Comments, "\n")+"\n---\n"+strings.Join(o.Comments, "\n"))
	}
	for k, v := range e.Files {
		if o.Files[k] != v {
			d = append(d, k+" differs")
		}
	}
	for k, v := range e.Markers {
		if o.Markers[k] != v {
			d = append(d, "marker "+k+" differs")
		}
	}
	return strings.Join(d, "\n")
}

// TestDropCrashSafety: a fault at each write of a drop (not performed, or
// performed with the answer lost), then the same drop again: the same end
// state as without the fault, one comment, and a third run writes nothing.
func TestDropCrashSafety(t *testing.T) {
	type scenario struct {
		name  string
		setup func(f *fixture) // after publishing
		pr    int
		drop  string
		files []string
		seed  func() []Change
	}
	partial := scenario{name: "rewrite", pr: 2, drop: "hello", seed: seedChanges,
		files: []string{"pkgs/by-name/he/hello/package.nix", "pkgs/by-name/fz/fzf/package.nix"}}
	onTop := partial
	onTop.name = "on-top"
	onTop.setup = func(f *fixture) {
		note := "x\n"
		if _, err := f.srv.CommitAs(f.pr(2).HeadRef, "alice", "docs", map[string]*string{"NOTES.md": &note}); err != nil {
			f.t.Fatal(err)
		}
	}
	last := scenario{name: "close", pr: 1, drop: "hello", seed: helloChange, files: []string{"pkgs/by-name/he/hello/package.nix"}}
	steps := []struct {
		name, method, path string
		in                 []scenario
	}{
		{"tree", "POST", "repos/*/*/git/trees", []scenario{partial, onTop}},
		{"commit", "POST", "repos/*/*/git/commits", []scenario{partial, onTop}},
		{"ref", "PATCH", "repos/*/*/git/refs/**", []scenario{partial, onTop}},
		{"body", "PATCH", "repos/*/*/pulls/*", []scenario{partial, onTop}},
		{"comment", "POST", "repos/*/*/issues/*/comments", []scenario{partial, onTop, last}},
		{"close", "PATCH", "repos/*/*/pulls/*", []scenario{last}},
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
	run := func(t *testing.T, sc scenario, fault *githubtest.Fault) (*fixture, error) {
		f := newFixture(t, nil)
		f.mustPublish(sc.seed(), nil)
		if sc.setup != nil {
			sc.setup(f)
		}
		if fault != nil {
			f.srv.Inject(*fault)
		}
		_, err := f.drop(sc.pr, []Drop{{Attr: sc.drop, Reason: green}}, nil)
		return f, err
	}
	for _, sc := range []scenario{partial, onTop, last} {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			ref, err := run(t, sc, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := ref.dropEnd(sc.pr, sc.files...)
			if len(want.Comments) != 1 {
				t.Fatalf("reference: %d comments", len(want.Comments))
			}
			for _, step := range steps {
				if !slices.ContainsFunc(step.in, func(s scenario) bool { return s.name == sc.name }) {
					continue
				}
				for _, mode := range modes {
					t.Run(step.name+"/"+mode.name, func(t *testing.T) {
						t.Parallel()
						f, err := run(t, sc, &githubtest.Fault{Method: step.method, Path: step.path, Kind: mode.kind, After: mode.after})
						if err == nil {
							t.Fatal("no error despite the fault")
						}
						if f.srv.PendingFaults() != 0 {
							t.Fatal("the fault was not hit")
						}
						if _, err := f.drop(sc.pr, []Drop{{Attr: sc.drop, Reason: green}}, nil); err != nil {
							t.Fatalf("rerun: %v", err)
						}
						if d := f.dropEnd(sc.pr, sc.files...).diff(want); d != "" {
							t.Error(d)
						}
						f.srv.ResetStats()
						if _, err := f.drop(sc.pr, []Drop{{Attr: sc.drop, Reason: green}}, nil); err != nil {
							t.Fatalf("third run: %v", err)
						}
						if m := f.srv.Mutations(); len(m) != 0 {
							t.Errorf("third run wrote: %v", endpoints(m))
						}
					})
				}
			}
		})
	}
}

// TestMarkbotCloseAnswerLostThenPublish: the close was performed but its
// answer lost; the next Publish's sync sees markbot's closing intent and
// records the close as markbot's: no skip, and the package is proposed
// again when it fails.
func TestMarkbotCloseAnswerLostThenPublish(t *testing.T) {
	f := newFixture(t, nil)
	f.mustPublish(helloChange(), nil)
	f.srv.Inject(githubtest.Fault{Method: "PATCH", Path: "repos/*/*/pulls/*", Kind: githubtest.ServerError, After: true})
	if _, err := f.drop(1, []Drop{{Attr: "hello", Reason: green}}, nil); err == nil {
		t.Fatal("no error")
	}
	if f.pr(1).State != "closed" {
		t.Fatal("the close was not performed")
	}
	if sp, _ := f.st.PR(bg, 1); sp.State != state.PROpen {
		t.Fatalf("state knows already: %+v", sp)
	}
	pub := f.mustPublish(helloChange(), nil)
	if c := pub.Changes[0]; c.Outcome != OutcomeIncluded {
		t.Errorf("hello: %+v", c)
	}
	if s := f.skips(); len(s) != 0 {
		t.Errorf("skips %+v", s)
	}
	if sp, _ := f.st.PR(bg, 1); sp.State != state.PRClosed {
		t.Errorf("state PR %+v", sp)
	}
}

// TestDropFork: with branches in a fork (configured as "owner/repo"), the
// drop reads and rewrites the fork's branch.
func TestDropFork(t *testing.T) {
	f := newFixture(t, func(o *githubtest.Options) { o.Forks = []string{"markbot-bot"} })
	fork := func(o *Options) { o.Fork = "markbot-bot/nixpkgs" }
	f.mustPublish(seedChanges()[:2], fork)
	res, err := f.drop(1, []Drop{{Attr: "hello", Reason: green}}, fork)
	if err != nil || res.BranchUpdate != BranchRewritten || !slices.Equal(res.Remaining, []string{"fzf"}) {
		t.Fatalf("drop %+v, %v", res, err)
	}
	pr := f.pr(1)
	dir, _ := f.srv.ForkPath("markbot-bot")
	master, _ := f.srv.Ref("master")
	if head := strings.TrimSpace(git(t, dir, "rev-parse", "refs/heads/"+pr.HeadRef)); head != pr.HeadSHA {
		t.Errorf("fork branch at %s, PR head %s", head, pr.HeadSHA)
	}
	if parent := strings.TrimSpace(git(t, dir, "rev-parse", pr.HeadSHA+"^")); parent != master {
		t.Errorf("parent %s, want master %s", parent, master)
	}
	if got := git(t, dir, "show", pr.HeadSHA+":pkgs/by-name/he/hello/package.nix"); got != f.file("master", "pkgs/by-name/he/hello/package.nix") {
		t.Errorf("hello still marked on the fork's branch:\n%s", got)
	}
	if got := git(t, dir, "show", pr.HeadSHA+":pkgs/by-name/fz/fzf/package.nix"); !strings.Contains(got, "broken = true;") {
		t.Error("fzf lost its marker")
	}
}
