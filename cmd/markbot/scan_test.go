package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
)

// scanScenario: four daily evaluations; python313Packages.foo fails on two
// derivations on x86_64-linux; 50 healthy jobs around it. With massBreak,
// 10 of those newly fail in the newest evaluation.
func scanScenario(massBreak bool) *hydratest.Static {
	const t0 = 1767225600 // 2026-01-01
	s := hydratest.NewStatic("nixpkgs", "unstable")
	id := int64(1000)
	drv := func(name string, v int) string { return fmt.Sprintf("%031d%d-%s", v, 0, name) }
	foo := []*hydratest.Build{}
	for v := 0; v < 2; v++ {
		id++
		foo = append(foo, hydratest.B(id, "python313Packages.foo.x86_64-linux", "x86_64-linux", 1,
			fmt.Sprintf("%030d%02d-python3.13-foo-1.%d", 7, v, v), t0+86400*int64(v), t0+86400*int64(v)+600))
	}
	var ok []*hydratest.Build
	for i := 0; i < 50; i++ {
		id++
		ok = append(ok, hydratest.B(id, fmt.Sprintf("p%d.aarch64-linux", i), "aarch64-linux", 0, drv(fmt.Sprintf("p%d", i), i), t0, t0+60))
	}
	for e := int64(0); e < 4; e++ {
		builds := []*hydratest.Build{foo[min(e, 1)]}
		for i, b := range ok {
			if massBreak && e == 3 && i < 10 {
				id++
				b = hydratest.B(id, b.Job, b.System, 2, drv(fmt.Sprintf("p%dx", i), 100+i), t0+3*86400, t0+3*86400+1)
			}
			builds = append(builds, b)
		}
		s.AddEval(500+e, t0+e*86400, builds...)
	}
	return s
}

func runScanAgainst(t *testing.T, url, stateDir string, extra ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	args := append([]string{"--hydra", url, "--state-dir", stateDir, "--rate", "1000"}, extra...)
	code := runScan(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestScanTable(t *testing.T) {
	f := hydratest.New(scanScenario(false))
	srv := httptest.NewServer(frontEnd(f))
	defer srv.Close()
	dir := t.TempDir()
	code, out, errs := runScanAgainst(t, srv.URL, dir, "--evals", "4")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"1 persistent failures in nixpkgs/unstable, evaluation 503", "python313Packages.foo",
		"x86_64-linux", srv.URL + "/build/1002", "2026-01-01"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// The second scan reads every evaluation from the cache.
	if code, _, errs := runScanAgainst(t, srv.URL, dir, "--evals", "4"); code != exitOK {
		t.Fatalf("second scan: exit %d: %s", code, errs)
	}
	for e := 500; e < 504; e++ {
		want := 1
		if e == 503 {
			want = 3 // and each scan's latest-eval redirect to its JSON
		}
		if h, hb := f.Hits(fmt.Sprintf("/eval/%d", e)), f.Hits(fmt.Sprintf("/eval/%d/builds", e)); h != want || hb != 0 {
			t.Errorf("evaluation %d: /eval/%d asked %d times, its builds %d times; want the page once", e, e, h, hb)
		}
	}
}

func TestScanJSON(t *testing.T) {
	for _, read := range []string{"page", "builds"} {
		t.Run(read, func(t *testing.T) { testScanJSON(t, read) })
	}
}

func testScanJSON(t *testing.T, read string) {
	srv := httptest.NewServer(frontEnd(hydratest.New(scanScenario(false))))
	defer srv.Close()
	code, out, errs := runScanAgainst(t, srv.URL, t.TempDir(), "--json", "--evals", "4", "--min-days", "30", "--read", read)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct {
		Schema      int    `json:"schema"`
		Hydra       string `json:"hydra"`
		Jobset      string `json:"jobset"`
		Verdict     string `json:"verdict"`
		Evaluations []struct {
			ID int64 `json:"id"`
		} `json:"evaluations"`
		Policy struct {
			Evaluations int `json:"evaluations"`
			MinDays     int `json:"min_days"`
		} `json:"policy"`
		MassBreakage *struct{} `json:"mass_breakage"`
		Failures     []struct {
			Attr        string   `json:"attr"`
			Systems     []string `json:"systems"`
			Derivations int      `json:"derivations"`
			BuildURL    string   `json:"build_url"`
			PerSystem   []struct {
				Build            int64 `json:"build"`
				Status           int   `json:"status"`
				FirstFailingEval int64 `json:"first_failing_eval"`
				BuildTimes       []struct {
					Seconds *int64 `json:"seconds"`
					Reused  bool   `json:"reused"`
				} `json:"build_times"`
				BrokeBetween *struct{} `json:"broke_between"`
			} `json:"per_system"`
		} `json:"failures"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if got.Schema != 2 || got.Hydra != srv.URL || got.Jobset != "nixpkgs/unstable" || got.Verdict != "ok" || got.MassBreakage != nil ||
		len(got.Evaluations) != 4 || got.Evaluations[0].ID != 503 || got.Policy.MinDays != 30 || got.Policy.Evaluations != 3 {
		t.Errorf("header = %+v", got)
	}
	if len(got.Failures) != 1 {
		t.Fatalf("failures = %+v", got.Failures)
	}
	foo := got.Failures[0]
	if foo.Attr != "python313Packages.foo" || foo.Derivations != 2 || foo.BuildURL != srv.URL+"/build/1002" ||
		len(foo.PerSystem) != 1 || foo.PerSystem[0].Status != 1 || foo.PerSystem[0].FirstFailingEval != 500 ||
		len(foo.PerSystem[0].BuildTimes) != 4 || foo.PerSystem[0].BuildTimes[1].Reused || !foo.PerSystem[0].BuildTimes[2].Reused {
		t.Errorf("failure = %+v", foo)
	}
	// The page shows no start times: durations are null there.
	if secs := foo.PerSystem[0].BuildTimes[0].Seconds; (read == "builds") != (secs != nil && *secs == 600) {
		t.Errorf("reading the %s: first build's seconds %v", read, secs)
	}
	// foo failed in every evaluation read, and never built on Hydra:
	// where it broke is unknown, and says so (null), never a guess.
	if foo.PerSystem[0].BrokeBetween != nil {
		t.Errorf("broke_between %+v, want null", foo.PerSystem[0].BrokeBetween)
	}
}

func TestScanMassBreakage(t *testing.T) {
	srv := httptest.NewServer(frontEnd(hydratest.New(scanScenario(true))))
	defer srv.Close()
	code, out, _ := runScanAgainst(t, srv.URL, t.TempDir(), "--evals", "4")
	if code != exitMassBreakage || !strings.Contains(out, "mass breakage in evaluation 503: 10 of 51 jobs") ||
		strings.Contains(out, "python313Packages.foo") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	code, out, _ = runScanAgainst(t, srv.URL, t.TempDir(), "--evals", "4", "--json")
	if code != exitMassBreakage || !strings.Contains(out, `"verdict": "mass-breakage"`) || !strings.Contains(out, `"newly_failing": 10`) {
		t.Errorf("JSON: exit %d:\n%s", code, out)
	}
}

func TestScanHydraTrouble(t *testing.T) {
	// Unreachable: a server that has gone away.
	gone := httptest.NewServer(hydratest.New(scanScenario(false)))
	gone.Close()
	code, out, errs := runScanAgainst(t, gone.URL, t.TempDir())
	if code != exitError || out != "" || !strings.Contains(errs, gone.URL) {
		t.Errorf("unreachable: exit %d, stderr %q", code, errs)
	}
	// Nonsense: an HTML page where JSON was asked, on the evaluation list.
	f := hydratest.New(scanScenario(false))
	f.Inject("/jobset/nixpkgs/unstable/evals", hydratest.Fault{Kind: hydratest.FaultHTML})
	srv := httptest.NewServer(frontEnd(f))
	defer srv.Close()
	code, _, errs = runScanAgainst(t, srv.URL, t.TempDir())
	if code != exitError || !strings.Contains(errs, srv.URL+"/jobset/nixpkgs/unstable/evals") || !strings.Contains(errs, "not JSON") {
		t.Errorf("HTML: exit %d, stderr %q", code, errs)
	}
	// An unknown jobset.
	code, _, errs = runScanAgainst(t, srv.URL, t.TempDir(), "--jobset", "nixpkgs/nope")
	if code != exitError || !strings.Contains(errs, "doesn't exist") {
		t.Errorf("unknown jobset: exit %d, stderr %q", code, errs)
	}
}

func TestScanUsage(t *testing.T) {
	for _, args := range [][]string{{"--jobset", "nixpkgs"}, {"--evals", "0"}, {"extra"}, {"--no-such-flag"}, {"--hydra", "ftp://x"}} {
		var out, errb bytes.Buffer
		if code := runScan(args, &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, exitUsage, errb.String())
		}
	}
}

// frontEnd puts a fake Hydra behind the model of hydra.nixos.org's front
// end (decoys, limit_req, proxy timeout, compression), limit_req scaled to
// 2000 r/s for the tests' 1000 r/s clients.
func frontEnd(h http.Handler) http.Handler {
	return hydratest.HydraNixosOrg(h, hydratest.FrontEndOptions{Rate: 2000})
}
