package hydratest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const descriptiveUA = "markbot/1.2 (+https://github.com/nixpkgs-markbot/markbot; ops@example.org)"

// fakeClock is a clock that moves only when told; Sleep records the wait
// and returns at once.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	return nil
}
func (c *fakeClock) takeSleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sleeps
	c.sleeps = nil
	return s
}

// serve asks h directly (no network), as client addr with user agent ua.
func serve(h http.Handler, path, ua, addr, accept string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("User-Agent", ua)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	req.RemoteAddr = addr + ":40000"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestFrontEndDecoy(t *testing.T) {
	fe := HydraNixosOrg(New(comparedScenario()), FrontEndOptions{NoRateLimit: true})
	for _, c := range []struct {
		ua    string
		decoy bool
	}{
		{"", true},
		{"   ", true},
		{"Go-http-client/1.1", true},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", true},
		{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/149.0.0.0 Safari/537.36", false},
		{"Mozilla/5.0 (Linux; Android 7.1.2; Pixel) AppleWebKit/537.36 (KHTML, like Gecko) Safari/537.36", true},
		{"Mozilla/5.0 (Linux; Android 12.1; Pixel) AppleWebKit/537.36 (KHTML, like Gecko) Safari/537.36", true},
		// "Android 12." needs the dot: a bare major version is not matched.
		{"Mozilla/5.0 (Linux; Android 12; Pixel) AppleWebKit/537.36 (KHTML, like Gecko) Safari/537.36", false},
		{"Mozilla/5.0 (Linux; Android 13.0; Pixel) AppleWebKit/537.36 (KHTML, like Gecko) Safari/537.36", false},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:139.0) Gecko/20100101 Firefox/139.0", true},
		{"Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0", false}, // the ESR is spared
		{"Mozilla/5.0 (X11; Linux x86_64; rv:150.0) Gecko/20100101 Firefox/150.0", true},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 14_8 like Mac OS X) AppleWebKit/605.1.15 CriOS/142.0 Mobile", true},
		{"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 FxiOS/150.0 Mobile", true},
		{"Mozilla/5.0 (Windows NT 6.1; Win64; x64) Gecko/20100101", true},
		{"Mozilla/5.0 (Windows NT 10.0; Win64; x64) Gecko/20100101", false},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_6) AppleWebKit/605.1.15 Version/14.1 Safari/605.1.15", true},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.9; rv:40.0) Gecko/20100101", true},
		{"Mozilla/5.0 (Macintosh; Intel Mac OS X 13_1) AppleWebKit/605.1.15 Safari/605.1.15", true},
		{"Mozilla/5.0 (iPod; U; CPU iPhone OS 4_3_3 like Mac OS X)", true},
		{"Opera/9.80 (X11; Linux x86_64) Presto/2.12.388 Version/12.16", true},
		{"Mozilla/5.0 (compatible; MSIE 9.0; Trident/5.0)", true},
		{"Mozilla/4.0 (compatible; MSIE 6.0; Windows CE; IEMobile 7.11)", true},
		{"efx-scanner/3.0", true},
		{descriptiveUA, false},
		{"curl/8.5.0", false},
	} {
		for _, accept := range []string{"application/json", ""} {
			rec := serve(fe, "/eval/101", c.ua, "192.0.2.1", accept)
			body := rec.Body.String()
			isDecoy := !strings.Contains(body, "tab-pane") && !strings.HasPrefix(body, "{")
			if isDecoy != c.decoy || rec.Code != 200 {
				t.Errorf("%q (Accept %q): %d, decoy %v, want %v", c.ua, accept, rec.Code, isDecoy, c.decoy)
			}
			if c.decoy && (rec.Header().Get("Content-Type") != "text/html; charset=utf-8" || strings.Count(body, `<a href="/`) < 5 || strings.Contains(body, "Hydra")) {
				t.Errorf("%q: decoy %s %.200s", c.ua, rec.Header().Get("Content-Type"), body)
			}
		}
	}
	a1 := serve(fe, "/build/13", "", "192.0.2.1", "").Body.String()
	a2 := serve(fe, "/build/13", "Go-http-client/1.1", "192.0.2.9", "").Body.String()
	b := serve(fe, "/build/14", "", "192.0.2.1", "").Body.String()
	if a1 != a2 || a1 == b {
		t.Error("the decoy is not a function of the path")
	}
	if st := fe.Stats(); st.Decoys == 0 || st.Passed == 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestFrontEndRobots(t *testing.T) {
	fe := HydraNixosOrg(New(comparedScenario()), FrontEndOptions{})
	for _, ua := range []string{"", "Go-http-client/1.1", descriptiveUA} {
		rec := serve(fe, "/robots.txt", ua, "192.0.2.1", "")
		if rec.Code != 200 || rec.Body.String() != "User-agent: *\nDisallow: /\nAllow: /$\n" || rec.Header().Get("Content-Type") != "text/plain" {
			t.Errorf("%q: %d %q", ua, rec.Code, rec.Body)
		}
	}
}

