package compare

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
)

// Two fake Hydra jobsets at one URL. A single hydratest.Fake serves one
// jobset, so the mux asks each fake in turn and answers with the first
// that knows the path (anything but 404); evaluation and build ids of the
// two jobsets never overlap (base: evaluations 1xx, builds 1xxxx; head:
// 2xx, 2xxxx). It counts every request the client makes.
type hydraMux struct {
	fakes []*hydratest.Fake
	mu    sync.Mutex
	n     int
}

func (m *hydraMux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	m.n++
	m.mu.Unlock()
	hs := make([]http.Handler, len(m.fakes))
	for i, f := range m.fakes {
		hs[i] = f
	}
	hydratest.Multi(hs...).ServeHTTP(w, r)
}

// Requests is the number of requests the client made.
func (m *hydraMux) Requests() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n
}

const (
	baseEvalID = 100
	headEvalID = 200
	t0         = int64(1767225600) // 2026-01-01
)

var (
	baseJobset = Jobset{"nixpkgs", "unstable"}
	headJobset = Jobset{"nixpkgs", "staging-next"}
)

// job is one build in a scenario: attribute, system, status.
type job struct {
	attr, system string
	status       int
}

// world is a fake Hydra with base and head jobsets.
type world struct {
	base, head *hydratest.Static
	baseFake   *hydratest.Fake
	headFake   *hydratest.Fake
	mux        *hydraMux
	srv        *httptest.Server
}

func builds(first int64, eval int64, jobs []job) []*hydratest.Build {
	var out []*hydratest.Build
	for i, j := range jobs {
		id := first + int64(i)
		name := j.attr
		if j.system != "" {
			name += "." + j.system
		}
		drv := fmt.Sprintf("%032d-%s-%d", id, j.attr, eval)
		b := hydratest.B(id, name, j.system, j.status, drv, t0+eval, t0+eval+60)
		if j.status == 1 || j.status == 6 {
			b.Log = fmt.Sprintf("building %s\nerror: %s failed on %s\nbuild %d log line A\nbuild %d log line B\n", j.attr, j.attr, j.system, id, id)
		}
		out = append(out, b)
	}
	return out
}

func newWorld(t *testing.T, baseJobs, headJobs []job) *world {
	t.Helper()
	w := &world{base: hydratest.NewStatic("nixpkgs", "unstable"), head: hydratest.NewStatic("nixpkgs", "staging-next")}
	w.base.AddEval(baseEvalID, t0+baseEvalID, builds(10000, baseEvalID, baseJobs)...)
	w.head.AddEval(headEvalID, t0+headEvalID, builds(20000, headEvalID, headJobs)...)
	w.start(t)
	return w
}

func (w *world) start(t *testing.T) {
	w.baseFake, w.headFake = hydratest.New(w.base), hydratest.New(w.head)
	w.mux = &hydraMux{fakes: []*hydratest.Fake{w.baseFake, w.headFake}}
	// Behind the model of hydra.nixos.org's front end, limit_req scaled to
	// 2000 r/s for the 1000 r/s client.
	w.srv = httptest.NewServer(hydratest.HydraNixosOrg(w.mux, hydratest.FrontEndOptions{Rate: 2000}))
	t.Cleanup(w.srv.Close)
}

func (w *world) client(t *testing.T) *hydra.Client {
	t.Helper()
	quiet := logrus.New()
	quiet.SetOutput(io.Discard)
	c, err := hydra.New(hydra.Options{BaseURL: w.srv.URL, Rate: 1000, Burst: 10, MaxAttempts: 2,
		MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testIndex(t testing.TB) *nixpkgs.Index {
	t.Helper()
	ix, err := nixpkgs.Load(context.Background(), filepath.Join("testdata", "packages.json"), nixpkgs.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// deps wires Run to the world's Hydra, a fresh cache and the test index.
func (w *world) deps(t *testing.T, stateDir string) Deps {
	t.Helper()
	c := w.client(t)
	cache, err := hydra.OpenCache(stateDir, c.BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	ix := testIndex(t)
	return Deps{Hydra: c, Cache: cache, Index: func(context.Context) (Index, error) { return ix, nil }}
}

func defaultOptions() Options {
	return Options{Base: baseJobset, Head: headJobset, Policy: failures.DefaultPolicy()}
}
