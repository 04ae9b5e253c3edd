// Package githubtest is a fake of the GitHub REST API, backed by a real bare
// git repository, for testing the code that publishes markbot's pull requests.
//
// Its single concern is to behave like api.github.com for the endpoints a
// branch + commit + pull request pipeline calls through go-github: the Git
// Data API (refs, trees, commits, contents) reads and writes a bare repository
// through the git command, so a test can clone it and compare files; pull
// requests, labels, comments, review requests, merges and issue search keep
// their state in memory with GitHub's validation rules (422 on a duplicate
// pull request or reference, on review requests to non-collaborators, ...).
// App authentication (JWT → installation token), rate-limit headers, fault
// injection and a log of every mutation complete it. See the README section in
// docs/components-github-state-nixpkgs.md for the supported subset.
package githubtest

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

// User is an account known to the fake.
type User struct {
	Login string
	ID    int64
	Name  string
	// Type is "User" (default), "Bot" or "Organization".
	Type string
	// Collaborator users may be requested as reviewers.
	Collaborator bool
	// Email, if set, links commits with this author or committer email to
	// the user (as do login@users.noreply.github.com and
	// id+login@users.noreply.github.com).
	Email string
}

// Team is an organisation team; team reviewers must be teams of the
// repository's owner with access to it (pulls.go).
type Team struct {
	Org, Slug, Name string
	ID              int64
	Members         []string
	// NoAccess is a team without any permission on the repository, granted
	// or inherited from a parent team: GitHub refuses its review requests.
	NoAccess bool
}

// App enables GitHub App authentication: installation tokens are issued for
// JWTs signed with the private key matching PublicKey, and every other
// endpoint then requires such a token (or one of PersonalTokens). A token
// reaches only its installation's repositories (see auth.go).
type App struct {
	ID int64
	// InstallationID is the App's installation on Options.Owner's account,
	// reaching all its repositories, used when Installations is empty.
	InstallationID int64
	// Installations, if set, are the App's installations (each on one
	// account); InstallationID is then ignored.
	Installations []Installation
	// PersonalTokens are accepted as a user's personal access tokens: they
	// reach every repository (a user with push access to the fork and
	// triage rights upstream, the way the update bot works).
	PersonalTokens []string
	PublicKey      *rsa.PublicKey
	// TokenTTL is the lifetime of issued tokens (default 1h).
	TokenTTL time.Duration
}

// Options configure a fake.
type Options struct {
	// Owner and Repo name the repository (default NixOS/nixpkgs).
	Owner, Repo string
	// DefaultBranch is the seeded branch (default "master").
	DefaultBranch string
	// SeedDir is copied (.git excluded) into the first commit of DefaultBranch.
	SeedDir string
	// SeedFiles are added to the first commit (path → content), after SeedDir.
	SeedFiles map[string]string
	// Prefix is the API mount path (default "/api/v3/"); requests outside it
	// get 404, so code that builds absolute URLs fails.
	Prefix string
	// Users and Teams resolve logins and ids and define collaborators.
	Users []User
	Teams []Team
	// Forks are the forks of the repository, "OWNER" (named as the
	// upstream) or "OWNER/NAME" (a fork renamed, as GitHub allows); each
	// fork is its own bare repository sharing the upstream objects.
	Forks []string
	// BotLogin and BotID are the identity of API writes (default
	// "markbot[bot]", 9000001): pull request and comment author.
	BotLogin string
	BotID    int64
	// App, if set, turns on authentication.
	App *App
	// Now replaces the clock (default time.Now).
	Now func() time.Time
	// InlineLimit is the largest file the contents API returns inline in
	// its JSON (default 1 MiB, GitHub's "1 MB"); FileLimit the largest the
	// contents and blobs APIs return at all (default 100 MiB, GitHub's
	// "100 MB"). See contents.go; tests shrink them.
	InlineLimit, FileLimit int64
}

// Server is a running fake GitHub.
type Server struct {
	opts   Options
	srv    *httptest.Server
	mux    *http.ServeMux
	prefix string
	tmp    string
	now    func() time.Time

	closeOnce sync.Once

	mu       sync.Mutex // guards everything below and serialises git writes
	repos    map[string]*repo
	users    map[string]*User // by lower-case login
	usersID  map[int64]*User
	teams    map[string]*Team // by lower-case "org/slug"
	tokens   map[string]grant
	nextID   int64
	bot      *User
	upstream *repo

	stats stats
	rate  rateState
	etags etagState
	flt   faults
}

