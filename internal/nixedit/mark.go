package nixedit

// Mark: inserting the marker into the located derivation's meta.

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

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

// subset reports whether every key of want is in have.
func subset(want map[string]bool, have []string) bool {
	for s := range want {
		if !slices.Contains(have, s) {
			return false
		}
	}
	return true
}
