// Step 2, the rows: a failure's row of a table, and an entry's content,
// written directly rather than through html/template, because at nixpkgs
// scale they are most of the site (40 000 rows, 20 000 entries) and
// html/template's reflection made them most of its time. They escape
// exactly as html/template does (escText and escURL follow its text and
// URL escapers); rows_test.go renders them through html/template too, from
// the templates in testdata/oracle, and requires the same bytes, for the
// sample site and for fuzzed strings.

package report

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf8"
)

// htmlRepl is html/template's replacement table for text and quoted
// attribute values.
var htmlRepl = [...]string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// escText writes s as html/template writes a string in text or in a
// quoted attribute value.
func escText(b *bytes.Buffer, s string) {
	written := 0
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if int(r) < len(htmlRepl) && htmlRepl[r] != "" {
			b.WriteString(s[written:i])
			b.WriteString(htmlRepl[r])
			written = i + w
		}
		i += w
	}
	b.WriteString(s[written:])
}

// safeURL is html/template's test: no scheme, or http, https or mailto.
func safeURL(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '/':
			return true
		case ':':
			p := s[:i]
			return equalFold(p, "http") || equalFold(p, "https") || equalFold(p, "mailto")
		}
	}
	return true
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != b[i] {
			return false
		}
	}
	return true
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// escURL writes s as html/template writes a whole URL in a quoted href:
// an unsafe scheme becomes "#ZgotmplZ"; the URL is normalised (bytes a
// URL may not hold percent-encoded, valid escapes kept), then escaped as
// an attribute value.
func escURL(b *bytes.Buffer, s string) {
	if !safeURL(s) {
		b.WriteString("#ZgotmplZ")
		return
	}
	const hex = "0123456789abcdef"
	written := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			continue
		case bytes.IndexByte([]byte("!#$&*+,/:;=?@[]-._~"), c) >= 0:
			if c == '&' || c == '+' { // kept, but an attribute escapes them
				escText(b, s[written:i])
				b.WriteString(htmlRepl[c])
				written = i + 1
			}
			continue
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			continue
		}
		escText(b, s[written:i])
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
		written = i + 1
	}
	escText(b, s[written:])
}

func writeDate(b *bytes.Buffer, t time.Time) {
	if t.IsZero() {
		b.WriteString("unknown")
		return
	}
	b.WriteString(t.UTC().Format(time.DateOnly))
}

func writeRange(b *bytes.Buffer, r *Range) {
	if r == nil {
		b.WriteString("unknown")
		return
	}
	b.WriteString(`<a href="`)
	escURL(b, r.CompareURL)
	b.WriteString(`">`)
	escText(b, r.Good[:min(len(r.Good), 12)])
	b.WriteString("…")
	escText(b, r.Bad[:min(len(r.Bad), 12)])
	b.WriteString("</a>")
	if r.Commits >= 0 {
		b.WriteString(" (")
		b.WriteString(strconv.Itoa(r.Commits))
		b.WriteString(" commits)")
	}
}

// writeRow writes f's row of table t (testdata/oracle/row.tmpl).
func writeRow(b *bytes.Buffer, t *tableData, f *Failure) {
	b.WriteString(`<tr class="failure"`)
	var id string
	if t.Anchors {
		id = anchor(f.Jobset, f.Attr)
		b.WriteString(` id="` + id + `"`)
	}
	b.WriteString(">\n<td class=\"attr\">")
	if t.Anchors {
		b.WriteString(`<a href="#` + id + `">`)
		escText(b, f.Attr)
		b.WriteString("</a>")
	} else {
		escText(b, f.Attr)
	}
	if f.Name != "" {
		b.WriteString(`<br><span class="name">`)
		escText(b, f.Name)
		b.WriteString("</span>")
	}
	b.WriteString("</td>\n<td class=\"builds\">")
	for i, c := range buildCells(f) {
		if i > 0 {
			b.WriteString("<br>")
		}
		if c.BuildURL != "" {
			b.WriteString(`<a class="build" href="`)
			escURL(b, c.BuildURL)
			b.WriteString(`">`)
			escText(b, c.Label)
			b.WriteString("</a>")
		} else {
			escText(b, c.Label)
		}
		if c.LogURL != "" {
			b.WriteString(` <a class="log" href="`)
			escURL(b, c.LogURL)
			b.WriteString(`">log</a>`)
		}
	}
	b.WriteString("</td>\n<td class=\"since\">")
	writeDate(b, f.Since)
	b.WriteString("</td>\n<td class=\"range\">")
	writeRange(b, f.BrokeBetween)
	b.WriteString("</td>\n")
	if t.ShowPeople {
		b.WriteString(`<td class="people">`)
		for i, l := range f.Maintainers {
			if i > 0 {
				b.WriteString(", ")
			}
			if ValidLogin(l) {
				b.WriteString(`<a href="`)
				escURL(b, t.Root+maintainerFile(l))
				b.WriteString(`">`)
				escText(b, l)
				b.WriteString("</a>")
			} else {
				escText(b, l)
			}
		}
		if len(f.Maintainers) > 0 && len(f.Teams) > 0 {
			b.WriteString("; ")
		}
		for i, s := range f.Teams {
			if i > 0 {
				b.WriteString(", ")
			}
			if ValidSlug(s) {
				b.WriteString(`<a href="`)
				escURL(b, t.Root+teamFile(s))
				b.WriteString(`">team `)
				escText(b, s)
				b.WriteString("</a>")
			} else {
				b.WriteString("team ")
				escText(b, s)
			}
		}
		b.WriteString("</td>\n")
	}
	b.WriteString(`<td class="pr">`)
	writePR(b, f.PR, false)
	b.WriteString("</td>\n<td class=\"marker\">")
	if f.Marker == nil && f.Refused != "" {
		b.WriteString("not marked: ")
		escText(b, f.Refused)
	}
	if m := f.Marker; m != nil {
		escText(b, m.State)
		if !m.LastProbe.IsZero() {
			b.WriteString("<br>probed ")
			writeDate(b, m.LastProbe)
			if m.ProbeResult != "" {
				b.WriteString(": ")
				escText(b, m.ProbeResult)
			}
		}
	}
	b.WriteString("</td>\n</tr>\n")
}

