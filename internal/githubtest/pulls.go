// Pull requests: the fake's record of them and its helpers for tests (a
// human merging, closing, commenting), their JSON, pagination, and the
// pulls endpoints (create, list, get, edit, request reviewers).

package githubtest

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// PullRequest is a snapshot of a pull request held by the fake.
type PullRequest struct {
	Number              int
	Title, Body         string
	State               string // "open" or "closed"
	Draft               bool
	MaintainerCanModify bool
	// HeadOwner:HeadRef is the head branch (HeadOwner differs from the
	// repository owner for a fork); HeadSHA its commit (refs/pull/N/head).
	HeadOwner, HeadRef, HeadSHA string
	BaseRef                     string
	Author                      string
	Labels                      []string
	Reviewers                   []string
	TeamReviewers               []string
	Merged                      bool
	MergeCommitSHA              string
	MergedBy                    string
	CreatedAt, UpdatedAt        time.Time
	ClosedAt, MergedAt          time.Time
	Comments                    []Comment

	id       int64
	headRepo *repo
	comments []*Comment
}

// Comment is an issue comment on a pull request.
type Comment struct {
	ID                   int64
	Issue                int
	Author, Body         string
	CreatedAt, UpdatedAt time.Time
}

func (p *PullRequest) snapshot() PullRequest {
	out := *p
	out.Labels = slices.Clone(p.Labels)
	out.Reviewers = slices.Clone(p.Reviewers)
	out.TeamReviewers = slices.Clone(p.TeamReviewers)
	out.Comments = make([]Comment, len(p.comments))
	for i, c := range p.comments {
		out.Comments[i] = *c
	}
	out.comments = nil
	out.headRepo = nil
	return out
}

// PullRequest returns a snapshot of pull request n of the upstream repository.
func (s *Server) PullRequest(n int) (PullRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.upstream.pull(n)
	if p == nil {
		return PullRequest{}, false
	}
	return p.snapshot(), true
}

// PullRequests returns snapshots of every pull request, by number.
func (s *Server) PullRequests() []PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]PullRequest, len(s.upstream.pulls))
	for i, p := range s.upstream.pulls {
		out[i] = p.snapshot()
	}
	return out
}

// MergePullRequest merges pull request n as login would in the web UI
// (method "merge", "squash" or "rebase"; "" = merge) and returns the new base
// commit.
func (s *Server) MergePullRequest(n int, login, method string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.upstream.pull(n)
	if p == nil {
		return "", fmt.Errorf("githubtest: no pull request #%d", n)
	}
	return s.merge(s.upstream, p, method, "", nil, "", login)
}

// ClosePullRequest closes pull request n without merging, as login would.
func (s *Server) ClosePullRequest(n int, login string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.upstream.pull(n)
	if p == nil {
		return fmt.Errorf("githubtest: no pull request #%d", n)
	}
	if p.State != "open" {
		return fmt.Errorf("githubtest: pull request #%d is already closed", n)
	}
	s.closePull(p)
	return nil
}

// AddComment comments on pull request n as login and returns the comment id.
func (s *Server) AddComment(n int, login, body string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.upstream.pull(n)
	if p == nil {
		return 0, fmt.Errorf("githubtest: no pull request #%d", n)
	}
	return s.addComment(s.upstream, p, login, body).ID, nil
}

func (r *repo) pull(n int) *PullRequest {
	if n < 1 || n > len(r.pulls) {
		return nil
	}
	return r.pulls[n-1]
}

func (s *Server) closePull(p *PullRequest) {
	now := s.now()
	p.State = "closed"
	p.ClosedAt = now
	p.UpdatedAt = now
}

func (s *Server) addComment(r *repo, p *PullRequest, login, body string) *Comment {
	now := s.now()
	s.nextID++
	cm := &Comment{ID: s.nextID, Issue: p.Number, Author: login, Body: body, CreatedAt: now, UpdatedAt: now}
	p.comments = append(p.comments, cm)
	r.comments[cm.ID] = cm
	p.UpdatedAt = now
	return cm
}

// --- JSON ---

