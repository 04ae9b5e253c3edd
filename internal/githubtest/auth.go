// App authentication of the fake: the App's JWT (verifyJWT), the
// installations it has (each on one account, reaching all or some of that
// account's repositories), the tokens each installation issues, and what a
// token may do with a repository.
//
// The model, from GitHub's documentation:
//   - "Generating an installation access token for a GitHub App" and the
//     REST reference "Create an installation access token for an app"
//     (POST /app/installations/{id}/access_tokens): a token reaches the
//     repositories its installation was granted, or the subset named by
//     the optional "repositories"/"repository_ids", with the installation's
//     permissions or the subset named by "permissions"; it "cannot be
//     granted access to repositories that the installation was not granted
//     access to" (422 here).
//   - "Authenticating as a GitHub App installation": the token acts on
//     "resources owned by that installation".
//   - A write outside them answers 403 {"message":"Resource not accessible
//     by integration","documentation_url":...,"status":"403"}, with the
//     X-Accepted-GitHub-Permissions header naming what the endpoint needs.
//   - Reads of a public repository outside the installation are answered,
//     as GitHub answers public data to any valid token (every repository of
//     the fake is public, like nixpkgs and its forks). A private one would
//     answer 404 ("Troubleshooting the REST API": GitHub answers 404 rather
//     than 403 so as not to reveal private repositories); the fake has no
//     private repositories.
//   - GET /repos/{owner}/{repo}/installation ("Get a repository
//     installation for the authenticated app", JWT): the installation that
//     reaches the repository, else 404.
package githubtest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
)

var (
	appKeyOnce sync.Once
	appKey     *rsa.PrivateKey
	appKeyPEM  []byte
	appKeyErr  error
)

// AppKey returns a 2048-bit RSA key for a test GitHub App and its PKCS#1 PEM
// encoding (what GitHub hands out and ghinstallation reads). It is generated
// once per process.
func AppKey() (*rsa.PrivateKey, []byte, error) {
	appKeyOnce.Do(func() {
		appKey, appKeyErr = rsa.GenerateKey(rand.Reader, 2048)
		if appKeyErr == nil {
			appKeyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(appKey)})
		}
	})
	return appKey, appKeyPEM, appKeyErr
}

// TestApp returns App options (app id 4242, installation id 77) with the
// process's test key, and that key's PEM for ghinstallation.
func TestApp() (*App, []byte, error) {
	key, pemBytes, err := AppKey()
	if err != nil {
		return nil, nil, err
	}
	return &App{ID: 4242, InstallationID: 77, PublicKey: &key.PublicKey}, pemBytes, nil
}

// Installation is one installation of the App, on one account.
type Installation struct {
	ID int64
	// Account is the login of the user or organisation it is installed on.
	Account string
	// Repositories ("OWNER/REPO", all of Account) are the repositories it
	// was granted; empty: all of Account's (repository_selection "all").
	Repositories []string
	// Permissions granted ("contents": "write", …); nil: DefaultPermissions.
	Permissions map[string]string
}

// DefaultPermissions are what markbot's App asks for (docs/deployment.md).
func DefaultPermissions() map[string]string {
	return map[string]string{"contents": "write", "issues": "write", "pull_requests": "write",
		"metadata": "read", "members": "read"}
}

// grant is what one token may do.
type grant struct {
	exp time.Time
	// inst is nil for a personal token, which reaches every repository.
	inst *Installation
	// repos, when not nil, narrows inst's repositories (lower-case full
	// names), as a token request's "repositories" does.
	repos map[string]bool
	perms map[string]string
}

