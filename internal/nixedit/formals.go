package nixedit

import "strings"

// ancestors returns the nodes enclosing target, outermost first, or nil
// when target is not in the tree.
func (f *File) ancestors(target Expr) []Expr {
	w := &ancestorWalker{target: target}
	w.expr(f.Root)
	return w.found
}

type ancestorWalker struct {
	target Expr
	stack  []Expr
	found  []Expr
}

func (w *ancestorWalker) tok(int32) {}
func (w *ancestorWalker) expr(e Expr) {
	if w.found != nil {
		return
	}
	if e == w.target {
		w.found = append([]Expr{}, w.stack...)
		return
	}
	w.stack = append(w.stack, e)
	e.walk(w)
	w.stack = w.stack[:len(w.stack)-1]
}

// binds reports whether the bindings define name.
func (f *File) bindsName(bs []Binding, name string) bool {
	for _, b := range bs {
		switch b := b.(type) {
		case *Attr:
			if p := f.staticPath(b.Path); len(p) >= 1 && p[0] == name {
				return true
			}
		case *Inherit:
			for _, n := range b.Names {
				if id, ok := n.(*Ident); ok && f.Text(id.Tok) == name {
					return true
				}
			}
		}
	}
	return false
}

// inScope reports whether name is bound lexically around set (by a
// lambda, let or rec set; `with` scopes are not counted).
func (f *File) inScope(set *AttrSet, name string) bool {
	chain := append(f.ancestors(set), set)
	for _, e := range chain {
		switch n := e.(type) {
		case *Lambda:
			if n.Arg != NoTok && f.Text(n.Arg) == name {
				return true
			}
			if n.Formals != nil {
				for _, it := range n.Formals.Items {
					if f.Text(it.Name) == name {
						return true
					}
				}
			}
		case *Let:
			if f.bindsName(n.Binds, name) {
				return true
			}
		case *AttrSet:
			if n.Rec != NoTok && f.bindsName(n.Binds, name) {
				return true
			}
		}
	}
	return false
}

// rootFormals returns the formals of the file's top-level function.
func (f *File) rootFormals() *Formals {
	if l, ok := f.Root.(*Lambda); ok {
		return l.Formals
	}
	return nil
}

// ensureStdenv adds stdenv to the file's formals when cond needs it and it
// is not in scope, as nixfmt lays the formals out (Pretty.hs, `instance
// Pretty Parameter`): formals on one line stay there while they are at most
// two arguments without defaults (canFlattenAttrs), so a third one puts
// them one a line, each with a trailing comma; formals one a line get
// stdenv on a line of its own. It says what it did.
func (ed *editor) ensureStdenv(t *Target, cond string) (notes, error) {
	f := ed.f
	if !strings.Contains(cond, "stdenv.") || f.inScope(t.Drv, "stdenv") {
		return notes{}, nil
	}
	fs := f.rootFormals()
	if fs == nil {
		return notes{}, &RefusedError{Reason: "the condition needs stdenv, which is not in scope, and the file is not a function of an attribute set to add it to"}
	}
	anchor := -1 // the formal to insert after
	for i, it := range fs.Items {
		if f.Text(it.Name) == "lib" {
			anchor = i
		}
	}
	added := notes{addedStdenv: true}
	if f.Line(int(f.Toks[fs.Open].Off)) != f.Line(int(f.Toks[fs.Close].Off)) {
		return added, ed.addStdenvLine(fs, anchor)
	}
	if !f.flattenable(fs) {
		return notes{}, nixfmtRefusal("its arguments are on one line, which nixfmt keeps only for at most two arguments without defaults or comments (Pretty.hs, canFlattenAttrs)")
	}
	if len(fs.Items) >= 2 {
		ed.expandFormals(fs, anchor)
		added.expandedFormal = true
		return added, nil
	}
	if anchor < 0 {
		// First formal, right after '{'.
		text := " stdenv"
		if len(fs.Items) > 0 || fs.Ellipsis != NoTok {
			text = " stdenv,"
		}
		ed.insert(int(f.Toks[fs.Open].End), text)
		return added, nil
	}
	it := fs.Items[anchor]
	if it.Comma != NoTok {
		ed.insert(int(f.Toks[it.Comma].End), " stdenv,")
	} else {
		ed.insert(f.formalEnd(it), ", stdenv")
	}
	return added, nil
}

// addStdenvLine adds `stdenv,` on a line of its own to formals written one
// a line: after the anchor's line, or first.
func (ed *editor) addStdenvLine(fs *Formals, anchor int) error {
	f := ed.f
	for _, it := range fs.Items {
		if it.Comma == NoTok {
			return nixfmtRefusal("its last argument has no trailing comma, which nixfmt writes when the arguments are one a line (Pretty.hs, moveParamsComments)")
		}
		if !f.firstOnLine(int(f.Toks[it.Name].Off)) {
			return nixfmtRefusal("its arguments are spread over lines but not one a line, as nixfmt writes them")
		}
	}
	ind := f.indentOf(int(f.Toks[fs.Open].Off)) + nixfmtIndent
	if anchor < 0 {
		if len(fs.Items) > 0 {
			ind = f.indentOf(int(f.Toks[fs.Items[0].Name].Off))
		} else if fs.Ellipsis != NoTok {
			ind = f.indentOf(int(f.Toks[fs.Ellipsis].Off))
		}
		if err := checkIndent(ind); err != nil {
			return err
		}
		ed.insert(f.endOfLineContent(fs.Open), "\n"+ind+"stdenv,")
		return nil
	}
	it := fs.Items[anchor]
	ind = f.indentOf(int(f.Toks[it.Name].Off))
	if err := checkIndent(ind); err != nil {
		return err
	}
	ed.insert(f.endOfLineContent(it.Comma), "\n"+ind+"stdenv,")
	return nil
}

