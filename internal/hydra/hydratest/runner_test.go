package hydratest

import (
	"context"
	"io"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

// drv makes a derivation's hash-and-name from a letter and a name.
func drv(letter byte, name string) string {
	h := make([]byte, 32)
	for i := range h {
		h[i] = letter
	}
	return string(h) + "-" + name
}

// runnerWorld: three evaluations a day apart, each with new derivations
// (letters a, b, c), in which fail(e, builds) has the queue runner fail
// steps (FailStep), plus a healthy bystander for the mass-breakage guard.
func runnerWorld(t *testing.T, names []string, fail func(e int, bs map[string]*Build)) (*hydra.Client, *hydra.Cache, []failures.Evaluation) {
	t.Helper()
	s := NewStatic("nixpkgs", "unstable")
	id := int64(1000)
	for e := 0; e < 3; e++ {
		ts := int64(1_780_000_000 + e*86400)
		bs := map[string]*Build{}
		var list []*Build
		for _, n := range append(slices.Clone(names), "ok1", "ok2", "ok3", "ok4", "ok5") {
			id++
			b := B(id, n+".x86_64-linux", "x86_64-linux", 0, drv("abc"[e], n+"-1"), ts+60, ts+600)
			bs[n] = b
			list = append(list, b)
		}
		fail(e, bs)
		for _, b := range list {
			b.StopTime = ts + 600 // the failure's stop time, as the page shows it
		}
		s.AddEval(int64(100+e), ts, list...)
	}
	srv := httptest.NewServer(New(s))
	t.Cleanup(srv.Close)
	log := logrus.New()
	log.SetOutput(io.Discard)
	c, err := hydra.New(hydra.Options{BaseURL: srv.URL, Rate: 1000, Burst: 10, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	cache, err := hydra.OpenCache(t.TempDir(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := c.History(context.Background(), cache, "nixpkgs", "unstable", 3)
	if err != nil {
		t.Fatal(err)
	}
	var h []failures.Evaluation
	for _, er := range recs {
		h = append(h, failures.FromRecords(er))
	}
	return c, cache, h
}

func marked(res failures.Result) []string {
	var a []string
	for _, f := range res.Failures {
		a = append(a, f.Attr)
	}
	return a
}

func confirm(t *testing.T, c *hydra.Client, cache *hydra.Cache, h []failures.Evaluation, p failures.Policy) failures.Result {
	t.Helper()
	res, _, err := failures.Confirm(context.Background(), h, p, func(ctx context.Context, id, stop int64) (hydra.Status, hydra.Origin, error) {
		return c.Provenance(ctx, cache, id, stop)
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// A dependency times out in every evaluation: the runner writes 7 on it and
// on its dependents. Counting timeouts, markbot marks the dependency, never
// its dependents; by default it marks neither (a timeout is transient).
func TestDependencyTimesOut(t *testing.T) {
	c, cache, h := runnerWorld(t, []string{"libslow", "app1", "app2"}, func(e int, bs map[string]*Build) {
		FailStep(7, bs["libslow"], bs["app1"], bs["app2"])
	})
	for _, r := range h[0].Records {
		if (r.Job == "app1.x86_64-linux" || r.Job == "libslow.x86_64-linux") && r.Status != hydra.StatusTimedOut {
			t.Fatalf("%s reads as %s on the page, want timed out (copied)", r.Job, r.Status)
		}
	}
	p := failures.DefaultPolicy()
	p.OwnFailure = append(p.OwnFailure, hydra.StatusTimedOut)
	if got := marked(confirm(t, c, cache, h, p)); !slices.Equal(got, []string{"libslow"}) {
		t.Errorf("counting timeouts: marked %v, want [libslow]", got)
	}
	if got := marked(confirm(t, c, cache, h, failures.DefaultPolicy())); len(got) != 0 {
		t.Errorf("default policy: marked %v, want nothing", got)
	}
	if res, _ := failures.Detect(h, p); len(res.Failures) != 0 {
		t.Errorf("Detect without asking marked %v: nothing says whose timeout it is", marked(res))
	}
}

// A cached failure (8): the Rust runner writes it on the build whose
// derivation is in FailedPaths and on its dependents, and the evaluation
// page shows both as "Failed". The dependency is the package's own failure;
// the dependent is not.
func TestCachedFailure(t *testing.T) {
	c, cache, h := runnerWorld(t, []string{"libcached", "user"}, func(e int, bs map[string]*Build) {
		FailStep(8, bs["libcached"], bs["user"])
	})
	for _, r := range h[0].Records {
		if r.Job == "user.x86_64-linux" && r.Status != hydra.StatusFailed {
			t.Fatalf("the dependent reads as %s on the page, want failed (renderBuildStatusIcon's title for 8)", r.Status)
		}
	}
	// Read from the page alone, the dependent looks like its own failure.
	if res, _ := failures.Detect(h, failures.DefaultPolicy()); !slices.Contains(marked(res), "user") {
		t.Fatalf("Detect marked %v: the page should make the dependent look failed", marked(res))
	}
	if got := marked(confirm(t, c, cache, h, failures.DefaultPolicy())); !slices.Equal(got, []string{"libcached"}) {
		t.Errorf("marked %v, want [libcached]", got)
	}
}

// A dependency failing with 1: its dependents get 2, and only it is
// marked; asking Hydra confirms it.
func TestDependencyFails(t *testing.T) {
	c, cache, h := runnerWorld(t, []string{"libbad", "app"}, func(e int, bs map[string]*Build) {
		FailStep(1, bs["libbad"], bs["app"])
	})
	for _, r := range h[0].Records {
		if r.Job == "app.x86_64-linux" && r.Status != hydra.StatusDependencyFailed {
			t.Fatalf("the dependent is %s, want dependency failed", r.Status)
		}
	}
	if got := marked(confirm(t, c, cache, h, failures.DefaultPolicy())); !slices.Equal(got, []string{"libbad"}) {
		t.Errorf("marked %v, want [libbad]", got)
	}
}

// The build page lists the steps FailStep wrote, and hydra.ReadBuildSteps
// reads them back.
func TestBuildPageSteps(t *testing.T) {
	s := NewStatic("nixpkgs", "unstable")
	dep := B(1, "dep.x86_64-linux", "x86_64-linux", 0, drv('d', "dep-1"), 10, 20)
	app := B(2, "app.x86_64-linux", "x86_64-linux", 0, drv('e', "app-1"), 10, 20)
	FailStep(10, dep, app)
	s.AddEval(100, 30, dep, app)
	srv := httptest.NewServer(New(s))
	defer srv.Close()
	for _, tt := range []struct {
		b      *Build
		origin hydra.Origin
	}{{dep, hydra.OriginOwn}, {app, hydra.OriginDependency}} {
		resp, err := srv.Client().Get(srv.URL + "/build/" + itoa64(tt.b.ID))
		if err != nil {
			t.Fatal(err)
		}
		steps, err := hydra.ReadBuildSteps(resp.Body, srv.URL, tt.b.ID)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(steps) != 1 || steps[0].Status != hydra.StatusLogLimitExceeded || !slices.Equal(steps[0].Outputs, outputPaths(dep)) {
			t.Fatalf("build %d: steps %+v", tt.b.ID, steps)
		}
		if want := map[bool]int64{true: 1, false: 0}[tt.b == app]; steps[0].PropagatedFrom != want {
			t.Errorf("build %d: propagated from %d, want %d", tt.b.ID, steps[0].PropagatedFrom, want)
		}
		hb := tt.b.Build
		hb.Outputs = map[string]hydra.BuildOutput{"out": {Path: outputPaths(tt.b)[0]}}
		if o := hydra.OriginOf(&hb, steps); o != tt.origin {
			t.Errorf("build %d: origin %s, want %s", tt.b.ID, o, tt.origin)
		}
	}
}
