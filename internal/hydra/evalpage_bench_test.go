package hydra_test

// Benchmarks of ReadEvalPage (evalpage.go) on nixpkgs-scale evaluation
// pages (every tab, full=1, names like python313Packages.foo-bar.x86_64-linux),
// and of BeautifulSoup (testdata/evalpage/bs4_rows.py) on the same files in
// the same run, for the ratio. The pages are written once per test binary
// into bench_test.go's temporary directory.
//
//	go test -run '^$' -bench 'EvalPage' -benchtime 3x ./internal/hydra/
//
// BenchmarkReadEvalPage reports MB/s, rows/s, CPU seconds per parse and
// MB per CPU second (steadier than wall time on a shared machine), the peak
// heap in use while parsing (peak-heap-MB, sampled every 16384 rows) and
// the peak RSS of a separate process that does one parse (peak-rss-MB, its
// VmHWM). BenchmarkBS4EvalPage reports the same for the script (its wall
// time as ns/op, its own CPU time and VmHWM).

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

var evalPageSizes = []struct {
	name string
	rows int
}{{"50k", 50_000}, {"250k", 250_000}}

type evalPageBench struct {
	path string
	size int64
	rows int
}

var evalPageBenchFiles struct {
	sync.Mutex
	m map[int]evalPageBench
}

// evalPageFile writes bigPage(rows) to a file once per test binary.
func evalPageFile(b *testing.B, rows int) evalPageBench {
	evalPageBenchFiles.Lock()
	defer evalPageBenchFiles.Unlock()
	if f, ok := evalPageBenchFiles.m[rows]; ok {
		return f
	}
	benchDir.Lock()
	if benchDir.dir == "" {
		d, err := os.MkdirTemp("", "markbot-bench-")
		if err != nil {
			benchDir.Unlock()
			b.Fatal(err)
		}
		benchDir.dir, benchDir.files = d, map[int]benchEval{}
	}
	dir := benchDir.dir // removed by TestMain
	benchDir.Unlock()
	g := bigPage(rows)
	path := filepath.Join(dir, "evalpage-"+strconv.Itoa(rows)+".html")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := g.write(f); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for t := hydra.TabAborted; t <= hydra.TabUnfinished; t++ {
		n += len(g.Tabs[t])
	}
	if evalPageBenchFiles.m == nil {
		evalPageBenchFiles.m = map[int]evalPageBench{}
	}
	e := evalPageBench{path: path, size: st.Size(), rows: n}
	evalPageBenchFiles.m[rows] = e
	return e
}

// parseEvalPageFile reads one page file, sampling the heap in use every
// 16384 rows.
func parseEvalPageFile(tb testing.TB, path string, peak *uint64) int {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	n := 0
	var ms runtime.MemStats
	_, err = hydra.ReadEvalPage(f, path, hydra.PageLimits{}, func(*hydra.PageRow) error {
		if n++; peak != nil && n%16384 == 0 {
			runtime.ReadMemStats(&ms)
			*peak = max(*peak, ms.HeapInuse)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func BenchmarkReadEvalPage(b *testing.B) {
	for _, sz := range evalPageSizes {
		b.Run("rows="+sz.name, func(b *testing.B) {
			f := evalPageFile(b, sz.rows)
			b.SetBytes(f.size)
			b.ReportAllocs()
			var peak uint64
			runtime.GC() // the generated page's garbage is not the parser's
			cpu := cpuSeconds()
			b.ResetTimer()
			for range b.N {
				if n := parseEvalPageFile(b, f.path, &peak); n != f.rows {
					b.Fatalf("%d rows, want %d", n, f.rows)
				}
			}
			b.StopTimer()
			cpu = (cpuSeconds() - cpu) / float64(b.N)
			b.ReportMetric(float64(f.rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(cpu, "cpu-s/op")
			b.ReportMetric(float64(f.size)/1e6/cpu, "cpu-MB/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(evalPageChildRSS(b, f.path), "peak-rss-MB")
		})
	}
}

// cpuSeconds is this process's user and system time so far (all threads:
// the collector's too). On a shared machine it is steadier than wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// evalPageChildRSS parses the file once in a new process (this test binary
// running TestEvalPageRSSHelper) and returns that process's peak RSS in MB:
// its VmHWM, which it prints. (Its rusage would not do: Linux's exec keeps
// the starting process's high-water mark, here the benchmark's.)
func evalPageChildRSS(b *testing.B, path string) float64 {
	cmd := exec.Command(os.Args[0], "-test.run=^TestEvalPageRSSHelper$", "-test.v")
	cmd.Env = append(os.Environ(), "MARKBOT_EVALPAGE_RSS_FILE="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("%v: %v\n%s", cmd, err, out)
	}
	_, v, ok := bytes.Cut(out, []byte("evalpage VmHWM: "))
	if !ok {
		b.Fatalf("%v printed no VmHWM:\n%s", cmd, out)
	}
	kb, err := strconv.ParseFloat(string(bytes.Fields(v)[0]), 64)
	if err != nil {
		b.Fatal(err)
	}
	return kb / 1024
}

// TestEvalPageRSSHelper is BenchmarkReadEvalPage's child process: it parses
// the file named by MARKBOT_EVALPAGE_RSS_FILE and logs its VmHWM; it is
// skipped otherwise.
func TestEvalPageRSSHelper(t *testing.T) {
	path := os.Getenv("MARKBOT_EVALPAGE_RSS_FILE")
	if path == "" {
		t.Skip("the child process of BenchmarkReadEvalPage")
	}
	parseEvalPageFile(t, path, nil)
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			t.Logf("evalpage VmHWM: %s", strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return
		}
	}
	t.Fatal("no VmHWM in /proc/self/status")
}

func BenchmarkBS4EvalPage(b *testing.B) {
	python := bs4Python(b)
	for _, sz := range evalPageSizes {
		b.Run("rows="+sz.name, func(b *testing.B) {
			f := evalPageFile(b, sz.rows)
			b.SetBytes(f.size)
			var rss int64
			var cpu float64
			b.ResetTimer()
			for range b.N {
				u := runBS4(b, python, f.path, nil)
				if u.Rows != f.rows {
					b.Fatalf("bs4 read %d rows, want %d", u.Rows, f.rows)
				}
				rss = max(rss, u.VmHWMKB)
				cpu += u.CPUSeconds
			}
			b.StopTimer()
			cpu /= float64(b.N)
			b.ReportMetric(float64(f.rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(cpu, "cpu-s/op")
			b.ReportMetric(float64(f.size)/1e6/cpu, "cpu-MB/s")
			b.ReportMetric(float64(rss)/1024, "peak-rss-MB")
		})
	}
}
