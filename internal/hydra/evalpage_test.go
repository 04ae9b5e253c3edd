package hydra_test

// Tests of ReadEvalPage (evalpage.go): golden rows of hand-made fixtures,
// pages written here as Hydra's templates print them, every error, the
// limits with bounded memory, and BeautifulSoup as an oracle.
//
//	go test ./internal/hydra -run EvalPage -update   # rewrites testdata/evalpage/*.golden
//
// genPage below writes evaluation pages as Hydra's templates print them
// (jobset-eval.tt inside layout.tt, with common.tt's blocks), for the
// generated fixtures, the oracle comparison, the fuzz seeds and the
// benchmarks. It follows the templates' markup and white space; what TT
// computes (dates, Perl's hash order of HTML.attributes) it imitates.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/testutil"
)

const genBase = "https://hydra.nixos.org"

type genRow struct {
	ID      int64
	Job     string
	System  string
	NixName string
	Status  int   // buildstatus, -1 for an unfinished build
	Stop    int64 // stoptime, 0 prints "-"
}

type genInput struct {
	Name, Type, Value, URI, Revision, Path string
}

type genPage struct {
	Eval, Compare int64
	Full          bool
	Tabs          [9][]genRow // by hydra.PageTab (TabRemoved rows use Job and System only)
	Inputs        []genInput
	LoggedIn      bool
	EvalErrors    bool
	Cols          []string // the build tables' columns, default status, id, job, stop, name, system
	Shuffle       bool     // vary the order of HTML.attributes' output from element to element, as Perl's hash order does
	n             int
}

// ttEscape is Template::Plugin::HTML's escape (and TT's html filter): &, <, > and ".
var ttEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")

