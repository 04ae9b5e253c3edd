// Size caps on what Hydra answers, so that one huge value cannot exhaust
// memory: a whole answer, and one element (a build, an evaluation) of it.
package hydra

import (
	"io"

	"github.com/nixpkgs-markbot/markbot/internal/limits"
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
type LimitError = limits.Error

func newCapReader(r io.Reader, limit int64, what string, elemLimit int64, elemWhat string) *limits.Reader {
	return limits.NewReader(r, limit, what, elemLimit, elemWhat)
}
