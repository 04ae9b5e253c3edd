package githubtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// apiError is a validation failure a handler answers with.
type apiError struct {
	status int
	msg    string
	items  []jsonErrorItem
}

func (e *apiError) Error() string { return e.msg }

func unprocessable(msg string) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, msg: msg}
}

func (c *call) failErr(err error) {
	if ae, ok := err.(*apiError); ok {
		c.fail(ae.status, ae.msg, ae.items...)
		return
	}
	c.fail(http.StatusInternalServerError, "githubtest: "+err.Error())
}

func (s *Server) routes() {
	s.handle("POST /app/installations/{id}/access_tokens", s.createAccessToken)
	s.handle("GET /repos/{owner}/{repo}/installation", s.repoInstallation)

	s.handle("GET /repos/{owner}/{repo}/git/ref/{ref...}", s.getRef)
	s.handle("GET /repos/{owner}/{repo}/git/refs/{ref...}", s.getRefsLegacy)
	s.handle("GET /repos/{owner}/{repo}/git/matching-refs/{ref...}", s.matchingRefs)
	s.handle("POST /repos/{owner}/{repo}/git/refs", s.createRef)
	s.handle("PATCH /repos/{owner}/{repo}/git/refs/{ref...}", s.updateRef)
	s.handle("DELETE /repos/{owner}/{repo}/git/refs/{ref...}", s.deleteRef)
	s.handle("GET /repos/{owner}/{repo}/git/commits/{sha}", s.getCommit)
	s.handle("POST /repos/{owner}/{repo}/git/commits", s.createCommit)
	s.handle("GET /repos/{owner}/{repo}/git/trees/{sha}", s.getTree)
	s.handle("POST /repos/{owner}/{repo}/git/trees", s.createTree)
	s.handle("GET /repos/{owner}/{repo}/contents/{path...}", s.getContents)
	s.handle("GET /repos/{owner}/{repo}/git/blobs/{sha}", s.getBlob)
	s.handle("GET /repos/{owner}/{repo}/commits/{ref}", s.getRepoCommit)
	s.handle("GET /repos/{owner}/{repo}/compare/{basehead}", s.compareCommits)

	s.handle("POST /repos/{owner}/{repo}/pulls", s.createPull)
	s.handle("GET /repos/{owner}/{repo}/pulls", s.listPulls)
	s.handle("GET /repos/{owner}/{repo}/pulls/{number}", s.getPull)
	s.handle("PATCH /repos/{owner}/{repo}/pulls/{number}", s.editPull)
	s.handle("PUT /repos/{owner}/{repo}/pulls/{number}/merge", s.mergePull)
	s.handle("GET /repos/{owner}/{repo}/pulls/{number}/commits", s.pullCommits)
	s.handle("POST /repos/{owner}/{repo}/pulls/{number}/requested_reviewers", s.requestReviewers)
	s.handle("GET /repos/{owner}/{repo}", s.getRepo)
	s.handle("GET /repos/{owner}/{repo}/issues/{number}", s.getIssue)
	s.handle("PATCH /repos/{owner}/{repo}/issues/{number}", s.editIssue)
	s.handle("POST /repos/{owner}/{repo}/issues/{number}/labels", s.addLabels)
	s.handle("GET /repos/{owner}/{repo}/issues/{number}/labels", s.listIssueLabels)
	s.handle("DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}", s.removeLabel)
	s.handle("POST /repos/{owner}/{repo}/issues/{number}/comments", s.createComment)
	s.handle("GET /repos/{owner}/{repo}/issues/{number}/comments", s.listComments)
	s.handle("PATCH /repos/{owner}/{repo}/issues/comments/{id}", s.editComment)
	s.handle("GET /search/issues", s.searchIssues)
	s.handle("GET /users/{login}", s.getUser)
	s.handle("GET /user/{id}", s.getUserByID)
	s.handle("GET /orgs/{org}/teams/{slug}", s.getTeam)
	s.handle("GET /orgs/{org}/teams/{slug}/repos/{owner}/{repo}", s.checkTeamRepo)
	s.handle("GET /repos/{owner}/{repo}/collaborators/{login}", s.checkCollaborator)
}

// --- refs ---

