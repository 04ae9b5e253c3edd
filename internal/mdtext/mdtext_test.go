package mdtext

import (
	"strings"
	"testing"
)

func TestCodeSpanAndFence(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hello", "`hello`"},
		{"a`b", "``a`b``"},
		{"`x", "`` `x ``"},
		{"a``b`", "``` a``b` ```"},
		{"a``b`c", "```a``b`c```"},
	}
	for _, tt := range tests {
		if got := CodeSpan(tt.in); got != tt.want {
			t.Errorf("CodeSpan(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Fence([]string{"x", "````y"}); got != "`````" {
		t.Errorf("Fence = %q", got)
	}
	if got := Fence(nil); got != "```" {
		t.Errorf("Fence(nil) = %q", got)
	}
	if got := Cell("a|b\nc"); got != `a\|b c` {
		t.Errorf("Cell = %q", got)
	}
}

func TestLogLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"\x1b[31merror\x1b[0m: x", "error: x"},
		{"a\tb\x07c\r", "a\tbc"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{strings.Repeat("x", 400), strings.Repeat("x", MaxLogLine-1) + "…"},
	}
	for _, tt := range tests {
		if got := LogLine(tt.in); got != tt.want {
			t.Errorf("LogLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLiteral(t *testing.T) {
	tests := []struct{ in, want string }{
		{"hello", "`hello`"},
		{"x`@NixOS/security`y", "``x`@NixOS/security`y``"},
		{"`", "`` ` ``"},
		{" a ", "`  a  `"},
		{"a\nb\r\nc", "`a b  c`"},
		{"evil\u202egnp.exe", "`evilgnp.exe`"},
		{"", "(empty)"},
		{" \n ", "(empty)"},
		{"bad \xff", "`bad \uFFFD`"},
		{strings.Repeat("x", 300), "`" + strings.Repeat("x", MaxLiteral-1) + "…`"},
	}
	for _, tt := range tests {
		if got := Literal(tt.in); got != tt.want {
			t.Errorf("Literal(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