// attrs prints HTML.attributes(k => v, …): values escaped, in an order that
// is Perl's hash order (unsorted: common.tt's USE HTML has no sorted=1).
func (g *genPage) attrs(kv ...string) string {
	n := len(kv) / 2
	start := 0
	if g.Shuffle {
		g.n++
		start = g.n % n
	}
	var b strings.Builder
	for i := range n {
		j := (start + i) % n
		if g.Shuffle && g.n%2 == 1 {
			j = (start + n - i) % n
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(kv[2*j])
		b.WriteString(`="`)
		b.WriteString(ttEscape.Replace(kv[2*j+1]))
		b.WriteByte('"')
	}
	return b.String()
}

// statusIcon is renderBuildStatusIcon: image and title per buildstatus.
func statusIcon(status int) (img, title string) {
	switch status {
	case -1:
		return "emojione-question-2754.svg", "Queued"
	case 0:
		return "emojione-check-2714.svg", "Succeeded"
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
	return "emojione-red-x-274c.svg", "Failed" // 1 and every code the block does not name
}

// statusOf is what ReadEvalPage reports for a buildstatus.
func statusOf(status int) hydra.Status {
	switch status {
	case -1:
		return hydra.StatusUnfinished
	case 3, 9:
		return hydra.StatusAborted
	case 0, 2, 4, 6, 7, 10, 11, 12:
		return hydra.Status(status)
	}
	return hydra.StatusFailed
}

var tabLabels = [9]string{"",
	`<span class="text-warning">Aborted / Timed out Jobs (%d)</span>`,
	`<span class="text-warning">Newly Failing Jobs (%d)</span>`,
	`<span class="text-success">Newly Succeeding Jobs (%d)</span>`,
	`New Jobs (%d)`,
	`Removed Jobs (%d)`,
	`Still Failing Jobs (%d)`,
	`Still Succeeding Jobs (%d)`,
	`Queued Jobs (%d)`,
}

func (g *genPage) write(out io.Writer) error {
	w := bufio.NewWriterSize(out, 64<<10)
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	evalURL := genBase + "/eval/" + strconv.FormatInt(g.Eval, 10)

	// layout.tt
	p("\n\n\n<!DOCTYPE html>\n\n<html lang=\"en\">\n\n  <head>\n")
	p("    <title>Hydra - Evaluation %d of jobset nixpkgs:unstable</title>\n\n", g.Eval)
	p("    <meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\" />\n    <meta http-equiv=\"X-UA-Compatible\" content=\"IE=Edge\" />\n")
	p("    <script type=\"text/javascript\" src=\"%s/static/js/jquery/jquery-3.4.1.min.js\"></script>\n", genBase)
	p("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0\" />\n\n")
	p("<link %s rel=\"stylesheet\" />\n", g.attrs("href", genBase+"/static/bootstrap/css/bootstrap.min.css"))
	p("<!-- hydra.css may need to be moved to before boostrap to make the @media rule work. -->\n")
	p("<style>\n  .popover { max-width: 40%%; }\n</style>\n")
	p("<script type=\"text/javascript\" src=\"%s/static/js/common.js\"></script>\n\n\n    \n\n    \n\n  </head>\n\n  <body>\n\n", genBase)
	p("    <nav class=\"navbar navbar-expand-md navbar-light bg-light\">\n      <div class=\"container\">\n")
	p("        <a class=\"navbar-brand\" %s>\n          \n            <img src=\"%s/logo\" alt=\"Hydra Logo\" class=\"logo\" />\n          \n        </a>\n", g.attrs("href", genBase+"/"), genBase)
	p("        <button type=\"button\" class=\"navbar-toggler\" data-toggle=\"collapse\" data-target=\"#navbarSupportedContent\">\n          <span class=\"navbar-toggler-icon\"></span>\n        </button>\n")
	p("        <div class=\"collapse navbar-collapse\" id=\"navbarSupportedContent\">\n          \n\n<ul class=\"navbar-nav mr-auto\">\n\n  \n  <li class=\"nav-item dropdown\"  >\n")
	p("    <a class=\"nav-link dropdown-toggle\" href=\"#\" data-toggle=\"dropdown\">Status<b class=\"caret\"></b></a>\n    <div class=\"dropdown-menu\">\n      \n")
	p("  <a class=\"dropdown-item\"\n    %s \n    \n    \n    Queue (12/345)\n  </a>\n\n    </div>\n  </li>\n\n</ul>\n\n\n", g.attrs("href", genBase+"/queue-summary"))
	p("  <form class=\"form-inline\" action=\"%s/search\">\n    <input name=\"query\" type=\"text\" class=\"form-control\" placeholder=\"Search\" %s/>\n  </form>\n\n\n<ul class=\"navbar-nav\">\n\n", genBase, g.attrs("value", ""))
	if g.LoggedIn {
		p("    <li class=\"nav-item\">\n      <a class=\"nav-link\" href=\"#\" onclick=\"signOut();\">Sign out</a>\n    </li>\n")
	} else {
		p("  <li class=\"nav-item dropdown\" id=\"sign-in-menu\" >\n    <a class=\"nav-link dropdown-toggle\" href=\"#\" data-toggle=\"dropdown\">Sign in<b class=\"caret\"></b></a>\n")
		p("    <div class=\"dropdown-menu dropdown-menu-right\">\n      <a class=\"dropdown-item\" href=\"#hydra-signin\" data-toggle=\"modal\">Sign in with a Hydra account</a>\n    </div>\n  </li>\n")
	}
	p("\n</ul>\n\n        </div>\n      </div>\n    </nav>\n\n    <div class=\"container\">\n      <div class=\"skip-topbar\"></div>\n\n      \n\n      \n\n      \n\n      \n")
	p("        <div class=\"page-header\">\n          \n          Evaluation %d of jobset <a href=\"%s/project/nixpkgs\">nixpkgs</a>:<a href=\"%s/jobset/nixpkgs/unstable\">unstable</a>\n        </div>\n      \n\n", g.Eval, genBase, genBase)

	// jobset-eval.tt
	p("\n\n\n<div class=\"dropdown\">\n  <button class=\"btn btn-primary dropdown-toggle float-right\" data-toggle=\"dropdown\"><i class=\"fas fa-eye\"></i> Compare to...</button>\n")
	p("  <div class=\"dropdown-menu dropdown-menu-right\">\n    <a class=\"dropdown-item\" href=\"?\">Preceding evaluation in this jobset</a>\n    <div class=\"dropdown-divider\"></div>\n")
	full := 0
	if g.Full {
		full = 1
	}
	p("    <a class=\"dropdown-item\" href=\"?compare=-86400&full=%d\">This jobset <strong>one day</strong> earlier</a>\n    \n  </div>\n</div>\n\n", full)
	ts := int64(1717200000) + g.Eval
	p("<p>This evaluation was performed  on \n<time %s class=\"date is-absolute\">\n%s\n</time>\n. Fetching the dependencies took\n12s and evaluation took 345s.</p>\n\n", g.timeAttrs(ts), time.Unix(ts, 0).UTC().Format("2006-01-02 15:04:05"))
	if g.Compare != 0 {
		p("\n<p>Comparisons are relative to <tt>\n<a  %s><tt>nixpkgs</tt></a>\n:\n<a  %s><tt>unstable</tt></a>\n</tt>\n evaluation <a %s>%d</a>.</p>\n\n",
			g.attrs("href", genBase+"/project/nixpkgs"), g.attrs("href", genBase+"/jobset/nixpkgs/unstable"),
			g.attrs("href", genBase+"/eval/"+strconv.FormatInt(g.Compare, 10)), g.Compare)
	}
	p("<form>\n  <div class=\"form-group\">\n    <input name=\"filter\" type=\"text\" class=\"form-control\" type=\"search\" placeholder=\"Search jobs by name...\" %s/>\n", g.attrs("value", ""))
	p("    <input name=\"compare\" type=\"hidden\" %s/>\n    <input name=\"full\" type=\"hidden\" %s/>\n  </div>\n</form>\n\n", g.attrs("value", strconv.FormatInt(g.Compare, 10)), g.attrs("value", strconv.Itoa(full)))
	p("<ul class=\"nav nav-tabs\">\n  ")
	if g.LoggedIn {
		p("\n    <li class=\"nav-item dropdown\">\n      <a class=\"nav-link dropdown-toggle\" data-toggle=\"dropdown\" href=\"#\">Actions</a>\n      <div class=\"dropdown-menu\">\n")
		p("        <a class=\"dropdown-item\" %s>Create a jobset from this evaluation</a>\n        \n      </div>\n    </li>\n  ", g.attrs("href", evalURL+"/create-jobset"))
	}
	p("\n\n")
	for t := hydra.TabAborted; t <= hydra.TabUnfinished; t++ {
		p("  ")
		if n := len(g.Tabs[t]); n > 0 {
			p("\n    <li class=\"nav-item\"><a class=\"nav-link\" href=\"#%s\" data-toggle=\"tab\">"+tabLabels[t]+"</a></li>\n  ", t, n)
		}
		p("\n")
	}
	p("  <li class=\"nav-item\"><a class=\"nav-link\" href=\"#tabs-inputs\" data-toggle=\"tab\">Inputs</a></li>\n\n  ")
	if g.EvalErrors {
		p("\n    <li class=\"nav-item\"><a class=\"nav-link\" href=\"#tabs-errors\" data-toggle=\"tab\"><span class=\"text-warning\">Evaluation Errors</span></a></li>\n  ")
	}
	p("\n</ul>\n\n\n\n<div class=\"tab-content\">\n\n")
	for t := hydra.TabAborted; t <= hydra.TabUnfinished; t++ {
		p("  <div id=\"%s\" class=\"tab-pane\">\n    ", t)
		if t == hydra.TabRemoved {
			g.removed(w, evalURL)
		} else {
			g.renderSome(w, t, evalURL)
		}
		p("\n  </div>\n\n")
	}
	p("  <div id=\"tabs-inputs\" class=\"tab-pane\">\n    ")
	g.renderInputs(w)
	p("\n\n    ")
	if g.Compare != 0 {
		p("\n      <h3>Changes</h3>\n      \n  <table class=\"table table-striped table-condensed\">\n    \n      <tr><th>Input</th><th>Changes</th></tr>\n    \n")
		p("                  <tr><td>\n                    <b>nixpkgs</b></td><td><tt>\n      <a target=\"_blank\" %s>1111111 to 2222222</a>\n      </tt>\n", g.attrs("href", "https://github.com/NixOS/nixpkgs/compare/1111111...2222222"))
		p("                    (<a class=\"rev-copy\" href=\"javascript:void(0)\" onclick=\"copyToClipboard('2222222', this); return false;\" title=\"Click to copy full revision: 2222222\">copy</a>)\n                  </td></tr>\n  </table>\n\n    ")
	}
	p("\n  </div>\n\n  ")
	if g.EvalErrors {
		p("\n    <div id=\"tabs-errors\" class=\"tab-pane\">\n      <iframe src=\"%s/errors?full=%d\" loading=\"lazy\" frameBorder=\"0\" width=\"100%%\"></iframe>\n    </div>\n  ", evalURL, full)
	}
	p("\n</div>\n\n\n")

	// layout.tt's footer and auth.tt
	p("      <footer class=\"navbar\">\n        <hr />\n        <small>\n          <em><a href=\"http://nixos.org/hydra\" target=\"_blank\" class=\"squiggle\">Hydra</a> 0.1.20240601.abcdef (using nix-2.22.1 and nix-eval-jobs 2.22.0).</em>\n")
	if g.LoggedIn {
		p("          \n          You are signed in as <tt>alice</tt>.\n          \n")
	}
	p("        </small>\n      </footer>\n\n    </div>\n\n    ")
	if !g.LoggedIn {
		p("\n\n  <div id=\"hydra-signin\" class=\"modal hide fade\" tabindex=\"-1\" role=\"dialog\" aria-hidden=\"true\">\n    <div class=\"modal-dialog\" role=\"document\">\n      <div class=\"modal-content\">\n        <form id=\"signin-form\">\n")
		p("          <div class=\"modal-body\">\n            <div class=\"form-group\">\n              <label for=\"username\" class=\"col-form-label\">User name</label>\n              <input type=\"text\" class=\"form-control\" name=\"username\"/>\n            </div>\n")
		p("            <div class=\"form-group\">\n              <label for=\"password\" class=\"col-form-label\">Password</label>\n              <input type=\"password\" class=\"form-control\" name=\"password\"/>\n            </div>\n          </div>\n")
		p("          <div class=\"modal-footer\">\n            <button type=\"submit\" class=\"btn btn-primary\">Sign in</button>\n          </div>\n        </form>\n      </div>\n    </div>\n  </div>\n\n")
		p("  <script>\n\n    function finishSignOut() { }\n\n    $(\"#signin-form\").submit(function(e) {\n      e.preventDefault();\n      requestJSON({\n        url: \"%s/login\",\n        data: $(this).serialize(),\n        type: 'POST',\n        success: function(data) { window.location.reload(); }\n      });\n      return false;\n    });\n  </script>\n\n", genBase)
	}
	p("\n\n  </body>\n\n</html>\n")
	return w.Flush()
}

func (g *genPage) timeAttrs(ts int64) string {
	t := time.Unix(ts, 0).UTC()
	return g.attrs("data-timestamp", strconv.FormatInt(ts, 10),
		"datetime", t.Format("2006-01-02T15:04:05Z"),
		"title", t.Format("2006-01-02 15:04:05 (UTC)"))
}

// renderSome is jobset-eval.tt's block: renderBuildListHeader,
// renderBuildListBody for at most 250 rows (all with full=1), the omitted
// row, renderBuildListFooter. Cols, when set, orders the columns otherwise
// (a template of another Hydra version).
func (g *genPage) renderSome(w *bufio.Writer, t hydra.PageTab, evalURL string) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	cols := g.Cols
	if cols == nil {
		cols = []string{"status", "id", "job", "stop", "name", "system"}
	}
	headers := map[string]string{"status": "<th></th>", "id": "<th>#</th>", "job": "<th>Job</th>", "stop": "<th>Finished at</th>",
		"name": "<th>Package/release name</th>", "system": "<th>System</th>", "desc": "<th>Description</th>", "sched": "<th></th>"}
	p("\n  \n  <table class=\"table table-striped table-condensed clickable-rows\">\n    <thead>\n      <tr>\n")
	for _, c := range cols {
		p("        %s\n        \n", headers[c])
	}
	p("      </tr>\n    </thead>\n    <tbody>\n\n  ")
	rows := g.Tabs[t]
	max := len(rows)
	if !g.Full && max > 250 {
		max = 250
	}
	for _, r := range rows[:max] {
		link := genBase + "/build/" + strconv.FormatInt(r.ID, 10)
		img, title := statusIcon(r.Status)
		p("\n    <tr>\n      ")
		for _, c := range cols {
			switch c {
			case "status":
				p("\n        <td>\n          \n      <img src=\"%s/static/images/%s\" height=\"16\" width=\"16\" title=\"%s\" alt=\"%s\" class=\"build-status\" />\n    \n        </td>\n      \n      ", genBase, img, title, title)
			case "sched":
				p("<td><span class=\"badge badge-secondary\">Queued</span></td>\n      ")
			case "id":
				p("\n      <td><a class=\"row-link\" %s>%d</a></td>\n      ", g.attrs("href", link), r.ID)
			case "job":
				p("\n        <td>\n          <a %s>%s</a>\n          \n        </td>\n      ", g.attrs("href", link), ttEscape.Replace(r.Job))
			case "stop":
				p("\n      <td class=\"nowrap\">")
				if r.Stop != 0 {
					p("\n<time %s class=\"date is-relative\">\n%s\n</time>\n", g.timeAttrs(r.Stop), time.Unix(r.Stop, 0).UTC().Format("2006-01-02"))
				} else {
					p("-")
				}
				p("</td>")
			case "name":
				p("\n      <td>%s</td>", ttEscape.Replace(r.NixName))
			case "system":
				p("\n      <td class=\"nowrap\"><tt>%s</tt></td>\n      ", ttEscape.Replace(r.System))
			case "desc":
				p("\n        <td>A package called %s</td>\n      ", ttEscape.Replace(r.NixName))
			}
		}
		p("\n    </tr>\n  ")
	}
	p("\n  ")
	if len(rows) > max {
		p("\n  <tr><td class=\"centered\" colspan=\"%d\"><a %s><em>(%d more builds omitted)</em></a></td></tr>\n  ", len(cols), g.attrs("href", evalURL+"?full=1#"+t.String()), len(rows)-max)
	}
	p("\n  \n    </tbody>\n  </table>\n\n")
}

// removed is jobset-eval.tt's tabs-removed table. Its omitted row calls
// HTML.attributes with a string instead of named arguments, which prints
// nothing: the link has no href.
func (g *genPage) removed(w *bufio.Writer, evalURL string) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("<table class=\"table table-striped table-condensed clickable-rows\">\n      <thead>\n        <tr><th>Job</th><th>System</th></tr>\n      </thead>\n      <tbody>\n        \n        ")
	rows := g.Tabs[hydra.TabRemoved]
	max := len(rows)
	if !g.Full && max > 250 {
		max = 250
	}
	for _, r := range rows[:max] {
		p("\n          <tr>\n            <td>\n<a  %s>%s</a>\n</td>\n            <td><tt>%s</tt></td>\n          </tr>\n        ",
			g.attrs("href", genBase+"/job/nixpkgs/unstable/"+url.PathEscape(r.Job)), ttEscape.Replace(r.Job), ttEscape.Replace(r.System))
	}
	p("\n        ")
	if len(rows) > max {
		p("\n          <tr><td class=\"centered\" colspan=\"2\"><a ><em>(%d more jobs omitted)</em></a></td></tr>\n        ", len(rows)-max)
	}
	p("\n      </tbody>\n    </table>")
}

