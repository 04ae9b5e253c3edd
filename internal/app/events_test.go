package app

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/nixpkgs-markbot/markbot/internal/bot"
	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
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

func comment(pr int, login, association, body string) *github.IssueCommentEvent {
	return &github.IssueCommentEvent{Action: github.String("created"), Repo: repo(),
		Issue: &github.Issue{Number: github.Int(pr), PullRequestLinks: &github.PullRequestLinks{URL: github.String("https://api.github.com/x")}},
		Comment: &github.IssueComment{Body: github.String(body), AuthorAssociation: github.String(association),
			User: &github.User{Login: github.String(login), Type: github.String("User")}}}
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

func TestPullRequestClosedTriggersACycle(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ev      *github.PullRequestEvent
		trigger bool
	}{
		{"markbot PR merged", prClosed(5, "markbot/mark-abc", true), true},
		{"markbot PR closed unmerged", prClosed(5, "markbot/mark-abc", false), true},
		{"someone else's PR", prClosed(5, "fix-hello", true), false},
		{"markbot PR opened", func() *github.PullRequestEvent {
			ev := prClosed(5, "markbot/mark-abc", false)
			ev.Action = github.String("opened")
			return ev
		}(), false},
		{"another repository", func() *github.PullRequestEvent {
			ev := prClosed(5, "markbot/mark-abc", true)
			ev.Repo = &github.Repository{Name: github.String("nixpkgs"), Owner: &github.User{Login: github.String("someone")}}
			return ev
		}(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			if rec := e.post(t, "pull_request", "d", tc.ev); rec.Code != 202 {
				t.Fatalf("status %d", rec.Code)
			}
			e.drain(t)
			triggered := len(e.s.trigger) == 1
			if triggered != tc.trigger {
				t.Fatalf("cycle triggered: %v, want %v", triggered, tc.trigger)
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
	e := newEnv(t, nil)
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
}

func TestCommentCommands(t *testing.T) {
	for _, tc := range []struct {
		name         string
		login, assoc string
		body         string
		branch       string
		attrs        []string
		wantReply    []string // substrings; nil: no reply
		wantSkip     string
		wantTrigger  bool
		metric       string
	}{
		{name: "help", login: "mallory", assoc: "NONE", body: "@markbot help",
			wantReply: []string{"@markbot recheck", "@markbot drop <attr>", "30 days"}, metric: `command="help",outcome="ok"`},
		{name: "recheck", login: "mallory", assoc: "NONE", body: "Thanks!\n\n@markbot recheck\n",
			wantReply: []string{"@mallory rechecking"}, wantTrigger: true, metric: `command="recheck",outcome="ok"`},
		{name: "drop by a collaborator", login: "alice", assoc: "COLLABORATOR", body: "@markbot drop hello",
			wantReply: []string{"will not propose `hello` again for 30 days", "push a commit removing its marker", "stays in this pull request"},
			wantSkip:  "hello", metric: `command="drop",outcome="ok"`},
		{name: "drop by a requested reviewer", login: "alice", assoc: "CONTRIBUTOR", body: "@MarkBot drop `hello`",
			wantReply: []string{"will not propose `hello`"}, wantSkip: "hello", metric: `command="drop",outcome="ok"`},
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
	base := CommentFacts{Commenter: "bob", Association: "NONE", Reviewers: []string{"Alice"}, Kind: prs.KindMark,
		Attrs: []string{"hello"}, HasHidden: true, SkipFor: 30 * 24 * time.Hour}
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
		{"recheck", Command{Name: "recheck"}, base, cmdOK, "", true, "rechecking"},
		{"recheck with args", Command{Name: "recheck", Args: []string{"now"}}, base, cmdMalformed, "", false, "takes no arguments"},
		{"bare mention", Command{}, base, cmdMalformed, "", false, "what should I do?"},
		{"drop by reviewer (case-insensitive)", Command{Name: "drop", Args: []string{"hello"}}, with(func(f *CommentFacts) { f.Commenter = "alice" }), cmdOK, "hello", false, "30 days"},
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
