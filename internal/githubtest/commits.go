package githubtest

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// The commits API (GET repos/{o}/{r}/commits/{ref}, with its files) and a
// pull request's commits (GET pulls/{n}/commits): what a client reads to
// learn who pushed what to a branch.

// maxPullCommits is how many commits GitHub lists for one pull request.
const maxPullCommits = 250

type jsonRepoCommitInner struct {
	Author       jsonIdent        `json:"author"`
	Committer    jsonIdent        `json:"committer"`
	Message      string           `json:"message"`
	Tree         jsonSHAURL       `json:"tree"`
	URL          string           `json:"url"`
	CommentCount int              `json:"comment_count"`
	Verification jsonVerification `json:"verification"`
}

type jsonStats struct {
	Additions int `json:"additions"`
	Deletions int `json:"deletions"`
	Total     int `json:"total"`
}

type jsonCommitFile struct {
	SHA              string  `json:"sha"`
	Filename         string  `json:"filename"`
	Status           string  `json:"status"`
	Additions        int     `json:"additions"`
	Deletions        int     `json:"deletions"`
	Changes          int     `json:"changes"`
	BlobURL          string  `json:"blob_url"`
	RawURL           string  `json:"raw_url"`
	ContentsURL      string  `json:"contents_url"`
	Patch            *string `json:"patch,omitempty"`
	PreviousFilename *string `json:"previous_filename,omitempty"`
}

// jsonRepoCommit is a commit of the commits API: git data under "commit",
// the GitHub accounts its author and committer emails belong to (null when
// none does) and, from GET commits/{ref} only, stats and files.
type jsonRepoCommit struct {
	SHA         string              `json:"sha"`
	NodeID      string              `json:"node_id"`
	Commit      jsonRepoCommitInner `json:"commit"`
	URL         string              `json:"url"`
	HTMLURL     string              `json:"html_url"`
	CommentsURL string              `json:"comments_url"`
	Author      *jsonUser           `json:"author"`
	Committer   *jsonUser           `json:"committer"`
	Parents     []jsonSHAURL        `json:"parents"`
	Stats       *jsonStats          `json:"stats,omitempty"`
	Files       []jsonCommitFile    `json:"files,omitempty"`
}

// userByEmail finds the account a commit email belongs to, as GitHub links
// them: a user's Email, or the noreply forms login@users.noreply.github.com
// and id+login@users.noreply.github.com.
func (s *Server) userByEmail(email string) *User {
	email = strings.ToLower(email)
	for _, u := range s.users {
		if u.Email != "" && strings.EqualFold(u.Email, email) {
			return u
		}
	}
	local, ok := strings.CutSuffix(email, "@users.noreply.github.com")
	if !ok {
		return nil
	}
	if id, login, ok := strings.Cut(local, "+"); ok {
		if u := s.users[login]; u != nil && strconv.FormatInt(u.ID, 10) == id {
			return u
		}
		return nil
	}
	return s.users[local]
}

func (s *Server) commitUser(email string) *jsonUser {
	u := s.userByEmail(email)
	if u == nil {
		return nil
	}
	j := s.userJSON(u.Login)
	return &j
}

func (s *Server) repoCommitJSON(r *repo, ci *commitInfo) jsonRepoCommit {
	parents := []jsonSHAURL{}
	for _, p := range ci.Parents {
		parents = append(parents, jsonSHAURL{SHA: p, URL: s.apiURL("repos/%s/commits/%s", r.fullName(), p),
			HTMLURL: s.htmlURL("%s/commit/%s", r.fullName(), p)})
	}
	return jsonRepoCommit{
		SHA:    ci.SHA,
		NodeID: nodeID("C", ci.SHA),
		Commit: jsonRepoCommitInner{
			Author:       jsonIdent{Name: ci.AuthorName, Email: ci.AuthorEmail, Date: ts(ci.AuthorDate)},
			Committer:    jsonIdent{Name: ci.CommitterName, Email: ci.CommEmail, Date: ts(ci.CommitterDate)},
			Message:      strings.TrimSuffix(ci.Message, "\n"),
			Tree:         jsonSHAURL{SHA: ci.Tree, URL: s.apiURL("repos/%s/git/trees/%s", r.fullName(), ci.Tree)},
			URL:          s.apiURL("repos/%s/git/commits/%s", r.fullName(), ci.SHA),
			Verification: jsonVerification{Reason: "unsigned"},
		},
		URL:         s.apiURL("repos/%s/commits/%s", r.fullName(), ci.SHA),
		HTMLURL:     s.htmlURL("%s/commit/%s", r.fullName(), ci.SHA),
		CommentsURL: s.apiURL("repos/%s/commits/%s/comments", r.fullName(), ci.SHA),
		Author:      s.commitUser(ci.AuthorEmail),
		Committer:   s.commitUser(ci.CommEmail),
		Parents:     parents,
	}
}

