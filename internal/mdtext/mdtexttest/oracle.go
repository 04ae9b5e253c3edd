// Package mdtexttest is a test-only oracle for what markdown becomes once
// GitHub renders it: which mentions, links, images and raw HTML a text
// holds. It renders with goldmark and its GitHub-flavoured extensions
// (tables, strikethrough, task lists and the autolinks GitHub adds to
// bare URLs, www. addresses and e-mail addresses; see md), raw HTML passed
// through, then applies what GitHub does on top of CommonMark to the
// rendered text nodes outside code, pre and links: @user and @org/team
// mentions, #123 and owner/repo#123 references. Only tests import it.
package mdtexttest

import (
	"bytes"
	"fmt"
	"html"
	"regexp"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
)

// Findings is what a rendered text holds besides plain text.
type Findings struct {
	// Mentions are the @user and @org/team mentions, without the @.
	Mentions []string
	// Links are the targets of links and autolinks; References the issue
	// and pull request references GitHub links (#123, owner/repo#123).
	Links      []string
	References []string
	// Images are their sources; HTML the raw HTML passed through.
	Images []string
	HTML   []string
	// Code is the text of each code element, as shown.
	Code []string
}

// md is goldmark with GFM, its autolinks held to the GFM spec's e-mail
// rule (goldmark's default accepts RFC 5322 local parts, with backticks,
// so that it would read "x`a@b.example`" as an address, where GitHub sees
// a code span), and raw HTML passed through as GitHub's sanitiser lets
// links and images through.
var md = goldmark.New(
	goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.TaskList,
		extension.NewLinkify(extension.WithLinkifyEmailRegexp(gfmEmailRE))),
	goldmark.WithRendererOptions(gmhtml.WithUnsafe()),
)

// gfmEmailRE is GFM's extended e-mail autolink: alphanumerics, ".", "-",
// "_" and "+", "@", then a domain with at least one ".".
var gfmEmailRE = regexp.MustCompile(`^[A-Za-z0-9._+-]+@[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+`)

// Liberal versions of GitHub's rules: anything GitHub takes for a mention
// or reference is found (maybe more).
var (
	mentionRE   = regexp.MustCompile(`(?:^|[^A-Za-z0-9_])@([A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)?)`)
	referenceRE = regexp.MustCompile(`(?:^|[^A-Za-z0-9_])((?:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)?#[0-9]+)`)
	tagRE       = regexp.MustCompile(`<(/?)([A-Za-z][A-Za-z0-9]*)[^>]*>`)
)

// Inspect renders markdown as GitHub does and reports what it holds.
func Inspect(markdown string) (Findings, error) {
	var f Findings
	src := []byte(markdown)
	doc := md.Parser().Parse(text.NewReader(src))
	err := ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Link:
			f.Links = append(f.Links, string(n.Destination))
		case *ast.AutoLink:
			f.Links = append(f.Links, string(n.URL(src)))
		case *ast.Image:
			f.Images = append(f.Images, string(n.Destination))
		case *ast.RawHTML:
			var b strings.Builder
			for i := 0; i < n.Segments.Len(); i++ {
				seg := n.Segments.At(i)
				b.Write(seg.Value(src))
			}
			f.HTML = append(f.HTML, b.String())
		case *ast.HTMLBlock:
			var b strings.Builder
			for i := 0; i < n.Lines().Len(); i++ {
				seg := n.Lines().At(i)
				b.Write(seg.Value(src))
			}
			f.HTML = append(f.HTML, b.String())
		}
		return ast.WalkContinue, nil
	})
	if err != nil {
		return f, err
	}
	var out bytes.Buffer
	if err := md.Renderer().Render(&out, src, doc); err != nil {
		return f, fmt.Errorf("rendering: %w", err)
	}
	f.textRules(out.String())
	return f, nil
}

// textRules applies GitHub's mention and reference rules to the text
// nodes of rendered HTML outside code, pre and a elements. Each text node
// is matched on its own: a node boundary counts as a non-word character.
// (With raw HTML in the source the split is approximate; raw HTML is
// reported on its own.)
func (f *Findings) textRules(rendered string) {
	skip := 0 // depth inside code, pre and a
	last := 0
	var code *strings.Builder // the code element being read
	scan := func(s string) {
		if code != nil {
			code.WriteString(html.UnescapeString(s))
		}
		if skip > 0 || s == "" {
			return
		}
		s = html.UnescapeString(s)
		for _, m := range mentionRE.FindAllStringSubmatch(s, -1) {
			f.Mentions = append(f.Mentions, m[1])
		}
		for _, m := range referenceRE.FindAllStringSubmatch(s, -1) {
			f.References = append(f.References, m[1])
		}
	}
	for _, loc := range tagRE.FindAllStringSubmatchIndex(rendered, -1) {
		scan(rendered[last:loc[0]])
		last = loc[1]
		closing := rendered[loc[2]:loc[3]] == "/"
		tag := strings.ToLower(rendered[loc[4]:loc[5]])
		switch {
		case tag == "code" && !closing:
			code = &strings.Builder{}
		case tag == "code" && code != nil:
			f.Code = append(f.Code, code.String())
			code = nil
		}
		switch tag {
		case "code", "pre", "a":
			if closing {
				skip = max(0, skip-1)
			} else {
				skip++
			}
		}
	}
	scan(rendered[last:])
}
