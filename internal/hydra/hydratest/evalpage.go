// The evaluation page, step 2: rendering. This file serves GET /eval/{id}
// for a browser (no `Accept: application/json`) as Hydra does: view_GET's
// parameters and comparison (JobsetEval.pm), BuildDiff.pm's tabs
// (builddiff.go), and the markup Template Toolkit prints from
// jobset-eval.tt with common.tt's renderBuildListHeader, renderBuildListBody,
// renderBuildStatusIcon, renderRelativeDate, renderDateTime, renderJobName,
// renderFullJobsetName, renderInputs and renderInputDiff, inside layout.tt
// (layout.go). Sources: NixOS/hydra subprojects/hydra/root/jobset-eval.tt,
// root/common.tt, lib/Hydra/Controller/JobsetEval.pm,
// lib/Hydra/Schema/Result/JobsetEvalInputs.pm (frontend_revision).
//
// The page streams: nothing proportional to the evaluation is held but the
// compact indexes (evalindex.go) and one category byte per build; each row
// is printed from Scenario.Build as it is written.
package hydratest

import (
	"bufio"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// maxRows is jobset-eval.tt's cap per tab without full=1.
const maxRows = 250

// tabs are jobset-eval.tt's build tabs: id, nav label, label wrapper.
var tabs = [numCategories]struct {
	id, label, span string
}{
	catAborted:      {"tabs-aborted", "Aborted / Timed out Jobs", "text-warning"},
	catNowFail:      {"tabs-now-fail", "Newly Failing Jobs", "text-warning"},
	catNowSucceed:   {"tabs-now-succeed", "Newly Succeeding Jobs", "text-success"},
	catNew:          {"tabs-new", "New Jobs", ""},
	catStillFail:    {"tabs-still-fail", "Still Failing Jobs", ""},
	catStillSucceed: {"tabs-still-succeed", "Still Succeeding Jobs", ""},
	catUnfinished:   {"tabs-unfinished", "Queued Jobs", ""},
}

// The nav tabs' order: the build tabs with "Removed Jobs" after "New Jobs".
var navOrder = []category{catAborted, catNowFail, catNowSucceed, catNew, numCategories, catStillFail, catStillSucceed, catUnfinished}

// evalPage is view_GET rendering jobset-eval.tt.
func (f *Fake) evalPage(w http.ResponseWriter, r *http.Request, info *EvalInfo) {
	project, jobset := f.scen.Jobset()
	base := f.base(r) + "/"
	q := r.URL.Query()
	lay := layout{base: base, project: project, jobset: jobset, query: q.Get("query")}
	filter := q.Get("filter")
	compare, hasCompare := "", false
	if v, ok := q["compare"]; ok {
		compare, hasCompare = v[0], true
	}
	full := q.Get("full") == "1"

	other, perr := f.otherEval(info, compare, hasCompare)
	if newest := f.newestIndex(); newest != nil {
		lay.queued = newest.queued
	}
	if perr != nil {
		htmlError(w, perr.code, perr.msg, lay)
		return
	}
	pat, likeErr := compileFilter(filter)
	if likeErr != "" {
		htmlError(w, http.StatusInternalServerError, "DBIx::Class::Storage::DBI::_dbh_execute(): DBI Exception: DBD::Pg::st execute failed: ERROR:  "+likeErr, lay)
		return
	}
	cur := f.index(info.ID)
	if cur == nil {
		htmlError(w, http.StatusNotFound, "Evaluation "+itoa64(info.ID)+" doesn't exist.", layout{base: base})
		return
	}
	curM := cur.filtered(pat)
	var prevM []member
	var prevSys []string
	if other != nil {
		if prev := f.index(other.ID); prev != nil {
			prevM, prevSys = prev.filtered(pat), prev.systems
		}
	}
	diff := buildDiff(curM, cur.systems, prevM, prevSys)

	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Vary", "Accept")
	hw := &htmlWriter{Writer: bufio.NewWriterSize(w, 256<<10)}
	p := &pageRender{f: f, w: hw, base: base, project: project, jobset: jobset, info: info, other: other,
		full: full, query: q, now: f.now().Unix(), cur: curM, cursys: cur.systems, prev: prevM, prevsys: prevSys, diff: &diff}
	lay.title = "Evaluation " + itoa64(info.ID) + " of jobset " + project + ":" + jobset
	lay.titleHTML = "Evaluation " + itoa64(info.ID) + " of jobset " + p.jobsetLinks()
	hw.head(&lay)
	p.content(filter)
	hw.foot(&lay)
	hw.Flush()
}

// newestIndex is the newest evaluation's index, for the topbar's queue
// count (the fake counts that evaluation's unfinished builds as queued).
func (f *Fake) newestIndex() *evalIndex {
	evals := f.scen.Evals()
	if len(evals) == 0 {
		return nil
	}
	return f.index(evals[0].ID)
}

func (f *Fake) now() time.Time {
	if f.Now != nil {
		return f.Now()
	}
	return time.Now()
}

type pageRender struct {
	f               *Fake
	w               *htmlWriter
	base            string
	project, jobset string
	info, other     *EvalInfo
	full            bool
	query           url.Values
	now             int64
	cur, prev       []member
	cursys, prevsys []string
	diff            *diffResult
	date            [32]byte
	name            []byte
	lastDay         int64
	dayText         [10]byte
}

// jobsetLinks is linkToJobset (View/TT.pm).
func (p *pageRender) jobsetLinks() string {
	var sb strings.Builder
	hw := &htmlWriter{Writer: bufio.NewWriter(&sb)}
	hw.WriteString(`<a href="` + p.base + "project/" + pathEscape(p.project) + `">`)
	hw.esc(p.project)
	hw.WriteString(`</a>:<a href="` + p.base + "jobset/" + pathEscape(p.project) + "/" + pathEscape(p.jobset) + `">`)
	hw.esc(p.jobset)
	hw.WriteString("</a>")
	hw.Flush()
	return sb.String()
}

// content is jobset-eval.tt between the layout's header and footer.
func (p *pageRender) content(filter string) {
	w := p.w
	full := "0"
	if p.full {
		full = "1"
	}
	w.WriteString("\n<div class=\"dropdown\">\n  <button class=\"btn btn-primary dropdown-toggle float-right\" data-toggle=\"dropdown\"><i class=\"fas fa-eye\"></i> Compare to...</button>\n  <div class=\"dropdown-menu dropdown-menu-right\">\n    <a class=\"dropdown-item\" href=\"?\">Preceding evaluation in this jobset</a>\n    <div class=\"dropdown-divider\"></div>\n")
	w.WriteString("    <a class=\"dropdown-item\" href=\"?compare=-86400&full=" + full + "\">This jobset <strong>one day</strong> earlier</a>\n")
	w.WriteString("    <a class=\"dropdown-item\" href=\"?compare=-604800&full=" + full + "\">This jobset <strong>one week</strong> earlier</a>\n")
	w.WriteString("    <a class=\"dropdown-item\" href=\"?compare=-2678400&full=" + full + "\">This jobset <strong>one month</strong> earlier</a>")
	// The project has one jobset as far as the fake knows: no "Jobset …" entries.
	w.WriteString("  </div>\n</div>\n\n<p>This evaluation was performed ")
	if p.info.Flake != nil && *p.info.Flake != "" {
		w.WriteString("from the flake\n<tt>")
		w.esc(*p.info.Flake)
		w.WriteString("</tt>")
	}
	w.WriteString(" on ")
	p.dateTime(p.info.Timestamp, "is-absolute")
	w.WriteString(". Fetching the dependencies took ")
	w.int(p.info.CheckoutTime)
	w.WriteString("s and evaluation took ")
	w.int(p.info.EvalTime)
	w.WriteString("s.</p>")
	otherID := ""
	if p.other != nil {
		otherID = itoa64(p.other.ID)
		w.WriteString("\n<p>Comparisons are relative to <tt>")
		w.WriteString(`<a href="` + p.base + "project/" + pathEscape(p.project) + `"><tt>`)
		w.esc(p.project)
		w.WriteString(`</tt></a>:<a href="` + p.base + "jobset/" + pathEscape(p.project) + "/" + pathEscape(p.jobset) + `"><tt>`)
		w.esc(p.jobset)
		w.WriteString("</tt></a></tt> evaluation <a ")
		w.attr("href", p.base+"eval/"+otherID)
		w.WriteString(">" + otherID + "</a>.</p>")
	} else {
		w.WriteByte('\n')
	}
	w.WriteString("\n<form>\n  <div class=\"form-group\">\n    <input name=\"filter\" type=\"text\" class=\"form-control\" type=\"search\" placeholder=\"Search jobs by name...\" ")
	w.attr("value", filter)
	w.WriteString("/>\n    <input name=\"compare\" type=\"hidden\" ")
	w.attr("value", otherID)
	w.WriteString("/>\n    <input name=\"full\" type=\"hidden\" ")
	w.attr("value", map[bool]string{true: "1", false: ""}[p.full])
	w.WriteString("/>\n  </div>\n</form>\n\n<ul class=\"nav nav-tabs\">")
	for _, c := range navOrder {
		n, id, label, span := len(p.diff.removed), "tabs-removed", "Removed Jobs", ""
		if c != numCategories {
			n, id, label, span = p.diff.counts[c], tabs[c].id, tabs[c].label, tabs[c].span
		}
		if n == 0 {
			continue
		}
		w.WriteString(`    <li class="nav-item"><a class="nav-link" href="#` + id + `" data-toggle="tab">`)
		if span != "" {
			w.WriteString(`<span class="` + span + `">`)
		}
		w.WriteString(label + " (")
		w.int(int64(n))
		w.WriteByte(')')
		if span != "" {
			w.WriteString("</span>")
		}
		w.WriteString("</a></li>")
	}
	w.WriteString("  <li class=\"nav-item\"><a class=\"nav-link\" href=\"#tabs-inputs\" data-toggle=\"tab\">Inputs</a></li>\n</ul>\n\n<div class=\"tab-content\">\n\n")
	for _, c := range navOrder {
		if c == numCategories {
			p.removedTab()
			continue
		}
		w.WriteString(`  <div id="` + tabs[c].id + `" class="tab-pane">`)
		p.renderSome(c)
		w.WriteString("  </div>\n\n")
	}
	w.WriteString("  <div id=\"tabs-inputs\" class=\"tab-pane\">")
	p.inputs()
	w.WriteString("  </div>\n</div>\n")
}

// omittedHref is the link of a tab's "(N more … omitted)" row: the view
// action with the request's parameters and full=1 (Catalyst prints the
// query in hash order; the fake sorts it).
func (p *pageRender) omittedHref(anchor string) string {
	params := map[string]string{}
	for k, v := range p.query {
		params[k] = v[0]
	}
	params["full"] = "1"
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	sb.WriteString(p.base + "eval/" + itoa64(p.info.ID))
	for i, k := range keys {
		if i == 0 {
			sb.WriteByte('?')
		} else {
			sb.WriteByte('&')
		}
		sb.WriteString(uriEscape(k) + "=" + uriEscape(params[k]))
	}
	return sb.String() + anchor
}

// renderSome is jobset-eval.tt's renderSome block over one category.
func (p *pageRender) renderSome(c category) {
	w := p.w
	w.WriteString("  <table class=\"table table-striped table-condensed clickable-rows\">\n    <thead>\n      <tr>          <th></th>        <th>#</th>        <th>Job</th>        <th>Finished at</th>\n        <th>Package/release name</th>\n        <th>System</th>      </tr>\n    </thead>\n    <tbody>")
	size := p.diff.counts[c]
	limit := size
	if !p.full {
		limit = min(size, maxRows)
	}
	done := 0
	for i := range p.cur {
		if done == limit {
			break
		}
		if p.diff.cats[i] != c {
			continue
		}
		p.row(&p.cur[i])
		done++
	}
	if size > limit {
		w.WriteString(`  <tr><td class="centered" colspan="6"><a `)
		w.attr("href", p.omittedHref("#"+tabs[c].id))
		w.WriteString("><em>(")
		w.int(int64(size - limit))
		w.WriteString(" more builds omitted)</em></a></td></tr>")
	}
	w.WriteString("    </tbody>\n  </table>")
}

// statusIcons are renderBuildStatusIcon's images and titles: 3 and 9 are
// "Aborted", 5, 8, 13 and any other code "Failed", unfinished "Queued".
func statusIcon(m *member) (img, title string) {
	if !m.finished() {
		return "emojione-question-2754.svg", "Queued"
	}
	switch m.status {
	case 0:
		return "emojione-check-2714.svg", "Succeeded"
	case 1:
		return "emojione-red-x-274c.svg", "Failed"
	case 2:
		return "emojione-gray-x-2716.svg", "Dependency failed"
	case 3, 9:
		return "emojione-stopsign-1f6d1.svg", "Aborted"
	case 4:
		return "emojione-stopsign-1f6d1.svg", "Cancelled"
	case 6:
		return "emojione-red-x-274c.svg", "Failed with output"
	case 7:
		return "emojione-stopsign-1f6d1.svg", "Timed out"
	case 10:
		return "emojione-stopsign-1f6d1.svg", "Log limit exceeded"
	case 11:
		return "emojione-red-x-274c.svg", "Output size limit exceeded"
	case 12:
		return "emojione-red-x-274c.svg", "Non-deterministic build"
	}
	return "emojione-red-x-274c.svg", "Failed"
}

// row is renderBuildListBody's row for one build (hideProjectName,
// hideJobsetName, no scheduling info, no description).
func (p *pageRender) row(m *member) {
	w := p.w
	var stop int64
	name, ok := []byte(nil), false
	if rs, isRS := p.f.scen.(rowSource); isRS {
		name, stop, ok = rs.rowColumns(p.name[:0], m.id)
		p.name = name
	}
	if !ok {
		if b, found := p.f.scen.Build(m.id); found {
			if b.Finished {
				stop = b.StopTime
			}
			n := b.NixName
			if b.ReleaseName != "" {
				n = b.ReleaseName
			}
			name = append(p.name[:0], n...)
			p.name = name
		}
	}
	img, title := statusIcon(m)
	w.WriteString("    <tr>        <td>")
	if m.finished() {
		w.WriteString("      ")
	} else {
		w.WriteString("    ")
	}
	w.WriteString(`<img src="`)
	w.WriteString(p.base)
	w.WriteString("static/images/")
	w.WriteString(img)
	w.WriteString(`" height="16" width="16" title="`)
	w.WriteString(title)
	w.WriteString(`" alt="`)
	w.WriteString(title)
	w.WriteString(`" class="build-status" />        </td>      <td><a class="row-link" href="`)
	w.WriteString(p.base)
	w.WriteString("build/")
	w.int(m.id)
	w.WriteString(`">`)
	w.int(m.id)
	w.WriteString("</a></td>        <td>\n          <a href=\"")
	w.WriteString(p.base)
	w.WriteString("build/")
	w.int(m.id)
	w.WriteString(`">`)
	w.esc(m.job)
	w.WriteString("</a>        </td>      <td class=\"nowrap\">")
	if stop != 0 {
		p.relativeDate(stop)
	} else {
		w.WriteByte('-')
	}
	w.WriteString("</td>\n      <td>")
	w.escBytes(name)
	w.WriteString("</td>\n      <td class=\"nowrap\"><tt>")
	w.esc(p.cursys[m.system])
	w.WriteString("</tt></td>    </tr>")
}

// removedTab is jobset-eval.tt's tabs-removed pane (job and system only).
// Its "(N more jobs omitted)" row passes HTML.attributes a string, not a
// hash, so the link is printed without an href: `<a >`.
func (p *pageRender) removedTab() {
	w := p.w
	w.WriteString("  <div id=\"tabs-removed\" class=\"tab-pane\">\n    <table class=\"table table-striped table-condensed clickable-rows\">\n      <thead>\n        <tr><th>Job</th><th>System</th></tr>\n      </thead>\n      <tbody>")
	size := len(p.diff.removed)
	limit := size
	if !p.full {
		limit = min(size, maxRows)
	}
	for _, k := range p.diff.removed[:limit] {
		m := &p.prev[k]
		w.WriteString("          <tr>\n            <td><a href=\"" + p.base + "job/" + pathEscape(p.project) + "/" + pathEscape(p.jobset) + "/" + pathEscape(m.job) + `">`)
		w.esc(m.job)
		w.WriteString("</a></td>\n            <td><tt>")
		w.esc(p.prevsys[m.system])
		w.WriteString("</tt></td>\n          </tr>")
	}
	if size > limit {
		w.WriteString("          <tr><td class=\"centered\" colspan=\"2\"><a ><em>(")
		w.int(int64(size - limit))
		w.WriteString(" more jobs omitted)</em></a></td></tr>")
	}
	w.WriteString("      </tbody>\n    </table>\n  </div>\n\n")
}

// inputs is the tabs-inputs pane: renderInputs, then renderInputDiff
// against the other evaluation.
func (p *pageRender) inputs() {
	w := p.w
	w.WriteString("  <table class=\"table table-striped table-condensed\">\n    <thead>\n      <tr><th>Name</th><th>Type</th><th>Value</th><th>Revision</th><th>Store path</th></tr>\n    </thead>\n    <tbody>")
	for _, name := range inputNames(p.info) {
		in := p.info.Inputs[name]
		w.WriteString("        <tr>\n          <td><tt>")
		w.esc(name)
		w.WriteString("</tt></td>\n          <td>")
		w.esc(inputTypes[in.Type])
		w.WriteString("</td>\n          <td>")
		switch in.Type {
		case "build", "sysbuild":
			w.WriteString("              ") // renderFullBuildLink of a dependency the fake does not model
		case "string":
			w.WriteString(`              <tt>"`)
			w.esc(deref(in.Value))
			w.WriteString(`"</tt>`)
		case "nix", "boolean":
			w.WriteString("              <tt>")
			w.esc(deref(in.Value))
			w.WriteString("</tt>")
		default:
			w.WriteString("              <tt>")
			w.esc(deref(in.URI))
			w.WriteString("</tt>")
		}
		w.WriteString("          </td>\n          <td>")
		if rev := deref(in.Revision); rev != "" && rev != "0" {
			w.WriteString(`<tt class="rev-copy" onclick="copyToClipboard('`)
			w.esc(rev)
			w.WriteString(`', this)" title="Click to copy">`)
			w.esc(rev)
			w.WriteString("</tt>")
		}
		w.WriteString("</td>\n          <td><tt>")
		w.esc(p.info.InputPaths[name])
		w.WriteString("</tt></td>\n        </tr>")
	}
	w.WriteString("    </tbody>\n  </table>")
	if p.other != nil {
		w.WriteString("      <h3>Changes</h3>")
		p.inputDiff()
	}
}

// inputTypes is Root.pm's inputTypes with the git plugin's.
var inputTypes = map[string]string{
	"string": "String value", "boolean": "Boolean", "nix": "Nix expression",
	"build": "Previous Hydra build", "sysbuild": "Previous Hydra build (same system)",
	"eval": "Previous Hydra evaluation", "git": "Git checkout",
}

// inputNames lists an evaluation's inputs in the order the fake's database
// would return them: by name.
func inputNames(e *EvalInfo) []string {
	names := make([]string, 0, len(e.Inputs))
	for n := range e.Inputs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// frontendRevision is JobsetEvalInputs.pm's frontend_revision for git
// inputs: the first 12 characters (the fake records no shortrevlength).
func frontendRevision(typ, rev string) string {
	if typ == "git" && len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

// inputDiff is renderInputDiff (inputs1: the other evaluation's, inputs2:
// this one's), for inputs without dependencies and no URI mappers.
func (p *pageRender) inputDiff() {
	w := p.w
	w.WriteString("  <table class=\"table table-striped table-condensed\">      <tr><th>Input</th><th>Changes</th></tr>")
	for _, name := range inputNames(p.other) {
		bi1 := p.other.Inputs[name]
		bi2, ok := p.info.Inputs[name]
		if !ok {
			w.WriteString("          <tr><td><b>")
			w.esc(name)
			w.WriteString("</b></td><td>Input not present in this build.</td></tr>")
			continue
		}
		switch {
		case bi1.Type != bi2.Type:
			w.WriteString("              <tr><td><b>")
			w.esc(name)
			w.WriteString("</b></td><td>Changed input type from '")
			w.esc(inputTypes[bi1.Type])
			w.WriteString("' to '")
			w.esc(inputTypes[bi2.Type])
			w.WriteString("'</td></tr>")
		case deref(bi1.Value) != deref(bi2.Value) || deref(bi1.URI) != deref(bi2.URI):
			w.WriteString("                <tr><td><b>")
			w.esc(name)
			w.WriteString("</b></td><td><tt>")
			p.shortInputValue(bi1)
			w.WriteString("</tt> to <tt>")
			p.shortInputValue(bi2)
			w.WriteString("</tt></td></tr>")
		case deref(bi1.Revision) != deref(bi2.Revision):
			r1, r2 := deref(bi1.Revision), deref(bi2.Revision)
			contents := r1 + " to " + r2
			if bi1.Type == "git" {
				contents = frontendRevision("git", r1) + " to " + frontendRevision("git", r2)
			}
			w.WriteString("                  <tr><td>\n                    <b>")
			w.esc(name)
			w.WriteString("</b></td><td><tt>")
			p.diffURI(bi1, r1, r2, contents)
			w.WriteString("</tt>\n                    (<a class=\"rev-copy\" href=\"javascript:void(0)\" onclick=\"copyToClipboard('")
			w.esc(r2)
			if bi1.Type == "git" {
				w.WriteString("', this); return false;\" title=\"Click to copy full revision: ")
				w.esc(r2)
				w.WriteString("\">copy</a>)\n                  </td></tr>")
			} else {
				w.WriteString("', this); return false;\" title=\"Click to copy latest revision\">copy</a>)\n                  </td></tr>")
			}
		}
	}
	w.WriteString("  </table>")
}

// shortInputValue is renderShortInputValue.
func (p *pageRender) shortInputValue(in hydra.EvalInput) {
	w := p.w
	switch in.Type {
	case "string":
		w.WriteString("    <tt>\"")
		w.esc(deref(in.Value))
		w.WriteString("\"</tt>\n")
	case "nix", "boolean":
		w.WriteString("    <tt>")
		w.esc(deref(in.Value))
		w.WriteString("</tt>\n")
	default:
		w.WriteString("    <tt>")
		w.esc(deref(in.URI))
		if r := deref(in.Revision); r != "" && r != "0" {
			w.WriteString(" (r")
			w.esc(r)
			w.WriteByte(')')
		}
		w.WriteString("</tt>\n")
	}
}

// diffURI is renderDiffUri without URI mappers: a GitHub compare link for
// git and hg inputs on github.com, the scmdiff API otherwise.
func (p *pageRender) diffURI(bi1 hydra.EvalInput, r1, r2, contents string) {
	w := p.w
	if bi1.Type != "git" && bi1.Type != "hg" {
		w.WriteString(contents)
		return
	}
	uri, branch, _ := strings.Cut(deref(bi1.URI), " ")
	w.WriteString("        <a target=\"_blank\" ")
	if strings.HasPrefix(uri, "https://github.com/") {
		w.attr("href", strings.TrimSuffix(uri, ".git")+"/compare/"+r1+"..."+r2)
	} else {
		w.attr("href", p.base+"api/scmdiff?branch="+uriEscape(branch)+"&rev1="+uriEscape(r1)+"&rev2="+uriEscape(r2)+"&type="+uriEscape(bi1.Type)+"&uri="+uriEscape(uri))
	}
	w.WriteByte('>')
	w.esc(contents)
	w.WriteString("</a>")
}

// dateTime is renderDateTime (class is-absolute) and renderRelativeDate
// (is-relative) without their text: attributes in sorted order, times in
// UTC (hydra.nixos.org's time zone).
func (p *pageRender) timeTag(ts int64, class string) {
	w := p.w
	w.WriteString(`<time data-timestamp="`)
	w.int(ts)
	w.WriteString(`" datetime="`)
	w.Write(p.appendDate(p.date[:0], ts, 'T', true))
	w.WriteString(`Z" title="`)
	w.Write(p.appendDate(p.date[:0], ts, ' ', true))
	w.WriteString(` (UTC)" class="date `)
	w.WriteString(class)
	w.WriteString(`">`)
}

func (p *pageRender) dateTime(ts int64, class string) {
	p.timeTag(ts, class)
	p.w.Write(p.appendDate(p.date[:0], ts, ' ', true))
	p.w.WriteString("</time>")
}

// appendDate appends ts as date.format's '%Y-%m-%d', with sep and
// '%H:%M:%S' when clock is set, in UTC. The day's date is computed once
// for a run of times on the same day.
func (p *pageRender) appendDate(dst []byte, ts int64, sep byte, clock bool) []byte {
	day := ts / 86400
	if ts < 0 && ts%86400 != 0 {
		day--
	}
	if day != p.lastDay || p.dayText[0] == 0 {
		y, m, d := time.Unix(day*86400, 0).UTC().Date()
		p.dayText = [10]byte{byte('0' + y/1000%10), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
			byte('0' + int(m)/10), byte('0' + int(m)%10), '-', byte('0' + d/10), byte('0' + d%10)}
		p.lastDay = day
	}
	dst = append(dst, p.dayText[:]...)
	if clock {
		sec := ts - day*86400
		h, mi, s := sec/3600, sec/60%60, sec%60
		dst = append(dst, sep, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+s/10), byte('0'+s%10))
	}
	return dst
}

// relativeDate is renderRelativeDate with relativeDateText: seconds,
// minutes, hours or days ago within a week, else the date.
func (p *pageRender) relativeDate(ts int64) {
	p.timeTag(ts, "is-relative")
	w := p.w
	ago := p.now - ts
	switch {
	case ago >= 0 && ago < 60:
		w.int(ago)
		w.WriteString("s ago")
	case ago >= 0 && ago < 3600:
		w.int(ago / 60)
		w.WriteString("m ago")
	case ago >= 0 && ago < 86400:
		w.int(ago / 3600)
		w.WriteString("h ago")
	case ago >= 0 && ago < 7*86400:
		w.int(ago / 86400)
		w.WriteString("d ago")
	default:
		w.Write(p.appendDate(p.date[:0], ts, ' ', false))
	}
	w.WriteString("</time>")
}
