package hydra_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
	"github.com/nixpkgs-markbot/markbot/internal/version"
)

func quietLogger() *logrus.Logger {
	l := logrus.New()
	l.SetOutput(io.Discard)
	return l
}

// testOptions are fast: no real rate limit, millisecond backoffs.
func testOptions(base string) hydra.Options {
	return hydra.Options{
		BaseURL: base, Rate: 1000, Burst: 10,
		MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, MaxRetryAfter: 2 * time.Second,
		IdleTimeout: 2 * time.Second, MaxAttempts: 4, Logger: quietLogger(),
	}
}

func newClient(t *testing.T, base string, mod ...func(*hydra.Options)) *hydra.Client {
	t.Helper()
	o := testOptions(base)
	for _, m := range mod {
		m(&o)
	}
	c, err := hydra.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const drvA = "0a1b2c3d4f5g6h7i8j9k0l1m2n3p4q5r"
const drvB = "1a1b2c3d4f5g6h7i8j9k0l1m2n3p4q5r"

// smallScenario: three evaluations of two jobs; build 11 is reused.
func smallScenario() *hydratest.Static {
	s := hydratest.NewStatic("nixpkgs", "unstable")
	b10 := hydratest.B(10, "hello.x86_64-linux", "x86_64-linux", 0, drvA+"-hello-2.12", 1000, 1100)
	b11 := hydratest.B(11, "foo.aarch64-linux", "aarch64-linux", 1, drvB+"-foo-1.0", 1000, 1300)
	b11.Log = "line 1\nline 2\nerror: builder failed\n"
	b12 := hydratest.B(12, "hello.x86_64-linux", "x86_64-linux", 0, "2a1b2c3d4f5g6h7i8j9k0l1m2n3p4q5r-hello-2.13", 2000, 2100)
	s.AddEval(100, 1000, b10, b11)
	s.AddEval(101, 2000, b12, b11)
	s.AddEval(102, 3000, b12, b11)
	return s
}

func serve(t *testing.T, s hydratest.Scenario) (*hydratest.Fake, string) {
	t.Helper()
	f := hydratest.New(s)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

func TestRequestsIdentifyThemselves(t *testing.T) {
	f, url := serve(t, smallScenario())
	c := newClient(t, url)
	if _, err := c.Build(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	if got := f.UserAgents(); got[version.UserAgent()] != 1 || len(got) != 1 {
		t.Errorf("user agents = %v, want only %q", got, version.UserAgent())
	}
	if !strings.Contains(version.UserAgent(), version.ProjectURL) {
		t.Errorf("user agent %q lacks the project URL", version.UserAgent())
	}
	// What hydra.nixos.org's front end does to Go's default User-Agent (a
	// decoy page) is tested against hydratest's FrontEnd in frontend_test.go.
}

func TestBuild(t *testing.T) {
	_, url := serve(t, smallScenario())
	c := newClient(t, url)
	b, err := c.Build(context.Background(), 11)
	if err != nil {
		t.Fatal(err)
	}
	if b.Job != "foo.aarch64-linux" || b.Status() != hydra.StatusFailed || !bool(b.Finished) ||
		b.DrvPath != "/nix/store/"+drvB+"-foo-1.0.drv" || fmt.Sprint(b.JobsetEvals) != "[100 101 102]" {
		t.Errorf("build 11 = %+v", b)
	}
	_, err = c.Build(context.Background(), 5)
	if !hydra.IsNotFound(err) || !strings.Contains(err.Error(), "Build with ID 5 doesn't exist.") ||
		!strings.Contains(err.Error(), url+"/build/5") {
		t.Errorf("missing build: err = %v, want Hydra's 404 message with the URL", err)
	}
}

func TestEvalsFollowsPages(t *testing.T) {
	s := hydratest.NewStatic("nixpkgs", "unstable")
	for i := int64(1); i <= 45; i++ {
		s.AddEval(1000+i, 10000+i, hydratest.B(i, "a.x86_64-linux", "x86_64-linux", 0, drvA+"-a", 1, 2))
	}
	tests := []struct {
		n, want, pages int
	}{
		{n: 5, want: 5, pages: 1},
		{n: 20, want: 20, pages: 1},
		{n: 21, want: 21, pages: 2},
		{n: 45, want: 45, pages: 3},
		{n: 100, want: 45, pages: 3}, // the last page has no "next"
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			f, url := serve(t, s)
			c := newClient(t, url)
			evals, err := c.Evals(context.Background(), "nixpkgs", "unstable", tt.n)
			if err != nil {
				t.Fatal(err)
			}
			if len(evals) != tt.want {
				t.Fatalf("got %d evaluations, want %d", len(evals), tt.want)
			}
			for i, e := range evals {
				if e.ID != 1045-int64(i) {
					t.Fatalf("evals[%d] = %d, want newest first", i, e.ID)
				}
			}
			if h := f.Hits("/jobset/nixpkgs/unstable/evals"); h != tt.pages {
				t.Errorf("%d page requests, want %d", h, tt.pages)
			}
		})
	}
	_, url := serve(t, s)
	_, err := newClient(t, url).Evals(context.Background(), "nixpkgs", "nope", 1)
	if !hydra.IsNotFound(err) {
		t.Errorf("unknown jobset: err = %v, want 404", err)
	}
}

func TestLatestEvalAndEval(t *testing.T) {
	s := smallScenario()
	s.AddEval(103, 4000, hydratest.B(13, "bar.x86_64-linux", "x86_64-linux", -1, drvA+"-bar", 0, 0))
	_, url := serve(t, s)
	c := newClient(t, url)
	e, err := c.LatestEval(context.Background(), "nixpkgs", "unstable")
	if err != nil {
		t.Fatal(err)
	}
	if e.ID != 102 || e.Timestamp != 3000 || !bool(e.HasNewBuilds) || e.Inputs["nixpkgs"].Revision == nil {
		t.Errorf("latest finished evaluation = %+v, want 102 (103 is still building)", e)
	}
	if e, err := c.Eval(context.Background(), 101); err != nil || e.ID != 101 {
		t.Errorf("Eval(101) = %+v, %v", e, err)
	}
	if _, err := c.Eval(context.Background(), 7); !hydra.IsNotFound(err) || !strings.Contains(err.Error(), "Evaluation 7 doesn't exist.") {
		t.Errorf("Eval(7): %v", err)
	}
}

func TestEachBuild(t *testing.T) {
	_, url := serve(t, smallScenario())
	c := newClient(t, url)
	var jobs []string
	err := c.EachBuild(context.Background(), 101, func(b *hydra.Build) error {
		jobs = append(jobs, fmt.Sprintf("%d:%s:%s", b.ID, b.Job, b.Status()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(jobs, " "); got != "12:hello.x86_64-linux:succeeded 11:foo.aarch64-linux:failed" {
		t.Errorf("builds = %s", got)
	}
	stop := 0
	err = c.EachBuild(context.Background(), 101, func(*hydra.Build) error { stop++; return hydra.ErrStop })
	if err != nil || stop != 1 {
		t.Errorf("ErrStop: err %v after %d builds, want nil after 1", err, stop)
	}
	mine := errors.New("mine")
	if err := c.EachBuild(context.Background(), 101, func(*hydra.Build) error { return mine }); !errors.Is(err, mine) {
		t.Errorf("callback error came back as %v", err)
	}
}

// readModes are the two ways of reading an evaluation, with the path (as
// faults are injected) and the URL (as errors name it) each reads.
var readModes = []struct {
	mode      hydra.ReadMode
	path, url string
}{
	{hydra.ReadPage, "/eval/101", "/eval/101?full=1"},
	{hydra.ReadBuilds, "/eval/101/builds", "/eval/101/builds"},
}

// Transient faults are retried and the evaluation is cached in the end.
func TestIngestRetriesTransientFaults(t *testing.T) {
	for _, rm := range readModes {
		t.Run(string(rm.mode), func(t *testing.T) { testIngestRetriesTransientFaults(t, rm.mode, rm.path) })
	}
}

func testIngestRetriesTransientFaults(t *testing.T, mode hydra.ReadMode, path string) {
	tests := []struct {
		name  string
		fault hydratest.Fault
		opt   func(*hydra.Options)
		hits  int
	}{
		{"500 twice", hydratest.Fault{Kind: hydratest.FaultStatus, Times: 2}, nil, 3},
		{"503 once", hydratest.Fault{Kind: hydratest.FaultStatus, Status: 503}, nil, 2},
		{"429 with Retry-After 0", hydratest.Fault{Kind: hydratest.FaultRateLimit, Times: 2}, nil, 3},
		{"connection reset", hydratest.Fault{Kind: hydratest.FaultReset}, nil, 2},
		{"truncated body", hydratest.Fault{Kind: hydratest.FaultTruncate, After: 150}, nil, 2},
		{"slow answer beyond the header timeout", hydratest.Fault{Kind: hydratest.FaultSlow, Delay: 500 * time.Millisecond},
			func(o *hydra.Options) {
				o.Transport = &http.Transport{ResponseHeaderTimeout: 100 * time.Millisecond, DisableCompression: true}
			}, 2},
		{"stall inside the body", hydratest.Fault{Kind: hydratest.FaultStall, After: 100, Delay: time.Second},
			func(o *hydra.Options) { o.IdleTimeout = 100 * time.Millisecond }, 2},
		{"slow answer within the timeouts", hydratest.Fault{Kind: hydratest.FaultSlow, Delay: 50 * time.Millisecond}, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, url := serve(t, smallScenario())
			f.Inject(path, tt.fault)
			var mods []func(*hydra.Options)
			if tt.opt != nil {
				mods = append(mods, tt.opt)
			}
			mods = append(mods, func(o *hydra.Options) { o.Read = mode })
			c := newClient(t, url, mods...)
			cache, err := hydra.OpenCache(t.TempDir(), url)
			if err != nil {
				t.Fatal(err)
			}
			cached, err := c.Ingest(context.Background(), cache, hydra.Eval{ID: 101, Timestamp: 2000, Members: 2})
			if err != nil || cached {
				t.Fatalf("Ingest = %v, %v; want fetched without error", cached, err)
			}
			if h := f.Hits(path); h != tt.hits {
				t.Errorf("%d requests, want %d", h, tt.hits)
			}
			er, err := cache.Load(101, nil)
			if err != nil {
				t.Fatal(err)
			}
			// The page lists rows by tab, the builds endpoint by id.
			slices.SortFunc(er.Records, func(a, b hydra.Record) int { return cmp.Compare(a.Build, b.Build) })
			if len(er.Records) != 2 || er.Records[0].Build != 11 || er.Records[0].Status != hydra.StatusFailed || er.Records[0].Stop != 1300 {
				t.Errorf("cached records = %+v", er.Records)
			}
			// A finished evaluation is never fetched twice.
			if cached, err := c.Ingest(context.Background(), cache, hydra.Eval{ID: 101}); err != nil || !cached {
				t.Errorf("second Ingest = %v, %v; want from the cache", cached, err)
			}
			if h := f.Hits(path); h != tt.hits {
				t.Errorf("the second Ingest fetched again (%d requests)", h)
			}
		})
	}
}

// Faults that persist, or answers that are nonsense, give an error naming
// the URL and leave nothing in the cache.
func TestIngestFailsClearly(t *testing.T) {
	for _, rm := range readModes {
		t.Run(string(rm.mode), func(t *testing.T) { testIngestFailsClearly(t, rm.mode, rm.path, rm.url) })
	}
}

func testIngestFailsClearly(t *testing.T, mode hydra.ReadMode, path, upath string) {
	wrongHTML, wrongJSON := "not JSON", "unexpected JSON"
	if mode == hydra.ReadPage {
		wrongHTML, wrongJSON = "not a Hydra evaluation page", "not the evaluation page (HTML)"
	}
	tests := []struct {
		name  string
		fault hydratest.Fault
		want  string
		hits  int
	}{
		{"HTML of another kind", hydratest.Fault{Kind: hydratest.FaultHTML}, wrongHTML, 1},
		{"JSON", hydratest.Fault{Kind: hydratest.FaultInvalidJSON}, wrongJSON, 1},
		{"truncated every time", hydratest.Fault{Kind: hydratest.FaultTruncate, After: 150, Times: 100}, "unexpected EOF", 4},
		{"500 every time", hydratest.Fault{Kind: hydratest.FaultStatus, Times: 100}, "500 Internal Server Error", 4},
		{"404", hydratest.Fault{Kind: hydratest.FaultStatus, Status: 404}, "404 Not Found", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, url := serve(t, smallScenario())
			f.Inject(path, tt.fault)
			c := newClient(t, url, func(o *hydra.Options) { o.Read = mode })
			dir := t.TempDir()
			cache, err := hydra.OpenCache(dir, url)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Ingest(context.Background(), cache, hydra.Eval{ID: 101})
			if err == nil || !strings.Contains(err.Error(), url+upath) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want one naming %s and saying %q", err, url+upath, tt.want)
			}
			if h := f.Hits(path); h != tt.hits {
				t.Errorf("%d requests, want %d", h, tt.hits)
			}
			if cache.Has(101) {
				t.Error("a failed fetch was cached")
			}
			if left, _ := filepath.Glob(filepath.Join(cache.Dir(), "*")); len(left) != 0 {
				t.Errorf("files left behind: %v", left)
			}
		})
	}
}

func TestInvalidJSON(t *testing.T) {
	f, url := serve(t, smallScenario())
	f.Inject("/jobset/nixpkgs/unstable/evals", hydratest.Fault{Kind: hydratest.FaultInvalidJSON})
	f.Inject("/build/10", hydratest.Fault{Kind: hydratest.FaultHTML})
	c := newClient(t, url)
	_, err := c.Evals(context.Background(), "nixpkgs", "unstable", 3)
	if err == nil || !strings.Contains(err.Error(), "invalid JSON") || !strings.Contains(err.Error(), url+"/jobset/nixpkgs/unstable/evals") {
		t.Errorf("Evals: err = %v", err)
	}
	_, err = c.Build(context.Background(), 10)
	if err == nil || !strings.Contains(err.Error(), "not JSON") || !strings.Contains(err.Error(), url+"/build/10") {
		t.Errorf("Build: err = %v", err)
	}
	if f.Hits("/jobset/nixpkgs/unstable/evals") != 1 || f.Hits("/build/10") != 1 {
		t.Error("nonsense answers were retried")
	}
}

func TestRateLimitedToTheEnd(t *testing.T) {
	f, url := serve(t, smallScenario())
	f.Inject("/build/10", hydratest.Fault{Kind: hydratest.FaultRateLimit, Times: 10})
	_, err := newClient(t, url).Build(context.Background(), 10)
	if !errors.Is(err, hydra.ErrRateLimited) || !strings.Contains(err.Error(), url+"/build/10") {
		t.Errorf("err = %v, want ErrRateLimited naming the URL", err)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	f, url := serve(t, smallScenario())
	f.Inject("/build/10", hydratest.Fault{Kind: hydratest.FaultRateLimit, RetryAfter: 1})
	start := time.Now()
	if _, err := newClient(t, url).Build(context.Background(), 10); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("retried after %v, before Retry-After: 1", d)
	}
}

func TestClientSideRateLimit(t *testing.T) {
	_, url := serve(t, smallScenario())
	c := newClient(t, url, func(o *hydra.Options) { o.Rate, o.Burst = 20, 1 })
	start := time.Now()
	for i := 0; i < 5; i++ {
		if _, err := c.Build(context.Background(), 10); err != nil {
			t.Fatal(err)
		}
	}
	// 5 requests at 20/s with a burst of 1: at least 4 × 50 ms.
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Errorf("5 requests took %v; the rate limit was not applied", d)
	}
}

func TestUnfinishedEvaluationIsNotCached(t *testing.T) {
	s := smallScenario()
	s.AddEval(103, 4000, hydratest.B(10, "hello.x86_64-linux", "x86_64-linux", 0, drvA+"-hello-2.12", 1000, 1100),
		hydratest.B(13, "bar.x86_64-linux", "x86_64-linux", -1, drvB+"-bar", 0, 0))
	_, url := serve(t, s)
	cache, _ := hydra.OpenCache(t.TempDir(), url)
	_, err := newClient(t, url).Ingest(context.Background(), cache, hydra.Eval{ID: 103})
	var ue *hydra.UnfinishedError
	if !errors.As(err, &ue) || ue.Unfinished != 1 {
		t.Fatalf("err = %v, want UnfinishedError with 1 build", err)
	}
	if cache.Has(103) {
		t.Error("an unfinished evaluation was cached")
	}
}

func TestContextCancelStopsRetries(t *testing.T) {
	f, url := serve(t, smallScenario())
	f.Inject("/build/10", hydratest.Fault{Kind: hydratest.FaultStatus, Times: 100})
	c := newClient(t, url, func(o *hydra.Options) { o.MinBackoff, o.MaxBackoff, o.MaxAttempts = time.Minute, time.Minute, 5 })
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Build(ctx, 10)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("err = %v after %v, want the context's deadline promptly", err, time.Since(start))
	}
}

