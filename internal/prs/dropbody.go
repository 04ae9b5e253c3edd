package prs

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nixpkgs-markbot/markbot/internal/mdtext"
)

// The text of a drop: the PR's title and body edited, the comment, the
// commit message. The body is edited surgically rather than rendered
// again: the log tails and last successes it shows are not kept anywhere
// else, and a human's additions to it stay.

// droppedHeading starts the body's list of dropped packages.
const droppedHeading = "### Dropped from this PR"

// maxReasonRunes caps a reason in the PR's text.
const maxReasonRunes = 300

// remainingBatch is the PR's content after op, for Title and CommitMessage:
// one change per remaining derivation, with the evidence state recorded.
func remainingBatch(op *dropOp) Batch {
	b := Batch{Kind: KindMark}
	for _, rest := range op.Remaining {
		b.Changes = append(b.Changes, Change{Kind: KindMark, Attrs: rest.Attrs, BuildURL: rest.BuildURL})
	}
	return b
}

// dropTitle is the PR's title after op: Title of what is left (the title
// unchanged when nothing is).
func dropTitle(old string, op *dropOp) string {
	if len(op.Remaining) == 0 {
		return old
	}
	return Title(remainingBatch(op))
}

// oneLine makes a reason one line of at most maxReasonRunes runes.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > maxReasonRunes {
		s = string([]rune(s)[:maxReasonRunes-1]) + "…"
	}
	return s
}

var mention = regexp.MustCompile("(^|[^\\w`])@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\[bot\\])?)")

// noMention puts @logins in code spans, so that markbot's text pings
// nobody.
func noMention(s string) string { return mention.ReplaceAllString(s, "$1`@$2`") }

func codeAttrs(attrs []string) string {
	q := make([]string, len(attrs))
	for i, a := range attrs {
		q[i] = mdtext.CodeSpan(a)
	}
	return strings.Join(q, ", ")
}

// droppedItem is a package's line in the body's dropped list.
func droppedItem(p dropPackage) string {
	return "- " + codeAttrs(p.Attrs) + ": " + noMention(oneLine(p.Reason))
}

