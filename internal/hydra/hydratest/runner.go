// The queue runner's failure writes (FailStep): a failed step's status on
// every build depending on it, and the build steps the build page lists,
// as NixOS/hydra's Rust queue runner writes them (inner_fail_job in
// subprojects/hydra-queue-runner/src/state/mod.rs), and the build page
// that shows those steps (root/build.tt renderBuildSteps).
package hydratest

import (
	"bufio"
	"net/http"
	"strconv"
)

// Step is one row of the buildsteps table of a build.
type Step struct {
	Nr      int
	DrvPath string
	Outputs []string // the step's output paths (buildstepoutputs)
	Status  int
	// PropagatedFrom is the build the step ran under when it is not this
	// one, 0 otherwise.
	PropagatedFrom int64
}

// FailStep records that the step building failing's derivation failed
// with status under failing (the runner's job.build_id), with dependents
// the unfinished builds depending on that derivation, the way
// inner_fail_job writes it:
//   - every build gets the step's status, except that 1 becomes 2 on a
//     build whose derivation is not the step's ("if &b.drv_path !=
//     step.get_drv_path() && step_status == Failed { DepFailed }");
//   - failing keeps the step it ran (finish_build_step), but for a cached
//     failure (8), which the runner finds before creating a step, and
//     which is "redundant with the build's isCachedBuild field";
//   - every dependent gets a failed step for the derivation, "propagated
//     from" failing.
//
// It sets the builds' statuses (finished) and appends to their Steps.
func FailStep(status int, failing *Build, dependents ...*Build) {
	outs := outputPaths(failing)
	set := func(b *Build, st int) {
		b.Finished = true
		b.BuildStatus = &st
	}
	set(failing, status)
	if status != 8 {
		failing.Steps = append(failing.Steps, Step{Nr: len(failing.Steps) + 1, DrvPath: failing.DrvPath, Outputs: outs, Status: status})
	}
	for _, d := range dependents {
		st := status
		if d.DrvPath != failing.DrvPath && status == 1 {
			st = 2
		}
		set(d, st)
		d.Steps = append(d.Steps, Step{Nr: len(d.Steps) + 1, DrvPath: failing.DrvPath, Outputs: outs,
			Status: status, PropagatedFrom: failing.ID})
	}
}

// outputPaths are a build's output paths as its JSON gives them.
func outputPaths(b *Build) []string {
	names := b.Outputs
	if len(names) == 0 {
		names = []string{"out"}
	}
	ps := make([]string, len(names))
	for i, o := range names {
		ps[i] = outPath(b.DrvPath, b.NixName, o)
	}
	return ps
}

// stepStatusHTML is renderStepStatus (build-common.tt) for a finished step.
func stepStatusHTML(st int) string {
	switch st {
	case 0:
		return "Succeeded"
	case 3:
		return `<span class="error">Aborted</span>`
	case 4:
		return `<span class="error">Cancelled</span>`
	case 7:
		return `<span class="error">Timed out</span>`
	case 8:
		return `<span class="error">Cached failure</span>`
	case 9:
		return `<span class="error">Unsupported system type</span>`
	case 10:
		return `<span class="error">Log limit exceeded</span>`
	case 11:
		return `<span class="error">Output limit exceeded</span>`
	case 12:
		return `<span class="error">Non-determinism detected</span>`
	case 13:
		return `<span class="text-muted"><em>Resolved</em></span>`
	}
	return `<span class="error">Failed</span>`
}

// buildPage is build.tt for a build: the layout, its title, and the
// "Build Steps" tab (renderBuildSteps type="All": newest step first,
// Build.pm build_GET orders by stepnr desc), which is what markbot reads.
// The summary tab is reduced to the status line.
func (f *Fake) buildPage(w http.ResponseWriter, r *http.Request, b *Build) {
	project, jobset := f.scen.Jobset()
	base := f.base(r) + "/"
	lay := layout{base: base, project: project, jobset: jobset}
	job := project + ":" + jobset + ":" + b.Job
	lay.title = "Build " + itoa64(b.ID) + " of job " + job
	lay.titleHTML = lay.title
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Vary", "Accept")
	hw := &htmlWriter{Writer: bufio.NewWriter(w)}
	hw.head(&lay)
	hw.WriteString("<ul class=\"nav nav-tabs\">\n  <li class=\"nav-item\"><a class=\"nav-link active\" href=\"#tabs-summary\" data-toggle=\"tab\">Summary</a></li>\n")
	if len(b.Steps) > 0 {
		hw.WriteString("  <li class=\"nav-item\"><a class=\"nav-link\" href=\"#tabs-buildsteps\" data-toggle=\"tab\">Build Steps</a></li>\n")
	}
	hw.WriteString("</ul>\n<div id=\"generic-tabs\" class=\"tab-content\">\n  <div id=\"tabs-summary\" class=\"tab-pane active\">\n")
	hw.WriteString("    <table class=\"info-table\"><tr><th>Build ID:</th><td>")
	hw.int(b.ID)
	hw.WriteString("</td></tr></table>\n  </div>\n")
	if len(b.Steps) > 0 {
		hw.WriteString("  <div id=\"tabs-buildsteps\" class=\"tab-pane\">\n  <table class=\"table table-striped table-condensed clickable-rows\">\n    <thead>\n      <tr><th>Nr</th><th>Step</th><th>Duration</th><th>Machine</th><th>Status</th></tr>\n    </thead>\n    <tbody>\n")
		for i := len(b.Steps) - 1; i >= 0; i-- {
			s := &b.Steps[i]
			nr := strconv.Itoa(s.Nr)
			hw.WriteString("          <tr>\n            <td><a class=\"row-link\" href=\"")
			hw.esc(base + "build/" + itoa64(b.ID) + "/step/" + nr)
			hw.WriteString("\">" + nr + "</a></td>\n            <td>\n                Build of <tt>")
			for j, o := range s.Outputs {
				if j > 0 {
					hw.WriteString(",<br/>")
				}
				hw.esc(o)
			}
			hw.WriteString("</tt>\n            </td>\n            <td>0s</td>\n            <td><em>n/a</em></td>\n            <td class=\"step-status\">\n              ")
			hw.WriteString(stepStatusHTML(s.Status))
			if s.PropagatedFrom != 0 {
				hw.WriteString(" (propagated from <a href=\"")
				hw.esc(base + "build/" + itoa64(s.PropagatedFrom))
				hw.WriteString("\">build " + itoa64(s.PropagatedFrom) + "</a>)")
			}
			hw.WriteString("\n            </td>\n          </tr>\n")
		}
		hw.WriteString("    </tbody>\n  </table>\n  </div>\n")
	}
	hw.WriteString("</div>\n")
	hw.foot(&lay)
	hw.Flush()
}
