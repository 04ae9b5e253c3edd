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
// is not in scope; it reports whether it did.
func (ed *editor) ensureStdenv(t *Target, cond string) (bool, error) {
	f := ed.f
	if !strings.Contains(cond, "stdenv.") || f.inScope(t.Drv, "stdenv") {
		return false, nil
	}
	fs := f.rootFormals()
	if fs == nil {
		return false, &RefusedError{Reason: "the condition needs stdenv, which is not in scope, and the file is not a function of an attribute set to add it to"}
	}
	anchor := -1 // the formal to insert after
	for i, it := range fs.Items {
		if f.Text(it.Name) == "lib" {
			anchor = i
		}
	}
	leading := f.leadingCommas(fs)
	if anchor < 0 && leading && len(fs.Items) > 0 {
		anchor = 0
	}
	switch {
	case anchor < 0:
		// First formal, right after '{'.
		open := int(f.Toks[fs.Open].End)
		text := " stdenv"
		if len(fs.Items) > 0 || fs.Ellipsis != NoTok {
			next := fs.Close
			if len(fs.Items) > 0 {
				next = fs.Items[0].Name
			} else if fs.Ellipsis != NoTok {
				next = fs.Ellipsis
			}
			ws := " "
			if f.Line(int(f.Toks[next].Off)) != f.Line(open) {
				ws = f.newlineAfter(open) + f.indentOf(int(f.Toks[next].Off))
			}
			text = ws + "stdenv,"
		}
		ed.insert(open, text)
	case leading:
		it := fs.Items[anchor]
		end := f.formalEnd(it)
		commaLine := f.indentOf(end)
		if it.Comma != NoTok {
			commaLine = f.indentOf(int(f.Toks[it.Comma].Off))
		}
		ed.insert(end, f.newlineAfter(end)+commaLine+", stdenv")
	default:
		it := fs.Items[anchor]
		ws := " "
		if f.Line(int(f.Toks[fs.Close].Off)) != f.Line(int(f.Toks[it.Name].Off)) && f.firstOnLine(int(f.Toks[it.Name].Off)) {
			ws = f.newlineAfter(int(f.Toks[it.Name].Off)) + f.indentOf(int(f.Toks[it.Name].Off))
		}
		if it.Comma != NoTok {
			ed.insert(int(f.Toks[it.Comma].End), ws+"stdenv,")
		} else {
			ed.insert(f.formalEnd(it), ","+ws+"stdenv")
		}
	}
	return true, nil
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
