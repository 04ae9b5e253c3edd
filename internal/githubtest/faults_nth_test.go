package githubtest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

// TestFaultSkipFiresOnNthRequest: a fault with Skip k fires on the (k+1)-th
// matching request from now and not before, and calls OnHit exactly then.
func TestFaultSkipFiresOnNthRequest(t *testing.T) {
	tests := []struct {
		name  string
		fault Fault
		n     int   // requests made: odd ones GET a ref, even ones GET a user
		want  []int // requests (1-based) that fail
	}{
		{"first request", Fault{Kind: ServerError}, 3, []int{1}},
		{"10th request whatever it is", Fault{Kind: ServerError, Skip: 9}, 12, []int{10}},
		{"skip counts matching requests only", Fault{Path: "users/*", Kind: ServerError, Skip: 1}, 6, []int{4}},
		{"times counts firings only", Fault{Kind: ServerError, Skip: 2, Times: 2}, 6, []int{3, 4}},
		{"after", Fault{Kind: ServerError, Skip: 4, After: true}, 6, []int{5}},
		{"truncated answer", Fault{Kind: Truncate, Skip: 1}, 4, []int{2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(t, sampleOptions())
			c := s.Client()
			var cur atomic.Int32
			var mu sync.Mutex
			var hits []int
			f := tc.fault
			f.OnHit = func() {
				mu.Lock()
				defer mu.Unlock()
				hits = append(hits, int(cur.Load()))
			}
			s.Inject(f)
			var failed []int
			for i := 1; i <= tc.n; i++ {
				cur.Store(int32(i))
				var err error
				if i%2 == 1 {
					_, _, err = c.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master")
				} else {
					_, _, err = c.Users.Get(ctx, "alice")
				}
				if err != nil {
					failed = append(failed, i)
				}
			}
			if !slices.Equal(failed, tc.want) {
				t.Errorf("failed requests %v, want %v", failed, tc.want)
			}
			mu.Lock()
			if !slices.Equal(hits, tc.want) {
				t.Errorf("OnHit called at requests %v, want %v", hits, tc.want)
			}
			mu.Unlock()
			if s.PendingFaults() != 0 {
				t.Error("fault still pending")
			}
			if s.Requests() != tc.n {
				t.Errorf("Requests() = %d, want %d", s.Requests(), tc.n)
			}
		})
	}
}

// TestFaultSkipCountsIndependently: a rule keeps counting its matching
// requests while an earlier rule answers them.
func TestFaultSkipCountsIndependently(t *testing.T) {
	s := New(t, sampleOptions())
	c := s.Client()
	s.Inject(Fault{Kind: ServerError, Status: 502, Times: 2})
	s.Inject(Fault{Kind: ServerError, Status: 503, Skip: 3})
	var got []int
	for range 5 {
		_, resp, _ := c.Users.Get(ctx, "alice")
		got = append(got, resp.StatusCode)
	}
	if want := []int{502, 502, 200, 503, 200}; !slices.Equal(got, want) {
		t.Fatalf("statuses %v, want %v", got, want)
	}
}

