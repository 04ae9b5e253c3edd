package nixedit

import "fmt"

// checkSemantics reports the errors Nix raises while parsing that are not
// syntax: duplicate attributes (also through dotted paths and merged
// attribute sets), duplicate formal arguments, and dynamic attributes in
// inherit or let. Undefined variables are not checked (that needs scopes
// and `with`, and no rewrite of markbot's can introduce one it does not
// also bind).
func (f *File) checkSemantics() error {
	c := &checker{f: f, names: map[string]string{}}
	c.expr(f.Root)
	return c.err
}

type checker struct {
	f     *File
	err   error
	names map[string]string // interned attribute names
	nodes slab[attrNode]
}

func (c *checker) errorAt(tok int32, format string, args ...any) {
	if c.err == nil {
		c.err = &Error{Pos: c.f.Position(int(c.f.Toks[tok].Off)), Msg: fmt.Sprintf(format, args...)}
	}
}

// intern returns b as a string, allocating once per distinct name.
func (c *checker) intern(b []byte) string {
	if s, ok := c.names[string(b)]; ok {
		return s
	}
	s := string(b)
	c.names[s] = s
	return s
}

// tok and expr make the checker a visitor that descends into every node.
func (c *checker) tok(int32) {}

func (c *checker) expr(e Expr) {
	if c.err != nil || e == nil {
		return
	}
	switch n := e.(type) {
	case *AttrSet:
		c.binds(n.Binds, false)
	case *Let:
		c.binds(n.Binds, true)
	case *Lambda:
		if n.Formals != nil {
			c.formals(n)
		}
	}
	e.walk(c)
}

// formals reports a formal argument named twice, or named like the @
// argument. Short lists are searched; longer ones (more than indexAfter)
// go through a map, so a function of 100,000 arguments is checked in
// linear time.
func (c *checker) formals(n *Lambda) {
	items := n.Formals.Items
	name := func(i int) []byte { t := c.f.Toks[items[i].Name]; return c.f.Src[t.Off:t.End] }
	var arg []byte
	if n.Arg != NoTok {
		arg = c.f.Src[c.f.Toks[n.Arg].Off:c.f.Toks[n.Arg].End]
	}
	var seen map[string]bool
	if len(items) > indexAfter {
		seen = make(map[string]bool, len(items))
	}
	for i := range items {
		s := name(i)
		dup := arg != nil && string(s) == string(arg)
		if seen != nil {
			dup = dup || seen[string(s)]
			seen[string(s)] = true
		} else {
			for j := range i {
				if string(name(j)) == string(s) {
					dup = true
				}
			}
		}
		if dup {
			c.errorAt(items[i].Name, "duplicate formal function argument '%s'", s)
			return
		}
	}
}

// attrNode is one name in a set being checked: a leaf (value) or a set
// made of dotted paths or literal sets (rec or not, as Nix does for
// backwards compatibility), whose names are merged. Most sets are small:
// children are a slice, searched linearly, until there are more than
// indexAfter of them; then a map finds them too, so that a set of 100,000
// names (a literal set nested in a binding, `a.b1 = 1; a.b2 = 2; …`, or one
// long inherit) is checked in linear time.
type attrNode struct {
	value    Expr // nil for implicit sets made by dotted paths
	children []attrChild
	index    map[string]*attrNode
}

type attrChild struct {
	name string
	node *attrNode
}

const indexAfter = 16

func (n *attrNode) get(name string) *attrNode {
	if n.index != nil {
		return n.index[name]
	}
	for _, ch := range n.children {
		if ch.name == name {
			return ch.node
		}
	}
	return nil
}

// add adds a child the caller checked is not there yet.
func (n *attrNode) add(name string, child *attrNode) {
	n.children = append(n.children, attrChild{name, child})
	switch {
	case n.index != nil:
		n.index[name] = child
	case len(n.children) > indexAfter:
		n.index = make(map[string]*attrNode, 2*len(n.children))
		for _, ch := range n.children {
			n.index[ch.name] = ch.node
		}
	}
}

func (n *attrNode) isSet() bool {
	if n.value == nil {
		return true
	}
	_, ok := n.value.(*AttrSet)
	return ok
}

func (c *checker) binds(bs []Binding, isLet bool) {
	if len(bs) > 256 {
		c.bindsLarge(bs, isLet)
		return
	}
	root := &attrNode{children: make([]attrChild, 0, len(bs))}
	for _, b := range bs {
		c.addBinding(root, nil, b, isLet)
		if c.err != nil {
			return
		}
	}
}

