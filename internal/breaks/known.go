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

	"github.com/nixpkgs-markbot/markbot/internal/limits"
)

// MaxKnownFile caps the file LoadKnown reads (about 100k ranges); a bigger
// one is not markbot's and is refused.
const MaxKnownFile = 32 << 20

// MaxKnown is the most ranges SaveKnown keeps; beyond it the file starts
// over from the ranges of this run (a cache: losing it costs requests).
const MaxKnown = 100_000

// knownFile is the JSON file LoadKnown and SaveKnown read and write.
type knownFile struct {
	Version int              `json:"version"`
	Ranges  map[string]Range `json:"ranges"`
}

const knownVersion = 1

// LoadKnown reads the ranges SaveKnown wrote to path: an empty map when
// the file does not exist or is from another version.
func LoadKnown(path string) (map[string]Range, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]Range{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(limits.NewReader(f, MaxKnownFile, path, 0, ""))
	if err != nil {
		return nil, err
	}
	var kf knownFile
	if err := json.Unmarshal(data, &kf); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if kf.Version != knownVersion || kf.Ranges == nil {
		return map[string]Range{}, nil
	}
	return kf.Ranges, nil
}

// SaveKnown writes known to path atomically (a temporary file renamed
// over it), so a crash leaves the old file or the new one.
func SaveKnown(path string, known map[string]Range) error {
	if len(known) > MaxKnown {
		return nil // keep the old file rather than grow without bound
	}
	data, err := json.Marshal(knownFile{Version: knownVersion, Ranges: known})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