// setupApp completes the App's installations once the repositories exist.
func (s *Server) setupApp() error {
	if s.opts.App == nil {
		return nil
	}
	// A copy: the caller's App may serve another fake.
	cp := *s.opts.App
	a := &cp
	s.opts.App = a
	a.Installations = slices.Clone(a.Installations)
	if len(a.Installations) == 0 {
		a.Installations = []Installation{{ID: a.InstallationID, Account: s.opts.Owner}}
	}
	seen := map[int64]bool{}
	for i := range a.Installations {
		in := &a.Installations[i]
		if in.ID <= 0 || seen[in.ID] {
			return fmt.Errorf("installation id %d: want a positive id, unique", in.ID)
		}
		seen[in.ID] = true
		if in.Account == "" {
			return fmt.Errorf("installation %d: no account", in.ID)
		}
		if in.Permissions == nil {
			in.Permissions = DefaultPermissions()
		} else {
			in.Permissions = maps.Clone(in.Permissions)
		}
		for _, full := range in.Repositories {
			owner, _, _ := strings.Cut(full, "/")
			if !strings.EqualFold(owner, in.Account) {
				return fmt.Errorf("installation %d on %s cannot reach %s: an installation reaches only its account's repositories", in.ID, in.Account, full)
			}
			if s.repos[strings.ToLower(full)] == nil {
				return fmt.Errorf("installation %d: no repository %s", in.ID, full)
			}
		}
	}
	for _, tok := range a.PersonalTokens {
		s.tokens[tok] = grant{exp: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), perms: DefaultPermissions()}
	}
	return nil
}

func (s *Server) installation(id int64) *Installation {
	if s.opts.App == nil {
		return nil
	}
	for i := range s.opts.App.Installations {
		if s.opts.App.Installations[i].ID == id {
			return &s.opts.App.Installations[i]
		}
	}
	return nil
}

// reaches reports whether the installation was granted repository r.
func (in *Installation) reaches(r *repo) bool {
	if !strings.EqualFold(r.owner, in.Account) {
		return false
	}
	return len(in.Repositories) == 0 || slices.ContainsFunc(in.Repositories, func(full string) bool {
		return strings.EqualFold(full, r.fullName())
	})
}

func (g grant) reaches(r *repo) bool {
	if g.inst == nil {
		return true
	}
	return g.inst.reaches(r) && (g.repos == nil || g.repos[strings.ToLower(r.fullName())])
}

const tokenChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// issueTokenLocked issues a token for installation in, narrowed to repos
// (nil: all it reaches) and perms (nil: all it has).
func (s *Server) issueTokenLocked(in *Installation, repos map[string]bool, perms map[string]string) (string, time.Time) {
	b := make([]byte, 36)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	for i := range b {
		b[i] = tokenChars[int(b[i])%len(tokenChars)]
	}
	tok := "ghs_" + string(b)
	ttl := time.Hour
	if s.opts.App != nil {
		ttl = s.opts.App.TokenTTL
	}
	if perms == nil && in != nil {
		perms = in.Permissions
	}
	exp := s.now().Add(ttl).Truncate(time.Second)
	s.tokens[tok] = grant{exp: exp, inst: in, repos: repos, perms: perms}
	return tok, exp
}

// IssueToken issues a token of the App's first installation directly (as
// if the App had exchanged its JWT), for tests that do not exercise
// ghinstallation. Without App auth it returns a token nothing checks.
func (s *Server) IssueToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var in *Installation
	if s.opts.App != nil {
		in = &s.opts.App.Installations[0]
	}
	tok, _ := s.issueTokenLocked(in, nil, nil)
	return tok
}

// InstallationClient returns a go-github client carrying a fresh token of
// installation id, reaching only its repositories.
func (s *Server) InstallationClient(id int64) (*github.Client, error) {
	s.mu.Lock()
	in := s.installation(id)
	if in == nil {
		s.mu.Unlock()
		return nil, fmt.Errorf("githubtest: no installation %d", id)
	}
	tok, _ := s.issueTokenLocked(in, nil, nil)
	s.mu.Unlock()
	return s.clientWithToken(tok), nil
}

// isJWTPath: the endpoints an App calls as itself, with its JWT.
func isJWTPath(rel string) bool {
	if strings.HasPrefix(rel, "app/") {
		return true
	}
	parts := strings.Split(rel, "/")
	return len(parts) == 4 && parts[0] == "repos" && parts[3] == "installation"
}

