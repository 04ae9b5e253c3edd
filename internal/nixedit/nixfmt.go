package nixedit

// nixfmt's layout: what NixOS/nixfmt (the RFC 166 formatter nixpkgs CI
// checks every changed file with) prints for each line markbot writes, and
// the signs that a file is not nixfmt's output. The rules and the nixfmt
// sources they come from are in docs/nixfmt.md.

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// nixfmtWidth is nixfmt's line width: its default (main/Main.hs,
// defaultWidth = 100), which nixpkgs uses. It is a soft limit counted
// without the line's leading indentation (src/Nixfmt/Predoc.hs: the
// layout's column "cc" is "within the current line, *not including
// indentation*"; standard.md, "Line length").
const nixfmtWidth = 100

// nixfmtIndent is one level of nixfmt's indentation (standard.md,
// "Indentation": two spaces).
const nixfmtIndent = "  "

// textWidth is how nixfmt measures text: in characters
// (Predoc.hs: textWidth = Text.length).
func textWidth(s string) int { return utf8.RuneCountInString(s) }

// orLayout returns what nixfmt prints for the binding
// `name = op1 || op2 || …;` between the `=` and the `;`, the binding's line
// indented by ind, each operand a one-line text. The binding is a group
// (Pretty.hs, `instance Pretty Binder`) whose value is rendered by
// absorbRHS's last case (`nest $ line <> group expr`) and the operator chain
// by prettyOp, which flattens a chain of one operator and puts `line`
// before each operator:
//
//   - the whole binding on one line when it fits: ` op1 || op2`;
//   - else the value on the next line, one level deeper, when it fits
//     there with its `;`;
//   - else one operand a line, each but the first after `|| `.
//
// ok is false when nixfmt would break inside an operand (one does not fit
// on its line, or spans lines), which markbot does not model.
func orLayout(name string, ops []string, ind, nl string) (string, bool) {
	return orLayoutWidth(name, ops, ind, nl, nixfmtWidth)
}

func orLayoutWidth(name string, ops []string, ind, nl string, width int) (string, bool) {
	if len(ops) == 0 {
		return "", false
	}
	for _, op := range ops {
		if op == "" || strings.ContainsAny(op, "\r\n") {
			return "", false
		}
	}
	flat := strings.Join(ops, " || ")
	if textWidth(name+" = "+flat+";") <= width {
		return " " + flat, true
	}
	inner := nl + ind + nixfmtIndent
	if textWidth(flat+";") <= width {
		return inner + flat, true
	}
	var b strings.Builder
	for i, op := range ops {
		line := op
		if i > 0 {
			line = "|| " + op
		}
		end := ""
		if i == len(ops)-1 {
			end = ";"
		}
		if textWidth(line+end) > width {
			return "", false
		}
		b.WriteString(inner + line)
	}
	return b.String(), true
}

// bindingText is the binding `name = cond;` as nixfmt prints it at
// indentation ind (cond is one of Condition's, whose operands are joined
// by " || ").
func bindingText(name, cond, ind, nl string) (string, error) {
	value, ok := orLayout(name, strings.Split(cond, " || "), ind, nl)
	if !ok {
		return "", &RefusedError{Reason: fmt.Sprintf("nixfmt would break %s = %s inside an operand, which markbot cannot write", name, truncate(cond, 40))}
	}
	return name + " =" + value + ";", nil
}

// orOperands returns the operands of e's top-level || chain (e itself when
// it is not one), as nixfmt's prettyOp flattens it.
func (f *File) orOperands(e Expr) []Expr {
	if b, ok := e.(*Binary); ok && f.Toks[b.Op].Kind == OR {
		return append(f.orOperands(b.X), f.orOperands(b.Y)...)
	}
	return []Expr{e}
}

// operandTexts returns the source text of each operand.
func (f *File) operandTexts(ops []Expr) []string {
	texts := make([]string, len(ops))
	for i, op := range ops {
		texts[i] = f.exprText(op)
	}
	return texts
}