var inputTypeNames = map[string]string{"git": "Git checkout", "string": "String value", "boolean": "Boolean", "nix": "Nix expression"}

// renderInputs is common.tt's block.
func (g *genPage) renderInputs(w *bufio.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
	p("\n  <table class=\"table table-striped table-condensed\">\n    <thead>\n      <tr><th>Name</th><th>Type</th><th>Value</th><th>Revision</th><th>Store path</th></tr>\n    </thead>\n    <tbody>\n      ")
	for _, in := range g.Inputs {
		p("\n        <tr>\n          <td><tt>%s</tt></td>\n          <td>%s</td>\n          <td>\n            ", ttEscape.Replace(in.Name), ttEscape.Replace(inputTypeNames[in.Type]))
		switch in.Type {
		case "string":
			p("\n              <tt>\"%s\"</tt>\n            ", ttEscape.Replace(in.Value))
		case "nix", "boolean":
			p("\n              <tt>%s</tt>\n            ", ttEscape.Replace(in.Value))
		default:
			p("\n              <tt>%s</tt>\n            ", ttEscape.Replace(in.URI))
		}
		p("\n          </td>\n          <td>")
		if in.Revision != "" {
			p("<tt class=\"rev-copy\" onclick=\"copyToClipboard('%s', this)\" title=\"Click to copy\">%s</tt>", ttEscape.Replace(in.Revision), ttEscape.Replace(in.Revision))
		}
		p("</td>\n          <td><tt>%s</tt></td>\n        </tr>\n      ", ttEscape.Replace(in.Path))
	}
	p("\n    </tbody>\n  </table>\n")
}

var (
	genSystems  = []string{"x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"}
	genPrefixes = []string{"python313Packages", "python312Packages", "haskellPackages", "perlPackages", "rPackages", "nodePackages", "ocamlPackages", "linuxPackages_6_6", ""}
	genWords    = []string{"foo", "bar", "baz", "qux", "libfoo", "zstd", "gtk", "qt6", "rust", "tree-sitter", "grammar", "sdl2", "mesa", "openssl", "curl", "x11", "wayland"}
)

// bigPage is an evaluation page of n rows spread over every tab (as
// nixpkgs' are: most still succeeding), with realistic job names like
// python313Packages.foo-bar.x86_64-linux, every status and full=1.
func bigPage(n int) *genPage {
	g := &genPage{Eval: 1809808, Compare: 1809807, Full: true, Shuffle: true, EvalErrors: true}
	g.Inputs = []genInput{{Name: "nixpkgs", Type: "git", URI: "https://github.com/NixOS/nixpkgs.git", Revision: "0123456789abcdef0123456789abcdef01234567", Path: "/nix/store/abcdabcdabcdabcdabcdabcdabcdabcd-source"}}
	statuses := []int{1, 2, 3, 4, 6, 7, 9, 10, 11, 12, 8, 13}
	for i := range n {
		sys := genSystems[i%len(genSystems)]
		pre := genPrefixes[(i/7)%len(genPrefixes)]
		name := genWords[i%len(genWords)] + "-" + genWords[(i/17)%len(genWords)] + strconv.Itoa(i/289)
		job := name + "." + sys
		if pre != "" {
			job = pre + "." + job
		}
		r := genRow{ID: 250000000 + int64(i), Job: job, System: sys, NixName: name + "-1." + strconv.Itoa(i%40) + ".0", Stop: 1717000000 + int64(i)}
		var t hydra.PageTab
		switch k := i % 100; {
		case k < 70:
			t, r.Status = hydra.TabStillSucceed, 0
		case k < 82:
			t, r.Status = hydra.TabStillFail, statuses[i%len(statuses)]
			if r.Status == 3 || r.Status == 4 || r.Status == 7 || r.Status == 10 {
				r.Status = 2
			}
		case k < 85:
			t, r.Status = hydra.TabNowFail, 1
		case k < 88:
			t, r.Status = hydra.TabNowSucceed, 0
		case k < 91:
			t, r.Status = hydra.TabNew, 0
		case k < 94:
			t, r.Status = hydra.TabAborted, []int{3, 4, 7, 10}[i%4]
		case k < 97:
			t, r.Status, r.Stop = hydra.TabUnfinished, -1, 0
		default:
			t = hydra.TabRemoved
		}
		g.Tabs[t] = append(g.Tabs[t], r)
	}
	return g
}

