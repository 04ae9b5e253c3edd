package nixedit

// Unmark: taking markbot's marker out again, only while it is as Mark
// wrote it.

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Unmark removes markbot's marker from the derivation whose meta.position
// is line, exactly as Mark wrote it. It returns ErrNotMarked when there is
// no marker, a *RefusedError when the file opts out or is generated (as
// Mark does), and a *HumanChangedError when a human has changed any of
// markbot's lines: the comment, its `broken = …;` line (a comment or code
// appended to it, another spacing or indentation, another value) or the
// ` || COND` it appended to a human's broken.
func Unmark(filename string, src []byte, line int) ([]byte, error) {
	out, _, err := unmarkLine(filename, src, line, nil)
	return out, err
}

// UnmarkExpecting is Unmark for a caller that knows what markbot wrote (its
// state database, the pull request): a marker whose comment names another
// build, date or systems than want's was changed by a human. Fields of want
// left empty are not compared (a marker for all systems is want.Systems =
// HydraSystems).
func UnmarkExpecting(filename string, src []byte, line int, want Marker) ([]byte, error) {
	out, _, err := unmarkLine(filename, src, line, &want)
	return out, err
}

// unmarkLine is Unmark, also returning the editor that did it (what the
// marker's comment said, and how lines moved).
func unmarkLine(filename string, src []byte, line int, want *Marker) ([]byte, *editor, error) {
	if want != nil {
		if err := want.validPart(); err != nil {
			return nil, nil, err
		}
	}
	f, err := Parse(filename, src)
	if err != nil {
		return nil, nil, err
	}
	if reason := f.optOut(); reason != "" {
		return nil, nil, &RefusedError{Reason: reason}
	}
	t, err := f.Locate(line)
	if err != nil {
		return nil, nil, err
	}
	ed := &editor{f: f}
	if err := ed.unmark(t); err != nil {
		return nil, nil, err
	}
	if want != nil {
		if err := ed.unmarked.expect(*want); err != nil {
			return nil, nil, err
		}
	}
	out := ed.apply()
	if _, err := Parse(filename, out); err != nil {
		return nil, nil, &HumanChangedError{Reason: fmt.Sprintf("removing the marker would not parse (%v)", err)}
	}
	return out, ed, nil
}

// validPart validates the fields of m that are set.
func (m Marker) validPart() error {
	if m.BuildURL != "" {
		if err := checkBuildURL(strings.TrimSuffix(m.BuildURL, "/")); err != nil {
			return err
		}
	}
	if m.Since != "" {
		if err := checkDate(m.Since); err != nil {
			return err
		}
	}
	for _, s := range m.Systems {
		if err := CheckSystem(s); err != nil {
			return err
		}
	}
	return nil
}

// expect compares what the comment says with what the caller wrote.
func (pc parsedComment) expect(want Marker) error {
	if u := strings.TrimSuffix(want.BuildURL, "/"); u != "" && u != pc.buildURL {
		return &HumanChangedError{Reason: fmt.Sprintf("the marker names build %s, markbot wrote %s", pc.buildURL, u)}
	}
	if want.Since != "" && want.Since != pc.since {
		return &HumanChangedError{Reason: fmt.Sprintf("the marker says since %s, markbot wrote %s", pc.since, want.Since)}
	}
	if len(want.Systems) > 0 {
		if got, w := pc.systems, normalizeSystems(want.Systems); !slices.Equal(got, w) {
			return &HumanChangedError{Reason: fmt.Sprintf("the marker is for %s, markbot wrote it for %s", systemsText(got), systemsText(w))}
		}
	}
	return nil
}