func (s *Server) refJSON(r *repo, name, sha string) jsonRef {
	typ := r.git.objectType(sha)
	return jsonRef{
		Ref:    name,
		NodeID: nodeID("REF", r.fullName()+":"+name),
		URL:    s.apiURL("repos/%s/git/%s", r.fullName(), name),
		Object: jsonObject{Type: typ, SHA: sha, URL: s.apiURL("repos/%s/git/%ss/%s", r.fullName(), typ, sha)},
	}
}

func (s *Server) getRef(c *call) {
	name := "refs/" + c.r.PathValue("ref")
	sha, ok := c.repo.git.refSHA(name)
	if !ok || !refExists(c.repo, name) {
		c.notFound()
		return
	}
	c.json(http.StatusOK, s.refJSON(c.repo, name, sha))
}

// refExists checks for the exact ref (rev-parse would also accept
// abbreviations and SHAs).
func refExists(r *repo, name string) bool {
	_, err := r.git.out("show-ref", "--verify", "--quiet", name)
	return err == nil
}

// getRefsLegacy is the older GET git/refs/{ref}: the exact ref as an object,
// else the refs under it as an array.
func (s *Server) getRefsLegacy(c *call) {
	name := "refs/" + c.r.PathValue("ref")
	if sha, ok := c.repo.git.refSHA(name); ok && refExists(c.repo, name) {
		c.json(http.StatusOK, s.refJSON(c.repo, name, sha))
		return
	}
	s.writeRefs(c, strings.TrimSuffix(name, "/")+"/", true)
}

func (s *Server) matchingRefs(c *call) {
	s.writeRefs(c, "refs/"+c.r.PathValue("ref"), false)
}

func (s *Server) writeRefs(c *call, prefix string, notFoundIfEmpty bool) {
	refs, err := c.repo.git.listRefs(prefix)
	if err != nil {
		c.failErr(err)
		return
	}
	out := []jsonRef{}
	for _, ref := range refs {
		if strings.HasPrefix(ref[0], "refs/pull/") {
			continue
		}
		out = append(out, s.refJSON(c.repo, ref[0], ref[1]))
	}
	if len(out) == 0 && notFoundIfEmpty {
		c.notFound()
		return
	}
	page, links := paginate(c, len(out))
	setLink(c, links)
	c.json(http.StatusOK, out[page[0]:page[1]])
}

func validRefName(r *repo, name string) bool {
	if !strings.HasPrefix(name, "refs/") || strings.Count(name, "/") < 2 || strings.HasPrefix(name, "refs/pull/") {
		return false
	}
	_, err := r.git.out("check-ref-format", name)
	return err == nil
}

func (s *Server) createRef(c *call) {
	var req struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	}
	if !c.decode(&req) {
		return
	}
	if !validRefName(c.repo, req.Ref) {
		c.fail(http.StatusUnprocessableEntity, "Reference name is invalid")
		return
	}
	if c.repo.git.objectType(req.SHA) == "" || len(req.SHA) != 40 {
		c.fail(http.StatusUnprocessableEntity, "Object does not exist")
		return
	}
	if refExists(c.repo, req.Ref) {
		c.fail(http.StatusUnprocessableEntity, "Reference already exists")
		return
	}
	if err := c.repo.git.updateRef(req.Ref, req.SHA, ""); err != nil {
		c.fail(http.StatusUnprocessableEntity, "Reference update failed: "+err.Error())
		return
	}
	s.refChanged(c.repo, req.Ref)
	c.summary = "create ref " + req.Ref + " at " + short(req.SHA)
	c.json(http.StatusCreated, s.refJSON(c.repo, req.Ref, req.SHA))
}

func (s *Server) updateRef(c *call) {
	name := "refs/" + c.r.PathValue("ref")
	var req struct {
		SHA   string `json:"sha"`
		Force bool   `json:"force"`
	}
	if !c.decode(&req) {
		return
	}
	old, ok := c.repo.git.refSHA(name)
	if !ok || !refExists(c.repo, name) {
		c.fail(http.StatusUnprocessableEntity, "Reference does not exist")
		return
	}
	if c.repo.git.objectType(req.SHA) == "" || len(req.SHA) != 40 {
		c.fail(http.StatusUnprocessableEntity, "Object does not exist")
		return
	}
	if !req.Force && !c.repo.git.isAncestor(old, req.SHA) {
		c.fail(http.StatusUnprocessableEntity, "Update is not a fast forward")
		return
	}
	if err := c.repo.git.updateRef(name, req.SHA, old); err != nil {
		c.fail(http.StatusUnprocessableEntity, "Reference update failed: "+err.Error())
		return
	}
	s.refChanged(c.repo, name)
	c.summary = "update ref " + name + " " + short(old) + " → " + short(req.SHA)
	if req.Force {
		c.summary += " (force)"
	}
	c.json(http.StatusOK, s.refJSON(c.repo, name, req.SHA))
}

