package report

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Scale: four watched jobsets at nixpkgs scale, ~5000 persistent failures
// each, ~4000 logins and ~150 teams, generated deterministically.
const (
	benchJobsets  = 4
	benchFailures = 5000
	benchLogins   = 4000
	benchTeams    = 150
)

var benchSystems = []string{"x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"}

// bigSite makes the site: attribute sets shaped like nixpkgs' (package
// sets, long names), a few maintainers with hundreds of packages and most
// with a handful (a Zipf law), a third of the packages with a team, and
// most failures shared by several jobsets.
func bigSite(tb testing.TB) *Site {
	tb.Helper()
	r := rand.New(rand.NewPCG(14, 3))
	zipf := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), 1.1, 8, benchLogins-1)
	gen := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	site := &Site{Generated: gen, BaseURL: "https://nixpkgs-markbot.github.io/report/"}
	for i, name := range []string{"unstable", "staging-next", "release-25.11", "release-25.05"}[:benchJobsets] {
		role := RoleReport
		if i == 0 {
			role = RoleMark
		}
		site.Jobsets = append(site.Jobsets, Jobset{Hydra: hydraURL, Project: "nixpkgs", Name: name, Role: role,
			Eval: 1810000 + int64(i), EvalTime: gen.Add(-time.Hour), Revision: fmt.Sprintf("%040x", i+1), Jobs: 250000})
	}
	for i := range benchLogins {
		site.Maintainers = append(site.Maintainers, Maintainer{Login: fmt.Sprintf("maint-%04d", i), Name: fmt.Sprintf("Maintainer Number %d", i)})
	}
	for i := range benchTeams {
		t := Team{Slug: fmt.Sprintf("team-%03d", i), Name: fmt.Sprintf("Team %d", i)}
		for range 3 + r.IntN(10) {
			t.Members = append(t.Members, site.Maintainers[r.IntN(benchLogins)].Login)
		}
		site.Teams = append(site.Teams, t)
	}
	sets := []string{"", "python313Packages.", "python312Packages.", "haskellPackages.", "perlPackages.", "rPackages.", "ocamlPackages.", "nodePackages."}
	// A pool of 8000 attributes; each jobset fails on 5000 of them.
	pool := make([]Failure, 8000)
	for i := range pool {
		attr := fmt.Sprintf("%spackage-with-a-longish-name-%05d", sets[r.IntN(len(sets))], i)
		f := Failure{Attr: attr, Name: fmt.Sprintf("package-with-a-longish-name-%05d-%d.%d.%d", i, r.IntN(5), r.IntN(20), r.IntN(10)),
			Since: gen.Add(-time.Duration(1+r.IntN(90*24)) * time.Hour)}
		for _, s := range benchSystems {
			if r.IntN(3) == 0 || len(f.Systems) == 0 && s == "aarch64-darwin" {
				f.Systems = append(f.Systems, s)
			}
		}
		for j := range r.IntN(4) {
			f.Maintainers = append(f.Maintainers, site.Maintainers[(int(zipf.Uint64())+j*977)%benchLogins].Login)
		}
		if r.IntN(3) == 0 {
			f.Teams = []string{site.Teams[r.IntN(benchTeams)].Slug}
		}
		if r.IntN(2) == 0 {
			f.BrokeBetween = NewRange(fmt.Sprintf("%040x", r.Uint64()), fmt.Sprintf("%040x", r.Uint64()), r.IntN(3000))
		}
		if r.IntN(5) == 0 {
			n := 300000 + r.IntN(10000)
			f.PR = &PRRef{Number: n, URL: fmt.Sprintf("https://github.com/NixOS/nixpkgs/pull/%d", n), Kind: "mark", State: "open"}
			f.Marker = &MarkerRef{State: "proposed"}
		}
		pool[i] = f
	}
	for ji, js := range site.Jobsets {
		for _, k := range r.Perm(len(pool))[:benchFailures] {
			f := pool[k]
			f.Jobset = js.Key()
			f.Systems = slices.Clone(f.Systems)
			f.Builds = nil
			for si, s := range f.Systems {
				f.Builds = append(f.Builds, HydraBuild(hydraURL, s, int64(310000000+ji*1000000+k*4+si)))
			}
			site.Failures = append(site.Failures, f)
		}
	}
	site.Feed = Track(nil, site, gen)
	if err := site.Validate(); err != nil {
		tb.Fatal(err)
	}
	return site
}

func dirSize(tb testing.TB, dir string) (files int, bytes int64) {
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			files++
			bytes += fi.Size()
		}
		return nil
	})
	return
}

// cpuTime is the process's CPU time so far (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRenderSite renders every page and feed in memory, on every
// core, without writing: the cost of markbot's own code.
//
//	go test ./internal/report -run XXX -bench RenderSite -benchtime 3x
func BenchmarkRenderSite(b *testing.B) {
	site := bigSite(b)
	c0 := cpuTime()
	b.ResetTimer()
	var total int64
	for range b.N {
		v := newView(site)
		files := v.files()
		var n atomic.Int64
		work := make(chan *siteFile)
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for f := range work {
					body, err := f.render()
					if err != nil {
						b.Error(err)
					}
					n.Add(int64(len(body)))
				}
			}()
		}
		for i := range files {
			work <- &files[i]
		}
		close(work)
		wg.Wait()
		total = n.Load()
	}
	b.StopTimer()
	b.ReportMetric((cpuTime()-c0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(total)/1e6, "MB-out")
}

