package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/nixpkgs-markbot/markbot/internal/bot"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// TestReplayedCommentAnsweredOnce: one captured comment, posted again under
// 300 fresh delivery ids (each signed: the payload is GitHub's), is
// answered once; and a server restarted on the same state database does
// not answer it again.
func TestReplayedCommentAnsweredOnce(t *testing.T) {
	dir := t.TempDir()
	var e *env
	e = newEnv(t, func(o *Options) {
		st, err := state.Open(context.Background(), filepath.Join(dir, "markbot.db"), state.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		o.Store = st
	})
	n := openPR(t, e.gh, "markbot/mark-1", []string{"hello"})
	captured := comment(n, "mallory", "NONE", "@markbot help")
	for i := range 300 {
		if rec := e.post(t, "issue_comment", fmt.Sprintf("fresh-%d", i), captured); rec.Code != 202 {
			t.Fatalf("delivery %d: %d", i, rec.Code)
		}
		if i%50 == 0 {
			e.drain(t)
		}
	}
	e.drain(t)
	if got := comments(t, e.gh, n); len(got) != 1 {
		t.Fatalf("%d replies to one comment, want 1", len(got))
	}
	m := scrape(t, e.s)
	for _, want := range []string{`markbot_webhook_replays_total 299`, `markbot_commands_total{command="help",outcome="replay"} 299`,
		`markbot_replies_total{outcome="posted"} 1`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %q:\n%s", want, grep(m, "markbot_"))
		}
	}

	// A new server on the same database: the comment is still handled.
	st2, err := state.Open(context.Background(), filepath.Join(dir, "markbot.db"), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	o := e.s.o
	o.Store = st2
	s2, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.s = s2
	e.post(t, "issue_comment", "after-restart", captured)
	e.drain(t)
	if got := comments(t, e.gh, n); len(got) != 1 {
		t.Fatalf("after a restart: %d replies, want 1", len(got))
	}
	// Another comment with the same text is another comment.
	e.post(t, "issue_comment", "new", comment(n, "mallory", "NONE", "@markbot help"))
	e.drain(t)
	if got := comments(t, e.gh, n); len(got) != 2 {
		t.Fatalf("a new comment: %d replies, want 2", len(got))
	}
}

// TestReplayedPullRequestEvent: a captured "closed" event asks for one
// cycle however often it is replayed; closing the pull request again
// (reopened meanwhile: a new updated_at) asks for another.
func TestReplayedPullRequestEvent(t *testing.T) {
	e := newEnv(t, nil)
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	closed := func(at time.Time) *github.PullRequestEvent {
		ev := prClosed(9, "markbot/mark-1", false)
		ev.PullRequest.UpdatedAt = &github.Timestamp{Time: at}
		return ev
	}
	triggers := 0
	for i := range 20 {
		e.post(t, "pull_request", fmt.Sprintf("d%d", i), closed(at))
		e.drain(t)
		select {
		case <-e.s.trigger:
			triggers++
		default:
		}
	}
	if triggers != 1 {
		t.Fatalf("%d cycles asked for by one event replayed, want 1", triggers)
	}
	e.post(t, "pull_request", "later", closed(at.Add(time.Hour)))
	e.drain(t)
	if len(e.s.trigger) != 1 {
		t.Error("closing the PR again asked for no cycle")
	}
	if k := PullRequestEventKey(closed(at)); k != "pull_request:9:closed:2026-11-26T10:00:00Z" {
		t.Errorf("key %q", k)
	}
}

// TestReplyBudget: replies are budgeted per pull request and in all;
// over the budget a command is still handled, but not answered.
func TestReplyBudget(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newEnv(t, func(o *Options) {
		o.Now = clock
		o.ReplyRatePerPR = Rate{Burst: 3, Every: time.Hour}
		o.ReplyRate = Rate{Burst: 5, Every: time.Hour}
	})
	a := openPR(t, e.gh, "markbot/mark-a", []string{"hello"})
	b := openPR(t, e.gh, "markbot/mark-b", []string{"cowsay"})
	ask := func(pr int) {
		e.post(t, "issue_comment", fmt.Sprintf("c%d", commentIDs.Load()), comment(pr, "mallory", "NONE", "@markbot help"))
		e.drain(t)
	}
	for range 5 {
		ask(a)
	}
	if got := len(comments(t, e.gh, a)); got != 3 {
		t.Fatalf("%d replies on #%d, want 3 (the per-PR burst)", got, a)
	}
	for range 5 {
		ask(b)
	}
	if got := len(comments(t, e.gh, b)); got != 2 {
		t.Fatalf("%d replies on #%d, want 2 (what the global burst left)", got, b)
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	ask(b)
	if got := len(comments(t, e.gh, b)); got != 3 {
		t.Fatalf("an hour later: %d replies on #%d, want 3", got, b)
	}
	if m := scrape(t, e.s); !strings.Contains(m, `markbot_replies_total{outcome="rate_limited"} 5`) {
		t.Errorf("withheld replies not counted:\n%s", grep(m, "replies"))
	}
}

// TestRecheckBudget: the cycles rechecks start are budgeted per pull
// request and in all; a recheck over the budget is answered, records no
// probe request and starts nothing.
func TestRecheckBudget(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.RecheckRate = Rate{Burst: 2, Every: time.Hour} })
	prsOpen := []int{
		openPR(t, e.gh, "markbot/mark-a", []string{"a"}),
		openPR(t, e.gh, "markbot/mark-b", []string{"b"}),
		openPR(t, e.gh, "markbot/mark-c", []string{"c"}),
	}
	recheck := func(pr int) (bool, string) {
		e.post(t, "issue_comment", fmt.Sprintf("c%d", commentIDs.Load()), comment(pr, "alice", "MEMBER", "@markbot recheck"))
		e.drain(t)
		triggered := false
		select {
		case <-e.s.trigger:
			triggered = true
		default:
		}
		r := comments(t, e.gh, pr)
		return triggered, r[len(r)-1].Body
	}
	for _, tc := range []struct {
		pr        int
		triggered bool
		reply     string
	}{
		{prsOpen[0], true, "rechecking"},
		{prsOpen[0], false, "a recheck was asked for recently"}, // per PR: one an hour
		{prsOpen[1], true, "rechecking"},
		{prsOpen[2], false, "a recheck was asked for recently"}, // in all: two an hour here
	} {
		triggered, reply := recheck(tc.pr)
		if triggered != tc.triggered || !strings.Contains(reply, tc.reply) {
			t.Errorf("recheck on #%d: triggered %v, reply %q; want %v, %q", tc.pr, triggered, reply, tc.triggered, tc.reply)
		}
	}
	ev, err := e.st.Events(context.Background(), state.EventFilter{Kind: bot.ProbeRequestedEvent})
	if err != nil || len(ev) != 2 {
		t.Errorf("%d probe requests recorded (%v), want 2", len(ev), err)
	}
	if m := scrape(t, e.s); !strings.Contains(m, `markbot_commands_total{command="recheck",outcome="rate_limited"} 2`) {
		t.Errorf("refused rechecks not counted:\n%s", grep(m, "commands"))
	}
}