// bindsLarge checks a big set (such as a package set with thousands of
// attributes) with a map for its top-level names.
func (c *checker) bindsLarge(bs []Binding, isLet bool) {
	top := make(map[string]*attrNode, len(bs))
	for _, b := range bs {
		var first Expr
		switch b := b.(type) {
		case *Attr:
			first = b.Path.Names[0]
		case *Inherit:
			for _, name := range b.Names {
				s, ok := c.staticName(name)
				if !ok {
					c.errorAt(name.firstTok(), "dynamic attributes not allowed in inherit")
					return
				}
				if top[s] != nil {
					c.errorAt(name.firstTok(), "attribute '%s' already defined", s)
					return
				}
				top[s] = &attrNode{value: name}
			}
			continue
		}
		s, ok := c.staticName(first)
		if !ok {
			if isLet {
				c.errorAt(first.firstTok(), "dynamic attributes not allowed in let")
			}
			continue
		}
		holder := &attrNode{}
		if existing := top[s]; existing != nil {
			holder.add(s, existing)
		}
		c.addBinding(holder, nil, b, isLet)
		if c.err != nil {
			return
		}
		top[s] = holder.get(s)
	}
}

// prefix is the chain of attribute paths leading to a nested set, for
// error messages only (rendered when an error is reported).
type prefix struct {
	parent *prefix
	names  []Expr
}

func (c *checker) render(p *prefix, names []Expr) string {
	s := c.pathText(names)
	for ; p != nil; p = p.parent {
		s = c.pathText(p.names) + "." + s
	}
	return s
}

func (c *checker) addBinding(node *attrNode, pre *prefix, b Binding, isLet bool) {
	switch b := b.(type) {
	case *Inherit:
		for _, name := range b.Names {
			s, ok := c.staticName(name)
			if !ok {
				c.errorAt(name.firstTok(), "dynamic attributes not allowed in inherit")
				return
			}
			if node.get(s) != nil {
				c.errorAt(name.firstTok(), "attribute '%s' already defined", c.render(pre, []Expr{name}))
				return
			}
			child := c.nodes.alloc()
			child.value = name
			node.add(s, child)
		}
	case *Attr:
		c.addPath(node, pre, b.Path.Names, b.Value, isLet)
	}
}

// addPath adds the binding names = value under node.
func (c *checker) addPath(node *attrNode, pre *prefix, names []Expr, value Expr, isLet bool) {
	for i, name := range names {
		s, ok := c.staticName(name)
		if !ok {
			if isLet && i == 0 {
				c.errorAt(name.firstTok(), "dynamic attributes not allowed in let")
			}
			return // dynamic names are only known at evaluation
		}
		last := i == len(names)-1
		existing := node.get(s)
		if existing == nil {
			child := c.nodes.alloc()
			if last {
				child.value = value
			}
			node.add(s, child)
			if !last {
				node = child
				continue
			}
			if set, ok := value.(*AttrSet); ok {
				c.mergeSet(child, &prefix{pre, names}, set)
			}
			return
		}
		if !existing.isSet() {
			c.errorAt(name.firstTok(), "attribute '%s' already defined", c.render(pre, names[:i+1]))
			return
		}
		if last {
			set, ok := value.(*AttrSet)
			if !ok {
				c.errorAt(name.firstTok(), "attribute '%s' already defined", c.render(pre, names[:i+1]))
				return
			}
			c.mergeSet(existing, &prefix{pre, names}, set)
			return
		}
		node = existing
	}
}

// mergeSet adds a literal set's bindings under node, as Nix merges
// `a.b = 1; a = { c = 2; };`.
func (c *checker) mergeSet(node *attrNode, pre *prefix, set *AttrSet) {
	for _, b := range set.Binds {
		c.addBinding(node, pre, b, false)
		if c.err != nil {
			return
		}
	}
}

// staticName returns an attribute name known without evaluation.
func (c *checker) staticName(e Expr) (string, bool) {
	switch n := e.(type) {
	case *Ident:
		t := c.f.Toks[n.Tok]
		return c.intern(c.f.Src[t.Off:t.End]), true
	case *Str:
		return c.f.stringValue(n)
	case *Interp:
		if s, ok := n.X.(*Str); ok {
			return c.f.stringValue(s)
		}
	}
	return "", false
}

func (c *checker) pathText(names []Expr) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += "."
		}
		name, _ := c.staticName(n)
		s += name
	}
	return s
}

// stringValue returns the value of a "…" string without interpolation.
func (f *File) stringValue(s *Str) (string, bool) {
	if len(s.Parts) == 0 {
		return "", true
	}
	var out []byte
	for _, p := range s.Parts {
		if p.Interp != nil {
			return "", false
		}
		t := f.Toks[p.Tok]
		raw := f.Src[t.Off:t.End]
		for i := 0; i < len(raw); i++ {
			ch := raw[i]
			if ch == '\\' && i+1 < len(raw) {
				i++
				switch raw[i] {
				case 'n':
					ch = '\n'
				case 'r':
					ch = '\r'
				case 't':
					ch = '\t'
				default:
					ch = raw[i]
				}
			}
			out = append(out, ch)
		}
	}
	return string(out), true
}
