package hydratest

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// twoJobsets are two fakes for Multi: build 1 and eval 100 are the first
// one's, build 2 and eval 200 the second one's; both builds have a log.
func twoJobsets() (a, b *Fake) {
	b1 := B(1, "a.x86_64-linux", "x86_64-linux", 0, "00000000000000000000000000000001-a", 1, 2)
	b1.Log = strings.Repeat("building a\n", 50)
	sa := NewStatic("nixpkgs", "unstable").AddEval(100, 1000, b1)
	b2 := B(2, "b.x86_64-linux", "x86_64-linux", 1, "00000000000000000000000000000002-b", 1, 2)
	b2.Log = strings.Repeat("building b\n", 50)
	sb := NewStatic("nixpkgs", "staging").AddEval(200, 1000, b2)
	return New(sa), New(sb)
}

// fresh is a client without keep-alive: Go's transport silently retries a
// GET whose reused connection is dropped before an answer, which would hide
// FaultReset.
func fresh() *http.Client {
	return &http.Client{
		Transport:     &http.Transport{DisableKeepAlives: true, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// fetch GETs a URL as JSON; err is the error of the request or of reading
// the body.
func fetch(t *testing.T, url string) (*http.Response, []byte, error) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("User-Agent", "hydratest")
	req.Header.Set("Accept", "application/json")
	resp, err := fresh().Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestFaultsAt(t *testing.T) {
	tests := []struct {
		name  string
		n     int
		fault Fault
		want  []int // statuses of requests 1..len(want); 0: transport error
	}{
		{"status at 3", 3, Fault{Kind: FaultStatus}, []int{200, 200, 500, 200}},
		{"first", 1, Fault{Kind: FaultStatus, Status: 503}, []int{503, 200}},
		{"times", 2, Fault{Kind: FaultRateLimit, Times: 2, RetryAfter: 1}, []int{200, 429, 429, 200}},
		{"reset", 2, Fault{Kind: FaultReset}, []int{200, 0, 200}},
		{"slow", 2, Fault{Kind: FaultSlow, Delay: 50 * time.Millisecond}, []int{200, 200, 200}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := twoJobsets()
			f := NewFaults(Multi(a, b))
			srv := httptest.NewServer(f)
			defer srv.Close()
			var hits atomic.Int32
			ft := tc.fault
			ft.OnHit = func() { hits.Add(1) }
			f.At(tc.n, ft)
			if f.Pending() != 1 {
				t.Fatalf("Pending() = %d before", f.Pending())
			}
			var got []int
			for i := range tc.want {
				path := []string{"/build/1", "/build/2"}[i%2] // both fakes
				resp, _, err := fetch(t, srv.URL+path)
				if err != nil {
					got = append(got, 0)
					continue
				}
				got = append(got, resp.StatusCode)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("statuses %v, want %v", got, tc.want)
			}
			times := max(tc.fault.Times, 1)
			if int(hits.Load()) != times {
				t.Errorf("OnHit called %d times, want %d", hits.Load(), times)
			}
			if f.Requests() != len(tc.want) || f.Pending() != 0 {
				t.Errorf("Requests() = %d, Pending() = %d", f.Requests(), f.Pending())
			}
		})
	}
}

func TestFaultsAtIsFromNow(t *testing.T) {
	a, b := twoJobsets()
	f := NewFaults(Multi(a, b))
	srv := httptest.NewServer(f)
	defer srv.Close()
	fetch(t, srv.URL+"/build/1")
	fetch(t, srv.URL+"/build/1")
	f.At(2, Fault{Kind: FaultStatus, Status: 502})
	f.At(2, Fault{Kind: FaultStatus, Status: 503, Times: 2}) // loses request 4 to the first
	var got []int
	for range 4 {
		resp, _, _ := fetch(t, srv.URL+"/build/2")
		got = append(got, resp.StatusCode)
	}
	if want := []int{200, 502, 503, 200}; !slices.Equal(got, want) || f.Requests() != 6 || f.Pending() != 0 {
		t.Fatalf("statuses %v, want %v; %d requests, %d pending", got, want, f.Requests(), f.Pending())
	}
}

// TestFaultsThroughMulti: faults that cut, stall or drop a body work
// through Multi, whether injected around it or into the fake behind it.
func TestFaultsThroughMulti(t *testing.T) {
	const stall = 500 * time.Millisecond
	tests := []struct {
		name   string
		path   string
		fault  Fault
		inside bool // Inject into the first fake (that Multi streams) rather than Faults.At
		check  func(t *testing.T, full []byte, resp *http.Response, body []byte, err error, headersIn, total time.Duration)
	}{
		{"truncate", "/build/2", Fault{Kind: FaultTruncate, After: 50}, false, truncated},
		{"truncate inside", "/build/1", Fault{Kind: FaultTruncate, After: 50}, true, truncated},
		{"truncate log inside", "/cache/log/00000000000000000000000000000001-a.drv", Fault{Kind: FaultTruncate, After: 10}, true, truncated},
		{"reset", "/build/2", Fault{Kind: FaultReset}, false, reset},
		{"reset inside", "/build/1", Fault{Kind: FaultReset}, true, reset},
		{"stall inside", "/build/1", Fault{Kind: FaultStall, After: 20, Delay: stall}, true,
			func(t *testing.T, full []byte, resp *http.Response, body []byte, err error, headersIn, total time.Duration) {
				if err != nil || string(body) != string(full) {
					t.Fatalf("err %v, body %q, want %q", err, body, full)
				}
				if headersIn > stall/2 || total < stall {
					t.Fatalf("headers after %v, body after %v: the stall was not streamed", headersIn, total)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := twoJobsets()
			f := NewFaults(Multi(a, b))
			srv := httptest.NewServer(f)
			defer srv.Close()
			_, full, err := fetch(t, srv.URL+tc.path)
			if err != nil {
				t.Fatal(err)
			}
			var hits atomic.Int32
			ft := tc.fault
			ft.OnHit = func() { hits.Add(1) }
			if tc.inside {
				a.Inject(tc.path, ft)
			} else {
				f.At(1, ft)
			}
			req, _ := http.NewRequest("GET", srv.URL+tc.path, nil)
			req.Header.Set("User-Agent", "hydratest")
			req.Header.Set("Accept", "application/json")
			start := time.Now()
			resp, err := fresh().Do(req)
			headersIn := time.Since(start)
			var body []byte
			if err == nil {
				body, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			tc.check(t, full, resp, body, err, headersIn, time.Since(start))
			if hits.Load() != 1 {
				t.Errorf("OnHit called %d times", hits.Load())
			}
		})
	}
}

func truncated(t *testing.T, full []byte, resp *http.Response, body []byte, err error, _, _ time.Duration) {
	t.Helper()
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want unexpected EOF", err)
	}
	if resp.StatusCode != 200 || len(body) == 0 || len(body) >= len(full) || string(full[:len(body)]) != string(body) {
		t.Fatalf("status %d, body %q: want a prefix of %q", resp.StatusCode, body, full)
	}
}

func reset(t *testing.T, _ []byte, resp *http.Response, _ []byte, err error, _, _ time.Duration) {
	t.Helper()
	if err == nil || resp != nil {
		t.Fatalf("err = %v, want a transport error", err)
	}
}

// TestMultiPassesThrough: what either fake answers arrives through Multi as
// it does from the fake alone.
func TestMultiPassesThrough(t *testing.T) {
	a, b := twoJobsets()
	multi := httptest.NewServer(Multi(a, b))
	defer multi.Close()
	a2, b2 := twoJobsets()
	aloneA, aloneB := httptest.NewServer(a2), httptest.NewServer(b2)
	defer aloneA.Close()
	defer aloneB.Close()
	for _, tc := range []struct {
		path  string
		alone *httptest.Server
	}{
		{"/build/1", aloneA}, {"/eval/100/builds", aloneA}, {"/jobset/nixpkgs/unstable/latest-eval", aloneA},
		{"/cache/log/00000000000000000000000000000001-a.drv", aloneA},
		{"/build/2", aloneB}, {"/eval/200", aloneB}, {"/eval/200/builds", aloneB}, {"/jobset/nixpkgs/staging/evals", aloneB},
		{"/build/2/log/raw", aloneB}, {"/log/00000000000000000000000000000002-b.drv", aloneB},
		{"/cache/log/00000000000000000000000000000002-b.drv", aloneB}, {"/build/3", aloneB},
	} {
		path, alone := tc.path, tc.alone
		t.Run(path, func(t *testing.T) {
			want, wantBody, err := fetch(t, alone.URL+path)
			if err != nil {
				t.Fatal(err)
			}
			got, gotBody, err := fetch(t, multi.URL+path)
			if err != nil {
				t.Fatal(err)
			}
			host := strings.NewReplacer(multi.URL, "", alone.URL, "") // redirects name the host
			if got.StatusCode != want.StatusCode || host.Replace(string(gotBody)) != host.Replace(string(wantBody)) {
				t.Fatalf("%d %q, want %d %q", got.StatusCode, gotBody, want.StatusCode, wantBody)
			}
			for _, h := range []http.Header{got.Header, want.Header} {
				h.Del("Date")
				if loc := h.Get("Location"); loc != "" {
					h.Set("Location", host.Replace(loc))
				}
			}
			if !equalHeaders(got.Header, want.Header) {
				t.Fatalf("headers %v, want %v", got.Header, want.Header)
			}
		})
	}
}

func equalHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}