// commitFiles lists what commit sha changed against its first parent (the
// empty tree for a root commit), as GitHub's commit API does, with rename
// detection, line counts and each file's patch.
func (s *Server) commitFiles(r *repo, ci *commitInfo) ([]jsonCommitFile, jsonStats, error) {
	parent := emptyTreeSHA
	if len(ci.Parents) > 0 {
		parent = ci.Parents[0]
	}
	status, err := r.git.run(nil, nil, "diff-tree", "-r", "-z", "-M", "--no-commit-id", "--name-status", parent, ci.SHA)
	if err != nil {
		return nil, jsonStats{}, err
	}
	numstat, err := r.git.run(nil, nil, "diff-tree", "-r", "-z", "-M", "--no-commit-id", "--numstat", parent, ci.SHA)
	if err != nil {
		return nil, jsonStats{}, err
	}
	type counts struct{ add, del int }
	lines := map[string]counts{}
	fields := strings.Split(numstat, "\x00")
	for i := 0; i < len(fields); i++ {
		add, rest, ok := strings.Cut(fields[i], "\t")
		if !ok {
			continue
		}
		del, path, _ := strings.Cut(rest, "\t")
		if path == "" && i+2 < len(fields) { // a rename: "a\td\t" NUL old NUL new
			path = fields[i+2]
			i += 2
		}
		a, _ := strconv.Atoi(add) // "-" for binary files: 0
		d, _ := strconv.Atoi(del)
		lines[path] = counts{a, d}
	}
	var files []jsonCommitFile
	var stats jsonStats
	fields = strings.Split(status, "\x00")
	for i := 0; i+1 < len(fields); i += 2 {
		code, path := fields[i], fields[i+1]
		if code == "" {
			break
		}
		var previous *string
		st := "modified"
		switch code[0] {
		case 'A':
			st = "added"
		case 'D':
			st = "removed"
		case 'R':
			if i+2 >= len(fields) {
				return nil, jsonStats{}, fmt.Errorf("git diff-tree: odd rename %q", fields[i:])
			}
			st = "renamed"
			old := path
			previous, path = &old, fields[i+2]
			i++
		case 'T':
			st = "changed"
		}
		n := lines[path]
		f := jsonCommitFile{Filename: path, Status: st, Additions: n.add, Deletions: n.del, Changes: n.add + n.del,
			PreviousFilename: previous,
			BlobURL:          s.htmlURL("%s/blob/%s/%s", r.fullName(), ci.SHA, path),
			RawURL:           s.htmlURL("%s/raw/%s/%s", r.fullName(), ci.SHA, path),
			ContentsURL:      s.apiURL("repos/%s/contents/%s?ref=%s", r.fullName(), path, ci.SHA)}
		if st != "removed" {
			if sha, ok := r.git.resolve(ci.SHA+":"+path, ""); ok {
				f.SHA = sha
			}
		}
		from := []string{path}
		if previous != nil {
			from = append(from, *previous)
		}
		if diff, err := r.git.run(nil, nil, append([]string{"diff", "-M", parent, ci.SHA, "--"}, from...)...); err == nil {
			if at := strings.Index(diff, "\n@@"); at >= 0 {
				p := strings.TrimSuffix(diff[at+1:], "\n")
				f.Patch = &p
			}
		}
		stats.Additions += n.add
		stats.Deletions += n.del
		files = append(files, f)
	}
	stats.Total = stats.Additions + stats.Deletions
	sort.SliceStable(files, func(i, j int) bool { return files[i].Filename < files[j].Filename })
	return files, stats, nil
}

// getRepoCommit is GET repos/{o}/{r}/commits/{ref}: a SHA (or a branch or
// tag) with its stats and files.
func (s *Server) getRepoCommit(c *call) {
	ref := c.r.PathValue("ref")
	sha, ok := c.repo.git.resolve(ref, "commit")
	if !ok || strings.HasPrefix(ref, "-") {
		c.fail(http.StatusUnprocessableEntity, "No commit found for SHA: "+ref)
		return
	}
	ci, err := c.repo.git.commit(sha)
	if err != nil {
		c.failErr(err)
		return
	}
	files, stats, err := s.commitFiles(c.repo, ci)
	if err != nil {
		c.failErr(err)
		return
	}
	j := s.repoCommitJSON(c.repo, ci)
	j.Stats, j.Files = &stats, files
	if j.Files == nil {
		j.Files = []jsonCommitFile{}
	}
	c.json(http.StatusOK, j)
}

// pullCommits is GET pulls/{n}/commits: the head's commits not on the
// base branch, oldest first, at most 250, paginated (30 a page by default).
// For a merged pull request, the base is taken as it was before the merge.
func (s *Server) pullCommits(c *call) {
	p := s.pathPull(c)
	if p == nil {
		return
	}
	base, _ := c.repo.git.refSHA("refs/heads/" + p.BaseRef)
	if p.Merged && p.MergeCommitSHA != "" && p.MergeCommitSHA != p.HeadSHA {
		if mc, err := c.repo.git.commit(p.MergeCommitSHA); err == nil && len(mc.Parents) > 0 {
			base = mc.Parents[0]
		}
	}
	args := []string{"rev-list", "--reverse", "--topo-order", p.HeadSHA}
	if base != "" {
		args = append(args, "^"+base)
	}
	out, err := c.repo.git.out(args...)
	if err != nil {
		c.failErr(err)
		return
	}
	var shas []string
	for _, sha := range strings.Fields(out) {
		if len(shas) == maxPullCommits {
			break
		}
		shas = append(shas, sha)
	}
	page, links := paginate(c, len(shas))
	setLink(c, links)
	list := []jsonRepoCommit{}
	for _, sha := range shas[page[0]:page[1]] {
		ci, err := c.repo.git.commit(sha)
		if err != nil {
			c.failErr(err)
			return
		}
		list = append(list, s.repoCommitJSON(c.repo, ci))
	}
	c.json(http.StatusOK, list)
}

// CommitAs is Commit by a given account: the commit's author and committer
// carry login's name and email (its Email, else its noreply address), so
// the commits API links the commit to that account, as GitHub does for a
// push by that person.
func (s *Server) CommitAs(branch, login, message string, files map[string]*string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[strings.ToLower(login)]
	if u == nil {
		return "", fmt.Errorf("githubtest: no user %s", login)
	}
	email := u.Email
	if email == "" {
		email = fmt.Sprintf("%d+%s@users.noreply.github.com", u.ID, u.Login)
	}
	name := u.Name
	if name == "" {
		name = u.Login
	}
	return s.commitLocked(s.upstream, branch, message, files, ident{Name: name, Email: email, When: s.now()})
}
