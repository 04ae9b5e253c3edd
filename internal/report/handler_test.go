package report

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func serve(h http.Handler, method, path string, hdr ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandler(t *testing.T) {
	site := sampleSite(t)
	h := Handler(func() (*Site, error) { return site, nil })
	page := serve(h, "GET", "/maintainers/alice")
	feed := serve(h, "GET", "/maintainers/alice.atom")
	lastMod := site.Generated.UTC().Format(http.TimeFormat)
	tests := []struct {
		name, method, path string
		hdr                []string
		code               int
		ctype              string
		body               string // a part of the body; "-" an empty body
		location           string
	}{
		{name: "index", method: "GET", path: "/", code: 200, ctype: htmlType, body: "Persistent build failures in nixpkgs"},
		{name: "a page", method: "GET", path: "/maintainers/alice", code: 200, ctype: htmlType, body: "<h1>alice (Alice Liddell)</h1>"},
		{name: "a feed", method: "GET", path: "/maintainers/alice.atom", code: 200, ctype: "application/atom+xml", body: "<feed xmlns=\"http://www.w3.org/2005/Atom\">"},
		{name: "a team feed", method: "GET", path: "/teams/gnome.atom", code: 200, ctype: "application/atom+xml", body: "tag:nixpkgs-markbot.github.io,2026:teams/gnome"},
		{name: "a jobset", method: "GET", path: "/jobsets/nixos/release-24.05", code: 200, ctype: htmlType, body: "<h1>nixos/release-24.05</h1>"},
		{name: "a jobset as a file", method: "GET", path: "/jobsets/nixos/release-24.05.html", code: 200, ctype: htmlType, body: "<h1>nixos/release-24.05</h1>"},
		{name: "the stylesheet", method: "GET", path: "/assets/style.css", code: 200, ctype: "text/css; charset=utf-8", body: "border-collapse"},
		{name: "the script", method: "GET", path: "/assets/filter.js", code: 200, ctype: "text/javascript; charset=utf-8", body: "use strict"},
		{name: "HEAD of a page", method: "HEAD", path: "/maintainers/alice", code: 200, ctype: htmlType, body: "-"},
		{name: "HEAD of a feed", method: "HEAD", path: "/teams/gnome.atom", code: 200, ctype: "application/atom+xml", body: "-"},
		{name: "If-None-Match", method: "GET", path: "/maintainers/alice", hdr: []string{"If-None-Match", page.Header().Get("ETag")}, code: 304, body: "-"},
		{name: "If-None-Match, a feed", method: "GET", path: "/maintainers/alice.atom", hdr: []string{"If-None-Match", feed.Header().Get("ETag")}, code: 304, body: "-"},
		{name: "If-None-Match, another tag", method: "GET", path: "/maintainers/alice.atom", hdr: []string{"If-None-Match", page.Header().Get("ETag")}, code: 200, body: "<feed"},
		{name: "If-None-Match, HEAD", method: "HEAD", path: "/maintainers/alice.atom", hdr: []string{"If-None-Match", feed.Header().Get("ETag")}, code: 304, body: "-"},
		{name: "If-Modified-Since now", method: "GET", path: "/maintainers/alice", hdr: []string{"If-Modified-Since", lastMod}, code: 304, body: "-"},
		{name: "If-Modified-Since later", method: "GET", path: "/teams/gnome.atom", hdr: []string{"If-Modified-Since", site.Generated.Add(time.Hour).Format(http.TimeFormat)}, code: 304, body: "-"},
		{name: "If-Modified-Since before", method: "GET", path: "/maintainers/alice", hdr: []string{"If-Modified-Since", site.Generated.Add(-time.Second).Format(http.TimeFormat)}, code: 200, body: "<h1>"},
		{name: "If-None-Match wins over If-Modified-Since", method: "GET", path: "/maintainers/alice", hdr: []string{"If-None-Match", `"other"`, "If-Modified-Since", lastMod}, code: 200, body: "<h1>"},
		{name: "an unknown login", method: "GET", path: "/maintainers/nobody", code: 404, ctype: htmlType, body: "Not found"},
		{name: "an invalid login", method: "GET", path: "/maintainers/bad%20login!", code: 404, ctype: htmlType, body: "Not found"},
		{name: "markup as a login", method: "GET", path: "/maintainers/%3Cscript%3E", code: 404, body: "Not found"},
		{name: "an unknown team", method: "GET", path: "/teams/nobody.atom", code: 404},
		{name: "an unknown jobset", method: "GET", path: "/jobsets/nixpkgs/trunk", code: 404},
		{name: "HEAD of nothing", method: "HEAD", path: "/nothing", code: 404, body: "-"},
		{name: "a login in another case", method: "GET", path: "/maintainers/Alice.atom", code: 301, location: "alice.atom"},
		{name: "a login in another case, no suffix", method: "GET", path: "/maintainers/ALICE", code: 301, location: "alice"},
		{name: "a directory without its slash", method: "GET", path: "/teams", code: 301, location: "teams/"},
		{name: "POST", method: "POST", path: "/", code: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(h, tt.method, tt.path, tt.hdr...)
			if rec.Code != tt.code {
				t.Fatalf("status %d, want %d", rec.Code, tt.code)
			}
			if tt.ctype != "" && rec.Header().Get("Content-Type") != tt.ctype {
				t.Errorf("Content-Type %q, want %q", rec.Header().Get("Content-Type"), tt.ctype)
			}
			switch {
			case tt.body == "-" && rec.Body.Len() != 0:
				t.Errorf("a body of %d bytes", rec.Body.Len())
			case tt.body != "" && tt.body != "-" && !strings.Contains(rec.Body.String(), tt.body):
				t.Errorf("body lacks %q:\n%s", tt.body, rec.Body.String())
			}
			if tt.location != "" && rec.Header().Get("Location") != tt.location {
				t.Errorf("Location %q, want %q", rec.Header().Get("Location"), tt.location)
			}
			if tt.code == 200 || tt.code == 304 {
				if rec.Header().Get("ETag") == "" || (tt.code == 200 && rec.Header().Get("Last-Modified") != lastMod) {
					t.Errorf("ETag %q, Last-Modified %q", rec.Header().Get("ETag"), rec.Header().Get("Last-Modified"))
				}
			}
			if tt.code == 200 && tt.ctype == htmlType && !strings.Contains(rec.Header().Get("Content-Security-Policy"), "script-src 'self'") {
				t.Errorf("CSP %q", rec.Header().Get("Content-Security-Policy"))
			}
			if tt.method == "HEAD" && tt.code == 200 {
				get := serve(h, "GET", tt.path)
				if rec.Header().Get("Content-Length") != itoa(int64(get.Body.Len())) || rec.Header().Get("ETag") != get.Header().Get("ETag") {
					t.Errorf("HEAD says %s bytes, %s; GET gives %d, %s", rec.Header().Get("Content-Length"), rec.Header().Get("ETag"),
						get.Body.Len(), get.Header().Get("ETag"))
				}
			}
		})
	}
	if page.Header().Get("ETag") == feed.Header().Get("ETag") {
		t.Error("a page and a feed share an ETag")
	}
}

// TestHandlerFollowsTheSite: the handler serves whatever Site latest
// returns now, and the ETag of a feed whose entries did not change stays
// (its bytes are the same), while a page's changes (it shows the time).
func TestHandlerFollowsTheSite(t *testing.T) {
	var mu sync.Mutex
	site := sampleSite(t)
	h := Handler(func() (*Site, error) { mu.Lock(); defer mu.Unlock(); return site, nil })
	page1, feed1 := serve(h, "GET", "/maintainers/alice"), serve(h, "GET", "/maintainers/alice.atom")
	next := *sampleSite(t)
	next.Generated = next.Generated.Add(6 * time.Hour)
	next.Feed = Track(next.Feed, &next, next.Generated)
	mu.Lock()
	site = &next
	mu.Unlock()
	page2, feed2 := serve(h, "GET", "/maintainers/alice"), serve(h, "GET", "/maintainers/alice.atom")
	if page1.Header().Get("ETag") == page2.Header().Get("ETag") {
		t.Error("the page did not change with the site")
	}
	if feed1.Header().Get("ETag") != feed2.Header().Get("ETag") || feed1.Body.String() != feed2.Body.String() {
		t.Error("the feed changed though its entries did not")
	}
	if got := serve(h, "GET", "/maintainers/alice", "If-None-Match", page1.Header().Get("ETag")); got.Code != 200 {
		t.Errorf("a stale ETag answered %d", got.Code)
	}
}

func TestHandlerUnavailable(t *testing.T) {
	tests := []struct {
		name   string
		latest func() (*Site, error)
		code   int
	}{
		{"no site yet", func() (*Site, error) { return nil, nil }, 503},
		{"an error", func() (*Site, error) { return nil, errors.New("no cycle yet") }, 503},
		{"an invalid site", func() (*Site, error) { return &Site{}, nil }, 500},
	}
	for _, tt := range tests {
		if rec := serve(Handler(tt.latest), "GET", "/"); rec.Code != tt.code {
			t.Errorf("%s: %d, want %d", tt.name, rec.Code, tt.code)
		}
	}
}

// TestHandlerConcurrent: many requests at once, as the site changes
// (run with -race).
func TestHandlerConcurrent(t *testing.T) {
	sites := []*Site{sampleSite(t), sampleSite(t)}
	var mu sync.Mutex
	n := 0
	h := Handler(func() (*Site, error) { mu.Lock(); defer mu.Unlock(); n++; return sites[n%2], nil })
	paths := []string{"/", "/maintainers/alice", "/maintainers/alice.atom", "/teams/gnome", "/jobsets/nixpkgs/unstable", "/maintainers/"}
	want := map[string]string{}
	for _, p := range paths {
		want[p] = serve(h, "GET", p).Body.String()
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 30 {
				p := paths[(i+j)%len(paths)]
				if got := serve(h, "GET", p).Body.String(); got != want[p] {
					t.Errorf("%s differs", p)
				}
			}
		}()
	}
	wg.Wait()
}
