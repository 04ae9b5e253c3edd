// Step 3, the Atom feeds (RFC 4287): one per login and per team, holding
// the entries Track keeps for what they maintain. encoding/xml writes them,
// so every string from Hydra or nixpkgs is escaped ("]]>" included; a
// character XML cannot hold becomes U+FFFD). Ids are tag: URIs (RFC 4151)
// that do not depend on the run; atom:updated is the entry's
// Tracked.Updated, which changes only when what the entry says changes.

package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"html"
	"net/url"
	"strings"
	"time"
)

// MaxFeedEntries is how many entries a feed holds at most: the newest
// updates. A team with more failures has them all on its page.
const MaxFeedEntries = 200

type atomFeed struct {
	XMLName   xml.Name      `xml:"http://www.w3.org/2005/Atom feed"`
	ID        string        `xml:"id"`
	Title     atomText      `xml:"title"`
	Subtitle  atomText      `xml:"subtitle"`
	Updated   string        `xml:"updated"`
	Links     []atomLink    `xml:"link"`
	Author    atomPerson    `xml:"author"`
	Generator atomGenerator `xml:"generator"`
	Entries   []atomEntry   `xml:"entry"`
}

type atomText struct {
	Type string `xml:"type,attr,omitempty"`
	Body string `xml:",chardata"`
}

type atomLink struct {
	Rel   string `xml:"rel,attr"`
	Type  string `xml:"type,attr,omitempty"`
	Href  string `xml:"href,attr"`
	Title string `xml:"title,attr,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
	URI  string `xml:"uri,omitempty"`
}

type atomGenerator struct {
	URI  string `xml:"uri,attr"`
	Body string `xml:",chardata"`
}

type atomCategory struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr,omitempty"`
}

type atomEntry struct {
	ID         string         `xml:"id"`
	Title      atomText       `xml:"title"`
	Published  string         `xml:"published"`
	Updated    string         `xml:"updated"`
	Links      []atomLink     `xml:"link"`
	Categories []atomCategory `xml:"category"`
	Content    atomText       `xml:"content"`
}

func atomTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// absolute is the site's URL of file (relative to the site's root).
func (v *view) absolute(file string) string {
	return strings.TrimSuffix(v.site.BaseURL, "/") + "/" + file
}

type entryJob struct{ System, URL string }

// entry is the atom:entry of t in the feed of the page at pageFile (the
// slow way, with the content's HTML rendered anew: feedDoc's oracle).
func (v *view) entry(t *Tracked, pageFile string) atomEntry {
	jobs := entryJobs(t)
	var content bytes.Buffer
	writeEntry(&content, t, jobs)
	page := v.entryPage(t, pageFile)
	e := entryHead(t, jobs)
	e.Links = append([]atomLink{{Rel: "alternate", Type: "text/html", Href: page}}, e.Links...)
	e.Content.Body = content.String() + pageParagraph(page)
	return e
}

func entryJobs(t *Tracked) []entryJob {
	s := &t.Snapshot
	hydra := strings.TrimSuffix(t.Hydra, "/")
	var jobs []entryJob
	for i, sys := range s.Systems {
		job := t.Attr + "." + sys
		if i < len(s.Jobs) {
			job = s.Jobs[i]
		}
		jobs = append(jobs, entryJob{System: sys, URL: hydra + "/job/" + t.Jobset + "/" + url.PathEscape(job)})
	}
	return jobs
}

// entryPage is the URL of t's row on the page at pageFile.
func (v *view) entryPage(t *Tracked, pageFile string) string {
	frag := anchor(t.Jobset, t.Attr)
	if !t.Fails() {
		frag = entryAnchor(t.ID)
	}
	return v.absolute(pageFile) + "#" + frag
}

// pageParagraph ends an entry's content with the link to the page. The
// page's URL is made of the validated base URL, a login or slug and a hex
// anchor; escaped all the same.
func pageParagraph(page string) string {
	return `<p><a href="` + html.EscapeString(page) + `">The failing builds and their logs</a> are on the page.</p>`
}