// repo is one hosted repository.
type repo struct {
	owner, name string
	git         *gitRepo
	parent      *repo
	id          int64
	pulls       []*PullRequest // index = number-1
	labels      map[string]*label
	comments    map[int64]*Comment
}

type label struct {
	ID    int64
	Name  string
	Color string
}

func (r *repo) fullName() string { return r.owner + "/" + r.name }

// RequireGit skips the test when git is absent, or fails it when the
// environment sets MARKBOT_REQUIRE_TOOLS=1.
func RequireGit(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		if os.Getenv("MARKBOT_REQUIRE_TOOLS") == "1" {
			t.Fatalf("git is required (MARKBOT_REQUIRE_TOOLS=1): %v", err)
		}
		t.Skipf("skipping: git not found in PATH (%v); set MARKBOT_REQUIRE_TOOLS=1 to make this a failure", err)
	}
}

// New starts a fake for a test and closes it when the test ends. It skips the
// test when git is missing (see RequireGit).
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	RequireGit(t)
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("githubtest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start starts a fake outside of a test (for the offline demo). Close it.
func Start(opts Options) (*Server, error) {
	if opts.Owner == "" {
		opts.Owner = "NixOS"
	}
	if opts.Repo == "" {
		opts.Repo = "nixpkgs"
	}
	if opts.DefaultBranch == "" {
		opts.DefaultBranch = "master"
	}
	if opts.Prefix == "" {
		opts.Prefix = "/api/v3/"
	}
	if !strings.HasPrefix(opts.Prefix, "/") || !strings.HasSuffix(opts.Prefix, "/") {
		return nil, fmt.Errorf("githubtest: prefix %q must start and end with /", opts.Prefix)
	}
	if opts.BotLogin == "" {
		opts.BotLogin = "markbot[bot]"
	}
	if opts.BotID == 0 {
		opts.BotID = 9000001
	}
	if opts.InlineLimit <= 0 {
		opts.InlineLimit = DefaultInlineLimit
	}
	if opts.FileLimit <= 0 {
		opts.FileLimit = DefaultFileLimit
	}
	if opts.App != nil && opts.App.TokenTTL == 0 {
		opts.App.TokenTTL = time.Hour
	}
	if opts.App != nil && opts.App.PublicKey == nil {
		return nil, errors.New("githubtest: App.PublicKey is required")
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	tmp, err := os.MkdirTemp("", "githubtest-*")
	if err != nil {
		return nil, fmt.Errorf("githubtest: %w", err)
	}
	s := &Server{
		opts:    opts,
		prefix:  opts.Prefix,
		tmp:     tmp,
		now:     now,
		repos:   map[string]*repo{},
		users:   map[string]*User{},
		usersID: map[int64]*User{},
		teams:   map[string]*Team{},
		tokens:  map[string]grant{},
		nextID:  1000,
	}
	s.stats.perEndpoint = map[string]int{}
	s.rate.init(now())
	if err := s.setup(); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("githubtest: %w", err)
	}
	if err := s.setupApp(); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("githubtest: App: %w", err)
	}
	s.mux = http.NewServeMux()
	s.routes()
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	return s, nil
}