// updateGolden reports whether -update was given; the flag is declared here
// unless another test file of the package declared it first.
func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files under testdata/")
	}
}

const fixtureDir = "testdata/evalpage"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readAll parses a page, collecting copies of its rows.
func readAll(data []byte, lim hydra.PageLimits) (*hydra.EvalPage, []hydra.PageRow, error) {
	var rows []hydra.PageRow
	page, err := hydra.ReadEvalPage(bytes.NewReader(data), "https://hydra.nixos.org/eval/1809808?full=1", lim, func(r *hydra.PageRow) error {
		rows = append(rows, *r)
		return nil
	})
	return page, rows, err
}

type goldenSummary struct {
	Eval        int64             `json:"eval"`
	CompareEval int64             `json:"compare_eval"`
	Counts      map[string]int    `json:"counts"`
	Rows        map[string]int    `json:"rows"`
	Omitted     map[string]int    `json:"omitted"`
	Members     int               `json:"members"`
	Complete    string            `json:"complete"`
	Bytes       int64             `json:"bytes"`
	Inputs      []hydra.PageInput `json:"inputs"`
}

type goldenRow struct {
	Tab     string `json:"tab"`
	Build   int64  `json:"build"`
	Job     string `json:"job"`
	System  string `json:"system"`
	Title   string `json:"title"`
	Status  string `json:"status"`
	Stop    int64  `json:"stop"`
	NixName string `json:"nixname"`
	Line    int    `json:"line"`
}

func tabMap(m map[hydra.PageTab]int) map[string]int {
	out := map[string]int{}
	for t, n := range m {
		out[t.String()] = n
	}
	return out
}

// golden renders what ReadEvalPage read: the page, then one row a line.
func golden(page *hydra.EvalPage, rows []hydra.PageRow) []byte {
	var b bytes.Buffer
	s := goldenSummary{Eval: page.Eval, CompareEval: page.CompareEval, Counts: tabMap(page.Counts), Rows: tabMap(page.Rows),
		Omitted: tabMap(page.Omitted), Members: page.Members(), Bytes: page.Bytes, Inputs: page.Inputs}
	if err := page.Complete(); err != nil {
		s.Complete = err.Error()
	}
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	for _, r := range rows {
		enc.Encode(goldenRow{r.Tab.String(), r.Build, r.Job, r.System, r.Title, r.Status.String(), r.Stop, r.NixName, r.Line})
	}
	return b.Bytes()
}

func TestReadEvalPageGolden(t *testing.T) {
	for _, name := range []string{"small", "cols", "omitted"} {
		t.Run(name, func(t *testing.T) {
			data := readFixture(t, name+".html")
			page, rows, err := readAll(data, hydra.PageLimits{})
			if err != nil {
				t.Fatal(err)
			}
			got := golden(page, rows)
			path := filepath.Join(fixtureDir, name+".golden")
			if updateGolden() {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (run with -update to accept):\n%s", name, path, firstDiff(got, want))
			}
		})
	}
}

func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, a, b)
		}
	}
	return ""
}

