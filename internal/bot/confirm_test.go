package bot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

// askHydra answers Provenance from a table: an error for the builds in
// fail, the package's own failure for the rest.
type askHydra struct{ fail map[int64]error }

func (a askHydra) Provenance(_ context.Context, _ *hydra.Cache, id, _ int64) (hydra.Status, hydra.Origin, error) {
	if err := a.fail[id]; err != nil {
		return 0, 0, err
	}
	return hydra.StatusFailed, hydra.OriginOwn, nil
}

// TestDecideHydraNotAnswering: Hydra failing to answer about a build
// stops the decision (the rerun decides on the whole picture); a build it
// has failed to answer about for UnansweredGrace only leaves its failure
// out, and the others go on; answered again, it is forgotten.
func TestDecideHydraNotAnswering(t *testing.T) {
	const sys = "x86_64-linux"
	pkgs := []string{"a", "b", "c", "d"}
	var history []failures.Evaluation
	for e := int64(0); e < 3; e++ {
		ev := failures.Evaluation{ID: 100 + e, Time: time.Unix(1767225600+e*3*86400, 0).UTC()}
		for i, p := range pkgs {
			ev.Records = append(ev.Records, hydra.Record{Job: p + "." + sys, System: sys, Status: hydra.StatusFailed,
				Build: int64(1000*(i+1)) + e, Stop: 1767225600 + e*3*86400})
		}
		for i := 0; i < 8; i++ { // builds that succeed, so that four failures are no mass breakage
			ev.Records = append(ev.Records, hydra.Record{Job: fmt.Sprintf("ok%d.%s", i, sys), System: sys, Status: hydra.StatusSucceeded,
				Build: int64(9000+10*i) + e, Stop: 1767225600 + e*3*86400})
		}
		history = append(history, ev)
	}
	p := failures.DefaultPolicy()
	p.Evaluations, p.MinDays, p.MinDerivations = 3, 1, 1
	p.MassBreakageShare = 1
	bad := errors.New("GET https://hydra.example/build/1002: 500 Internal Server Error")
	cache, err := hydra.OpenCache(t.TempDir(), "https://hydra.example")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	at := func(d time.Duration) {
		decideNow = func() time.Time { return t0.Add(d) }
	}
	t.Cleanup(func() { decideNow = time.Now })
	failing := askHydra{fail: map[int64]error{1002: bad}}

	at(0)
	if _, err := Decide(context.Background(), failing, cache, history, p, 0, nil); err == nil || !strings.Contains(err.Error(), "build 1002") {
		t.Fatalf("a build unanswered for the first time: %v, want the decision stopped naming it", err)
	}
	at(UnansweredGrace / 2)
	if _, err := Decide(context.Background(), failing, cache, history, p, 0, nil); err == nil {
		t.Fatal("a build unanswered for less than UnansweredGrace did not stop the decision")
	}
	at(UnansweredGrace + time.Minute)
	res, err := Decide(context.Background(), failing, cache, history, p, 0, nil)
	if err != nil {
		t.Fatalf("a build unanswered for a day stopped the decision: %v", err)
	}
	var got []string
	for _, f := range res.Failures {
		got = append(got, f.Attr)
	}
	if strings.Join(got, " ") != "b c d" || strings.Join(res.Unconfirmed, " ") != "a" {
		t.Errorf("failures %v, unconfirmed %v; want b c d and a", got, res.Unconfirmed)
	}

	// Answered again: forgotten, so a later failure to answer stops the
	// decision again.
	if _, err := Decide(context.Background(), askHydra{}, cache, history, p, 0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Decide(context.Background(), failing, cache, history, p, 0, nil); err == nil {
		t.Error("a build answered in between, then unanswered again, did not stop the decision")
	}
	// Without a cache nothing is remembered: every failure to answer stops it.
	at(10 * UnansweredGrace)
	if _, err := Decide(context.Background(), failing, nil, history, p, 0, nil); err == nil {
		t.Error("without a cache a failure to answer did not stop the decision")
	}
}

// FuzzUnanswered: whatever unanswered.json holds, reading it never panics,
// and what is saved back reads the same.
func FuzzUnanswered(f *testing.F) {
	f.Add([]byte(`{"since":{"1002":"2026-12-01T10:00:00Z"}}`))
	f.Add([]byte(`{"since":{"x":1}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cache, err := hydra.OpenCache(t.TempDir(), "https://hydra.example")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(filepath.Dir(cache.Dir()), "unanswered.json")
		os.WriteFile(path, b, 0o644)
		now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
		u := loadUnanswered(cache)
		u.since(7, now)
		if err := u.save(now); err != nil {
			t.Fatal(err)
		}
		v := loadUnanswered(cache)
		if _, ok := v.Since[7]; !ok || len(v.Since) != len(u.Since) {
			t.Fatalf("saved %v, read back %v", u.Since, v.Since)
		}
	})
}
