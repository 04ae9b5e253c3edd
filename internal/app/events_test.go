package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/nixpkgs-markbot/markbot/internal/bot"
	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// openPR opens a pull request from branch (with one commit) whose body
// carries markbot's hidden block for attrs, and returns its number.
func openPR(t *testing.T, gh *githubtest.Server, branch string, attrs []string, reviewers ...string) int {
	t.Helper()
	ctx := context.Background()
	c := gh.Client()
	sha, ok := gh.Ref("master")
	if !ok {
		t.Fatal("no master")
	}
	if _, _, err := c.Git.CreateRef(ctx, "NixOS", "nixpkgs", &github.Reference{Ref: github.String("refs/heads/" + branch),
		Object: &github.GitObject{SHA: github.String(sha)}}); err != nil {
		t.Fatal(err)
	}
	content := branch + "\n"
	if _, err := gh.Commit(branch, "change", map[string]*string{"file-" + strings.ReplaceAll(branch, "/", "-"): &content}); err != nil {
		t.Fatal(err)
	}
	body := "A pull request.\n\n" + prs.Hidden{Kind: prs.KindMark, Attrs: attrs, Version: prs.HiddenVersion}.String() + "\n"
	if len(attrs) == 0 {
		body = "A pull request by a human."
	}
	pr, _, err := c.PullRequests.Create(ctx, "NixOS", "nixpkgs", &github.NewPullRequest{Title: github.String("t"),
		Head: github.String(branch), Base: github.String("master"), Body: github.String(body)})
	if err != nil {
		t.Fatal(err)
	}
	if len(reviewers) > 0 {
		if _, _, err := c.PullRequests.RequestReviewers(ctx, "NixOS", "nixpkgs", pr.GetNumber(), github.ReviewersRequest{Reviewers: reviewers}); err != nil {
			t.Fatal(err)
		}
	}
	return pr.GetNumber()
}

// commentIDs numbers the comments tests make, as GitHub does.
var commentIDs atomic.Int64

func comment(pr int, login, association, body string) *github.IssueCommentEvent {
	return &github.IssueCommentEvent{Action: github.String("created"), Repo: repo(),
		Issue: &github.Issue{Number: github.Int(pr), PullRequestLinks: &github.PullRequestLinks{URL: github.String("https://api.github.com/x")}},
		Comment: &github.IssueComment{ID: github.Int64(commentIDs.Add(1)), Body: github.String(body), AuthorAssociation: github.String(association),
			User: &github.User{Login: github.String(login), Type: github.String("User")}}}
}

// published logs the "pr.published" event markbot's publisher logs for PR
// n, with the maintainers it planned as reviewers.
func published(t *testing.T, st *state.Store, n int, attr string, rv prs.Reviewers) {
	t.Helper()
	details, _ := json.Marshal(map[string]any{"url": "u", "branch": "markbot/mark-1", "reviewers": rv})
	if _, err := st.Log(context.Background(), state.Event{Kind: "pr.published", PR: n, Attr: attr, Details: details}); err != nil {
		t.Fatal(err)
	}
}

func comments(t *testing.T, gh *githubtest.Server, n int) []githubtest.Comment {
	t.Helper()
	p, ok := gh.PullRequest(n)
	if !ok {
		t.Fatalf("no PR #%d", n)
	}
	var out []githubtest.Comment
	for _, c := range p.Comments {
		if c.Author == "markbot[bot]" {
			out = append(out, c)
		}
	}
	return out
}