// entryHead is t's entry without its alternate link and content body.
func entryHead(t *Tracked, jobs []entryJob) atomEntry {
	s := &t.Snapshot
	title := t.Attr + " fails on " + t.Jobset + " (" + systemsText(s.Systems) + ")"
	state := "failing"
	if !t.Fails() {
		title = t.Attr + " builds again on " + t.Jobset
		state = "builds-again"
	}
	e := atomEntry{
		ID:        t.ID,
		Title:     atomText{Type: "text", Body: title},
		Published: atomTime(t.Published),
		Updated:   atomTime(t.Updated),
		Categories: []atomCategory{
			{Term: t.Jobset, Label: "jobset " + t.Jobset},
			{Term: state},
		},
		Content: atomText{Type: "html"},
	}
	for _, j := range jobs {
		e.Links = append(e.Links, atomLink{Rel: "related", Type: "text/html", Href: j.URL, Title: "Hydra job on " + j.System})
	}
	return e
}

// entryXML is an entry's XML in the two parts every feed holding it
// shares: before its alternate link, and from there to its content's
// link to the page, which differ per feed.
type entryXML struct{ head, mid string }

// cachedEntry is t's entryXML, made once per view.
func (v *view) cachedEntry(t *Tracked) entryXML {
	v.rowsMu.Lock()
	c, ok := v.entries[t]
	v.rowsMu.Unlock()
	if ok {
		return c
	}
	jobs := entryJobs(t)
	e := entryHead(t, jobs)
	e.Links = append([]atomLink{{}}, e.Links...) // the alternate link's place
	var content, b bytes.Buffer
	writeEntry(&content, t, jobs)
	writeEntryStart(&b, &e)
	c.head = b.String()
	b.Reset()
	writeEntryMid(&b, &e)
	xml.EscapeText(&b, content.Bytes())
	c.mid = b.String()
	v.rowsMu.Lock()
	v.entries[t] = c
	v.rowsMu.Unlock()
	return c
}

// feedHead is the feed of o without its entries.
func (v *view) feedHead(o *owner) (atomFeed, string) {
	pageFile, feedFile, kind := maintainerFile(o.Key), maintainerFeedFile(o.Key), "maintainers"
	title := "Persistent build failures maintained by " + o.Key
	if o.IsTeam {
		pageFile, feedFile, kind = teamFile(o.Key), teamFeedFile(o.Key), "teams"
		title = "Persistent build failures of team " + o.Key
	}
	return atomFeed{
		ID:    feedID(kind, o.Key),
		Title: atomText{Type: "text", Body: title},
		Subtitle: atomText{Type: "text", Body: fmt.Sprintf("What fails to build in every recent evaluation of the watched Hydra jobsets (%s). "+
			"An entry appears when a failure starts, is updated when it changes, and says so when the package builds again; %d days later it leaves.",
			v.jobsetNames(), int(v.site.retention()/(24*time.Hour)))},
		Updated: atomTime(o.feedUpdated(v)),
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: v.absolute(feedFile)},
			{Rel: "alternate", Type: "text/html", Href: v.absolute(pageFile)},
		},
		Author:    atomPerson{Name: "markbot", URI: "https://github.com/nixpkgs-markbot/markbot"},
		Generator: atomGenerator{URI: "https://github.com/nixpkgs-markbot/markbot", Body: "markbot"},
	}, pageFile
}

// feedEntries are the entries of o's feed: the MaxFeedEntries newest.
func feedEntries(o *owner) []*Tracked { return o.Entries[:min(len(o.Entries), MaxFeedEntries)] }

// feedStruct is o's feed as a value (the slow way: feedDoc's oracle).
func (v *view) feedStruct(o *owner) atomFeed {
	f, pageFile := v.feedHead(o)
	for _, t := range feedEntries(o) {
		f.Entries = append(f.Entries, v.entry(t, pageFile))
	}
	return f
}

// feedDoc is the Atom document of a login's or team's entries: what
// writeAtom(feedStruct(o)) writes, from each entry's cached XML.
func (v *view) feedDoc(o *owner) ([]byte, error) {
	f, pageFile := v.feedHead(o)
	entries := feedEntries(o)
	var b bytes.Buffer
	b.Grow(2048 + 2048*len(entries))
	writeFeedStart(&b, &f)
	for _, t := range entries {
		c := v.cachedEntry(t)
		page := v.entryPage(t, pageFile)
		b.WriteString(c.head)
		writeLink(&b, 2, atomLink{Rel: "alternate", Type: "text/html", Href: page})
		b.WriteString(c.mid)
		esc(&b, pageParagraph(page))
		writeEntryEnd(&b)
	}
	b.WriteString("\n</feed>\n")
	return b.Bytes(), nil
}

