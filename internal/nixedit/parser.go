package nixedit

import (
	"fmt"
	"strings"
)

// File is a parsed Nix file: its bytes, its tokens and its syntax tree.
type File struct {
	Name  string
	Src   []byte
	Toks  []Token
	Root  Expr
	lines lineTable
}

// maxDepth bounds the depth of the syntax tree: the parser's recursion,
// and the chains it builds in loops (`f a b c …`, `a + b + c …`, `x |> f |>
// g …`, each link a level deeper on the left). Deeper input is rejected with
// an error: every walk over the tree (printer, checks, Locate) recurses once
// per level, and a 20 MB `f a a a …` used to overflow the stack (a crash, not
// an error) in the first of them.
const maxDepth = 2000

// Parse parses src as a Nix expression. The filename appears in error
// messages, which have the form FILE:LINE:COL: message. It never panics.
//
// A file over MaxFileSize is refused (an error wrapping ErrTooLarge) before
// any work is done.
func Parse(filename string, src []byte) (*File, error) {
	if len(src) > MaxFileSize {
		return nil, &Error{Pos: Position{Filename: filename, Line: 1, Column: 1},
			Msg: fmt.Sprintf("the file is %d bytes, %v (%d MiB)", len(src), ErrTooLarge, MaxFileSize>>20), err: ErrTooLarge}
	}
	f := &File{Name: filename, Src: src, lines: newLineTable(src)}
	toks, err := lex(filename, src, &f.lines)
	if err != nil {
		return nil, err
	}
	f.Toks = toks
	p := &parser{f: f, toks: toks}
	root, err := p.parseFile()
	if err != nil {
		return nil, err
	}
	f.Root = root
	if err := f.checkSemantics(); err != nil {
		return nil, err
	}
	return f, nil
}

// Position returns the position of byte offset off.
func (f *File) Position(off int) Position { return f.lines.position(f.Name, int32(off)) }

// Line returns the 1-based line of byte offset off.
func (f *File) Line(off int) int { return f.lines.line(int32(off)) }

// triviaStart returns where token i's leading trivia starts.
func (f *File) triviaStart(i int32) int32 {
	if i == 0 {
		return 0
	}
	return f.Toks[i-1].End
}

// Text returns the text of token i.
func (f *File) Text(i int32) string {
	t := f.Toks[i]
	return string(f.Src[t.Off:t.End])
}

type parser struct {
	arena
	f     *File
	toks  []Token
	i     int32 // index of the next token
	depth int
}

// bail is the panic value the parser uses to unwind on the first error;
// Parse recovers it. No other panic is recovered.
type bail struct{ err *Error }

func (p *parser) parseFile() (root Expr, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bail)
			if !ok {
				panic(r)
			}
			err = b.err
		}
	}()
	root = p.expr()
	if p.peek() != EOF {
		p.unexpected("end of file")
	}
	return root, nil
}

func (p *parser) peek() Kind { return p.toks[p.i].Kind }
func (p *parser) peekAt(n int32) Kind {
	if j := p.i + n; j < int32(len(p.toks)) {
		return p.toks[j].Kind
	}
	return EOF
}

func (p *parser) next() int32 {
	i := p.i
	if p.toks[i].Kind != EOF {
		p.i++
	}
	return i
}

func (p *parser) errorAt(tok int32, msg string) {
	panic(bail{&Error{Pos: p.f.lines.position(p.f.Name, p.toks[tok].Off), Msg: msg}})
}

func (p *parser) unexpected(expecting string) {
	t := p.toks[p.i]
	what := t.Kind.String()
	switch t.Kind {
	case IDENT, INT, FLOAT, PATH, HPATH, SPATH, URI:
		what = t.Kind.String() + " " + describe(string(p.f.Src[t.Off:t.End]))
	}
	msg := "unexpected " + what
	if expecting != "" {
		msg += ", expecting " + expecting
	}
	p.errorAt(p.i, msg)
}

func (p *parser) expect(k Kind) int32 {
	if p.peek() != k {
		p.unexpected(k.String())
	}
	return p.next()
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.errorAt(p.i, fmt.Sprintf("expression nested too deeply (more than %d levels)", maxDepth))
	}
}
func (p *parser) leave() { p.depth-- }

// deeper counts one more link of a left-deep chain the caller is building
// (links counts them, for leaveChain).
func (p *parser) deeper(links *int) {
	*links++
	p.enter()
}