// TestPullRequestEvents: a closed markbot PR starts a cycle; every event
// about a markbot PR (any action) tells GitHubChanged, so that the next
// cycle reads markbot's PRs again; other PRs and repositories do neither.
func TestPullRequestEvents(t *testing.T) {
	action := func(a string) *github.PullRequestEvent {
		ev := prClosed(5, "markbot/mark-abc", false)
		ev.Action = github.String(a)
		return ev
	}
	for _, tc := range []struct {
		name             string
		ev               *github.PullRequestEvent
		trigger, changed bool
	}{
		{"markbot PR merged", prClosed(5, "markbot/mark-abc", true), true, true},
		{"markbot PR closed unmerged", prClosed(5, "markbot/mark-abc", false), true, true},
		{"someone else's PR", prClosed(5, "fix-hello", true), false, false},
		{"markbot PR opened", action("opened"), false, true},
		{"markbot PR pushed to", action("synchronize"), false, true},
		{"markbot PR edited", action("edited"), false, true},
		{"markbot PR reopened", action("reopened"), false, true},
		{"markbot PR unlabeled", action("unlabeled"), false, true},
		{"another repository", func() *github.PullRequestEvent {
			ev := prClosed(5, "markbot/mark-abc", true)
			ev.Repo = &github.Repository{Name: github.String("nixpkgs"), Owner: &github.User{Login: github.String("someone")}}
			return ev
		}(), false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var changed atomic.Int32
			e := newEnv(t, func(o *Options) { o.GitHubChanged = func() { changed.Add(1) } })
			if rec := e.post(t, "pull_request", "d", tc.ev); rec.Code != 202 {
				t.Fatalf("status %d", rec.Code)
			}
			e.drain(t)
			triggered := len(e.s.trigger) == 1
			if triggered != tc.trigger {
				t.Fatalf("cycle triggered: %v, want %v", triggered, tc.trigger)
			}
			if got := changed.Load() == 1; got != tc.changed {
				t.Errorf("GitHubChanged told %d times, want changed=%v", changed.Load(), tc.changed)
			}
			if tc.trigger {
				if reason := <-e.s.trigger; reason != "#5 closed" {
					t.Errorf("reason %q", reason)
				}
				found := false
				for _, entry := range e.log.AllEntries() {
					found = found || (entry.Data["pr"] == 5 && entry.Data["delivery"] == "d")
				}
				if !found {
					t.Error("no log entry with the pr and delivery fields")
				}
			}
		})
	}
}

func TestInstallationEventLogged(t *testing.T) {
	var changed atomic.Int32
	e := newEnv(t, func(o *Options) { o.GitHubChanged = func() { changed.Add(1) } })
	ev := &github.InstallationEvent{Action: github.String("created"),
		Installation: &github.Installation{ID: github.Int64(42), Account: &github.User{Login: github.String("NixOS")}}}
	if rec := e.post(t, "installation", "i1", ev); rec.Code != 202 {
		t.Fatalf("status %d", rec.Code)
	}
	e.drain(t)
	entry := e.log.LastEntry()
	if entry == nil || entry.Message != "installation event" || entry.Data["installation"] != int64(42) || entry.Data["account"] != "NixOS" {
		t.Fatalf("last log entry %+v", entry)
	}
	if changed.Load() != 1 {
		t.Errorf("an installation event told GitHubChanged %d times, want 1 (the repositories the App reaches may have changed)", changed.Load())
	}
}

