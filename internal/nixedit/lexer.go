package nixedit

import (
	"fmt"
	"unicode/utf8"
)

// Lexer states, as in Nix's lexer.l. The bottom of the stack is stInitial;
// '{' and '${' push stDefault, '}' pops (never past stInitial).
type lexState uint8

const (
	stInitial lexState = iota
	stDefault
	stString
	stIndString
	stInPath
	stInPathSlash
)

// maxLexDepth bounds the lexer's state stack (nested braces, strings and
// interpolations); deeper input is rejected instead of exhausting memory.
const maxLexDepth = 10000

type lexer struct {
	src      []byte
	filename string
	toks     []Token
	stack    []lexState
	pos      int // current offset
	err      *Error
	lines    *lineTable
	// pathSpan and schemeSpan are the runs pathRun and schemeRun scanned
	// last (see span).
	pathSpan, schemeSpan span
}

// lex splits src into tokens. The last token is always EOF, whose leading
// trivia is the end of the file.
func lex(filename string, src []byte, lines *lineTable) ([]Token, error) {
	// Parse refuses files over MaxFileSize, far below int32 offsets' limit.
	lx := &lexer{src: src, filename: filename, lines: lines, stack: []lexState{stInitial}}
	lx.toks = make([]Token, 0, len(src)/6+16) // nixpkgs averages ~6.6 bytes a token
	lx.run()
	if lx.err != nil {
		return nil, lx.err
	}
	return lx.toks, nil
}

func (lx *lexer) errorf(off int, format string, args ...any) {
	if lx.err == nil {
		lx.err = &Error{Pos: lx.lines.position(lx.filename, int32(off)), Msg: fmt.Sprintf(format, args...)}
	}
}

func (lx *lexer) state() lexState { return lx.stack[len(lx.stack)-1] }

func (lx *lexer) push(s lexState) {
	if len(lx.stack) >= maxLexDepth {
		lx.errorf(lx.pos, "nesting too deep (more than %d levels)", maxLexDepth)
		return
	}
	lx.stack = append(lx.stack, s)
}

func (lx *lexer) pop() {
	if len(lx.stack) > 1 {
		lx.stack = lx.stack[:len(lx.stack)-1]
	}
}

func (lx *lexer) emit(k Kind, triviaStart, off, end int) {
	if triviaStart != lx.pos {
		// Tokens must cover the file without gaps (see Token).
		panic(fmt.Sprintf("nixedit: lexer: token at %d leaves a gap after %d", triviaStart, lx.pos))
	}
	lx.toks = append(lx.toks, Token{Kind: k, Off: int32(off), End: int32(end)})
	lx.pos = end
}

func (lx *lexer) run() {
	for lx.err == nil {
		switch lx.state() {
		case stString:
			lx.lexString()
		case stIndString:
			lx.lexIndString()
		case stInPath, stInPathSlash:
			lx.lexInPath()
		default:
			if lx.lexDefault() {
				return
			}
		}
	}
}

// skipTrivia returns the offset after whitespace and comments from i.
func (lx *lexer) skipTrivia(i int) int {
	src := lx.src
	for i < len(src) {
		switch c := src[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '#':
			for i < len(src) && src[i] != '\n' && src[i] != '\r' {
				i++
			}
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := indexStarSlash(src, i+2)
			if end < 0 {
				lx.errorf(i, "unterminated /* comment")
				return len(src)
			}
			i = end
		default:
			return i
		}
	}
	return i
}

// indexStarSlash returns the offset just after the first "*/" at or after i,
// or -1.
func indexStarSlash(src []byte, i int) int {
	for ; i+1 < len(src); i++ {
		if src[i] == '*' && src[i+1] == '/' {
			return i + 2
		}
	}
	return -1
}

func isIDStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}
func isIDChar(c byte) bool {
	return isIDStart(c) || c >= '0' && c <= '9' || c == '\'' || c == '-'
}
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isPathChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '.' || c == '_' || c == '-' || c == '+'
}
func isURIChar(c byte) bool {
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
		return true
	}
	switch c {
	case '%', '/', '?', ':', '@', '&', '=', '+', '$', ',', '-', '_', '.', '!', '~', '*', '\'':
		return true
	}
	return false
}
func isURISchemeChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'
}

// The match* functions return the length of the longest match of one of
// lexer.l's regular expressions at s[0:], or 0.

func matchID(s []byte) int {
	if len(s) == 0 || !isIDStart(s[0]) {
		return 0
	}
	i := 1
	for i < len(s) && isIDChar(s[i]) {
		i++
	}
	return i
}

func matchInt(s []byte) int {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return i
}

