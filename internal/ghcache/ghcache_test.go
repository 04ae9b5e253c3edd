package ghcache

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

var ctx = context.Background()

func openStore(t *testing.T) *state.Store {
	t.Helper()
	st, err := state.Open(ctx, filepath.Join(t.TempDir(), "markbot.db"), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// client is a go-github client for gh whose requests go through a
// Transport over st, authenticated with token.
func client(t *testing.T, gh *githubtest.Server, st Store, token string) (*github.Client, *Transport) {
	t.Helper()
	tr := &Transport{Store: st}
	c := github.NewClient(&http.Client{Transport: tr}).WithAuthToken(token)
	c, err := c.WithEnterpriseURLs(gh.URL(), gh.URL())
	if err != nil {
		t.Fatal(err)
	}
	return c, tr
}

// TestRevalidation: the second read of a resource is a 304 for no points,
// answered to go-github as the 200 it stored; a change is read anew.
func TestRevalidation(t *testing.T) {
	gh := githubtest.New(t, githubtest.Options{})
	st := openStore(t)
	c, _ := client(t, gh, st, "ghp_one")
	ref1, resp, err := c.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master")
	if err != nil || resp.StatusCode != 200 || resp.Header.Get(HeaderRevalidated) != "" {
		t.Fatalf("first read: %v, %v", resp, err)
	}
	gh.ResetStats()
	ref2, resp, err := c.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master")
	if err != nil || resp.StatusCode != 200 || resp.Header.Get(HeaderRevalidated) != "revalidated" {
		t.Fatalf("second read: %v, %v", resp, err)
	}
	if ref2.GetObject().GetSHA() != ref1.GetObject().GetSHA() || ref2.GetRef() != "refs/heads/master" {
		t.Errorf("replayed %v, first %v", ref2, ref1)
	}
	if s := gh.Stats(); s.NotModified != 1 || gh.PointsSpent() != 0 {
		t.Errorf("second read: %+v, want one free 304", s)
	}
	if resp.Rate.Remaining == 0 || resp.Rate.Limit != 5000 {
		t.Errorf("rate from the 304 not passed on: %+v", resp.Rate)
	}

	content := "moved\n"
	sha, err := gh.Commit("master", "move", map[string]*string{"README.md": &content})
	if err != nil {
		t.Fatal(err)
	}
	ref3, resp, err := c.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master")
	if err != nil || ref3.GetObject().GetSHA() != sha || resp.Header.Get(HeaderRevalidated) != "" {
		t.Fatalf("after a push: %v (want %s), %v", ref3.GetObject().GetSHA(), sha, err)
	}
	ref4, _, err := c.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master")
	if err != nil || ref4.GetObject().GetSHA() != sha {
		t.Fatalf("the new answer was not the one stored: %v, %v", ref4.GetObject().GetSHA(), err)
	}
	if s := gh.Stats(); s.NotModified != 2 || gh.PointsSpent() != 1 {
		t.Errorf("after a push: %+v, want one paid 200 and a second free 304", s)
	}

	// Paginated lists keep their Link header through a 304.
	for i := 0; i < 3; i++ {
		if _, err := gh.Commit("master", "c"+strconv.Itoa(i), map[string]*string{"f" + strconv.Itoa(i): &content}); err != nil {
			t.Fatal(err)
		}
	}
	refs1, r1, err := c.Git.ListMatchingRefs(ctx, "NixOS", "nixpkgs", &github.ReferenceListOptions{Ref: "heads/", ListOptions: github.ListOptions{PerPage: 100}})
	if err != nil {
		t.Fatal(err)
	}
	refs2, r2, err := c.Git.ListMatchingRefs(ctx, "NixOS", "nixpkgs", &github.ReferenceListOptions{Ref: "heads/", ListOptions: github.ListOptions{PerPage: 100}})
	if err != nil || len(refs1) != len(refs2) || r2.Header.Get(HeaderRevalidated) == "" || r1.NextPage != r2.NextPage {
		t.Errorf("list: %d vs %d refs, %v, next %d vs %d", len(refs1), len(refs2), err, r1.NextPage, r2.NextPage)
	}

	// Another token: its own entry; GitHub's ETags do not carry over.
	c2, _ := client(t, gh, st, "ghp_two")
	before := gh.PointsSpent()
	if _, resp, err := c2.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master"); err != nil || resp.Header.Get(HeaderRevalidated) != "" || gh.PointsSpent() != before+1 {
		t.Errorf("another token: %v, %v", resp, err)
	}
	if n, _, _ := st.CachedResponses(ctx); n != 3 {
		t.Errorf("%d stored answers, want 3 (ref for two tokens, the list)", n)
	}
}

// TestTruncatedAnswerNotStored: an answer cut short reaches the caller as
// the error it is, and is not stored; the next read is unconditional.
func TestTruncatedAnswerNotStored(t *testing.T) {
	gh := githubtest.New(t, githubtest.Options{})
	st := openStore(t)
	c, _ := client(t, gh, st, "ghp_one")
	gh.Inject(githubtest.Fault{Method: "GET", Path: "repos/NixOS/nixpkgs/git/ref/**", Kind: githubtest.Truncate, Times: 1})
	if _, _, err := c.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master"); err == nil {
		t.Fatal("a truncated answer read without error")
	}
	if n, _, err := st.CachedResponses(ctx); n != 0 || err != nil {
		t.Fatalf("%d answers stored after a truncated one (%v)", n, err)
	}
	gh.ResetStats()
	if _, resp, err := c.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master"); err != nil || resp.Header.Get(HeaderRevalidated) != "" {
		t.Fatalf("read after: %v, %v", resp, err)
	}
	if s := gh.Stats(); s.NotModified != 0 {
		t.Errorf("the read after the truncated answer was conditional: %+v", s)
	}
}

