package prs

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"
)

// resolveReviewers decides whom a batch asks for reviews: its maintainers'
// current logins (resolved from their GitHub ids, since the index's logins
// may be stale; a deleted account is left out), the bot itself excluded,
// and its teams' slugs. Above MaxReviewers nobody is requested.
func (r *run) resolveReviewers(ctx context.Context, changes []Change) (Reviewers, error) {
	var users, teams []string
	seen := map[int64]bool{}
	for _, c := range changes {
		for _, m := range c.Maintainers {
			login := m.GitHub
			if m.GitHubID > 0 {
				if seen[m.GitHubID] {
					continue
				}
				seen[m.GitHubID] = true
				l, err := r.login(ctx, m.GitHubID)
				if err != nil {
					return Reviewers{}, err
				}
				login = l
			}
			if login == "" || strings.EqualFold(login, r.o.BotLogin) {
				continue
			}
			users = append(users, login)
		}
		for _, t := range c.Teams {
			if t.GitHub != "" {
				teams = append(teams, t.GitHub)
			}
		}
	}
	return reviewersFor(users, teams, changes, r.o), nil
}

// reviewersFor decides, from the batch's resolved logins and team slugs,
// whom to request: nobody when o.Ping is PingNone, or when every change
// fails only on Darwin and o.PingSecondaryPlatforms is off, or when they
// are more than o.MaxReviewers; the body then names them without pings.
func reviewersFor(users, teams []string, changes []Change, o Options) Reviewers {
	users = sortedUniqueFold(users)
	teams = slices.Compact(slices.Sorted(slices.Values(teams)))
	if len(users)+len(teams) == 0 {
		return Reviewers{}
	}
	quiet := func(why NoPing) Reviewers { return Reviewers{NoPing: why, Mentioned: users, MentionedTeams: teams} }
	switch {
	case o.Ping == PingNone:
		return quiet(NoPingConfig)
	case !o.PingSecondaryPlatforms && SecondaryPlatformsOnly(changes):
		return quiet(NoPingSecondaryPlatform)
	case len(users)+len(teams) > o.MaxReviewers:
		return Reviewers{TooMany: true, Mentioned: users, MentionedTeams: teams}
	}
	return Reviewers{Users: users, Teams: teams}
}

// SecondaryPlatforms are the systems whose failures alone do not ping
// maintainers unless Options.PingSecondaryPlatforms is set.
var SecondaryPlatforms = []string{"x86_64-darwin", "aarch64-darwin"}

// SecondaryPlatformsOnly reports whether every change fails only on
// secondary platforms: each has systems, all of them secondary. A change
// without systems fails everywhere; no changes is false.
func SecondaryPlatformsOnly(changes []Change) bool {
	if len(changes) == 0 {
		return false
	}
	for _, c := range changes {
		if len(c.Systems) == 0 {
			return false
		}
		for _, s := range c.Systems {
			if !slices.Contains(SecondaryPlatforms, s) {
				return false
			}
		}
	}
	return true
}

// login resolves a GitHub id (cached for the run); "" for a deleted account.
func (r *run) login(ctx context.Context, id int64) (string, error) {
	if l, ok := r.logins[id]; ok {
		return l, nil
	}
	var u *github.User
	err := r.call(ctx, fmt.Sprintf("GET user %d", id), func(ctx context.Context) (resp *github.Response, err error) {
		u, resp, err = r.gh.Users.GetByID(ctx, id)
		return resp, err
	})
	if statusOf(err) == http.StatusNotFound {
		r.logins[id] = ""
		return "", nil
	}
	if err != nil {
		return "", err
	}
	r.logins[id] = u.GetLogin()
	return u.GetLogin(), nil
}

func sortedUniqueFold(s []string) []string {
	s = slices.Clone(s)
	slices.SortFunc(s, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	return slices.CompactFunc(s, strings.EqualFold)
}

func withoutUser(rv Reviewers, login string) Reviewers {
	rv.Users = slices.DeleteFunc(slices.Clone(rv.Users), func(u string) bool { return strings.EqualFold(u, login) })
	return rv
}

// reviewer is one entry of a review request.
type reviewer struct {
	name string
	team bool
}

// requestReviewers asks for rv's reviews on PR n. GitHub refuses the whole
// request (422) when one entry is not a collaborator without saying which,
// so a refused request is split in halves until the culprits are single
// entries, which are dropped: one bad reviewer among k costs about 2·log₂k
// extra requests, and the PR is never lost to it.
func (r *run) requestReviewers(ctx context.Context, n int, rv Reviewers) (Reviewers, []string, error) {
	var all []reviewer
	for _, u := range rv.Users {
		all = append(all, reviewer{name: u})
	}
	for _, t := range rv.Teams {
		all = append(all, reviewer{name: t, team: true})
	}
	var done Reviewers
	var dropped []string
	var req func([]reviewer) error
	req = func(rs []reviewer) error {
		if len(rs) == 0 {
			return nil
		}
		var body github.ReviewersRequest
		for _, x := range rs {
			if x.team {
				body.TeamReviewers = append(body.TeamReviewers, x.name)
			} else {
				body.Reviewers = append(body.Reviewers, x.name)
			}
		}
		err := r.call(ctx, fmt.Sprintf("POST requested_reviewers #%d", n), func(ctx context.Context) (resp *github.Response, err error) {
			_, resp, err = r.gh.Pulls.RequestReviewers(ctx, r.o.Owner, r.o.Repo, n, body)
			return resp, err
		})
		switch {
		case err == nil:
			done.Users = append(done.Users, body.Reviewers...)
			done.Teams = append(done.Teams, body.TeamReviewers...)
			return nil
		case statusOf(err) != http.StatusUnprocessableEntity:
			return err
		case len(rs) == 1:
			name := rs[0].name
			if rs[0].team {
				name = "team " + name
			}
			dropped = append(dropped, name)
			r.log.WithField("pr", n).WithField("reviewer", name).Warn("GitHub refused the review request (not a collaborator?): dropped")
			return nil
		}
		if err := req(rs[:len(rs)/2]); err != nil {
			return err
		}
		return req(rs[len(rs)/2:])
	}
	err := req(all)
	return done, dropped, err
}
