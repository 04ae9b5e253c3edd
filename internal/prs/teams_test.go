package prs

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
)

const (
	epRequest     = "POST /repos/{owner}/{repo}/pulls/{number}/requested_reviewers"
	epCollab      = "GET /repos/{owner}/{repo}/collaborators/{login}"
	epTeamRepo    = "GET /orgs/{org}/teams/{slug}/repos/{owner}/{repo}"
	refusedPrefix = "GitHub would not let markbot request reviews from"
)

// people are n collaborators of the fake, from id base on ("m-<id>").
func people(base, n int) ([]githubtest.User, []nixpkgs.Maintainer) {
	var us []githubtest.User
	var ms []nixpkgs.Maintainer
	for i := range n {
		id := int64(base + i)
		login := fmt.Sprintf("m-%d", id)
		us = append(us, githubtest.User{Login: login, ID: id, Collaborator: true})
		ms = append(ms, nixpkgs.Maintainer{Name: login, GitHub: login, GitHubID: id})
	}
	return us, ms
}

func logins(ms []nixpkgs.Maintainer) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.GitHub)
	}
	return out
}

// Whom a PR asks, against a fake that refuses what GitHub refuses: direct
// maintainers as users, GitHub teams as teams (never their members), the
// members of a team without a GitHub team one by one, and the cap counted
// as nixpkgs' CI counts it (users and teams together, after the checks).
func TestTeamReviewers(t *testing.T) {
	bigUsers, big := people(5000, 40) // the members of a large GitHub team
	handUsers, hand := people(6000, 2)
	manyUsers, many := people(7000, 17)
	extra := []githubtest.Team{
		{Org: "NixOS", Slug: "geospatial", Members: logins(big)},
		{Org: "NixOS", Slug: "hidden", NoAccess: true, Members: logins(hand)},
	}
	geo := nixpkgs.Team{ShortName: "Geospatial", GitHub: "geospatial", GitHubID: 80001, Members: big}
	hidden := nixpkgs.Team{ShortName: "Hidden", GitHub: "hidden", Members: hand}
	byHand := nixpkgs.Team{ShortName: "Xfce", Members: hand} // no GitHub team
	gone := nixpkgs.Team{ShortName: "Gone", GitHub: "no-such-team"}
	with := func(ms []nixpkgs.Maintainer, teams ...nixpkgs.Team) []Change {
		c := helloChange()[0]
		c.Maintainers, c.Teams = ms, teams
		return []Change{c}
	}
	tests := []struct {
		name         string
		changes      []Change
		users, teams []string // requested
		refused      []string // named in the body as not requestable
		tooMany      bool
		requests     int // POST requested_reviewers
		collabChecks int
		teamChecks   int
		bodyLacks    []string
		bodyHas      []string
	}{
		{"only through a team", with(nil, geo), nil, []string{"geospatial"}, nil, false, 1, 0, 1,
			[]string{"m-5000", "m-5039"}, nil},
		{"a large team and two people: under the cap", with([]nixpkgs.Maintainer{alice, bobRenamed}, geo),
			[]string{"alice", "bob"}, []string{"geospatial"}, nil, false, 1, 2, 1, []string{"m-5000"}, nil},
		{"a team without a GitHub team: its members", with([]nixpkgs.Maintainer{alice}, byHand),
			[]string{"alice", "m-6000", "m-6001"}, nil, nil, false, 1, 3, 0, nil, nil},
		{"a team without access and a non-collaborator", with([]nixpkgs.Maintainer{alice, carol}, hidden, gone, pyTeam),
			[]string{"alice"}, []string{"python"}, []string{"`carol`", "`team hidden`", "`team no-such-team`"}, false, 1, 2, 3,
			[]string{"@carol"}, []string{refusedPrefix}},
		{"nobody requestable", with([]nixpkgs.Maintainer{carol}, gone), nil, nil, []string{"`carol`", "`team no-such-team`"}, false, 0, 1, 1,
			nil, []string{refusedPrefix}},
		// The CI's bounds: more than 16 candidates, nobody and no checks;
		// 16 of which 15 are requestable, the 15; 16 requestable, nobody.
		{"17 candidates", with(many), nil, nil, nil, true, 0, 0, 0, []string{refusedPrefix}, []string{"17 maintainers: too many"}},
		{"16 candidates, one refused", with(append(slices.Clone(many[:15]), carol)), logins(many[:15]), nil, []string{"`carol`"}, false, 1, 16, 0,
			nil, []string{refusedPrefix}},
		{"15 people and a team", with(many[:15], pyTeam), nil, nil, nil, true, 0, 15, 1, nil, []string{"16 maintainers: too many"}},
		{"14 people and a team", with(many[:14], pyTeam), logins(many[:14]), []string{"python"}, nil, false, 1, 14, 1, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(o *githubtest.Options) {
				o.Users = slices.Concat(fakeUsers, bigUsers, handUsers, manyUsers)
				o.Teams = slices.Concat(fakeTeams, extra)
			})
			res := f.mustPublish(tt.changes, nil)
			pr, ok := f.srv.PullRequest(1)
			if !ok || res.PRs[0].Status != StatusOpened {
				t.Fatalf("PR %+v, result %+v", pr, res.PRs)
			}
			want := tt.users
			slices.SortFunc(want, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
			if !slices.Equal(pr.Reviewers, want) || !slices.Equal(pr.TeamReviewers, tt.teams) {
				t.Errorf("requested %v teams %v, want %v %v", pr.Reviewers, pr.TeamReviewers, want, tt.teams)
			}
			if rv := res.PRs[0].Reviewers; rv.TooMany != tt.tooMany {
				t.Errorf("TooMany %v", rv.TooMany)
			}
			if len(res.PRs[0].Dropped) != 0 {
				t.Errorf("GitHub refused %v: the checks should have found them", res.PRs[0].Dropped)
			}
			for ep, n := range map[string]int{epRequest: tt.requests, epCollab: tt.collabChecks, epTeamRepo: tt.teamChecks} {
				if got := f.srv.RequestCount(ep); got != n {
					t.Errorf("%d × %s, want %d", got, ep, n)
				}
			}
			for _, r := range tt.refused {
				if !strings.Contains(pr.Body, r) {
					t.Errorf("body does not name %s as not requestable:\n%s", r, pr.Body)
				}
			}
			for _, s := range tt.bodyHas {
				if !strings.Contains(pr.Body, s) {
					t.Errorf("body lacks %q:\n%s", s, pr.Body)
				}
			}
			for _, s := range tt.bodyLacks {
				if strings.Contains(pr.Body, s) {
					t.Errorf("body has %q:\n%s", s, pr.Body)
				}
			}
		})
	}
}