// layoutModelled reports whether orLayout models nixfmt's layout of a
// binding whose whole value is e, when that value does not fit on the
// binding's line: absorbRHS gives an application (prettyApp), a
// parenthesised expression (absorbParen), a set, list, string or path,
// and with/let/if/… layouts of their own.
func (f *File) layoutModelled(e Expr) bool {
	switch n := e.(type) {
	case *Ident, *Select, *HasAttr, *Unary:
		return true
	case *Literal:
		return true
	case *Binary:
		switch f.Toks[n.Op].Kind {
		case UPDATE, CONCAT, PLUS:
			return false // absorbRHS's special cases for // ++ +
		}
		return true
	}
	return false
}

// bindingName is the source text of a binding's attribute path.
func (f *File) bindingName(b *Attr) string {
	return strings.TrimRight(string(f.Src[f.Toks[b.firstTok()].Off:f.Toks[b.Assign].Off]), " \t")
}

// nixfmtOr returns what nixfmt prints between the `=` and `;` of the
// binding b with its value's || operands ops, or a refusal.
func (f *File) nixfmtOr(b *Attr, ops []string) (string, error) {
	name := f.bindingName(b)
	ind := f.indentOf(int(f.Toks[b.firstTok()].Off))
	value, ok := orLayout(name, ops, ind, "\n")
	if !ok {
		return "", &RefusedError{Reason: fmt.Sprintf("nixfmt would break %s = %s inside an operand, which markbot cannot write", name, truncate(strings.Join(ops, " || "), 40))}
	}
	return value, nil
}

// notNixfmt returns why the file evidently is not nixfmt's output, or "":
// nixpkgs CI rejects any change to such a file, whatever markbot writes.
// Only signs that hold whatever the file's code are checked.
func (f *File) notNixfmt() string {
	switch {
	case bytes.IndexByte(f.Src, '\r') >= 0:
		return "the file has CR LF (or CR) line endings; nixfmt writes LF (standard.md, \"Editor Config\": end_of_line = lf)"
	case len(f.Src) > 0 && f.Src[len(f.Src)-1] != '\n':
		return "the file does not end in a newline; nixfmt ends its output with exactly one (Predoc.hs, layout: finalize)"
	case bytes.HasSuffix(f.Src, []byte("\n\n")):
		return "the file ends in blank lines; nixfmt ends its output with exactly one newline (Predoc.hs, layout: finalize)"
	}
	if fs := f.rootFormals(); fs != nil {
		if f.leadingCommas(fs) {
			return "the file's arguments are written with leading commas; nixfmt writes one argument a line with a trailing comma (standard.md, \"Function declaration\")"
		}
		if f.Line(int(f.Toks[fs.Open].Off)) == f.Line(int(f.Toks[fs.Close].Off)) && !f.flattenable(fs) {
			return "its arguments are on one line, which nixfmt keeps only for at most two arguments without defaults or comments (Pretty.hs, canFlattenAttrs)"
		}
	}
	return ""
}

// nixfmtRefusal wraps why a file is not nixfmt's output into the refusal.
func nixfmtRefusal(why string) error {
	return &RefusedError{Reason: "the file is not formatted by nixfmt (" + why + "), and nixpkgs CI rejects a change to it whatever markbot writes: format it with nixfmt first"}
}

// checkIndent refuses an indentation nixfmt does not write: it indents
// with spaces only, two a level (standard.md, "Indentation").
func checkIndent(ind string) error {
	if strings.ContainsRune(ind, '\t') {
		return nixfmtRefusal("it indents with tabs; nixfmt indents with two spaces a level")
	}
	if len(ind)%2 != 0 {
		return nixfmtRefusal(fmt.Sprintf("a line markbot writes next to is indented by %d spaces; nixfmt indents by two a level", len(ind)))
	}
	return nil
}
