package main

import (
	"testing"
)

// TestRunCycleWithNothingNew: a second `markbot run` with no new
// evaluation, its marking PRs open, asks Hydra only for what may have
// changed: the latest evaluation and the evaluations list (no evaluation
// page: cached), and nothing it asked before (the newest evaluation's
// packages index, log tails, ranges, whose failure a build is: kept in the
// state directory). What the README's cost table states.
func TestRunCycleWithNothingNew(t *testing.T) {
	w, cfg := demoWorld(t)
	run := cycleRunner(t, cfg)
	run()
	before := map[string]int{}
	for k, v := range w.Front.Stats().Requests {
		before[k] = v
	}
	run()
	got := map[string]int{}
	total := 0
	for k, v := range w.Front.Stats().Requests {
		if d := v - before[k]; d > 0 {
			got[k] = d
			total += d
		}
	}
	want := map[string]int{"jobset/latest-eval": 1, "jobset/evals": 1, "eval": 1}
	if total != 3 || len(got) != len(want) {
		t.Fatalf("a cycle with nothing new asked Hydra %d times: %v, want %v", total, got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d requests, want %d (all: %v)", k, got[k], n, got)
		}
	}
}
