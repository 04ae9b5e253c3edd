package nixedit

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// Marker is what markbot writes into a derivation's meta.
type Marker struct {
	// Systems are the failing systems; empty means every system.
	Systems []string
	// BuildURL is the failing Hydra build, e.g. https://hydra.nixos.org/build/312345678.
	BuildURL string
	// Since is the day the failure started, YYYY-MM-DD.
	Since string
}

// ErrAlreadyBroken is Mark's answer when the derivation is already marked
// broken on every system asked for.
var ErrAlreadyBroken = errors.New("already marked broken")

// ErrNotMarked is Unmark's answer when the derivation carries no markbot
// marker.
var ErrNotMarked = errors.New("not marked by markbot")

// RefusedError is Mark's answer for a file or shape it will not edit.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return "refused: " + e.Reason }

// HumanChangedError is Unmark's answer when markbot's marker is there but a
// human has edited it: it is theirs now.
type HumanChangedError struct{ Reason string }

func (e *HumanChangedError) Error() string { return "changed by a human: " + e.Reason }

var buildURLRe = regexp.MustCompile(`^https?://[^/\s]+(/[^\s]*)?/build/[0-9]+$`)

// Validate checks the marker's fields.
func (m Marker) Validate() error {
	u, err := url.Parse(m.BuildURL)
	if err != nil || !buildURLRe.MatchString(m.BuildURL) || u.Host == "" {
		return fmt.Errorf("build URL %q is not a Hydra build URL like https://hydra.nixos.org/build/312345678", m.BuildURL)
	}
	if _, err := time.Parse(time.DateOnly, m.Since); err != nil {
		return fmt.Errorf("since %q is not a date like 2026-11-25", m.Since)
	}
	for _, s := range m.Systems {
		if err := CheckSystem(s); err != nil {
			return err
		}
	}
	return nil
}

// The marker's comment. Mark writes, Unmark reads:
//
//	# markbot: broken since 2026-11-25, URL (log: URL/log)
//	# markbot: broken on x86_64-darwin, aarch64-darwin since 2026-11-25, URL (log: URL/log)
//	# markbot: also broken on x86_64-linux since 2026-11-25, URL (log: URL/log)
//
// the first above `broken = true;`, the second above `broken = COND;` for
// those systems, the third above a human's `broken = X;` that markbot
// turned into `broken = X || COND;`. Any may end in ", added the stdenv
// argument" when Mark had to add stdenv to the file's formals for its
// condition. Unmark takes out only what matches the comment exactly.
var commentRe = regexp.MustCompile(`^# markbot: (also )?broken (?:on ([a-z0-9_]+-[a-z0-9]+(?:, [a-z0-9_]+-[a-z0-9]+)*) )?since ([0-9]{4}-[0-9]{2}-[0-9]{2}), (\S+) \(log: (\S+)\)(, added the stdenv argument)?$`)

const stdenvNote = ", added the stdenv argument"

func (m Marker) comment(combined bool, addedStdenv bool) string {
	var b strings.Builder
	b.WriteString("# markbot: ")
	if combined {
		b.WriteString("also ")
	}
	b.WriteString("broken")
	if systems := normalizeSystems(m.Systems); len(systems) > 0 {
		b.WriteString(" on " + strings.Join(systems, ", "))
	}
	b.WriteString(" since " + m.Since + ", " + m.BuildURL + " (log: " + m.BuildURL + "/log)")
	if addedStdenv {
		b.WriteString(stdenvNote)
	}
	return b.String()
}

type parsedComment struct {
	combined    bool
	systems     []string
	since       string
	addedStdenv bool
}

func parseComment(text string) (parsedComment, bool) {
	m := commentRe.FindStringSubmatch(text)
	if m == nil || m[5] != m[4]+"/log" {
		return parsedComment{}, false
	}
	pc := parsedComment{combined: m[1] != "", since: m[3], addedStdenv: m[6] != ""}
	if m[2] != "" {
		pc.systems = strings.Split(m[2], ", ")
		for _, s := range pc.systems {
			if CheckSystem(s) != nil {
				return parsedComment{}, false
			}
		}
		if !slices.Equal(pc.systems, normalizeSystems(pc.systems)) {
			return parsedComment{}, false
		}
	}
	return pc, true
}

