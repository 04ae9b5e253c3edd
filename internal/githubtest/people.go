// Users and teams: GET users/{login}, user/{id}, orgs/{org}/teams/{slug},
// and the collaborator and team-permission checks nixpkgs' CI makes.

package githubtest

import (
	"net/http"
	"strconv"
	"strings"
)

// --- users and teams ---

func (s *Server) fullUserJSON(u *User) jsonUser {
	j := s.userJSON(u.Login)
	if u.Name != "" {
		j.Name = strPtr(u.Name)
	}
	return j
}

func (s *Server) getUser(c *call) {
	u := s.users[strings.ToLower(c.r.PathValue("login"))]
	if u == nil {
		c.notFound()
		return
	}
	c.json(http.StatusOK, s.fullUserJSON(u))
}

func (s *Server) getUserByID(c *call) {
	id, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	u := s.usersID[id]
	if err != nil || u == nil {
		c.notFound()
		return
	}
	c.json(http.StatusOK, s.fullUserJSON(u))
}

// repoTeam is org's team slug when it has a permission on r (granted or
// inherited: Team.NoAccess is false) and r belongs to org; nil otherwise.
func (s *Server) repoTeam(r *repo, org, slug string) *Team {
	t := s.teams[strings.ToLower(org+"/"+slug)]
	if t == nil || t.NoAccess || !strings.EqualFold(r.owner, t.Org) {
		return nil
	}
	return t
}

// checkCollaborator is "Check if a user is a repository collaborator":
// 204 for a collaborator (organisation members with access through a team
// count), 404 for anyone else, also an unknown login
// (https://docs.github.com/rest/collaborators/collaborators#check-if-a-user-is-a-repository-collaborator).
func (s *Server) checkCollaborator(c *call) {
	u := s.users[strings.ToLower(c.r.PathValue("login"))]
	if u == nil || !u.Collaborator {
		c.notFound()
		return
	}
	c.w.WriteHeader(http.StatusNoContent)
}

// checkTeamRepo is "Check team permissions for a repository": 404 when
// the team does not exist or has no permission on the repository; 204, or
// 200 with the repository and the team's permissions when asked for with
// the application/vnd.github.v3.repository+json media type (as go-github
// always does)
// (https://docs.github.com/rest/teams/teams#check-team-permissions-for-a-repository).
func (s *Server) checkTeamRepo(c *call) {
	r := s.repos[strings.ToLower(c.r.PathValue("owner")+"/"+c.r.PathValue("repo"))]
	var t *Team
	if r != nil {
		t = s.repoTeam(r, c.r.PathValue("org"), c.r.PathValue("slug"))
	}
	if t == nil {
		c.notFound()
		return
	}
	if !strings.Contains(c.r.Header.Get("Accept"), "application/vnd.github.v3.repository+json") {
		c.w.WriteHeader(http.StatusNoContent)
		return
	}
	c.json(http.StatusOK, struct {
		jsonRepo
		RoleName    string          `json:"role_name"`
		Permissions map[string]bool `json:"permissions"`
	}{s.repoJSON(r), "read", map[string]bool{"pull": true, "triage": false, "push": false, "maintain": false, "admin": false}})
}

func (s *Server) getTeam(c *call) {
	t := s.teams[strings.ToLower(c.r.PathValue("org")+"/"+c.r.PathValue("slug"))]
	if t == nil {
		c.notFound()
		return
	}
	c.json(http.StatusOK, s.teamJSON(t))
}