func systemsText(systems []string) string {
	if len(systems) == 0 {
		return "all systems"
	}
	return strings.Join(systems, ", ")
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

// unmark takes markbot's marker out of t; ed.unmarked is what its comment
// said. Every byte of markbot's lines must be as Mark writes them: what
// Unmark removes is compared with what Mark inserts, so a human's edit to
// them (or on them) makes the marker theirs rather than moving it.
func (ed *editor) unmark(t *Target) error {
	f := ed.f
	if t.refusal != "" {
		return &RefusedError{Reason: t.refusal}
	}
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
	// The comment line: indented as the line below it (Mark writes both
	// with one indentation), ending as the line below it ends.
	below := int(f.Toks[commentTok].Off)
	if ind := f.indentOf(commentStart); ind != f.indentOf(below) {
		return &HumanChangedError{Reason: "markbot's comment is not indented as the line below it"}
	}
	valueText := f.exprText(broken.Value)
	condOf := func(systems []string) string {
		c, _ := Condition(systems)
		return c
	}

	if pc.combined {
		// The line is a human's broken = X; markbot added the comment
		// above it and ` || COND` to X, laid out as nixfmt prints it.
		cond := condOf(pc.systems)
		if err := f.sameLineEnd(commentStart, lineStart); err != nil {
			return err
		}
		if restored, ok := f.uncombine(broken, cond); ok {
			ed.remove(commentStart, lineStart)
			ed.replace(int(f.Toks[broken.Assign].End), int(f.Toks[broken.Semi].Off), restored)
			return ed.removeStdenv(pc, cond)
		}
		// Before nixfmt's layout, Mark appended ` || COND` on X's line.
		or, isOr := broken.Value.(*Binary)
		if !isOr || f.Toks[or.Op].Kind != OR || !strings.HasSuffix(valueText, " || "+cond) || len(valueText) == len(" || "+cond) {
			return &HumanChangedError{Reason: fmt.Sprintf("broken = %s no longer ends in markbot's %q", truncate(valueText, 60), "|| "+cond)}
		}
		end := f.exprEnd(broken.Value)
		ed.remove(commentStart, lineStart)
		ed.remove(end-len(" || "+cond), end)
		return ed.removeStdenv(pc, cond)
	}
	cond := condOf(pc.systems)
	if cond != strings.Join(f.operandTexts(f.orOperands(broken.Value)), " || ") {
		return &HumanChangedError{Reason: fmt.Sprintf("broken = %s is not the %s markbot wrote", truncate(valueText, 60), cond)}
	}
	first, semiEnd := int(f.Toks[broken.firstTok()].Off), int(f.Toks[broken.Semi].End)
	name := "broken"
	if len(broken.Path.Names) == 2 {
		name = "meta.broken"
	}
	// What Mark writes at the binding's indentation; the old one-line
	// form too, for markers written before nixfmt's layout.
	binding, _ := bindingText(name, cond, f.indentOf(first), "\n")
	oneLine := name + " = " + cond + ";"
	switch {
	case pc.expandedMeta:
		// Mark spread `meta = { };` or `meta = { inherit …; };` over lines.
		return ed.unexpandMeta(t, broken, text, commentStart, binding)
	case singleLine:
		// The comment above the meta line, ` broken = COND;` before its '}'.
		if got := string(f.Src[f.Toks[broken.firstTok()-1].End:semiEnd]); got != " "+oneLine {
			return &HumanChangedError{Reason: fmt.Sprintf("markbot's %q was edited: %q", oneLine, got)}
		}
		if err := f.sameLineEnd(commentStart, lineStart); err != nil {
			return err
		}
		ed.remove(commentStart, lineStart)
		ed.remove(int(f.Toks[broken.firstTok()-1].End), semiEnd)
	case t.Meta != nil && len(t.Meta.Binds) == 1 && t.MetaAttr.Value == Expr(t.Meta) && !f.hasOtherTrivia(t.Meta, commentStart) && f.isLastBinding(t.Drv, t.MetaAttr):
		// The whole meta set is markbot's: Mark created it, as
		// NL IND meta = { NL INNER COMMENT NL INNER broken = COND; NL IND };
		metaLine := f.lineStart(int(f.Toks[t.MetaAttr.firstTok()].Off))
		from, to := f.newlineBefore(metaLine), int(f.Toks[t.MetaAttr.Semi].End)
		nl := string(f.Src[from:metaLine])
		ind, inner := f.indentOf(metaLine), f.indentOf(commentStart)
		head := nl + ind + "meta = {" + nl + inner + text + nl + inner
		tail := nl + ind + "};"
		got := string(f.Src[from:to])
		if (inner != ind+f.indentUnit() && inner != ind+nixfmtIndent) || (got != head+binding+tail && got != head+oneLine+tail) {
			return &HumanChangedError{Reason: "the meta set markbot added was edited"}
		}
		if err := f.nothingAfter(to, "the meta set markbot added"); err != nil {
			return err
		}
		ed.remove(from, to)
	default:
		// NL IND COMMENT NL IND broken = COND; after the line it follows.
		from := f.newlineBefore(commentStart)
		if got := string(f.Src[first:semiEnd]); got != binding && got != oneLine {
			return &HumanChangedError{Reason: fmt.Sprintf("markbot's %q was edited: %q", oneLine, got)}
		}
		if string(f.Src[from:commentStart]) != string(f.Src[f.newlineBefore(lineStart):lineStart]) {
			return &HumanChangedError{Reason: "markbot's lines do not end alike"}
		}
		if err := f.nothingAfter(semiEnd, "markbot's "+name+" = "+cond+";"); err != nil {
			return err
		}
		ed.remove(from, semiEnd)
	}
	return ed.removeStdenv(pc, cond)
}

// uncombine returns what Mark's `X || COND` binding was before COND was
// added, as nixfmt prints the binding with X alone: ok when the binding is
// exactly nixfmt's layout of `X || COND`.
func (f *File) uncombine(b *Attr, cond string) (string, bool) {
	ops := f.operandTexts(f.orOperands(b.Value))
	condOps := strings.Split(cond, " || ")
	n := len(ops) - len(condOps)
	if n < 1 || strings.Join(ops[n:], " || ") != cond {
		return "", false
	}
	have := string(f.Src[f.Toks[b.Assign].End:f.Toks[b.Semi].Off])
	if now, err := f.nixfmtOr(b, ops); err != nil || now != have {
		return "", false
	}
	before, err := f.nixfmtOr(b, ops[:n])
	return before, err == nil
}

// unexpandMeta takes out the marker Mark wrote when it spread a one-line
// meta over lines (expandMeta), putting the set back on one line.
func (ed *editor) unexpandMeta(t *Target, broken *Attr, comment string, commentStart int, binding string) error {
	f := ed.f
	meta := t.Meta
	if t.MetaAttr == nil || meta == nil || !f.plainMetaValue(t) {
		return &HumanChangedError{Reason: "the meta set markbot spread over lines is not where it was"}
	}
	ind := f.indentOf(int(f.Toks[t.MetaAttr.firstTok()].Off))
	in := ind + nixfmtIndent
	keep := ""
	switch len(meta.Binds) {
	case 1:
	case 2:
		inh, ok := meta.Binds[0].(*Inherit)
		if !ok {
			return &HumanChangedError{Reason: "the meta set markbot spread over lines was edited"}
		}
		keep = string(f.Src[f.Toks[inh.Kw].Off:f.Toks[inh.Semi].End])
	default:
		return &HumanChangedError{Reason: "bindings were added to the meta set markbot spread over lines"}
	}
	want := "\n"
	if keep != "" {
		want += in + keep + "\n"
	}
	want += in + comment + "\n" + in + binding + "\n" + ind
	if got := string(f.Src[f.Toks[meta.Open].End:f.Toks[meta.Close].Off]); got != want || meta.Binds[len(meta.Binds)-1] != Binding(broken) {
		return &HumanChangedError{Reason: "the meta set markbot spread over lines was edited"}
	}
	restored := " "
	if keep != "" {
		restored = " " + keep + " "
	}
	ed.replace(int(f.Toks[meta.Open].End), int(f.Toks[meta.Close].Off), restored)
	return nil
}

// sameLineEnd checks that the comment line (commentStart to lineStart, the
// start of the line below) ends as the line below does: Mark writes the
// comment with that line's ending.
func (f *File) sameLineEnd(commentStart, lineStart int) error {
	if string(f.Src[f.newlineBefore(lineStart):lineStart]) != f.newlineAfter(lineStart) {
		return &HumanChangedError{Reason: "markbot's comment does not end as the line below it"}
	}
	return nil
}

// nothingAfter checks the rest of the line after off, where markbot's
// binding (what) ends: Mark inserts its lines at the end of a line's
// content, so only what followed that content can follow them: the line's
// end, or the '}' closing the set. A comment or code there is a human's,
// and would move onto the line above with the marker gone.
func (f *File) nothingAfter(off int, what string) error {
	i := off
	for i < len(f.Src) && (f.Src[i] == ' ' || f.Src[i] == '\t') {
		i++
	}
	if i == len(f.Src) || f.Src[i] == '\n' || f.Src[i] == '\r' || f.Src[i] == '}' {
		return nil
	}
	rest := string(f.Src[i:f.endOfLine(i)])
	return &HumanChangedError{Reason: fmt.Sprintf("%q was added after %s on its line", truncate(rest, 40), what)}
}

// endOfLine returns the offset of the line ending after off (or the end of
// the file).
func (f *File) endOfLine(off int) int {
	for off < len(f.Src) && f.Src[off] != '\n' && f.Src[off] != '\r' {
		off++
	}
	return off
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
