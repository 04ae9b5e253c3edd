// Package udiff renders unified diffs of text files (as `diff -u` and git
// print them), from the line diff computed by go-diff.
package udiff

import (
	"fmt"
	"strings"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// context is the number of unchanged lines shown around each change.
const context = 3

type line struct {
	op   diffmatchpatch.Operation
	text string // with its line ending
}

// Unified returns the unified diff turning a into b, with headers naming
// oldName and newName, or "" when they are equal. A last line without a
// newline is marked "\ No newline at end of file", as diff does.
func Unified(oldName, newName, a, b string) string {
	if a == b {
		return ""
	}
	dmp := diffmatchpatch.New()
	ca, cb, table := dmp.DiffLinesToChars(a, b)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(ca, cb, false), table)
	var lines []line
	for _, d := range diffs {
		for _, l := range strings.SplitAfter(d.Text, "\n") {
			if l != "" {
				lines = append(lines, line{d.Type, l})
			}
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", oldName, newName)
	for i := 0; i < len(lines); {
		if lines[i].op == diffmatchpatch.DiffEqual {
			i++
			continue
		}
		// A hunk: from `context` lines before this change to `context`
		// lines after the last change that is within 2*context of the next.
		start := max(i-context, 0)
		end := i
		for j := i; j < len(lines); j++ {
			if lines[j].op != diffmatchpatch.DiffEqual {
				end = j + 1
				continue
			}
			if j-end >= 2*context {
				break
			}
		}
		end = min(end+context, len(lines))
		oldStart, newStart := 1, 1
		for _, l := range lines[:start] {
			if l.op != diffmatchpatch.DiffInsert {
				oldStart++
			}
			if l.op != diffmatchpatch.DiffDelete {
				newStart++
			}
		}
		var oldN, newN int
		var body strings.Builder
		for _, l := range lines[start:end] {
			prefix := " "
			switch l.op {
			case diffmatchpatch.DiffInsert:
				prefix = "+"
				newN++
			case diffmatchpatch.DiffDelete:
				prefix = "-"
				oldN++
			default:
				oldN++
				newN++
			}
			body.WriteString(prefix + l.text)
			if !strings.HasSuffix(l.text, "\n") {
				body.WriteString("\n\\ No newline at end of file\n")
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(oldStart, oldN), hunkRange(newStart, newN))
		out.WriteString(body.String())
		i = end
	}
	return out.String()
}

func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start-1)
	}
	if n == 1 {
		return fmt.Sprint(start)
	}
	return fmt.Sprintf("%d,%d", start, n)
}