func (s *Server) userJSON(login string) jsonUser {
	u := s.users[strings.ToLower(login)]
	if u == nil {
		typ := "User"
		if strings.EqualFold(login, s.opts.Owner) {
			typ = "Organization"
		}
		u = &User{Login: login, ID: stableID(login), Type: typ}
	}
	return jsonUser{
		Login: u.Login, ID: u.ID, NodeID: nodeID("U", u.ID),
		AvatarURL: s.htmlURL("avatars/%s", url.PathEscape(u.Login)),
		URL:       s.apiURL("users/%s", url.PathEscape(u.Login)),
		HTMLURL:   s.htmlURL("%s", url.PathEscape(u.Login)),
		Type:      u.Type,
	}
}

func (s *Server) repoJSON(r *repo) jsonRepo {
	return jsonRepo{ID: r.id, NodeID: nodeID("R", r.id), Name: r.name, FullName: r.fullName(),
		Owner: s.userJSON(r.owner), HTMLURL: s.htmlURL("%s", r.fullName()),
		URL: s.apiURL("repos/%s", r.fullName()), Fork: r.parent != nil, DefaultBranch: s.opts.DefaultBranch,
		PushedAt: pushedAt(r.git)}
}

// pushedAt is the repository's pushed_at (null before any push the fake saw).
func pushedAt(g *gitRepo) *string {
	at := g.pushedAt.Load()
	if at == 0 {
		return nil
	}
	v := time.Unix(at, 0).UTC().Format(time.RFC3339)
	return &v
}

func (s *Server) teamJSON(t *Team) jsonTeam {
	return jsonTeam{ID: t.ID, NodeID: nodeID("T", t.ID), Name: t.Name, Slug: t.Slug, Privacy: "closed",
		Permission: "pull", URL: s.apiURL("organizations/%s/team/%d", t.Org, t.ID),
		HTMLURL:    s.htmlURL("orgs/%s/teams/%s", t.Org, t.Slug),
		MembersURL: s.apiURL("organizations/%s/team/%d/members{/member}", t.Org, t.ID)}
}

func (s *Server) labelsJSON(r *repo, names []string) []jsonLabel {
	out := []jsonLabel{}
	for _, n := range names {
		l := r.labels[strings.ToLower(n)]
		out = append(out, jsonLabel{ID: l.ID, NodeID: nodeID("LA", l.ID), URL: s.apiURL("repos/%s/labels/%s", r.fullName(), url.PathEscape(l.Name)),
			Name: l.Name, Color: l.Color})
	}
	return out
}

func (s *Server) association(login string) string {
	if u := s.users[strings.ToLower(login)]; u != nil && u.Collaborator {
		return "COLLABORATOR"
	}
	return "NONE"
}

func (s *Server) pullJSON(r *repo, p *PullRequest) jsonPull {
	body := strPtr(p.Body)
	if p.Body == "" {
		body = nil
	}
	j := jsonPull{
		ID: p.id, NodeID: nodeID("PR", p.id),
		URL:      s.apiURL("repos/%s/pulls/%d", r.fullName(), p.Number),
		HTMLURL:  s.htmlURL("%s/pull/%d", r.fullName(), p.Number),
		DiffURL:  s.htmlURL("%s/pull/%d.diff", r.fullName(), p.Number),
		PatchURL: s.htmlURL("%s/pull/%d.patch", r.fullName(), p.Number),
		IssueURL: s.apiURL("repos/%s/issues/%d", r.fullName(), p.Number),
		Number:   p.Number, State: p.State, Title: p.Title, User: s.userJSON(p.Author), Body: body,
		Labels:    s.labelsJSON(r, p.Labels),
		CreatedAt: ts(p.CreatedAt), UpdatedAt: ts(p.UpdatedAt), ClosedAt: tsPtr(p.ClosedAt), MergedAt: tsPtr(p.MergedAt),
		RequestedReviewers: []jsonUser{}, RequestedTeams: []jsonTeam{},
		Head: jsonBranch{Label: p.HeadOwner + ":" + p.HeadRef, Ref: p.HeadRef, SHA: p.HeadSHA,
			User: s.userJSON(p.headRepo.owner), Repo: s.repoJSON(p.headRepo)},
		AuthorAssociation:   s.association(p.Author),
		Draft:               p.Draft,
		Merged:              p.Merged,
		Comments:            len(p.comments),
		MaintainerCanModify: p.MaintainerCanModify,
	}
	if base, ok := r.git.refSHA("refs/heads/" + p.BaseRef); ok {
		j.Base = jsonBranch{Label: r.owner + ":" + p.BaseRef, Ref: p.BaseRef, SHA: base, User: s.userJSON(r.owner), Repo: s.repoJSON(r)}
	}
	if p.MergeCommitSHA != "" {
		j.MergeCommitSHA = strPtr(p.MergeCommitSHA)
	}
	if p.MergedBy != "" {
		u := s.userJSON(p.MergedBy)
		j.MergedBy = &u
	}
	for _, l := range p.Reviewers {
		j.RequestedReviewers = append(j.RequestedReviewers, s.userJSON(l))
	}
	for _, slug := range p.TeamReviewers {
		if t := s.teams[strings.ToLower(r.owner+"/"+slug)]; t != nil {
			j.RequestedTeams = append(j.RequestedTeams, s.teamJSON(t))
		}
	}
	return j
}