// dropFromBody edits markbot's body of a mark PR for op: the dropped
// derivations' table rows and log tails go, the wording follows the number
// of packages left, a "Dropped from this PR" list names each dropped
// package with its reason, and the hidden block lists what is left. It is
// idempotent, and on a body Body wrote for a batch it gives Body's text for
// the remaining batch plus the dropped list.
func dropFromBody(body string, op *dropOp) string {
	lines := strings.Split(body, "\n")
	gone := map[int]bool{}

	// Rows and log sections, outside of fences.
	rowPrefix := map[string]bool{}
	header := map[string]bool{}
	for _, p := range op.Packages {
		cells := make([]string, len(p.Attrs))
		for i, a := range p.Attrs {
			cells[i] = mdtext.Cell(mdtext.CodeSpan(a))
		}
		rowPrefix["| "+strings.Join(cells, "<br>")+" |"] = true
		header[mdtext.CodeSpan(p.Attrs[0])+" ("] = true
	}
	fence := ""
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if fence != "" {
			if l == fence {
				fence = ""
			}
			continue
		}
		if f, ok := fenceOpen(l); ok {
			fence = f
			continue
		}
		for p := range rowPrefix {
			if strings.HasPrefix(l, p) {
				gone[i] = true
			}
		}
		for h := range header {
			if !strings.HasPrefix(l, h) || !strings.HasSuffix(l, "):") || i+2 >= len(lines) || lines[i+1] != "" {
				continue
			}
			f, ok := fenceOpen(lines[i+2])
			if !ok {
				continue
			}
			end := slices.Index(lines[i+3:], f)
			if end < 0 {
				continue
			}
			end += i + 3
			from := i
			if i > 0 && lines[i-1] == "" {
				from = i - 1
			}
			for j := from; j <= end; j++ {
				gone[j] = true
			}
			i = end
		}
	}
	lines = without(lines, gone)

	// A log block left without sections goes.
	if start, end, ok := detailsBlock(lines); ok {
		empty := true
		for _, l := range lines[start+1 : end] {
			if _, open := fenceOpen(l); open {
				empty = false
			}
		}
		if empty {
			gone = map[int]bool{}
			from := start
			if start > 0 && lines[start-1] == "" {
				from = start - 1
			}
			for j := from; j <= end; j++ {
				gone[j] = true
			}
			lines = without(lines, gone)
		}
	}

	n := len(op.Remaining)
	lines = fixTable(lines, n)
	lines = fixWording(lines, op)
	if n == 0 {
		lines = withoutAdvice(lines)
	}
	lines = addDropped(lines, op)
	out := strings.Join(lines, "\n")
	out = replaceHidden(out, Hidden{Kind: KindMark, Attrs: nonNil(op.remainingAttrs()), Version: HiddenVersion})
	if len(out) > GitHubBodyLimit {
		// Cannot happen for bodies Body wrote (a drop only adds its short
		// list); a human's additions could: the log tails go first.
		if start, end, ok := detailsBlock(strings.Split(out, "\n")); ok {
			ls := strings.Split(out, "\n")
			out = strings.Join(append(ls[:start:start], ls[end+1:]...), "\n")
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func without(lines []string, gone map[int]bool) []string {
	out := lines[:0:0]
	for i, l := range lines {
		if !gone[i] {
			out = append(out, l)
		}
	}
	return out
}

// fenceOpen recognises the opening line of a log tail: a backtick fence
// and "text".
func fenceOpen(l string) (string, bool) {
	f := strings.TrimSuffix(l, "text")
	if len(f) < 3 || len(f) == len(l) || strings.Trim(f, "`") != "" {
		return "", false
	}
	return f, true
}

// detailsBlock finds the <details> block of log tails.
func detailsBlock(lines []string) (start, end int, ok bool) {
	start = slices.Index(lines, "<details>")
	if start < 0 || start+1 >= len(lines) || !strings.HasPrefix(lines[start+1], "<summary>Last lines of the build log") {
		return 0, 0, false
	}
	end = slices.Index(lines[start:], "</details>")
	if end < 0 {
		return 0, 0, false
	}
	return start, start + end, true
}

var moreRow = regexp.MustCompile(`^\| … and \d+ more \|`)

// fixTable keeps the "… and N more" row true and takes the table out when
// no row is left.
func fixTable(lines []string, remaining int) []string {
	head := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "| Package | File | Systems |") })
	if head < 0 || head+1 >= len(lines) || !strings.HasPrefix(lines[head+1], "|---") {
		return lines
	}
	rows, more := 0, -1
	end := head + 2
	for ; end < len(lines) && strings.HasPrefix(lines[end], "| "); end++ {
		if moreRow.MatchString(lines[end]) {
			more = end
		} else {
			rows++
		}
	}
	gone := map[int]bool{}
	if more >= 0 {
		if n := remaining - rows; n > 0 {
			lines[more] = moreRow.ReplaceAllString(lines[more], "| … and "+strconv.Itoa(n)+" more |")
		} else {
			gone[more] = true
		}
	}
	if rows == 0 && remaining == 0 {
		gone[head], gone[head+1] = true, true
		if head > 0 && lines[head-1] == "" {
			gone[head-1] = true
		}
	}
	return without(lines, gone)
}

// fixWording makes the text that counts packages count what is left.
func fixWording(lines []string, op *dropOp) []string {
	n := len(op.Remaining)
	if n > 1 {
		return lines
	}
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "Hydra has been failing to build these packages on ") && n == 1:
			l = strings.Replace(l, "build these packages on", "build this package on", 1)
			lines[i] = strings.Replace(l, "marks them `meta.broken`", "marks it `meta.broken`", 1)
		case strings.HasPrefix(l, "Hydra has been failing to build ") && n == 0:
			switch {
			case op.Close:
				lines[i] = "Every package of this PR was dropped from it (see below), so markbot closed it."
			default:
				lines[i] = "Every package markbot marked broken in this PR was dropped from it (see below); the commits others pushed to this branch stay, and markbot no longer tracks it."
			}
		case l == "<summary>Last lines of the build logs</summary>" && n == 1:
			lines[i] = "<summary>Last lines of the build log</summary>"
		case strings.HasPrefix(l, "- **Disagree altogether**: close this PR; markbot will not propose these packages again") && n == 1:
			lines[i] = strings.Replace(l, "these packages", "this package", 1)
		case strings.HasPrefix(l, "These fail only on Darwin") && n == 1:
			lines[i] = "This fails only on Darwin" + strings.TrimPrefix(l, "These fail only on Darwin")
		}
	}
	return lines
}