// TestFrontEndLimitReq: nginx's leaky bucket, on a fake clock.
func TestFrontEndLimitReq(t *testing.T) {
	for _, c := range []struct {
		name string
		opts FrontEndOptions
		step time.Duration // the delay each excess request adds
	}{
		{"hydra.nixos.org", FrontEndOptions{}, 500 * time.Millisecond},
		{"scaled", FrontEndOptions{Rate: 200, Burst: 7}, 5 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			clock := &fakeClock{now: time.Unix(1770000000, 0)}
			c.opts.Now, c.opts.Sleep = clock.Now, clock.Sleep
			fe := HydraNixosOrg(New(comparedScenario()), c.opts)
			// Nine requests at one instant: the first passes, the next seven
			// wait one step more each, the ninth is beyond the burst.
			for i := 0; i < 9; i++ {
				rec := serve(fe, "/build/13", descriptiveUA, "192.0.2.1", "application/json")
				if i < 8 && rec.Code != 200 {
					t.Fatalf("request %d: %d", i+1, rec.Code)
				}
				if i == 8 {
					if rec.Code != 429 || rec.Header().Get("Retry-After") != "" ||
						!strings.Contains(rec.Body.String(), "<center><h1>429 Too Many Requests</h1></center>\r\n<hr><center>nginx</center>") {
						t.Fatalf("request 9: %d %v %q", rec.Code, rec.Header(), rec.Body)
					}
				}
			}
			sleeps := clock.takeSleeps()
			if len(sleeps) != 7 {
				t.Fatalf("delays %v", sleeps)
			}
			for i, d := range sleeps {
				if d != time.Duration(i+1)*c.step {
					t.Errorf("delay %d: %v, want %v", i+2, d, time.Duration(i+1)*c.step)
				}
			}
			// Another client has its own bucket.
			if rec := serve(fe, "/build/13", descriptiveUA, "192.0.2.2", "application/json"); rec.Code != 200 || len(clock.takeSleeps()) != 0 {
				t.Errorf("second client: %d", rec.Code)
			}
			// Two steps later two requests' worth has drained (a step is one
			// request at the rate): with the next request the excess is six,
			// so two more get through, waiting six and seven steps, and the
			// one after is rejected.
			clock.Advance(2 * c.step)
			for i := 0; i < 2; i++ {
				if rec := serve(fe, "/build/13", descriptiveUA, "192.0.2.1", ""); rec.Code != 200 {
					t.Errorf("after draining: %d", rec.Code)
				}
			}
			if s := clock.takeSleeps(); len(s) != 2 || s[0] != 6*c.step || s[1] != 7*c.step {
				t.Errorf("after draining: delays %v, want [%v %v]", s, 6*c.step, 7*c.step)
			}
			if rec := serve(fe, "/build/13", descriptiveUA, "192.0.2.1", ""); rec.Code != 429 {
				t.Errorf("full again: %d", rec.Code)
			}
			// Decoys and robots.txt are not rate-limited.
			for i := 0; i < 20; i++ {
				if rec := serve(fe, "/build/13", "Go-http-client/1.1", "192.0.2.1", ""); rec.Code != 200 {
					t.Fatalf("decoy %d: %d", i, rec.Code)
				}
				if rec := serve(fe, "/robots.txt", descriptiveUA, "192.0.2.1", ""); rec.Code != 200 {
					t.Fatalf("robots %d: %d", i, rec.Code)
				}
			}
			// Once drained, a request passes at once.
			clock.Advance(time.Hour)
			if rec := serve(fe, "/build/13", descriptiveUA, "192.0.2.1", ""); rec.Code != 200 || len(clock.takeSleeps()) != 0 {
				t.Errorf("drained: %d", rec.Code)
			}
			st := fe.Stats()
			if st.TooManyRequests != 2 || st.Delayed != 9 || st.Delay != 41*c.step {
				t.Errorf("stats: %d 429s, %d delayed (%v)", st.TooManyRequests, st.Delayed, st.Delay)
			}
		})
	}
}

func bigStatic(n int) *Static {
	s := NewStatic("nixpkgs", "unstable")
	var bigs, smalls []*Build
	for i := 0; i < n; i++ {
		bigs = append(bigs, bs(int64(1000+i), fmt.Sprintf("p%d.x86_64-linux", i), 0, 100))
	}
	for i := 0; i < 10; i++ {
		smalls = append(smalls, bigs[i])
	}
	s.AddEval(1, 1000, smalls...)
	s.AddEval(2, 2000, bigs...)
	return s
}

