package prs

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

var (
	darwin      = []string{"x86_64-darwin", "aarch64-darwin"}
	aarchDarwin = []string{"aarch64-darwin"}
)

func withSystems(c Change, systems []string) Change {
	c.Systems = systems
	return c
}

func TestSecondaryPlatformsOnly(t *testing.T) {
	tests := []struct {
		name    string
		systems [][]string
		want    bool
	}{
		{"no changes", nil, false},
		{"both darwins", [][]string{darwin}, true},
		{"one darwin", [][]string{aarchDarwin}, true},
		{"darwins in several changes", [][]string{darwin, aarchDarwin, {"x86_64-darwin"}}, true},
		{"every system", [][]string{nil}, false},
		{"darwin and linux in one change", [][]string{{"aarch64-darwin", "x86_64-linux"}}, false},
		{"a darwin change and a linux one", [][]string{darwin, {"aarch64-linux"}}, false},
		{"a darwin change and one on every system", [][]string{darwin, nil}, false},
		{"linux only", [][]string{{"x86_64-linux", "aarch64-linux"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var changes []Change
			for _, s := range tt.systems {
				changes = append(changes, withSystems(fzf(), s))
			}
			if got := SecondaryPlatformsOnly(changes); got != tt.want {
				t.Errorf("SecondaryPlatformsOnly(%v) = %v, want %v", tt.systems, got, tt.want)
			}
		})
	}
}

func TestReviewersFor(t *testing.T) {
	linux := []Change{withSystems(fzf(), []string{"x86_64-linux"})}
	mac := []Change{withSystems(fzf(), darwin), withSystems(aiogram(), aarchDarwin)}
	mixed := []Change{withSystems(fzf(), darwin), withSystems(aiogram(), nil)}
	users, teams := []string{"bob", "Alice", "alice"}, []string{"python", "darwin", "python"}
	requested := Reviewers{Users: []string{"Alice", "bob"}, Teams: []string{"darwin", "python"}}
	quiet := func(why NoPing) Reviewers {
		return Reviewers{NoPing: why, Mentioned: []string{"Alice", "bob"}, MentionedTeams: []string{"darwin", "python"}}
	}
	tests := []struct {
		name      string
		changes   []Change
		users     []string
		ping      Ping
		secondary bool
		max       int
		want      Reviewers
	}{
		{"maintainers", linux, users, PingMaintainers, false, 15, requested},
		{"none", linux, users, PingNone, false, 15, quiet(NoPingConfig)},
		{"none, secondary platforms pinged", mac, users, PingNone, true, 15, quiet(NoPingConfig)},
		{"none beats too many", linux, users, PingNone, false, 2, quiet(NoPingConfig)},
		{"darwin only", mac, users, PingMaintainers, false, 15, quiet(NoPingSecondaryPlatform)},
		{"darwin only, secondary platforms pinged", mac, users, PingMaintainers, true, 15, requested},
		{"darwin only, too many", mac, users, PingMaintainers, false, 2, quiet(NoPingSecondaryPlatform)},
		{"darwin and everywhere", mixed, users, PingMaintainers, false, 15, requested},
		{"too many: above the cap plus one, users and teams together", linux, users, PingMaintainers, false, 2,
			Reviewers{TooMany: true, Mentioned: []string{"Alice", "bob"}, MentionedTeams: []string{"darwin", "python"}}},
		// One over the cap is left to the checks (reachable), as in nixpkgs' CI.
		{"the cap plus one", linux, users, PingMaintainers, false, 3, requested},
		{"nobody, darwin only", mac, nil, PingMaintainers, false, 15, Reviewers{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := teams
			if tt.users == nil {
				tm = nil
			}
			got := reviewersFor(tt.users, tm, tt.changes, Options{Ping: tt.ping, PingSecondaryPlatforms: tt.secondary, MaxReviewers: tt.max})
			if !reviewersEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func reviewersEqual(a, b Reviewers) bool {
	return slices.Equal(a.Users, b.Users) && slices.Equal(a.Teams, b.Teams) && a.TooMany == b.TooMany &&
		a.NoPing == b.NoPing && slices.Equal(a.Mentioned, b.Mentioned) && slices.Equal(a.MentionedTeams, b.MentionedTeams)
}

func TestNewRejectsUnknownPing(t *testing.T) {
	f := newFixture(t, nil)
	_, err := New(FromGitHub(f.srv.Client()), f.st, Options{Owner: "o", Repo: "r", Ping: "everyone"})
	if err == nil || !strings.Contains(err.Error(), "ping policy") {
		t.Errorf("New: %v", err)
	}
}

// Against the fake: no review request is made when the policy says so,
// and the body names the maintainers without @-mentions.
func TestPublishPingPolicy(t *testing.T) {
	const requestReviewers = "POST /repos/{owner}/{repo}/pulls/{number}/requested_reviewers"
	macHello := func() []Change { return []Change{withSystems(helloChange()[0], darwin)} }
	tests := []struct {
		name      string
		changes   []Change
		mod       func(*Options)
		requests  int
		reviewers []string
		sentence  string
	}{
		{"none", helloChange(), func(o *Options) { o.Ping = PingNone }, 0, nil,
			"Reviews were not requested: markbot is configured not to ping maintainers. Maintainers, not pinged: `alice`, `bob`."},
		{"darwin only", macHello(), nil, 0, nil,
			"This fails only on Darwin, a secondary platform: maintainers are not pinged. Maintainers: `alice`, `bob`."},
		{"darwin only, secondary platforms pinged", macHello(), func(o *Options) { o.PingSecondaryPlatforms = true }, 1, []string{"alice", "bob"}, ""},
		{"maintainers", helloChange(), func(o *Options) { o.Ping = PingMaintainers }, 1, []string{"alice", "bob"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, nil)
			res := f.mustPublish(tt.changes, tt.mod)
			pr, ok := f.srv.PullRequest(1)
			if !ok || res.PRs[0].Status != StatusOpened {
				t.Fatalf("PR %+v, result %+v", pr, res.PRs)
			}
			if n := f.srv.RequestCount(requestReviewers); n != tt.requests {
				t.Errorf("%d review requests, want %d", n, tt.requests)
			}
			if !slices.Equal(pr.Reviewers, tt.reviewers) || len(pr.TeamReviewers) != 0 {
				t.Errorf("reviewers %v %v, want %v", pr.Reviewers, pr.TeamReviewers, tt.reviewers)
			}
			if strings.Contains(pr.Body, "@alice") || strings.Contains(pr.Body, "@bob") {
				t.Errorf("body @-mentions a maintainer:\n%s", pr.Body)
			}
			if tt.sentence != "" && !strings.Contains(pr.Body, tt.sentence) {
				t.Errorf("body lacks %q:\n%s", tt.sentence, pr.Body)
			}
			if tt.sentence == "" && strings.Contains(pr.Body, "not pinged") {
				t.Errorf("body says nobody was pinged:\n%s", pr.Body)
			}
			if ev, _ := f.st.Events(context.Background(), state.EventFilter{PR: 1, Kind: "pr.reviewers"}); len(ev) != 1 {
				t.Errorf("%d pr.reviewers events", len(ev))
			}
		})
	}

	// Reviews planned under "maintainers", the request lost to a crash:
	// a run configured with "none" does not make it.
	t.Run("none after a crash", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, nil)
		f.srv.Inject(githubtest.Fault{Method: "POST", Path: "repos/*/*/pulls/*/requested_reviewers", Kind: githubtest.ServerError})
		if _, err := f.publish(helloChange(), nil); err == nil {
			t.Fatal("no error despite the fault")
		}
		f.srv.ResetStats()
		f.mustPublish(helloChange(), func(o *Options) { o.Ping = PingNone })
		if n := f.srv.RequestCount(requestReviewers); n != 0 {
			t.Errorf("%d review requests", n)
		}
		if ev, _ := f.st.Events(context.Background(), state.EventFilter{PR: 1, Kind: "pr.reviewers"}); len(ev) != 1 {
			t.Errorf("%d pr.reviewers events: the step is not recorded as done", len(ev))
		}
		if pr, _ := f.srv.PullRequest(1); len(pr.Reviewers) != 0 {
			t.Errorf("reviewers %v", pr.Reviewers)
		}
	})
}
