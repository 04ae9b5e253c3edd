package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
)

// TestCycleSkipsRefused: a change the publisher refused for the failing
// build it comes for again is not proposed (the same file gives the same
// answer) and leaves its place under MaxChanges to the next failure; a new
// failing build is tried again.
func TestCycleSkipsRefused(t *testing.T) {
	const sys = "x86_64-linux"
	drv := func(c byte, name string) string { return strings.Repeat(string(c), 32) + "-" + name }
	day := int64(86400)
	s := hydratest.NewStatic("nixpkgs", "unstable")
	// foo fails longest, so it comes first under the cap.
	foo := hydratest.B(20, "foo."+sys, sys, 1, drv('c', "foo-1"), 1*day, 1*day+10)
	bar := hydratest.B(30, "bar."+sys, sys, 1, drv('d', "bar-1"), 10*day, 10*day+10)
	s.AddEval(1, 11*day, foo, bar).AddEval(2, 20*day, foo, bar)
	_, hc, hydraURL, log := staticHydra(t, s)
	idx := fakeIndex{"foo": pkg("foo", "pkgs/foo.nix:3"), "bar": pkg("bar", "pkgs/bar.nix:3")}
	index := func(context.Context, *hydra.EvalRecords) (Index, error) { return idx, nil }
	pol := failures.DefaultPolicy()
	pol.Evaluations, pol.MinDays, pol.MinDerivations = 2, 1, 1
	for _, tt := range []struct {
		name     string
		refusals []prs.Refusal
		want     string
	}{
		{"nothing refused", nil, "foo"},
		{"foo refused for its build", []prs.Refusal{{Attr: "foo", BuildID: 20, Outcome: prs.OutcomeRefused, Reason: "no meta", At: time.Now()}}, "bar"},
		{"foo refused for an older build", []prs.Refusal{{Attr: "foo", BuildID: 19, Outcome: prs.OutcomeRefused, Reason: "no meta", At: time.Now()}}, "foo"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cache, _ := hydra.OpenCache(t.TempDir(), hydraURL)
			pub := &recordingPublisher{}
			sum, err := Cycle(context.Background(), hc, index, pub, Options{Project: "nixpkgs", Jobset: "unstable", Evaluations: 2,
				Policy: pol, Cache: cache, MaxChanges: 1, Log: log,
				Refusals: func(context.Context) ([]prs.Refusal, error) { return tt.refusals, nil }})
			if err != nil {
				t.Fatal(err)
			}
			if len(pub.changes) != 1 || pub.changes[0].Attr() != tt.want {
				t.Fatalf("published %v, want %s", pub.changes, tt.want)
			}
			if tt.want == "bar" {
				if sum.Deferred != 0 || len(sum.Skipped) != 1 || !strings.Contains(sum.Skipped[0].Reason, "refused on ") ||
					!strings.Contains(sum.Skipped[0].Reason, "not tried again until its failing build changes") {
					t.Errorf("deferred %d, skipped %v", sum.Deferred, sum.Skipped)
				}
			} else if sum.Deferred != 1 {
				t.Errorf("deferred %d, want bar deferred", sum.Deferred)
			}
		})
	}
}
