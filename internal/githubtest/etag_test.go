package githubtest

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// get sends a GET for rel (relative to the API prefix) with the given
// Authorization and If-None-Match (empty: none).
func get(t *testing.T, s *Server, rel, auth, inm string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL()+rel, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if inm != "" {
		req.Header.Set("If-None-Match", inm)
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// TestConditionalRequests: ETags on GETs, 304s on a match, and the points
// each answer costs.
func TestConditionalRequests(t *testing.T) {
	s := New(t, Options{})
	const ref = "repos/NixOS/nixpkgs/git/ref/heads/master"
	const tok = "token ghp_one"

	first, body := get(t, s, ref, tok, "")
	tag := first.Header.Get("ETag")
	if first.StatusCode != 200 || !strings.HasPrefix(tag, `W/"`) || len(tag) != 2+1+64+1 || !strings.Contains(body, `"ref"`) {
		t.Fatalf("first read: %d, ETag %q, body %q", first.StatusCode, tag, body)
	}
	if v, cc := first.Header.Get("Vary"), first.Header.Get("Cache-Control"); v != "Accept, Authorization, Cookie, X-GitHub-OTP" || !strings.HasPrefix(cc, "private") {
		t.Errorf("authenticated answer: Vary %q, Cache-Control %q", v, cc)
	}
	if st := s.Stats(); st.Points["core"] != 1 || st.NotModified != 0 {
		t.Fatalf("after one read: %+v", st)
	}
	remaining := first.Header.Get("X-RateLimit-Remaining")

	for _, tc := range []struct {
		name, auth, inm string
		want            int
		points          int // spent by this request
	}{
		{"same token, its ETag", tok, tag, 304, 0},
		{"strong form of the weak tag", tok, strings.TrimPrefix(tag, "W/"), 304, 0},
		{"in a list", tok, `"nope", ` + tag, 304, 0},
		{"star", tok, "*", 304, 0},
		{"another ETag", tok, `W/"0000"`, 200, 1},
		{"malformed list stops", tok, `nope, ` + tag, 200, 1},
		{"another token: ETags are per credential", "token ghp_two", tag, 200, 1},
		{"anonymous 304 still costs a point", "", "*", 304, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := s.PointsSpent()
			resp, body := get(t, s, ref, tc.auth, tc.inm)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if got := s.PointsSpent() - before; got != tc.points {
				t.Errorf("spent %d points, want %d", got, tc.points)
			}
			if tc.want == 304 {
				if body != "" || resp.Header.Get("Content-Type") != "" || resp.Header.Get("ETag") == "" {
					t.Errorf("304 with body %q, Content-Type %q, ETag %q", body, resp.Header.Get("Content-Type"), resp.Header.Get("ETag"))
				}
				if tc.points == 0 && resp.Header.Get("X-RateLimit-Remaining") != remaining {
					t.Errorf("a free 304 moved X-RateLimit-Remaining %s → %s", remaining, resp.Header.Get("X-RateLimit-Remaining"))
				}
			}
		})
	}

	// The resource changes: the old ETag no longer matches.
	content := "changed\n"
	if _, err := s.Commit("master", "change", map[string]*string{"README.md": &content}); err != nil {
		t.Fatal(err)
	}
	changed, _ := get(t, s, ref, tok, tag)
	if changed.StatusCode != 200 || changed.Header.Get("ETag") == tag {
		t.Errorf("after a push: %d, ETag %q (was %q)", changed.StatusCode, changed.Header.Get("ETag"), tag)
	}
	// Anonymous answers vary on Accept only, and are public.
	anon, _ := get(t, s, ref, "", "")
	if anon.Header.Get("Vary") != "Accept" || !strings.HasPrefix(anon.Header.Get("Cache-Control"), "public") {
		t.Errorf("anonymous: Vary %q, Cache-Control %q", anon.Header.Get("Vary"), anon.Header.Get("Cache-Control"))
	}
	// Errors carry no ETag and cost a point.
	before := s.PointsSpent()
	missing, _ := get(t, s, "repos/NixOS/nixpkgs/git/ref/heads/nope", tok, "*")
	if missing.StatusCode != 404 || missing.Header.Get("ETag") != "" || s.PointsSpent()-before != 1 {
		t.Errorf("404: ETag %q, points %d", missing.Header.Get("ETag"), s.PointsSpent()-before)
	}
	s.ResetStats()
	if st := s.Stats(); len(st.Points) != 0 || st.NotModified != 0 || st.Requests != 0 {
		t.Errorf("after ResetStats: %+v", st)
	}
}

// TestConditionalRequestsAppTokens: with App authentication, an
// installation token's ETags do not match under the next token (GitHub
// renews them hourly), and a free 304 needs a valid token.
func TestConditionalRequestsAppTokens(t *testing.T) {
	app, _, err := TestApp()
	if err != nil {
		t.Fatal(err)
	}
	s := New(t, Options{App: app})
	const ref = "repos/NixOS/nixpkgs/git/ref/heads/master"
	one := "token " + s.IssueToken()
	first, _ := get(t, s, ref, one, "")
	tag := first.Header.Get("ETag")
	if r, _ := get(t, s, ref, one, tag); r.StatusCode != 304 {
		t.Errorf("same token: %d, want 304", r.StatusCode)
	}
	two := "token " + s.IssueToken()
	before := s.PointsSpent()
	if r, _ := get(t, s, ref, two, tag); r.StatusCode != 200 || s.PointsSpent()-before != 1 {
		t.Errorf("renewed token: %d (points %d), want a paid 200", r.StatusCode, s.PointsSpent()-before)
	}
	s.ExpireTokens()
	if r, _ := get(t, s, ref, one, tag); r.StatusCode != 401 {
		t.Errorf("expired token: %d, want 401", r.StatusCode)
	}
}

func TestIfNoneMatch(t *testing.T) {
	const tag = `W/"abc"`
	for _, tc := range []struct {
		values []string
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{`W/"abc"`}, true},
		{[]string{`"abc"`}, true},
		{[]string{` "x" , W/"abc" `}, true},
		{[]string{`"x"`, `"abc"`}, true},
		{[]string{`*`}, true},
		{[]string{`abc`}, false},
		{[]string{`"ab c"`}, false},
		{[]string{`"abc`}, false},
		{[]string{`w/"abc"`}, false},
		{[]string{`"x", junk, "abc"`}, false},
		{[]string{`,,"abc"`}, true},
	} {
		if got := ifNoneMatch(tc.values, tag); got != tc.want {
			t.Errorf("ifNoneMatch(%q, %s) = %v, want %v", tc.values, tag, got, tc.want)
		}
	}
	if ifNoneMatch([]string{"*"}, "not a tag") {
		t.Error("a malformed current tag matched")
	}
}

// FuzzIfNoneMatch: no input panics; a field listing the tag matches it.
func FuzzIfNoneMatch(f *testing.F) {
	for _, s := range []string{`W/"abc"`, `"a", "b"`, `*`, `W/`, `"`, `""`, "\"\x80\"", ` , ,`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tag := entityTag("token x", []byte(v))
		ifNoneMatch([]string{v}, tag)
		ifNoneMatch([]string{v}, v)
		if !ifNoneMatch([]string{`"x", ` + tag}, tag) {
			t.Fatalf("listed tag %s not matched", tag)
		}
		if n, _, ok := scanEntityTag(v); ok && (n < 2 || n > len(v)) {
			t.Fatalf("scanEntityTag(%q) length %d", v, n)
		}
	})
}