// Mark inserts markbot's marker into the meta of the derivation whose
// meta.position is line, and returns the new file. It returns
// ErrAlreadyBroken when there is nothing to do, a *RefusedError for shapes
// it will not touch, and a parse error (FILE:LINE:COL: …) for invalid Nix.
// Every result is checked: it parses, and Unmark gives back src exactly.
func Mark(filename string, src []byte, line int, m Marker) ([]byte, error) {
	out, _, err := markLine(filename, src, line, m)
	return out, err
}

// markLine is Mark, also returning the derivation's position line in the
// new file.
func markLine(filename string, src []byte, line int, m Marker) ([]byte, int, error) {
	if err := m.Validate(); err != nil {
		return nil, 0, err
	}
	m.BuildURL = strings.TrimSuffix(m.BuildURL, "/")
	f, err := Parse(filename, src)
	if err != nil {
		return nil, 0, err
	}
	if reason := f.optOut(); reason != "" {
		return nil, 0, &RefusedError{Reason: reason}
	}
	t, err := f.Locate(line)
	if err != nil {
		return nil, 0, err
	}
	cond, err := Condition(m.Systems)
	if err != nil {
		return nil, 0, err
	}
	ed := &editor{f: f}
	if err := ed.mark(t, m, cond); err != nil {
		return nil, 0, err
	}
	out := ed.apply()

	// Self-check: the result parses and the marker comes out again exactly.
	if _, err := Parse(filename, out); err != nil {
		return nil, 0, &RefusedError{Reason: fmt.Sprintf("the edit would not parse (%v); this shape is not supported", err)}
	}
	newLine := ed.shiftLine(line)
	back, err := Unmark(filename, out, newLine)
	if err != nil || !bytes.Equal(back, src) {
		return nil, 0, &RefusedError{Reason: "the marker could not be taken out again exactly in this shape; not editing"}
	}
	return out, newLine, nil
}

// Unmark removes markbot's marker from the derivation whose meta.position
// is line, exactly as Mark wrote it. It returns ErrNotMarked when there is
// no marker and a *HumanChangedError when a human has edited it.
func Unmark(filename string, src []byte, line int) ([]byte, error) {
	out, _, err := unmarkLine(filename, src, line)
	return out, err
}

// unmarkLine is Unmark, also returning the editor that did it (what the
// marker's comment said, and how lines moved).
func unmarkLine(filename string, src []byte, line int) ([]byte, *editor, error) {
	f, err := Parse(filename, src)
	if err != nil {
		return nil, nil, err
	}
	t, err := f.Locate(line)
	if err != nil {
		return nil, nil, err
	}
	ed := &editor{f: f}
	if err := ed.unmark(t); err != nil {
		return nil, nil, err
	}
	out := ed.apply()
	if _, err := Parse(filename, out); err != nil {
		return nil, nil, &HumanChangedError{Reason: fmt.Sprintf("removing the marker would not parse (%v)", err)}
	}
	return out, ed, nil
}

// Narrow replaces markbot's marker of the derivation whose meta.position is
// line by m, for fewer systems: the revert loop's answer when a marked
// package builds again on some of its systems only. m.Systems must be a
// non-empty subset of the systems the marker covers (a marker for every
// system may narrow to any). The old marker must be markbot's as written,
// as for Unmark (ErrNotMarked, *HumanChangedError); the new one is written
// as Mark writes it, so the result is exactly Mark(Unmark(src), m). When
// the file already marks the derivation broken on m.Systems without
// markbot (a human's own broken binding covers them), the result is the
// file without markbot's marker. An empty m.Since keeps the old marker's.
func Narrow(filename string, src []byte, line int, m Marker) ([]byte, error) {
	if len(m.Systems) == 0 {
		return nil, errors.New("narrowing a marker needs the systems it keeps")
	}
	check := m
	if check.Since == "" {
		check.Since = "2006-01-02"
	}
	if err := check.Validate(); err != nil {
		return nil, err
	}
	unmarked, ed, err := unmarkLine(filename, src, line)
	if err != nil {
		return nil, err
	}
	if m.Since == "" {
		m.Since = ed.unmarked.since
	}
	if pc := ed.unmarked; len(pc.systems) > 0 {
		for _, s := range m.Systems {
			if !slices.Contains(pc.systems, s) {
				return nil, fmt.Errorf("%s:%d: the marker covers %s, not %s: narrowing cannot add a system",
					filename, line, strings.Join(pc.systems, ", "), s)
			}
		}
	}
	out, _, err := markLine(filename, unmarked, ed.shiftLine(line), m)
	if errors.Is(err, ErrAlreadyBroken) {
		return unmarked, nil
	}
	return out, err
}

