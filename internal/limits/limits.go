// Package limits caps what markbot reads from others (Hydra's answers, the
// packages index): a whole answer, and one element of it, so that one huge
// value cannot exhaust memory. Decoders read through a Reader and Mark the
// start of each element.
package limits

import (
	"fmt"
	"io"
)

// Error says an answer, or one element of it, is larger than markbot
// accepts.
type Error struct {
	What  string // "the builds answer", "one build", …
	Limit int64
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s is larger than %d bytes, the most markbot reads", e.What, e.Limit)
}

// Reader fails once more than Limit bytes came in all, or more than
// ElemLimit since the last Mark (a decoder's read-ahead counts, so
// ElemLimit must be well above a decoder's buffer). It never reads past a
// limit: a decoder growing its buffer for one huge token stops there.
type Reader struct {
	r                io.Reader
	err              error
	total, since     int64
	limit, elemLimit int64
	what, elemWhat   string
}

// NewReader caps r at limit bytes in all (what names them in the error)
// and, when elemLimit > 0, at elemLimit bytes between Marks.
func NewReader(r io.Reader, limit int64, what string, elemLimit int64, elemWhat string) *Reader {
	return &Reader{r: r, limit: limit, elemLimit: elemLimit, what: what, elemWhat: elemWhat}
}

func (c *Reader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err // sticky: decoders may ignore an error that comes with data
	}
	allow, what, lim := c.limit-c.total, c.what, c.limit
	if c.elemLimit > 0 && c.elemLimit-c.since < allow {
		allow, what, lim = c.elemLimit-c.since, c.elemWhat, c.elemLimit
	}
	if allow <= 0 {
		c.err = &Error{What: what, Limit: lim}
		return 0, c.err
	}
	if int64(len(p)) > allow {
		p = p[:allow]
	}
	n, err := c.r.Read(p)
	c.total += int64(n)
	c.since += int64(n)
	return n, err
}

// Mark starts a new element.
func (c *Reader) Mark() { c.since = 0 }
