package nixedit

// The parser allocates nodes from per-type slabs and builds child slices
// in shared scratch stacks copied out at their exact size: a 12 MB file
// has millions of nodes, and one allocation each would dominate the
// parser's time and memory.

type slab[T any] struct{ free []T }

func (s *slab[T]) alloc() *T {
	if len(s.free) == 0 {
		s.free = make([]T, 256)
	}
	x := &s.free[0]
	s.free = s.free[1:]
	return x
}

// sliceSlab hands out exact-size slices cut from larger chunks.
type sliceSlab[T any] struct{ free []T }

func (s *sliceSlab[T]) make(n int) []T {
	if n > 64 {
		return make([]T, n)
	}
	if len(s.free) < n {
		s.free = make([]T, 1024)
	}
	x := s.free[:n:n]
	s.free = s.free[n:]
	return x
}

type arena struct {
	idents   slab[Ident]
	literals slab[Literal]
	strs     slab[Str]
	attrs    slab[Attr]
	paths    slab[AttrPath]
	selects  slab[Select]
	applies  slab[Apply]
	binaries slab[Binary]
	sets     slab[AttrSet]
	parens   slab[Paren]
	lists    slab[List]
	interps  slab[Interp]

	exprSlices sliceSlab[Expr]
	bindSlices sliceSlab[Binding]
	partSlices sliceSlab[Part]

	exprStack []Expr
	bindStack []Binding
	partStack []Part
}

func (a *arena) ident(tok int32) *Ident {
	n := a.idents.alloc()
	n.Tok = tok
	return n
}

// popExprs copies the expressions pushed since mark into an exact-size
// slice and pops them.
func (a *arena) popExprs(mark int) []Expr {
	if len(a.exprStack) == mark {
		return nil
	}
	out := a.exprSlices.make(len(a.exprStack) - mark)
	copy(out, a.exprStack[mark:])
	clear(a.exprStack[mark:])
	a.exprStack = a.exprStack[:mark]
	return out
}

func (a *arena) popBinds(mark int) []Binding {
	if len(a.bindStack) == mark {
		return nil
	}
	out := a.bindSlices.make(len(a.bindStack) - mark)
	copy(out, a.bindStack[mark:])
	clear(a.bindStack[mark:])
	a.bindStack = a.bindStack[:mark]
	return out
}

func (a *arena) popParts(mark int) []Part {
	if len(a.partStack) == mark {
		return nil
	}
	out := a.partSlices.make(len(a.partStack) - mark)
	copy(out, a.partStack[mark:])
	clear(a.partStack[mark:])
	a.partStack = a.partStack[:mark]
	return out
}
