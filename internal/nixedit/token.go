// Package nixedit is markbot's lossless Nix rewriter: a lexer, parser,
// syntax tree and printer for the whole Nix language that give back every
// input byte for byte, plus the edits markbot makes to nixpkgs package files
// (locating a derivation's meta and inserting or removing its
// `broken` marker).
package nixedit

import "fmt"

// Kind is the kind of a token.
type Kind uint8

// Token kinds. The names follow Nix's own lexer (src/libexpr/lexer.l).
const (
	EOF Kind = iota
	IDENT
	INT
	FLOAT
	PATH      // a path or its first segment: ./a, a/b, ./a/ before ${
	HPATH     // a home path or its first segment: ~/a
	SPATH     // <nixpkgs/lib>
	URI       // https://example.org
	STR       // literal text inside "…" or a path
	INDSTR    // literal text inside ''…''
	PATHEND   // zero-width end of an interpolated path
	DQUOTE    // "
	INDOPEN   // '' (with the rest of its line when that is only spaces)
	INDCLOSE  // ''
	DOLLAR    // ${
	LBRACE    // {
	RBRACE    // }
	LBRACK    // [
	RBRACK    // ]
	LPAREN    // (
	RPAREN    // )
	SEMI      // ;
	COLON     // :
	COMMA     // ,
	AT        // @
	DOT       // .
	ELLIPSIS  // ...
	ASSIGN    // =
	QUESTION  // ?
	EQ        // ==
	NEQ       // !=
	LT        // <
	GT        // >
	LEQ       // <=
	GEQ       // >=
	AND       // &&
	OR        // ||
	IMPL      // ->
	UPDATE    // //
	CONCAT    // ++
	PLUS      // +
	MINUS     // -
	STAR      // *
	SLASH     // /
	NOT       // !
	PIPEFROM  // <|
	PIPEINTO  // |>
	IF        // if
	THEN      // then
	ELSE      // else
	ASSERT    // assert
	WITH      // with
	LET       // let
	IN        // in
	REC       // rec
	INHERIT   // inherit
	ORKW      // or
	numKinds_ // sentinel
)

var kindNames = [...]string{
	EOF: "end of file", IDENT: "identifier", INT: "integer", FLOAT: "float",
	PATH: "path", HPATH: "path", SPATH: "<path>", URI: "URI", STR: "string",
	INDSTR: "string", PATHEND: "end of path", DQUOTE: `'"'`, INDOPEN: `"''"`,
	INDCLOSE: `"''"`, DOLLAR: "'${'", LBRACE: "'{'", RBRACE: "'}'",
	LBRACK: "'['", RBRACK: "']'", LPAREN: "'('", RPAREN: "')'", SEMI: "';'",
	COLON: "':'", COMMA: "','", AT: "'@'", DOT: "'.'", ELLIPSIS: "'...'",
	ASSIGN: "'='", QUESTION: "'?'", EQ: "'=='", NEQ: "'!='", LT: "'<'",
	GT: "'>'", LEQ: "'<='", GEQ: "'>='", AND: "'&&'", OR: "'||'",
	IMPL: "'->'", UPDATE: "'//'", CONCAT: "'++'", PLUS: "'+'", MINUS: "'-'",
	STAR: "'*'", SLASH: "'/'", NOT: "'!'", PIPEFROM: "'<|'", PIPEINTO: "'|>'",
	IF: "'if'", THEN: "'then'", ELSE: "'else'", ASSERT: "'assert'",
	WITH: "'with'", LET: "'let'", IN: "'in'", REC: "'rec'",
	INHERIT: "'inherit'", ORKW: "'or'",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", k)
}

var keywords = map[string]Kind{
	"if": IF, "then": THEN, "else": ELSE, "assert": ASSERT, "with": WITH,
	"let": LET, "in": IN, "rec": REC, "inherit": INHERIT, "or": ORKW,
}

// Token is one token of a file: its text is Src[Off:End]. Tokens cover the
// file without gaps: a token's leading trivia (whitespace and comments) runs
// from the end of the token before it (or the start of the file) to Off, so
// printing the tokens in order gives the file back.
type Token struct {
	Kind Kind
	Off  int32 // start of the token's text
	End  int32 // end of the token's text
}

// NoTok marks an absent optional token in the syntax tree.
const NoTok = -1

// Position is a human-facing location: 1-based line and byte column.
type Position struct {
	Filename string
	Offset   int
	Line     int
	Column   int
}

func (p Position) String() string {
	name := p.Filename
	if name == "" {
		name = "<input>"
	}
	return fmt.Sprintf("%s:%d:%d", name, p.Line, p.Column)
}
