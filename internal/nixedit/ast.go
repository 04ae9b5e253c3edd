package nixedit

// The syntax tree. Every node refers to its tokens by index into
// File.Toks (NoTok when an optional token is absent) and lists its
// children in source order, so that walking a node visits every token it
// covers exactly once (see printer.go).

// Expr is any Nix expression.
type Expr interface {
	// walk calls tok for each of the node's own tokens and expr for each
	// child, interleaved in source order.
	walk(v visitor)
	// firstTok is the index of the node's first token.
	firstTok() int32
}

type visitor interface {
	tok(i int32)
	expr(e Expr)
}

// Ident is a variable: an identifier, `or` used as one, or __curPos.
type Ident struct{ Tok int32 }

// Literal is an integer, float, URI or <search path>.
type Literal struct{ Tok int32 }

// Str is a "…" or ”…” string. Parts are literal text (STR or INDSTR
// tokens) and interpolations.
type Str struct {
	Open  int32
	Parts []Part
	Close int32
}

// Path is a path literal, possibly interpolated: ./a/${b}.c
type Path struct {
	Parts []Part // the first part is the PATH or HPATH token
	End   int32  // the zero-width PATHEND token, or NoTok
}

// Part is one piece of a string or path: Tok for literal text, or an
// interpolation when Interp is non-nil.
type Part struct {
	Tok    int32
	Interp *Interp
}

// Interp is ${ expr }.
type Interp struct {
	Open  int32
	X     Expr
	Close int32
}

// Paren is ( expr ).
type Paren struct {
	Open  int32
	X     Expr
	Close int32
}

// List is [ elems ].
type List struct {
	Open  int32
	Elems []Expr
	Close int32
}

// AttrSet is { binds }, rec { binds } or the legacy let { binds }.
type AttrSet struct {
	Rec   int32 // `rec` or the legacy `let`, or NoTok
	Open  int32
	Binds []Binding
	Close int32
}

// Binding is an attribute or inherit binding in a set or let.
type Binding interface {
	walk(v visitor)
	firstTok() int32
	lastTok() int32
}

// AttrPath is a.b."c".${d}; Names[i] is an *Ident, *Str or *Interp. The
// dot before Names[i] is always the token just before its first token.
type AttrPath struct {
	Names []Expr
}

// Attr is path = value;
type Attr struct {
	Path   *AttrPath
	Assign int32
	Value  Expr
	Semi   int32
}

// Inherit is inherit a b; or inherit (from) a b;
type Inherit struct {
	Kw    int32
	From  *Paren // nil without (from)
	Names []Expr // *Ident, *Str or *Interp
	Semi  int32
}

// Select is x.a.b or x.a.b or default.
type Select struct {
	X       Expr
	Dot     int32
	Path    *AttrPath
	Or      int32 // NoTok without a default
	Default Expr
}

// Apply is function application f x. The legacy `f or` is an Apply whose
// Arg is an *Ident on the `or` keyword.
type Apply struct {
	Fn  Expr
	Arg Expr
}

// Unary is !x or -x.
type Unary struct {
	Op int32
	X  Expr
}

// Binary is x op y.
type Binary struct {
	X  Expr
	Op int32
	Y  Expr
}

// HasAttr is x ? a.b.
type HasAttr struct {
	X    Expr
	Q    int32
	Path *AttrPath
}

// If is if c then t else e.
type If struct {
	If, Then, Else int32
	Cond, T, E     Expr
}

// Lambda is arg: body, { formals }: body, or either with an @ pattern.
type Lambda struct {
	Arg      int32 // the identifier, or NoTok
	At       int32 // '@', or NoTok
	ArgFirst bool  // name @ { … } rather than { … } @ name
	Formals  *Formals
	Colon    int32
	Body     Expr
}

// Formals is { a, b ? default, ... }.
type Formals struct {
	Open     int32
	Items    []Formal
	Ellipsis int32 // or NoTok
	Close    int32
}

// Formal is one formal argument; Comma is the comma after it, if any.
type Formal struct {
	Name    int32
	Q       int32 // '?', or NoTok
	Default Expr
	Comma   int32
}

// Assert is assert cond; body.
type Assert struct {
	Kw   int32
	Cond Expr
	Semi int32
	Body Expr
}

// With is with scope; body.
type With struct {
	Kw    int32
	Scope Expr
	Semi  int32
	Body  Expr
}

// Let is let binds in body.
type Let struct {
	Kw    int32
	Binds []Binding
	In    int32
	Body  Expr
}

func optTok(v visitor, t int32) {
	if t != NoTok {
		v.tok(t)
	}
}