func (s *Server) deleteRef(c *call) {
	name := "refs/" + c.r.PathValue("ref")
	old, ok := c.repo.git.refSHA(name)
	if !ok || !refExists(c.repo, name) {
		c.fail(http.StatusUnprocessableEntity, "Reference does not exist")
		return
	}
	if err := c.repo.git.deleteRef(name, old); err != nil {
		c.failErr(err)
		return
	}
	s.refChanged(c.repo, name)
	c.summary = "delete ref " + name
	c.w.WriteHeader(http.StatusNoContent)
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

// --- commits ---

func (s *Server) commitJSON(r *repo, ci *commitInfo) jsonCommit {
	parents := []jsonSHAURL{}
	for _, p := range ci.Parents {
		parents = append(parents, jsonSHAURL{SHA: p, URL: s.apiURL("repos/%s/git/commits/%s", r.fullName(), p),
			HTMLURL: s.htmlURL("%s/commit/%s", r.fullName(), p)})
	}
	return jsonCommit{
		SHA:          ci.SHA,
		NodeID:       nodeID("C", ci.SHA),
		URL:          s.apiURL("repos/%s/git/commits/%s", r.fullName(), ci.SHA),
		HTMLURL:      s.htmlURL("%s/commit/%s", r.fullName(), ci.SHA),
		Author:       jsonIdent{Name: ci.AuthorName, Email: ci.AuthorEmail, Date: ts(ci.AuthorDate)},
		Committer:    jsonIdent{Name: ci.CommitterName, Email: ci.CommEmail, Date: ts(ci.CommitterDate)},
		Message:      ci.Message,
		Tree:         jsonSHAURL{SHA: ci.Tree, URL: s.apiURL("repos/%s/git/trees/%s", r.fullName(), ci.Tree)},
		Parents:      parents,
		Verification: jsonVerification{Reason: "unsigned"},
	}
}

func (s *Server) getCommit(c *call) {
	sha := c.r.PathValue("sha")
	if c.repo.git.objectType(sha) != "commit" {
		c.notFound()
		return
	}
	ci, err := c.repo.git.commit(sha)
	if err != nil {
		c.failErr(err)
		return
	}
	c.json(http.StatusOK, s.commitJSON(c.repo, ci))
}

func (s *Server) createCommit(c *call) {
	var req struct {
		Message   *string    `json:"message"`
		Tree      string     `json:"tree"`
		Parents   []string   `json:"parents"`
		Author    *jsonIdent `json:"author"`
		Committer *jsonIdent `json:"committer"`
		Signature *string    `json:"signature"`
	}
	if !c.decode(&req) {
		return
	}
	if req.Message == nil {
		c.invalid(jsonErrorItem{Resource: "Commit", Field: "message", Code: "missing_field"})
		return
	}
	if c.repo.git.objectType(req.Tree) != "tree" {
		c.fail(http.StatusUnprocessableEntity, "Tree SHA does not exist")
		return
	}
	for _, p := range req.Parents {
		if len(p) != 40 || c.repo.git.objectType(p) != "commit" {
			c.fail(http.StatusUnprocessableEntity, "Parent SHA does not exist or is not a commit object")
			return
		}
	}
	now := s.now()
	author := ident{Name: s.bot.Login, Email: s.botEmail(), When: now}
	if req.Author != nil {
		a, err := identFrom(req.Author, now)
		if err != nil {
			c.invalid(jsonErrorItem{Resource: "Commit", Field: "author", Code: "invalid", Message: err.Error()})
			return
		}
		author = a
	}
	committer := author
	if req.Committer != nil {
		cm, err := identFrom(req.Committer, now)
		if err != nil {
			c.invalid(jsonErrorItem{Resource: "Commit", Field: "committer", Code: "invalid", Message: err.Error()})
			return
		}
		committer = cm
	}
	sha, err := c.repo.git.commitTree(req.Tree, req.Parents, *req.Message, author, committer)
	if err != nil {
		c.failErr(err)
		return
	}
	ci, err := c.repo.git.commit(sha)
	if err != nil {
		c.failErr(err)
		return
	}
	c.summary = "create commit " + short(sha) + " " + firstLine(*req.Message)
	c.json(http.StatusCreated, s.commitJSON(c.repo, ci))
}

func (s *Server) botEmail() string {
	return strings.TrimSuffix(strings.TrimSuffix(s.bot.Login, "]"), "[bot") + "[bot]@users.noreply.github.com"
}

func identFrom(j *jsonIdent, now time.Time) (ident, error) {
	id := ident{Name: j.Name, Email: j.Email, When: now}
	if id.Name == "" || id.Email == "" {
		return ident{}, unprocessable("name and email are required")
	}
	if j.Date != "" {
		t, err := time.Parse(time.RFC3339, j.Date)
		if err != nil {
			return ident{}, unprocessable("date is not ISO 8601: " + j.Date)
		}
		id.When = t
	}
	return id, nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// --- trees ---

// treeInput is one entry of a create-tree request.
type treeInput struct {
	Path, Mode, Type string
	SHA              *string
	Content          *string
	// deleteIfNil: a nil Content deletes (the Commit helper's convention).
	deleteIfNil bool
	// shaNull: the request sent "sha": null, which deletes the path.
	shaNull bool
}

func validTreePath(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." || seg == ".git" {
			return false
		}
	}
	return true
}