func TestCommentCommands(t *testing.T) {
	for _, tc := range []struct {
		name         string
		login, assoc string
		body         string
		branch       string
		attrs        []string
		maintainers  []string // planned reviewers in state ("pr.published")
		mentioned    []string // maintainers named but not requested
		wantReply    []string // substrings; nil: no reply
		wantSkip     string
		wantTrigger  bool
		metric       string
	}{
		{name: "help", login: "mallory", assoc: "NONE", body: "@markbot help",
			wantReply: []string{"@markbot recheck", "@markbot drop <attr>", "30 days"}, metric: `command="help",outcome="ok"`},
		{name: "recheck by a collaborator", login: "alice", assoc: "COLLABORATOR", body: "Thanks!\n\n@markbot recheck\n",
			wantReply: []string{"@alice rechecking"}, wantTrigger: true, metric: `command="recheck",outcome="ok"`},
		{name: "recheck by a maintainer", login: "bob", assoc: "CONTRIBUTOR", body: "@markbot recheck", maintainers: []string{"Bob"},
			wantReply: []string{"@bob rechecking"}, wantTrigger: true, metric: `command="recheck",outcome="ok"`},
		{name: "recheck by a maintainer named, not requested", login: "bob", assoc: "NONE", body: "@markbot recheck", mentioned: []string{"bob"},
			wantReply: []string{"@bob rechecking"}, wantTrigger: true, metric: `command="recheck",outcome="ok"`},
		{name: "recheck by anyone", login: "mallory", assoc: "NONE", body: "@markbot recheck",
			wantReply: []string{"@mallory sorry, only the packages' maintainers and committers can ask for a recheck"}, metric: `command="recheck",outcome="unauthorised"`},
		{name: "recheck by a pending reviewer who is no maintainer", login: "alice", assoc: "CONTRIBUTOR", body: "@markbot recheck", maintainers: []string{"bob"},
			wantReply: []string{"only the packages' maintainers and committers"}, metric: `command="recheck",outcome="unauthorised"`},
		{name: "drop by a collaborator", login: "alice", assoc: "COLLABORATOR", body: "@markbot drop hello",
			wantReply: []string{"will not propose `hello` again for 30 days", "push a commit removing its marker", "stays in this pull request"},
			wantSkip:  "hello", metric: `command="drop",outcome="ok"`},
		{name: "drop by a maintainer", login: "alice", assoc: "CONTRIBUTOR", body: "@MarkBot drop `hello`", maintainers: []string{"alice", "bob"},
			wantReply: []string{"will not propose `hello`"}, wantSkip: "hello", metric: `command="drop",outcome="ok"`},
		{name: "drop by a pending reviewer who is no maintainer", login: "alice", assoc: "CONTRIBUTOR", body: "@markbot drop hello",
			wantReply: []string{"@alice sorry, only the packages' maintainers"}, metric: `command="drop",outcome="unauthorised"`},
		{name: "drop unauthorised", login: "mallory", assoc: "CONTRIBUTOR", body: "@markbot drop hello",
			wantReply: []string{"@mallory sorry, only the packages' maintainers"}, metric: `command="drop",outcome="unauthorised"`},
		{name: "drop without attribute", login: "alice", assoc: "MEMBER", body: "@markbot drop",
			wantReply: []string{"usage: `@markbot drop <attr>`"}, metric: `command="drop",outcome="malformed"`},
		{name: "drop an attribute not in the PR", login: "alice", assoc: "MEMBER", body: "@markbot drop firefox",
			wantReply: []string{"`firefox` is not in this pull request; it holds `hello`, `python3Packages.foo`"}, metric: `command="drop",outcome="malformed"`},
		{name: "drop on a PR without hidden block", login: "alice", assoc: "MEMBER", body: "@markbot drop hello", attrs: []string{},
			wantReply: []string{"lost markbot's hidden block"}, metric: `command="drop",outcome="malformed"`},
		{name: "unknown command", login: "mallory", assoc: "NONE", body: "@markbot frobnicate",
			wantReply: []string{"I do not know the command `frobnicate`", "@markbot help"}, metric: `command="other",outcome="unknown"`},
		{name: "mention in prose", login: "mallory", assoc: "NONE", body: "I think @markbot drop hello is wrong"},
		{name: "quoted command", login: "mallory", assoc: "NONE", body: "> @markbot recheck\n\nwhy?"},
		{name: "not a markbot PR", login: "alice", assoc: "OWNER", body: "@markbot recheck", branch: "fix-hello"},
		{name: "the bot itself", login: "markbot[bot]", assoc: "NONE", body: "@markbot recheck"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			branch := tc.branch
			if branch == "" {
				branch = "markbot/mark-1"
			}
			attrs := tc.attrs
			if attrs == nil {
				attrs = []string{"hello", "python3Packages.foo"}
			}
			n := openPR(t, e.gh, branch, attrs, "alice")
			if tc.maintainers != nil || tc.mentioned != nil {
				published(t, e.st, n, attrs[0], prs.Reviewers{Users: tc.maintainers, Mentioned: tc.mentioned})
			}
			if rec := e.post(t, "issue_comment", "c-"+tc.name, comment(n, tc.login, tc.assoc, tc.body)); rec.Code != 202 {
				t.Fatalf("status %d", rec.Code)
			}
			e.drain(t)
			got := comments(t, e.gh, n)
			if tc.wantReply == nil {
				if len(got) != 0 {
					t.Fatalf("replied %q", got[0].Body)
				}
			} else {
				if len(got) != 1 {
					t.Fatalf("%d replies, want 1", len(got))
				}
				for _, w := range tc.wantReply {
					if !strings.Contains(got[0].Body, w) {
						t.Errorf("reply %q lacks %q", got[0].Body, w)
					}
				}
			}
			skips, err := e.st.ActiveSkips(context.Background(), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantSkip == "" && len(skips) > 0 {
				t.Errorf("skips recorded: %+v", skips)
			}
			if tc.wantSkip != "" {
				if len(skips) != 1 || skips[0].Attr != tc.wantSkip || !strings.Contains(skips[0].Reason, "@"+tc.login) {
					t.Fatalf("skips %+v, want one for %s", skips, tc.wantSkip)
				}
				if d := time.Until(skips[0].Until); d < 29*24*time.Hour || d > 31*24*time.Hour {
					t.Errorf("skip lasts %s", d)
				}
			}
			if triggered := len(e.s.trigger) == 1; triggered != tc.wantTrigger {
				t.Errorf("cycle triggered: %v, want %v", triggered, tc.wantTrigger)
			}
			if tc.wantTrigger {
				// A recheck asks the revert loop to probe the PR's packages.
				for _, a := range attrs {
					ev, err := e.st.Events(context.Background(), state.EventFilter{Kind: bot.ProbeRequestedEvent, Attr: a})
					if err != nil || len(ev) != 1 || ev[0].PR != n {
						t.Errorf("probe request for %s: %+v %v", a, ev, err)
					}
				}
			}
			if tc.metric != "" && !strings.Contains(scrape(t, e.s), "markbot_commands_total{"+tc.metric+"} 1") {
				t.Errorf("metric %s not counted", tc.metric)
			}
		})
	}
}

