package breaks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

// rev is a revision (40 hex digits) named by a letter.
func rev(c byte) string { return strings.Repeat(fmt.Sprintf("%x", c), 20) }

type fakeHydra struct {
	latest   map[string]*hydra.Build // job → newest success
	evalOf   map[int64]hydra.Eval    // build → newest evaluation holding it
	builds   map[int64]*hydra.Build
	evals    map[int64]hydra.Eval
	requests int
}

func (f *fakeHydra) LatestSuccess(_ context.Context, _, _, job string) (*hydra.Build, error) {
	f.requests++
	return f.latest[job], nil
}

func (f *fakeHydra) LatestEvalOf(_ context.Context, id int64) (hydra.Eval, bool, error) {
	f.requests++
	e, ok := f.evalOf[id]
	return e, ok, nil
}

func (f *fakeHydra) Build(_ context.Context, id int64) (*hydra.Build, error) {
	f.requests++
	if b, ok := f.builds[id]; ok {
		return b, nil
	}
	return nil, errors.New("no such build")
}

func (f *fakeHydra) Eval(_ context.Context, id int64) (hydra.Eval, error) {
	f.requests++
	return f.evals[id], nil
}

func evalWith(id int64, r string) hydra.Eval {
	return hydra.Eval{ID: id, Inputs: map[string]hydra.EvalInput{"nixpkgs": {Revision: &r}}}
}

func TestFromHistory(t *testing.T) {
	revs := map[int64]string{10: rev('a'), 11: rev('b'), 12: rev('c')}
	sf := failures.SystemFailure{Job: "foo.x86_64-linux", FirstFailingEval: 11,
		LastSuccess: &failures.BuildRef{Build: 1, Eval: 10, Time: time.Unix(0, 0)}}
	r, ok := FromHistory(sf, revs)
	if !ok || !r.Exact || r.Good != (Point{10, rev('a')}) || r.Bad != (Point{11, rev('b')}) {
		t.Fatalf("range %+v %v", r, ok)
	}
	if u := r.CompareURL("NixOS/nixpkgs"); u != "https://github.com/NixOS/nixpkgs/compare/"+rev('a')+"..."+rev('b') {
		t.Errorf("compare URL %s", u)
	}
	sf.LastSuccess = nil
	if r, ok := FromHistory(sf, revs); ok || r.Known() || r.String() != "unknown" || r.CompareURL("x/y") != "" {
		t.Errorf("no success in the history: %+v %v %q", r, ok, r.String())
	}
}

// With too short a history, the job's history on Hydra is read, within the
// budget; a job that never built stays unknown.
func TestFinderLooksBackWithinBudget(t *testing.T) {
	h := &fakeHydra{
		latest: map[string]*hydra.Build{"foo.x86_64-linux": {ID: 500}},
		evalOf: map[int64]hydra.Eval{500: evalWith(90, rev('g'))},
		builds: map[int64]*hydra.Build{700: {ID: 700, JobsetEvals: []int64{120, 95, 130}}},
		evals:  map[int64]hydra.Eval{95: evalWith(95, rev('h'))},
	}
	sf := failures.SystemFailure{Job: "foo.x86_64-linux", Build: 701, FirstFailingEval: 120,
		BuildTimes: []failures.BuildTime{{Eval: 120, Build: 700}, {Eval: 130, Build: 701}}}
	f := &Finder{Hydra: h, Budget: 2 * RequestsPerLookup}
	r, ok, err := f.Find(context.Background(), "nixpkgs", "unstable", sf, map[int64]string{120: rev('x'), 130: rev('y')})
	if err != nil || !ok || r.Exact || r.Good != (Point{90, rev('g')}) || r.Bad != (Point{95, rev('h')}) {
		t.Fatalf("range %+v %v %v", r, ok, err)
	}
	if !strings.Contains(r.String(), "or earlier") || f.Spent() != 6 || h.requests != 4 {
		t.Errorf("%q after %d/%d requests", r.String(), f.Spent(), h.requests)
	}
	// Known: asked again, no request.
	if _, ok, _ := f.Find(context.Background(), "nixpkgs", "unstable", sf, nil); !ok || h.requests != 4 {
		t.Errorf("a known range was looked up again (%d requests)", h.requests)
	}
	// A job that never built: unknown, one request.
	never := failures.SystemFailure{Job: "bar.x86_64-linux", Build: 800}
	if r, ok, err := f.Find(context.Background(), "nixpkgs", "unstable", never, nil); ok || err != nil || r.Known() || h.requests != 5 {
		t.Errorf("never built: %+v %v %v after %d requests", r, ok, err, h.requests)
	}
	// The budget is spent: no more requests, unknown.
	other := failures.SystemFailure{Job: "baz.x86_64-linux", Build: 900}
	if _, ok, _ := f.Find(context.Background(), "nixpkgs", "unstable", other, nil); ok || h.requests != 5 {
		t.Errorf("over budget: %v after %d requests", ok, h.requests)
	}
}