// A client without the checks (or a reviewer GitHub refuses although the
// check let it through, e.g. removed in between) still gets the others
// requested: the 422 is split until the refused entries are found.
func TestTeamReviewersRefusedWithoutChecks(t *testing.T) {
	f := newFixture(t, func(o *githubtest.Options) {
		o.Teams = append(slices.Clone(fakeTeams), githubtest.Team{Org: "NixOS", Slug: "hidden", NoAccess: true})
	})
	c := helloChange()[0]
	c.Maintainers = []nixpkgs.Maintainer{alice, carol}
	c.Teams = []nixpkgs.Team{pyTeam, {GitHub: "hidden"}}
	gh := FromGitHub(f.srv.Client())
	gh.Collaborators, gh.Teams = nil, nil
	p, err := New(gh, f.st, Options{Owner: f.srv.Owner(), Repo: f.srv.Repo(), Now: f.now, Sleep: f.sleep, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.Publish(t.Context(), []Change{c})
	if err != nil {
		t.Fatal(err)
	}
	pr, _ := f.srv.PullRequest(1)
	if !slices.Equal(pr.Reviewers, []string{"alice"}) || !slices.Equal(pr.TeamReviewers, []string{"python"}) {
		t.Errorf("requested %v %v", pr.Reviewers, pr.TeamReviewers)
	}
	if d := res.PRs[0].Dropped; !slices.Equal(d, []string{"carol", "team hidden"}) {
		t.Errorf("dropped %v", d)
	}
	if n := f.srv.RequestCount(epCollab) + f.srv.RequestCount(epTeamRepo); n != 0 {
		t.Errorf("%d checks without a client for them", n)
	}
}