// BenchmarkWriteSite writes the whole site: time, CPU, output and peak
// heap. MARKBOT_BENCH_DIR chooses where (default: the test's temporary
// directory; /dev/shm takes the disk out of the figures).
//
//	go test ./internal/report -run XXX -bench WriteSite -benchtime 3x
func BenchmarkWriteSite(b *testing.B) {
	site := bigSite(b)
	parent := b.TempDir()
	if d := os.Getenv("MARKBOT_BENCH_DIR"); d != "" {
		var err error
		if parent, err = os.MkdirTemp(d, "markbot-bench-"); err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(parent)
	}
	dir := filepath.Join(parent, "site")
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	c0 := cpuTime()
	b.ResetTimer()
	var st WriteStats
	for range b.N {
		var err error
		if st, err = WriteSite(dir, site); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu := (cpuTime() - c0) / time.Duration(b.N)
	close(stop)
	<-done
	// CPU seconds per run: the machine's load does not inflate them, so
	// they bound the wall time on an idle machine (cpu/cores, plus I/O).
	b.ReportMetric(cpu.Seconds(), "cpu-s/op")
	files, size := dirSize(b, dir)
	if files != st.Files {
		b.Errorf("%d files on disk, %d written", files, st.Files)
	}
	b.ReportMetric(float64(st.Files), "files")
	b.ReportMetric(float64(size)/1e6, "MB-out")
	b.ReportMetric(float64(peak.Load())/1e6, "MB-peak-heap")
	b.ReportMetric(float64(base.HeapInuse)/1e6, "MB-heap-before")
	var biggest int64
	filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Size() > biggest {
			biggest = fi.Size()
		}
		return nil
	})
	b.ReportMetric(float64(biggest)/1e6, "MB-largest-file")
}

// BenchmarkHandler answers maintainers' pages and feeds (rendered for
// every request: the cache off, the worst case) and cached ones.
//
//	go test ./internal/report -run XXX -bench Handler
func BenchmarkHandler(b *testing.B) {
	site := bigSite(b)
	v := newView(site)
	logins := make([]string, 0, len(v.people))
	for _, o := range v.people {
		logins = append(logins, o.Key)
	}
	// The busiest maintainer too: the pages' worst case.
	busiest := slices.MaxFunc(v.people, func(a, b *owner) int { return len(a.Failures) - len(b.Failures) })
	for _, tc := range []struct {
		name   string
		path   func(i int) string
		cached bool
	}{
		{"maintainer-page", func(i int) string { return "/maintainers/" + logins[i%len(logins)] }, false},
		{"maintainer-feed", func(i int) string { return "/maintainers/" + logins[i%len(logins)] + ".atom" }, false},
		{"busiest-page-" + itoa(int64(len(busiest.Failures))) + "-rows", func(int) string { return "/maintainers/" + busiest.Key }, false},
		{"busiest-feed", func(int) string { return "/maintainers/" + busiest.Key + ".atom" }, false},
		{"team-page", func(i int) string { return "/teams/" + v.teams[i%len(v.teams)].Key }, false},
		{"maintainer-page-cached", func(i int) string { return "/maintainers/" + logins[i%len(logins)] }, true},
		{"jobset-page-cached", func(i int) string { return "/jobsets/nixpkgs/unstable" }, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			h := &handler{latest: func() (*Site, error) { return site, nil }}
			if tc.cached {
				h.cacheBytes = HandlerCacheBytes
			}
			serve(h, "GET", "/") // prepares the view
			if tc.cached {
				warm := map[string]bool{}
				for i := range len(logins) {
					if p := tc.path(i); !warm[p] {
						warm[p] = true
						serve(h, "GET", p)
					}
				}
			}
			reqs := make([]*http.Request, min(b.N, 4096))
			for i := range reqs {
				reqs[i] = httptest.NewRequest("GET", tc.path(i), nil)
			}
			var w discard
			b.ResetTimer()
			for i := range b.N {
				w.code, w.hdr = 0, http.Header{}
				h.ServeHTTP(&w, reqs[i%len(reqs)])
				if w.code != 200 {
					b.Fatal(w.code)
				}
			}
			b.ReportMetric(float64(w.n)/float64(b.N), "bytes/op")
		})
	}
}

// discard is a ResponseWriter that counts the body (a recorder's copy
// of a 7 MB jobset page would be most of what is measured).
type discard struct {
	hdr  http.Header
	code int
	n    int
}

func (d *discard) Header() http.Header { return d.hdr }
func (d *discard) WriteHeader(c int) {
	if d.code == 0 {
		d.code = c
	}
}
func (d *discard) Write(b []byte) (int, error) {
	d.WriteHeader(200)
	d.n += len(b)
	return len(b), nil
}

// TestScaleSmoke renders a tenth of the benchmark's site in every test
// run, checking that nothing at scale breaks the pages (go test -short
// skips it).
func TestScaleSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	site := bigSite(t)
	site.Failures = site.Failures[:2000]
	site.Feed = Track(nil, site, site.Generated)
	v := newView(site)
	start := time.Now()
	var worst time.Duration
	for _, o := range v.people[:400] {
		t0 := time.Now()
		if _, err := v.ownerPage(o); err != nil {
			t.Fatal(err)
		}
		if _, err := v.feedDoc(o); err != nil {
			t.Fatal(err)
		}
		worst = max(worst, time.Since(t0))
	}
	for _, jv := range v.jobsets {
		b, err := v.jobsetPage(jv)
		if err != nil || !strings.Contains(string(b), "</html>") {
			t.Fatal(err)
		}
	}
	t.Logf("400 pages and feeds and 4 jobset pages in %v (worst page and feed %v)", time.Since(start), worst)
}