// failingStore fails every write.
type failingStore struct{ Store }

func (failingStore) AddSkip(context.Context, string, string, time.Time) error {
	return errors.New("disk full")
}

func TestDropReplyIsHonestWhenTheSkipFails(t *testing.T) {
	e := newEnv(t, nil)
	e.s.o.Store = failingStore{e.st}
	n := openPR(t, e.gh, "markbot/mark-1", []string{"hello"})
	e.post(t, "issue_comment", "c", comment(n, "alice", "OWNER", "@markbot drop hello"))
	e.drain(t)
	got := comments(t, e.gh, n)
	if len(got) != 1 || !strings.Contains(got[0].Body, "could not record") || strings.Contains(got[0].Body, "will not propose") {
		t.Fatalf("replies %+v", got)
	}
}

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		body string
		want Command
		ok   bool
	}{
		{"@markbot help", Command{Name: "help", Args: []string{}}, true},
		{"  @MARKBOT   Drop  foo.bar  ", Command{Name: "drop", Args: []string{"foo.bar"}}, true},
		{"hello\r\n@markbot recheck\r\n", Command{Name: "recheck", Args: []string{}}, true},
		{"@markbot", Command{}, true},
		{"@markbot\tdrop x y", Command{Name: "drop", Args: []string{"x", "y"}}, true},
		{"@markbotx help", Command{}, false},
		{"@markbot's fault", Command{}, false},
		{"ask @markbot help", Command{}, false},
		{"> @markbot help", Command{}, false},
		{"```\n@markbot help\n```", Command{}, false},
		{"```\nx\n```\n@markbot recheck", Command{Name: "recheck", Args: []string{}}, true},
		{"", Command{}, false},
	} {
		got, ok := ParseCommand(tc.body, "@markbot")
		if ok != tc.ok || got.Name != tc.want.Name || strings.Join(got.Args, " ") != strings.Join(tc.want.Args, " ") {
			t.Errorf("ParseCommand(%q) = %+v, %v; want %+v, %v", tc.body, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDecide(t *testing.T) {
	base := CommentFacts{Commenter: "bob", Association: "NONE", Maintainers: []string{"Alice"}, Kind: prs.KindMark,
		Attrs: []string{"hello"}, HasHidden: true, SkipFor: 30 * 24 * time.Hour, State: "open"}
	with := func(mod func(*CommentFacts)) CommentFacts { f := base; mod(&f); return f }
	for _, tc := range []struct {
		name    string
		cmd     Command
		facts   CommentFacts
		outcome string
		skip    string
		recheck bool
		reply   string
	}{
		{"help", Command{Name: "help"}, base, cmdOK, "", false, "@markbot recheck"},
		{"recheck by a stranger", Command{Name: "recheck"}, base, cmdUnauthorised, "", false, "only the packages' maintainers and committers"},
		{"recheck by a maintainer", Command{Name: "recheck"}, with(func(f *CommentFacts) { f.Commenter = "alice" }), cmdOK, "", true, "rechecking"},
		{"recheck by a member", Command{Name: "recheck"}, with(func(f *CommentFacts) { f.Association = "MEMBER" }), cmdOK, "", true, "rechecking"},
		{"recheck on a merged PR", Command{Name: "recheck"}, with(func(f *CommentFacts) { f.Association = "MEMBER"; f.State = "merged" }), cmdRefused, "", false, "this pull request is merged, so there is nothing to recheck"},
		{"recheck on a closed PR", Command{Name: "recheck"}, with(func(f *CommentFacts) { f.Association = "OWNER"; f.State = "closed" }), cmdRefused, "", false, "is closed"},
		{"recheck with args", Command{Name: "recheck", Args: []string{"now"}}, base, cmdMalformed, "", false, "takes no arguments"},
		{"bare mention", Command{}, base, cmdMalformed, "", false, "what should I do?"},
		{"drop by a maintainer (case-insensitive)", Command{Name: "drop", Args: []string{"hello"}}, with(func(f *CommentFacts) { f.Commenter = "alice" }), cmdOK, "hello", false, "30 days"},
		{"drop by owner", Command{Name: "drop", Args: []string{"hello"}}, with(func(f *CommentFacts) { f.Association = "owner" }), cmdOK, "hello", false, "stays in this pull request"},
		{"drop by stranger", Command{Name: "drop", Args: []string{"hello"}}, base, cmdUnauthorised, "", false, "only the packages' maintainers"},
		{"drop two", Command{Name: "drop", Args: []string{"a", "b"}}, with(func(f *CommentFacts) { f.Association = "MEMBER" }), cmdMalformed, "", false, "usage"},
		{"drop from unmark PR", Command{Name: "drop", Args: []string{"hello"}}, with(func(f *CommentFacts) { f.Association = "MEMBER"; f.Kind = prs.KindUnmark }), cmdMalformed, "", false, "cannot take a package out of an unmark"},
		{"one day", Command{Name: "drop", Args: []string{"hello"}}, with(func(f *CommentFacts) { f.Association = "MEMBER"; f.SkipFor = time.Hour }), cmdOK, "hello", false, "for a day"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := Decide(tc.cmd, tc.facts, "@markbot")
			if a.Outcome != tc.outcome || a.Skip != tc.skip || a.Recheck != tc.recheck || !strings.Contains(a.Reply, tc.reply) {
				t.Errorf("Decide = %+v", a)
			}
		})
	}
}

func TestMetricsChange(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	before := scrape(t, e.s)
	for _, l := range []string{`markbot_markers{state="proposed"} 0`, `markbot_prs_opened_total 0`, `markbot_cycle_duration_seconds_count 0`} {
		if !strings.Contains(before, l) {
			t.Errorf("before: no %q", l)
		}
	}
	if _, err := e.st.AddMarker(ctx, state.Marker{Attr: "hello", File: "pkgs/hello.nix", Line: 3}); err != nil {
		t.Fatal(err)
	}
	results := []struct {
		sum *bot.Summary
		err error
	}{
		{&bot.Summary{Publish: &prs.Result{PRs: []prs.PRResult{{Status: prs.StatusOpened}, {Status: prs.StatusOpened}, {Status: prs.StatusFailed}}}}, nil},
		{nil, errors.New("observe: Hydra is down")},
	}
	i := 0
	e.s.o.Cycle = func(context.Context) (*bot.Summary, error) { r := results[i]; i++; return r.sum, r.err }
	e.s.runCycle(ctx, "test")
	e.s.runCycle(ctx, "test")
	e.post(t, "pull_request", "m1", prClosed(1, "markbot/x", true))
	after := scrape(t, e.s)
	for _, l := range []string{
		`markbot_markers{state="proposed"} 1`,
		`markbot_prs_opened_total 2`,
		`markbot_cycles_total{outcome="ok"} 1`,
		`markbot_cycles_total{outcome="failed"} 1`,
		`markbot_cycle_duration_seconds_count 2`,
		`markbot_webhook_deliveries_total{event="pull_request",outcome="accepted"} 1`,
		`markbot_event_queue_length 1`,
	} {
		if !strings.Contains(after, l) {
			t.Errorf("after: no %q in\n%s", l, grep(after, "markbot_"))
		}
	}
	if strings.Contains(after, "markbot_last_cycle_end_timestamp_seconds 0\n") {
		t.Error("last cycle time not set")
	}
}

// dropTestNix is a package file as nixfmt lays it out (markbot refuses
// one it did not: docs/nixfmt.md).
const dropTestNix = `{
  lib,
  stdenv,
  fetchurl,
}:

stdenv.mkDerivation (finalAttrs: {
  pname = "%s";
  version = "1.0";
  meta = {
    description = "A package";
    license = lib.licenses.mit;
  };
})
`

// dropEnv is a server wired to drop for real: two packages in one mark
// PR (#1) opened by markbot's publisher on the fake GitHub.
func dropEnv(t *testing.T) *env { return dropEnvWith(t, nil) }

// dropEnvWith is dropEnv with the packages' maintainers.
func dropEnvWith(t *testing.T, maintainers []nixpkgs.Maintainer) *env {
	t.Helper()
	e := newEnv(t, nil)
	files := map[string]*string{}
	var changes []prs.Change
	for _, name := range []string{"cowsay", "hello"} {
		file := "pkgs/by-name/" + name[:2] + "/" + name + "/package.nix"
		content := fmt.Sprintf(dropTestNix, name)
		files[file] = &content
		changes = append(changes, prs.Change{Kind: prs.KindMark, File: file, Line: 11, Attrs: []string{name},
			BuildID: 312000001, BuildURL: "https://hydra.nixos.org/build/312000001", Since: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
			Maintainers: maintainers})
	}
	if _, err := e.gh.Commit("master", "two packages", files); err != nil {
		t.Fatal(err)
	}
	o := prs.Options{Owner: "NixOS", Repo: "nixpkgs", SkipFor: 30 * 24 * time.Hour, Log: e.s.log}
	pub, err := prs.New(prs.FromGitHub(e.gh.Client()), e.st, o)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := pub.Publish(context.Background(), changes); err != nil || len(res.PRs) != 1 || res.PRs[0].Number != 1 {
		t.Fatalf("publish: %+v %v", res, err)
	}
	e.s.o.Drop = prs.Dropper(prs.FromGitHub(e.gh.Client()), e.st, o)
	return e
}

// TestDropCommandDrops: with Drop wired, "@markbot drop" takes the package
// out of the PR for real, and the reply says so; the last one closes it.
func TestDropCommandDrops(t *testing.T) {
	e := dropEnv(t)
	e.post(t, "issue_comment", "c1", comment(1, "alice", "COLLABORATOR", "@markbot drop hello"))
	e.drain(t)
	replies := comments(t, e.gh, 1)
	if len(replies) != 2 { // markbot's drop comment, then the reply
		t.Fatalf("%d comments: %+v", len(replies), replies)
	}
	reply := replies[1].Body
	for _, want := range []string{"@alice OK: `hello` is out of this pull request", "will not propose `hello` again for 30 days",
		"Its marker is taken out of the branch (markbot's commit rewritten)", "Still in it: `cowsay`."} {
		if !strings.Contains(reply, want) {
			t.Errorf("reply %q lacks %q", reply, want)
		}
	}
	if strings.Contains(reply, "does not rewrite") || strings.Contains(reply, "stays in this pull request") {
		t.Errorf("reply still says the branch is not rewritten: %q", reply)
	}
	if !strings.Contains(replies[0].Body, "dropped by `@alice` (`@markbot drop`)") {
		t.Errorf("drop comment %q", replies[0].Body)
	}
	pr, _ := e.gh.PullRequest(1)
	if h, ok := prs.ParseHidden(pr.Body); !ok || strings.Join(h.Attrs, ",") != "cowsay" || pr.Title != "cowsay: mark broken" {
		t.Errorf("PR %q, hidden %+v", pr.Title, h)
	}
	if got, _ := e.gh.File(pr.HeadSHA, "pkgs/by-name/he/hello/package.nix"); strings.Contains(string(got), "# markbot") {
		t.Errorf("hello still marked on the branch:\n%s", got)
	}
	if skips, _ := e.st.ActiveSkips(context.Background(), time.Now()); len(skips) != 1 || skips[0].Attr != "hello" {
		t.Errorf("skips %+v", skips)
	}
	if !strings.Contains(scrape(t, e.s), `markbot_commands_total{command="drop",outcome="ok"} 1`) {
		t.Error("command not counted ok")
	}

	// Dropping it again: the PR no longer holds it.
	e.post(t, "issue_comment", "c2", comment(1, "alice", "COLLABORATOR", "@markbot drop hello"))
	e.drain(t)
	if r := comments(t, e.gh, 1); len(r) != 3 || !strings.Contains(r[2].Body, "`hello` is not in this pull request; it holds `cowsay`") {
		t.Errorf("second reply: %+v", r[len(r)-1].Body)
	}

	// The last package: the PR is closed by markbot.
	e.post(t, "issue_comment", "c3", comment(1, "alice", "COLLABORATOR", "@markbot drop cowsay"))
	e.drain(t)
	r := comments(t, e.gh, 1)
	if last := r[len(r)-1].Body; !strings.Contains(last, "`cowsay` is out of this pull request") || !strings.Contains(last, "so markbot closed this pull request") {
		t.Errorf("last reply %q", last)
	}
	if pr, _ := e.gh.PullRequest(1); pr.State != "closed" || pr.Merged {
		t.Errorf("PR %s merged=%v", pr.State, pr.Merged)
	}
}

// TestDropCommandFailureIsReported: a drop that fails says so and why; the
// skip is recorded all the same.
func TestDropCommandFailureIsReported(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault *githubtest.Fault
		pr    func(e *env) int
		want  string
	}{
		{"GitHub refuses the branch update", &githubtest.Fault{Method: "PATCH", Path: "repos/*/*/git/refs/**", Kind: githubtest.ServerError, Times: -1},
			func(*env) int { return 1 }, "taking it out of this pull request failed: `dropping from PR #1: PATCH refs"},
		{"a PR markbot has not recorded", nil,
			func(e *env) int { return openPR(t, e.gh, "markbot/mark-unknown", []string{"hello"}) }, "not recorded in markbot's state yet"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := dropEnv(t)
			if tt.fault != nil {
				e.gh.Inject(*tt.fault)
			}
			n := tt.pr(e)
			e.post(t, "issue_comment", "c", comment(n, "alice", "MEMBER", "@markbot drop hello"))
			e.drain(t)
			r := comments(t, e.gh, n)
			if len(r) == 0 {
				t.Fatal("no reply")
			}
			reply := r[len(r)-1].Body
			if !strings.Contains(reply, "will not propose `hello` again for 30 days, but") || !strings.Contains(reply, tt.want) ||
				strings.Contains(reply, "OK:") {
				t.Errorf("reply %q lacks %q", reply, tt.want)
			}
			if skips, _ := e.st.ActiveSkips(context.Background(), time.Now()); len(skips) != 1 {
				t.Errorf("skips %+v", skips)
			}
			if !strings.Contains(scrape(t, e.s), `markbot_commands_total{command="drop",outcome="error"} 1`) {
				t.Error("failure not counted")
			}
		})
	}
}