func (s *Server) setup() error {
	for i := range s.opts.Users {
		u := s.opts.Users[i]
		if u.Type == "" {
			u.Type = "User"
		}
		if u.ID == 0 {
			u.ID = stableID(u.Login)
		}
		s.addUser(&u)
	}
	s.bot = &User{Login: s.opts.BotLogin, ID: s.opts.BotID, Type: "Bot"}
	s.addUser(s.bot)
	for i := range s.opts.Teams {
		t := s.opts.Teams[i]
		if t.ID == 0 {
			t.ID = stableID(t.Org + "/" + t.Slug)
		}
		if t.Name == "" {
			t.Name = t.Slug
		}
		s.teams[strings.ToLower(t.Org+"/"+t.Slug)] = &t
	}

	home := filepath.Join(s.tmp, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	g, err := initBare(filepath.Join(s.tmp, s.opts.Owner, s.opts.Repo+".git"), home, s.opts.DefaultBranch)
	if err != nil {
		return err
	}
	up := s.newRepo(s.opts.Owner, s.opts.Repo, g, nil)
	s.upstream = up
	if err := s.seed(up); err != nil {
		return fmt.Errorf("seeding %s: %w", up.fullName(), err)
	}
	for _, fork := range s.opts.Forks {
		owner, name, ok := strings.Cut(fork, "/")
		if !ok {
			name = s.opts.Repo
		}
		dir := filepath.Join(s.tmp, owner, name+".git")
		if _, err := g.run(nil, nil, "clone", "--quiet", "--bare", "--shared", g.dir, dir); err != nil {
			return fmt.Errorf("forking to %s: %w", fork, err)
		}
		s.newRepo(owner, name, &gitRepo{dir: dir, home: home}, up)
	}
	return nil
}

func (s *Server) addUser(u *User) {
	s.users[strings.ToLower(u.Login)] = u
	s.usersID[u.ID] = u
}

func (s *Server) newRepo(owner, name string, g *gitRepo, parent *repo) *repo {
	r := &repo{owner: owner, name: name, git: g, parent: parent, id: stableID(owner + "/" + name),
		labels: map[string]*label{}, comments: map[int64]*Comment{}}
	s.repos[strings.ToLower(r.fullName())] = r
	return r
}

func (s *Server) seed(r *repo) error {
	seedDir := s.opts.SeedDir
	if seedDir == "" && len(s.opts.SeedFiles) == 0 {
		s.opts.SeedFiles = map[string]string{"README.md": "# " + s.opts.Repo + "\n"}
	}
	dir := filepath.Join(s.tmp, "seed")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if seedDir != "" {
		if err := os.CopyFS(dir, os.DirFS(seedDir)); err != nil {
			return fmt.Errorf("copying %s: %w", seedDir, err)
		}
		os.RemoveAll(filepath.Join(dir, ".git"))
	}
	for p, content := range s.opts.SeedFiles {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			return err
		}
	}
	defer os.RemoveAll(dir)
	tree, err := r.git.writeTreeFromDir(dir)
	if err != nil {
		return err
	}
	when := s.now()
	id := ident{Name: "nixpkgs seed", Email: "seed@example.invalid", When: when}
	sha, err := r.git.commitTree(tree, nil, "Initial commit\n", id, id)
	if err != nil {
		return err
	}
	return r.git.updateRef("refs/heads/"+s.opts.DefaultBranch, sha, "")
}

// Close stops the server and removes the repositories. It is idempotent.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		if s.srv != nil {
			s.srv.CloseClientConnections()
			s.srv.Close()
		}
		os.RemoveAll(s.tmp)
	})
}

// URL is the API base URL, ending in "/" (for github.Client.BaseURL and
// ghinstallation's Transport.BaseURL).
func (s *Server) URL() string { return s.srv.URL + s.prefix }

// Owner and Repo name the upstream repository.
func (s *Server) Owner() string { return s.opts.Owner }

// Repo is the upstream repository's name.
func (s *Server) Repo() string { return s.opts.Repo }

// RepoPath is the path of the upstream bare repository (git clone it).
func (s *Server) RepoPath() string { return s.upstream.git.dir }

// ForkPath is the bare repository of owner's fork.
func (s *Server) ForkPath(owner string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.forkOf(s.upstream, owner)
	if r == nil {
		return "", false
	}
	return r.git.dir, true
}

// Client returns a go-github client for the fake. With App auth enabled it
// carries a freshly issued token of the first installation (see IssueToken).
func (s *Server) Client() *github.Client {
	tok := ""
	if s.opts.App != nil {
		tok = s.IssueToken()
	}
	return s.clientWithToken(tok)
}

func (s *Server) clientWithToken(tok string) *github.Client {
	c := github.NewClient(s.srv.Client())
	if tok != "" {
		c = c.WithAuthToken(tok)
	}
	c, err := c.WithEnterpriseURLs(s.URL(), s.URL())
	if err != nil {
		panic(err) // URL() is always a valid URL
	}
	return c
}

// ExpireTokens invalidates every issued installation token (not the
// personal tokens).
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for tok, g := range s.tokens {
		if g.inst != nil {
			delete(s.tokens, tok) // personal tokens stay
		}
	}
}

// Ref returns the SHA a branch of the upstream repository points to.
func (s *Server) Ref(branch string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.upstream.git.refSHA("refs/heads/" + branch)
}

