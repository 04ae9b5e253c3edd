package hydra_test

// Benchmarks of ingesting a nixpkgs-scale evaluation (docs/benchmarks.md).
// They only run with -bench; the generated files live in a temporary
// directory that is removed when the test binary exits.
//
//	go test -run '^$' -bench 'IngestFile/builds=250k' -benchtime 3x ./internal/hydra/

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
)

var benchDir struct {
	sync.Mutex
	dir   string
	files map[int]benchEval
}

type benchEval struct {
	path   string
	size   int64
	builds int
	scen   *hydratest.Generated
	eval   hydra.Eval
}

// benchSizes: packages per scenario, named by their ≈ builds per evaluation.
var benchSizes = []struct {
	name     string
	packages int
}{{"50k", 14000}, {"250k", 70000}}

// generatedEval writes the newest evaluation of a generated scenario to a
// file once per test binary.
func generatedEval(b *testing.B, packages int) benchEval {
	benchDir.Lock()
	defer benchDir.Unlock()
	if be, ok := benchDir.files[packages]; ok {
		return be
	}
	if benchDir.dir == "" {
		d, err := os.MkdirTemp("", "markbot-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir.dir, benchDir.files = d, map[int]benchEval{}
	}
	cfg := hydratest.DefaultGenConfig()
	cfg.Packages = packages
	g := hydratest.Generate(cfg)
	e := g.Evals()[0]
	p := filepath.Join(benchDir.dir, filepath.Base(b.Name())+".json")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	if err := hydratest.WriteBuilds(f, g, e.ID); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, _ := os.Stat(p)
	n := 0
	g.BuildIDs(e.ID, func(int64) { n++ })
	be := benchEval{path: p, size: st.Size(), builds: n, scen: g, eval: e.Eval}
	benchDir.files[packages] = be
	return be
}

func peakRSSMB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024 // kilobytes on Linux
}

// reportJQ times what a user would reach for on the same file and reports
// the ratio of our throughput to jq's.
func reportJQ(b *testing.B, be benchEval, ours time.Duration) {
	jq, err := exec.LookPath("jq")
	if err != nil {
		b.Log("jq not found: no comparison")
		return
	}
	start := time.Now()
	cmd := exec.Command(jq, "-c", ".[] | select(.buildstatus == 1)", be.path)
	cmd.Stdout = nil // discarded
	if err := cmd.Run(); err != nil {
		b.Logf("jq failed: %v", err)
		return
	}
	jqTime := time.Since(start)
	b.ReportMetric(float64(be.size)/1e6/jqTime.Seconds(), "jq-MB/s")
	b.ReportMetric(jqTime.Seconds()/ours.Seconds(), "x-jq")
}

func ingestFile(b *testing.B, be benchEval, cache *hydra.Cache) {
	f, err := os.Open(be.path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w, err := cache.Create(be.eval.ID, be.eval.Timestamp, be.eval.NixpkgsRevision())
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	err = hydra.DecodeRecords(bufio.NewReaderSize(f, 1<<20), func(r *hydra.Record) error {
		n++
		return w.Add(r)
	})
	if err != nil || n != be.builds {
		w.Abort()
		b.Fatalf("decoded %d of %d builds: %v", n, be.builds, err)
	}
	if err := w.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkIngestFile: a generated evaluation's /eval/{id}/builds JSON from
// a file, streamed into the evaluation cache (decode + records + gzip).
func BenchmarkIngestFile(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run("builds="+sz.name, func(b *testing.B) {
			be := generatedEval(b, sz.packages)
			cacheDir := b.TempDir()
			b.SetBytes(be.size)
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				cache, err := hydra.OpenCache(cacheDir, "http://bench")
				if err != nil {
					b.Fatal(err)
				}
				ingestFile(b, be, cache)
				b.StopTimer()
				os.RemoveAll(cacheDir)
				b.StartTimer()
			}
			per := time.Since(start) / time.Duration(b.N)
			b.StopTimer()
			b.ReportMetric(float64(be.builds)/per.Seconds(), "builds/s")
			b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
			reportJQ(b, be, per)
		})
	}
}

// BenchmarkIngestHTTP: the same evaluation over loopback HTTP through
// Client.Ingest into the cache. "generated": the fake Hydra generates the
// JSON as it goes, in this process, on the same cores as the client;
// "static": the fake answers everything but the builds, which are served
// from the pre-generated file (as a real server serves them to us: its
// cost is not ours), so the figure is the client's own.
func BenchmarkIngestHTTP(b *testing.B) {
	for _, sz := range benchSizes {
		for _, mode := range []string{"generated", "static"} {
			b.Run("builds="+sz.name+"/"+mode, func(b *testing.B) {
				benchIngestHTTP(b, sz.packages, mode == "static")
			})
		}
	}
}

func benchIngestHTTP(b *testing.B, packages int, static bool) {
	be := generatedEval(b, packages)
	var h http.Handler = hydratest.New(be.scen)
	if static {
		fake, buildsPath := h, fmt.Sprintf("/eval/%d/builds", be.eval.ID)
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != buildsPath {
				fake.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			http.ServeFile(w, r, be.path)
		})
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	o := testOptions(srv.URL)
	c, err := hydra.New(o)
	if err != nil {
		b.Fatal(err)
	}
	cacheDir := b.TempDir()
	b.SetBytes(be.size)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		cache, err := hydra.OpenCache(cacheDir, srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		if cached, err := c.Ingest(context.Background(), cache, be.eval); err != nil || cached {
			b.Fatalf("Ingest = %v, %v", cached, err)
		}
		b.StopTimer()
		os.RemoveAll(cacheDir)
		b.StartTimer()
	}
	per := time.Since(start) / time.Duration(b.N)
	b.StopTimer()
	b.ReportMetric(float64(be.builds)/per.Seconds(), "builds/s")
	b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
	reportJQ(b, be, per)
}
