// Size caps on what Hydra answers, so that one huge value cannot exhaust
// memory: a whole answer, and one element (a build, an evaluation) of it.
package hydra

import (
	"fmt"
	"io"
)

// Caps on JSON answers. A build's JSON is a few KiB and an evaluation's a
// few MiB (its member ids: ≈2.5 MB for 250k builds); the builds endpoint's
// whole answer is ≈1 GB at nixpkgs scale.
const (
	maxBuildElement = 1 << 20  // one element of /eval/{id}/builds
	maxBuildsAnswer = 4 << 30  // the whole /eval/{id}/builds answer
	maxEvalElement  = 32 << 20 // one evaluation of an /evals page
	maxEvalsAnswer  = 1 << 30  // one /evals page (20 evaluations)
	maxJSONDocument = 16 << 20 // any other JSON answer (an evaluation, a build)
)

// LimitError says an answer, or one element of it, is larger than markbot
// accepts.
type LimitError struct {
	What  string // "the answer", "one build", …
	Limit int64
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s is larger than %d bytes, the most markbot reads", e.What, e.Limit)
}

// capReader fails a read once more than limit bytes came in all, or more
// than elemLimit since the last mark (the decoder's read-ahead counts, so
// elemLimit must be well above a decoder's buffer).
type capReader struct {
	r                io.Reader
	err              error
	total, since     int64
	limit, elemLimit int64
	what, elemWhat   string
}

func newCapReader(r io.Reader, limit int64, what string, elemLimit int64, elemWhat string) *capReader {
	return &capReader{r: r, limit: limit, elemLimit: elemLimit, what: what, elemWhat: elemWhat}
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	// Never read past a limit: a decoder growing its buffer for one huge
	// token then stops at the limit. Crossing it is an error from then on
	// (decoders may ignore an error that comes with data).
	allow := c.limit - c.total
	what := c.what
	if c.elemLimit > 0 && c.elemLimit-c.since < allow {
		allow, what = c.elemLimit-c.since, c.elemWhat
	}
	if allow <= 0 {
		lim := c.limit
		if what == c.elemWhat {
			lim = c.elemLimit
		}
		c.err = &LimitError{What: what, Limit: lim}
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

// mark starts a new element.
func (c *capReader) mark() { c.since = 0 }