// writeAtom writes f as encoding/xml would with an Indent of one space
// (feeds_test.go checks that it is the same), but without reflection.
// Every string goes through xml.EscapeText.
func writeAtom(b *bytes.Buffer, f *atomFeed) {
	writeFeedStart(b, f)
	for i := range f.Entries {
		e := &f.Entries[i]
		writeEntryStart(b, e)
		for _, l := range e.Links[:min(len(e.Links), 1)] {
			writeLink(b, 2, l)
		}
		writeEntryMid(b, e)
		esc(b, e.Content.Body)
		writeEntryEnd(b)
	}
	b.WriteString("\n</feed>\n")
}

func writeFeedStart(b *bytes.Buffer, f *atomFeed) {
	b.WriteString(xml.Header)
	b.WriteString(`<feed xmlns="http://www.w3.org/2005/Atom">`)
	elem(b, 1, "id", f.ID)
	text(b, 1, "title", f.Title)
	text(b, 1, "subtitle", f.Subtitle)
	elem(b, 1, "updated", f.Updated)
	for _, l := range f.Links {
		writeLink(b, 1, l)
	}
	b.WriteString("\n <author>")
	elem(b, 2, "name", f.Author.Name)
	if f.Author.URI != "" {
		elem(b, 2, "uri", f.Author.URI)
	}
	b.WriteString("\n </author>\n <generator")
	attr(b, "uri", f.Generator.URI)
	b.WriteByte('>')
	esc(b, f.Generator.Body)
	b.WriteString("</generator>")
}

// writeEntryStart writes an entry up to its first link.
func writeEntryStart(b *bytes.Buffer, e *atomEntry) {
	b.WriteString("\n <entry>")
	elem(b, 2, "id", e.ID)
	text(b, 2, "title", e.Title)
	elem(b, 2, "published", e.Published)
	elem(b, 2, "updated", e.Updated)
}

// writeEntryMid writes an entry's links after the first, its categories
// and the start of its content, up to the content's text.
func writeEntryMid(b *bytes.Buffer, e *atomEntry) {
	for _, l := range e.Links[min(len(e.Links), 1):] {
		writeLink(b, 2, l)
	}
	for _, c := range e.Categories {
		b.WriteString("\n  <category")
		attr(b, "term", c.Term)
		if c.Label != "" {
			attr(b, "label", c.Label)
		}
		b.WriteString("></category>")
	}
	indent(b, 2)
	b.WriteString("<content")
	if e.Content.Type != "" {
		attr(b, "type", e.Content.Type)
	}
	b.WriteByte('>')
}

func writeEntryEnd(b *bytes.Buffer) { b.WriteString("</content>\n </entry>") }

func esc(b *bytes.Buffer, s string) { xml.EscapeText(b, []byte(s)) }

func indent(b *bytes.Buffer, depth int) {
	b.WriteByte('\n')
	for range depth {
		b.WriteByte(' ')
	}
}

func elem(b *bytes.Buffer, depth int, name, value string) {
	indent(b, depth)
	b.WriteString("<" + name + ">")
	esc(b, value)
	b.WriteString("</" + name + ">")
}

func text(b *bytes.Buffer, depth int, name string, t atomText) {
	indent(b, depth)
	b.WriteString("<" + name)
	if t.Type != "" {
		attr(b, "type", t.Type)
	}
	b.WriteByte('>')
	esc(b, t.Body)
	b.WriteString("</" + name + ">")
}

func attr(b *bytes.Buffer, name, value string) {
	b.WriteString(" " + name + `="`)
	esc(b, value)
	b.WriteByte('"')
}

func writeLink(b *bytes.Buffer, depth int, l atomLink) {
	indent(b, depth)
	b.WriteString("<link")
	attr(b, "rel", l.Rel)
	if l.Type != "" {
		attr(b, "type", l.Type)
	}
	attr(b, "href", l.Href)
	if l.Title != "" {
		attr(b, "title", l.Title)
	}
	b.WriteString("></link>")
}

func (v *view) jobsetNames() string {
	var names []string
	for _, j := range v.jobsets {
		names = append(names, j.Key())
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
