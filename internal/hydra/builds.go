// Single builds on demand (GET /build/{id}, JSON), cached by id: what the
// evaluation page does not show (derivation path, start time, the exact
// status and whose derivation it is about: Provenance) for the few builds
// that need it.
package hydra

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/sirupsen/logrus"
)

// maxBuildJSON bounds a cached build file (a build's JSON is a few KiB).
const maxBuildJSON = 1 << 20

func (c *Cache) buildPath(id int64) string {
	return filepath.Join(filepath.Dir(c.dir), "builds", strconv.FormatInt(id, 10)+".json")
}

// cachedBuild returns the cached answer for a build, if any.
func (c *Cache) cachedBuild(id int64) (*Build, bool) {
	f, err := os.Open(c.buildPath(id))
	if err != nil {
		return nil, false
	}
	defer f.Close()
	var b Build
	data, err := io.ReadAll(io.LimitReader(f, maxBuildJSON+1))
	if err != nil || len(data) > maxBuildJSON || json.Unmarshal(data, &b) != nil || b.ID != id {
		return nil, false
	}
	return &b, true
}

// putBuild caches a build's answer (temporary file, renamed into place).
func (c *Cache) putBuild(b *Build) error {
	p := c.buildPath(b.ID)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("hydra cache: %w", err)
	}
	data, err := json.Marshal(b)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), strconv.FormatInt(b.ID, 10)+".*.tmp")
	if err != nil {
		return fmt.Errorf("hydra cache: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("hydra cache: %w", err)
	}
	return nil
}

// BuildDetail returns one build (GET /build/{id}), from the cache when it
// can be trusted: a cached build that succeeded is final, but one that was
// unfinished or failed is fetched again, because a restart on Hydra
// changes such a build in place (Controller/Build.pm restart; the same id
// gets a new status and times). cache may be nil.
func (c *Client) BuildDetail(ctx context.Context, cache *Cache, id int64) (*Build, error) {
	if cache != nil {
		if b, ok := cache.cachedBuild(id); ok && b.Status() == StatusSucceeded {
			return b, nil
		}
	}
	b, err := c.Build(ctx, id)
	if err != nil {
		return nil, err
	}
	if cache != nil {
		if err := cache.putBuild(b); err != nil {
			c.log.WithField("build", id).WithError(err).Warn("hydra: build not cached")
		}
	}
	return b, nil
}

// provenance is the cached answer of Provenance for one build run.
type provenance struct {
	Stop   int64  `json:"stop"`
	Status Status `json:"status"`
	Origin Origin `json:"origin"`
}

func (c *Cache) provenancePath(id int64) string {
	return filepath.Join(filepath.Dir(c.dir), "builds", strconv.FormatInt(id, 10)+".origin.json")
}

// Provenance says what build id's exact status is (GET /build/{id}) and
// whose derivation's step it is about (BuildOrigin, the build page, only
// for a status the queue runner may have copied). stop is the build's stop
// time as the evaluation page showed it: an answer cached for the same
// stop time is reused (a restarted build stops at another time), so a
// failing build costs one or two requests once, not every cycle. cache
// may be nil; stop 0 is never cached.
func (c *Client) Provenance(ctx context.Context, cache *Cache, id, stop int64) (Status, Origin, error) {
	if cache != nil && stop > 0 {
		if data, err := os.ReadFile(cache.provenancePath(id)); err == nil && len(data) < 1024 {
			var p provenance
			if json.Unmarshal(data, &p) == nil && p.Stop == stop && p.Status.Known() {
				return p.Status, p.Origin, nil
			}
		}
	}
	b, err := c.BuildDetail(ctx, cache, id)
	if err != nil {
		return 0, OriginUnknown, err
	}
	o, err := c.BuildOrigin(ctx, b)
	if err != nil {
		return 0, OriginUnknown, err
	}
	st := b.Status()
	if cache != nil && stop > 0 && b.StopTime == stop {
		data, _ := json.Marshal(provenance{Stop: stop, Status: st, Origin: o})
		p := cache.provenancePath(id)
		tmp := p + ".tmp"
		if err := os.WriteFile(tmp, data, 0o644); err == nil {
			if err := os.Rename(tmp, p); err != nil {
				os.Remove(tmp)
			}
		}
	}
	c.log.WithFields(logrus.Fields{"build": id, "status": int(st), "origin": o.String()}).Debug("hydra: provenance")
	return st, o, nil
}