// FLOAT (([1-9][0-9]*\.[0-9]*)|(0?\.[0-9]+))([Ee][+-]?[0-9]+)?
func matchFloat(s []byte) int {
	i := 0
	switch {
	case len(s) > 0 && s[0] >= '1' && s[0] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i >= len(s) || s[i] != '.' {
			return 0
		}
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		if i < len(s) && s[i] == '0' {
			i++
		}
		if i >= len(s) || s[i] != '.' {
			return 0
		}
		i++
		j := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == j {
			return 0
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k > j {
			i = k
		}
	}
	return i
}

// Runs of path and URI scheme characters. '.', '-' and '+' are both, and
// so are letters and digits: in `a.b.b.b…` or `1+1+1…` every token starts a
// run reaching to the end of the chain, and scanning it again for each token
// (to see whether a path or URI follows) made lexing quadratic. Every
// position inside a maximal run ends where the run ends, so the lexer keeps
// the last long run it scanned and answers from it; a run is then scanned
// once, however many tokens it holds.

// span is a run src[start:end] whose end is the first byte not in it.
type span struct{ start, end int }

// pathRun returns the end of the run of path characters from i.
func (lx *lexer) pathRun(i int) int {
	return scanRun(lx.src, i, &lx.pathSpan, isPathChar)
}

// schemeRun returns the end of the run of URI scheme characters from i.
func (lx *lexer) schemeRun(i int) int {
	return scanRun(lx.src, i, &lx.schemeSpan, isURISchemeChar)
}

func scanRun(src []byte, i int, cache *span, in func(byte) bool) int {
	if i >= cache.start && i < cache.end {
		return cache.end
	}
	j := i
	for j < len(src) && in(src[j]) {
		j++
	}
	// Keep the run reaching farthest: a shorter one found behind it (the
	// start of an identifier holding a quote) is not worth the swap.
	if j >= cache.end {
		*cache = span{i, j}
	}
	return j
}

// pathSegments matches (\/{PATH_CHAR}+)+\/? from src[i:], returning the
// end offset and the number of segments.
func (lx *lexer) pathSegments(i int) (end, n int) {
	src := lx.src
	for i+1 < len(src) && src[i] == '/' && isPathChar(src[i+1]) {
		i = lx.pathRun(i + 1)
		n++
	}
	if n > 0 && i < len(src) && src[i] == '/' {
		i++
	}
	return i, n
}

// PATH {PATH_CHAR}*(\/{PATH_CHAR}+)+\/? at src[i:]; returns its length.
func (lx *lexer) matchPath(i int) int {
	end, n := lx.pathSegments(lx.pathRun(i))
	if n == 0 {
		return 0
	}
	return end - i
}

// PATH_SEG {PATH_CHAR}*\/ at src[i:]; returns its length (not counting a
// following ${).
func (lx *lexer) matchPathSeg(i int) int {
	j := lx.pathRun(i)
	if j < len(lx.src) && lx.src[j] == '/' {
		return j + 1 - i
	}
	return 0
}

// HPATH \~(\/{PATH_CHAR}+)+\/? at src[i:]; returns its length.
func (lx *lexer) matchHPath(i int) int {
	if i >= len(lx.src) || lx.src[i] != '~' {
		return 0
	}
	end, n := lx.pathSegments(i + 1)
	if n == 0 {
		return 0
	}
	return end - i
}

// SPATH \<{PATH_CHAR}+(\/{PATH_CHAR}+)*\>
func matchSPath(s []byte) int {
	if len(s) < 3 || s[0] != '<' || !isPathChar(s[1]) {
		return 0
	}
	i := 1
	for i < len(s) && isPathChar(s[i]) {
		i++
	}
	for i+1 < len(s) && s[i] == '/' && isPathChar(s[i+1]) {
		i += 2
		for i < len(s) && isPathChar(s[i]) {
			i++
		}
	}
	if i < len(s) && s[i] == '>' {
		return i + 1
	}
	return 0
}

// URI [a-zA-Z][a-zA-Z0-9\+\-\.]*\:[a-zA-Z0-9\%\/\?\:\@\&\=\+\$\,\-\_\.\!\~\*\']+
// at src[i:]; returns its length. A URI that matches is the longest
// candidate, so its characters after ':' are scanned once.
func (lx *lexer) matchURI(i int) int {
	src := lx.src
	if i >= len(src) || !(src[i] >= 'a' && src[i] <= 'z' || src[i] >= 'A' && src[i] <= 'Z') {
		return 0
	}
	j := lx.schemeRun(i) // src[i] is a scheme character too
	if j >= len(src) || src[j] != ':' {
		return 0
	}
	j++
	k := j
	for k < len(src) && isURIChar(src[k]) {
		k++
	}
	if k == j {
		return 0
	}
	return k - i
}

type fixedTok struct {
	text string
	kind Kind
}

// Operators and punctuation, longest first within each leading byte.
var fixedToks = [256][]fixedTok{
	'.':  {{"...", ELLIPSIS}, {".", DOT}},
	'=':  {{"==", EQ}, {"=", ASSIGN}},
	'!':  {{"!=", NEQ}, {"!", NOT}},
	'<':  {{"<=", LEQ}, {"<|", PIPEFROM}, {"<", LT}},
	'>':  {{">=", GEQ}, {">", GT}},
	'&':  {{"&&", AND}},
	'|':  {{"||", OR}, {"|>", PIPEINTO}},
	'-':  {{"->", IMPL}, {"-", MINUS}},
	'/':  {{"//", UPDATE}, {"/", SLASH}},
	'+':  {{"++", CONCAT}, {"+", PLUS}},
	'*':  {{"*", STAR}},
	'$':  {{"${", DOLLAR}},
	'{':  {{"{", LBRACE}},
	'}':  {{"}", RBRACE}},
	'[':  {{"[", LBRACK}},
	']':  {{"]", RBRACK}},
	'(':  {{"(", LPAREN}},
	')':  {{")", RPAREN}},
	';':  {{";", SEMI}},
	':':  {{":", COLON}},
	',':  {{",", COMMA}},
	'@':  {{"@", AT}},
	'?':  {{"?", QUESTION}},
	'"':  {{`"`, DQUOTE}},
	'\'': {{"''", INDOPEN}},
}

func hasPrefix(s []byte, p string) bool {
	return len(s) >= len(p) && string(s[:len(p)]) == p
}

// lexDefault lexes one token in the default state; it reports whether the
// end of the file was reached.
func (lx *lexer) lexDefault() bool {
	start := lx.pos
	i := lx.skipTrivia(start)
	if lx.err != nil {
		return true
	}
	if i >= len(lx.src) {
		lx.emit(EOF, start, i, i)
		return true
	}
	s := lx.src[i:]

	// Longest match over lexer.l's rules; on a tie the earlier rule wins,
	// which is the order of the candidates below.
	bestLen, bestKind := 0, EOF
	pathStart := false // the {PATH_SEG}\$\{ and {HPATH_START}\$\{ rules
	consider := func(n int, k Kind) {
		if n > bestLen {
			bestLen, bestKind = n, k
		}
	}
	c := s[0]
	if isIDStart(c) {
		// Fast path for identifiers and keywords: a path or URI can only
		// be longer when the run of path characters ends in '/' or the
		// run of scheme characters ends in ':'.
		n := matchID(s)
		r := lx.pathRun(i+n) - i
		sch := lx.schemeRun(i) - i
		if (r >= len(s) || s[r] != '/') && (sch >= len(s) || s[sch] != ':') {
			k := IDENT
			if n <= 7 {
				if kw, ok := keywords[string(s[:n])]; ok {
					k = kw
				}
			}
			lx.emit(k, start, i, i+n)
			return false
		}
	}
	for _, f := range fixedToks[c] {
		if hasPrefix(s, f.text) {
			consider(len(f.text), f.kind)
			break
		}
	}
	if bestKind != EOF && !isPathChar(c) && c != '~' && c != '<' && c != '/' {
		// An operator or punctuation that cannot start a longer token.
		goto found
	}
	if n := matchID(s); n > 0 {
		k := IDENT
		if kw, ok := keywords[string(s[:n])]; ok {
			k = kw
		}
		// Keywords and operators come before ID in lexer.l; an ID of the same
		// length as a fixed token cannot occur (operators are not letters).
		consider(n, k)
	}
	if isDigit(c) || c == '.' {
		consider(matchInt(s), INT)
		consider(matchFloat(s), FLOAT)
	}
	if n := lx.matchPathSeg(i); n > 0 && hasPrefix(s[n:], "${") && n+2 > bestLen {
		bestLen, bestKind, pathStart = n+2, PATH, true
	}
	if hasPrefix(s, "~/${") && 4 > bestLen {
		bestLen, bestKind, pathStart = 4, HPATH, true
	}
	if n := lx.matchPath(i); n > bestLen {
		bestLen, bestKind, pathStart = n, PATH, false
	}
	if n := lx.matchHPath(i); n > bestLen {
		bestLen, bestKind, pathStart = n, HPATH, false
	}
	consider(matchSPath(s), SPATH)
	consider(lx.matchURI(i), URI)
found:
	if bestKind == INDOPEN {
		// ''(\ *\n)? : the opening takes the rest of its line when that is
		// only spaces.
		j := 2
		for j < len(s) && s[j] == ' ' {
			j++
		}
		if j < len(s) && s[j] == '\n' {
			bestLen = j + 1
		}
	}

	if bestLen == 0 {
		r, _ := utf8.DecodeRune(s)
		if r >= 0x80 {
			lx.errorf(i, "unexpected character U+%04X (non-ASCII characters are only allowed in strings and comments)", r)
		} else {
			lx.errorf(i, "unexpected character %s", describe(string(s[:1])))
		}
		return true
	}

	switch bestKind {
	case PATH, HPATH:
		n := bestLen
		if pathStart {
			n -= 2 // the ${ is lexed next, in the path state
		}
		lx.emit(bestKind, start, i, i+n)
		if lx.src[i+n-1] == '/' {
			lx.push(stInPathSlash)
		} else {
			lx.push(stInPath)
		}
		return false
	case DOLLAR, LBRACE:
		lx.push(stDefault)
	case RBRACE:
		lx.pop()
	case DQUOTE:
		lx.push(stString)
	case INDOPEN:
		lx.push(stIndString)
	}
	lx.emit(bestKind, start, i, i+bestLen)
	return false
}

// lexString lexes inside "…".
func (lx *lexer) lexString() {
	src := lx.src
	i := lx.pos
	start := i
	for i < len(src) {
		c := src[i]
		if c == '"' {
			break
		}
		if c == '\\' {
			if i+1 >= len(src) {
				i = len(src)
				break
			}
			i += 2
			continue
		}
		if c == '$' {
			if i+1 >= len(src) {
				i = len(src)
				break
			}
			switch src[i+1] {
			case '{':
				goto done
			case '"':
				i++ // \$/\" : a '$' right before the closing quote
				goto done
			case '\\':
				if i+2 >= len(src) {
					i = len(src)
					goto done
				}
				i += 3
			default:
				i += 2
			}
			continue
		}
		i++
	}
done:
	if i >= len(src) {
		lx.errorf(start, "unterminated string")
		return
	}
	if i > start {
		lx.emit(STR, start, start, i)
	}
	switch {
	case src[i] == '"':
		lx.pop()
		lx.emit(DQUOTE, i, i, i+1)
	case hasPrefix(src[i:], "${"):
		lx.push(stDefault)
		lx.emit(DOLLAR, i, i, i+2)
	}
}

// lexIndString lexes inside ”…”.
func (lx *lexer) lexIndString() {
	src := lx.src
	i := lx.pos
	start := i
	for i < len(src) {
		c := src[i]
		if c == '$' {
			if i+1 < len(src) && src[i+1] == '{' {
				break
			}
			if i+1 < len(src) && src[i+1] != '\'' {
				i += 2 // \$[^\{\'] : "$$" keeps a following "{" literal
				continue
			}
			i++
			continue
		}
		if c == '\'' && i+1 < len(src) && src[i+1] == '\'' {
			if i+2 < len(src) && (src[i+2] == '$' || src[i+2] == '\'') {
				i += 3 // ''$ and ''' escapes
				continue
			}
			if i+2 < len(src) && src[i+2] == '\\' {
				if i+3 >= len(src) {
					i = len(src)
					break
				}
				i += 4 // ''\ANY
				continue
			}
			break // the closing ''
		}
		i++
	}
	if i >= len(src) {
		lx.errorf(start, "unterminated indented string (missing closing '')")
		return
	}
	if i > start {
		lx.emit(INDSTR, start, start, i)
	}
	if src[i] == '$' {
		lx.push(stDefault)
		lx.emit(DOLLAR, i, i, i+2)
		return
	}
	lx.pop()
	lx.emit(INDCLOSE, i, i, i+2)
}

// lexInPath lexes the continuation of a path after its first token.
func (lx *lexer) lexInPath() {
	src := lx.src
	i := lx.pos
	s := src[i:]
	if hasPrefix(s, "${") {
		lx.pop()
		lx.push(stInPath)
		lx.push(stDefault)
		lx.emit(DOLLAR, i, i, i+2)
		return
	}
	n := lx.matchPath(i)
	if m := lx.matchPathSeg(i); m > n {
		n = m
	}
	if n == 0 {
		n = lx.pathRun(i) - i
	}
	if n > 0 {
		lx.pop()
		if s[n-1] == '/' {
			lx.push(stInPathSlash)
		} else {
			lx.push(stInPath)
		}
		lx.emit(STR, i, i, i+n)
		return
	}
	if lx.state() == stInPathSlash {
		lx.errorf(i, "path has a trailing slash")
		return
	}
	lx.pop()
	lx.emit(PATHEND, i, i, i)
}
