package main

// BenchmarkColdScan: a cold `markbot scan` of 10 evaluations at nixpkgs
// scale (≈250k builds each) against fakehydra's hydra.nixos.org mode (the
// evaluation page, compressed as nginx compresses it), each in its own
// process so that peak RSS is markbot's alone (docs/benchmarks.md).
//
//	go test -run '^$' -bench ColdScan -benchtime 1x -timeout 1h ./cmd/markbot/

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"
)

func buildBinary(b *testing.B, dir, pkg string) string {
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("go build %s: %v", pkg, err)
	}
	return out
}

func freeAddr(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

var evalReadRE = regexp.MustCompile(`msg="evaluation read".*`)

// historyLine is the "history read" log line: the whole reading's
// requests and bytes.
func historyLine(log string) string {
	return regexp.MustCompile(`msg="history read".*`).FindString(log)
}

// decideLine is the decide step's log line: how many failing builds it
// asked Hydra about (whose failure each is) and how many failures it left
// unconfirmed ("" when it asked nothing).
func decideLine(log string) string {
	return regexp.MustCompile(`msg="decide: asked Hydra.*`).FindString(log)
}

func field(line, key string) float64 {
	m := regexp.MustCompile(`\b` + key + `=([0-9.]+)`).FindStringSubmatch(line)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func BenchmarkColdScan(b *testing.B) {
	dir := b.TempDir()
	fake := buildBinary(b, dir, "github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest/cmd/fakehydra")
	markbot := buildBinary(b, dir, "github.com/nixpkgs-markbot/markbot/cmd/markbot")
	addr := freeAddr(b)
	// hydra.nixos.org's front end with limit_req scaled up a hundredfold
	// (200 r/s), and markbot at 100 r/s: the same politeness, fast.
	srv := exec.Command(fake, "-addr", addr, "-scenario", "nixpkgs", "-rate", "200")
	var srvOut bytes.Buffer
	srv.Stdout, srv.Stderr = &srvOut, &srvOut
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	defer srv.Process.Kill()
	for i := 0; ; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if i > 600 {
			b.Fatalf("fakehydra did not start: %s", srvOut.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	for i := 0; i < b.N; i++ {
		state := filepath.Join(dir, fmt.Sprintf("state%d", i))
		cmd := exec.Command(markbot, "scan", "--hydra", "http://"+addr, "--evals", "10", "--rate", "100", "-v", "--state-dir", state)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		start := time.Now()
		err := cmd.Run()
		wall := time.Since(start)
		if err != nil {
			b.Fatalf("markbot scan: %v\n%s", err, stderr.String())
		}
		var reqs, bytesIn, secs float64
		n := 0
		cold := historyLine(stderr.String())
		cd := decideLine(stderr.String()) // before the scanner below drains stderr
		sc := bufio.NewScanner(&stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if line := evalReadRE.FindString(sc.Text()); line != "" {
				n++
				reqs += field(line, "requests")
				bytesIn += field(line, "bytes")
				secs += field(line, "seconds")
				if i == 0 {
					b.Logf("eval %.0f: %.0f builds, %.0f requests, %.1f MB, %.1f s", field(line, "eval"), field(line, "builds"),
						field(line, "requests"), field(line, "bytes")/1e6, field(line, "seconds"))
				}
			}
		}
		if n != 10 {
			b.Fatalf("%d evaluations read:\n%s", n, stderr.String())
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		// The same scan again: what a cycle with nothing new costs.
		warm := exec.Command(markbot, "scan", "--hydra", "http://"+addr, "--evals", "10", "--rate", "100", "-v", "--state-dir", state)
		var warmErr bytes.Buffer
		warm.Stderr = &warmErr
		if err := warm.Run(); err != nil {
			b.Fatalf("second markbot scan: %v\n%s", err, warmErr.String())
		}
		w := historyLine(warmErr.String())
		wd := decideLine(warmErr.String())
		b.ReportMetric(field(cd, "asked"), "cold-builds-asked")
		if m := regexp.MustCompile(`^(\d+) persistent failures`).FindStringSubmatch(stdout.String()); m != nil {
			n, _ := strconv.ParseFloat(m[1], 64)
			b.ReportMetric(n, "cold-failures-listed")
		}
		b.ReportMetric(field(cd, "unconfirmed"), "cold-unconfirmed")
		b.ReportMetric(field(wd, "asked"), "warm-builds-asked")
		b.ReportMetric(field(cold, "requests"), "cold-requests")
		b.ReportMetric(field(cold, "bytes")/1e6, "cold-MB")
		b.ReportMetric(field(w, "requests"), "warm-requests")
		b.ReportMetric(field(w, "bytes")/1e6, "warm-MB")
		b.ReportMetric(float64(warm.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)/1024, "warm-peak-RSS-MB")
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(secs/float64(n), "s/eval")
		b.ReportMetric(reqs/float64(n), "requests/eval")
		b.ReportMetric(bytesIn/float64(n)/1e6, "MB/eval")
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
	}
}
