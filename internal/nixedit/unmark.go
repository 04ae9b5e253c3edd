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
