package mdtext

import (
	"strings"
	"testing"
	"unicode"

	"github.com/nixpkgs-markbot/markbot/internal/mdtext/mdtexttest"
)

// literalContexts are places markbot puts a Literal in its text.
var literalContexts = []struct{ before, after string }{
	{"", ""},
	{"sorry, I do not know the command ", ".\n\nMore text."},
	{"- ", " and more\n"},
	{"Still in it: ", ", " + "`b`" + "."},
	{"x", "y"},
	{"\n", "\n"},
}

// FuzzLiteral: whatever the text, GitHub renders a Literal of it, in any
// of markbot's contexts, as one code span showing the text (cleaned as
// documented) and nothing else: no mention, reference, link, image or
// HTML.
func FuzzLiteral(f *testing.F) {
	for _, s := range []string{
		"x`@NixOS/security`y", "@NixOS/security", "[a](https://evil.example)", "![i](https://evil.example/i.png)",
		"https://evil.example", "www.evil.example", "a@b.example", "<img src=x>", "<a href=x>y</a>", "#1 NixOS/nixpkgs#2",
		"```", "`` ` ``", "\n```\n@x\n```\n", "line\n\n@x", "&#64;user", "\\`@x", " ` ", "*a* _b_ ~~c~~", "| a | b |\n|---|---|",
		"\u202e@x", "\x00@x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lit := Literal(s)
		want := cleanForLiteral(s)
		for _, c := range literalContexts {
			doc := c.before + lit + c.after
			got, err := mdtexttest.Inspect(doc)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Mentions)+len(got.References)+len(got.Links)+len(got.Images)+len(got.HTML) > 0 {
				t.Fatalf("Literal(%q) in %q renders %+v", s, doc, got)
			}
			ownCode := strings.Count(c.before+c.after, "`") / 2
			if want == "" {
				if lit != "(empty)" || len(got.Code) != ownCode {
					t.Fatalf("Literal(%q) = %q, code %q", s, lit, got.Code)
				}
				continue
			}
			if len(got.Code) != ownCode+1 || !containsString(got.Code, want) {
				t.Fatalf("Literal(%q) in %q shows code %q, want %q", s, doc, got.Code, want)
			}
		}
	})
}

// cleanForLiteral is what Literal documents it shows of s ("" for
// nothing).
func cleanForLiteral(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' || unicode.IsControl(r):
			return ' '
		case unicode.Is(unicode.Cf, r):
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if r := []rune(s); len(r) > MaxLiteral {
		s = string(r[:MaxLiteral-1]) + "…"
	}
	if strings.TrimSpace(s) == "" {
		return ""
	}
	return s
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
