// The evaluation page, step 2a: the page's frame. This file prints what
// Hydra's layout.tt wraps every HTML page in (with style.tt, topbar.tt and
// auth.tt, for a visitor who is not signed in) and error.tt, as Template
// Toolkit prints them with Hydra's View/TT.pm settings (PRE_CHOMP and
// POST_CHOMP: a directive alone on its line takes the line's indentation
// and newline with it). Sources: NixOS/hydra subprojects/hydra/root/
// layout.tt, style.tt, topbar.tt, auth.tt, error.tt, common.tt (menuItem),
// lib/Hydra/Controller/Root.pm (begin, end), lib/Hydra/View/TT.pm.
package hydratest

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
)

// Versions the fake's pages print in their footer (Root.pm begin takes
// them from HYDRA_RELEASE, NIX_RELEASE and NIX_EVAL_JOBS_RELEASE).
const (
	HydraVersion        = "0.1.20260821.14332fb"
	NixVersion          = "2.31.1"
	NixEvalJobsVersion  = "2.31.0"
	hydraProjectLinkURL = "http://nixos.org/hydra"
)

// layout is what layout.tt and topbar.tt read from the stash.
type layout struct {
	base      string // c.uri_for('/'): the fake's URL with a final "/"
	title     string // escaped into <title> (and the header when no titleHTML)
	titleHTML string // printed as is in the header
	project   string // "" before the controller found one (the menus then lack it)
	jobset    string
	queued    int    // nrQueuedBuilds
	running   int    // nrRunningBuilds
	query     string // c.req.params.query, echoed into the search box
}

// htmlWriter writes a page with Template Toolkit's escaping.
type htmlWriter struct {
	*bufio.Writer
	num []byte
}

// esc writes s as HTML.escape and the html filter write it (TT 3.x):
// & < > " and ' become entities.
func (w *htmlWriter) esc(s string) {
	start := 0
	for i := 0; i < len(s); i++ {
		var rep string
		switch s[i] {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '"':
			rep = "&quot;"
		case '\'':
			rep = "&#39;"
		default:
			continue
		}
		w.WriteString(s[start:i])
		w.WriteString(rep)
		start = i + 1
	}
	w.WriteString(s[start:])
}

// escBytes is esc for a byte slice.
func (w *htmlWriter) escBytes(s []byte) {
	start := 0
	for i, c := range s {
		var rep string
		switch c {
		case '&':
			rep = "&amp;"
		case '<':
			rep = "&lt;"
		case '>':
			rep = "&gt;"
		case '"':
			rep = "&quot;"
		case '\'':
			rep = "&#39;"
		default:
			continue
		}
		w.Write(s[start:i])
		w.WriteString(rep)
		start = i + 1
	}
	w.Write(s[start:])
}

func (w *htmlWriter) int(n int64) {
	w.num = strconv.AppendInt(w.num[:0], n, 10)
	w.Write(w.num)
}

// attr writes one HTML.attributes pair: name="escaped value". Calls with
// several pairs write them sorted by name (Perl's hash order is random;
// the fake prints them sorted).
func (w *htmlWriter) attr(name, value string) {
	w.WriteString(name)
	w.WriteString(`="`)
	w.esc(value)
	w.WriteByte('"')
}