// buildTree applies entries on top of base (a tree SHA, or "" for none) and
// writes the resulting tree.
func (s *Server) buildTree(r *repo, base string, entries []treeInput) (string, error) {
	ix, err := r.git.newIndex()
	if err != nil {
		return "", err
	}
	defer ix.close()
	if base == "" {
		base = emptyTreeSHA
	}
	if _, err := ix.run(nil, "read-tree", base); err != nil {
		return "", err
	}
	for _, e := range entries {
		if !validTreePath(e.Path) {
			return "", unprocessable("tree.path contains a malformed path component: " + e.Path)
		}
		del := e.shaNull || (e.deleteIfNil && e.Content == nil && e.SHA == nil)
		if err := removePath(ix, e.Path); err != nil {
			return "", err
		}
		if del {
			continue
		}
		if e.Content != nil && e.SHA != nil {
			return "", unprocessable("Only one of 'sha' or 'content' may be set for " + e.Path)
		}
		if e.Content == nil && e.SHA == nil {
			return "", unprocessable("Must supply either tree.sha or tree.content for " + e.Path)
		}
		switch e.Type {
		case "", "blob":
			if e.Mode != "100644" && e.Mode != "100755" && e.Mode != "120000" {
				return "", unprocessable("tree.mode " + e.Mode + " is not valid for a blob at " + e.Path)
			}
			sha := ""
			if e.Content != nil {
				sha, err = r.git.hashBlob([]byte(*e.Content))
				if err != nil {
					return "", err
				}
			} else {
				sha = *e.SHA
				if r.git.objectType(sha) != "blob" {
					return "", unprocessable("tree.sha " + sha + " is not a valid blob")
				}
			}
			if _, err := ix.run(nil, "update-index", "--add", "--replace", "--cacheinfo", e.Mode+","+sha+","+e.Path); err != nil {
				return "", err
			}
		case "tree":
			if e.Content != nil || e.Mode != "040000" || r.git.objectType(*e.SHA) != "tree" {
				return "", unprocessable("tree.sha " + strDeref(e.SHA) + " is not a valid tree (mode 040000) at " + e.Path)
			}
			if _, err := ix.run(nil, "read-tree", "--prefix="+e.Path+"/", *e.SHA); err != nil {
				return "", err
			}
		case "commit":
			if e.Content != nil || e.Mode != "160000" {
				return "", unprocessable("a commit entry needs mode 160000 and a sha at " + e.Path)
			}
			if _, err := ix.run(nil, "update-index", "--add", "--replace", "--cacheinfo", "160000,"+*e.SHA+","+e.Path); err != nil {
				return "", err
			}
		default:
			return "", unprocessable("tree.type must be blob, tree or commit at " + e.Path)
		}
	}
	out, err := ix.run(nil, "write-tree")
	return strings.TrimSpace(out), err
}

