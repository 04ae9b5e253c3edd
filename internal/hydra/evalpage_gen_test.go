package hydra_test

// genPage writes evaluation pages as Hydra's templates print them
// (jobset-eval.tt inside layout.tt, with common.tt's blocks), for the
// generated fixtures, the oracle comparison, the fuzz seeds and the
// benchmarks. It follows the templates' markup and white space; what TT
// computes (dates, Perl's hash order of HTML.attributes) it imitates.

import (
	"bufio"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
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
