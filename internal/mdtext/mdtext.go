// Package mdtext renders text safely into GitHub-flavoured markdown: code
// spans and fences that no backtick in the text can close, table cells,
// build-log lines cleaned of terminal escapes, and Literal, the one way
// markbot repeats text it did not write (a commenter's command, an
// attribute from a pull request's body): shown as written, never as a
// mention, link, image, HTML or formatting. Pull request bodies
// (internal/prs), comparison reports (internal/compare) and the App's
// replies (internal/app) use it.
package mdtext

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLogLine caps one log line, in runes.
const MaxLogLine = 300

var backticks = regexp.MustCompile("`+")

// longestBacktickRun is the length of the longest run of backticks in s.
func longestBacktickRun(s string) int {
	n := 0
	for _, m := range backticks.FindAllString(s, -1) {
		n = max(n, len(m))
	}
	return n
}

// Cell escapes a table cell's pipes and newlines.
func Cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}

// CodeSpan renders s as inline code, whatever backticks it holds.
func CodeSpan(s string) string { return codeSpan(s, false) }

// codeSpan pads s with a space on both sides when it starts or ends with a
// backtick (which would otherwise join the fence), and, with exact, also
// when it both starts and ends with a space (which CommonMark strips once
// from each side), so that the span shows s exactly.
func codeSpan(s string, exact bool) string {
	fence := strings.Repeat("`", longestBacktickRun(s)+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") ||
		(exact && strings.HasPrefix(s, " ") && strings.HasSuffix(s, " ")) {
		s = " " + s + " "
	}
	return fence + s + fence
}

// Fence returns a code fence longer than any backtick run in lines.
func Fence(lines []string) string {
	n := 3
	for _, l := range lines {
		n = max(n, longestBacktickRun(l)+1)
	}
	return strings.Repeat("`", n)
}

// MaxLiteral caps the text Literal shows, in runes.
const MaxLiteral = 200

// Literal renders untrusted text so that GitHub shows it as written and
// nothing else: a code span (no mention, team mention, issue reference,
// link, autolink, image, HTML or emphasis is recognised inside one) that
// no backtick in the text can close. Line breaks and other control
// characters become spaces, so the span stays on one line (a line break
// could start a block, a heading or a list, that ends it); bidirectional
// overrides and other invisible format characters are dropped, so what is
// shown is what was sent; invalid UTF-8 becomes U+FFFD. At most MaxLiteral
// runes are shown, then "…". Use it inline, not in a table cell (where
// "|" splits cells even inside code: use Cell there).
//
// A span cannot start a fenced code block even at the start of a line:
// its closing backticks are on the same line, and a fence's info string
// may not hold backticks.
func Literal(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' || unicode.IsControl(r):
			return ' '
		case unicode.Is(unicode.Cf, r): // bidi overrides, zero-width joiners, soft hyphens
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if utf8.RuneCountInString(s) > MaxLiteral {
		s = string([]rune(s)[:MaxLiteral-1]) + "…"
	}
	if strings.TrimSpace(s) == "" {
		// An empty or blank span is not a span ("``" is text): show the
		// nothing it is.
		return "(empty)"
	}
	return codeSpan(s, true)
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]`)

// LogLine makes a log line safe and short: terminal escapes and control
// characters (but tabs) removed, invalid UTF-8 replaced, at most
// MaxLogLine runes.
func LogLine(l string) string {
	l = ansi.ReplaceAllString(strings.ToValidUTF8(l, "\uFFFD"), "")
	l = strings.Map(func(r rune) rune {
		if r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, l)
	if utf8.RuneCountInString(l) > MaxLogLine {
		l = string([]rune(l)[:MaxLogLine-1]) + "…"
	}
	return l
}