// optOut returns why the file must not be edited, or "".
func (f *File) optOut() string {
	if bytes.Contains(f.Src, []byte("markbot: ignore")) {
		for i, t := range f.Toks {
			start := f.triviaStart(int32(i))
			trivia := f.Src[start:t.Off]
			if j := bytes.Index(trivia, []byte("markbot: ignore")); j >= 0 {
				return fmt.Sprintf("the file opts out with a '# markbot: ignore' comment at line %d", f.Line(int(start)+j))
			}
		}
	}
	header := f.Src[:f.Toks[0].Off]
	if len(header) > 4096 {
		header = header[:4096]
	}
	lower := strings.ToLower(string(header))
	for _, sign := range []string{"do not edit", "generated by", "automatically generated", "autogenerated", "this file was generated", "generated file"} {
		if strings.Contains(lower, sign) {
			return fmt.Sprintf("the file is generated (its header says %q): fix its generator instead", sign)
		}
	}
	return ""
}

// edit replaces src[off:end] with text.
type edit struct {
	off, end int
	text     string
}

type editor struct {
	f     *File
	edits []edit
	// unmarked is the comment of the marker unmark took out.
	unmarked parsedComment
}

func (ed *editor) insert(off int, text string) { ed.edits = append(ed.edits, edit{off, off, text}) }
func (ed *editor) remove(off, end int)         { ed.edits = append(ed.edits, edit{off, end, ""}) }

func (ed *editor) apply() []byte {
	sort.SliceStable(ed.edits, func(i, j int) bool { return ed.edits[i].off < ed.edits[j].off })
	src := ed.f.Src
	var out bytes.Buffer
	out.Grow(len(src) + 256)
	last := 0
	for _, e := range ed.edits {
		out.Write(src[last:e.off])
		out.WriteString(e.text)
		last = e.end
	}
	out.Write(src[last:])
	return out.Bytes()
}

// shiftLine maps a line of the original file to the edited one.
func (ed *editor) shiftLine(line int) int {
	start := int(ed.f.lines.starts[line-1])
	for _, e := range ed.edits {
		if e.off < start || (e.off == start && e.end == e.off) {
			line += countLines(e.text) - countLines(string(ed.f.Src[e.off:e.end]))
		}
	}
	return line
}

func countLines(s string) int {
	return strings.Count(s, "\n") + strings.Count(s, "\r") - strings.Count(s, "\r\n")
}

// Text helpers over the file's bytes.

// lineStart returns the offset of the first byte of off's line (a '\n'
// right after a '\r' starts its own), from the line table: scanning back
// would make each call cost the line's length, quadratic over a file of
// one long line.
func (f *File) lineStart(off int) int {
	if off > 0 && off < len(f.Src) && f.Src[off] == '\n' && f.Src[off-1] == '\r' {
		return off
	}
	return int(f.lines.starts[f.Line(off)-1])
}

// indentOf returns the whitespace at the start of off's line.
func (f *File) indentOf(off int) string {
	ls := f.lineStart(off)
	i := ls
	for i < len(f.Src) && (f.Src[i] == ' ' || f.Src[i] == '\t') {
		i++
	}
	return string(f.Src[ls:i])
}

// firstOnLine reports whether only blanks precede off on its line.
func (f *File) firstOnLine(off int) bool {
	for ; off > 0; off-- {
		switch f.Src[off-1] {
		case '\n', '\r':
			return true
		case ' ', '\t':
		default:
			return false
		}
	}
	return true
}

// newlineAfter returns the line ending of off's line (or the file's usual
// one at the end of the file).
func (f *File) newlineAfter(off int) string {
	for i := off; i < len(f.Src); i++ {
		switch f.Src[i] {
		case '\r':
			if i+1 < len(f.Src) && f.Src[i+1] == '\n' {
				return "\r\n"
			}
			return "\r"
		case '\n':
			return "\n"
		}
	}
	return f.newline()
}

// newline is the file's usual line ending.
func (f *File) newline() string {
	crlf := bytes.Count(f.Src, []byte("\r\n"))
	if crlf > 0 && crlf*2 >= bytes.Count(f.Src, []byte("\n")) {
		return "\r\n"
	}
	return "\n"
}

// newlineBefore returns the offset where the line ending before the line
// starting at ls begins.
func (f *File) newlineBefore(ls int) int {
	if ls >= 2 && f.Src[ls-2] == '\r' && f.Src[ls-1] == '\n' {
		return ls - 2
	}
	if ls >= 1 {
		return ls - 1
	}
	return ls
}

