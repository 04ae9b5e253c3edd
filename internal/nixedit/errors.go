package nixedit

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// Error is a syntax error at a position.
type Error struct {
	Pos Position
	Msg string
	err error // what Unwrap gives (ErrTooLarge), or nil
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// Unwrap lets errors.Is find ErrTooLarge.
func (e *Error) Unwrap() error { return e.err }

// lineTable maps byte offsets to lines and columns the way Nix counts them:
// LF, CR LF and a lone CR each end a line; columns are 1-based bytes.
type lineTable struct {
	starts []int32 // offset of the first byte of each line
}

func newLineTable(src []byte) lineTable {
	starts := make([]int32, 1, 2+bytes.Count(src, []byte{'\n'})+bytes.Count(src, []byte{'\r'}))
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '\n':
			starts = append(starts, int32(i+1))
		case '\r':
			if i+1 < len(src) && src[i+1] == '\n' {
				i++
			}
			starts = append(starts, int32(i+1))
		}
	}
	return lineTable{starts: starts}
}

// line returns the 1-based line of offset off.
func (lt lineTable) line(off int32) int {
	return sort.Search(len(lt.starts), func(i int) bool { return lt.starts[i] > off })
}

func (lt lineTable) position(filename string, off int32) Position {
	l := lt.line(off)
	return Position{Filename: filename, Offset: int(off), Line: l, Column: int(off-lt.starts[l-1]) + 1}
}

// numLines is the number of lines (a final line without a newline counts).
func (lt lineTable) numLines(srcLen int) int {
	n := len(lt.starts)
	if int(lt.starts[n-1]) == srcLen && n > 1 {
		return n - 1
	}
	return n
}

// describe renders a byte or token text for an error message.
func describe(s string) string {
	if s == "" {
		return "end of file"
	}
	if len(s) > 20 {
		s = s[:20] + "…"
	}
	if !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r >= 0x7f }) {
		return "'" + s + "'"
	}
	return fmt.Sprintf("%q", s)
}