// Branches lists the upstream repository's branches, sorted.
func (s *Server) Branches() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	refs, _ := s.upstream.git.listRefs("refs/heads/")
	var out []string
	for _, r := range refs {
		out = append(out, strings.TrimPrefix(r[0], "refs/heads/"))
	}
	sort.Strings(out)
	return out
}

// File reads path at rev (a branch, tag or SHA) in the upstream repository.
func (s *Server) File(rev, path string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sha, ok := s.upstream.git.resolve(rev+":"+path, "blob")
	if !ok {
		return nil, fmt.Errorf("githubtest: no file %s at %s", path, rev)
	}
	return s.upstream.git.blob(sha)
}

// Commit writes files (path → content; nil content deletes) as one commit on
// top of branch in the upstream repository and moves the branch, as a human
// pushing would (open pull requests see it). It returns the new commit's SHA.
func (s *Server) Commit(branch, message string, files map[string]*string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commitLocked(s.upstream, branch, message, files, ident{Name: "A Human", Email: "human@example.invalid", When: s.now()})
}

// commitLocked writes files as one commit by id on top of branch in r and
// moves the branch (s.mu held).
func (s *Server) commitLocked(r *repo, branch, message string, files map[string]*string, id ident) (string, error) {
	ref := "refs/heads/" + branch
	parent, ok := r.git.refSHA(ref)
	if !ok {
		return "", fmt.Errorf("githubtest: no branch %s", branch)
	}
	var entries []treeInput
	for p, c := range files {
		entries = append(entries, treeInput{Path: p, Mode: "100644", Type: "blob", Content: c, deleteIfNil: true})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Path < entries[j].Path })
	tree, err := s.buildTree(r, parent, entries)
	if err != nil {
		return "", err
	}
	sha, err := r.git.commitTree(tree, []string{parent}, message, id, id)
	if err != nil {
		return "", err
	}
	if err := r.git.updateRef(ref, sha, parent); err != nil {
		return "", err
	}
	s.refChanged(r, ref)
	return sha, nil
}

// --- request plumbing ---

// call is one request being served.
type call struct {
	s        *Server
	w        http.ResponseWriter
	r        *http.Request
	endpoint string
	repo     *repo
	summary  string
}

func (c *call) json(status int, v any) { writeJSON(c.w, status, v) }

func (c *call) fail(status int, message string, items ...jsonErrorItem) {
	doc := "https://docs.github.com/rest"
	c.json(status, jsonError{Message: message, Errors: items, DocumentationURL: doc, Status: fmt.Sprint(status)})
}

func (c *call) notFound() { c.fail(http.StatusNotFound, "Not Found") }

func (c *call) invalid(item jsonErrorItem) {
	c.fail(http.StatusUnprocessableEntity, "Validation Failed", item)
}