func (n *Ident) walk(v visitor)   { v.tok(n.Tok) }
func (n *Literal) walk(v visitor) { v.tok(n.Tok) }
func walkParts(v visitor, parts []Part) {
	for _, p := range parts {
		if p.Interp != nil {
			p.Interp.walk(v)
		} else {
			v.tok(p.Tok)
		}
	}
}
func (n *Str) walk(v visitor) {
	v.tok(n.Open)
	walkParts(v, n.Parts)
	v.tok(n.Close)
}
func (n *Path) walk(v visitor) {
	walkParts(v, n.Parts)
	optTok(v, n.End)
}
func (n *Interp) walk(v visitor) {
	v.tok(n.Open)
	v.expr(n.X)
	v.tok(n.Close)
}
func (n *Paren) walk(v visitor) {
	v.tok(n.Open)
	v.expr(n.X)
	v.tok(n.Close)
}
func (n *List) walk(v visitor) {
	v.tok(n.Open)
	for _, e := range n.Elems {
		v.expr(e)
	}
	v.tok(n.Close)
}
func walkBinds(v visitor, bs []Binding) {
	for _, b := range bs {
		b.walk(v)
	}
}
func (n *AttrSet) walk(v visitor) {
	optTok(v, n.Rec)
	v.tok(n.Open)
	walkBinds(v, n.Binds)
	v.tok(n.Close)
}
func (n *AttrPath) walk(v visitor) {
	for i, name := range n.Names {
		if i > 0 {
			v.tok(name.firstTok() - 1)
		}
		v.expr(name)
	}
}
func (n *Attr) walk(v visitor) {
	n.Path.walk(v)
	v.tok(n.Assign)
	v.expr(n.Value)
	v.tok(n.Semi)
}
func (n *Inherit) walk(v visitor) {
	v.tok(n.Kw)
	if n.From != nil {
		v.expr(n.From)
	}
	for _, name := range n.Names {
		v.expr(name)
	}
	v.tok(n.Semi)
}
func (n *Select) walk(v visitor) {
	v.expr(n.X)
	v.tok(n.Dot)
	n.Path.walk(v)
	if n.Or != NoTok {
		v.tok(n.Or)
		v.expr(n.Default)
	}
}
func (n *Apply) walk(v visitor) {
	v.expr(n.Fn)
	v.expr(n.Arg)
}
func (n *Unary) walk(v visitor) {
	v.tok(n.Op)
	v.expr(n.X)
}
func (n *Binary) walk(v visitor) {
	v.expr(n.X)
	v.tok(n.Op)
	v.expr(n.Y)
}
func (n *HasAttr) walk(v visitor) {
	v.expr(n.X)
	v.tok(n.Q)
	n.Path.walk(v)
}
func (n *If) walk(v visitor) {
	v.tok(n.If)
	v.expr(n.Cond)
	v.tok(n.Then)
	v.expr(n.T)
	v.tok(n.Else)
	v.expr(n.E)
}
func (n *Lambda) walk(v visitor) {
	switch {
	case n.Formals == nil:
		v.tok(n.Arg)
	case n.At == NoTok:
		n.Formals.walk(v)
	case n.ArgFirst:
		v.tok(n.Arg)
		v.tok(n.At)
		n.Formals.walk(v)
	default:
		n.Formals.walk(v)
		v.tok(n.At)
		v.tok(n.Arg)
	}
	v.tok(n.Colon)
	v.expr(n.Body)
}
func (n *Formals) walk(v visitor) {
	v.tok(n.Open)
	for _, f := range n.Items {
		v.tok(f.Name)
		if f.Q != NoTok {
			v.tok(f.Q)
			v.expr(f.Default)
		}
		optTok(v, f.Comma)
	}
	optTok(v, n.Ellipsis)
	v.tok(n.Close)
}
func (n *Assert) walk(v visitor) {
	v.tok(n.Kw)
	v.expr(n.Cond)
	v.tok(n.Semi)
	v.expr(n.Body)
}
func (n *With) walk(v visitor) {
	v.tok(n.Kw)
	v.expr(n.Scope)
	v.tok(n.Semi)
	v.expr(n.Body)
}
func (n *Let) walk(v visitor) {
	v.tok(n.Kw)
	walkBinds(v, n.Binds)
	v.tok(n.In)
	v.expr(n.Body)
}

func (n *Ident) firstTok() int32   { return n.Tok }
func (n *Literal) firstTok() int32 { return n.Tok }
func (n *Str) firstTok() int32     { return n.Open }
func (n *Path) firstTok() int32    { return n.Parts[0].Tok }
func (n *Interp) firstTok() int32  { return n.Open }
func (n *Paren) firstTok() int32   { return n.Open }
func (n *List) firstTok() int32    { return n.Open }
func (n *AttrSet) firstTok() int32 {
	if n.Rec != NoTok {
		return n.Rec
	}
	return n.Open
}
func (n *Attr) firstTok() int32    { return n.Path.Names[0].firstTok() }
func (n *Attr) lastTok() int32     { return n.Semi }
func (n *Inherit) firstTok() int32 { return n.Kw }
func (n *Inherit) lastTok() int32  { return n.Semi }
func (n *Select) firstTok() int32  { return n.X.firstTok() }
func (n *Apply) firstTok() int32   { return n.Fn.firstTok() }
func (n *Unary) firstTok() int32   { return n.Op }
func (n *Binary) firstTok() int32  { return n.X.firstTok() }
func (n *HasAttr) firstTok() int32 { return n.X.firstTok() }
func (n *If) firstTok() int32      { return n.If }
func (n *Lambda) firstTok() int32 {
	if n.Formals == nil || n.ArgFirst {
		return n.Arg
	}
	return n.Formals.Open
}
func (n *Assert) firstTok() int32 { return n.Kw }
func (n *With) firstTok() int32   { return n.Kw }
func (n *Let) firstTok() int32    { return n.Kw }
