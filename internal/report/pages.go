// Step 2, the HTML pages: html/template, rendered on the server, working
// without JavaScript. The only script (assets/filter.js) filters rows in
// the page; there is no inline script or style and no external resource,
// so every page carries a strict Content-Security-Policy. Everything that
// came from Hydra or nixpkgs is escaped by the templates; URLs from them
// pass html/template's URL filter (a javascript: link becomes "#ZgotmplZ").

package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"strings"
	"time"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets/style.css assets/filter.js
var assetFS embed.FS

// funcs are the templates' functions; set in init, as the row cache they
// reach renders with the templates.
var funcs template.FuncMap

func init() {
	funcs = template.FuncMap{
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "unknown"
			}
			return t.UTC().Format(time.DateOnly)
		},
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return "unknown"
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"zero":        func(t time.Time) bool { return t.IsZero() },
		"short":       func(rev string) string { return rev[:min(len(rev), 12)] },
		"join":        func(v []string) string { return strings.Join(v, ", ") },
		"cells":       buildCells,
		"systems":     systemsText,
		"anchor":      anchor,
		"entryAnchor": entryAnchor,
		"commitURL":   func(rev string) string { return NixpkgsURL + "/commit/" + rev },
		"loginHref": func(root, login string) string {
			if !ValidLogin(login) {
				return ""
			}
			return root + maintainerFile(login)
		},
		"teamHref": func(root, slug string) string {
			if !ValidSlug(slug) {
				return ""
			}
			return root + teamFile(slug)
		},
		"failures": func(v *view, root string, anchors, showPeople bool, rows []*Failure) template.HTML {
			return v.failuresTable(&tableData{Root: root, Anchors: anchors, ShowPeople: showPeople, Rows: rows})
		},
	}
	pageTemplates = map[string]*template.Template{}
	for _, name := range []string{"index", "jobset", "owner", "list"} {
		pageTemplates[name] = template.Must(template.New(name+".html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
}

var pageTemplates map[string]*template.Template

// rowKey names a row as rendered for one kind of table.
type rowKey struct {
	f                   *Failure
	root                string
	anchors, showPeople bool
}

// failuresTable is the table of t's rows (rows.go). Each row is written
// once per view and kind of table: a row is on a jobset's page and on
// each maintainer's and team's.
func (v *view) failuresTable(t *tableData) template.HTML {
	var b bytes.Buffer
	b.WriteString("<table class=\"failures filterable\">\n<thead><tr><th>Attribute</th><th>Failing builds</th><th>Since</th><th>Broke between</th>")
	if t.ShowPeople {
		b.WriteString("<th>Maintainers</th>")
	}
	b.WriteString("<th>Pull request</th><th>Marker</th></tr></thead>\n<tbody>\n")
	for _, f := range t.Rows {
		k := rowKey{f, t.Root, t.Anchors, t.ShowPeople}
		v.rowsMu.Lock()
		h, ok := v.rows[k]
		v.rowsMu.Unlock()
		if !ok {
			var rb bytes.Buffer
			writeRow(&rb, t, f)
			h = rb.String()
			v.rowsMu.Lock()
			v.rows[k] = h
			v.rowsMu.Unlock()
		}
		b.WriteString(h)
	}
	b.WriteString("</tbody>\n</table>\n")
	return template.HTML(b.String())
}

// notFoundPage is the body of every 404 (and the static site's 404.html).
var notFoundPage = func() []byte {
	b, err := templateFS.ReadFile("templates/notfound.html")
	if err != nil {
		panic(err)
	}
	return b
}()

// buildCell is one line of a row's "failing builds": a system and its
// build and log ("" when unknown).
type buildCell struct{ Label, BuildURL, LogURL string }

// buildCells lists f's failing systems with their builds; a failure with
// no systems (a marker for all of them) lists its builds.
func buildCells(f *Failure) []buildCell {
	var out []buildCell
	for _, sys := range f.Systems {
		c := buildCell{Label: sys}
		for _, b := range f.Builds {
			if b.System == sys && b.BuildURL != "" {
				c.BuildURL, c.LogURL = b.BuildURL, b.LogURL
				break
			}
		}
		out = append(out, c)
	}
	if len(f.Systems) == 0 {
		for _, b := range f.Builds {
			label := b.System
			if label == "" {
				label = "all systems"
			}
			out = append(out, buildCell{Label: label, BuildURL: b.BuildURL, LogURL: b.LogURL})
		}
	}
	return out
}

// systemsText names failing systems ("all systems" for none given).
func systemsText(systems []string) string {
	if len(systems) == 0 {
		return "all systems"
	}
	return strings.Join(systems, ", ")
}

// page is what every page's head and foot show.
type page struct {
	V         *view
	Title     string
	Root      string // relative path to the site's root: "", "../", "../../"
	Generated time.Time
	FeedHref  string // the page's Atom feed, relative; "" none
	FeedTitle string
	Filter    bool
}

type tableData struct {
	Root                string
	Anchors, ShowPeople bool
	Rows                []*Failure
}

type indexPage struct {
	page
	Jobsets       []*jobsetView
	People, Teams int
}

// group is a section of the jobset page: one maintainer's, one team's, or
// the unmaintained packages.
type group struct {
	Key, Title, Href string
	Rows             []*Failure
}

type jobsetPage struct {
	page
	J      *jobsetView
	Groups []group
}

// jobsetGroup is a section of an owner's page: one jobset's failures.
type jobsetGroup struct {
	J    *jobsetView
	Rows []*Failure
}

type ownerPage struct {
	page
	O             *owner
	Groups        []jobsetGroup
	RetentionDays int
}

type listPage struct {
	page
	Teams  bool
	Owners []*owner
}

func execute(name string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := pageTemplates[name].Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("report: rendering the %s page: %w", name, err)
	}
	return buf.Bytes(), nil
}

func (v *view) page(file, title string) page {
	return page{V: v, Title: title, Root: rootOf(file), Generated: v.generated}
}

func (v *view) indexPage() ([]byte, error) {
	return execute("index", indexPage{page: v.page("index.html", "Persistent build failures"),
		Jobsets: v.jobsets, People: len(v.people), Teams: len(v.teams)})
}

func (v *view) listPage(teams bool) ([]byte, error) {
	p := listPage{Teams: teams, Owners: v.people}
	p.page = v.page("maintainers/index.html", "Maintainers")
	if teams {
		p.Owners = v.teams
		p.page = v.page("teams/index.html", "Teams")
	}
	p.Filter = true
	return execute("list", p)
}

func (v *view) jobsetPage(jv *jobsetView) ([]byte, error) {
	p := jobsetPage{page: v.page(jobsetFile(jv.Jobset), jv.Key()), J: jv}
	p.Filter = len(jv.Failures) > 0
	byLogin := map[string][]*Failure{}
	byTeam := map[string][]*Failure{}
	var logins, teams []string
	var unmaintained []*Failure
	for _, f := range jv.Failures {
		ls, ts := distinct(f.Maintainers), distinct(f.Teams)
		for _, l := range ls {
			if byLogin[l] == nil {
				logins = append(logins, l)
			}
			byLogin[l] = append(byLogin[l], f)
		}
		for _, s := range ts {
			if byTeam[s] == nil {
				teams = append(teams, s)
			}
			byTeam[s] = append(byTeam[s], f)
		}
		if len(ls) == 0 && len(ts) == 0 {
			unmaintained = append(unmaintained, f)
		}
	}
	for _, l := range distinct(logins) {
		g := group{Key: l, Title: l, Rows: byLogin[l]}
		if ValidLogin(l) {
			g.Href = p.Root + maintainerFile(l)
		}
		p.Groups = append(p.Groups, g)
	}
	for _, s := range distinct(teams) {
		g := group{Key: "team " + s, Title: "Team " + s, Rows: byTeam[s]}
		if ValidSlug(s) {
			g.Href = p.Root + teamFile(s)
		}
		p.Groups = append(p.Groups, g)
	}
	if len(unmaintained) > 0 {
		p.Groups = append(p.Groups, group{Key: "unmaintained", Title: "No maintainer", Rows: unmaintained})
	}
	return execute("jobset", p)
}

func (v *view) ownerPage(o *owner) ([]byte, error) {
	file, feed, title := maintainerFile(o.Key), maintainerFeedFile(o.Key), o.Key
	if o.IsTeam {
		file, feed, title = teamFile(o.Key), teamFeedFile(o.Key), "Team "+o.Key
	}
	p := ownerPage{page: v.page(file, title), O: o, RetentionDays: int(v.site.retention() / (24 * time.Hour))}
	p.FeedHref, p.FeedTitle = feed[strings.LastIndexByte(feed, '/')+1:], "Failures of "+title
	p.Filter = len(o.Failures) > 0
	for _, f := range o.Failures {
		if n := len(p.Groups); n == 0 || p.Groups[n-1].J.Key() != f.Jobset {
			p.Groups = append(p.Groups, jobsetGroup{J: v.byJobset[f.Jobset]})
		}
		g := &p.Groups[len(p.Groups)-1]
		g.Rows = append(g.Rows, f)
	}
	return execute("owner", p)
}

func asset(name string) []byte {
	b, err := assetFS.ReadFile("assets/" + name)
	if err != nil {
		panic(err)
	}
	return b
}
