// Keeping build log tails between runs: a finished build's log does not
// change, so a tail read once (by markbot run's evidence step or by markbot
// compare) is read from disk after that, not from Hydra (three requests:
// /build/N/log/raw, /log/…, the binary cache).

package hydra

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nixpkgs-markbot/markbot/internal/atomicfile"
)

// LogTails keeps log tails in Dir, one file per build and line count (""
// keeps nothing). Conventionally the "logs" directory beside a Cache's
// evaluations.
type LogTails struct{ Dir string }

// LogTailsDir is the conventional log-tail directory of cache.
func LogTailsDir(cache *Cache) string { return filepath.Join(filepath.Dir(cache.Dir()), "logs") }

func (l LogTails) path(build int64, n int) string {
	return filepath.Join(l.Dir, strconv.FormatInt(build, 10)+"."+strconv.Itoa(n)+".log")
}

// Get returns the n-line tail kept for build, if any.
func (l LogTails) Get(build int64, n int) ([]string, bool) {
	if l.Dir == "" {
		return nil, false
	}
	b, err := os.ReadFile(l.path(build, n))
	if err != nil {
		return nil, false
	}
	s := strings.TrimSuffix(string(b), "\n")
	if s == "" {
		return nil, true
	}
	return strings.Split(s, "\n"), true
}

// Put keeps build's n-line tail (written to a temporary file and renamed,
// so a reader sees the whole tail or none). Failing to write only costs a
// read next time.
func (l LogTails) Put(build int64, n int, lines []string) {
	if l.Dir == "" {
		return
	}
	if err := os.MkdirAll(l.Dir, 0o755); err != nil {
		return
	}
	var sb strings.Builder
	for _, line := range lines {
		sb.WriteString(strings.ReplaceAll(line, "\n", " ") + "\n")
	}
	_ = atomicfile.WriteFile(l.path(build, n), []byte(sb.String()), 0o644)
}