// leaveChain gives back the levels of a finished chain.
func (p *parser) leaveChain(links int) { p.depth -= links }

// expr parses expr_function: lambdas, assert, with, let … in, and below.
func (p *parser) expr() Expr {
	p.enter()
	defer p.leave()
	switch p.peek() {
	case IDENT:
		switch p.peekAt(1) {
		case COLON:
			arg := p.next()
			colon := p.next()
			return &Lambda{Arg: arg, At: NoTok, Colon: colon, Body: p.expr()}
		case AT:
			arg := p.next()
			at := p.next()
			if p.peek() != LBRACE {
				p.unexpected("'{'")
			}
			formals := p.formals()
			colon := p.expect(COLON)
			return &Lambda{Arg: arg, At: at, ArgFirst: true, Formals: formals, Colon: colon, Body: p.expr()}
		}
	case LBRACE:
		if p.isFormals() {
			formals := p.formals()
			l := &Lambda{Arg: NoTok, At: NoTok, Formals: formals}
			if p.peek() == AT {
				l.At = p.next()
				l.Arg = p.expect(IDENT)
			}
			l.Colon = p.expect(COLON)
			l.Body = p.expr()
			return l
		}
	case ASSERT:
		kw := p.next()
		cond := p.expr()
		semi := p.expect(SEMI)
		return &Assert{Kw: kw, Cond: cond, Semi: semi, Body: p.expr()}
	case WITH:
		kw := p.next()
		scope := p.expr()
		semi := p.expect(SEMI)
		return &With{Kw: kw, Scope: scope, Semi: semi, Body: p.expr()}
	case LET:
		if p.peekAt(1) != LBRACE {
			kw := p.next()
			binds := p.binds(IN)
			in := p.expect(IN)
			return &Let{Kw: kw, Binds: binds, In: in, Body: p.expr()}
		}
	}
	return p.exprIf()
}

// isFormals decides, at a '{', whether a formal argument set follows
// (as Nix's grammar does with its lookahead).
func (p *parser) isFormals() bool {
	switch p.peekAt(1) {
	case ELLIPSIS:
		return true
	case RBRACE:
		k := p.peekAt(2)
		return k == COLON || k == AT
	case IDENT:
		switch p.peekAt(2) {
		case COMMA, QUESTION, RBRACE:
			return true
		}
	}
	return false
}

func (p *parser) formals() *Formals {
	f := &Formals{Open: p.expect(LBRACE), Ellipsis: NoTok}
	for {
		switch p.peek() {
		case RBRACE:
			f.Close = p.next()
			return f
		case ELLIPSIS:
			f.Ellipsis = p.next()
			f.Close = p.expect(RBRACE)
			return f
		case IDENT:
			item := Formal{Name: p.next(), Q: NoTok, Comma: NoTok}
			if p.peek() == QUESTION {
				item.Q = p.next()
				item.Default = p.expr()
			}
			if p.peek() == COMMA {
				item.Comma = p.next()
				f.Items = append(f.Items, item)
				continue
			}
			f.Items = append(f.Items, item)
			f.Close = p.expect(RBRACE)
			return f
		default:
			p.unexpected("identifier, '...' or '}'")
		}
	}
}

func (p *parser) exprIf() Expr {
	if p.peek() == IF {
		n := &If{If: p.next()}
		n.Cond = p.expr()
		n.Then = p.expect(THEN)
		n.T = p.expr()
		n.Else = p.expect(ELSE)
		n.E = p.expr()
		return n
	}
	x := p.binary(precLowest)
	switch p.peek() {
	case PIPEINTO: // left-associative, not mixable with <|
		links := 0
		for p.peek() == PIPEINTO {
			p.deeper(&links)
			op := p.next()
			x = p.newBinary(x, op, p.binary(precLowest))
		}
		p.leaveChain(links)
		if p.peek() == PIPEFROM {
			p.unexpected("")
		}
	case PIPEFROM: // right-associative
		op := p.next()
		y := p.exprPipeFrom()
		x = p.newBinary(x, op, y)
	}
	return x
}

func (p *parser) exprPipeFrom() Expr {
	p.enter()
	defer p.leave()
	x := p.binary(precLowest)
	switch p.peek() {
	case PIPEFROM:
		op := p.next()
		return p.newBinary(x, op, p.exprPipeFrom())
	case PIPEINTO:
		p.unexpected("")
	}
	return x
}