// flattenable is nixfmt's canFlattenAttrs: formals it keeps on one line
// (braces on one line, at most two arguments, none with a default, an
// optional ellipsis, no comments).
func (f *File) flattenable(fs *Formals) bool {
	if len(fs.Items) > 2 {
		return false
	}
	for _, it := range fs.Items {
		if it.Q != NoTok {
			return false
		}
	}
	inner := string(f.Src[f.Toks[fs.Open].End:f.Toks[fs.Close].Off])
	return !strings.Contains(inner, "#") && !strings.Contains(inner, "/*")
}

// expandFormals rewrites one-line formals one a line, with stdenv after the
// anchor (or first), as nixfmt prints three arguments or more.
func (ed *editor) expandFormals(fs *Formals, anchor int) {
	f := ed.f
	ed.replace(int(f.Toks[fs.Open].End), int(f.Toks[fs.Close].Off), f.formalsOneALine(fs, anchor, true))
}

// formalsOneALine is the text nixfmt prints between the braces of formals
// one a line (each with a trailing comma, the ellipsis last without one),
// with stdenv after the anchor (or first) when withStdenv.
func (f *File) formalsOneALine(fs *Formals, anchor int, withStdenv bool) string {
	base := f.indentOf(int(f.Toks[fs.Open].Off))
	var b strings.Builder
	line := func(s string) { b.WriteString("\n" + base + nixfmtIndent + s) }
	if withStdenv && anchor < 0 {
		line("stdenv,")
	}
	for i, it := range fs.Items {
		line(string(f.Src[f.Toks[it.Name].Off:f.formalEnd(it)]) + ",")
		if withStdenv && i == anchor {
			line("stdenv,")
		}
	}
	if fs.Ellipsis != NoTok {
		line("...")
	}
	b.WriteString("\n" + base)
	return b.String()
}

// leadingCommas reports whether the formals put commas first on a line:
// { lib
// , stdenv
// }
func (f *File) leadingCommas(fs *Formals) bool {
	for _, it := range fs.Items {
		if it.Comma != NoTok && f.firstOnLine(int(f.Toks[it.Comma].Off)) {
			return true
		}
	}
	return false
}

func (f *File) formalEnd(it Formal) int {
	if it.Q != NoTok {
		return f.exprEnd(it.Default)
	}
	return int(f.Toks[it.Name].End)
}

// removeStdenv takes out the stdenv formal Mark added, if the marker says
// it did and nothing else in the file uses stdenv now.
func (ed *editor) removeStdenv(pc parsedComment, cond string) error {
	f := ed.f
	if !pc.addedStdenv {
		return nil
	}
	fs := f.rootFormals()
	if fs == nil {
		return nil
	}
	idx := -1
	for i, it := range fs.Items {
		if f.Text(it.Name) == "stdenv" {
			idx = i
		}
	}
	if idx < 0 {
		return nil
	}
	// Uses of stdenv that stay after the marker is removed.
	uses := 0
	for i, t := range f.Toks {
		if t.Kind == IDENT && f.Text(int32(i)) == "stdenv" && int32(i) != fs.Items[idx].Name {
			uses++
		}
	}
	if uses > strings.Count(cond, "stdenv.") {
		return nil // used elsewhere now: the formal stays
	}
	it := fs.Items[idx]
	nameTok := it.Name
	if f.Line(int(f.Toks[fs.Open].Off)) != f.Line(int(f.Toks[fs.Close].Off)) {
		inner := string(f.Src[f.Toks[fs.Open].End:f.Toks[fs.Close].Off])
		if pc.expandedFormal && inner == f.formalsOneALine(fs, -1, false) && len(fs.Items) == 3 {
			// Mark laid the formals out one a line: back on one line.
			var names []string
			for i, o := range fs.Items {
				if i != idx {
					names = append(names, string(f.Src[f.Toks[o.Name].Off:f.formalEnd(o)]))
				}
			}
			if fs.Ellipsis != NoTok {
				names = append(names, "...")
			}
			ed.replace(int(f.Toks[fs.Open].End), int(f.Toks[fs.Close].Off), " "+strings.Join(names, ", ")+" ")
			return nil
		}
		if it.Comma != NoTok && f.firstOnLine(int(f.Toks[nameTok].Off)) {
			// Its own line, as Mark adds it to formals one a line.
			ed.remove(f.newlineBefore(f.lineStart(int(f.Toks[nameTok].Off))), int(f.Toks[it.Comma].End))
			return nil
		}
	}
	prevComma := false
	if idx > 0 {
		pc := fs.Items[idx-1].Comma
		prevComma = pc != NoTok && f.firstOnLine(int(f.Toks[pc].Off))
	}
	if it.Comma != NoTok && !prevComma {
		// Trailing commas: remove from the token before it to its comma.
		ed.remove(int(f.Toks[nameTok-1].End), int(f.Toks[it.Comma].End))
		return nil
	}
	if idx == 0 {
		ed.remove(int(f.Toks[fs.Open].End), int(f.Toks[nameTok].End))
		return nil
	}
	// Leading commas or last formal: from the end of the formal before it.
	ed.remove(f.formalEnd(fs.Items[idx-1]), int(f.Toks[nameTok].End))
	return nil
}
