package nixedit

import (
	"fmt"
)

// Target is a derivation located in a file: the attribute set passed to
// mkDerivation (or a builder like it) and how its meta is written.
type Target struct {
	// Drv is the derivation's attribute set.
	Drv *AttrSet
	// MetaAttr is the `meta = …;` binding in Drv, or nil.
	MetaAttr *Attr
	// Meta is the literal attribute set that holds (or will hold) the
	// marker: the value of `meta =` once `with …;`, `let … in`,
	// parentheses and `… //` are looked through. Nil without a meta set.
	Meta *AttrSet
	// Dotted lists Drv's `meta.x = …;` bindings, when meta is written so.
	Dotted []*Attr
	// By says which attribute the position named: "description",
	// "version", "pname" or "name".
	By string
	// refusal, when set, is why Mark and Unmark refuse this derivation
	// (shapes.go): its meta is written in a shape markbot does not mark.
	refusal string
}

// positionKeys are the attributes nixpkgs takes meta.position from, best
// first.
var positionKeys = []string{"description", "version", "pname", "name"}

// Locate finds the derivation whose meta.position is the given line:
// nixpkgs takes it from meta.description, else version, else pname/name of
// the derivation's attributes. Only that derivation is ever touched, also in
// files that define several.
func (f *File) Locate(line int) (*Target, error) {
	if line < 1 || line > f.lines.numLines(len(f.Src)) {
		return nil, fmt.Errorf("%s: line %d is out of range (the file has %d lines)", f.Name, line, f.lines.numLines(len(f.Src)))
	}
	var found []*Target
	f.eachAttrSet(f.Root, func(set *AttrSet) {
		if t := f.targetAt(set, line); t != nil {
			found = append(found, t)
		}
	})
	if len(found) == 0 {
		return nil, fmt.Errorf("%s: line %d holds no meta.description, version, pname or name of a derivation (is the position stale?)", f.Name, line)
	}
	best := found[0]
	for _, t := range found[1:] {
		if keyRank(t.By) < keyRank(best.By) {
			best = t
		}
	}
	for _, t := range found {
		if t != best && t.By == best.By && t.Drv != best.Drv {
			return nil, &RefusedError{Reason: fmt.Sprintf("line %d holds the %s of more than one derivation", line, best.By)}
		}
	}
	return best, nil
}

func keyRank(k string) int {
	for i, p := range positionKeys {
		if p == k {
			return i
		}
	}
	return len(positionKeys)
}

// targetAt returns set as a target if one of its position attributes is
// on line.
func (f *File) targetAt(set *AttrSet, line int) *Target {
	t := &Target{Drv: set}
	by := ""
	var directDesc int32 = NoTok // a description binding on line directly in set
	consider := func(key string, tok int32) {
		if f.Line(int(f.Toks[tok].Off)) == line && (by == "" || keyRank(key) < keyRank(by)) {
			by = key
		}
	}
	for _, b := range set.Binds {
		switch b := b.(type) {
		case *Attr:
			if len(b.Path.Names) > 2 || !f.nameIn(b.Path.Names[0], "meta", "version", "pname", "name", "description") {
				continue // most bindings: decided without allocating
			}
			names := f.staticPath(b.Path)
			switch {
			case len(names) == 1 && names[0] == "meta":
				t.MetaAttr = b
				t.Meta = f.metaSet(b.Value, line)
				if t.Meta != nil {
					if tok := f.bindingNamed(t.Meta, "description"); tok != NoTok {
						consider("description", tok)
					}
				} else if tok, why := f.descriptionInside(b.Value, line); tok != NoTok {
					// A description there is this derivation's position,
					// in a meta markbot refuses to mark.
					consider("description", tok)
					t.refusal = why
				}
			case len(names) == 2 && names[0] == "meta":
				t.Dotted = append(t.Dotted, b)
				if names[1] == "description" {
					consider("description", b.firstTok())
				}
			case len(names) == 1 && (names[0] == "version" || names[0] == "pname" || names[0] == "name"):
				consider(names[0], b.firstTok())
			case len(names) == 1 && names[0] == "description" && f.Line(int(f.Toks[b.firstTok()].Off)) == line:
				directDesc = b.firstTok()
			}
		case *Inherit:
			for _, n := range b.Names {
				if id, ok := n.(*Ident); ok {
					switch name := f.Text(id.Tok); name {
					case "version", "pname", "name":
						consider(name, id.Tok)
					}
				}
			}
		}
	}
	if by == "" && directDesc == NoTok {
		return nil
	}
	if why := f.directFieldsRefusal(set, t); why != "" {
		// Meta's fields as the builder's direct arguments (cabal2nix):
		// the description is the position, and the derivation is refused.
		if directDesc != NoTok {
			consider("description", directDesc)
		}
		t.refusal = why
	}
	if by == "" {
		return nil
	}
	t.By = by
	return t
}

