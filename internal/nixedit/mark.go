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
	if t.refusal != "" {
		return &RefusedError{Reason: t.refusal}
	}
	if t.MetaAttr != nil && t.Meta == nil {
		if cond, ok := f.metaIf(t.MetaAttr.Value); ok {
			return &RefusedError{Reason: fmt.Sprintf("meta is chosen by an if (meta = if %s then …) and the position (the %s) is not a description in one of its sets, so markbot cannot tell which branch this package's meta is; mark it by hand", truncate(f.exprText(cond), 30), t.By)}
		}
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
		if why := f.notNixfmt(); why != "" {
			return nixfmtRefusal(why)
		}
		if f.lowerThanOr(broken.Value) {
			return &RefusedError{Reason: fmt.Sprintf("the existing broken = %s cannot be combined without parentheses", truncate(f.exprText(broken.Value), 40))}
		}
		first := broken.firstTok()
		if !f.firstOnLine(int(f.Toks[first].Off)) {
			return &RefusedError{Reason: "the existing broken binding shares its line with other code"}
		}
		ls := f.lineStart(int(f.Toks[first].Off))
		if err := checkIndent(f.indentOf(ls)); err != nil {
			return err
		}
		// The human's binding must be as nixfmt prints it, and so will
		// the combined one be: markbot rewrites its value's layout.
		ops := f.orOperands(broken.Value)
		have := string(f.Src[f.Toks[broken.Assign].End:f.Toks[broken.Semi].Off])
		now, err := f.nixfmtOr(broken, f.operandTexts(ops))
		if err != nil || have != now || (len(ops) == 1 && !strings.HasPrefix(now, " ") && !f.layoutModelled(broken.Value)) {
			return &RefusedError{Reason: fmt.Sprintf("the existing %s = %s is not laid out as nixfmt prints it (or in a layout markbot does not model), so markbot cannot write nixfmt's layout of the combined condition", f.bindingName(broken), truncate(f.exprText(broken.Value), 40))}
		}
		combined, err := f.nixfmtOr(broken, append(f.operandTexts(ops), strings.Split(cond, " || ")...))
		if err != nil {
			return err
		}
		added, err := ed.ensureStdenv(t, cond)
		if err != nil {
			return err
		}
		ed.insert(ls, f.indentOf(ls)+m.comment(true, added)+"\n")
		ed.replace(int(f.Toks[broken.Assign].End), int(f.Toks[broken.Semi].Off), combined)
		return nil
	}

	if why := f.notNixfmt(); why != "" {
		return nixfmtRefusal(why)
	}
	added, err := ed.ensureStdenv(t, cond)
	if err != nil {
		return err
	}
	switch {
	case t.Meta != nil:
		meta := t.Meta
		open, close := f.Toks[meta.Open], f.Toks[meta.Close]
		if f.Line(int(open.Off)) == f.Line(int(close.Off)) {
			return ed.expandMeta(t, m, cond, added)
		}
		if len(meta.Binds) == 0 {
			return &RefusedError{Reason: "meta is an empty set spread over several lines"}
		}
		last := meta.Binds[len(meta.Binds)-1]
		return ed.insertAfterBinding(last, m.comment(false, added), "broken", cond)
	case len(t.Dotted) > 0:
		return ed.insertAfterBinding(t.Dotted[len(t.Dotted)-1], m.comment(false, added), "meta.broken", cond)
	default:
		if len(t.Drv.Binds) == 0 {
			return &RefusedError{Reason: "the derivation has no attributes"}
		}
		last := t.Drv.Binds[len(t.Drv.Binds)-1]
		if f.Line(int(f.Toks[t.Drv.Open].Off)) == f.Line(int(f.Toks[last.lastTok()].Off)) {
			return &RefusedError{Reason: "the derivation is written on one line and has no meta"}
		}
		ind := f.bindingIndent(t.Drv)
		if err := checkIndent(ind); err != nil {
			return err
		}
		inner := ind + nixfmtIndent
		binding, err := bindingText("broken", cond, inner, "\n")
		if err != nil {
			return err
		}
		p := f.endOfLineContent(last.lastTok())
		ed.insert(p, "\n"+ind+"meta = {\n"+inner+m.comment(false, added)+"\n"+inner+binding+"\n"+ind+"};")
	}
	return nil
}