func TestFrontEndProxyTimeout(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1770000000, 0)}
	opts := FrontEndOptions{NoRateLimit: true, BuildCost: time.Second, TimeScale: 0.5, Now: clock.Now, Sleep: clock.Sleep}
	f := New(bigStatic(901))
	for _, h := range []http.Handler{f, Multi(New(NewStatic("nixpkgs", "staging")), f), NewFaults(f)} {
		fe := HydraNixosOrg(h, opts)
		rec := serve(fe, "/eval/2/builds", descriptiveUA, "192.0.2.1", "application/json")
		if rec.Code != 504 || !strings.Contains(rec.Body.String(), "<head><title>504 Gateway Time-out</title></head>") {
			t.Errorf("%T: large evaluation: %d %q", h, rec.Code, rec.Body)
		}
		if s := clock.takeSleeps(); len(s) != 1 || s[0] != 450*time.Second {
			t.Errorf("%T: waited %v, want 450s", h, s)
		}
		if rec := serve(fe, "/eval/1/builds", descriptiveUA, "192.0.2.1", "application/json"); rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), "[{") {
			t.Errorf("%T: small evaluation: %d", h, rec.Code)
		}
		// Other endpoints of the large evaluation are not slowed.
		if rec := serve(fe, "/eval/2", descriptiveUA, "192.0.2.1", "application/json"); rec.Code != 200 {
			t.Errorf("%T: /eval/2: %d", h, rec.Code)
		}
		if rec := serve(fe, "/eval/2?full=1", descriptiveUA, "192.0.2.1", ""); rec.Code != 200 || !strings.Contains(rec.Body.String(), "Still Succeeding Jobs (10)") {
			t.Errorf("%T: the page: %d", h, rec.Code)
		}
		if len(clock.takeSleeps()) != 0 {
			t.Errorf("%T: other requests waited", h)
		}
		if st := fe.Stats(); st.GatewayTimeouts != 1 {
			t.Errorf("%T: %d 504s", h, st.GatewayTimeouts)
		}
	}
	// With the real costs: 36 000 builds take 900 s.
	for _, c := range []struct {
		packages int
		code     int
	}{{2000, 200}, {12000, 504}} {
		cfg := DefaultGenConfig()
		cfg.Packages, cfg.Evals = c.packages, 2
		g := Generate(cfg)
		fe := HydraNixosOrg(New(g), FrontEndOptions{})
		req := httptest.NewRequest("GET", fmt.Sprintf("/eval/%d/builds", g.Evals()[0].ID), nil)
		req.Header.Set("User-Agent", descriptiveUA)
		d := &discardWriter{}
		fe.ServeHTTP(d, req)
		if d.code == 0 {
			d.code = 200
		}
		if d.code != c.code {
			t.Errorf("%d packages (%d jobs): %d, want %d", c.packages, g.Jobs(), d.code, c.code)
		}
	}
}

func TestFrontEndStats(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1770000000, 0)}
	fe := HydraNixosOrg(New(comparedScenario()), FrontEndOptions{Now: clock.Now, Sleep: clock.Sleep})
	srv := httptest.NewServer(fe)
	defer srv.Close()
	var pageBytes int64
	for _, c := range []struct{ path, ua, accept string }{
		{"/eval/101", descriptiveUA, ""},
		{"/eval/101", descriptiveUA, "application/json"},
		{"/eval/101/builds", descriptiveUA, "application/json"},
		{"/eval/100/job/a.x86_64-linux", descriptiveUA, "application/json"},
		{"/build/13", descriptiveUA, "application/json"},
		{"/eval/100", "", ""},
		{"/robots.txt", "", ""},
	} {
		req, _ := http.NewRequest("GET", srv.URL+c.path, nil)
		req.Header.Set("User-Agent", c.ua)
		req.Header.Set("Accept-Encoding", "identity") // bytes as counted (compress_test.go compresses)
		if c.accept != "" {
			req.Header.Set("Accept", c.accept)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if c.path == "/eval/101" {
			pageBytes += n
		}
		if resp.Header.Get("Server") != "nginx" {
			t.Errorf("%s: Server %q", c.path, resp.Header.Get("Server"))
		}
	}
	st := fe.Stats()
	for kind, n := range map[string]int{"eval": 3, "eval/builds": 1, "eval/job": 1, "build": 1, "robots.txt": 1} {
		if st.Requests[kind] != n {
			t.Errorf("requests %s: %d, want %d (%v)", kind, st.Requests[kind], n, st.Requests)
		}
	}
	if st.Decoys != 1 || st.Passed != 5 || st.Evals[101].Requests != 3 || st.Evals[100].Requests != 2 {
		t.Errorf("stats %+v", st)
	}
	var sum int64
	for _, b := range st.Bytes {
		sum += b
	}
	if sum != st.BytesTotal || st.Evals[101].Bytes <= pageBytes || st.Bytes["robots.txt"] != int64(len(RobotsTxt)) {
		t.Errorf("bytes %v total %d, eval 101 %d (pages %d)", st.Bytes, st.BytesTotal, st.Evals[101].Bytes, pageBytes)
	}
}