// TestFaultTruncate: the write is performed, the client sees a cut answer.
func TestFaultTruncate(t *testing.T) {
	tests := []struct {
		name  string
		do    func(s *Server, c *github.Client) error
		check func(t *testing.T, s *Server, c *github.Client)
	}{
		{"create ref", func(s *Server, c *github.Client) error {
			master, _ := s.Ref("master")
			_, _, err := c.Git.CreateRef(ctx, "NixOS", "nixpkgs", &github.Reference{Ref: github.String("refs/heads/x"), Object: &github.GitObject{SHA: &master}})
			return err
		}, func(t *testing.T, s *Server, c *github.Client) {
			ref := must(c.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/x")).get(t)
			if master, _ := s.Ref("master"); ref.Object.GetSHA() != master {
				t.Fatalf("ref x = %s", ref.Object.GetSHA())
			}
		}},
		{"create pull request", func(s *Server, c *github.Client) error {
			np := &github.NewPullRequest{Title: github.String("t"), Head: github.String("b"), Base: github.String("master")}
			_, _, err := c.PullRequests.Create(ctx, "NixOS", "nixpkgs", np)
			return err
		}, func(t *testing.T, s *Server, c *github.Client) {
			prs := must(c.PullRequests.List(ctx, "NixOS", "nixpkgs", &github.PullRequestListOptions{State: "open"})).get(t)
			if len(prs) != 1 || prs[0].GetTitle() != "t" {
				t.Fatalf("PRs = %v", prs)
			}
		}},
		{"delete ref (no body)", func(s *Server, c *github.Client) error {
			_, err := c.Git.DeleteRef(ctx, "NixOS", "nixpkgs", "heads/b")
			return err
		}, func(t *testing.T, s *Server, c *github.Client) {
			if _, resp, err := c.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/b"); err == nil || resp.StatusCode != 404 {
				t.Fatalf("ref b still there: %v", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(t, sampleOptions())
			c := s.Client()
			text := "x"
			commitFiles(t, c, "NixOS", "master", "b", map[string]*string{"x": &text})
			var hits atomic.Int32
			s.Inject(Fault{Kind: Truncate, OnHit: func() { hits.Add(1) }})
			err := tc.do(s, c)
			var er *github.ErrorResponse
			if err == nil || errors.As(err, &er) {
				t.Fatalf("err = %v, want a transport error", err)
			}
			if !errors.Is(err, io.ErrUnexpectedEOF) && !strings.Contains(err.Error(), "EOF") {
				t.Errorf("err = %v, want an unexpected EOF", err)
			}
			if hits.Load() != 1 {
				t.Errorf("OnHit called %d times", hits.Load())
			}
			tc.check(t, s, c)
			muts := s.Mutations()
			if last := muts[len(muts)-1]; !strings.Contains(last.Summary, "answered with injected truncated answer") {
				t.Errorf("last mutation %+v", last)
			}
		})
	}
}

// TestFaultTruncateHalfBody: the client gets the status, the headers with
// the full Content-Length and half of the body.
func TestFaultTruncateHalfBody(t *testing.T) {
	s := New(t, sampleOptions())
	get := func() (*http.Response, []byte, error) {
		resp, err := http.Get(s.URL() + "users/alice")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp, body, err
	}
	_, full, err := get()
	if err != nil {
		t.Fatal(err)
	}
	s.Inject(Fault{Kind: Truncate})
	resp, part, err := get()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want unexpected EOF", err)
	}
	if resp.StatusCode != 200 || resp.ContentLength != int64(len(full)) || resp.Header.Get("X-RateLimit-Limit") == "" {
		t.Fatalf("status %d, length %d (body %d), headers %v", resp.StatusCode, resp.ContentLength, len(full), resp.Header)
	}
	if len(part) != len(full)/2 || string(part) != string(full[:len(part)]) {
		t.Fatalf("got %q, want the first half of %q", part, full)
	}
}

// TestFaultSlow: a client that times out gives up, the write happens anyway.
func TestFaultSlow(t *testing.T) {
	tests := []struct {
		name    string
		timeout time.Duration
		delay   time.Duration
		cancel  bool // OnHit cancels the request's context
		wantErr bool
	}{
		{"client timeout", 200 * time.Millisecond, time.Second, false, true},
		{"canceled at the hit", 0, time.Second, true, true},
		{"patient client", 0, 50 * time.Millisecond, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(t, sampleOptions())
			c, err := github.NewClient(&http.Client{Timeout: tc.timeout}).WithEnterpriseURLs(s.URL(), s.URL())
			if err != nil {
				t.Fatal(err)
			}
			rctx, cancel := context.WithCancel(ctx)
			defer cancel()
			var hits atomic.Int32
			s.Inject(Fault{Method: "POST", Kind: Slow, Delay: tc.delay, OnHit: func() {
				hits.Add(1)
				if tc.cancel {
					cancel()
				}
			}})
			master, _ := s.Ref("master")
			start := time.Now()
			_, resp, err := c.Git.CreateRef(rctx, "NixOS", "nixpkgs", &github.Reference{Ref: github.String("refs/heads/x"), Object: &github.GitObject{SHA: &master}})
			elapsed := time.Since(start)
			if hits.Load() != 1 {
				t.Errorf("OnHit called %d times", hits.Load())
			}
			if !tc.wantErr {
				if err != nil || resp.StatusCode != 201 || elapsed < tc.delay {
					t.Fatalf("err = %v after %v", err, elapsed)
				}
				if _, ok := s.Ref("x"); !ok {
					t.Fatal("ref not created")
				}
				return
			}
			var ue *url.Error
			switch {
			case tc.cancel && !errors.Is(err, context.Canceled):
				t.Fatalf("err = %v, want context canceled", err)
			case !tc.cancel && !(errors.As(err, &ue) && ue.Timeout()):
				t.Fatalf("err = %v, want a timeout", err)
			}
			if elapsed >= tc.delay {
				t.Errorf("client gave up after %v", elapsed)
			}
			deadline := time.Now().Add(3 * time.Second)
			for {
				if sha, ok := s.Ref("x"); ok {
					if sha != master {
						t.Fatalf("ref x = %s", sha)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the write was not performed")
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
