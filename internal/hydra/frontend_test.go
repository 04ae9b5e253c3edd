package hydra_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
)

// frontEnd serves s behind hydra.nixos.org's front end, limit_req scaled
// up a hundredfold (200 r/s, burst 7) so that a client at 100 r/s keeps
// to it as one at 1 r/s keeps to the real 2 r/s.
func frontEnd(t *testing.T, s hydratest.Scenario, mod ...func(*hydratest.FrontEndOptions)) (*hydratest.FrontEnd, string) {
	t.Helper()
	o := hydratest.FrontEndOptions{Rate: 200}
	for _, m := range mod {
		m(&o)
	}
	fe := hydratest.HydraNixosOrg(hydratest.New(s), o)
	srv := httptest.NewServer(fe)
	t.Cleanup(srv.Close)
	return fe, srv.URL
}

// Against hydra.nixos.org's front end, today's way of reading an
// evaluation too big for it (/eval/N/builds) ends in one 504, and the
// evaluation page reads it whole. The evaluation here has ≈5 500 builds
// and Hydra's cost per build is raised to 250 ms so that it stands for a
// nixpkgs one (≈36 000 builds reach 900 s at the modelled 25 ms; the
// race detector makes reading 40k-build pages in a test take minutes):
// docs/benchmarks.md reads 250k-build evaluations at the real cost.
func TestNixpkgsScaleThroughTheFrontEnd(t *testing.T) {
	cfg := hydratest.DefaultGenConfig()
	cfg.Packages, cfg.Evals = 1500, 3
	g := hydratest.Generate(cfg)
	fe, url := frontEnd(t, g, func(o *hydratest.FrontEndOptions) { o.BuildCost = 250 * time.Millisecond })
	slow := func(o *hydra.Options) { o.Rate, o.Burst = 100, 1 }

	builds := newClient(t, url, slow, func(o *hydra.Options) { o.Read = hydra.ReadBuilds })
	_, err := builds.History(context.Background(), mustCache(t, url), cfg.Project, cfg.Jobset, cfg.Evals)
	if err == nil || !strings.Contains(err.Error(), "504") || !strings.Contains(err.Error(), "hydra.read: page") {
		t.Fatalf("the builds endpoint: %v; want a 504 with advice", err)
	}
	if st := fe.Stats(); st.GatewayTimeouts != 1 || st.Requests["eval/builds"] != 1 {
		t.Errorf("%d 504s after %d requests to /eval/N/builds; want one, not retried", st.GatewayTimeouts, st.Requests["eval/builds"])
	}

	page := newClient(t, url, slow)
	h, err := page.History(context.Background(), mustCache(t, url), cfg.Project, cfg.Jobset, cfg.Evals)
	if err != nil || len(h) != cfg.Evals {
		t.Fatalf("the evaluation page: %d evaluations, %v", len(h), err)
	}
	n := 0
	g.BuildIDs(h[0].Eval, func(int64) { n++ })
	if len(h[0].Records) != n || n < 5000 {
		t.Errorf("read %d of %d builds", len(h[0].Records), n)
	}
	if st := fe.Stats(); st.TooManyRequests != 0 || st.Decoys != 0 {
		t.Errorf("a polite client got %d 429s and %d decoys", st.TooManyRequests, st.Decoys)
	}
}

// A client iocaine does not want (Go's default User-Agent) gets a decoy
// page, which markbot names as such instead of reading it.
func TestDecoyIsRecognised(t *testing.T) {
	_, url := frontEnd(t, smallScenario())
	c := newClient(t, url, func(o *hydra.Options) { o.UserAgent = "Go-http-client/1.1" })
	_, err := c.Ingest(context.Background(), mustCache(t, url), hydra.Eval{ID: 101})
	var nep *hydra.NotEvalPageError
	if !errors.As(err, &nep) || !strings.Contains(err.Error(), "iocaine") || !strings.Contains(err.Error(), "hydra.contact") {
		t.Fatalf("err = %v, want the decoy named", err)
	}
	// markbot's own User-Agent passes.
	if _, err := newClient(t, url).Ingest(context.Background(), mustCache(t, url), hydra.Eval{ID: 101}); err != nil {
		t.Errorf("markbot's User-Agent: %v", err)
	}
}

// A client faster than limit_req allows gets 429s without Retry-After,
// backs off and still reads everything.
func TestTooFastClientBacksOff(t *testing.T) {
	// limit_req at 20 r/s: slower than this client however slow the race
	// detector makes its requests (≈1 s for the 30 below).
	fe, url := frontEnd(t, smallScenario(), func(o *hydratest.FrontEndOptions) { o.Rate = 20 })
	c := newClient(t, url) // 1000 r/s, burst 10
	for i := 0; i < 30; i++ {
		if _, err := c.Build(context.Background(), 10); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if fe.Stats().TooManyRequests == 0 && fe.Stats().Delayed == 0 {
		t.Error("limit_req never held the client back: the test proves nothing")
	}
}

func mustCache(t *testing.T, url string) *hydra.Cache {
	t.Helper()
	c, err := hydra.OpenCache(t.TempDir(), url)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
