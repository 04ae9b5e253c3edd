// Package mdtext renders text safely into GitHub-flavoured markdown: code
// spans and fences that no backtick in the text can close, table cells,
// and build-log lines cleaned of terminal escapes. Pull request bodies
// (internal/prs) and comparison reports (internal/compare) use it.
package mdtext

import (
	"regexp"
	"strings"
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
func CodeSpan(s string) string {
	fence := strings.Repeat("`", longestBacktickRun(s)+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
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