// expandMeta marks a meta set written on one line. nixfmt prints a set
// that is a binding's value with its bindings one a line (Pretty.hs,
// absorbRHS: absorbable terms are rendered by prettyTermWide, which
// expands a set with bindings), except a set holding a single inherit; so
// in nixfmt's output a one-line meta is `{ }` or `{ inherit …; }`, and
// with the marker it is spread over lines:
//
//	meta = {
//	  inherit …;
//	  # markbot: …, expanded meta
//	  broken = …;
//	};
func (ed *editor) expandMeta(t *Target, m Marker, cond string, added notes) error {
	f := ed.f
	meta := t.Meta
	inner := string(f.Src[f.Toks[meta.Open].End:f.Toks[meta.Close].Off])
	var inherit string
	switch {
	case len(meta.Binds) == 0 && inner == " ":
	case len(meta.Binds) == 1 && strings.HasPrefix(inner, " ") && strings.HasSuffix(inner, " "):
		in, ok := meta.Binds[0].(*Inherit)
		if !ok {
			return nixfmtRefusal("meta is a set with bindings written on one line, which nixfmt spreads one binding a line (Pretty.hs, absorbRHS and prettySet)")
		}
		inherit = string(f.Src[f.Toks[in.Kw].Off:f.Toks[in.Semi].End])
		if " "+inherit+" " != inner || strings.Contains(inherit, "#") || strings.Contains(inherit, "/*") {
			return nixfmtRefusal("meta's one-line set is not spaced as nixfmt prints it")
		}
	default:
		return nixfmtRefusal("meta is a set with bindings written on one line, which nixfmt spreads one binding a line (Pretty.hs, absorbRHS and prettySet)")
	}
	if !f.plainMetaValue(t) {
		return &RefusedError{Reason: "meta's one-line set is inside an expression (a // chain, a let, …) whose nixfmt layout markbot does not model once the set is spread over lines"}
	}
	metaTok := t.MetaAttr.firstTok()
	if !f.firstOnLine(int(f.Toks[metaTok].Off)) {
		return &RefusedError{Reason: "the one-line meta shares its line with other code"}
	}
	ind := f.indentOf(int(f.Toks[metaTok].Off))
	if err := checkIndent(ind); err != nil {
		return err
	}
	in := ind + nixfmtIndent
	added.expandedMeta = true
	binding, err := bindingText("broken", cond, in, "\n")
	if err != nil {
		return err
	}
	text := "\n"
	if inherit != "" {
		text += in + inherit + "\n"
	}
	text += in + m.comment(false, added) + "\n" + in + binding + "\n" + ind
	ed.replace(int(f.Toks[meta.Open].End), int(f.Toks[meta.Close].Off), text)
	return nil
}

// plainMetaValue reports whether meta's value is its set, or `with X;` of
// it: the shapes whose layout nixfmt gives as the set's own (Pretty.hs,
// absorbExpr: a with of an absorbable term is absorbed like the term).
func (f *File) plainMetaValue(t *Target) bool {
	switch v := t.MetaAttr.Value.(type) {
	case *AttrSet:
		return v == t.Meta
	case *With:
		return v.Body == Expr(t.Meta)
	}
	return false
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

// insertAfterBinding inserts the comment and the binding `name = cond;`
// as lines after b, indented like b, the binding laid out as nixfmt prints
// it.
func (ed *editor) insertAfterBinding(b Binding, comment, name, cond string) error {
	f := ed.f
	ind := f.indentOf(int(f.Toks[b.firstTok()].Off))
	if err := checkIndent(ind); err != nil {
		return err
	}
	binding, err := bindingText(name, cond, ind, "\n")
	if err != nil {
		return err
	}
	p := f.endOfLineContent(b.lastTok())
	ed.insert(p, "\n"+ind+comment+"\n"+ind+binding)
	return nil
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