// withoutAdvice takes "What you can do" (and the note on reviewers after
// it) out of the body of a PR markbot has nothing left in.
func withoutAdvice(lines []string) []string {
	w := slices.Index(lines, "### What you can do")
	if w < 0 {
		return lines
	}
	end := slices.Index(lines[w:], "---")
	if end < 0 {
		return lines
	}
	end += w
	if end > w && lines[end-1] == "" {
		end--
	}
	return slices.Delete(lines, w, end+boolInt(w > 0 && lines[w-1] == ""))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// addDropped adds op's packages to the body's dropped list (made before
// "What you can do" when there is none), each once.
func addDropped(lines []string, op *dropOp) []string {
	var items []string
	for _, p := range op.Packages {
		prefix := "- " + codeAttrs(p.Attrs) + ":"
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, prefix) }) {
			items = append(items, droppedItem(p))
		}
	}
	if len(items) == 0 {
		return lines
	}
	if h := slices.Index(lines, droppedHeading); h >= 0 {
		at := h + 2
		for at < len(lines) && strings.HasPrefix(lines[at], "- ") {
			at++
		}
		return slices.Insert(lines, at, items...)
	}
	section := append([]string{droppedHeading, ""}, items...)
	section = append(section, "")
	at := slices.Index(lines, "### What you can do")
	if at < 0 {
		at = slices.Index(lines, "---")
	}
	if at < 0 {
		at = slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, hiddenPrefix) })
	}
	if at < 0 {
		return append(append(lines, ""), section...)
	}
	if at > 0 && lines[at-1] != "" {
		section = append([]string{""}, section...)
	}
	return slices.Insert(lines, at, section...)
}

// replaceHidden replaces the body's last hidden block (or appends one).
func replaceHidden(body string, h Hidden) string {
	i := strings.LastIndex(body, hiddenPrefix)
	if i >= 0 {
		if j := strings.Index(body[i:], "-->"); j >= 0 {
			return body[:i] + h.String() + body[i+j+len("-->"):]
		}
	}
	return strings.TrimRight(body, "\n") + "\n\n" + h.String() + "\n"
}

// dropCommentMarker identifies op's comment, so that a rerun after a crash
// finds it instead of commenting twice.
func dropCommentMarker(number int, op *dropOp) string {
	return fmt.Sprintf("<!-- markbot-drop {\"pr\":%d,\"op\":%d} -->", number, op.ID)
}

// dropComment is the comment on the PR saying what op dropped and why.
func dropComment(number int, op *dropOp, skipFor time.Duration) string {
	var sb strings.Builder
	these := "these packages"
	if len(op.Packages) == 1 {
		these = "this package"
	}
	fmt.Fprintf(&sb, "markbot took %s out of this pull request:\n\n", these)
	skips := false
	for _, p := range op.Packages {
		fmt.Fprintf(&sb, "%s (%s)\n", droppedItem(p), noMention(p.Edit))
		skips = skips || p.Skip
	}
	switch {
	case op.Close:
		sb.WriteString("\nNothing markbot proposed is left here, so markbot closes this pull request. That is markbot's own doing, not a review decision.\n")
	case op.NothingLeft:
		sb.WriteString("\nNothing markbot proposed is left here. The commits others pushed to this branch stay: merge or close this pull request as you see fit; markbot no longer tracks it.\n")
	default:
		fmt.Fprintf(&sb, "\nStill in this pull request: %s.\n", codeAttrs(op.remainingAttrs()))
	}
	if skips && skipFor > 0 {
		fmt.Fprintf(&sb, "\nA package with a fix pushed here is not proposed again for %s.\n", days(skipFor))
	}
	sb.WriteString("\n" + dropCommentMarker(number, op) + "\n")
	return sb.String()
}

// dropCommitMessage is the message of a commit on top of others' commits.
func dropCommitMessage(op *dropOp) string {
	var sb strings.Builder
	if len(op.Packages) == 1 {
		fmt.Fprintf(&sb, "%s: drop broken marker from this PR\n\n", op.Packages[0].Attrs[0])
	} else {
		fmt.Fprintf(&sb, "treewide: drop %d broken markers from this PR\n\n", len(op.Packages))
	}
	for _, p := range op.Packages {
		fmt.Fprintf(&sb, "%s: %s\n", strings.Join(p.Attrs, ", "), oneLine(p.Reason))
	}
	sb.WriteString("\n" + commitTrailer + "\n")
	return sb.String()
}