// uriEscape escapes a query key or value as Catalyst's uri_for does
// (URI::Escape's unreserved set plus space, which becomes "+").
func uriEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			strings.IndexByte("-_.!~*'()", c) >= 0:
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// pathEscape escapes one path argument of uri_for.
func pathEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			strings.IndexByte("-_.!~*'():@&=+$,;", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

var styleLinks = []struct{ kind, path string }{
	{"js", "js/jquery/jquery-3.4.1.min.js"},
	{"js", "js/jquery/jquery-ui-1.10.4.min.js"},
	{"js", "js/moment/moment-2.24.0.min.js"},
}

// head writes layout.tt up to its [% content %].
func (w *htmlWriter) head(l *layout) {
	st := l.base + "static/"
	w.WriteString("<!DOCTYPE html>\n\n<html lang=\"en\">\n\n  <head>\n    <title>Hydra - ")
	w.esc(l.title)
	w.WriteString("</title>\n\n    <meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\" />\n    <meta http-equiv=\"X-UA-Compatible\" content=\"IE=Edge\" />")
	// style.tt
	for i, s := range styleLinks {
		if i > 0 {
			w.WriteByte('\n')
		}
		w.WriteString(`<script type="text/javascript" src="` + st + s.path + `"></script>`)
	}
	w.WriteString("\n\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0\" />\n\n")
	w.WriteString(`<link href="` + st + `fontawesome/css/all.css" rel="stylesheet" />` + "\n")
	w.WriteString(`<script type="text/javascript" src="` + st + `js/popper.min.js"></script>` + "\n")
	w.WriteString(`<script type="text/javascript" src="` + st + `bootstrap/js/bootstrap.min.js"></script>` + "\n")
	w.WriteString(`<link href="` + st + `bootstrap/css/bootstrap.min.css" rel="stylesheet" />` + "\n\n")
	w.WriteString("<!-- hydra.css may need to be moved to before boostrap to make the @media rule work. -->\n")
	w.WriteString(`<link rel="stylesheet" href="` + st + `css/hydra.css" type="text/css" />` + "\n")
	w.WriteString(`<link rel="stylesheet" href="` + st + `css/rotated-th.css" type="text/css" />` + "\n\n")
	w.WriteString("<style>\n  .popover { max-width: 40%; }\n</style>\n\n")
	w.WriteString(`<script type="text/javascript" src="` + st + `js/bootbox.min.js"></script>` + "\n\n")
	w.WriteString(`<link rel="stylesheet" href="` + st + `css/tree.css" type="text/css" />` + "\n\n")
	w.WriteString(`<script type="text/javascript" src="` + st + `js/common.js"></script>` + "\n\n")
	w.WriteString(`<script type="text/javascript" src="` + st + `js/ansi_up.js"></script>` + "\n\n")
	w.WriteString("  </head>\n\n  <body>\n\n    <nav class=\"navbar navbar-expand-md navbar-light bg-light\">\n      <div class=\"container\">\n        <a class=\"navbar-brand\" ")
	w.attr("href", l.base)
	w.WriteString(">            Hydra        </a>\n        <button type=\"button\" class=\"navbar-toggler\" data-toggle=\"collapse\" data-target=\"#navbarSupportedContent\">\n          <span class=\"navbar-toggler-icon\"></span>\n        </button>\n        <div class=\"collapse navbar-collapse\" id=\"navbarSupportedContent\">")
	w.topbar(l)
	w.WriteString("\n        </div>\n      </div>\n    </nav>\n\n    <div class=\"container\">\n      <div class=\"skip-topbar\"></div>\n        <div class=\"page-header\">")
	if l.titleHTML != "" {
		w.WriteString(l.titleHTML)
	} else {
		w.esc(l.title)
	}
	w.WriteString("        </div>")
}

// menuItem is common.tt's menuItem block (never active on the pages the
// fake renders: no menu entry points at an evaluation or an error).
func (w *htmlWriter) menuItem(uri, title string) {
	w.WriteString(`  <a class="dropdown-item"`)
	w.attr("href", uri)
	w.WriteString(" >")
	w.WriteString(title)
	w.WriteString("  </a>")
}

func (w *htmlWriter) subMenuStart(title, id string) {
	w.WriteString("  <li class=\"nav-item dropdown\" ")
	if id != "" {
		w.attr("id", id)
	}
	w.WriteString(" >\n    <a class=\"nav-link dropdown-toggle\" href=\"#\" data-toggle=\"dropdown\">")
	w.esc(title)
	w.WriteString("<b class=\"caret\"></b></a>\n")
}

// topbar writes topbar.tt for a visitor who is not signed in.
func (w *htmlWriter) topbar(l *layout) {
	b := l.base
	w.WriteString("<ul class=\"navbar-nav mr-auto\">\n")
	w.subMenuStart("Status", "")
	w.WriteString("    <div class=\"dropdown-menu\">")
	w.menuItem(b+"queue-summary", "Queue ("+strconv.Itoa(l.running)+"/"+strconv.Itoa(l.queued)+")")
	w.menuItem(b+"status", "Running builds")
	w.menuItem(b+"machines", "Machine status")
	w.menuItem(b+"evals", "Latest evaluations")
	w.menuItem(b+"all", "Latest builds")
	w.menuItem(b+"steps", "Latest steps")
	w.menuItem(b+"queue-runner-status", "Queue Runner Status")
	w.WriteString("    </div>\n  </li>")
	if l.project != "" {
		p := pathEscape(l.project)
		w.subMenuStart("Project", "")
		w.WriteString("    <div class=\"dropdown-menu\">      <h6 class=\"dropdown-header\">")
		w.esc(l.project)
		w.WriteString("</h6>\n      <div class=\"dropdown-divider\"></div>")
		w.menuItem(b+"project/"+p, "Overview")
		w.menuItem(b+"project/"+p+"/all", "Latest builds")
		w.WriteString("    </div>\n  </li>")
	}
	if l.jobset != "" {
		pj := pathEscape(l.project) + "/" + pathEscape(l.jobset)
		w.subMenuStart("Jobset", "")
		w.WriteString("    <div class=\"dropdown-menu\">      <h6 class=\"dropdown-header\">")
		w.esc(l.jobset)
		w.WriteString("</h6>\n      <div class=\"dropdown-divider\"></div>")
		w.menuItem(b+"jobset/"+pj, "Overview")
		w.menuItem(b+"jobset/"+pj+"/evals", "Evaluations")
		w.menuItem(b+"jobset/"+pj+"/all", "Latest builds")
		w.WriteString("    </div>\n  </li>")
	}
	w.WriteString("\n</ul>  <form class=\"form-inline\" action=\"" + b + "search\">\n    <input name=\"query\" type=\"text\" class=\"form-control\" placeholder=\"Search\" ")
	w.attr("value", l.query)
	w.WriteString("/>\n  </form>\n<ul class=\"navbar-nav\">\n")
	w.subMenuStart("Sign in", "sign-in-menu")
	w.WriteString("    <div class=\"dropdown-menu dropdown-menu-right\">      <a class=\"dropdown-item\" href=\"#hydra-signin\" data-toggle=\"modal\">Sign in with a Hydra account</a>    </div>\n  </li>\n</ul>")
}

// foot writes layout.tt after its [% content %], with auth.tt.
func (w *htmlWriter) foot(l *layout) {
	w.WriteString("\n      <footer class=\"navbar\">\n        <hr />\n        <small>\n          <em><a href=\"" + hydraProjectLinkURL + "\" target=\"_blank\" class=\"squiggle\">Hydra</a> ")
	w.esc(HydraVersion)
	w.WriteString(" (using ")
	w.esc(NixVersion)
	w.WriteString(" and ")
	w.esc(NixEvalJobsVersion)
	w.WriteString(`).</em>        </small>
      </footer>

    </div>

  <div id="hydra-signin" class="modal hide fade" tabindex="-1" role="dialog" aria-hidden="true">
    <div class="modal-dialog" role="document">
      <div class="modal-content">
        <form id="signin-form">
          <div class="modal-body">
            <div class="form-group">
              <label for="username" class="col-form-label">User name</label>
              <input type="text" class="form-control" name="username"/>
            </div>
            <div class="form-group">
              <label for="password" class="col-form-label">Password</label>
              <input type="password" class="form-control" name="password"/>
            </div>
          </div>
          <div class="modal-footer">
            <button type="submit" class="btn btn-primary">Sign in</button>
            <button type="button" class="btn btn-secondary" data-dismiss="modal">Cancel</button>
          </div>
        </form>
      </div>
    </div>
  </div>

  <script>

    function finishSignOut() { }

    $("#signin-form").submit(function(e) {
      e.preventDefault();
      requestJSON({
        url: "` + l.base + `login",
        data: $(this).serialize(),
        type: 'POST',
        success: function(data) {
          window.location.reload();
        }
      });
      return false;
    });

    $("#sign-in-menu").on("click", function() {    });

  </script>

  </body>

</html>
`)
}

// htmlError answers as Root.pm's end action does for a browser: error.tt
// in the layout, titled with the status, the message escaped with its
// newlines turned into <br/>. l may lack the project and jobset (an error
// raised before the controller found them).
func htmlError(w http.ResponseWriter, code int, msg string, l layout) {
	l.title = strconv.Itoa(code) + " " + http.StatusText(code)
	l.titleHTML = ""
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Vary", "Accept")
	w.WriteHeader(code)
	hw := &htmlWriter{Writer: bufio.NewWriterSize(w, 16<<10)}
	hw.head(&l)
	hw.WriteString(`   <div class="alert alert-error">`)
	var sb strings.Builder
	esc := &htmlWriter{Writer: bufio.NewWriter(&sb)}
	esc.esc(msg)
	esc.Flush()
	hw.WriteString(strings.ReplaceAll(sb.String(), "\n", "<br/>"))
	hw.WriteString("</div>")
	hw.foot(&l)
	hw.Flush()
}
