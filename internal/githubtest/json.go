package githubtest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"time"
)

// JSON shapes of GitHub's REST API (the subset of fields the fake fills).

type jsonUser struct {
	Login     string  `json:"login"`
	ID        int64   `json:"id"`
	NodeID    string  `json:"node_id"`
	AvatarURL string  `json:"avatar_url"`
	URL       string  `json:"url"`
	HTMLURL   string  `json:"html_url"`
	Type      string  `json:"type"`
	SiteAdmin bool    `json:"site_admin"`
	Name      *string `json:"name,omitempty"`
}

type jsonObject struct {
	Type string `json:"type"`
	SHA  string `json:"sha"`
	URL  string `json:"url"`
}

type jsonRef struct {
	Ref    string     `json:"ref"`
	NodeID string     `json:"node_id"`
	URL    string     `json:"url"`
	Object jsonObject `json:"object"`
}

type jsonIdent struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Date  string `json:"date"`
}

type jsonSHAURL struct {
	SHA     string `json:"sha"`
	URL     string `json:"url"`
	HTMLURL string `json:"html_url,omitempty"`
}

type jsonVerification struct {
	Verified  bool    `json:"verified"`
	Reason    string  `json:"reason"`
	Signature *string `json:"signature"`
	Payload   *string `json:"payload"`
}

type jsonCommit struct {
	SHA          string           `json:"sha"`
	NodeID       string           `json:"node_id"`
	URL          string           `json:"url"`
	HTMLURL      string           `json:"html_url"`
	Author       jsonIdent        `json:"author"`
	Committer    jsonIdent        `json:"committer"`
	Message      string           `json:"message"`
	Tree         jsonSHAURL       `json:"tree"`
	Parents      []jsonSHAURL     `json:"parents"`
	Verification jsonVerification `json:"verification"`
}

type jsonTreeEntry struct {
	Path string `json:"path"`
	Mode string `json:"mode"`
	Type string `json:"type"`
	SHA  string `json:"sha"`
	Size *int64 `json:"size,omitempty"`
	URL  string `json:"url"`
}

type jsonTree struct {
	SHA       string          `json:"sha"`
	URL       string          `json:"url"`
	Tree      []jsonTreeEntry `json:"tree"`
	Truncated bool            `json:"truncated"`
}

type jsonLinks struct {
	Self string `json:"self"`
	Git  string `json:"git"`
	HTML string `json:"html"`
}

type jsonContent struct {
	Type        string    `json:"type"`
	Encoding    string    `json:"encoding,omitempty"`
	Size        int64     `json:"size"`
	Name        string    `json:"name"`
	Path        string    `json:"path"`
	Content     *string   `json:"content,omitempty"`
	SHA         string    `json:"sha"`
	URL         string    `json:"url"`
	GitURL      string    `json:"git_url"`
	HTMLURL     string    `json:"html_url"`
	DownloadURL *string   `json:"download_url"`
	Links       jsonLinks `json:"_links"`
}

type jsonLabel struct {
	ID          int64   `json:"id"`
	NodeID      string  `json:"node_id"`
	URL         string  `json:"url"`
	Name        string  `json:"name"`
	Color       string  `json:"color"`
	Default     bool    `json:"default"`
	Description *string `json:"description"`
}

type jsonRepo struct {
	ID            int64    `json:"id"`
	NodeID        string   `json:"node_id"`
	Name          string   `json:"name"`
	FullName      string   `json:"full_name"`
	Owner         jsonUser `json:"owner"`
	Private       bool     `json:"private"`
	HTMLURL       string   `json:"html_url"`
	URL           string   `json:"url"`
	Fork          bool     `json:"fork"`
	DefaultBranch string   `json:"default_branch"`
	// PushedAt is when a branch last moved. GitHub embeds the full
	// repository in each pull request's head and base, so every answer
	// about an open nixpkgs PR changes (and is paid for again) whenever
	// master moves, every few minutes ("Get a pull request" response
	// schema: base.repo.pushed_at).
	PushedAt *string `json:"pushed_at"`
}

type jsonBranch struct {
	Label string   `json:"label"`
	Ref   string   `json:"ref"`
	SHA   string   `json:"sha"`
	User  jsonUser `json:"user"`
	Repo  jsonRepo `json:"repo"`
}

type jsonTeam struct {
	ID          int64  `json:"id"`
	NodeID      string `json:"node_id"`
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	Description string `json:"description"`
	Privacy     string `json:"privacy"`
	Permission  string `json:"permission"`
	URL         string `json:"url"`
	HTMLURL     string `json:"html_url"`
	MembersURL  string `json:"members_url"`
}