// metaSet returns the literal set in a meta value that holds the marker:
// through `with x;`, `let … in`, parentheses, `//` chains and
// lib.recursiveUpdate, the operand holding description on line (if any),
// else the last literal operand; through `if`, the only branch written as a
// set, when its description is on line (ifMetaBranch). Nil when there is
// none, or an if it cannot choose a branch of.
func (f *File) metaSet(e Expr, line int) *AttrSet {
	var sets []*AttrSet
	unsure := false
	var collect func(e Expr)
	collect = func(e Expr) {
		if a, b, ok := f.recursiveUpdateArgs(e); ok {
			collect(a)
			collect(b)
			return
		}
		switch n := e.(type) {
		case *If:
			// An if with no set in any branch adds nothing (as any
			// other non-set operand of a // chain).
			if br, sets, ok := f.ifMetaBranch(n, line); ok {
				collect(br)
			} else if sets > 0 {
				unsure = true
			}
		case *AttrSet:
			if n.Rec == NoTok || f.Toks[n.Rec].Kind == REC {
				sets = append(sets, n)
			}
		case *With:
			collect(n.Body)
		case *Let:
			collect(n.Body)
		case *Paren:
			collect(n.X)
		case *Binary:
			if f.Toks[n.Op].Kind == UPDATE {
				collect(n.X)
				collect(n.Y)
			}
		}
	}
	collect(e)
	if len(sets) == 0 || unsure {
		return nil
	}
	for _, s := range sets {
		if tok := f.bindingNamed(s, "description"); tok != NoTok && f.Line(int(f.Toks[tok].Off)) == line {
			return s
		}
	}
	return sets[len(sets)-1]
}

// bindingNamed returns the first token of the binding (or inherited name)
// called name directly in set, or NoTok.
func (f *File) bindingNamed(set *AttrSet, name string) int32 {
	for _, b := range set.Binds {
		switch b := b.(type) {
		case *Attr:
			if p := f.staticPath(b.Path); len(p) == 1 && p[0] == name {
				return b.firstTok()
			}
		case *Inherit:
			for _, n := range b.Names {
				if id, ok := n.(*Ident); ok && f.Text(id.Tok) == name {
					return id.Tok
				}
			}
		}
	}
	return NoTok
}

// staticPath returns the names of an attribute path; a dynamic name is "".
func (f *File) staticPath(ap *AttrPath) []string {
	names := make([]string, len(ap.Names))
	for i, n := range ap.Names {
		switch n := n.(type) {
		case *Ident:
			names[i] = f.Text(n.Tok)
		case *Str:
			names[i], _ = f.stringValue(n)
		}
	}
	return names
}

// eachAttrSet calls fn for every attribute set in the tree.
func (f *File) eachAttrSet(e Expr, fn func(*AttrSet)) {
	w := &setWalker{fn: fn}
	w.expr(e)
}

type setWalker struct{ fn func(*AttrSet) }

func (w *setWalker) tok(int32) {}
func (w *setWalker) expr(e Expr) {
	if s, ok := e.(*AttrSet); ok {
		w.fn(s)
	}
	e.walk(w)
}

// nameIn reports whether an attribute name is one of names; it allocates
// nothing for plain identifiers.
func (f *File) nameIn(e Expr, names ...string) bool {
	var text string
	switch n := e.(type) {
	case *Ident:
		t := f.Toks[n.Tok]
		for _, name := range names {
			if string(f.Src[t.Off:t.End]) == name {
				return true
			}
		}
		return false
	case *Str:
		text, _ = f.stringValue(n)
	default:
		return false
	}
	for _, name := range names {
		if text == name {
			return true
		}
	}
	return false
}