// authorized checks the token when App auth is on, and that it may do
// this to the repository the path names; it answers 401, 403 itself
// otherwise.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, rel string) bool {
	if s.opts.App == nil || isJWTPath(rel) {
		return true // the app endpoints check the JWT themselves
	}
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	var g grant
	ok := false
	if strings.EqualFold(scheme, "token") || strings.EqualFold(scheme, "bearer") {
		s.mu.Lock()
		g, ok = s.tokens[tok]
		s.mu.Unlock()
		ok = ok && s.now().Before(g.exp)
	}
	if !ok {
		writeJSON(w, http.StatusUnauthorized, jsonError{Message: "Bad credentials", DocumentationURL: "https://docs.github.com/rest", Status: "401"})
		return false
	}
	if !isWrite(r.Method) {
		return true // public repositories: any valid token reads them
	}
	parts := strings.SplitN(rel, "/", 4)
	if len(parts) < 3 || parts[0] != "repos" {
		return true
	}
	s.mu.Lock()
	rp := s.repos[strings.ToLower(parts[1]+"/"+parts[2])]
	s.mu.Unlock()
	if rp == nil {
		return true // the handler answers 404
	}
	rest := ""
	if len(parts) == 4 {
		rest = parts[3]
	}
	need := permissionFor(rest)
	switch {
	case !g.reaches(rp):
	case need == "" || g.perms[need] == "write":
		return true
	case need == "issues" && g.perms["pull_requests"] == "write":
		return true // labels and comments on a pull request take either
	}
	if need != "" {
		w.Header().Set("X-Accepted-GitHub-Permissions", need+"=write")
	}
	writeJSON(w, http.StatusForbidden, jsonError{Message: "Resource not accessible by integration",
		DocumentationURL: "https://docs.github.com/rest", Status: "403"})
	return false
}

// permissionFor is the permission a write to repos/{o}/{r}/REST needs
// (the "Permissions required for GitHub Apps" table of each endpoint).
func permissionFor(rest string) string {
	switch {
	case strings.HasPrefix(rest, "git/"), strings.HasPrefix(rest, "contents/"), strings.HasSuffix(rest, "/merge"):
		return "contents"
	case strings.HasPrefix(rest, "pulls"):
		return "pull_requests"
	case strings.HasPrefix(rest, "issues"), strings.HasPrefix(rest, "labels"):
		return "issues"
	}
	return ""
}

