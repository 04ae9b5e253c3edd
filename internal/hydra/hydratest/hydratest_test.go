package hydratest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

var drvPathRE = regexp.MustCompile(`^/nix/store/[0-9a-df-np-sv-z]{32}-[A-Za-z0-9.+_-]+\.drv$`)

func small() GenConfig {
	c := DefaultGenConfig()
	c.Packages, c.Evals = 3000, 4
	return c
}

func firstBuilds(t *testing.T, g *Generated, eval int64, n int) string {
	var buf bytes.Buffer
	k := 0
	g.EachBuild(eval, func(b *Build) error {
		var enc wireEncoder
		bw := bufio.NewWriter(&buf)
		enc.write(bw, b)
		bw.Flush()
		if k++; k == n {
			return io.EOF
		}
		return nil
	})
	return buf.String()
}

func TestGeneratedIsDeterministic(t *testing.T) {
	a, b := Generate(small()), Generate(small())
	id := a.Evals()[0].ID
	if firstBuilds(t, a, id, 50) != firstBuilds(t, b, id, 50) {
		t.Error("same seed, different builds")
	}
	c := small()
	c.Seed = 2
	if firstBuilds(t, Generate(c), id, 50) == firstBuilds(t, a, id, 50) {
		t.Error("different seeds, same builds")
	}
}

func TestGeneratedScale(t *testing.T) {
	g := Generate(DefaultGenConfig())
	if n := g.Jobs(); n < 240000 || n > 260000 {
		t.Errorf("default scenario has %d jobs, want ≈250k", n)
	}
}

func TestGeneratedIsRealistic(t *testing.T) {
	g := Generate(small())
	evals := g.Evals()
	if len(evals) != 4 || evals[0].ID <= evals[1].ID || evals[0].Timestamp <= evals[1].Timestamp {
		t.Fatalf("evaluations not newest first: %+v", evals)
	}
	prev := map[string]int64{}
	for i := len(evals) - 1; i >= 0; i-- {
		e := evals[i]
		statuses := map[int]int{}
		systems := map[string]int{}
		n, reused := 0, 0
		cur := map[string]int64{}
		g.EachBuild(e.ID, func(b *Build) error {
			if b.Job == TarballJob {
				return nil // tested in tarball_test.go
			}
			n++
			if !strings.HasSuffix(b.Job, "."+b.System) || !drvPathRE.MatchString(b.DrvPath) {
				t.Fatalf("build %d: job %q system %q drv %q", b.ID, b.Job, b.System, b.DrvPath)
			}
			if _, dup := cur[b.Job]; dup {
				t.Fatalf("job %s twice in evaluation %d", b.Job, e.ID)
			}
			cur[b.Job] = b.ID
			if prev[b.Job] == b.ID {
				reused++
			}
			statuses[*b.BuildStatus]++
			systems[b.System]++
			found := false
			for _, je := range b.JobsetEvals {
				found = found || je == e.ID
			}
			if !found {
				t.Fatalf("build %d lists evaluations %v, not %d", b.ID, b.JobsetEvals, e.ID)
			}
			return nil
		})
		prev = cur
		if n < 3000*3.3 || n > 3000*3.8 {
			t.Errorf("evaluation %d: %d builds for 3000 packages", e.ID, n)
		}
		if len(systems) != 4 {
			t.Errorf("systems %v", systems)
		}
		if ok := float64(statuses[0]) / float64(n); ok < 0.85 || ok > 0.98 {
			t.Errorf("evaluation %d: %.1f%% succeeded", e.ID, 100*ok)
		}
		for _, st := range []int{1, 2, 9} {
			if statuses[st] == 0 {
				t.Errorf("evaluation %d: no build with status %d (%v)", e.ID, st, statuses)
			}
		}
		if i < len(evals)-1 && float64(reused) < 0.6*float64(n) {
			t.Errorf("evaluation %d reuses only %d of %d builds", e.ID, reused, n)
		}
	}
	// Every build can be looked up by id and by its .drv, and has a log
	// unless it is a dependency failure.
	checked := 0
	g.EachBuild(evals[0].ID, func(b *Build) error {
		if checked++; checked > 500 {
			return io.EOF
		}
		got, ok := g.Build(b.ID)
		if !ok || got.DrvPath != b.DrvPath || got.Job != b.Job {
			t.Fatalf("Build(%d) = %+v, %v", b.ID, got, ok)
		}
		id, ok := g.BuildOfDrv(strings.TrimPrefix(b.DrvPath, "/nix/store/"))
		if !ok || id != b.ID {
			t.Fatalf("BuildOfDrv(%s) = %d, %v", b.DrvPath, id, ok)
		}
		if _, ok := g.Log(b.ID); ok == (*b.BuildStatus == 2 || *b.BuildStatus == 9) {
			t.Fatalf("build %d status %d: has log %v", b.ID, *b.BuildStatus, ok)
		}
		return nil
	})
	if _, ok := g.Build(1); ok {
		t.Error("Build(1) exists")
	}
}

