package prs

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
)

// resolveReviewers decides whom a batch asks for reviews, the way nixpkgs'
// CI does (ci/eval/compare/maintainers.nix, ci/github-script/reviewers.ts):
// the people each change names directly (Change.Maintainers: the bot fills
// them from meta.nonTeamMaintainers) and the members of its teams that have
// no GitHub team, as users, by their current logins (resolved from their
// GitHub ids, since the index's logins may be stale; a deleted account is
// left out), the bot itself excluded; its GitHub teams as teams, never
// their members one by one. Then reachable checks each with GitHub and
// applies the cap.
func (r *run) resolveReviewers(ctx context.Context, changes []Change) (Reviewers, error) {
	var users, teams []string
	seen := map[int64]bool{}
	add := func(m nixpkgs.Maintainer) error {
		login := m.GitHub
		if m.GitHubID > 0 {
			if seen[m.GitHubID] {
				return nil
			}
			seen[m.GitHubID] = true
			l, err := r.login(ctx, m.GitHubID)
			if err != nil {
				return err
			}
			login = l
		}
		if login != "" && !strings.EqualFold(login, r.o.BotLogin) {
			users = append(users, login)
		}
		return nil
	}
	for _, c := range changes {
		for _, m := range c.Maintainers {
			if err := add(m); err != nil {
				return Reviewers{}, err
			}
		}
		for _, t := range c.Teams {
			if t.GitHub != "" {
				teams = append(teams, t.GitHub)
				continue
			}
			for _, m := range t.Members {
				if err := add(m); err != nil {
					return Reviewers{}, err
				}
			}
		}
	}
	return r.reachable(ctx, reviewersFor(users, teams, changes, r.o))
}

// reviewersFor decides, from the batch's resolved logins and team slugs,
// whom to request: nobody when o.Ping is PingNone, or when every change
// fails only on Darwin and o.PingSecondaryPlatforms is off, or when they
// are more than o.MaxReviewers+1 (the body then names them without
// pings). Users and teams count together, a team as one, as nixpkgs' CI
// counts them; its first bound is the cap plus one, since it has not yet
// dropped the author, and reachable applies the cap itself once the
// reviewers GitHub would refuse are out.
func reviewersFor(users, teams []string, changes []Change, o Options) Reviewers {
	users = sortedUniqueFold(users)
	teams = sortedUniqueFold(teams)
	if len(users)+len(teams) == 0 {
		return Reviewers{}
	}
	quiet := func(why NoPing) Reviewers { return Reviewers{NoPing: why, Mentioned: users, MentionedTeams: teams} }
	switch {
	case o.Ping == PingNone:
		return quiet(NoPingConfig)
	case !o.PingSecondaryPlatforms && SecondaryPlatformsOnly(changes):
		return quiet(NoPingSecondaryPlatform)
	case len(users)+len(teams) > o.MaxReviewers+1:
		return tooMany(users, teams)
	}
	return Reviewers{Users: users, Teams: teams}
}

func tooMany(users, teams []string) Reviewers {
	return Reviewers{TooMany: true, Mentioned: users, MentionedTeams: teams}
}

// reachable keeps of rv's users and teams those GitHub lets markbot ask,
// checked one by one as nixpkgs' CI checks them: a user must be a
// collaborator ("Check if a user is a repository collaborator", 204 or
// 404), a team must have a permission on the repository ("Check team
// permissions for a repository", 404 when it has none or does not exist).
// The others move to Refused and RefusedTeams. Above o.MaxReviewers
// reachable ones, nobody is requested (TooMany), as in the CI. A client
// without the checks keeps everyone: the request's 422 finds them later.
func (r *run) reachable(ctx context.Context, rv Reviewers) (Reviewers, error) {
	if len(rv.Users)+len(rv.Teams) == 0 || r.gh.Collaborators == nil || r.gh.Teams == nil {
		if len(rv.Users)+len(rv.Teams) > r.o.MaxReviewers {
			return tooMany(rv.Users, rv.Teams), nil
		}
		return rv, nil
	}
	out := Reviewers{Users: []string{}, Teams: []string{}}
	for _, u := range rv.Users {
		var ok bool
		err := r.call(ctx, "GET collaborator "+u, func(ctx context.Context) (resp *github.Response, err error) {
			ok, resp, err = r.gh.Collaborators.IsCollaborator(ctx, r.o.Owner, r.o.Repo, u)
			return resp, err
		})
		if err != nil {
			return Reviewers{}, err
		}
		if ok {
			out.Users = append(out.Users, u)
		} else {
			out.Refused = append(out.Refused, u)
		}
	}
	for _, t := range rv.Teams {
		err := r.call(ctx, "GET team repository "+t, func(ctx context.Context) (resp *github.Response, err error) {
			_, resp, err = r.gh.Teams.IsTeamRepoBySlug(ctx, r.o.Owner, t, r.o.Owner, r.o.Repo)
			return resp, err
		})
		switch {
		case err == nil:
			out.Teams = append(out.Teams, t)
		case statusOf(err) == http.StatusNotFound:
			out.RefusedTeams = append(out.RefusedTeams, t)
		default:
			return Reviewers{}, err
		}
	}
	if len(out.Users)+len(out.Teams) > r.o.MaxReviewers {
		return tooMany(out.Users, out.Teams), nil
	}
	if len(out.Refused)+len(out.RefusedTeams) > 0 {
		r.log.WithFields(logrus.Fields{"refused": out.Refused, "refused_teams": out.RefusedTeams}).
			Warn("maintainers GitHub would not let markbot request reviews from (not collaborators, or teams without access): named in the body")
	}
	out.Users, out.Teams = slices.Clip(out.Users), slices.Clip(out.Teams)
	if len(out.Users) == 0 {
		out.Users = nil
	}
	if len(out.Teams) == 0 {
		out.Teams = nil
	}
	return out, nil
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
