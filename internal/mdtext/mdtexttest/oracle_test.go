package mdtexttest

import (
	"slices"
	"testing"
)

// TestInspect: the oracle sees what GitHub would make of each text.
func TestInspect(t *testing.T) {
	for _, tc := range []struct {
		md                              string
		mentions, links, refs, img, raw int
	}{
		{md: "plain text"},
		{md: "@alice hi", mentions: 1},
		{md: "x`@markbot x`@NixOS/security`y`", mentions: 1},     // the unknown-command reply of issue 12
		{md: "`x`@NixOS/security`y`", mentions: 1},               // the same, markbot's backticks around it
		{md: "``x`@NixOS/security`y``"},                          // quoted so that no backtick closes it
		{md: "`@alice` and\n\n```\n@bob\n```\n"},                 // code: no mentions
		{md: "mail a@b.example", links: 1},                       // e-mail autolink
		{md: "x`a@b.example`y"},                                  // a code span, not an address
		{md: "see https://evil.example/x", links: 1},             // URL autolink
		{md: "see www.evil.example", links: 1},                   // www autolink
		{md: "[a](https://evil.example)", links: 1},              // inline link
		{md: "[a]\n\n[a]: https://evil.example", links: 1},       // reference link
		{md: "<https://evil.example>", links: 1},                 // CommonMark autolink
		{md: "![i](https://evil.example/i.png)", img: 1},         // image
		{md: "<img src=x>", raw: 1},                              // raw HTML
		{md: "a <b>c</b>", raw: 2},                               // raw inline HTML
		{md: "fixes #12 and NixOS/nixpkgs#3", refs: 2},           // references
		{md: "[@bob](https://x.example)", links: 1},              // in a link: not a mention
		{md: "&#64;carol", mentions: 1},                          // an entity is text once rendered
		{md: "\\@dave", mentions: 1},                             // escaping the @ does not help
		{md: "e@mail.example is not a mention", links: 1},        // an address
		{md: "| a | @erin |\n|---|---|\n| b | c |", mentions: 1}, // in a table
	} {
		f, err := Inspect(tc.md)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Mentions) != tc.mentions || len(f.Links) != tc.links || len(f.References) != tc.refs ||
			len(f.Images) != tc.img || len(f.HTML) != tc.raw {
			t.Errorf("Inspect(%q) = %+v", tc.md, f)
		}
	}
	f, _ := Inspect("x`@markbot x`@NixOS/security`y`")
	if !slices.Equal(f.Mentions, []string{"NixOS/security"}) || !slices.Equal(f.Code, []string{"@markbot x", "y"}) {
		t.Errorf("mentions %q, code %q", f.Mentions, f.Code)
	}
}