func get(t *testing.T, url, accept string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("User-Agent", "hydratest")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestServerShapes(t *testing.T) {
	c := small()
	c.Packages, c.Evals = 50, 25
	g := Generate(c)
	f := New(g)
	srv := httptest.NewServer(f)
	defer srv.Close()

	resp, body := get(t, srv.URL+"/jobset/nixpkgs/unstable/evals", "application/json")
	var page map[string]json.RawMessage
	if err := json.Unmarshal(body, &page); err != nil || resp.StatusCode != 200 {
		t.Fatalf("evals page: %d %v", resp.StatusCode, err)
	}
	var evals []map[string]any
	json.Unmarshal(page["evals"], &evals)
	if len(evals) != EvalsPerPage || string(page["next"]) != `"?page=2"` || string(page["last"]) != `"?page=2"` || string(page["first"]) != `"?page=1"` {
		t.Errorf("page 1: %d evals, next %s, last %s", len(evals), page["next"], page["last"])
	}
	if _, ok := evals[0]["builds"].([]any); !ok || evals[0]["hasnewbuilds"] != float64(1) {
		t.Errorf("eval shape: %v", evals[0])
	}
	_, body = get(t, srv.URL+"/jobset/nixpkgs/unstable/evals?page=2", "application/json")
	page = nil
	json.Unmarshal(body, &page)
	if _, ok := page["next"]; ok {
		t.Errorf("last page has next: %s", body)
	}

	id := g.Evals()[0].ID
	resp, body = get(t, srv.URL+"/eval/"+itoa(id)+"/builds", "application/json")
	var builds []map[string]any
	if err := json.Unmarshal(body, &builds); err != nil || len(builds) < 150 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("builds: %v, %d", err, len(builds))
	}
	for _, k := range []string{"id", "job", "system", "finished", "buildstatus", "drvpath", "starttime", "stoptime", "jobsetevals", "buildoutputs", "buildproducts", "buildmetrics", "nixname", "priority", "timestamp", "project", "jobset"} {
		if _, ok := builds[0][k]; !ok {
			t.Errorf("build lacks %q: %v", k, builds[0])
		}
	}

	resp, body = get(t, srv.URL+"/build/5", "application/json")
	if resp.StatusCode != 404 || strings.TrimSpace(string(body)) != `{"error":"Build with ID 5 doesn't exist."}` {
		t.Errorf("missing build: %d %s", resp.StatusCode, body)
	}
	resp, _ = get(t, srv.URL+"/eval/"+itoa(id), "text/html")
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("without Accept: application/json: %s", resp.Header.Get("Content-Type"))
	}
	resp, _ = get(t, srv.URL+"/jobset/nixpkgs/unstable/latest-eval", "application/json")
	if resp.StatusCode != 302 || resp.Header.Get("Location") != srv.URL+"/eval/"+itoa(id) {
		t.Errorf("latest-eval: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Faults apply per path and per count.
	f.Inject("/build/5", Fault{Kind: FaultStatus, Times: 2, Status: 503})
	for i, want := range []int{503, 503, 404} {
		if resp, _ := get(t, srv.URL+"/build/5", "application/json"); resp.StatusCode != want {
			t.Errorf("request %d: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
	if resp, _ := get(t, srv.URL+"/build/6", "application/json"); resp.StatusCode != 404 || f.Hits("/build/5") != 4 {
		t.Error("a fault leaked to another path")
	}
}

func TestStaticScenario(t *testing.T) {
	s := NewStatic("nixpkgs", "unstable")
	b := B(1, "a.x86_64-linux", "x86_64-linux", 1, "0a1b2c3d4f5g6h7i8j9k0l1m2n3p4q5r-a-1", 10, 20)
	s.AddEval(2, 200, b)
	s.AddEval(1, 100, b)
	if ev := s.Evals(); len(ev) != 2 || ev[0].ID != 2 {
		t.Errorf("evals not newest first: %+v", ev)
	}
	got, _ := s.Build(1)
	if got.Status() != hydra.StatusFailed || len(got.JobsetEvals) != 2 || got.JobsetEvals[0] != 1 || got.NixName != "a-1" {
		t.Errorf("build = %+v", got)
	}
}

func itoa(i int64) string { return strings.TrimSpace(string(mustJSON(i))) }

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }
