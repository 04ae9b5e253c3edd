package githubtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
)

func appServer(t *testing.T) (*Server, *App, []byte) {
	t.Helper()
	app, key, err := TestApp()
	if err != nil {
		t.Fatal(err)
	}
	opts := sampleOptions()
	opts.App = app
	return New(t, opts), app, key
}

func installationClient(t *testing.T, s *Server, appID, instID int64, key []byte) *github.Client {
	t.Helper()
	tr, err := ghinstallation.New(http.DefaultTransport, appID, instID, key)
	if err != nil {
		t.Fatal(err)
	}
	tr.BaseURL = s.URL()
	c, err := github.NewClient(&http.Client{Transport: tr}).WithEnterpriseURLs(s.URL(), s.URL())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(c.BaseURL.String(), "/api/v3/") {
		t.Fatalf("BaseURL = %s", c.BaseURL)
	}
	return c
}

func TestGitHubAppAuthEndToEnd(t *testing.T) {
	s, app, key := appServer(t)
	c := installationClient(t, s, app.ID, app.InstallationID, key)
	ref := must(c.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master")).get(t)
	if ref.Object.GetSHA() != mustRef(t, s, "master") {
		t.Fatal("wrong master")
	}
	if n := s.RequestCount("POST /app/installations/{id}/access_tokens"); n != 1 {
		t.Fatalf("token requests = %d", n)
	}
	// The token is cached by ghinstallation; after expiry a new one is fetched.
	must(c.Users.Get(ctx, "alice")).get(t)
	if n := s.RequestCount("POST /app/installations/{id}/access_tokens"); n != 1 {
		t.Fatalf("token requests after second call = %d", n)
	}

	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	otherPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(other)})
	tests := []struct {
		name          string
		appID, instID int64
		key           []byte
		want          string
	}{
		{"wrong key", app.ID, app.InstallationID, otherPEM, "401"},
		{"wrong app id", app.ID + 1, app.InstallationID, key, "401"},
		{"wrong installation", app.ID, app.InstallationID + 1, key, "404"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := installationClient(t, s, tc.appID, tc.instID, tc.key)
			_, _, err := bad.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %s", err, tc.want)
			}
		})
	}

	// Without a token, or with a made-up one: 401 Bad credentials.
	for _, cl := range []*github.Client{
		github.NewClient(nil),
		github.NewClient(nil).WithAuthToken("ghs_madeup"),
	} {
		cl, _ = cl.WithEnterpriseURLs(s.URL(), s.URL())
		_, resp, err := cl.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master")
		if err == nil || resp.StatusCode != 401 || !strings.Contains(err.Error(), "Bad credentials") {
			t.Fatalf("unauthenticated: %v", err)
		}
	}
	// Expired tokens stop working.
	direct := s.Client()
	must(direct.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master")).get(t)
	s.ExpireTokens()
	if _, resp, err := direct.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master"); err == nil || resp.StatusCode != 401 {
		t.Fatalf("expired token: %v", err)
	}
}

func TestVerifyJWTClaims(t *testing.T) {
	s, _, _ := appServer(t)
	if msg := s.verifyJWT("Bearer a.b"); msg == "" {
		t.Error("two-part token accepted")
	}
	if msg := s.verifyJWT("token ghs_x"); msg == "" {
		t.Error("installation token accepted as JWT")
	}
	if msg := s.verifyJWT("Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig"); !strings.Contains(msg, "RS256") {
		t.Errorf("HS256 JWT: %q", msg)
	}
}