// TestReadEvalPageSmall checks the hand-made fixture's particular rows,
// beside the golden file: every status title, entities, "-", attributes in
// other orders, left-out end tags.
func TestReadEvalPageSmall(t *testing.T) {
	page, rows, err := readAll(readFixture(t, "small.html"), hydra.PageLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if page.Eval != 1809808 || page.CompareEval != 1809807 {
		t.Errorf("eval %d compared to %d, want 1809808 and 1809807", page.Eval, page.CompareEval)
	}
	if err := page.Complete(); err != nil {
		t.Errorf("Complete: %v", err)
	}
	if page.Members() != 20 || len(rows) != 22 {
		t.Errorf("Members %d, %d rows; want 20 members, 22 rows (2 removed)", page.Members(), len(rows))
	}
	byID := map[int64]hydra.PageRow{}
	titles := map[string]bool{}
	for _, r := range rows {
		byID[r.Build] = r
		titles[r.Title] = true
		if r.Line <= 0 {
			t.Errorf("row %+v has no line", r)
		}
	}
	for _, title := range []string{"Succeeded", "Failed", "Dependency failed", "Aborted", "Cancelled", "Failed with output", "Timed out",
		"Log limit exceeded", "Output size limit exceeded", "Non-deterministic build", "Queued"} {
		if !titles[title] {
			t.Errorf("no row titled %q", title)
		}
	}
	for _, c := range []struct {
		id            int64
		tab           hydra.PageTab
		job, nix, sys string
		status        hydra.Status
		stop          int64
	}{
		{1002, hydra.TabAborted, "firefox-unwrapped.aarch64-linux", "firefox-127.0.2", "aarch64-linux", hydra.StatusTimedOut, 1717100002},
		{1003, hydra.TabAborted, "texlive.combined.scheme-full.x86_64-linux", "texlive-combined-full-2023", "x86_64-linux", hydra.StatusLogLimitExceeded, 1717100003},
		{2001, hydra.TabNowFail, "python313Packages.foo-bar.x86_64-linux", "python3.13-foo-bar-1.2.3", "x86_64-linux", hydra.StatusFailed, 1717200001},
		{2002, hydra.TabNowFail, "haskellPackages.lens.aarch64-linux", "lens-5.3.2", "aarch64-linux", hydra.StatusDependencyFailed, 1717200002},
		{2006, hydra.TabNowFail, "unsupported.aarch64-darwin", "unsupported-1.0", "aarch64-darwin", hydra.StatusAborted, 1717200006},
		{2007, hydra.TabNowFail, "cached.x86_64-linux", "cached-1.0", "x86_64-linux", hydra.StatusFailed, 1717200007},
		{4001, hydra.TabNew, `pkgs."foo&bar".x86_64-linux`, "foo&bar-0.1", "x86_64-linux", hydra.StatusSucceeded, 1717400001},
		{4002, hydra.TabNew, "newpkg.aarch64-linux", "newpkg-1.0", "aarch64-linux", hydra.StatusUnfinished, 0},
		{6002, hydra.TabStillFail, "resolved.x86_64-linux", "resolved-1 & <more>", "x86_64-linux", hydra.StatusFailed, 1717600002},
		{7002, hydra.TabStillSucceed, "coreutils.aarch64-linux", "coreutils-9.5", "aarch64-linux", hydra.StatusSucceeded, 1717700002},
		{8002, hydra.TabUnfinished, "gcc.aarch64-linux", "gcc-13.3.0", "aarch64-linux", hydra.StatusSucceeded, 1717800002},
	} {
		r, ok := byID[c.id]
		if !ok {
			t.Errorf("no row for build %d", c.id)
			continue
		}
		if r.Tab != c.tab || r.Job != c.job || r.NixName != c.nix || r.System != c.sys || r.Status != c.status || r.Stop != c.stop {
			t.Errorf("build %d: got %+v, want tab %s job %q nixname %q system %q status %v stop %d", c.id, r, c.tab, c.job, c.nix, c.sys, c.status, c.stop)
		}
	}
	var removed []string
	for _, r := range rows {
		if r.Tab == hydra.TabRemoved {
			if r.Build != 0 || r.Title != "" || r.Status != hydra.StatusUnfinished || r.Tab.Member() {
				t.Errorf("removed row %+v", r)
			}
			removed = append(removed, r.Job+" "+r.System)
		}
	}
	if want := []string{"oldpkg.x86_64-linux x86_64-linux", "python311Packages.gone.aarch64-darwin aarch64-darwin"}; !slices.Equal(removed, want) {
		t.Errorf("removed %q, want %q", removed, want)
	}
	wantInputs := []hydra.PageInput{
		{Name: "nixpkgs", Type: "Git checkout", Value: "https://github.com/NixOS/nixpkgs.git", Revision: "0123456789abcdef0123456789abcdef01234567"},
		{Name: "officialRelease", Type: "Boolean", Value: "false"},
		{Name: "supportedSystems", Type: "Nix expression", Value: `[ "x86_64-linux" "aarch64-linux" ]`},
		{Name: "label", Type: "String value", Value: `"a <b> & "c""`},
	}
	if !slices.Equal(page.Inputs, wantInputs) {
		t.Errorf("inputs\n got  %+v\n want %+v", page.Inputs, wantInputs)
	}

	// The same page with CRLF line ends reads the same rows on the same lines.
	crlf := bytes.ReplaceAll(readFixture(t, "small.html"), []byte("\n"), []byte("\r\n"))
	_, rows2, err := readAll(crlf, hydra.PageLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows, rows2) {
		t.Errorf("CRLF page: rows differ")
	}
}

func TestReadEvalPageOmitted(t *testing.T) {
	page, rows, err := readAll(readFixture(t, "omitted.html"), hydra.PageLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if page.Omitted[hydra.TabStillFail] != 1 || page.Omitted[hydra.TabRemoved] != 3 || page.Rows[hydra.TabStillFail] != 250 || page.Rows[hydra.TabRemoved] != 250 {
		t.Errorf("omitted %v rows %v", page.Omitted, page.Rows)
	}
	if page.Counts[hydra.TabStillFail] != 251 || page.Members() != 252 || len(rows) != 501 {
		t.Errorf("counts %v members %d rows %d", page.Counts, page.Members(), len(rows))
	}
	err = page.Complete()
	if err == nil || !strings.Contains(err.Error(), "tabs-removed lists 250 of its 253 rows (3 omitted") {
		t.Errorf("Complete: %v", err)
	}
}

// expectedRows are the rows ReadEvalPage must read from a generated page.
func expectedRows(g *genPage) []hydra.PageRow {
	var rows []hydra.PageRow
	for t := hydra.TabAborted; t <= hydra.TabUnfinished; t++ {
		list := g.Tabs[t]
		if !g.Full && len(list) > 250 {
			list = list[:250]
		}
		for _, r := range list {
			if t == hydra.TabRemoved {
				rows = append(rows, hydra.PageRow{Tab: t, Job: r.Job, System: r.System, Status: hydra.StatusUnfinished})
				continue
			}
			_, title := statusIcon(r.Status)
			rows = append(rows, hydra.PageRow{Tab: t, Build: r.ID, Job: r.Job, System: r.System, Title: title,
				Status: statusOf(r.Status), Stop: r.Stop, NixName: r.NixName})
		}
	}
	return rows
}

func TestReadEvalPageGenerated(t *testing.T) {
	for _, c := range []struct {
		name string
		g    *genPage
	}{
		{"big", bigPage(3000)},
		{"cols", func() *genPage {
			g := bigPage(500)
			g.Cols = []string{"desc", "job", "name", "status", "id", "system", "stop"}
			return g
		}()},
		{"not-full", func() *genPage { g := bigPage(2000); g.Full, g.LoggedIn, g.Compare = false, true, 0; return g }()},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := c.g.write(&buf); err != nil {
				t.Fatal(err)
			}
			page, rows, err := readAll(buf.Bytes(), hydra.PageLimits{})
			if err != nil {
				t.Fatal(err)
			}
			want := expectedRows(c.g)
			if len(rows) != len(want) {
				t.Fatalf("%d rows, want %d", len(rows), len(want))
			}
			for i := range rows {
				got := rows[i]
				got.Line = 0
				if got != want[i] {
					t.Fatalf("row %d:\n got  %+v\n want %+v", i, got, want[i])
				}
			}
			if page.Eval != c.g.Eval || page.CompareEval != c.g.Compare {
				t.Errorf("eval %d/%d, want %d/%d", page.Eval, page.CompareEval, c.g.Eval, c.g.Compare)
			}
			if err := page.Complete(); (err == nil) != c.g.Full {
				t.Errorf("Complete() = %v for full=%v", err, c.g.Full)
			}
		})
	}
}

// mutate replaces the first (n = 1) or every (n = -1) old in the small
// fixture, failing when it is absent.
func mutate(t *testing.T, data []byte, old, new string, n int) []byte {
	t.Helper()
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("fixture has no %q", old)
	}
	return bytes.Replace(data, []byte(old), []byte(new), n)
}

func cut(t *testing.T, data []byte, from, to string) []byte {
	t.Helper()
	i, j := bytes.Index(data, []byte(from)), bytes.Index(data, []byte(to))
	if i < 0 || j < i {
		t.Fatalf("fixture has no %q … %q", from, to)
	}
	return append(append([]byte(nil), data[:i]...), data[j:]...)
}

const pageURL = "https://hydra.nixos.org/eval/1809808?full=1"