// verifyJWT checks an app JWT (RS256, iss = app id, valid iat/exp) and
// returns a GitHub-like message when it is not acceptable.
func (s *Server) verifyJWT(authz string) string {
	scheme, tok, _ := strings.Cut(authz, " ")
	if !strings.EqualFold(scheme, "bearer") || tok == "" {
		return "A JSON web token could not be decoded"
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "A JSON web token could not be decoded"
	}
	var header struct {
		Alg string `json:"alg"`
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(hb, &header) != nil {
		return "A JSON web token could not be decoded"
	}
	if header.Alg != "RS256" {
		return "'Algorithm' must be RS256, got " + strconv.Quote(header.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "A JSON web token could not be decoded"
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(s.opts.App.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
		return "'Issuer' claim ('iss') must be an Integer or signature does not verify"
	}
	var claims struct {
		Iss json.RawMessage `json:"iss"`
		Iat *int64          `json:"iat"`
		Exp *int64          `json:"exp"`
	}
	cb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(cb, &claims) != nil {
		return "A JSON web token could not be decoded"
	}
	iss := strings.Trim(string(claims.Iss), `"`)
	if iss != strconv.FormatInt(s.opts.App.ID, 10) {
		return fmt.Sprintf("'Issuer' claim ('iss') %s does not match the app", iss)
	}
	now := s.now().Unix()
	switch {
	case claims.Iat == nil || claims.Exp == nil:
		return "Missing 'issued at' or 'expiration time' claim ('iat'/'exp')"
	case *claims.Iat > now+60:
		return "'Issued at' claim ('iat') must be an Integer representing a time in the past"
	case *claims.Exp <= now:
		return "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"
	case *claims.Exp > now+10*60+30:
		return "'Expiration time' claim ('exp') is too far in the future"
	}
	return ""
}

// permissionLevel orders "read" below "write".
func permissionLevel(v string) int {
	switch v {
	case "read":
		return 1
	case "write":
		return 2
	}
	return 0
}

func (s *Server) createAccessToken(c *call) {
	if s.opts.App == nil {
		c.notFound()
		return
	}
	if msg := s.verifyJWT(c.r.Header.Get("Authorization")); msg != "" {
		c.fail(http.StatusUnauthorized, msg)
		return
	}
	id, _ := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	in := s.installation(id)
	if in == nil {
		c.notFound()
		return
	}
	var req struct {
		Repositories  []string          `json:"repositories"`
		RepositoryIDs []int64           `json:"repository_ids"`
		Permissions   map[string]string `json:"permissions"`
	}
	if c.r.Body != nil {
		if err := json.NewDecoder(c.r.Body).Decode(&req); err != nil && !errors.Is(err, io.EOF) {
			c.fail(http.StatusBadRequest, "Problems parsing JSON")
			return
		}
	}
	var repos map[string]bool
	var listed []*repo
	if len(req.Repositories) > 0 || len(req.RepositoryIDs) > 0 {
		repos = map[string]bool{}
		for _, name := range req.Repositories {
			rp := s.repos[strings.ToLower(in.Account+"/"+name)]
			if rp == nil || !in.reaches(rp) {
				c.fail(http.StatusUnprocessableEntity, "There is at least one repository that does not exist or is not accessible to the parent installation.")
				return
			}
			repos[strings.ToLower(rp.fullName())] = true
			listed = append(listed, rp)
		}
		for _, rid := range req.RepositoryIDs {
			var found *repo
			for _, rp := range s.repos {
				if rp.id == rid && in.reaches(rp) {
					found = rp
				}
			}
			if found == nil {
				c.fail(http.StatusUnprocessableEntity, "There is at least one repository that does not exist or is not accessible to the parent installation.")
				return
			}
			repos[strings.ToLower(found.fullName())] = true
			listed = append(listed, found)
		}
	}
	perms := in.Permissions
	if len(req.Permissions) > 0 {
		perms = map[string]string{}
		for k, v := range req.Permissions {
			if permissionLevel(v) == 0 || permissionLevel(v) > permissionLevel(in.Permissions[k]) {
				c.fail(http.StatusUnprocessableEntity, "The permissions requested are not granted to this installation.")
				return
			}
			perms[k] = v
		}
	}
	tok, exp := s.issueTokenLocked(in, repos, perms)
	c.summary = fmt.Sprintf("issue token of installation %d", in.ID)
	out := map[string]any{
		"token":                tok,
		"expires_at":           ts(exp),
		"permissions":          perms,
		"repository_selection": selection(in),
	}
	if repos != nil {
		out["repository_selection"] = "selected"
		var rs []map[string]any
		for _, rp := range listed {
			rs = append(rs, map[string]any{"id": rp.id, "name": rp.name, "full_name": rp.fullName()})
		}
		out["repositories"] = rs
	}
	c.json(http.StatusCreated, out)
}

func selection(in *Installation) string {
	if len(in.Repositories) == 0 {
		return "all"
	}
	return "selected"
}

// repoInstallation is GET /repos/{owner}/{repo}/installation: the App's
// installation that reaches the repository (JWT).
func (s *Server) repoInstallation(c *call) {
	if s.opts.App == nil {
		c.notFound()
		return
	}
	if msg := s.verifyJWT(c.r.Header.Get("Authorization")); msg != "" {
		c.fail(http.StatusUnauthorized, msg)
		return
	}
	for i := range s.opts.App.Installations {
		in := &s.opts.App.Installations[i]
		if !in.reaches(c.repo) {
			continue
		}
		targetType := "Organization"
		if u := s.users[strings.ToLower(in.Account)]; u != nil && u.Type != "Organization" {
			targetType = "User"
		}
		c.json(http.StatusOK, map[string]any{
			"id":                   in.ID,
			"app_id":               s.opts.App.ID,
			"account":              map[string]any{"login": in.Account, "id": stableID(in.Account)},
			"target_type":          targetType,
			"repository_selection": selection(in),
			"permissions":          in.Permissions,
		})
		return
	}
	c.notFound()
}

// TokenClient returns a go-github client sending tok (a personal token of
// App.PersonalTokens, or any token when App auth is off).
func (s *Server) TokenClient(tok string) *github.Client { return s.clientWithToken(tok) }
