package nixedit

import "fmt"

// checkSemantics reports the errors Nix raises while parsing that are not
// syntax: duplicate attributes (also through dotted paths and merged
// attribute sets), duplicate formal arguments, and dynamic attributes in
// inherit or let. Undefined variables are not checked (that needs scopes
// and `with`, and no rewrite of markbot's can introduce one it does not
// also bind).
func (f *File) checkSemantics() error {
	c := &checker{f: f}
	c.expr(f.Root)
	return c.err
}

type checker struct {
	f   *File
	err error
}

func (c *checker) errorAt(tok int32, format string, args ...any) {
	if c.err == nil {
		c.err = &Error{Pos: c.f.Position(int(c.f.Toks[tok].Off)), Msg: fmt.Sprintf(format, args...)}
	}
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
			seen := make(map[string]bool, len(n.Formals.Items)+1)
			if n.Arg != NoTok {
				seen[c.f.Text(n.Arg)] = true
			}
			for _, it := range n.Formals.Items {
				name := c.f.Text(it.Name)
				if seen[name] {
					c.errorAt(it.Name, "duplicate formal function argument '%s'", name)
					return
				}
				seen[name] = true
			}
		}
	}
	e.walk(c)
}

// attrNode is one name in a set being checked: a leaf (value) or a set
// made of dotted paths or literal sets (rec or not, as Nix does for
// backwards compatibility), whose names are merged.
type attrNode struct {
	tok      int32
	value    Expr // nil for implicit sets made by dotted paths
	children map[string]*attrNode
}

func (c *checker) binds(bs []Binding, isLet bool) {
	root := &attrNode{}
	for _, b := range bs {
		switch b := b.(type) {
		case *Inherit:
			for _, name := range b.Names {
				s, ok := c.staticName(name)
				if !ok {
					c.errorAt(name.firstTok(), "dynamic attributes not allowed in inherit")
					return
				}
				if _, dup := root.children[s]; dup {
					c.errorAt(name.firstTok(), "attribute '%s' already defined", s)
					return
				}
				root.set(s, &attrNode{tok: name.firstTok(), value: name})
			}
		case *Attr:
			c.addPath(root, "", b.Path.Names, b.Value, isLet)
		}
		if c.err != nil {
			return
		}
	}
}

func (n *attrNode) set(name string, child *attrNode) {
	if n.children == nil {
		n.children = make(map[string]*attrNode)
	}
	n.children[name] = child
}

// addPath adds the binding names = value under node.
func (c *checker) addPath(node *attrNode, prefix string, names []Expr, value Expr, isLet bool) {
	for i, name := range names {
		s, ok := c.staticName(name)
		if !ok {
			if isLet && i == 0 {
				c.errorAt(name.firstTok(), "dynamic attributes not allowed in let")
			}
			return // dynamic names are only known at evaluation
		}
		last := i == len(names)-1
		existing := node.children[s]
		if existing == nil {
			child := &attrNode{tok: name.firstTok()}
			if last {
				child.value = value
			}
			node.set(s, child)
			if !last {
				node = child
				continue
			}
			if set, ok := value.(*AttrSet); ok {
				c.mergeSet(child, prefix+c.pathText(names)+".", set)
			}
			return
		}
		if !existing.isSet() {
			c.errorAt(name.firstTok(), "attribute '%s' already defined", prefix+c.pathText(names[:i+1]))
			return
		}
		if last {
			set, ok := value.(*AttrSet)
			if !ok {
				c.errorAt(name.firstTok(), "attribute '%s' already defined", prefix+c.pathText(names[:i+1]))
				return
			}
			c.mergeSet(existing, prefix+c.pathText(names)+".", set)
			return
		}
		node = existing
	}
}

func (n *attrNode) isSet() bool {
	if n.value == nil {
		return true
	}
	_, ok := n.value.(*AttrSet)
	return ok
}

// mergeSet adds a literal set's bindings under node, as Nix merges
// `a.b = 1; a = { c = 2; };`.
func (c *checker) mergeSet(node *attrNode, prefix string, set *AttrSet) {
	for _, b := range set.Binds {
		switch b := b.(type) {
		case *Attr:
			c.addPath(node, prefix, b.Path.Names, b.Value, false)
		case *Inherit:
			for _, name := range b.Names {
				if s, ok := c.staticName(name); ok {
					if _, dup := node.children[s]; dup {
						c.errorAt(name.firstTok(), "attribute '%s' already defined", prefix+s)
						return
					}
					node.set(s, &attrNode{tok: name.firstTok(), value: name})
				}
			}
		}
		if c.err != nil {
			return
		}
	}
}

// staticName returns an attribute name known without evaluation.
func (c *checker) staticName(e Expr) (string, bool) {
	switch n := e.(type) {
	case *Ident:
		return c.f.Text(n.Tok), true
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
