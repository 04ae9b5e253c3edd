// Keeping an evaluation's packages index between runs: the json-br product
// of a finished tarball build never changes, so once downloaded and
// verified against the sha256hash Hydra lists for it, the next cycle
// reading the same evaluation (every cycle until Hydra finishes a newer
// one: hours on nixpkgs) opens it from disk, after checking its hash
// again, instead of asking Hydra for the build and downloading tens of
// megabytes.

package hydra

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/nixpkgs-markbot/markbot/internal/atomicfile"
)

// PackagesCache keeps verified packages indexes in Dir ("" keeps nothing),
// those of the Keep newest evaluations (default 2). Conventionally the
// "packages" directory beside a Cache's evaluations.
type PackagesCache struct {
	Dir  string
	Keep int
}

// PackagesCacheDir is the conventional packages-index directory of cache.
func PackagesCacheDir(cache *Cache) string {
	return filepath.Join(filepath.Dir(cache.Dir()), "packages")
}

// maxPackagesMeta caps a kept index's description.
const maxPackagesMeta = 64 << 10

func (pc PackagesCache) paths(evalID int64) (data, meta string) {
	base := filepath.Join(pc.Dir, "eval-"+strconv.FormatInt(evalID, 10))
	return base + ".json.br", base + ".json"
}

// EvalPackagesCached is EvalPackages keeping what it downloads in pc: an
// evaluation whose index pc holds is opened from there with no request,
// when the file still has the size and SHA-256 recorded; a download is
// kept only when Hydra listed a hash and it matched (Verified). Failing to
// keep one only costs a download next time.
func (c *Client) EvalPackagesCached(ctx context.Context, evalID, maxBytes int64, pc PackagesCache) (io.ReadCloser, *TarballInfo, error) {
	if pc.Dir == "" {
		return c.EvalPackages(ctx, evalID, maxBytes)
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxPackagesBytes
	}
	if rc, info, ok := pc.open(evalID, maxBytes); ok {
		c.log.WithFields(map[string]any{"eval": evalID, "build": info.Build, "bytes": info.Bytes}).Debug("hydra: the evaluation's packages.json.br, kept from an earlier run")
		return rc, info, nil
	}
	rc, info, err := c.EvalPackages(ctx, evalID, maxBytes)
	if err != nil {
		return nil, nil, err
	}
	if pr, ok := rc.(*packagesReader); ok && info.Verified {
		if err := pc.put(evalID, pr.file.Name(), info); err != nil {
			c.log.WithError(err).Warn("hydra: the packages index is not kept for the next run")
		}
	}
	return rc, info, nil
}

// open returns the kept index of evalID, if its file is whole.
func (pc PackagesCache) open(evalID, maxBytes int64) (io.ReadCloser, *TarballInfo, bool) {
	data, meta := pc.paths(evalID)
	mf, err := os.Open(meta)
	if err != nil {
		return nil, nil, false
	}
	b, err := io.ReadAll(io.LimitReader(mf, maxPackagesMeta+1))
	mf.Close()
	var info TarballInfo
	if err != nil || len(b) > maxPackagesMeta || json.Unmarshal(b, &info) != nil ||
		info.Eval != evalID || !info.Verified || len(info.SHA256) != 64 || info.Bytes <= 0 || info.Bytes > maxBytes {
		return nil, nil, false
	}
	f, err := os.Open(data)
	if err != nil {
		return nil, nil, false
	}
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(f, info.Bytes+1))
	if err != nil || n != info.Bytes || hex.EncodeToString(h.Sum(nil)) != info.SHA256 {
		f.Close()
		os.Remove(data) // damaged: downloaded again
		os.Remove(meta)
		return nil, nil, false
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, false
	}
	info.Cached = true
	pr := newPackagesReader(f, info.URL, maxBytes)
	pr.keep = true
	return pr, &info, true
}

// put copies the verified download at src into the cache (a temporary file
// renamed, the description last, so a reader finds both whole or neither)
// and removes the indexes of all but the Keep newest evaluations.
func (pc PackagesCache) put(evalID int64, src string, info *TarballInfo) error {
	if err := os.MkdirAll(pc.Dir, 0o755); err != nil {
		return err
	}
	data, meta := pc.paths(evalID)
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(pc.Dir, ".packages-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, in)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if n != info.Bytes {
		return fmt.Errorf("%s: %d bytes, %d downloaded", src, n, info.Bytes)
	}
	if err := os.Rename(tmp.Name(), data); err != nil {
		return err
	}
	b, err := json.Marshal(info)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(meta, b, 0o644); err != nil {
		return err
	}
	pc.prune()
	return nil
}

// prune removes the kept indexes of all but the Keep newest evaluations.
func (pc PackagesCache) prune() {
	keep := pc.Keep
	if keep <= 0 {
		keep = 2
	}
	entries, err := os.ReadDir(pc.Dir)
	if err != nil {
		return
	}
	var evals []int64
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json.br")
		if !ok {
			name, ok = strings.CutSuffix(e.Name(), ".json")
		}
		if !ok || !strings.HasPrefix(name, "eval-") {
			continue
		}
		if id, err := strconv.ParseInt(strings.TrimPrefix(name, "eval-"), 10, 64); err == nil {
			evals = append(evals, id)
		}
	}
	slices.Sort(evals)
	evals = slices.Compact(evals)
	for len(evals) > keep {
		data, meta := pc.paths(evals[0])
		os.Remove(meta)
		os.Remove(data)
		evals = evals[1:]
	}
}
