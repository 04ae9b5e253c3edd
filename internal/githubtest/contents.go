package githubtest

// The file-reading endpoints: the contents API (GET contents/{path}) and the
// Git blobs API (GET git/blobs/{sha}), with GitHub's size limits and media
// types, as its REST documentation describes them:
//
//   - "Get repository content"
//     (https://docs.github.com/rest/repos/contents#get-repository-content),
//     "Size limits": a file of 1 MB or less has every feature; between 1 and
//     100 MB only the raw and object media types work, and the JSON answer
//     has "encoding": "none" and an empty "content"; over 100 MB "this
//     endpoint is not supported". Media types: application/vnd.github.raw+json
//     "returns the raw file contents for files and symlinks"; directories
//     are listed as JSON whatever is asked.
//   - "Get a blob" (https://docs.github.com/rest/git/blobs#get-a-blob): base64
//     JSON by default, the raw bytes with application/vnd.github.raw+json,
//     "blobs up to 100 megabytes in size". Its status codes include 403.
//
// The refusal of a too large file is modelled on the answer GitHub gave for
// the old 1 MB limit, as users quoted it (403, "errors": [{"resource":
// "Blob", "field": "data", "code": "too_large"}]); the documentation does not
// print the answer for 100 MB, so the status and code are the model's
// assumption, and markbot keys on them, not on the message.

import (
	"encoding/base64"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// GitHub's limits (Options.InlineLimit, Options.FileLimit). "1 MB" and
// "100 MB" are taken as MiB: whether GitHub counts 10^6 or 2^20 bytes only
// the real service can say.
const (
	DefaultInlineLimit = 1 << 20
	DefaultFileLimit   = 100 << 20
)

// tooLargeMessage is the fake's message for a file over FileLimit.
const tooLargeMessage = "This API returns blobs up to 100 MB in size. The requested blob is too large to fetch via the API."

func (c *call) tooLarge() {
	c.fail(http.StatusForbidden, tooLargeMessage, jsonErrorItem{Resource: "Blob", Field: "data", Code: "too_large"})
}

// wantsRaw says whether the request's Accept header asks for the raw media
// type: application/vnd.github.raw (+json), with or without the v3 version,
// as GitHub's "Media types" page and go-github's GetBlobRaw spell it.
func wantsRaw(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "application/vnd.github.raw", "application/vnd.github.raw+json",
			"application/vnd.github.v3.raw", "application/vnd.github.v3.raw+json":
			return true
		}
	}
	return false
}

// writeRaw answers with a file's bytes.
func (c *call) writeRaw(data []byte) {
	c.w.Header().Set("Content-Type", "application/vnd.github.raw")
	c.w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	c.w.WriteHeader(http.StatusOK)
	c.w.Write(data)
}

func (s *Server) getContents(c *call) {
	p := strings.Trim(c.r.PathValue("path"), "/")
	ref := c.r.URL.Query().Get("ref")
	if ref == "" {
		ref = s.opts.DefaultBranch
	}
	commit, ok := c.repo.git.resolve(ref, "commit")
	if !ok {
		c.fail(http.StatusNotFound, "No commit found for the ref "+ref)
		return
	}
	if p == "" {
		s.writeDir(c, commit, "", ref)
		return
	}
	if !validTreePath(p) {
		c.notFound()
		return
	}
	entries, err := c.repo.git.lsTree(commit, false, p)
	if err != nil {
		c.failErr(err)
		return
	}
	var e *treeEntry
	for i := range entries {
		if entries[i].Path == p {
			e = &entries[i]
		}
	}
	switch {
	case e == nil:
		c.notFound()
	case e.Type == "tree":
		s.writeDir(c, commit, p, ref)
	case e.Type == "blob":
		c.summary = "contents " + p + " (" + strconv.FormatInt(e.Size, 10) + " bytes)"
		if e.Size > s.opts.FileLimit {
			c.tooLarge()
			return
		}
		raw := wantsRaw(c.r)
		out := s.contentJSON(c.repo, *e, ref)
		out.Type = "file"
		if e.Mode == "120000" {
			out.Type = "symlink"
		}
		if !raw && e.Size > s.opts.InlineLimit {
			out.Encoding, out.Content = "none", strPtr("")
			c.json(http.StatusOK, out)
			return
		}
		data, err := c.repo.git.blob(e.SHA)
		if err != nil {
			c.failErr(err)
			return
		}
		if raw {
			c.summary += ", raw"
			c.writeRaw(data)
			return
		}
		out.Encoding = "base64"
		enc := wrap76(base64.StdEncoding.EncodeToString(data))
		out.Content = &enc
		c.json(http.StatusOK, out)
	default:
		out := s.contentJSON(c.repo, *e, ref)
		out.Type = "submodule"
		c.json(http.StatusOK, out)
	}
}