func (s *Server) issueJSON(r *repo, p *PullRequest) jsonIssue {
	body := strPtr(p.Body)
	if p.Body == "" {
		body = nil
	}
	j := jsonIssue{
		ID: p.id, NodeID: nodeID("I", p.id),
		URL:           s.apiURL("repos/%s/issues/%d", r.fullName(), p.Number),
		RepositoryURL: s.apiURL("repos/%s", r.fullName()),
		HTMLURL:       s.htmlURL("%s/pull/%d", r.fullName(), p.Number),
		Number:        p.Number, State: p.State, Title: p.Title, Body: body, User: s.userJSON(p.Author),
		Labels: s.labelsJSON(r, p.Labels), Assignees: []jsonUser{}, Comments: len(p.comments),
		PullRequest: &jsonIssuePR{
			URL:      s.apiURL("repos/%s/pulls/%d", r.fullName(), p.Number),
			HTMLURL:  s.htmlURL("%s/pull/%d", r.fullName(), p.Number),
			DiffURL:  s.htmlURL("%s/pull/%d.diff", r.fullName(), p.Number),
			PatchURL: s.htmlURL("%s/pull/%d.patch", r.fullName(), p.Number),
			MergedAt: tsPtr(p.MergedAt),
		},
		ClosedAt: tsPtr(p.ClosedAt), CreatedAt: ts(p.CreatedAt), UpdatedAt: ts(p.UpdatedAt),
		Draft: p.Draft, AuthorAssociation: s.association(p.Author),
	}
	if p.State == "closed" {
		reason := "completed"
		if !p.Merged {
			reason = "not_planned"
		}
		j.StateReason = &reason
	}
	return j
}

func (s *Server) commentJSON(r *repo, cm *Comment) jsonComment {
	return jsonComment{ID: cm.ID, NodeID: nodeID("IC", cm.ID),
		URL:      s.apiURL("repos/%s/issues/comments/%d", r.fullName(), cm.ID),
		HTMLURL:  s.htmlURL("%s/pull/%d#issuecomment-%d", r.fullName(), cm.Issue, cm.ID),
		IssueURL: s.apiURL("repos/%s/issues/%d", r.fullName(), cm.Issue),
		Body:     cm.Body, User: s.userJSON(cm.Author), CreatedAt: ts(cm.CreatedAt), UpdatedAt: ts(cm.UpdatedAt),
		AuthorAssociation: s.association(cm.Author)}
}

// --- pagination ---

// paginate reads per_page (default 30, max 100) and page (from 1) and
// returns the slice bounds and the Link relations.
func paginate(c *call, n int) ([2]int, map[string]int) {
	q := c.r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per <= 0 {
		per = 30
	}
	per = min(per, 100)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	last := max((n+per-1)/per, 1)
	start := min((page-1)*per, n)
	end := min(start+per, n)
	links := map[string]int{}
	if page < last {
		links["next"] = page + 1
		links["last"] = last
	}
	if page > 1 {
		links["first"] = 1
		links["prev"] = min(page-1, last)
	}
	return [2]int{start, end}, links
}

func setLink(c *call, links map[string]int) {
	if len(links) == 0 {
		return
	}
	var parts []string
	for _, rel := range []string{"prev", "next", "last", "first"} {
		page, ok := links[rel]
		if !ok {
			continue
		}
		q := c.r.URL.Query()
		q.Set("page", strconv.Itoa(page))
		u := c.s.srv.URL + c.r.URL.Path + "?" + q.Encode()
		parts = append(parts, fmt.Sprintf("<%s>; rel=%q", u, rel))
	}
	c.w.Header().Set("Link", strings.Join(parts, ", "))
}