func TestReadEvalPageErrors(t *testing.T) {
	small := readFixture(t, "small.html")
	for _, c := range []struct {
		name string
		data []byte
		want []string // substrings of the message
		row  bool     // a *PageError about a row (Line and Row set)
		wrap error    // errors.Is
	}{
		{"missing System column", mutate(t, small, "<th>System</th>", "<th>Platform</th>", 1),
			[]string{"line 185: ", `row "<tr>\n        \n          <th></th>`, "the table of tabs-aborted has no System column"}, true, nil},
		{"missing # column", mutate(t, small, "<th>#</th>", "<th>Id</th>", 1), []string{"has no # column"}, true, nil},
		{"missing Job column", mutate(t, small, "<th>Job</th>", "<th>Attribute</th>", 1), []string{"has no Job column"}, true, nil},
		{"missing status column", mutate(t, small, "<th></th>", "<th>Status</th>", 1), []string{"has no (status, the header-less first) column"}, true, nil},
		{"two Job columns", mutate(t, small, "<th>#</th>", "<th>Job</th>", 1), []string{`two "Job" columns`}, true, nil},
		{"unknown title", mutate(t, small, `title="Cancelled" alt="Cancelled"`, `title="Exploded" alt="Exploded"`, 1),
			[]string{`unknown status title "Exploded"`}, true, nil},
		{"no status icon", mutate(t, small, `<img src="https://hydra.nixos.org/static/images/emojione-check-2714.svg" height="16" width="16" title="Succeeded" alt="Succeeded" class="build-status" />`, "", 1),
			[]string{"the status cell has no status icon"}, true, nil},
		{"non-numeric id", mutate(t, small, `>2003</a></td>`, `>x</a></td>`, 1),
			[]string{"GET " + pageURL + ": line ", `: row "<tr>\n      \n        <td>`, `: the build id cell "x" is not a number`}, true, nil},
		{"id link mismatch", mutate(t, small, `build/2004">2004`, `build/2005">2004`, 1), []string{`links to "https://hydra.nixos.org/build/2005", not to build 2004`}, true, nil},
		{"bad timestamp", mutate(t, small, `data-timestamp="1717200005"`, `data-timestamp="soon"`, 1), []string{`the data-timestamp "soon" is not a number`}, true, nil},
		{"time without timestamp", mutate(t, small, `data-timestamp="1717200005"`, `data-when="1717200005"`, 1), []string{"has no data-timestamp"}, true, nil},
		{"stop text", mutate(t, small, `<td class="nowrap">-</td>`, `<td class="nowrap">soon</td>`, 1), []string{`the Finished at cell "soon" is neither a <time> nor "-"`}, true, nil},
		{"extra cell", mutate(t, small, `<td>hello-2.12.1</td>`, `<td>hello-2.12.1</td><td>extra</td>`, 1), []string{"the row has 7 cells where the header of tabs-now-fail has 6"}, true, nil},
		{"missing cell", mutate(t, small, `<td>hello-2.12.1</td>`, ``, 1), []string{"the row has 5 cells where the header of tabs-now-fail has 6"}, true, nil},
		{"mixed cells", mutate(t, small, `<td>hello-2.12.1</td>`, `<th>hello-2.12.1</th>`, 1), []string{"a row mixing <th> and <td> cells"}, true, nil},
		{"empty job", mutate(t, small, `>coreutils.x86_64-linux</a>`, `></a>`, 1), []string{"the job cell is empty"}, true, nil},
		{"a second header", mutate(t, small, `<tbody>`, `<tbody><tr><th>#</th></tr>`, 1), []string{"a second header row"}, true, nil},
		{"omitted not last", mutate(t, small, "    </tbody>\n  </table>", "    <tr><td colspan=\"6\"><em>(3 more builds omitted)</em></td></tr><tr><td>x</td></tr></tbody>\n  </table>", 1),
			[]string{`a row after the "more … omitted" row of tabs-aborted`}, true, nil},
		{"nav count mismatch", mutate(t, small, "Newly Failing Jobs (7)", "Newly Failing Jobs (8)", 1), []string{"tabs-now-fail has 7 rows and 0 omitted where its nav item counts 8"}, false, nil},
		{"nav without count", mutate(t, small, "Newly Failing Jobs (7)", "Newly Failing Jobs", 1), []string{`the nav item for tabs-now-fail, "Newly Failing Jobs", does not end in a count`}, false, nil},
		{"nav twice", mutate(t, small, `<li class="nav-item"><a class="nav-link" href="#tabs-inputs"`, `<li><a class="nav-link" href="#tabs-new">New Jobs (2)</a></li><li class="nav-item"><a class="nav-link" href="#tabs-inputs"`, 1), []string{"a second nav item for tabs-new"}, false, nil},
		{"unknown pane", mutate(t, small, `<div id="tabs-inputs"`, `<div id="tabs-flaky" class="tab-pane"></div><div id="tabs-inputs"`, 1), []string{`unknown tab pane "tabs-flaky"`}, false, nil},
		{"pane twice", mutate(t, small, `<div id="tabs-inputs"`, `<div id="tabs-errors" class="tab-pane"></div><div id="tabs-inputs"`, 1), []string{`a second pane "tabs-errors"`}, false, nil},
		{"missing pane", mutate(t, cut(t, small, `<div id="tabs-new"`, `<div id="tabs-removed"`), "New Jobs (2)", "New Jobs (0)", 1), []string{"the nav item for tabs-new"}, false, nil},
		{"missing pane and nav", cut(t, cut(t, small, `<div id="tabs-new"`, `<div id="tabs-removed"`), `<li class="nav-item"><a class="nav-link" href="#tabs-new"`, `<li class="nav-item"><a class="nav-link" href="#tabs-removed"`),
			[]string{"the page has no tabs-new pane (jobset-eval.tt always prints it)"}, false, nil},
		{"nested table", mutate(t, small, `<td>hello-2.12.1</td>`, `<td><table><tr><td>hello-2.12.1</td></tr></table></td>`, 1), []string{"a table inside the table of tabs-now-fail"}, false, nil},
		{"compare without link", mutate(t, small, `<a href="https://hydra.nixos.org/eval/1809807">1809807</a>`, `1809807`, 1), []string{`"Comparisons are relative to …" has no link to an evaluation`}, false, nil},
		{"compare link text", mutate(t, small, `eval/1809807">1809807</a>`, `eval/1809807">the previous one</a>`, 1), []string{`the compared evaluation's link text "the previous one" is not an evaluation id`}, false, nil},
		{"no header", mutate(t, small, "<thead>\n        <tr><th>Job</th><th>System</th></tr>\n      </thead>", "", 1), []string{"a row before the header of the table in tabs-removed"}, true, nil},
		{"pane ends in a table", mutate(t, small, "    </tbody>\n  </table>\n\n\n  </div>\n\n  <div id=\"tabs-now-fail\"", "    </tbody>\n\n\n  </div>\n\n  <div id=\"tabs-now-fail\"", 1), []string{"the pane of tabs-aborted ends inside a table"}, false, nil},
		{"truncated", small[:len(small)/2], []string{"the page ends inside the pane of tabs-now-fail, after 13178 bytes, without </html>: the body was truncated"}, false, io.ErrUnexpectedEOF},
		{"truncated after the panes", small[:bytes.Index(small, []byte("</html>"))], []string{"the page ends after its panes"}, false, io.ErrUnexpectedEOF},
		{"truncated before the panes", small[:bytes.Index(small, []byte("<ul class=\"nav nav-tabs\">"))], []string{"the page ends before its panes"}, false, io.ErrUnexpectedEOF},
		{"empty", nil, []string{"the body ends after 0 bytes, before any of an evaluation page (truncated, or not a Hydra page)"}, false, io.ErrUnexpectedEOF},
	} {
		t.Run(c.name, func(t *testing.T) {
			page, _, err := readAll(c.data, hydra.PageLimits{})
			var pe *hydra.PageError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v (%T), want a *PageError", err, err)
			}
			if page != nil {
				t.Errorf("a page with the error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "GET "+pageURL+": ") {
				t.Errorf("%q does not start with the URL", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q\n does not contain %q", msg, w)
				}
			}
			if c.row && (pe.Line == 0 || !strings.HasPrefix(pe.Row, "<tr") || len(pe.Row) > 200) {
				t.Errorf("line %d row %q: want the row's line and its first 200 bytes", pe.Line, pe.Row)
			}
			if c.wrap != nil && !errors.Is(err, c.wrap) {
				t.Errorf("%v does not wrap %v", err, c.wrap)
			}
			if c.wrap == nil && pe.Err != nil {
				t.Errorf("a page error wrapping %v", pe.Err)
			}
		})
	}
}

