package prs

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/nixpkgs-markbot/markbot/internal/nixedit"
)

// MarkerStatus is what FindMarker found.
type MarkerStatus int

const (
	// MarkerUnknown: cannot tell this time (the file does not parse).
	MarkerUnknown MarkerStatus = iota
	// MarkerFound: markbot's marker as written, at Line.
	MarkerFound
	// MarkerGone: edited or removed by a human (Reason says which).
	MarkerGone
)

// MarkerMatch is FindMarker's answer.
type MarkerMatch struct {
	Status MarkerStatus
	// Line is the position line at which nixedit.Unmark takes the marker
	// out (MarkerFound): the recorded line, or one near it.
	Line int
	// Unmarked is the file with the marker taken out (MarkerFound).
	Unmarked []byte
	// Reason says why the status is not MarkerFound.
	Reason string
}

// MarkerSearchLines bounds how far from the recorded line FindMarker looks
// for the position (lines added or removed above it since the marker was
// recorded).
const MarkerSearchLines = 200

// FindMarker looks for markbot's marker of the derivation at line (its
// meta.position when the marker was recorded) in src, the file as it is
// now. The marker is markbot's as written when nixedit.Unmark succeeds at
// the position and what it takes out names buildURL, the marker's evidence
// (so a marker of another derivation in the same file is not taken for
// it). The recorded line is tried first, then lines ever farther from it,
// up to MarkerSearchLines. A marker a human edited (nixedit's
// HumanChangedError at the recorded line) or removed is MarkerGone; a file
// that does not parse is MarkerUnknown.
//
// The revert loop (reading merged markers on the base branch) and Drop
// (taking a marker out of a PR's branch) share it.
func FindMarker(file string, src []byte, line int, buildURL string) MarkerMatch {
	u := strings.TrimSuffix(buildURL, "/")
	ours := func(out []byte) bool {
		return u == "" || bytes.Count(out, []byte(u)) < bytes.Count(src, []byte(u))
	}
	out, first := nixedit.Unmark(file, src, line)
	var human *nixedit.HumanChangedError
	switch {
	case first == nil && ours(out):
		return MarkerMatch{Status: MarkerFound, Line: line, Unmarked: out}
	case errors.As(first, &human):
		return MarkerMatch{Status: MarkerGone, Reason: human.Reason}
	}
	f, err := nixedit.Parse(file, src)
	if err != nil {
		return MarkerMatch{Status: MarkerUnknown, Reason: fmt.Sprintf("%s does not parse: %v", file, err)}
	}
	n := bytes.Count(src, []byte("\n")) + 1
	for d := 1; d <= MarkerSearchLines; d++ {
		for _, l := range []int{line + d, line - d} {
			if l < 1 || l > n {
				continue
			}
			if _, err := f.Locate(l); err != nil {
				continue
			}
			if out, err := nixedit.Unmark(file, src, l); err == nil && ours(out) {
				return MarkerMatch{Status: MarkerFound, Line: l, Unmarked: out}
			}
		}
	}
	switch {
	case errors.Is(first, nixedit.ErrNotMarked) || (u != "" && !bytes.Contains(src, []byte(u))):
		return MarkerMatch{Status: MarkerGone, Reason: "markbot's marker is no longer in " + file}
	case first == nil:
		return MarkerMatch{Status: MarkerGone, Reason: fmt.Sprintf("the marker at line %d is not the one markbot wrote for %s", line, buildURL)}
	}
	return MarkerMatch{Status: MarkerGone, Reason: fmt.Sprintf("markbot's marker is no longer where markbot wrote it (%v)", first)}
}
