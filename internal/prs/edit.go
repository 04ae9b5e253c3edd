package prs

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/nixpkgs-markbot/markbot/internal/nixedit"
	"github.com/sergi/go-diff/diffmatchpatch"
)

// edited is one file after a batch's edits.
type edited struct {
	File     string
	Old, New string
}

// applyEdits runs nixedit over the batch's files (contents at the base
// commit, by path) and reports per change. Several changes in one file are
// applied from the bottom up, and each line is mapped through the edits
// already made, so the positions of the base commit stay right.
func applyEdits(b Batch, contents map[string]string) ([]edited, map[int]ChangeResult) {
	results := map[int]ChangeResult{}
	byFile := map[string][]int{}
	for i, c := range b.Changes {
		byFile[c.File] = append(byFile[c.File], i)
	}
	var files []edited
	for _, f := range b.Files() {
		idx := byFile[f]
		slices.SortFunc(idx, func(x, y int) int { return cmp.Compare(b.Changes[y].Line, b.Changes[x].Line) })
		old, ok := contents[f]
		if !ok {
			for _, i := range idx {
				results[i] = changeResult(b.Changes[i], OutcomeFailed, "file not found at the base commit")
			}
			continue
		}
		cur := old
		for _, i := range idx {
			c := b.Changes[i]
			line, ok := mapLine(old, cur, c.Line)
			if !ok {
				results[i] = changeResult(c, OutcomeFailed, fmt.Sprintf("line %d was changed by another edit in the same file", c.Line))
				continue
			}
			var out []byte
			var err error
			switch {
			case c.Narrow != nil:
				out, err = nixedit.NarrowExpecting(c.File, []byte(cur), line, nixedit.Marker{
					Systems: c.Narrow.Systems, BuildURL: c.Narrow.BuildURL, Since: c.Since.UTC().Format(time.DateOnly)}, wrote(c))
			case c.Kind == KindUnmark:
				out, err = nixedit.UnmarkExpecting(c.File, []byte(cur), line, wrote(c))
			default:
				out, err = nixedit.Mark(c.File, []byte(cur), line, nixedit.Marker{
					Systems: c.Systems, BuildURL: c.BuildURL, Since: c.Since.UTC().Format(time.DateOnly)})
			}
			results[i] = editOutcome(c, err)
			if err == nil {
				cur = string(out)
			}
		}
		if cur != old {
			files = append(files, edited{File: f, Old: old, New: cur})
		}
	}
	return files, results
}

// editOutcome classifies nixedit's answer.
func editOutcome(c Change, err error) ChangeResult {
	var refused *nixedit.RefusedError
	var human *nixedit.HumanChangedError
	switch {
	case err == nil:
		return changeResult(c, OutcomeIncluded, "")
	case errors.Is(err, nixedit.ErrAlreadyBroken):
		return changeResult(c, OutcomeAlreadyBroken, "already marked broken")
	case errors.Is(err, nixedit.ErrNotMarked):
		return changeResult(c, OutcomeNotMarked, "no markbot marker to take out")
	case errors.As(err, &refused):
		return changeResult(c, OutcomeRefused, "edit refused: "+refused.Reason)
	case errors.As(err, &human):
		return changeResult(c, OutcomeHumanChanged, "marker changed by a human: "+human.Reason)
	}
	return changeResult(c, OutcomeFailed, err.Error())
}

// mapLine finds where line (1-based) of old is in cur, through a line diff.
// ok is false when the line itself was changed.
func mapLine(old, cur string, line int) (int, bool) {
	if old == cur {
		return line, true
	}
	dmp := diffmatchpatch.New()
	a, b, _ := dmp.DiffLinesToRunes(old, cur)
	oldL, newL := 1, 1
	for _, d := range dmp.DiffMainRunes(a, b, false) {
		n := utf8.RuneCountInString(d.Text)
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			if line >= oldL && line < oldL+n {
				return newL + line - oldL, true
			}
			oldL += n
			newL += n
		case diffmatchpatch.DiffDelete:
			if line >= oldL && line < oldL+n {
				return 0, false
			}
			oldL += n
		case diffmatchpatch.DiffInsert:
			newL += n
		}
	}
	return 0, false
}

// wrote is what markbot's marker for an unmark change says, as far as the
// change knows it (its systems and date, from state): a marker whose
// comment says otherwise was changed by a human, even when the file alone
// could not tell (a date changed to another valid date). The build is not
// compared: an unmark change carries the green build, not the marker's.
func wrote(c Change) nixedit.Marker {
	var m nixedit.Marker
	if len(c.Systems) > 0 {
		m.Systems = c.Systems
	} else {
		m.Systems = nixedit.HydraSystems
	}
	if !c.Since.IsZero() {
		m.Since = c.Since.UTC().Format(time.DateOnly)
	}
	return m
}
