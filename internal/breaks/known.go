// Keeping looked-up ranges between runs: a range found on Hydra does not
// change while its failure lasts (it is keyed by the oldest failing build),
// so a rerun reads it from a file instead of asking Hydra again.

package breaks

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nixpkgs-markbot/markbot/internal/atomicfile"
	"github.com/nixpkgs-markbot/markbot/internal/limits"
)

// MaxKnownFile caps the file LoadKnown reads (about 100k ranges); a bigger
// one is not markbot's and is refused.
const MaxKnownFile = 32 << 20

// MaxKnown is the most ranges SaveKnown keeps; beyond it the file starts
// over from the ranges of this run (a cache: losing it costs requests).
const MaxKnown = 100_000

// Known is what LoadKnown and SaveKnown keep: the ranges looked up (by
// Key), and the commits GitHub counted in a range (by "GOOD...BAD"; -1:
// GitHub cannot compare them, asked no more).
type Known struct {
	Ranges  map[string]Range `json:"ranges"`
	Commits map[string]int   `json:"commits,omitempty"`
}

// knownFile is the JSON file LoadKnown and SaveKnown read and write.
type knownFile struct {
	Version int `json:"version"`
	Known
}

const knownVersion = 1

// LoadKnown reads what SaveKnown wrote to path: empty maps when the file
// does not exist or is from another version.
func LoadKnown(path string) (Known, error) {
	empty := Known{Ranges: map[string]Range{}, Commits: map[string]int{}}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return empty, nil
	}
	if err != nil {
		return empty, err
	}
	defer f.Close()
	data, err := io.ReadAll(limits.NewReader(f, MaxKnownFile, path, 0, ""))
	if err != nil {
		return empty, err
	}
	var kf knownFile
	if err := json.Unmarshal(data, &kf); err != nil {
		return empty, fmt.Errorf("%s: %w", path, err)
	}
	if kf.Version != knownVersion || kf.Ranges == nil {
		return empty, nil
	}
	if kf.Commits == nil {
		kf.Commits = map[string]int{}
	}
	return kf.Known, nil
}

// SaveKnown writes known to path atomically (a temporary file renamed
// over it), so a crash leaves the old file or the new one.
func SaveKnown(path string, known Known) error {
	if len(known.Ranges)+len(known.Commits) > MaxKnown {
		return nil // keep the old file rather than grow without bound
	}
	data, err := json.Marshal(knownFile{Version: knownVersion, Known: known})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, 0o644)
}

// Open is a Finder on h within budget requests whose known ranges and
// commit counts come from path (LoadKnown), so that each range costs its
// requests once across runs; Save writes them back. A file that cannot
// be read is an error beside a working Finder that starts afresh.
func Open(path string, h Hydra, budget int) (*Finder, error) {
	k, err := LoadKnown(path)
	f := &Finder{Hydra: h, Budget: budget, Known: k.Ranges, Commits: k.Commits, path: path, commits: len(k.Commits)}
	return f, err
}

// Save writes what the finder knows to the file Open read, when it
// learned something (a lookup or a commit count) since.
func (f *Finder) Save() error {
	if f.path == "" || (f.spent == 0 && len(f.Commits) == f.commits) {
		return nil
	}
	if err := SaveKnown(f.path, Known{Ranges: f.Known, Commits: f.Commits}); err != nil {
		return err
	}
	f.commits = len(f.Commits)
	return nil
}