// decode reads a JSON body into v, answering 400 on malformed JSON.
func (c *call) decode(v any) bool {
	dec := json.NewDecoder(c.r.Body)
	if err := dec.Decode(v); err != nil {
		c.fail(http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	return true
}

// url builds an API URL for a path relative to the prefix.
func (s *Server) apiURL(format string, args ...any) string {
	return s.srv.URL + s.prefix + fmt.Sprintf(format, args...)
}

// htmlURL builds a web URL.
func (s *Server) htmlURL(format string, args ...any) string {
	return s.srv.URL + "/" + fmt.Sprintf(format, args...)
}

type handler func(c *call)

// handle registers pattern ("POST /repos/{owner}/{repo}/pulls") under the
// prefix. Repository patterns resolve {owner}/{repo} before h runs.
func (s *Server) handle(pattern string, h handler) {
	method, path, _ := strings.Cut(pattern, " ")
	full := method + " " + strings.TrimSuffix(s.prefix, "/") + path
	endpoint := pattern
	s.mux.HandleFunc(full, func(w http.ResponseWriter, r *http.Request) {
		c := &call{s: s, w: w, r: r, endpoint: endpoint}
		if strings.HasPrefix(path, "/repos/{owner}/{repo}") {
			rp := s.repos[strings.ToLower(r.PathValue("owner")+"/"+r.PathValue("repo"))]
			if rp == nil {
				c.notFound()
				return
			}
			c.repo = rp
		}
		h(c)
		if ss, ok := w.(interface{ setSummary(string) }); ok && c.summary != "" {
			ss.setSummary(c.summary)
		}
	})
}

// bufferWriter captures an answer: recorded, then sent, replaced by a
// fault, or cut short.
type bufferWriter struct {
	header  http.Header
	status  int
	body    bytes.Buffer
	summary string
}

func (b *bufferWriter) setSummary(s string) { b.summary = s }

func (b *bufferWriter) Header() http.Header { return b.header }
func (b *bufferWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *bufferWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	_, pattern := s.mux.Handler(r)
	endpoint := r.Method + " " + strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(s.prefix, "/"))
	if pattern != "" {
		_, p, _ := strings.Cut(pattern, " ")
		endpoint = r.Method + " " + strings.TrimPrefix(p, strings.TrimSuffix(s.prefix, "/"))
	}
	rel := strings.TrimPrefix(r.URL.Path, s.prefix)
	s.stats.count(endpoint)
	resource := "core"
	if strings.HasPrefix(rel, "search/") {
		resource = "search"
	}

	f := s.flt.take(r.Method, rel)
	if f != nil && f.OnHit != nil {
		f.OnHit()
	}
	note := ""
	if f != nil && f.Kind == Slow {
		// Read the body first so that the server notices a client that
		// hangs up (and cancels r's context) while we wait.
		if body, err := io.ReadAll(r.Body); err == nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		delay := f.Delay
		if delay <= 0 {
			delay = time.Second
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
			note = fmt.Sprintf(" (delayed %v by injected %s)", delay, f.Kind)
		case <-r.Context().Done():
			t.Stop()
			note = fmt.Sprintf(" (delayed by injected %s until the client gave up)", f.Kind)
		}
		f = nil
	}
	if f != nil && !f.After && f.Kind != Truncate {
		status := s.applyFault(w, f, resource)
		s.stats.record(Call{Method: r.Method, Path: r.URL.Path, Endpoint: endpoint, Status: status,
			Summary: "injected " + f.Kind.String() + " (not performed)", Time: s.now()}, isWrite(r.Method))
		return
	}

	// Every answer is buffered: a GET for its ETag (etag.go), a faulted one
	// to be replaced, and each so that the call is recorded before the
	// client can see its answer (a test reading Mutations right after a
	// request then finds it).
	buf := &bufferWriter{header: http.Header{}}
	var out http.ResponseWriter = buf
	if !conditional(r) {
		s.charge(out.Header(), resource)
	}

	switch {
	case pattern == "" || !strings.HasPrefix(r.URL.Path, s.prefix):
		writeJSON(out, http.StatusNotFound, jsonError{Message: "Not Found", DocumentationURL: "https://docs.github.com/rest", Status: "404"})
	case !s.authorized(out, r, rel):
	default:
		s.mu.Lock()
		func() {
			defer s.mu.Unlock()
			s.mux.ServeHTTP(out, r)
		}()
	}

	if conditional(r) && (f == nil || f.Kind == Truncate) {
		s.answerConditional(buf, r, resource) // ETag, 304, rate-limit points
	}
	record := func(status int, summary string) {
		s.stats.record(Call{Method: r.Method, Path: r.URL.Path, Endpoint: endpoint, Status: status, Summary: summary, Time: s.now()}, isWrite(r.Method))
	}
	status := buf.status
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case f == nil:
		record(status, buf.summary+note)
		buf.flush(w)
	case f.Kind == Truncate:
		record(status, buf.summary+fmt.Sprintf(" (performed with status %d, answered with injected %s)", buf.status, f.Kind))
		truncate(w, buf)
	default:
		// The fault decides the status the client gets: recorded after.
		summary := buf.summary + fmt.Sprintf(" (performed with status %d, answered with injected %s)", buf.status, f.Kind)
		record(s.applyFault(w, f, resource), summary)
	}
}

// truncate sends buf's status line, its headers with the Content-Length of
// the whole body and the first half of the body, then closes the connection.
// A body-less answer is cut after the status line. It returns the status sent.
func truncate(w http.ResponseWriter, buf *bufferWriter) int {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	status := buf.status
	if status == 0 {
		status = http.StatusOK
	}
	fmt.Fprintf(rw, "HTTP/1.1 %03d %s\r\n", status, http.StatusText(status))
	body := buf.body.Bytes()
	if len(body) > 0 {
		h := buf.header.Clone()
		h.Del("Transfer-Encoding")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		h.Set("Connection", "close")
		h.Write(rw)
		rw.WriteString("\r\n")
		rw.Write(body[:len(body)/2])
	}
	rw.Flush()
	return status
}

func isWrite(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}
