package app

// The webhook under a flood: a child process (this test binary, re-run)
// serves the webhook on a loopback port while the test posts hundreds of
// large unsigned and wrongly signed bodies at it, and valid deliveries in
// between. The child's peak resident set (VmHWM in /proc/PID/status) is
// what is bounded: it is what the kernel charges the process, garbage
// collector, pools and runtime included, which the Go heap statistics are
// not.

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/bot"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// The flood (MARKBOT_FLOOD_WORKERS, MARKBOT_FLOOD_ROUNDS override the
// first two, for measuring; MARKBOT_FLOOD_WAIT is how many seconds after
// the flood the resident set is read again, default 5).
const (
	floodWorkers  = 150        // concurrent posters
	floodRounds   = 2          // posts per poster
	floodBodySize = 24_000_000 // bytes per post, under the 25 MiB limit
	floodValid    = 30         // valid deliveries posted during the flood
)

// floodPeakBound is the most the child's peak RSS may reach, in MiB; see
// docs/reliability.md ("Hostile input: the server"). The race detector's
// shadow memory roughly doubles it (raceEnabled, race_test.go).
func floodPeakBound() int64 {
	if raceEnabled {
		return 400
	}
	return 150
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// TestWebhookFloodMemory: 150 posters × 2 posts of 24 MB each (half
// without a signature, half with a well-formed wrong one) keep the
// server's peak RSS under floodPeakBound, and 30 valid deliveries posted
// meanwhile are all accepted and handled.
func TestWebhookFloodMemory(t *testing.T) {
	if os.Getenv("MARKBOT_FLOOD_CHILD") != "" {
		floodChild(t)
		return
	}
	if testing.Short() {
		t.Skip("-short: the flood posts 7 GB over loopback")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc: cannot read a process's resident set")
	}
	workers, rounds := envInt("MARKBOT_FLOOD_WORKERS", floodWorkers), envInt("MARKBOT_FLOOD_ROUNDS", floodRounds)

	child := exec.Command(os.Args[0], "-test.run=^TestWebhookFloodMemory$", "-test.v")
	child.Env = append(os.Environ(), "MARKBOT_FLOOD_CHILD=1", "MARKBOT_FLOOD_DIR="+t.TempDir())
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var childErr strings.Builder
	child.Stderr = &childErr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close() // the child stops when its stdin closes
		done := make(chan struct{})
		go func() { child.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			child.Process.Kill()
			<-done
		}
	})
	lines := bufio.NewScanner(stdout)
	base := ""
	for lines.Scan() {
		if addr, ok := strings.CutPrefix(lines.Text(), "flood child listening on "); ok {
			base = "http://" + addr
			break
		}
	}
	if base == "" {
		t.Fatalf("the child did not start: %s", childErr.String())
	}
	go io.Copy(io.Discard, stdout)
	pid := child.Process.Pid
	startRSS := procStatus(t, pid, "VmRSS")

	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableKeepAlives: true, MaxConnsPerHost: 0}}
	var statuses sync.Map // status code (or -1 for a connection error) → *atomic.Int64
	count := func(code int) {
		v, _ := statuses.LoadOrStore(code, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				req, _ := http.NewRequest("POST", base+"/webhook", io.LimitReader(filler{}, floodBodySize))
				req.ContentLength = floodBodySize
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-GitHub-Event", "issue_comment")
				req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("flood-%d", i))
				if i%2 == 1 {
					req.Header.Set("X-Hub-Signature-256", "sha256="+randomHex(32))
				}
				resp, err := client.Do(req)
				if err != nil {
					count(-1) // the server closed the connection on a body it would not read
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				count(resp.StatusCode)
			}
		}()
	}
	// Valid deliveries while the flood runs.
	var valid []int
	var validWG sync.WaitGroup
	validWG.Add(1)
	go func() {
		defer validWG.Done()
		for n := range floodValid {
			time.Sleep(20 * time.Millisecond)
			ev := prClosed(1000+n, "markbot/flood", true)
			ev.PullRequest.UpdatedAt = &github.Timestamp{Time: time.Now()}
			body, _ := json.Marshal(ev)
			req, _ := http.NewRequest("POST", base+"/webhook", strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-GitHub-Event", "pull_request")
			req.Header.Set("X-GitHub-Delivery", fmt.Sprintf("valid-%d", n))
			req.Header.Set("X-Hub-Signature-256", sign(testSecret, body))
			resp, err := client.Do(req)
			if err != nil {
				valid = append(valid, -1)
				continue
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			valid = append(valid, resp.StatusCode)
		}
	}()
	validWG.Wait()
	wg.Wait()
	elapsed := time.Since(start)
	peak := procStatus(t, pid, "VmHWM")
	endRSS := procStatus(t, pid, "VmRSS")
	wait := envInt("MARKBOT_FLOOD_WAIT", 5) // seconds
	time.Sleep(time.Duration(wait) * time.Second)
	laterRSS := procStatus(t, pid, "VmRSS")

	var summary []string
	statuses.Range(func(k, v any) bool {
		summary = append(summary, fmt.Sprintf("%v×%d", k, v.(*atomic.Int64).Load()))
		return true
	})
	t.Logf("flood: %d posters × %d posts of %d bytes in %s; answers %s", workers, rounds, floodBodySize, elapsed.Round(time.Millisecond), strings.Join(summary, " "))
	t.Logf("child RSS: %d MiB at start, peak (VmHWM) %d MiB, %d MiB after the flood, %d MiB %d s later",
		startRSS>>10, peak>>10, endRSS>>10, laterRSS>>10, wait)

	if bound := floodPeakBound(); peak>>10 > bound {
		t.Errorf("peak RSS %d MiB, want at most %d MiB", peak>>10, bound)
	}
	for i, code := range valid {
		if code != http.StatusAccepted {
			t.Errorf("valid delivery %d during the flood: status %d, want 202", i, code)
		}
	}
	want := fmt.Sprintf(`markbot_webhook_events_handled_total{event="pull_request"} %d`, floodValid)
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := client.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		m, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(m), want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the valid deliveries were not all handled: want %q in\n%s", want, grep(string(m), "markbot_webhook"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// floodChild is the server of TestWebhookFloodMemory, in its own process.
func floodChild(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := state.Open(ctx, filepath.Join(os.Getenv("MARKBOT_FLOOD_DIR"), "markbot.db"), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := logrus.New()
	log.SetOutput(io.Discard)
	gh := github.NewClient(nil) // never called: the valid deliveries need no GitHub request
	s, err := New(Options{
		Secret: testSecret, Cycle: func(context.Context) (*bot.Summary, error) { return &bot.Summary{}, nil },
		CycleInterval: time.Hour, NoCycleAtStart: true, Store: st, PullRequests: gh.PullRequests, Comments: gh.Issues,
		Owner: "NixOS", Repo: "nixpkgs", BranchPrefix: "markbot/", Log: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := listenLoopback()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("flood child listening on %s\n", ln.Addr())
	go func() { io.Copy(io.Discard, os.Stdin); cancel() }()
	if err := s.Serve(ctx, ln); err != nil {
		t.Fatal(err)
	}
}

// filler is an endless body that costs the poster no memory.
type filler struct{}

func (filler) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

var statusLineRE = regexp.MustCompile(`(?m)^(\w+):\s+(\d+) kB$`)

// procStatus reads a "kB" field of /proc/PID/status.
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range statusLineRE.FindAllStringSubmatch(string(b), -1) {
		if m[1] == field {
			n, _ := strconv.ParseInt(m[2], 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