// writePR writes "#N kind, state" linked; in an entry "#N (kind, state)".
func writePR(b *bytes.Buffer, p *PRRef, entry bool) {
	if p == nil {
		return
	}
	b.WriteString(`<a href="`)
	escURL(b, p.URL)
	b.WriteString(`">#`)
	b.WriteString(strconv.Itoa(p.Number))
	b.WriteString("</a> ")
	if entry {
		b.WriteString("(")
	}
	escText(b, p.Kind)
	b.WriteString(", ")
	escText(b, p.State)
	if entry {
		b.WriteString(")")
	}
}

// writeEntry writes an entry's content but for the link to the page
// (testdata/oracle/entry.tmpl).
func writeEntry(b *bytes.Buffer, t *Tracked, jobs []entryJob) {
	s := &t.Snapshot
	b.WriteString("<p><code>")
	escText(b, t.Attr)
	b.WriteString("</code>")
	if s.Name != "" {
		b.WriteString(" (")
		escText(b, s.Name)
		b.WriteString(")")
	}
	if t.Fails() {
		b.WriteString(" fails to build on ")
		escText(b, t.Jobset)
		b.WriteString(" on ")
		escText(b, systemsText(s.Systems))
		b.WriteString(", since ")
		writeDate(b, s.Since)
		b.WriteString(".")
	} else {
		b.WriteString(" builds again on ")
		escText(b, t.Jobset)
		b.WriteString(" since ")
		writeDate(b, t.Fixed)
		b.WriteString(": it no longer fails there (it failed on ")
		escText(b, systemsText(s.Systems))
		b.WriteString(" since ")
		writeDate(b, s.Since)
		b.WriteString(").")
	}
	b.WriteString("</p>\n<ul>\n")
	if len(jobs) > 0 {
		b.WriteString("<li>Hydra jobs: ")
		for i, j := range jobs {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(`<a href="`)
			escURL(b, j.URL)
			b.WriteString(`">`)
			escText(b, j.System)
			b.WriteString("</a>")
		}
		b.WriteString("</li>\n")
	}
	b.WriteString("<li>Broke between: ")
	writeRange(b, s.BrokeBetween)
	b.WriteString("</li>\n<li>Maintainers: ")
	if len(s.Maintainers) > 0 {
		escText(b, joinStrings(s.Maintainers))
	} else {
		b.WriteString("none")
	}
	if len(s.Teams) > 0 {
		b.WriteString("; teams: ")
		escText(b, joinStrings(s.Teams))
	}
	b.WriteString("</li>\n")
	if s.PR != nil {
		b.WriteString("<li>markbot's pull request: ")
		writePR(b, s.PR, true)
		b.WriteString("</li>\n")
	}
	if m := s.Marker; m != nil {
		b.WriteString("<li>markbot's marker: ")
		escText(b, m.State)
		if m.ProbeResult != "" {
			b.WriteString("; last probe: ")
			escText(b, m.ProbeResult)
		}
		b.WriteString("</li>\n")
	}
	b.WriteString("</ul>\n")
}

func joinStrings(v []string) string {
	n := 0
	for _, s := range v {
		n += len(s) + 2
	}
	out := make([]byte, 0, n)
	for i, s := range v {
		if i > 0 {
			out = append(out, ", "...)
		}
		out = append(out, s...)
	}
	return string(out)
}