// indentUnit guesses one level of indentation from the file.
func (f *File) indentUnit() string {
	if bytes.Contains(f.Src, []byte("\n\t")) {
		return "\t"
	}
	return "  "
}

// endOfLineContent returns the offset after token i and any comment that
// follows it on the same line.
func (f *File) endOfLineContent(i int32) int {
	end := int(f.Toks[i].End)
	if int(i)+1 >= len(f.Toks) {
		return end
	}
	next := f.Toks[i+1]
	j := end
	for j < int(next.Off) && (f.Src[j] == ' ' || f.Src[j] == '\t') {
		j++
	}
	if j < int(next.Off) && f.Src[j] == '#' {
		for j < int(next.Off) && f.Src[j] != '\n' && f.Src[j] != '\r' {
			j++
		}
		return j
	}
	return end
}

// exprEnd returns the offset just after an expression's last token.
func (f *File) exprEnd(e Expr) int {
	last := int32(-1)
	var v lastTokVisitor
	v.last = &last
	e.walk(&v)
	return int(f.Toks[last].End)
}

type lastTokVisitor struct{ last *int32 }

func (v *lastTokVisitor) tok(i int32) {
	if i > *v.last {
		*v.last = i
	}
}
func (v *lastTokVisitor) expr(e Expr) { e.walk(v) }

func (f *File) exprText(e Expr) string {
	return string(f.Src[f.Toks[e.firstTok()].Off:f.exprEnd(e)])
}

// commentAbove returns the markbot comment on the line right above token
// i's line, with the offsets of that line's start and of token i's line
// start; ok is false when there is none.
func (f *File) commentAbove(i int32) (text string, commentStart, lineStart int, ok bool) {
	t := f.Toks[i]
	trivia := int(f.triviaStart(i))
	ls := f.lineStart(int(t.Off))
	if ls <= trivia || !f.firstOnLine(int(t.Off)) {
		return "", 0, 0, false
	}
	prevEnd := f.newlineBefore(ls)
	pls := f.lineStart(prevEnd)
	if pls < trivia {
		return "", 0, 0, false
	}
	line := strings.TrimLeft(string(f.Src[pls:prevEnd]), " \t")
	if !strings.HasPrefix(line, "# markbot:") {
		return "", 0, 0, false
	}
	return line, pls, ls, true
}

// hasMarkbotComment reports whether a markbot comment appears among the
// set's tokens.
func (f *File) hasMarkbotComment(set *AttrSet) bool {
	first, last := set.firstTok(), set.Close
	return bytes.Contains(f.Src[f.Toks[first].Off:f.Toks[last].Off], []byte("# markbot:"))
}

// brokenBinding returns the derivation's broken binding: `broken = …;` in
// its meta set, or `meta.broken = …;` among its bindings.
func (f *File) brokenBinding(t *Target) (*Attr, error) {
	if t.Meta != nil {
		for _, b := range t.Meta.Binds {
			switch b := b.(type) {
			case *Attr:
				if p := f.staticPath(b.Path); len(p) == 1 && p[0] == "broken" {
					return b, nil
				}
			case *Inherit:
				for _, n := range b.Names {
					if id, ok := n.(*Ident); ok && f.Text(id.Tok) == "broken" {
						return nil, &RefusedError{Reason: "meta.broken is inherited"}
					}
				}
			}
		}
	}
	for _, b := range t.Dotted {
		if p := f.staticPath(b.Path); p[1] == "broken" {
			return b, nil
		}
	}
	return nil, nil
}

// lowerThanOr reports whether e would need parentheses on the left of ||.
func (f *File) lowerThanOr(e Expr) bool {
	switch n := e.(type) {
	case *Binary:
		switch f.Toks[n.Op].Kind {
		case IMPL, PIPEFROM, PIPEINTO:
			return true
		}
	case *If, *Let, *With, *Assert, *Lambda:
		return true
	}
	return false
}