func TestReadEvalPageNotEval(t *testing.T) {
	prose := func() []byte {
		var b bytes.Buffer
		b.WriteString("<html><head><title>newspeak</title></head><body>\n")
		for b.Len() < 5<<20 {
			b.WriteString("<p>The <a href=\"/ministry/truth\">ministry</a> of truth <a href=\"/eval/12\">rewrote</a> the past again.</p>\n")
		}
		return b.Bytes() // no </html>: an endless decoy is judged after 4 MiB
	}()
	for _, c := range []struct {
		name  string
		data  []byte
		kind  hydra.NotEvalKind
		title string
		want  []string
	}{
		{"decoy", readFixture(t, "err-decoy.html"), hydra.NotEvalDecoy, "the telescreen received and transmitted simultaneously",
			[]string{"no Hydra structure at all", "iocaine", "Go-http-client/1.1", "descriptive User-Agent with contact information (config hydra.contact)"}},
		{"endless decoy", prose, hydra.NotEvalDecoy, "newspeak", []string{"iocaine"}},
		{"login", readFixture(t, "err-login.html"), hydra.NotEvalLogin, "Sign in", []string{"a login page"}},
		{"nginx 504", readFixture(t, "err-nginx504.html"), hydra.NotEvalErrorPage, "504 Gateway Time-out", []string{"an HTML error page"}},
		{"hydra 404", readFixture(t, "err-hydra404.html"), hydra.NotEvalErrorPage, "Hydra - 404 Not Found", []string{`an HTML error page: "Evaluation 99999999 doesn't exist."`}},
		{"jobset page", readFixture(t, "err-jobset.html"), hydra.NotEvalOtherPage, "Hydra - Jobset nixpkgs:unstable", []string{"a Hydra page of another kind"}},
		{"eval title without tabs", cut(t, readFixture(t, "small.html"), `<ul class="nav nav-tabs">`, `<footer`), hydra.NotEvalOtherPage, "Hydra - Evaluation 1809808 of jobset nixpkgs:unstable", []string{"a Hydra page of another kind"}},
		{"hydra is down", []byte("<!DOCTYPE html>\n<html><head><title>Hydra is down</title></head><body><center><p>Looks like Hydra is having some problems.</p></center></body></html>\n"), hydra.NotEvalErrorPage, "Hydra is down", nil},
		{"error 403", []byte("<html><head><title>Error 403 - hydra.nixos.org</title></head><body><h1>HTTP Error 403</h1></body></html>"), hydra.NotEvalErrorPage, "Error 403 - hydra.nixos.org", []string{`("HTTP Error 403")`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := &countReader{r: bytes.NewReader(c.data)}
			page, err := hydra.ReadEvalPage(src, pageURL, hydra.PageLimits{}, func(*hydra.PageRow) error {
				t.Fatal("a row from a page that is not an evaluation page")
				return nil
			})
			var ne *hydra.NotEvalPageError
			if !errors.As(err, &ne) {
				t.Fatalf("err = %v (%T), want a *NotEvalPageError", err, err)
			}
			if page != nil || ne.Kind != c.kind || ne.Title != c.title || ne.URL != pageURL {
				t.Errorf("got kind %v title %q url %q, want %v %q", ne.Kind, ne.Title, ne.URL, c.kind, c.title)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "GET "+pageURL+": not a Hydra evaluation page: ") {
				t.Errorf("message %q", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q\n does not contain %q", msg, w)
				}
			}
			if src.n > 5<<20 {
				t.Errorf("read %d bytes to tell", src.n)
			}
		})
	}
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// TestReadEvalPageTruncated cuts the fixtures everywhere: each cut is an
// error wrapping io.ErrUnexpectedEOF, never a page.
func TestReadEvalPageTruncated(t *testing.T) {
	for _, c := range []struct {
		name string
		step int
	}{{"small.html", 23}, {"cols.html", 41}, {"omitted.html", 1999}} {
		data := readFixture(t, c.name)
		end := bytes.LastIndex(data, []byte("</html>")) + len("</html>")
		for n := 0; n < end; n += c.step {
			page, _, err := readAll(data[:n], hydra.PageLimits{})
			if !errors.Is(err, io.ErrUnexpectedEOF) || page != nil {
				t.Fatalf("%s cut at %d of %d: err = %v, want io.ErrUnexpectedEOF", c.name, n, len(data), err)
			}
		}
		for n := end; n <= len(data); n++ {
			if _, _, err := readAll(data[:n], hydra.PageLimits{}); err != nil {
				t.Errorf("%s cut after </html> at %d: %v", c.name, n, err)
			}
		}
	}
	// A body that fails mid-way passes the reader's error on.
	data := readFixture(t, "small.html")
	_, err := hydra.ReadEvalPage(io.MultiReader(bytes.NewReader(data[:5000]), iotest.ErrReader(io.ErrUnexpectedEOF)), pageURL, hydra.PageLimits{}, func(*hydra.PageRow) error { return nil })
	var pe *hydra.PageError
	if !errors.As(err, &pe) || !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "reading the page after 5000 bytes") {
		t.Errorf("reader error: %v", err)
	}
}

// repeatReader is pattern repeated up to n bytes.
type repeatReader struct {
	pattern string
	n, i    int
}

func (r *repeatReader) Read(b []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	n := min(len(b), r.n)
	for j := range b[:n] {
		b[j] = r.pattern[r.i%len(r.pattern)]
		r.i++
	}
	r.n -= n
	return n, nil
}

func TestReadEvalPageLimits(t *testing.T) {
	small := readFixture(t, "small.html")
	row := bytes.Index(small, []byte(`<a class="row-link" href="https://hydra.nixos.org/build/2003">`))
	cell := bytes.Index(small, []byte(`<td>hello-2.12.1</td>`)) + len("<td>")
	between := bytes.Index(small, []byte("<!-- a comment between rows -->"))
	const huge = 10 << 20
	for _, c := range []struct {
		name string
		src  func() io.Reader
		lim  hydra.PageLimits
		want string
		big  uint64 // for a 10 MB input, a bound on the bytes allocated (which bounds the heap)
	}{
		{"MaxBytes", func() io.Reader { return bytes.NewReader(small) }, hydra.PageLimits{MaxBytes: 10000}, "the page is longer than MaxBytes (10000 bytes)", 0},
		{"MaxRows", func() io.Reader { return bytes.NewReader(small) }, hydra.PageLimits{MaxRows: 5}, "the page has more than MaxRows (5) rows", 0},
		{"MaxField", func() io.Reader {
			return bytes.NewReader(mutate(t, small, ">coreutils.x86_64-linux<", ">"+strings.Repeat("x", 5000)+"<", 1))
		}, hydra.PageLimits{}, "a cell's text is longer than MaxField (4096 bytes)", 0},
		{"10 MB attribute", func() io.Reader {
			return io.MultiReader(bytes.NewReader(small[:row+len(`<a class="row-link" href="`)]), &repeatReader{pattern: "x", n: huge}, bytes.NewReader(small[row:]))
		}, hydra.PageLimits{}, "an HTML token (a tag with its attributes, or a text) is longer than MaxToken (65536 bytes)", 1 << 20},
		{"10 MB text", func() io.Reader {
			return io.MultiReader(bytes.NewReader(small[:cell]), &repeatReader{pattern: "y", n: huge}, bytes.NewReader(small[cell:]))
		}, hydra.PageLimits{}, "longer than MaxToken (65536 bytes)", 1 << 20},
		{"10 MB page over MaxBytes", func() io.Reader {
			return io.MultiReader(bytes.NewReader(small[:between]), &repeatReader{pattern: "<i> </i>\n", n: huge})
		}, hydra.PageLimits{MaxBytes: 1 << 20}, "the page is longer than MaxBytes (1048576 bytes)", 5 << 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := c.src()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			page, err := hydra.ReadEvalPage(src, pageURL, c.lim, func(*hydra.PageRow) error { return nil })
			runtime.ReadMemStats(&after)
			var pe *hydra.PageError
			if !errors.As(err, &pe) || !errors.Is(err, hydra.ErrPageLimit) || page != nil {
				t.Fatalf("err = %v, want a *PageError wrapping ErrPageLimit", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "GET "+pageURL+": line ") || !strings.Contains(msg, c.want) {
				t.Errorf("error %q\n does not name the URL, the line and %q", msg, c.want)
			}
			if c.big > 0 {
				// TotalAlloc counts every byte ever allocated, so it bounds the peak heap too:
				// the tokenizer's buffer (up to twice MaxToken), the 64 KiB read buffer, the
				// cells'. Past MaxBytes, the 1 MiB read is 116 508 tags, each with its garbage.
				d := after.TotalAlloc - before.TotalAlloc
				if d > c.big {
					t.Errorf("allocated %d bytes reading a 10 MB input, want at most %d", d, c.big)
				}
				t.Logf("allocated %d bytes", d)
			}
		})
	}
}