// server answers /x with the given ETag, body and Content-Length (-1:
// none), and 304 to a matching If-None-Match; it counts 304s.
func server(t *testing.T, etag string, body []byte, contentLength int, notModified *atomic.Int32) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if etag != "" && r.Header.Get("If-None-Match") == etag {
			notModified.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if etag != "" {
			w.Header().Set("ETag", etag)
		}
		w.Header().Set("Link", `<x?page=2>; rel="next"`)
		if contentLength >= 0 {
			w.Header().Set("Content-Length", strconv.Itoa(contentLength))
		}
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestWhatIsStored: only a complete 200 with an ETag, within the cap.
func TestWhatIsStored(t *testing.T) {
	big := []byte(strings.Repeat("x", state.MaxCachedBody+1))
	for _, tc := range []struct {
		name          string
		etag          string
		body          []byte
		contentLength int
		stored        bool
		wantErr       bool
	}{
		{"complete", `W/"1"`, []byte(`{"a":1}`), 7, true, false},
		{"chunked", `W/"1"`, []byte(`{"a":1}`), -1, true, false},
		{"at the cap", `"c"`, big[:state.MaxCachedBody], -1, true, false},
		{"over the cap", `"c"`, big, -1, false, false},
		{"no ETag", "", []byte(`{}`), -1, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var nm atomic.Int32
			srv := server(t, tc.etag, tc.body, tc.contentLength, &nm)
			st := openStore(t)
			hc := &http.Client{Transport: &Transport{Store: st}}
			for i := 0; i < 2; i++ {
				resp, err := hc.Get(srv.URL + "/x")
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || string(got) != string(tc.body) || resp.StatusCode != 200 {
					t.Fatalf("read %d: %d, %d bytes, %v", i, resp.StatusCode, len(got), err)
				}
				if resp.Header.Get("Link") == "" {
					t.Errorf("read %d: Link header lost", i)
				}
			}
			if want := map[bool]int32{true: 1, false: 0}[tc.stored]; nm.Load() != want {
				t.Errorf("%d revalidations, want %d", nm.Load(), want)
			}
		})
	}
}

// failingStore fails every call.
type failingStore struct{}

var errBroken = errors.New("disk on fire")

func (failingStore) CachedResponse(context.Context, string) (state.CachedResponse, error) {
	return state.CachedResponse{}, errBroken
}
func (failingStore) PutCachedResponse(context.Context, state.CachedResponse, state.CacheLimits) error {
	return errBroken
}
func (failingStore) TouchCachedResponse(context.Context, string) error  { return errBroken }
func (failingStore) DeleteCachedResponse(context.Context, string) error { return errBroken }

