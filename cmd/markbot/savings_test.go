package main

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/state"
)

func TestSavings(t *testing.T) {
	e := newRunEnv(t)
	e.cycle(t, false) // three PRs, five proposed markers
	pr := findPR(e.gh.PullRequests(), "cmatrix")
	if pr.Number == 0 {
		t.Fatal("no cmatrix pull request")
	}
	if _, err := e.gh.MergePullRequest(pr.Number, "alice-nix", ""); err != nil {
		t.Fatal(err)
	}
	e.cycle(t, false) // records the merge: cmatrix, figlet, sl merged

	// runScenario: four evaluations five days apart (1.4 a week); each
	// failing job failed on two derivations of 600 s, each built once and
	// reused once: 600 s × 2/4 × 1.4 / 3600 per system.
	perSystem := 600.0 * 0.5 * 1.4 / 3600
	code, stdout, stderr := run(t, "savings", "--config", e.config, "--json")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		Schema             int     `json:"schema"`
		Evaluations        int     `json:"evaluations"`
		EvaluationsPerWeek float64 `json:"evaluations_per_week"`
		Total              float64 `json:"total_hours_per_week"`
		IfMerged           float64 `json:"if_merged_hours_per_week"`
		Packages           []struct {
			Attr      string   `json:"attr"`
			Attrs     []string `json:"attrs"`
			State     string   `json:"state"`
			Proposed  bool     `json:"proposed"`
			Systems   []string `json:"systems"`
			Hours     float64  `json:"hours_per_week"`
			Unknown   bool     `json:"unknown"`
			PerSystem []struct {
				System      string  `json:"system"`
				Evaluations int     `json:"evaluations"`
				Rebuilt     int     `json:"rebuilt"`
				MeanSeconds float64 `json:"mean_seconds"`
			} `json:"per_system"`
		} `json:"packages"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v:\n%s", err, stdout)
	}
	close := func(a, b float64) bool { return math.Abs(a-b) < 1e-3 }
	if got.Schema != 1 || got.Evaluations != 4 || !close(got.EvaluationsPerWeek, 1.4) {
		t.Errorf("schema %d, %d evaluations, %v a week", got.Schema, got.Evaluations, got.EvaluationsPerWeek)
	}
	want := map[string]struct {
		state   string
		systems int
	}{
		"cmatrix": {"merged", 4}, "figlet": {"merged", 4}, "sl": {"merged", 4},
		"pv": {"proposed", 2}, "python312Packages.requests": {"proposed", 2}, // two attributes × x86_64-linux
	}
	if len(got.Packages) != len(want) {
		t.Errorf("%d packages, want %d:\n%s", len(got.Packages), len(want), stdout)
	}
	for _, p := range got.Packages {
		w, ok := want[p.Attr]
		if !ok {
			t.Errorf("unexpected package %s", p.Attr)
			continue
		}
		if p.State != w.state || p.Proposed != (w.state == "proposed") || len(p.PerSystem) != w.systems || p.Unknown {
			t.Errorf("%s: state %s proposed %v, %d systems, unknown %v; want %s, %d", p.Attr, p.State, p.Proposed, len(p.PerSystem), p.Unknown, w.state, w.systems)
		}
		if !close(p.Hours, float64(w.systems)*perSystem) {
			t.Errorf("%s: %v hours a week, want %v", p.Attr, p.Hours, float64(w.systems)*perSystem)
		}
		for _, s := range p.PerSystem {
			if s.Evaluations != 4 || s.Rebuilt != 2 || s.MeanSeconds != 600 {
				t.Errorf("%s on %s: %+v", p.Attr, s.System, s)
			}
		}
	}
	if !close(got.Total, 12*perSystem) || !close(got.IfMerged, 4*perSystem) {
		t.Errorf("total %v, if merged %v; want %v, %v", got.Total, got.IfMerged, 12*perSystem, 4*perSystem)
	}

	code, stdout, stderr = run(t, "savings", "--config", e.config)
	if code != exitOK {
		t.Fatalf("table: exit %d: %s", code, stderr)
	}
	for _, line := range []string{
		"nixpkgs/unstable: 4 evaluations read, 1.40 evaluations per week",
		"cmatrix ", "merged", "x86_64-linux,aarch64-linux,x86_64-darwin,aarch64-darwin  0.47",
		"python312Packages.requests (+1)  proposed  x86_64-linux", "Total: 1.40 build-hours per week",
		"If merged: 0.47 more build-hours per week", "Not counted: dependents",
	} {
		if !strings.Contains(stdout, line) {
			t.Errorf("table lacks %q:\n%s", line, stdout)
		}
	}
}

func TestSavingsNoMarkersAndErrors(t *testing.T) {
	e := newRunEnv(t)
	if code, _, stderr := run(t, "savings", "--config", e.config); code != exitError || !strings.Contains(stderr, "no state database") {
		t.Errorf("no state: exit %d, %q", code, stderr)
	}
	// A state database without markers: nothing saved, Hydra not asked.
	st, err := state.Open(context.Background(), filepath.Join(e.state, "markbot.db"), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, stdout, stderr := run(t, "savings", "--config", e.config)
	if code != exitOK || !strings.Contains(stdout, "No live markers") {
		t.Errorf("no markers: exit %d, %q %q", code, stdout, stderr)
	}
	if n := e.hydra.Hits("/jobset/nixpkgs/unstable/latest-eval"); n != 0 {
		t.Errorf("Hydra asked %d times without markers", n)
	}
	code, stdout, _ = run(t, "savings", "--config", e.config, "--json")
	if code != exitOK || !strings.Contains(stdout, `"schema": 1`) || !strings.Contains(stdout, `"packages": []`) {
		t.Errorf("no markers, JSON: exit %d, %s", code, stdout)
	}
	if code, _, stderr := run(t, "savings"); code != exitUsage || !strings.Contains(stderr, "--config FILE is required") {
		t.Errorf("no config: exit %d, %q", code, stderr)
	}
	if code, _, _ := run(t, "savings", "--config", filepath.Join(t.TempDir(), "none.yaml")); code != exitError {
		t.Errorf("missing config file: exit %d", code)
	}
}
