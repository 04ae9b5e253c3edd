package hydra_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

// buildPageSeed is a build page as build.tt prints its steps tab.
const buildPageSeed = `<!DOCTYPE html><html><head><title>Hydra - Build 7 of job nixpkgs:unstable:app.x86_64-linux</title></head><body>
<div id="generic-tabs" class="tab-content"><div id="tabs-summary" class="tab-pane active"></div>
<div id="tabs-buildsteps" class="tab-pane"><table><thead><tr><th>Nr</th><th>Step</th><th>Duration</th><th>Machine</th><th>Status</th></tr></thead><tbody>
<tr><td><a class="row-link" href="https://hydra.nixos.org/build/7/step/2">2</a></td><td>Build of <tt>/nix/store/aaaa-dep-1,<br/>/nix/store/aaaa-dep-1-dev</tt></td><td>1s</td><td><em>n/a</em></td>
<td class="step-status"><span class="error">Timed out</span> (propagated from <a href="https://hydra.nixos.org/build/6">build 6</a>)</td></tr>
<tr><td><a class="row-link" href="https://hydra.nixos.org/build/7/step/1">1</a></td><td>Substitution of <tt>/nix/store/bbbb-src</tt></td><td>1s</td><td>m</td><td class="step-status">Succeeded</td></tr>
</tbody></table></div></div></body></html>`

func TestReadBuildSteps(t *testing.T) {
	steps, err := hydra.ReadBuildSteps(strings.NewReader(buildPageSeed), "u", 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 || steps[0].Nr != 2 || steps[0].Status != hydra.StatusTimedOut || steps[0].PropagatedFrom != 6 ||
		len(steps[0].Outputs) != 2 || steps[0].Outputs[1] != "/nix/store/aaaa-dep-1-dev" ||
		steps[1].Status != hydra.StatusSucceeded || steps[1].Outputs[0] != "/nix/store/bbbb-src" {
		t.Errorf("steps %+v", steps)
	}
	for _, bad := range []struct{ why, page string }{
		{"another build's page", strings.Replace(buildPageSeed, "Build 7 of", "Build 8 of", 1)},
		{"a decoy without a title", "<html><body><p>lorem</p></body></html>"},
		{"an unknown step status", strings.Replace(buildPageSeed, "Timed out", "Exploded", 1)},
		{"a step number that is not one", strings.Replace(buildPageSeed, ">2</a>", ">two</a>", 1)},
		{"cut inside the steps", buildPageSeed[:strings.Index(buildPageSeed, "</tbody>")]},
	} {
		if _, err := hydra.ReadBuildSteps(strings.NewReader(bad.page), "u", 7); err == nil {
			t.Errorf("%s: accepted", bad.why)
		}
	}
	big := bytes.Repeat([]byte("<p>x</p>"), 3<<20)
	if _, err := hydra.ReadBuildSteps(bytes.NewReader(append([]byte(buildPageSeed[:strings.Index(buildPageSeed, "<body>")+6]), big...)), "u", 7); err == nil ||
		!strings.Contains(err.Error(), "larger than") {
		t.Errorf("a 24 MiB page: %v, want the size limit", err)
	}
}

func TestOriginOf(t *testing.T) {
	own := "/nix/store/own-1"
	b := func(st int) *hydra.Build {
		return &hydra.Build{ID: 7, Finished: true, BuildStatus: &st, Outputs: map[string]hydra.BuildOutput{"out": {Path: own}}}
	}
	step := func(nr int, st hydra.Status, out string) hydra.BuildStep {
		return hydra.BuildStep{Nr: nr, Status: st, Outputs: []string{out}}
	}
	for _, tt := range []struct {
		why   string
		b     *hydra.Build
		steps []hydra.BuildStep
		want  hydra.Origin
	}{
		{"1 is always own", b(1), nil, hydra.OriginOwn},
		{"2 is always a dependency's", b(2), nil, hydra.OriginDependency},
		{"7 on its own step", b(7), []hydra.BuildStep{step(1, 7, own)}, hydra.OriginOwn},
		{"7 on a dependency's step", b(7), []hydra.BuildStep{step(1, 0, "/nix/store/x"), step(2, 7, "/nix/store/dep")}, hydra.OriginDependency},
		{"8 without a failed step: the own top level", b(8), []hydra.BuildStep{step(1, 0, "/nix/store/x")}, hydra.OriginOwn},
		{"8 on a dependency's step", b(8), []hydra.BuildStep{step(1, 8, "/nix/store/dep")}, hydra.OriginDependency},
		{"10 with no step: unknown", b(10), nil, hydra.OriginUnknown},
		{"the newest failed step has another status (a restart): unknown", b(11), []hydra.BuildStep{step(1, 11, own), step(2, 1, own)}, hydra.OriginUnknown},
		{"no output paths to compare (content-addressed)", &hydra.Build{ID: 7, Finished: true, BuildStatus: new(7)}, []hydra.BuildStep{step(1, 7, own)}, hydra.OriginUnknown},
		{"12 is not a copied status", b(12), nil, hydra.OriginUnknown},
	} {
		if got := hydra.OriginOf(tt.b, tt.steps); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.why, got, tt.want)
		}
	}
}

func FuzzReadBuildSteps(f *testing.F) {
	f.Add([]byte(buildPageSeed))
	f.Add([]byte(strings.Replace(buildPageSeed, "Timed out", "Cached failure", 1)))
	f.Add([]byte("<title>Build 7 of job x</title><div id=tabs-buildsteps><tr><td>1<td><td><td><td>Failed"))
	f.Fuzz(func(t *testing.T, page []byte) {
		steps, err := hydra.ReadBuildSteps(bytes.NewReader(page), "u", 7)
		if err != nil {
			return
		}
		for _, s := range steps {
			if s.Nr <= 0 || s.Label == "" {
				t.Fatalf("a step without number or status: %+v", s)
			}
		}
		st := 8
		hydra.OriginOf(&hydra.Build{ID: 7, Finished: true, BuildStatus: &st, Outputs: map[string]hydra.BuildOutput{"out": {Path: "/nix/store/a"}}}, steps)
	})
}