func TestFaultsSurfaceAsGoGitHubErrors(t *testing.T) {
	tests := []struct {
		name  string
		fault Fault
		check func(t *testing.T, resp *github.Response, err error)
	}{
		{"secondary rate limit", Fault{Kind: SecondaryRateLimit, RetryAfter: 2 * time.Second}, func(t *testing.T, _ *github.Response, err error) {
			var e *github.AbuseRateLimitError
			if !errors.As(err, &e) || e.RetryAfter == nil || *e.RetryAfter != 2*time.Second || !strings.Contains(e.Message, "secondary rate limit") {
				t.Fatalf("err = %#v", err)
			}
		}},
		{"primary rate limit", Fault{Kind: PrimaryRateLimit, ResetIn: time.Minute}, func(t *testing.T, _ *github.Response, err error) {
			var e *github.RateLimitError
			if !errors.As(err, &e) || e.Rate.Remaining != 0 || time.Until(e.Rate.Reset.Time) < 30*time.Second {
				t.Fatalf("err = %#v", err)
			}
		}},
		{"429", Fault{Kind: TooManyRequests, RetryAfter: 3 * time.Second}, func(t *testing.T, resp *github.Response, err error) {
			var e *github.ErrorResponse
			if !errors.As(err, &e) || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "3" {
				t.Fatalf("err = %#v", err)
			}
			var a *github.AbuseRateLimitError
			var r *github.RateLimitError
			if errors.As(err, &a) || errors.As(err, &r) {
				t.Fatal("429 recognised as a rate-limit error; go-github v60 does not do that")
			}
		}},
		{"502", Fault{Kind: ServerError, Status: 502}, func(t *testing.T, resp *github.Response, err error) {
			if err == nil || resp.StatusCode != 502 {
				t.Fatalf("err = %v", err)
			}
		}},
		{"ref exists", Fault{Kind: RefExists}, func(t *testing.T, resp *github.Response, err error) {
			var e *github.ErrorResponse
			if !errors.As(err, &e) || resp.StatusCode != 422 || e.Message != "Reference already exists" {
				t.Fatalf("err = %v", err)
			}
		}},
		{"dropped connection", Fault{Kind: DropConnection}, func(t *testing.T, resp *github.Response, err error) {
			var e *github.ErrorResponse
			if err == nil || errors.As(err, &e) {
				t.Fatalf("err = %v", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(t, sampleOptions())
			c := s.Client() // fresh: go-github remembers rate limits per client
			master := mustRef(t, s, "master")
			f := tc.fault
			f.Method, f.Path = "POST", "repos/*/*/git/refs"
			s.Inject(f)
			_, resp, err := c.Git.CreateRef(ctx, "NixOS", "nixpkgs", &github.Reference{Ref: github.String("refs/heads/x"), Object: &github.GitObject{SHA: &master}})
			tc.check(t, resp, err)
			if _, ok := s.Ref("x"); ok {
				t.Fatal("a faulted request was performed")
			}
			if s.PendingFaults() != 0 {
				t.Fatal("fault not consumed")
			}
			// Only the matching endpoint was affected, and only once.
			c2 := s.Client()
			must(c2.Git.CreateRef(ctx, "NixOS", "nixpkgs", &github.Reference{Ref: github.String("refs/heads/x"), Object: &github.GitObject{SHA: &master}})).get(t)
			muts := s.Mutations()
			if len(muts) != 2 || !strings.Contains(muts[0].Summary, "injected") {
				t.Fatalf("mutations = %+v", muts)
			}
		})
	}
}

func TestFaultAfterAndCounts(t *testing.T) {
	s := New(t, sampleOptions())
	c := s.Client()
	text := "x"
	commitFiles(t, c, "NixOS", "master", "b", map[string]*string{"x": &text})
	// The PR is created but the answer is lost: a retry sees 422 duplicate.
	s.Inject(Fault{Method: "POST", Path: "repos/NixOS/nixpkgs/pulls", Kind: ServerError, After: true})
	np := &github.NewPullRequest{Title: github.String("t"), Head: github.String("b"), Base: github.String("master")}
	if _, resp, err := c.PullRequests.Create(ctx, "NixOS", "nixpkgs", np); err == nil || resp.StatusCode != 500 {
		t.Fatalf("first create: %v", err)
	}
	if _, resp, err := c.PullRequests.Create(ctx, "NixOS", "nixpkgs", np); err == nil || resp.StatusCode != 422 {
		t.Fatalf("retry: %v", err)
	}
	if n := len(s.PullRequests()); n != 1 {
		t.Fatalf("PRs = %d", n)
	}
	// Times and ** patterns; GETs are not mutations but are counted.
	s.Inject(Fault{Path: "repos/**/ref/**", Kind: ServerError, Status: 503, Times: 2})
	for i, want := range []int{503, 503, 200} {
		_, resp, _ := c.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master")
		if resp.StatusCode != want {
			t.Fatalf("GetRef %d: status %d, want %d", i, resp.StatusCode, want)
		}
	}
	if n := s.RequestCount("GET /repos/{owner}/{repo}/git/ref/{ref...}"); n != 4 {
		t.Fatalf("GetRef count = %d", n)
	}
	s.Inject(Fault{Kind: ServerError, Times: -1})
	for range 3 {
		if _, _, err := c.Users.Get(ctx, "alice"); err == nil {
			t.Fatal("forever fault did not fire")
		}
	}
	s.ClearFaults()
	must(c.Users.Get(ctx, "alice")).get(t)
	before := s.Requests()
	s.ResetStats()
	if s.Requests() != 0 || len(s.Mutations()) != 0 || before == 0 {
		t.Fatal("ResetStats")
	}
}

func TestMatchPath(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"repos/*/*/pulls", "repos/NixOS/nixpkgs/pulls", true},
		{"repos/*/*/pulls", "repos/NixOS/nixpkgs/pulls/1", false},
		{"repos/**", "repos/NixOS/nixpkgs/pulls/1", true},
		{"repos/**/labels", "repos/NixOS/nixpkgs/issues/1/labels", true},
		{"repos/**/labels", "repos/NixOS/nixpkgs/issues/1/comments", false},
		{"search/issues", "search/issues", true},
		{"[", "x", false},
	}
	for _, tc := range tests {
		if got := matchPath(tc.pattern, tc.path); got != tc.want {
			t.Errorf("matchPath(%q, %q) = %v", tc.pattern, tc.path, got)
		}
	}
}