// Operator precedence, lowest first, as declared in Nix's parser.y.
const (
	precLowest = iota + 1
	precImpl   // -> right
	precOr     // || left
	precAnd    // && left
	precEq     // == != nonassoc
	precCmp    // < > <= >= nonassoc
	precUpdate // // right
	precNot    // ! prefix
	precAdd    // + - left
	precMul    // * / left
	precConcat // ++ right
	precHas    // ? nonassoc
	precNeg    // unary - prefix
)

type assoc uint8

const (
	left assoc = iota
	right
	nonassoc
)

func binaryPrec(k Kind) (int, assoc) {
	switch k {
	case IMPL:
		return precImpl, right
	case OR:
		return precOr, left
	case AND:
		return precAnd, left
	case EQ, NEQ:
		return precEq, nonassoc
	case LT, GT, LEQ, GEQ:
		return precCmp, nonassoc
	case UPDATE:
		return precUpdate, right
	case PLUS, MINUS:
		return precAdd, left
	case STAR, SLASH:
		return precMul, left
	case CONCAT:
		return precConcat, right
	case QUESTION:
		return precHas, nonassoc
	}
	return 0, left
}

// binary parses expr_op with operators of precedence >= min.
func (p *parser) binary(min int) Expr {
	p.enter()
	defer p.leave()
	var x Expr
	switch p.peek() {
	case NOT:
		op := p.next()
		x = &Unary{Op: op, X: p.binary(precNot + 1)}
	case MINUS:
		op := p.next()
		x = &Unary{Op: op, X: p.binary(precNeg + 1)}
	default:
		x = p.app()
	}
	links := 0
	defer func() { p.leaveChain(links) }()
	for {
		prec, as := binaryPrec(p.peek())
		if prec == 0 || prec < min {
			return x
		}
		if as != right {
			// A right-associative operator's chain is deep on the right,
			// counted by the recursion below.
			p.deeper(&links)
		}
		op := p.next()
		if prec == precHas {
			x = &HasAttr{X: x, Q: op, Path: p.attrPath()}
		} else {
			next := prec + 1
			if as == right {
				next = prec
			}
			x = p.newBinary(x, op, p.binary(next))
		}
		if as == nonassoc {
			if p2, _ := binaryPrec(p.peek()); p2 == prec {
				p.unexpected("")
			}
		}
	}
}

// startsSimple reports whether the next token can start an expr_select
// (an argument of a function application or a list element).
func (p *parser) startsSimple() bool {
	switch p.peek() {
	case IDENT, INT, FLOAT, DQUOTE, INDOPEN, PATH, HPATH, SPATH, URI, LPAREN, LBRACE, LBRACK, REC:
		return true
	case LET:
		return p.peekAt(1) == LBRACE
	}
	return false
}

func (p *parser) app() Expr {
	x := p.selectExpr()
	links := 0
	defer func() { p.leaveChain(links) }()
	for p.startsSimple() {
		p.deeper(&links)
		a := p.applies.alloc()
		a.Fn = x
		a.Arg = p.selectExpr()
		x = a
	}
	return x
}

func (p *parser) selectExpr() Expr {
	x := p.simple()
	switch p.peek() {
	case DOT:
		s := p.selects.alloc()
		s.X, s.Dot, s.Or = x, p.next(), NoTok
		s.Path = p.attrPath()
		if p.peek() == ORKW {
			s.Or = p.next()
			p.enter()
			s.Default = p.selectExpr()
			p.leave()
		}
		return s
	case ORKW:
		// Legacy: `f or` applies f to the variable `or`.
		a := p.applies.alloc()
		a.Fn, a.Arg = x, p.ident(p.next())
		return a
	}
	return x
}

func (p *parser) simple() Expr {
	p.enter()
	defer p.leave()
	switch p.peek() {
	case IDENT:
		return p.ident(p.next())
	case INT, FLOAT, SPATH, URI:
		l := p.literals.alloc()
		l.Tok = p.next()
		return l
	case DQUOTE:
		return p.str(DQUOTE, STR, DQUOTE)
	case INDOPEN:
		return p.str(INDOPEN, INDSTR, INDCLOSE)
	case PATH, HPATH:
		return p.path()
	case LPAREN:
		return p.paren()
	case LBRACE:
		s := p.sets.alloc()
		s.Rec, s.Open = NoTok, p.next()
		s.Binds = p.binds(RBRACE)
		s.Close = p.expect(RBRACE)
		return s
	case REC, LET:
		s := p.sets.alloc()
		s.Rec = p.next()
		s.Open = p.expect(LBRACE)
		s.Binds = p.binds(RBRACE)
		s.Close = p.expect(RBRACE)
		return s
	case LBRACK:
		l := p.lists.alloc()
		l.Open = p.next()
		mark := len(p.exprStack)
		for p.startsSimple() {
			e := p.selectExpr()
			p.exprStack = append(p.exprStack, e)
		}
		l.Elems = p.popExprs(mark)
		l.Close = p.expect(RBRACK)
		return l
	}
	p.unexpected("")
	return nil
}

