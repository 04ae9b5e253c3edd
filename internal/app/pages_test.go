package app

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// The maintainer pages and feeds are served beside the status page, from
// Options.Pages; the site's index is at /report.
func TestPagesRoutes(t *testing.T) {
	var got []string
	e := newEnv(t, func(o *Options) {
		o.Pages = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = append(got, r.Method+" "+r.URL.Path)
			w.WriteHeader(http.StatusTeapot)
		})
	})
	h := e.s.Handler()
	for _, tt := range []struct {
		method, path string
		pages        bool
	}{
		{"GET", "/maintainers/alice", true}, {"HEAD", "/maintainers/alice.atom", true}, {"GET", "/teams/security", true},
		{"GET", "/jobsets/nixpkgs/unstable", true}, {"GET", "/assets/site.css", true}, {"GET", "/report", true},
		{"GET", "/", false}, {"GET", "/healthz", false}, {"POST", "/maintainers/alice", false},
	} {
		got = nil
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
		if (rec.Code == http.StatusTeapot) != tt.pages {
			t.Errorf("%s %s: %d, served by the pages: %v", tt.method, tt.path, rec.Code, got)
		}
	}
	rec := httptest.NewRecorder()
	got = nil
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/report", nil))
	if len(got) != 1 || got[0] != "GET /" {
		t.Errorf("/report reached the pages as %v, want their index", got)
	}
}