func strDeref(p *string) string {
	if p == nil {
		return "null"
	}
	return *p
}

// removePath removes path and everything under it from the index.
func removePath(ix *index, p string) error {
	out, err := ix.run(nil, "ls-files", "-z", "--", p)
	if err != nil {
		return err
	}
	var paths []string
	for _, f := range strings.Split(out, "\x00") {
		if f == p || strings.HasPrefix(f, p+"/") {
			paths = append(paths, f)
		}
	}
	if len(paths) == 0 {
		return nil
	}
	_, err = ix.run([]byte(strings.Join(paths, "\x00")+"\x00"), "update-index", "--force-remove", "-z", "--stdin")
	return err
}

func (s *Server) treeJSON(r *repo, sha string, recursive bool) (jsonTree, error) {
	entries, err := r.git.lsTree(sha, recursive)
	if err != nil {
		return jsonTree{}, err
	}
	out := jsonTree{SHA: sha, URL: s.apiURL("repos/%s/git/trees/%s", r.fullName(), sha), Tree: []jsonTreeEntry{}}
	for _, e := range entries {
		je := jsonTreeEntry{Path: e.Path, Mode: e.Mode, Type: e.Type, SHA: e.SHA,
			URL: s.apiURL("repos/%s/git/%ss/%s", r.fullName(), e.Type, e.SHA)}
		if e.Type == "blob" {
			size := e.Size
			je.Size = &size
		}
		out.Tree = append(out.Tree, je)
	}
	return out, nil
}

func (s *Server) getTree(c *call) {
	sha := c.r.PathValue("sha")
	tree, ok := c.repo.git.resolve(sha, "tree")
	if !ok {
		c.notFound()
		return
	}
	recursive := c.r.URL.Query().Get("recursive") != ""
	t, err := s.treeJSON(c.repo, tree, recursive)
	if err != nil {
		c.failErr(err)
		return
	}
	if tree != sha {
		t.SHA = sha
	}
	c.json(http.StatusOK, t)
}

func (s *Server) createTree(c *call) {
	var req struct {
		BaseTree string                       `json:"base_tree"`
		Tree     []map[string]json.RawMessage `json:"tree"`
	}
	if !c.decode(&req) {
		return
	}
	if req.BaseTree != "" && c.repo.git.objectType(req.BaseTree) != "tree" {
		c.fail(http.StatusUnprocessableEntity, "base_tree is not a valid tree oid")
		return
	}
	var entries []treeInput
	for _, raw := range req.Tree {
		var e treeInput
		str := func(k string) (string, bool) {
			v, ok := raw[k]
			if !ok || string(v) == "null" {
				return "", false
			}
			var s string
			if json.Unmarshal(v, &s) != nil {
				return "", false
			}
			return s, true
		}
		e.Path, _ = str("path")
		e.Mode, _ = str("mode")
		e.Type, _ = str("type")
		if v, ok := str("content"); ok {
			e.Content = &v
		}
		if v, ok := str("sha"); ok {
			e.SHA = &v
		} else if rawSHA, present := raw["sha"]; present && string(rawSHA) == "null" {
			e.shaNull = true
		}
		entries = append(entries, e)
	}
	if len(entries) == 0 {
		c.invalid(jsonErrorItem{Resource: "Tree", Field: "tree", Code: "missing_field"})
		return
	}
	sha, err := s.buildTree(c.repo, req.BaseTree, entries)
	if err != nil {
		c.failErr(err)
		return
	}
	t, err := s.treeJSON(c.repo, sha, false)
	if err != nil {
		c.failErr(err)
		return
	}
	var paths []string
	for _, e := range entries {
		op := "write "
		if e.shaNull {
			op = "delete "
		}
		paths = append(paths, op+e.Path)
	}
	c.summary = "create tree " + short(sha) + ": " + strings.Join(paths, ", ")
	c.json(http.StatusCreated, t)
}