func (p *parser) paren() *Paren {
	n := p.parens.alloc()
	n.Open = p.expect(LPAREN)
	n.X = p.expr()
	n.Close = p.expect(RPAREN)
	return n
}

func (p *parser) interp() *Interp {
	n := p.interps.alloc()
	n.Open = p.expect(DOLLAR)
	n.X = p.expr()
	n.Close = p.expect(RBRACE)
	return n
}

func (p *parser) str(open, text, close Kind) *Str {
	s := p.strs.alloc()
	s.Open = p.expect(open)
	mark := len(p.partStack)
	for {
		switch p.peek() {
		case text:
			p.partStack = append(p.partStack, Part{Tok: p.next()})
		case DOLLAR:
			in := p.interp()
			p.partStack = append(p.partStack, Part{Tok: NoTok, Interp: in})
		default:
			s.Parts = p.popParts(mark)
			s.Close = p.expect(close)
			return s
		}
	}
}

func (p *parser) path() *Path {
	n := &Path{Parts: []Part{{Tok: p.next()}}, End: NoTok}
	for {
		switch p.peek() {
		case STR:
			n.Parts = append(n.Parts, Part{Tok: p.next()})
		case DOLLAR:
			n.Parts = append(n.Parts, Part{Tok: NoTok, Interp: p.interp()})
		case PATHEND:
			n.End = p.next()
			return n
		default:
			return n
		}
	}
}

// binds parses bindings until the token `end` (not consumed).
func (p *parser) binds(end Kind) []Binding {
	mark := len(p.bindStack)
	for p.peek() != end {
		switch p.peek() {
		case INHERIT:
			in := &Inherit{Kw: p.next()}
			if p.peek() == LPAREN {
				in.From = p.paren()
			}
			for p.peek() != SEMI {
				switch p.peek() {
				case IDENT, ORKW:
					in.Names = append(in.Names, p.ident(p.next()))
				case DQUOTE:
					in.Names = append(in.Names, p.str(DQUOTE, STR, DQUOTE))
				case DOLLAR:
					in.Names = append(in.Names, p.interp())
				default:
					p.unexpected("identifier or ';'")
				}
			}
			in.Semi = p.next()
			p.bindStack = append(p.bindStack, in)
		case IDENT, ORKW, DQUOTE, DOLLAR:
			a := p.attrs.alloc()
			a.Path = p.attrPath()
			a.Assign = p.expect(ASSIGN)
			a.Value = p.expr()
			a.Semi = p.expect(SEMI)
			p.bindStack = append(p.bindStack, a)
		default:
			p.unexpected(strings.TrimPrefix(end.String(), ""))
		}
	}
	return p.popBinds(mark)
}

func (p *parser) attrName() Expr {
	switch p.peek() {
	case IDENT, ORKW:
		return p.ident(p.next())
	case DQUOTE:
		return p.str(DQUOTE, STR, DQUOTE)
	case DOLLAR:
		return p.interp()
	}
	p.unexpected("attribute name")
	return nil
}

func (p *parser) attrPath() *AttrPath {
	ap := p.paths.alloc()
	first := p.attrName()
	if p.peek() != DOT {
		ap.Names = p.exprSlices.make(1)
		ap.Names[0] = first
		return ap
	}
	mark := len(p.exprStack)
	p.exprStack = append(p.exprStack, first)
	for p.peek() == DOT {
		p.next()
		name := p.attrName()
		p.exprStack = append(p.exprStack, name)
	}
	ap.Names = p.popExprs(mark)
	return ap
}

func (p *parser) newBinary(x Expr, op int32, y Expr) *Binary {
	b := p.binaries.alloc()
	b.X, b.Op, b.Y = x, op, y
	return b
}
