package breaks_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/breaks"
	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
)

// foo built in evaluation 1 and fails from evaluation 2 on; markbot reads
// only the three newest (3–5), so the range comes from Hydra's routes.
func TestFinderAgainstTheFake(t *testing.T) {
	s := hydratest.NewStatic("nixpkgs", "unstable")
	ok := hydratest.B(10, "foo.x86_64-linux", "x86_64-linux", 0, strings.Repeat("a", 32)+"-foo-1", 10, 20)
	bad := hydratest.B(11, "foo.x86_64-linux", "x86_64-linux", 1, strings.Repeat("b", 32)+"-foo-2", 30, 40)
	bad2 := hydratest.B(12, "foo.x86_64-linux", "x86_64-linux", 1, strings.Repeat("c", 32)+"-foo-3", 50, 60)
	s.AddEval(1, 100, ok).AddEval(2, 200, bad).AddEval(3, 300, bad).AddEval(4, 400, bad2).AddEval(5, 500, bad2)
	srv := httptest.NewServer(hydratest.HydraNixosOrg(hydratest.New(s), hydratest.FrontEndOptions{Rate: 200}))
	defer srv.Close()
	l := logrus.New()
	l.SetOutput(io.Discard)
	c, err := hydra.New(hydra.Options{BaseURL: srv.URL, Rate: 100, Logger: l})
	if err != nil {
		t.Fatal(err)
	}
	cache, _ := hydra.OpenCache(t.TempDir(), srv.URL)
	h, err := c.History(context.Background(), cache, "nixpkgs", "unstable", 3)
	if err != nil {
		t.Fatal(err)
	}
	evals := make([]failures.Evaluation, len(h))
	for i, er := range h {
		evals[i] = failures.FromRecords(er)
	}
	res, err := failures.Detect(evals, failures.DefaultPolicy())
	if err != nil || len(res.Failures) != 1 {
		t.Fatalf("detected %+v, %v", res.Failures, err)
	}
	sf := res.Failures[0].PerSystem[0]
	f := &breaks.Finder{Hydra: c, Budget: 40}
	r, found, err := f.Find(context.Background(), "nixpkgs", "unstable", sf, breaks.Revisions(h))
	if err != nil || !found {
		t.Fatalf("Find: %+v %v %v", r, found, err)
	}
	// Good is evaluation 1; the oldest failing build markbot saw (11)
	// first appears in evaluation 2, which is where foo broke.
	if r.Good.Eval != 1 || r.Bad.Eval != 2 || r.Exact || r.Good.Revision == "" || r.Bad.Revision == "" ||
		!strings.HasPrefix(r.CompareURL("NixOS/nixpkgs"), "https://github.com/NixOS/nixpkgs/compare/") {
		t.Errorf("range %+v (%s)", r, r)
	}
	if f.Spent() > breaks.RequestsPerLookup {
		t.Errorf("%d requests for one lookup", f.Spent())
	}
}