// jsonBlob is the "Get a blob" answer.
type jsonBlob struct {
	SHA      string `json:"sha"`
	NodeID   string `json:"node_id"`
	Size     int64  `json:"size"`
	URL      string `json:"url"`
	Content  string `json:"content"`
	Encoding string `json:"encoding"`
}

func (s *Server) getBlob(c *call) {
	sha := strings.ToLower(c.r.PathValue("sha"))
	if c.repo.git.objectType(sha) != "blob" {
		c.notFound()
		return
	}
	sz, err := c.repo.git.out("cat-file", "-s", sha)
	if err != nil {
		c.failErr(err)
		return
	}
	size, err := strconv.ParseInt(sz, 10, 64)
	if err != nil {
		c.failErr(err)
		return
	}
	c.summary = "blob " + short(sha) + " (" + sz + " bytes)"
	if size > s.opts.FileLimit {
		c.tooLarge()
		return
	}
	data, err := c.repo.git.blob(sha)
	if err != nil {
		c.failErr(err)
		return
	}
	if wantsRaw(c.r) {
		c.summary += ", raw"
		c.writeRaw(data)
		return
	}
	c.json(http.StatusOK, jsonBlob{SHA: sha, NodeID: nodeID("Blob", sha), Size: size,
		URL:     s.apiURL("repos/%s/git/blobs/%s", c.repo.fullName(), sha),
		Content: wrap76(base64.StdEncoding.EncodeToString(data)), Encoding: "base64"})
}

func (s *Server) contentJSON(r *repo, e treeEntry, ref string) jsonContent {
	self := s.apiURL("repos/%s/contents/%s?ref=%s", r.fullName(), e.Path, ref)
	git := s.apiURL("repos/%s/git/%ss/%s", r.fullName(), e.Type, e.SHA)
	html := s.htmlURL("%s/blob/%s/%s", r.fullName(), ref, e.Path)
	out := jsonContent{Type: "file", Size: e.Size, Name: path.Base(e.Path), Path: e.Path, SHA: e.SHA,
		URL: self, GitURL: git, HTMLURL: html, Links: jsonLinks{Self: self, Git: git, HTML: html}}
	if e.Type == "blob" {
		dl := s.htmlURL("raw/%s/%s/%s", r.fullName(), ref, e.Path)
		out.DownloadURL = &dl
	}
	return out
}

func (s *Server) writeDir(c *call, commit, dir, ref string) {
	spec := commit
	if dir != "" {
		spec = commit + ":" + dir
	}
	entries, err := c.repo.git.lsTree(spec, false)
	if err != nil {
		c.failErr(err)
		return
	}
	out := []jsonContent{}
	for _, e := range entries {
		if dir != "" {
			e.Path = dir + "/" + e.Path
		}
		j := s.contentJSON(c.repo, e, ref)
		switch e.Type {
		case "tree":
			j.Type = "dir"
		case "commit":
			j.Type = "submodule"
		}
		out = append(out, j)
	}
	c.json(http.StatusOK, out)
}

// wrap76 breaks base64 into lines as GitHub's contents API does.
func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 60 {
		b.WriteString(s[:60])
		b.WriteByte('\n')
		s = s[60:]
	}
	b.WriteString(s)
	b.WriteByte('\n')
	return b.String()
}