func TestReadEvalPageCallback(t *testing.T) {
	small := readFixture(t, "small.html")
	n := 0
	page, err := hydra.ReadEvalPage(bytes.NewReader(small), pageURL, hydra.PageLimits{}, func(r *hydra.PageRow) error {
		if n++; n == 3 {
			return hydra.ErrStop
		}
		return nil
	})
	if err != hydra.ErrStop || page == nil || page.Eval != 1809808 || page.Rows[hydra.TabAborted] != 3 {
		t.Errorf("ErrStop: page %+v err %v", page, err)
	}
	mine := errors.New("mine")
	wrapped := fmt.Errorf("row 1: %w", mine)
	page, err = hydra.ReadEvalPage(bytes.NewReader(small), pageURL, hydra.PageLimits{}, func(r *hydra.PageRow) error { return wrapped })
	if err != wrapped || !errors.Is(err, mine) || page != nil {
		t.Errorf("callback error: page %v err %v, want it as is", page, err)
	}
}

func TestPageTab(t *testing.T) {
	want := []string{"tabs-aborted", "tabs-now-fail", "tabs-now-succeed", "tabs-new", "tabs-removed", "tabs-still-fail", "tabs-still-succeed", "tabs-unfinished"}
	for i, w := range want {
		tab := hydra.PageTab(i + 1)
		if tab.String() != w || tab.Member() != (tab != hydra.TabRemoved) {
			t.Errorf("%d: %s member %v", i+1, tab, tab.Member())
		}
	}
	if s := hydra.PageTab(0).String(); s != "PageTab(0)" || hydra.PageTab(9).Member() {
		t.Errorf("PageTab(0) = %s", s)
	}
}

// bs4Python returns a python3 that has BeautifulSoup and lxml, or skips.
func bs4Python(t testing.TB) string {
	for _, name := range []string{"python3", "/usr/bin/python3"} {
		p, err := exec.LookPath(name)
		if err == nil && exec.Command(p, "-c", "import bs4, lxml").Run() == nil {
			return p
		}
	}
	testutil.Missing(t, "no python3 with BeautifulSoup and lxml (Debian packages python3-bs4 python3-lxml)")
	return ""
}

type bs4Row struct {
	Tab     string `json:"tab"`
	Build   int64  `json:"build"`
	Job     string `json:"job"`
	System  string `json:"system"`
	Title   string `json:"title"`
	Stop    int64  `json:"stop"`
	NixName string `json:"nixname"`
}

type bs4Usage struct {
	MaxRSSKB   int64   `json:"maxrss_kb"` // getrusage's, which counts the parent's peak before the exec
	VmHWMKB    int64   `json:"vmhwm_kb"`  // its own
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpu_seconds"`
	Rows       int     `json:"rows"`
}

// runBS4 runs the oracle on a file: its rows (to rows, unless nil) and its
// resource use.
func runBS4(t testing.TB, python, path string, rows func(bs4Row)) bs4Usage {
	cmd := exec.Command(python, filepath.Join(fixtureDir, "bs4_rows.py"), path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if rows == nil {
			continue
		}
		var r bs4Row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("bs4_rows.py: %v in %q", err, sc.Bytes())
		}
		rows(r)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("bs4_rows.py %s: %v\n%s", path, err, stderr.Bytes())
	}
	var u bs4Usage
	lines := bytes.Split(bytes.TrimSpace(stderr.Bytes()), []byte("\n"))
	if err := json.Unmarshal(lines[len(lines)-1], &u); err != nil {
		t.Fatalf("bs4_rows.py's usage line: %v in %q", err, stderr.Bytes())
	}
	return u
}

// TestEvalPageBS4Oracle reads the fixtures and a generated page of a few
// thousand rows with BeautifulSoup (bs4_rows.py) and with ReadEvalPage: the
// same rows in the same order.
func TestEvalPageBS4Oracle(t *testing.T) {
	python := bs4Python(t)
	gen := filepath.Join(t.TempDir(), "gen.html")
	f, err := os.Create(gen)
	if err != nil {
		t.Fatal(err)
	}
	if err := bigPage(3000).write(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, path := range []string{filepath.Join(fixtureDir, "small.html"), filepath.Join(fixtureDir, "cols.html"), filepath.Join(fixtureDir, "omitted.html"), gen} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			var want []bs4Row
			u := runBS4(t, python, path, func(r bs4Row) { want = append(want, r) })
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, rows, err := readAll(data, hydra.PageLimits{})
			if err != nil {
				t.Fatal(err)
			}
			var got []bs4Row
			for _, r := range rows {
				got = append(got, bs4Row{r.Tab.String(), r.Build, r.Job, r.System, r.Title, r.Stop, r.NixName})
			}
			if len(got) != len(want) || u.Rows != len(want) {
				t.Fatalf("ReadEvalPage read %d rows, bs4 %d (it says %d)", len(got), len(want), u.Rows)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("row %d:\n ReadEvalPage %+v\n bs4          %+v", i, got[i], want[i])
				}
			}
		})
	}
}

// TestReadEvalPageEveryStatus: each buildstatus the queue runners store,
// rendered by renderBuildStatusIcon (common.tt), read back. The page cannot
// tell 8 (a cached failure, the Rust runner's, maybe a dependency's) from
// 1, nor 9 from 3: failures.Confirm asks /build/N about those.
func TestReadEvalPageEveryStatus(t *testing.T) {
	want := []struct {
		status int
		title  string
		read   hydra.Status
	}{
		{0, "Succeeded", hydra.StatusSucceeded}, {1, "Failed", hydra.StatusFailed},
		{2, "Dependency failed", hydra.StatusDependencyFailed}, {3, "Aborted", hydra.StatusAborted},
		{4, "Cancelled", hydra.StatusCancelled}, {5, "Failed", hydra.StatusFailed},
		{6, "Failed with output", hydra.StatusFailedWithOutput}, {7, "Timed out", hydra.StatusTimedOut},
		{8, "Failed", hydra.StatusFailed}, {9, "Aborted", hydra.StatusAborted},
		{10, "Log limit exceeded", hydra.StatusLogLimitExceeded}, {11, "Output size limit exceeded", hydra.StatusOutputLimitExceeds},
		{12, "Non-deterministic build", hydra.StatusNonDeterministic}, {13, "Failed", hydra.StatusFailed},
		{99, "Failed", hydra.StatusFailed}, {-1, "Queued", hydra.StatusUnfinished},
	}
	g := &genPage{Eval: 5, Full: true}
	for i, w := range want {
		g.Tabs[hydra.TabStillFail] = append(g.Tabs[hydra.TabStillFail], genRow{ID: int64(100 + i),
			Job: "p" + strconv.Itoa(i) + ".x86_64-linux", System: "x86_64-linux", NixName: "p-1", Status: w.status, Stop: 1_700_000_000})
	}
	var buf bytes.Buffer
	if err := g.write(&buf); err != nil {
		t.Fatal(err)
	}
	_, rows, err := readAll(buf.Bytes(), hydra.PageLimits{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]hydra.PageRow{}
	for _, r := range rows {
		got[r.Build] = r
	}
	for i, w := range want {
		r := got[int64(100+i)]
		if r.Title != w.title || r.Status != w.read {
			t.Errorf("status %d: read title %q status %s, want %q, %s", w.status, r.Title, r.Status, w.title, w.read)
		}
	}
}