// --- pull requests ---

func (s *Server) pathPull(c *call) *PullRequest {
	n, err := strconv.Atoi(c.r.PathValue("number"))
	if err != nil {
		c.notFound()
		return nil
	}
	p := c.repo.pull(n)
	if p == nil {
		c.notFound()
	}
	return p
}

// headRepo resolves "owner:branch" or "branch" against base repository r.
func (s *Server) headRepo(r *repo, head string) (*repo, string) {
	owner, branch, ok := strings.Cut(head, ":")
	if !ok {
		return r, head
	}
	if strings.EqualFold(owner, r.owner) {
		return r, branch
	}
	return s.forkOf(r, owner), branch
}

// forkOf is owner's fork of r, whatever its name: GitHub resolves a PR's
// "OWNER:branch" head to OWNER's repository in r's fork network (nil:
// owner has none).
func (s *Server) forkOf(r *repo, owner string) *repo {
	for _, hr := range s.repos {
		if hr.parent == r && strings.EqualFold(hr.owner, owner) {
			return hr
		}
	}
	return nil
}

// importHead makes the head branch's commit available in the base
// repository (fetching it from a fork) and returns its SHA.
func (s *Server) importHead(base, head *repo, branch string) (string, bool) {
	sha, ok := head.git.refSHA("refs/heads/" + branch)
	if !ok || !refExists(head, "refs/heads/"+branch) {
		return "", false
	}
	if head != base && base.git.objectType(sha) != "commit" {
		if _, err := base.git.run(nil, nil, "fetch", "--quiet", "--no-tags", head.git.dir, "refs/heads/"+branch); err != nil {
			return "", false
		}
	}
	return sha, true
}

func (s *Server) createPull(c *call) {
	var req struct {
		Title               string `json:"title"`
		Head                string `json:"head"`
		HeadRepo            string `json:"head_repo"`
		Base                string `json:"base"`
		Body                string `json:"body"`
		Issue               *int   `json:"issue"`
		MaintainerCanModify *bool  `json:"maintainer_can_modify"`
		Draft               bool   `json:"draft"`
	}
	if !c.decode(&req) {
		return
	}
	r := c.repo
	switch {
	case req.Issue != nil:
		c.invalid(jsonErrorItem{Resource: "PullRequest", Field: "issue", Code: "invalid", Message: "githubtest: converting issues is not supported"})
		return
	case req.Title == "":
		c.invalid(jsonErrorItem{Resource: "PullRequest", Field: "title", Code: "missing_field"})
		return
	case req.Head == "":
		c.invalid(jsonErrorItem{Resource: "PullRequest", Field: "head", Code: "missing_field"})
		return
	case req.Base == "":
		c.invalid(jsonErrorItem{Resource: "PullRequest", Field: "base", Code: "missing_field"})
		return
	}
	baseSHA, ok := r.git.refSHA("refs/heads/" + req.Base)
	if !ok || !refExists(r, "refs/heads/"+req.Base) {
		c.invalid(jsonErrorItem{Resource: "PullRequest", Field: "base", Code: "invalid"})
		return
	}
	hr, branch := s.headRepo(r, req.Head)
	if req.HeadRepo != "" && hr != nil && !strings.EqualFold(req.HeadRepo, hr.fullName()) {
		hr = s.repos[strings.ToLower(req.HeadRepo)]
	}
	if hr == nil {
		c.invalid(jsonErrorItem{Resource: "PullRequest", Field: "head", Code: "invalid"})
		return
	}
	headSHA, ok := s.importHead(r, hr, branch)
	if !ok {
		c.invalid(jsonErrorItem{Resource: "PullRequest", Field: "head", Code: "invalid"})
		return
	}
	for _, p := range r.pulls {
		if p.State == "open" && p.headRepo == hr && p.HeadRef == branch && p.BaseRef == req.Base {
			c.invalid(jsonErrorItem{Resource: "PullRequest", Code: "custom",
				Message: fmt.Sprintf("A pull request already exists for %s:%s.", hr.owner, branch)})
			return
		}
	}
	if r.git.isAncestor(headSHA, baseSHA) {
		c.invalid(jsonErrorItem{Resource: "PullRequest", Code: "custom",
			Message: fmt.Sprintf("No commits between %s and %s", req.Base, req.Head)})
		return
	}
	now := s.now()
	s.nextID++
	p := &PullRequest{
		Number: len(r.pulls) + 1, id: s.nextID, Title: req.Title, Body: req.Body, State: "open",
		Draft: req.Draft, MaintainerCanModify: req.MaintainerCanModify == nil || *req.MaintainerCanModify,
		HeadOwner: hr.owner, HeadRef: branch, HeadSHA: headSHA, headRepo: hr, BaseRef: req.Base,
		Author: s.bot.Login, CreatedAt: now, UpdatedAt: now,
	}
	if hr == r {
		p.MaintainerCanModify = false // only meaningful for forks
	}
	if err := r.git.updateRef(fmt.Sprintf("refs/pull/%d/head", p.Number), headSHA, ""); err != nil {
		c.failErr(err)
		return
	}
	r.pulls = append(r.pulls, p)
	c.summary = fmt.Sprintf("create PR #%d %s:%s → %s %q", p.Number, hr.owner, branch, req.Base, req.Title)
	c.json(http.StatusCreated, s.pullJSON(r, p))
}