type jsonPull struct {
	ID                  int64       `json:"id"`
	NodeID              string      `json:"node_id"`
	URL                 string      `json:"url"`
	HTMLURL             string      `json:"html_url"`
	DiffURL             string      `json:"diff_url"`
	PatchURL            string      `json:"patch_url"`
	IssueURL            string      `json:"issue_url"`
	Number              int         `json:"number"`
	State               string      `json:"state"`
	Locked              bool        `json:"locked"`
	Title               string      `json:"title"`
	User                jsonUser    `json:"user"`
	Body                *string     `json:"body"`
	Labels              []jsonLabel `json:"labels"`
	CreatedAt           string      `json:"created_at"`
	UpdatedAt           string      `json:"updated_at"`
	ClosedAt            *string     `json:"closed_at"`
	MergedAt            *string     `json:"merged_at"`
	MergeCommitSHA      *string     `json:"merge_commit_sha"`
	RequestedReviewers  []jsonUser  `json:"requested_reviewers"`
	RequestedTeams      []jsonTeam  `json:"requested_teams"`
	Head                jsonBranch  `json:"head"`
	Base                jsonBranch  `json:"base"`
	AuthorAssociation   string      `json:"author_association"`
	Draft               bool        `json:"draft"`
	Merged              bool        `json:"merged"`
	Mergeable           *bool       `json:"mergeable"`
	MergedBy            *jsonUser   `json:"merged_by"`
	Comments            int         `json:"comments"`
	MaintainerCanModify bool        `json:"maintainer_can_modify"`
}

type jsonIssuePR struct {
	URL      string  `json:"url"`
	HTMLURL  string  `json:"html_url"`
	DiffURL  string  `json:"diff_url"`
	PatchURL string  `json:"patch_url"`
	MergedAt *string `json:"merged_at"`
}

type jsonIssue struct {
	ID                int64        `json:"id"`
	NodeID            string       `json:"node_id"`
	URL               string       `json:"url"`
	RepositoryURL     string       `json:"repository_url"`
	HTMLURL           string       `json:"html_url"`
	Number            int          `json:"number"`
	State             string       `json:"state"`
	StateReason       *string      `json:"state_reason"`
	Title             string       `json:"title"`
	Body              *string      `json:"body"`
	User              jsonUser     `json:"user"`
	Labels            []jsonLabel  `json:"labels"`
	Assignees         []jsonUser   `json:"assignees"`
	Locked            bool         `json:"locked"`
	Comments          int          `json:"comments"`
	PullRequest       *jsonIssuePR `json:"pull_request,omitempty"`
	ClosedAt          *string      `json:"closed_at"`
	CreatedAt         string       `json:"created_at"`
	UpdatedAt         string       `json:"updated_at"`
	Draft             bool         `json:"draft"`
	AuthorAssociation string       `json:"author_association"`
	Score             *float64     `json:"score,omitempty"`
}

type jsonComment struct {
	ID                int64    `json:"id"`
	NodeID            string   `json:"node_id"`
	URL               string   `json:"url"`
	HTMLURL           string   `json:"html_url"`
	IssueURL          string   `json:"issue_url"`
	Body              string   `json:"body"`
	User              jsonUser `json:"user"`
	CreatedAt         string   `json:"created_at"`
	UpdatedAt         string   `json:"updated_at"`
	AuthorAssociation string   `json:"author_association"`
}

// jsonError is GitHub's error body.
type jsonError struct {
	Message          string          `json:"message"`
	Errors           []jsonErrorItem `json:"errors,omitempty"`
	DocumentationURL string          `json:"documentation_url,omitempty"`
	Status           string          `json:"status,omitempty"`
}

type jsonErrorItem struct {
	Resource string `json:"resource,omitempty"`
	Field    string `json:"field,omitempty"`
	Code     string `json:"code"`
	Message  string `json:"message,omitempty"`
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func tsPtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := ts(t)
	return &s
}

func strPtr(s string) *string { return &s }

// nodeID derives a stable opaque node id.
func nodeID(kind string, id any) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s:%v", kind, id)
	return fmt.Sprintf("%s_%x", kind, h.Sum64())
}

// stableID derives a stable positive numeric id from a string.
func stableID(s string) int64 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return int64(h.Sum32()%90000000) + 10000000
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
