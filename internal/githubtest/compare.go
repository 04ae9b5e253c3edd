package githubtest

// The compare API (GET /repos/{owner}/{repo}/compare/{basehead}), as
// GitHub's REST reference "Compare two commits" describes it: BASE...HEAD
// (three dots; two dots is refused), the status (ahead, behind, diverged
// or identical) with ahead_by and behind_by, total_commits (the commits
// of HEAD not in BASE), those commits oldest first (at most 250 without
// paging parameters; with per_page or page, pages of 30 by default and at
// most 100, as the reference says), and the
// files changed since the merge base on the first page only, at most 300.
// A revision the repository does not have is 404 "Not Found".

import (
	"net/http"
	"strconv"
	"strings"
)

// maxCompareFiles is the most files a comparison lists (the reference).
const maxCompareFiles = 300

type jsonComparison struct {
	URL             string           `json:"url"`
	HTMLURL         string           `json:"html_url"`
	Status          string           `json:"status"`
	AheadBy         int              `json:"ahead_by"`
	BehindBy        int              `json:"behind_by"`
	TotalCommits    int              `json:"total_commits"`
	BaseCommit      jsonRepoCommit   `json:"base_commit"`
	MergeBaseCommit jsonRepoCommit   `json:"merge_base_commit"`
	Commits         []jsonRepoCommit `json:"commits"`
	Files           []jsonCommitFile `json:"files,omitempty"`
}

func (s *Server) compareCommits(c *call) {
	basehead := c.r.PathValue("basehead")
	base, head, ok := strings.Cut(basehead, "...")
	if !ok || base == "" || head == "" || strings.HasPrefix(base, "-") || strings.HasPrefix(head, "-") {
		c.notFound()
		return
	}
	g := c.repo.git
	baseSHA, ok1 := g.resolve(base, "commit")
	headSHA, ok2 := g.resolve(head, "commit")
	if !ok1 || !ok2 {
		c.notFound()
		return
	}
	mb, err := g.out("merge-base", baseSHA, headSHA)
	if err != nil {
		c.fail(http.StatusNotFound, "No common ancestor between "+base+" and "+head+".")
		return
	}
	mb = strings.TrimSpace(mb)
	list := func(from, to string) ([]string, error) {
		out, err := g.out("rev-list", "--reverse", "--topo-order", to, "^"+from)
		return strings.Fields(out), err
	}
	ahead, err := list(baseSHA, headSHA)
	if err != nil {
		c.failErr(err)
		return
	}
	behind, err := list(headSHA, baseSHA)
	if err != nil {
		c.failErr(err)
		return
	}
	status := "identical"
	switch {
	case len(ahead) > 0 && len(behind) > 0:
		status = "diverged"
	case len(ahead) > 0:
		status = "ahead"
	case len(behind) > 0:
		status = "behind"
	}
	// Without paging parameters the commits are "limited to 250"; with
	// them, pages of per_page (default 30, at most 100), as for any list.
	q := c.r.URL.Query()
	per := 250
	if q.Has("per_page") || q.Has("page") {
		per = 30
		if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n > 0 {
			per = min(n, 100)
		}
	}
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	start := min((page-1)*per, len(ahead))
	end := min(start+per, len(ahead))
	if end < len(ahead) {
		links := map[string]int{"next": page + 1, "last": (len(ahead) + per - 1) / per}
		if page > 1 {
			links["first"], links["prev"] = 1, page-1
		}
		setLink(c, links)
	}
	commitJSON := func(sha string) (jsonRepoCommit, bool) {
		ci, err := g.commit(sha)
		if err != nil {
			c.failErr(err)
			return jsonRepoCommit{}, false
		}
		return s.repoCommitJSON(c.repo, ci), true
	}
	out := jsonComparison{
		URL:     s.apiURL("repos/%s/compare/%s", c.repo.fullName(), basehead),
		HTMLURL: s.htmlURL("%s/compare/%s", c.repo.fullName(), basehead),
		Status:  status, AheadBy: len(ahead), BehindBy: len(behind), TotalCommits: len(ahead),
		Commits: []jsonRepoCommit{},
	}
	var okc bool
	if out.BaseCommit, okc = commitJSON(baseSHA); !okc {
		return
	}
	if out.MergeBaseCommit, okc = commitJSON(mb); !okc {
		return
	}
	for _, sha := range ahead[start:end] {
		j, ok := commitJSON(sha)
		if !ok {
			return
		}
		out.Commits = append(out.Commits, j)
	}
	if page == 1 {
		files, _, err := s.commitFiles(c.repo, &commitInfo{SHA: headSHA, Parents: []string{mb}})
		if err != nil {
			c.failErr(err)
			return
		}
		if len(files) > maxCompareFiles {
			files = files[:maxCompareFiles]
		}
		out.Files = append([]jsonCommitFile{}, files...)
	}
	c.summary = "compare " + basehead
	c.json(http.StatusOK, out)
}
