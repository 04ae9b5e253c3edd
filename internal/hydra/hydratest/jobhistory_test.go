package hydratest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestJobHistoryRoutes(t *testing.T) {
	s := NewStatic("nixpkgs", "unstable")
	s.AddEval(1, 100, B(10, "foo.x86_64-linux", "x86_64-linux", 0, strings.Repeat("a", 32)+"-foo-1", 10, 20))
	s.AddEval(2, 200, B(11, "foo.x86_64-linux", "x86_64-linux", 1, strings.Repeat("b", 32)+"-foo-2", 30, 40))
	s.AddEval(3, 300, B(11, "foo.x86_64-linux", "x86_64-linux", 1, strings.Repeat("b", 32)+"-foo-2", 30, 40),
		B(12, "bar.x86_64-linux", "x86_64-linux", 1, strings.Repeat("c", 32)+"-bar-1", 30, 40))
	srv := httptest.NewServer(New(s))
	defer srv.Close()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tt := range []struct {
		path     string
		code     int
		location string
	}{
		{"/job/nixpkgs/unstable/foo.x86_64-linux/latest", 302, "/build/10"},
		{"/job/nixpkgs/unstable/bar.x86_64-linux/latest", 404, ""},
		{"/job/nixpkgs/trunk/foo.x86_64-linux/latest", 404, ""},
		{"/build/10/eval", 302, "/eval/1"},
		{"/build/11/eval", 302, "/eval/3"},
		{"/build/99/eval", 404, ""},
	} {
		req, _ := http.NewRequest("GET", srv.URL+tt.path, nil)
		req.Header.Set("Accept", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.code || (tt.location != "" && resp.Header.Get("Location") != srv.URL+tt.location) {
			t.Errorf("%s: %d %q, want %d %q", tt.path, resp.StatusCode, resp.Header.Get("Location"), tt.code, tt.location)
		}
	}
}