func (s *Server) listPulls(c *call) {
	q := c.r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	if state != "open" && state != "closed" && state != "all" {
		c.invalid(jsonErrorItem{Resource: "PullRequest", Field: "state", Code: "invalid"})
		return
	}
	var headRepo *repo
	headBranch := ""
	if h := q.Get("head"); h != "" {
		headRepo, headBranch = s.headRepo(c.repo, h)
		if headRepo == nil {
			c.json(http.StatusOK, []jsonPull{})
			return
		}
	}
	var sel []*PullRequest
	for _, p := range c.repo.pulls {
		if state != "all" && p.State != state {
			continue
		}
		if headRepo != nil && (p.headRepo != headRepo || p.HeadRef != headBranch) {
			continue
		}
		if b := q.Get("base"); b != "" && p.BaseRef != b {
			continue
		}
		sel = append(sel, p)
	}
	sortKey := q.Get("sort")
	desc := q.Get("direction") == "desc" || (q.Get("direction") == "" && (sortKey == "" || sortKey == "created"))
	sort.SliceStable(sel, func(i, j int) bool {
		a, b := sel[i], sel[j]
		if desc {
			a, b = b, a
		}
		if sortKey == "updated" {
			if !a.UpdatedAt.Equal(b.UpdatedAt) {
				return a.UpdatedAt.Before(b.UpdatedAt)
			}
		}
		return a.Number < b.Number
	})
	page, links := paginate(c, len(sel))
	setLink(c, links)
	out := []jsonPull{}
	for _, p := range sel[page[0]:page[1]] {
		out = append(out, s.pullJSON(c.repo, p))
	}
	c.json(http.StatusOK, out)
}

func (s *Server) getPull(c *call) {
	p := s.pathPull(c)
	if p == nil {
		return
	}
	j := s.pullJSON(c.repo, p)
	if p.State == "open" {
		_, err := s.mergeTree(c.repo, p)
		ok := err == nil
		j.Mergeable = &ok
	}
	c.json(http.StatusOK, j)
}

