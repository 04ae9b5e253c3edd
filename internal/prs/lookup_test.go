package prs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// countingTransport counts requests and response bytes per endpoint.
type countingTransport struct {
	rt    http.RoundTripper
	mu    sync.Mutex
	calls map[string]int
	bytes int64
	// unfiltered counts PR listings without head=: listing every open PR.
	unfiltered int
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.rt.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	c.mu.Lock()
	c.calls[req.Method+" "+req.URL.Path]++
	if req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/pulls") && req.URL.Query().Get("head") == "" {
		c.unfiltered++
	}
	c.bytes += int64(len(body))
	c.mu.Unlock()
	return resp, nil
}

// humanPRs opens n PRs by humans against master, all from branches
// pointing at one commit.
func humanPRs(t *testing.T, f *fixture, n int) {
	t.Helper()
	ctx := context.Background()
	c := f.srv.Client()
	master, _ := f.srv.Ref("master")
	mk := func(branch, sha string) {
		if _, _, err := c.Git.CreateRef(ctx, f.srv.Owner(), f.srv.Repo(), &github.Reference{
			Ref: github.String("refs/heads/" + branch), Object: &github.GitObject{SHA: github.String(sha)}}); err != nil {
			t.Fatal(err)
		}
	}
	mk("human/0", master)
	text := "a human's change\n"
	sha, err := f.srv.Commit("human/0", "human change", map[string]*string{"HUMAN.md": &text})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		branch := fmt.Sprintf("human/%d", i)
		if i > 0 {
			mk(branch, sha)
		}
		if _, _, err := c.PullRequests.Create(ctx, f.srv.Owner(), f.srv.Repo(), &github.NewPullRequest{
			Title: github.String("human PR " + branch), Head: github.String(branch), Base: github.String("master"),
			Body: github.String("A human's PR with a long description. " + strings.Repeat("Lorem ipsum dolor sit amet. ", 40))}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCallsPerRun measures the reads of a steady-state run (every change
// already covered by an open markbot PR) in a repository with many open PRs
// by humans: one matching-refs page, one lookup per markbot branch (the
// issue of the PR state knows there); none of them grows with the humans'
// PRs. (The base ref and commit and the contents reads are for the two
// changes no PR covers: htop, refused, and macos-notify-bridge, already
// broken.) Listing every open PR instead cost
// one page per 100 open PRs: measured with 101 human and 3 markbot PRs,
// 7 requests and 424 kB before (2 pages) against 8 requests and 24 kB now;
// on nixpkgs (~5,000 open PRs) about 50 large pages against one small
// request per markbot branch.
func TestCallsPerRun(t *testing.T) {
	t.Parallel()
	f := newFixture(t, nil)
	humans := 25
	if testing.Short() {
		humans = 5
	}
	humanPRs(t, f, humans)
	f.mustPublish(seedChanges(), nil) // 3 markbot PRs
	// A markbot branch left by a merged PR: looked up, nothing open.
	merged := humans + 1 // netkit-ftp, netkit-telnet
	if _, err := f.srv.MergePullRequest(merged, "alice", "merge"); err != nil {
		t.Fatal(err)
	}

	hc := *f.srv.Client().Client()
	ct := &countingTransport{rt: hc.Transport, calls: map[string]int{}}
	hc.Transport = ct
	cl, err := github.NewClient(&hc).WithEnterpriseURLs(f.srv.URL(), f.srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(FromGitHub(cl), f.st, Options{Owner: f.srv.Owner(), Repo: f.srv.Repo(), Now: f.now, Sleep: f.sleep, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	f.srv.ResetStats()
	changes := slices.Delete(seedChanges(), 3, 5) // without the merged netkit changes
	res, err := p.Publish(context.Background(), changes)
	if err != nil {
		t.Fatal(err)
	}
	counts := f.srv.RequestCounts()
	t.Logf("%d requests, %d bytes: %v", f.srv.Requests(), ct.bytes, counts)
	if n := res.Count(OutcomeCovered); n != 3 {
		t.Fatalf("%d covered, want 3: %+v", n, res.Changes)
	}
	want := map[string]int{
		"GET /repos/{owner}/{repo}/git/ref/{ref...}":           1,
		"GET /repos/{owner}/{repo}/git/commits/{sha}":          1,
		"GET /repos/{owner}/{repo}/git/matching-refs/{ref...}": 1,
		// One per markbot branch, each of whose PRs state knows: read as
		// an issue (the merged one too: state learns it from there).
		"GET /repos/{owner}/{repo}/issues/{number}":    3,
		"GET /repos/{owner}/{repo}/contents/{path...}": 2,
	}
	if !mapsEqual(counts, want) {
		t.Errorf("requests %v, want %v", counts, want)
	}
	if ct.unfiltered != 0 {
		t.Errorf("%d requests listed every open PR", ct.unfiltered)
	}
	if sp, _ := f.st.PR(context.Background(), merged); sp.State != state.PRMerged {
		t.Errorf("merged PR in state: %+v", sp)
	}
}

// Open markbot PRs are found by their branches, whatever their base; a
// deleted branch closes its PR, which is then a human's no.
func TestOpenPRLookup(t *testing.T) {
	ctx := context.Background()
	t.Run("base moved", func(t *testing.T) {
		f := newFixture(t, nil)
		f.mustPublish(helloChange(), nil)
		c := f.srv.Client()
		master, _ := f.srv.Ref("master")
		if _, _, err := c.Git.CreateRef(ctx, f.srv.Owner(), f.srv.Repo(), &github.Reference{
			Ref: github.String("refs/heads/staging"), Object: &github.GitObject{SHA: github.String(master)}}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.PullRequests.Edit(ctx, f.srv.Owner(), f.srv.Repo(), 1, &github.PullRequest{
			Base: &github.PullRequestBranch{Ref: github.String("staging")}}); err != nil {
			t.Fatal(err)
		}
		if pr, _ := f.srv.PullRequest(1); pr.BaseRef != "staging" {
			t.Fatalf("base %s", pr.BaseRef)
		}
		f.srv.ResetStats()
		res := f.mustPublish(helloChange(), nil)
		if c := res.Changes[0]; c.Outcome != OutcomeCovered || c.PR != 1 {
			t.Errorf("change %+v", c)
		}
		if m := f.srv.Mutations(); len(m) != 0 {
			t.Errorf("Publish wrote: %+v", m)
		}
		if n := f.srv.RequestCount("GET /repos/{owner}/{repo}/pulls/{number}"); n != 0 {
			t.Errorf("%d PRs read one by one; the branch lookup finds it", n)
		}
	})
	t.Run("branch deleted", func(t *testing.T) {
		f := newFixture(t, nil)
		res := f.mustPublish(helloChange(), nil)
		if _, err := f.srv.Client().Git.DeleteRef(ctx, f.srv.Owner(), f.srv.Repo(), "heads/"+res.PRs[0].Branch); err != nil {
			t.Fatal(err)
		}
		if pr, _ := f.srv.PullRequest(1); pr.State != "closed" {
			t.Fatalf("PR after its branch was deleted: %s", pr.State)
		}
		f.srv.ResetStats()
		res = f.mustPublish(helloChange(), nil)
		if c := res.Changes[0]; c.Outcome != OutcomeClosedByHuman {
			t.Errorf("change %+v", c)
		}
		if m := f.srv.Mutations(); len(m) != 0 {
			t.Errorf("Publish wrote: %+v", m)
		}
		if sp, _ := f.st.PR(ctx, 1); sp.State != state.PRClosed {
			t.Errorf("state %+v", sp)
		}
	})
}
