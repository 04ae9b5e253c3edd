package nixedit

import (
	"strings"
)

// dump renders a tree as an S-expression, for tests of the parser's
// structure (precedence, associativity, lambdas).
func dump(f *File, e Expr) string {
	var b strings.Builder
	dumpTo(&b, f, e)
	return b.String()
}

func dumpTo(b *strings.Builder, f *File, e Expr) {
	w := func(s string) { b.WriteString(s) }
	sub := func(e Expr) { w(" "); dumpTo(b, f, e) }
	path := func(ap *AttrPath) {
		for i, n := range ap.Names {
			if i > 0 {
				w(".")
			}
			dumpTo(b, f, n)
		}
	}
	switch n := e.(type) {
	case *Ident:
		w(f.Text(n.Tok))
	case *Literal:
		w(f.Text(n.Tok))
	case *Str:
		w("(str")
		for _, p := range n.Parts {
			if p.Interp != nil {
				sub(p.Interp)
			} else {
				w(" " + strings.ReplaceAll(f.Text(p.Tok), " ", "·"))
			}
		}
		w(")")
	case *Path:
		w("(path")
		for _, p := range n.Parts {
			if p.Interp != nil {
				sub(p.Interp)
			} else {
				w(" " + f.Text(p.Tok))
			}
		}
		w(")")
	case *Interp:
		w("${")
		dumpTo(b, f, n.X)
		w("}")
	case *Paren:
		dumpTo(b, f, n.X)
	case *List:
		w("[")
		for _, x := range n.Elems {
			sub(x)
		}
		w(" ]")
	case *AttrSet:
		if n.Rec != NoTok {
			w(f.Text(n.Rec) + " ")
		}
		w("{")
		for _, bd := range n.Binds {
			switch bd := bd.(type) {
			case *Attr:
				w(" ")
				path(bd.Path)
				w("=")
				dumpTo(b, f, bd.Value)
				w(";")
			case *Inherit:
				w(" inherit")
				if bd.From != nil {
					w(" (")
					dumpTo(b, f, bd.From.X)
					w(")")
				}
				for _, x := range bd.Names {
					sub(x)
				}
				w(";")
			}
		}
		w(" }")
	case *Select:
		w("(. ")
		dumpTo(b, f, n.X)
		w(" ")
		path(n.Path)
		if n.Or != NoTok {
			w(" or")
			sub(n.Default)
		}
		w(")")
	case *Apply:
		w("(app")
		sub(n.Fn)
		sub(n.Arg)
		w(")")
	case *Unary:
		w("(" + f.Text(n.Op))
		sub(n.X)
		w(")")
	case *Binary:
		w("(" + f.Text(n.Op))
		sub(n.X)
		sub(n.Y)
		w(")")
	case *HasAttr:
		w("(? ")
		dumpTo(b, f, n.X)
		w(" ")
		path(n.Path)
		w(")")
	case *If:
		w("(if")
		sub(n.Cond)
		sub(n.T)
		sub(n.E)
		w(")")
	case *Lambda:
		w("(fn ")
		if n.Formals == nil {
			w(f.Text(n.Arg))
		} else {
			if n.Arg != NoTok {
				w(f.Text(n.Arg) + "@")
			}
			w("{")
			for i, it := range n.Formals.Items {
				if i > 0 {
					w(",")
				}
				w(f.Text(it.Name))
				if it.Q != NoTok {
					w("?")
					dumpTo(b, f, it.Default)
				}
			}
			if n.Formals.Ellipsis != NoTok {
				w(",...")
			}
			w("}")
		}
		sub(n.Body)
		w(")")
	case *Assert:
		w("(assert")
		sub(n.Cond)
		sub(n.Body)
		w(")")
	case *With:
		w("(with")
		sub(n.Scope)
		sub(n.Body)
		w(")")
	case *Let:
		w("(let {")
		for _, bd := range n.Binds {
			if a, ok := bd.(*Attr); ok {
				w(" ")
				path(a.Path)
				w("=")
				dumpTo(b, f, a.Value)
				w(";")
			}
		}
		w(" }")
		sub(n.Body)
		w(")")
	default:
		w("?")
	}
}