// TestPassThrough: writes, requests that are conditional already, and a
// broken store all reach the server as they were.
func TestPassThrough(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.Method+" inm="+r.Header.Get("If-None-Match"))
		w.Header().Set("ETag", `"e"`)
		if r.Header.Get("If-None-Match") == `"e"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	st := openStore(t)
	hc := &http.Client{Transport: &Transport{Store: st}}
	do := func(method string, h map[string]string) int {
		req, _ := http.NewRequest(method, srv.URL+"/x", nil)
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	do("GET", nil)                                                                   // stored
	do("POST", nil)                                                                  // not conditional
	if got := do("GET", map[string]string{"If-None-Match": `"other"`}); got != 200 { // the caller's own condition
		t.Errorf("caller's If-None-Match: %d", got)
	}
	if got := do("GET", map[string]string{"If-None-Match": `"e"`}); got != 304 { // a 304 the caller asked for is the caller's
		t.Errorf("caller's matching If-None-Match: %d, want its 304", got)
	}
	broken := &http.Client{Transport: &Transport{Store: failingStore{}}}
	resp, err := broken.Get(srv.URL + "/x")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("broken store: %v, %v", resp, err)
	}
	resp.Body.Close()
	want := []string{`GET inm=`, `POST inm=`, `GET inm="other"`, `GET inm="e"`, `GET inm=`}
	if strings.Join(seen, "|") != strings.Join(want, "|") {
		t.Errorf("server saw %q, want %q", seen, want)
	}
}

// TestCorruptEntry: a stored entry whose headers do not decode is dropped
// and the request sent unconditionally.
func TestCorruptEntry(t *testing.T) {
	var nm atomic.Int32
	srv := server(t, `"e"`, []byte("body"), -1, &nm)
	st := openStore(t)
	tr := &Transport{Store: st}
	req, _ := http.NewRequest("GET", srv.URL+"/x", nil)
	if err := st.PutCachedResponse(ctx, state.CachedResponse{Key: tr.key(req), ETag: `"e"`, Header: []byte(`{"Bad Name":["x"]}`), Body: []byte("stale")}, state.CacheLimits{}); err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "body" || nm.Load() != 0 {
		t.Errorf("got %q with %d revalidations, want the fresh body unconditionally", b, nm.Load())
	}
}

func TestKey(t *testing.T) {
	mk := func(url, accept, auth string) *http.Request {
		r, _ := http.NewRequest("GET", url, nil)
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		return r
	}
	app := &Transport{Identity: "app 1 installation 2"}
	keys := map[string]string{}
	for name, k := range map[string]string{
		"anonymous":     (&Transport{}).key(mk("https://x/a", "", "")),
		"app":           app.key(mk("https://x/a", "", "")),
		"other url":     app.key(mk("https://x/b", "", "")),
		"raw":           app.key(mk("https://x/a", "application/vnd.github.raw", "")),
		"token one":     (&Transport{}).key(mk("https://x/a", "", "Bearer one")),
		"token two":     (&Transport{}).key(mk("https://x/a", "", "Bearer two")),
		"app and token": app.key(mk("https://x/a", "", "Bearer one")),
	} {
		for other, ok := range keys {
			if ok == k {
				t.Errorf("%s and %s share a key", name, other)
			}
		}
		keys[name] = k
		if strings.Contains(k, "one") || strings.Contains(k, "two") {
			t.Errorf("%s: the key holds the token: %q", name, k)
		}
	}
}

// FuzzDecodeHeader: no stored value panics the decoder, and what decodes
// is safe to send and encodes back to itself.
func FuzzDecodeHeader(f *testing.F) {
	for _, s := range []string{`{}`, `{"Link":["<a>; rel=\"next\""]}`, `{"A":["x\r\ny"]}`, `null`, `[]`, `{"":[]}`, `{"Etag":["W/\"1\""],"Content-Type":["application/json"]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodeHeader(b)
		if err != nil {
			return
		}
		for k, vs := range h {
			if !validName(k) {
				t.Fatalf("decoded name %q", k)
			}
			for _, v := range vs {
				if strings.ContainsAny(v, "\r\n\x00") {
					t.Fatalf("decoded value %q", v)
				}
			}
		}
		enc, err := encodeHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		h2, err := decodeHeader(enc)
		if err != nil || len(h2) != len(h) {
			t.Fatalf("re-decoding %s: %v, %d fields vs %d", enc, err, len(h2), len(h))
		}
	})
}