func (ed *editor) mark(t *Target, m Marker, cond string) error {
	f := ed.f
	if t.MetaAttr != nil && t.Meta == nil {
		return &RefusedError{Reason: fmt.Sprintf("meta is not written as an attribute set (meta = %s)", truncate(f.exprText(t.MetaAttr.Value), 40))}
	}
	if t.Meta == nil && len(t.Dotted) == 0 && f.bindingNamed(t.Drv, "meta") != NoTok {
		return &RefusedError{Reason: "meta is inherited"}
	}
	broken, err := f.brokenBinding(t)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, s := range m.Systems {
		want[s] = true
	}
	if len(want) == 0 {
		for _, s := range HydraSystems {
			want[s] = true
		}
	}
	covers := func(e Expr) bool {
		have, ok := f.platformSystems(e)
		if !ok {
			return false
		}
		for s := range want {
			if !have[s] && slices.Contains(HydraSystems, s) {
				return false
			}
			if !slices.Contains(HydraSystems, s) && !(len(have) == len(HydraSystems)) {
				return false
			}
		}
		return true
	}

	if broken != nil {
		if covers(broken.Value) {
			return ErrAlreadyBroken
		}
		if text, _, _, ok := f.commentAbove(broken.firstTok()); ok {
			if pc, ours := parseComment(text); ours {
				if len(pc.systems) == 0 || subset(want, pc.systems) {
					return ErrAlreadyBroken
				}
				return &RefusedError{Reason: "markbot's marker is already there for other systems; unmark it first"}
			}
		}
		if f.lowerThanOr(broken.Value) {
			return &RefusedError{Reason: fmt.Sprintf("the existing broken = %s cannot be combined without parentheses", truncate(f.exprText(broken.Value), 40))}
		}
		first := broken.firstTok()
		if !f.firstOnLine(int(f.Toks[first].Off)) {
			return &RefusedError{Reason: "the existing broken binding shares its line with other code"}
		}
		added, err := ed.ensureStdenv(t, cond)
		if err != nil {
			return err
		}
		ls := f.lineStart(int(f.Toks[first].Off))
		ed.insert(ls, f.indentOf(ls)+m.comment(true, added)+f.newlineAfter(ls))
		ed.insert(f.exprEnd(broken.Value), " || "+cond)
		return nil
	}

	added, err := ed.ensureStdenv(t, cond)
	if err != nil {
		return err
	}
	comment := m.comment(false, added)
	switch {
	case t.Meta != nil:
		meta := t.Meta
		open, close := f.Toks[meta.Open], f.Toks[meta.Close]
		if f.Line(int(open.Off)) == f.Line(int(close.Off)) {
			// Single-line meta: the comment goes above the meta line.
			metaTok := t.MetaAttr.firstTok()
			if !f.firstOnLine(int(f.Toks[metaTok].Off)) {
				return &RefusedError{Reason: "the one-line meta shares its line with other code"}
			}
			ls := f.lineStart(int(f.Toks[metaTok].Off))
			ed.insert(ls, f.indentOf(ls)+comment+f.newlineAfter(ls))
			after := int(open.End)
			if n := len(meta.Binds); n > 0 {
				after = int(f.Toks[meta.Binds[n-1].lastTok()].End)
			}
			ed.insert(after, " broken = "+cond+";")
			return nil
		}
		if len(meta.Binds) == 0 {
			return &RefusedError{Reason: "meta is an empty set spread over several lines"}
		}
		last := meta.Binds[len(meta.Binds)-1]
		ed.insertAfterBinding(last, comment, "broken = "+cond+";")
	case len(t.Dotted) > 0:
		ed.insertAfterBinding(t.Dotted[len(t.Dotted)-1], comment, "meta.broken = "+cond+";")
	default:
		if len(t.Drv.Binds) == 0 {
			return &RefusedError{Reason: "the derivation has no attributes"}
		}
		last := t.Drv.Binds[len(t.Drv.Binds)-1]
		if f.Line(int(f.Toks[t.Drv.Open].Off)) == f.Line(int(f.Toks[last.lastTok()].Off)) {
			return &RefusedError{Reason: "the derivation is written on one line and has no meta"}
		}
		ind := f.bindingIndent(t.Drv)
		inner := ind + f.indentUnit()
		p := f.endOfLineContent(last.lastTok())
		nl := f.newlineAfter(p)
		ed.insert(p, nl+ind+"meta = {"+nl+inner+comment+nl+inner+"broken = "+cond+";"+nl+ind+"};")
	}
	return nil
}

// bindingIndent is the indentation of a set's bindings.
func (f *File) bindingIndent(set *AttrSet) string {
	for _, b := range set.Binds {
		if off := int(f.Toks[b.firstTok()].Off); f.firstOnLine(off) {
			return f.indentOf(off)
		}
	}
	return f.indentOf(int(f.Toks[set.Open].Off)) + f.indentUnit()
}

