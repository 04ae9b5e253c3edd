// The issues API as pull requests use it: the issue of a PR, its labels
// and its comments.

package githubtest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// --- issues (for pull requests) ---

func (s *Server) getIssue(c *call) {
	if p := s.pathPull(c); p != nil {
		c.json(http.StatusOK, s.issueJSON(c.repo, p))
	}
}

func (s *Server) getRepo(c *call) { c.json(http.StatusOK, s.repoJSON(c.repo)) }

// editIssue is PATCH issues/{n} for a pull request: title, body, state
// (closing through the issues API closes the pull request) and labels
// (replacing them).
func (s *Server) editIssue(c *call) {
	p := s.pathPull(c)
	if p == nil {
		return
	}
	var req struct {
		Title  *string   `json:"title"`
		Body   *string   `json:"body"`
		State  *string   `json:"state"`
		Labels *[]string `json:"labels"`
	}
	if !c.decode(&req) {
		return
	}
	var did []string
	if req.State != nil {
		switch {
		case *req.State == "closed" && p.State == "open":
			s.closePull(p)
			did = append(did, "close")
		case *req.State == "open" && p.State == "closed":
			if p.Merged {
				c.invalid(jsonErrorItem{Resource: "Issue", Code: "custom", Message: "state cannot be changed. The pull request has been merged."})
				return
			}
			if _, ok := s.importHead(c.repo, p.headRepo, p.HeadRef); !ok {
				c.invalid(jsonErrorItem{Resource: "Issue", Code: "custom", Message: "state cannot be changed. The " + p.HeadRef + " branch has been deleted."})
				return
			}
			p.State, p.ClosedAt = "open", time.Time{}
			did = append(did, "reopen")
		case *req.State != "open" && *req.State != "closed":
			c.invalid(jsonErrorItem{Resource: "Issue", Field: "state", Code: "invalid"})
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
	if req.Labels != nil {
		p.Labels = nil
		for _, n := range *req.Labels {
			key := strings.ToLower(n)
			if c.repo.labels[key] == nil {
				s.nextID++
				c.repo.labels[key] = &label{ID: s.nextID, Name: n, Color: "ededed"}
			}
			if !hasLabel(p.Labels, n) {
				p.Labels = append(p.Labels, c.repo.labels[key].Name)
			}
		}
		did = append(did, "labels")
	}
	p.UpdatedAt = s.now()
	c.summary = fmt.Sprintf("edit issue #%d: %s", p.Number, strings.Join(did, ", "))
	c.json(http.StatusOK, s.issueJSON(c.repo, p))
}

func (s *Server) addLabels(c *call) {
	p := s.pathPull(c)
	if p == nil {
		return
	}
	var raw any
	if !c.decode(&raw) {
		return
	}
	var names []string
	collect := func(v any) bool {
		list, ok := v.([]any)
		if !ok {
			return false
		}
		for _, it := range list {
			switch x := it.(type) {
			case string:
				names = append(names, x)
			case map[string]any:
				n, _ := x["name"].(string)
				names = append(names, n)
			default:
				return false
			}
		}
		return true
	}
	ok := collect(raw)
	if m, isMap := raw.(map[string]any); isMap {
		ok = collect(m["labels"])
	}
	if !ok || len(names) == 0 || slices.Contains(names, "") {
		c.invalid(jsonErrorItem{Resource: "Label", Field: "labels", Code: "invalid"})
		return
	}
	var added []string
	for _, n := range names {
		key := strings.ToLower(n)
		if c.repo.labels[key] == nil {
			s.nextID++
			c.repo.labels[key] = &label{ID: s.nextID, Name: n, Color: "ededed"}
		}
		name := c.repo.labels[key].Name
		if !slices.ContainsFunc(p.Labels, func(x string) bool { return strings.EqualFold(x, name) }) {
			p.Labels = append(p.Labels, name)
			added = append(added, name)
		}
	}
	p.UpdatedAt = s.now()
	c.summary = fmt.Sprintf("add labels %q to #%d (new: %q)", names, p.Number, added)
	c.json(http.StatusOK, s.labelsJSON(c.repo, p.Labels))
}

func (s *Server) listIssueLabels(c *call) {
	if p := s.pathPull(c); p != nil {
		c.json(http.StatusOK, s.labelsJSON(c.repo, p.Labels))
	}
}

func (s *Server) removeLabel(c *call) {
	p := s.pathPull(c)
	if p == nil {
		return
	}
	name := c.r.PathValue("name")
	i := slices.IndexFunc(p.Labels, func(x string) bool { return strings.EqualFold(x, name) })
	if i < 0 {
		c.fail(http.StatusNotFound, "Label does not exist")
		return
	}
	p.Labels = slices.Delete(p.Labels, i, i+1)
	p.UpdatedAt = s.now()
	c.summary = fmt.Sprintf("remove label %q from #%d", name, p.Number)
	c.json(http.StatusOK, s.labelsJSON(c.repo, p.Labels))
}

func (s *Server) createComment(c *call) {
	p := s.pathPull(c)
	if p == nil {
		return
	}
	var req struct {
		Body string `json:"body"`
	}
	if !c.decode(&req) {
		return
	}
	if strings.TrimSpace(req.Body) == "" {
		c.invalid(jsonErrorItem{Resource: "IssueComment", Field: "body", Code: "missing_field"})
		return
	}
	cm := s.addComment(c.repo, p, s.bot.Login, req.Body)
	c.summary = fmt.Sprintf("comment %d on #%d: %q", cm.ID, p.Number, firstLine(req.Body))
	c.json(http.StatusCreated, s.commentJSON(c.repo, cm))
}

func (s *Server) listComments(c *call) {
	p := s.pathPull(c)
	if p == nil {
		return
	}
	page, links := paginate(c, len(p.comments))
	setLink(c, links)
	out := []jsonComment{}
	for _, cm := range p.comments[page[0]:page[1]] {
		out = append(out, s.commentJSON(c.repo, cm))
	}
	c.json(http.StatusOK, out)
}

func (s *Server) editComment(c *call) {
	id, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	cm := c.repo.comments[id]
	if err != nil || cm == nil {
		c.notFound()
		return
	}
	var req struct {
		Body string `json:"body"`
	}
	if !c.decode(&req) {
		return
	}
	if strings.TrimSpace(req.Body) == "" {
		c.invalid(jsonErrorItem{Resource: "IssueComment", Field: "body", Code: "missing_field"})
		return
	}
	cm.Body = req.Body
	cm.UpdatedAt = s.now()
	c.summary = fmt.Sprintf("edit comment %d on #%d", cm.ID, cm.Issue)
	c.json(http.StatusOK, s.commentJSON(c.repo, cm))
}
