package nixedit

// Narrow: replacing markbot's marker by one for fewer systems.

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Narrow replaces markbot's marker of the derivation whose meta.position is
// line by m, for fewer systems: the revert loop's answer when a marked
// package builds again on some of its systems only. m.Systems must be a
// non-empty subset of the systems the marker covers (a marker for every
// system may narrow to any). The old marker must be markbot's as written,
// as for Unmark (ErrNotMarked, *RefusedError for a file that opts out,
// *HumanChangedError); the new one is written
// as Mark writes it, so the result is exactly Mark(Unmark(src), m). When
// the file already marks the derivation broken on m.Systems without
// markbot (a human's own broken binding covers them), the result is the
// file without markbot's marker. An empty m.Since keeps the old marker's.
func Narrow(filename string, src []byte, line int, m Marker) ([]byte, error) {
	return narrow(filename, src, line, m, nil)
}

// NarrowExpecting is Narrow for a caller that knows what markbot wrote for
// the old marker, as for UnmarkExpecting.
func NarrowExpecting(filename string, src []byte, line int, m, want Marker) ([]byte, error) {
	return narrow(filename, src, line, m, &want)
}

func narrow(filename string, src []byte, line int, m Marker, want *Marker) ([]byte, error) {
	if len(m.Systems) == 0 {
		return nil, errors.New("narrowing a marker needs the systems it keeps")
	}
	check := m
	if check.Since == "" {
		check.Since = "2006-01-02"
	}
	if err := check.Validate(); err != nil {
		return nil, err
	}
	unmarked, ed, err := unmarkLine(filename, src, line, want)
	if err != nil {
		return nil, err
	}
	if m.Since == "" {
		m.Since = ed.unmarked.since
	}
	if pc := ed.unmarked; len(pc.systems) > 0 {
		for _, s := range m.Systems {
			if !slices.Contains(pc.systems, s) {
				return nil, fmt.Errorf("%s:%d: the marker covers %s, not %s: narrowing cannot add a system",
					filename, line, strings.Join(pc.systems, ", "), s)
			}
		}
	}
	out, _, err := markLine(filename, unmarked, ed.shiftLine(line), m)
	if errors.Is(err, ErrAlreadyBroken) {
		return unmarked, nil
	}
	return out, err
}