func TestServerUnderAPathPrefix(t *testing.T) {
	s := hydratest.NewStatic("nixpkgs", "unstable")
	for i := int64(1); i <= 25; i++ {
		b := hydratest.B(i, "a.x86_64-linux", "x86_64-linux", 1, fmt.Sprintf("%032d-a", i), 1, 2)
		b.Log = fmt.Sprintf("log of %d\n", i)
		s.AddEval(1000+i, 10000+i, b)
	}
	f := hydratest.New(s)
	f.Prefix = "/hydra"
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := newClient(t, srv.URL+"/hydra")
	evals, err := c.Evals(context.Background(), "nixpkgs", "unstable", 25)
	if err != nil || len(evals) != 25 {
		t.Fatalf("Evals under a prefix: %d, %v", len(evals), err)
	}
	lines, err := c.LogTail(context.Background(), 7, 5)
	if err != nil || len(lines) != 1 || lines[0] != "log of 7" {
		t.Errorf("LogTail under a prefix = %q, %v", lines, err)
	}
	if got := c.BuildURL(7); got != srv.URL+"/hydra/build/7" {
		t.Errorf("BuildURL = %s", got)
	}
}

func TestLogTail(t *testing.T) {
	s := hydratest.NewStatic("nixpkgs", "unstable")
	var sb strings.Builder
	for i := 1; i <= 5000; i++ {
		fmt.Fprintf(&sb, "line %d\n", i)
	}
	b := hydratest.B(7, "a.x86_64-linux", "x86_64-linux", 1, drvA+"-a-1", 1, 2)
	b.Log = sb.String() + "error: builder failed" // no final newline
	s.AddEval(1, 1, b, hydratest.B(8, "b.x86_64-linux", "x86_64-linux", 2, drvB+"-b-1", 1, 2))
	for _, enc := range []string{"br", "zstd", "gzip", "identity"} {
		t.Run(enc, func(t *testing.T) {
			f, url := serve(t, s)
			f.LogEncoding = enc
			c := newClient(t, url)
			lines, err := c.LogTail(context.Background(), 7, 3)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(lines, "|"); got != "line 4999|line 5000|error: builder failed" {
				t.Errorf("tail = %q", got)
			}
			for _, p := range []string{"/build/7/log/raw", "/log/" + drvA + "-a-1.drv", "/cache/log/" + drvA + "-a-1.drv"} {
				if f.Hits(p) != 1 {
					t.Errorf("%s: %d requests, want 1 (the redirect chain)", p, f.Hits(p))
				}
			}
		})
	}
	_, url := serve(t, s)
	if _, err := newClient(t, url).LogTail(context.Background(), 8, 3); !hydra.IsNotFound(err) {
		t.Errorf("log of a dependency failure: err = %v, want 404", err)
	}
	small := newClient(t, url, func(o *hydra.Options) { o.MaxLogBytes = 1000 })
	if _, err := small.LogTail(context.Background(), 7, 3); !errors.Is(err, hydra.ErrLogTooLarge) {
		t.Errorf("log over the limit: err = %v, want ErrLogTooLarge", err)
	}
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	for _, u := range []string{"ftp://x", "hydra.nixos.org", "http://", "::"} {
		if _, err := hydra.New(hydra.Options{BaseURL: u}); err == nil {
			t.Errorf("New(%q) accepted it", u)
		}
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir.dir != "" {
		os.RemoveAll(benchDir.dir) // generated benchmark inputs
	}
	os.Exit(code)
}