func TestDropReply(t *testing.T) {
	month := 30 * 24 * time.Hour
	dropped := func(edit string) prs.DroppedPackage {
		return prs.DroppedPackage{Attr: "hello", Attrs: []string{"hello"}, Outcome: prs.DropDropped, Edit: edit}
	}
	for _, tt := range []struct {
		name string
		res  *prs.DropResult
		err  error
		want []string
	}{
		{"rewritten", &prs.DropResult{Packages: []prs.DroppedPackage{dropped("marker taken out of the branch")}, BranchUpdate: prs.BranchRewritten, Remaining: []string{"fzf"}},
			nil, []string{"@bob OK: `hello` is out", "markbot's commit rewritten", "Still in it: `fzf`."}},
		{"on top", &prs.DropResult{Packages: []prs.DroppedPackage{dropped("marker taken out of the branch")}, BranchUpdate: prs.BranchCommitted, Remaining: []string{"fzf"}},
			nil, []string{"in a commit on top of the others'"}},
		{"human removed it", &prs.DropResult{Packages: []prs.DroppedPackage{dropped("no edit needed: markbot's marker is no longer in x.nix")}, BranchUpdate: prs.BranchCommitted, NothingLeft: true},
			nil, []string{"needed no edit (markbot's marker is no longer in x.nix)", "stays open for you to merge or close"}},
		{"closed", &prs.DropResult{Packages: []prs.DroppedPackage{dropped("the pull request is closed; its branch is left as it was")}, Closed: true},
			nil, []string{"so markbot closed this pull request"}},
		{"shared derivation", &prs.DropResult{Packages: []prs.DroppedPackage{{Attr: "py313.x", Attrs: []string{"py312.x", "py313.x"}, Outcome: prs.DropDropped}}, Remaining: []string{"fzf"}},
			nil, []string{"shares its derivation with `py312.x`"}},
		{"already", &prs.DropResult{Packages: []prs.DroppedPackage{{Attr: "hello", Outcome: prs.DropAlready}}}, nil, []string{"was already out"}},
		{"not found", &prs.DropResult{Packages: []prs.DroppedPackage{{Attr: "hello", Outcome: prs.DropNotInPR}}}, nil, []string{"found no marker"}},
		{"failed", nil, errors.New("dropping from PR #3: " + strings.Repeat("x", 500)), []string{"but taking it out of this pull request failed: `dropping from PR #3: xxx", "…", "Push a commit removing its marker"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			attr := "hello"
			if tt.name == "shared derivation" {
				attr = "py313.x"
			}
			got := DropReply("bob", attr, month, tt.res, tt.err)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("reply %q lacks %q", got, w)
				}
			}
		})
	}
}