// insertAfterBinding inserts the comment and binding as lines after b,
// indented like b.
func (ed *editor) insertAfterBinding(b Binding, comment, binding string) {
	f := ed.f
	ind := f.indentOf(int(f.Toks[b.firstTok()].Off))
	p := f.endOfLineContent(b.lastTok())
	nl := f.newlineAfter(p)
	ed.insert(p, nl+ind+comment+nl+ind+binding)
}

func truncate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// unmark takes markbot's marker out of t; ed.unmarked is what its comment
// said.
func (ed *editor) unmark(t *Target) error {
	f := ed.f
	broken, err := f.brokenBinding(t)
	if err != nil {
		return &HumanChangedError{Reason: err.Error()}
	}
	anyComment := func() error {
		if f.hasMarkbotComment(t.Drv) {
			return &HumanChangedError{Reason: "a markbot comment is there but not above a broken binding markbot wrote"}
		}
		return ErrNotMarked
	}
	if broken == nil {
		return anyComment()
	}
	singleLine := t.Meta != nil && slices.Contains(t.Meta.Binds, Binding(broken)) &&
		f.Line(int(f.Toks[t.Meta.Open].Off)) == f.Line(int(f.Toks[t.Meta.Close].Off))
	commentTok := broken.firstTok()
	if singleLine {
		commentTok = t.MetaAttr.firstTok()
	}
	text, commentStart, lineStart, ok := f.commentAbove(commentTok)
	if !ok {
		return anyComment()
	}
	pc, ok := parseComment(text)
	if !ok {
		return &HumanChangedError{Reason: fmt.Sprintf("markbot's comment was edited: %q", text)}
	}
	ed.unmarked = pc
	valueText := f.exprText(broken.Value)
	condOf := func(systems []string) string {
		c, _ := Condition(systems)
		return c
	}

	if pc.combined {
		cond := condOf(pc.systems)
		if !strings.HasSuffix(valueText, " || "+cond) || len(valueText) == len(" || "+cond) {
			return &HumanChangedError{Reason: fmt.Sprintf("broken = %s no longer ends in markbot's %q", truncate(valueText, 60), "|| "+cond)}
		}
		end := f.exprEnd(broken.Value)
		ed.remove(commentStart, lineStart)
		ed.remove(end-len(" || "+cond), end)
		return ed.removeStdenv(pc, cond)
	}
	cond := condOf(pc.systems)
	if cond != valueText {
		return &HumanChangedError{Reason: fmt.Sprintf("broken = %s is not the %s markbot wrote", truncate(valueText, 60), cond)}
	}
	switch {
	case singleLine:
		ed.remove(commentStart, lineStart)
		ed.remove(int(f.Toks[broken.firstTok()-1].End), int(f.Toks[broken.Semi].End))
	case t.Meta != nil && len(t.Meta.Binds) == 1 && t.MetaAttr.Value == Expr(t.Meta) && !f.hasOtherTrivia(t.Meta, commentStart) && f.isLastBinding(t.Drv, t.MetaAttr):
		// The whole meta set is markbot's: Mark created it.
		metaLine := f.lineStart(int(f.Toks[t.MetaAttr.firstTok()].Off))
		ed.remove(f.newlineBefore(metaLine), int(f.Toks[t.MetaAttr.Semi].End))
	default:
		ed.remove(f.newlineBefore(commentStart), int(f.Toks[broken.Semi].End))
	}
	return ed.removeStdenv(pc, cond)
}

func (f *File) isLastBinding(set *AttrSet, b Binding) bool {
	return len(set.Binds) > 0 && set.Binds[len(set.Binds)-1] == b
}

// hasOtherTrivia reports whether the meta set holds comments other than
// markbot's (which starts at commentStart).
func (f *File) hasOtherTrivia(set *AttrSet, commentStart int) bool {
	open := int(f.Toks[set.Open].End)
	close := int(f.Toks[set.Close].Off)
	before := string(f.Src[open:commentStart])
	if strings.TrimSpace(before) != "" {
		return true
	}
	// After the broken binding's semicolon, only whitespace up to '}'.
	lastSemi := int(f.Toks[set.Binds[len(set.Binds)-1].lastTok()].End)
	return strings.TrimSpace(string(f.Src[lastSemi:close])) != ""
}

// subset reports whether every key of want is in have.
func subset(want map[string]bool, have []string) bool {
	for s := range want {
		if !slices.Contains(have, s) {
			return false
		}
	}
	return true
}