// TestRecheckOnClosedPR: a committer's recheck of a merged or closed pull
// request is refused with the reason, and starts nothing.
func TestRecheckOnClosedPR(t *testing.T) {
	for _, merge := range []bool{true, false} {
		e := newEnv(t, nil)
		n := openPR(t, e.gh, "markbot/mark-1", []string{"hello"})
		var err error
		want := "is closed"
		if merge {
			_, err = e.gh.MergePullRequest(n, "alice", "merge")
			want = "is merged"
		} else {
			err = e.gh.ClosePullRequest(n, "alice")
		}
		if err != nil {
			t.Fatal(err)
		}
		e.post(t, "issue_comment", "c", comment(n, "alice", "OWNER", "@markbot recheck"))
		e.drain(t)
		r := comments(t, e.gh, n)
		if len(r) != 1 || !strings.Contains(r[0].Body, want) || len(e.s.trigger) != 0 {
			t.Errorf("merged %v: replies %+v, %d cycles asked for", merge, r, len(e.s.trigger))
		}
	}
}

func TestBudget(t *testing.T) {
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	b := newBudget(Rate{Burst: 2, Every: time.Minute}, Rate{Burst: 3, Every: 10 * time.Minute}, func() time.Time { return now })
	for i, tc := range []struct {
		pr      int
		advance time.Duration
		want    bool
	}{
		{1, 0, true}, {1, 0, true}, {1, 0, false}, // the PR's burst
		{2, 0, true}, {2, 0, false}, // the global burst (3) is spent
		{1, time.Minute, false},     // the PR has a token again, the budget in all not
		{3, 10 * time.Minute, true}, // one more in all
		{3, 0, false},
	} {
		now = now.Add(tc.advance)
		if got := b.allow(tc.pr); got != tc.want {
			t.Errorf("step %d: allow(%d) = %v, want %v", i, tc.pr, got, tc.want)
		}
	}
}