func (s *Server) editPull(c *call) {
	p := s.pathPull(c)
	if p == nil {
		return
	}
	var req struct {
		Title               *string `json:"title"`
		Body                *string `json:"body"`
		State               *string `json:"state"`
		Base                *string `json:"base"`
		MaintainerCanModify *bool   `json:"maintainer_can_modify"`
	}
	if !c.decode(&req) {
		return
	}
	var did []string
	if req.Base != nil && *req.Base != p.BaseRef {
		if !refExists(c.repo, "refs/heads/"+*req.Base) {
			c.invalid(jsonErrorItem{Resource: "PullRequest", Field: "base", Code: "invalid"})
			return
		}
	}
	if req.State != nil {
		switch *req.State {
		case "closed":
			if p.State == "open" {
				s.closePull(p)
				did = append(did, "close")
			}
		case "open":
			if p.State == "closed" {
				if p.Merged {
					c.invalid(jsonErrorItem{Resource: "PullRequest", Code: "custom", Message: "state cannot be changed. The pull request has been merged."})
					return
				}
				if _, ok := s.importHead(c.repo, p.headRepo, p.HeadRef); !ok {
					c.invalid(jsonErrorItem{Resource: "PullRequest", Code: "custom", Message: "state cannot be changed. The " + p.HeadRef + " branch has been deleted."})
					return
				}
				for _, o := range c.repo.pulls {
					if o != p && o.State == "open" && o.headRepo == p.headRepo && o.HeadRef == p.HeadRef && o.BaseRef == p.BaseRef {
						c.invalid(jsonErrorItem{Resource: "PullRequest", Code: "custom", Message: fmt.Sprintf("A pull request already exists for %s:%s.", p.HeadOwner, p.HeadRef)})
						return
					}
				}
				p.State = "open"
				p.ClosedAt = time.Time{}
				did = append(did, "reopen")
			}
		default:
			c.invalid(jsonErrorItem{Resource: "PullRequest", Field: "state", Code: "invalid"})
			return
		}
	}
	if req.Title != nil {
		p.Title = *req.Title
		did = append(did, "title")
	}
	if req.Body != nil {
		p.Body = *req.Body
		did = append(did, "body")
	}
	if req.Base != nil && *req.Base != p.BaseRef {
		p.BaseRef = *req.Base
		did = append(did, "base")
	}
	if req.MaintainerCanModify != nil {
		p.MaintainerCanModify = *req.MaintainerCanModify && p.headRepo != c.repo
	}
	p.UpdatedAt = s.now()
	c.summary = fmt.Sprintf("edit PR #%d: %s", p.Number, strings.Join(did, ", "))
	c.json(http.StatusOK, s.pullJSON(c.repo, p))
}

func (s *Server) requestReviewers(c *call) {
	p := s.pathPull(c)
	if p == nil {
		return
	}
	var req struct {
		Reviewers     []string `json:"reviewers"`
		TeamReviewers []string `json:"team_reviewers"`
	}
	if !c.decode(&req) {
		return
	}
	// GitHub refuses the whole request, without saying which entry, with
	// this message ("the teams you specified" when only teams were asked
	// for): answers quoted in dependabot's and others' reports, see
	// docs/github-state-nixpkgs.md#review-requests.
	who := "users or teams"
	if len(req.Reviewers) == 0 {
		who = "teams"
	}
	notCollab := fmt.Sprintf("Reviews may only be requested from collaborators. One or more of the %s you specified is not a collaborator of the %s repository.", who, c.repo.fullName())
	var logins []string
	for _, l := range req.Reviewers {
		u := s.users[strings.ToLower(l)]
		if u == nil || !u.Collaborator {
			c.invalid(jsonErrorItem{Resource: "PullRequest", Code: "custom", Message: notCollab})
			return
		}
		if strings.EqualFold(u.Login, p.Author) {
			c.invalid(jsonErrorItem{Resource: "PullRequest", Code: "custom", Message: "Review cannot be requested from pull request author."})
			return
		}
		logins = append(logins, u.Login)
	}
	var slugs []string
	for _, slug := range req.TeamReviewers {
		// A team of another organisation, one that does not exist, and one
		// without any permission on the repository are all "not a
		// collaborator" (docs: a team "with read access to a repository"
		// can be requested).
		t := s.repoTeam(c.repo, c.repo.owner, slug)
		if t == nil {
			c.invalid(jsonErrorItem{Resource: "PullRequest", Code: "custom", Message: notCollab})
			return
		}
		slugs = append(slugs, t.Slug)
	}
	for _, l := range logins {
		if !slices.ContainsFunc(p.Reviewers, func(x string) bool { return strings.EqualFold(x, l) }) {
			p.Reviewers = append(p.Reviewers, l)
		}
	}
	for _, t := range slugs {
		if !slices.Contains(p.TeamReviewers, t) {
			p.TeamReviewers = append(p.TeamReviewers, t)
		}
	}
	p.UpdatedAt = s.now()
	c.summary = fmt.Sprintf("request reviews on PR #%d: users %v teams %v", p.Number, logins, slugs)
	c.json(http.StatusCreated, s.pullJSON(c.repo, p))
}