// TestMaintainersFromState: whom markbot's publisher planned as reviewers
// (the packages' maintainers) may drop and recheck, whatever their
// association and whether or not a review request is still pending;
// others may not.
func TestMaintainersFromState(t *testing.T) {
	e := dropEnvWith(t, []nixpkgs.Maintainer{{Name: "Mallory", GitHub: "old-login", GitHubID: 102}})
	// GitHub refused the review request (mallory is no collaborator), as
	// it forgets one once the review is in: nothing pending says who the
	// maintainers are, markbot's state does.
	if pr, _ := e.gh.PullRequest(1); len(pr.Reviewers) != 0 {
		t.Fatalf("review requests pending: %v", pr.Reviewers)
	}
	for _, tc := range []struct {
		login, body, want string
	}{
		{"eve", "@markbot recheck", "only the packages' maintainers and committers"},
		{"eve", "@markbot drop hello", "only the packages' maintainers and committers"},
		{"mallory", "@markbot recheck", "@mallory rechecking"},
		{"Mallory", "@markbot drop hello", "`hello` is out of this pull request"},
	} {
		e.post(t, "issue_comment", fmt.Sprintf("c%d", commentIDs.Load()), comment(1, tc.login, "NONE", tc.body))
		e.drain(t)
		r := comments(t, e.gh, 1)
		if last := r[len(r)-1].Body; !strings.Contains(last, tc.want) {
			t.Errorf("%s: %q: reply %q, want %q", tc.login, tc.body, last, tc.want)
		}
	}
}
