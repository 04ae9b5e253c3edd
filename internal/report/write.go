// Step 4, publishing as static files: WriteSite writes every page and feed
// (the layout is in routes.go) into a new directory beside the target,
// syncs it, and swaps it for the old site in one rename, so that a reader
// or a crash never sees half a site.

package report

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"

	"github.com/nixpkgs-markbot/markbot/internal/atomicfile"
)

const (
	htmlType = "text/html; charset=utf-8"
	atomType = "application/atom+xml"
)

// siteFile is one file of the site: its path (slash-separated, relative
// to the root), its type and how to make it.
type siteFile struct {
	path   string
	ctype  string
	render func() ([]byte, error)
}

func static(b []byte) func() ([]byte, error) { return func() ([]byte, error) { return b, nil } }

// The site's files, made the same way for WriteSite and Handler.
func (v *view) indexFile() siteFile { return siteFile{"index.html", htmlType, v.indexPage} }

func (v *view) listFile(teams bool) siteFile {
	name := "maintainers/index.html"
	if teams {
		name = "teams/index.html"
	}
	return siteFile{name, htmlType, func() ([]byte, error) { return v.listPage(teams) }}
}

func assetFile(name string) siteFile {
	return siteFile{"assets/" + name, assetTypes[name], static(asset(name))}
}

func (v *view) jobsetFile(jv *jobsetView) siteFile {
	return siteFile{jobsetFile(jv.Jobset), htmlType, func() ([]byte, error) { return v.jobsetPage(jv) }}
}

func (v *view) ownerFile(o *owner) siteFile {
	name := maintainerFile(o.Key)
	if o.IsTeam {
		name = teamFile(o.Key)
	}
	return siteFile{name, htmlType, func() ([]byte, error) { return v.ownerPage(o) }}
}

func (v *view) feedFile(o *owner) siteFile {
	name := maintainerFeedFile(o.Key)
	if o.IsTeam {
		name = teamFeedFile(o.Key)
	}
	return siteFile{name, atomType, func() ([]byte, error) { return v.feedDoc(o) }}
}

// files lists every file of the site, in a stable order.
func (v *view) files() []siteFile {
	out := []siteFile{
		v.indexFile(), v.listFile(false), v.listFile(true),
		{"404.html", htmlType, static(notFoundPage)},
		// GitHub Pages would otherwise run Jekyll, which hides files
		// starting with "_" (a team slug may).
		{".nojekyll", "text/plain; charset=utf-8", static(nil)},
		assetFile("style.css"), assetFile("filter.js"),
	}
	for _, jv := range v.jobsets {
		out = append(out, v.jobsetFile(jv))
	}
	for _, o := range append(v.people[:len(v.people):len(v.people)], v.teams...) {
		out = append(out, v.ownerFile(o), v.feedFile(o))
	}
	return out
}

// WriteStats says what WriteSite wrote.
type WriteStats struct {
	Files int
	Bytes int64
}

// WriteSite writes the site into dir, replacing whatever dir held (it is
// the site's directory: nothing else belongs in it). The new site is
// written into a directory beside dir (".DIR.new-…", so dir's parent must
// be writable), synced to disk (syncfs on Linux, else every file), and
// then swapped for dir in one atomic
// rename (Linux's RENAME_EXCHANGE; elsewhere, or on a file system without
// it, the old site is renamed away first, so dir is missing for an
// instant, but never half written). On an error dir is left as it was.
// One WriteSite at a time per dir: leftovers of an interrupted one are
// removed by the next.
func WriteSite(dir string, site *Site) (WriteStats, error) {
	var stats WriteStats
	if err := site.Validate(); err != nil {
		return stats, err
	}
	dir = filepath.Clean(dir)
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	if base == "." || base == ".." || base == string(filepath.Separator) {
		return stats, fmt.Errorf("report: %q cannot be the site's directory", dir)
	}
	removeLeftovers(parent, base)
	tmp, err := os.MkdirTemp(parent, "."+base+".new-")
	if err != nil {
		return stats, fmt.Errorf("report: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return stats, fmt.Errorf("report: %w", err)
	}
	v := newView(site)
	files := v.files()
	dirs := map[string]bool{}
	for _, f := range files {
		if d := filepath.Dir(filepath.FromSlash(f.path)); d != "." && !dirs[d] {
			if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
				return stats, fmt.Errorf("report: %w", err)
			}
			for ; d != "."; d = filepath.Dir(d) {
				dirs[d] = true
			}
		}
	}
	if stats, err = writeFiles(tmp, files); err != nil {
		return stats, err
	}
	if err := syncTree(tmp, files); err != nil {
		return stats, fmt.Errorf("report: syncing the new site: %w", err)
	}
	for d := range dirs {
		if err := atomicfile.SyncDir(filepath.Join(tmp, d)); err != nil {
			return stats, fmt.Errorf("report: %w", err)
		}
	}
	if err := atomicfile.SyncDir(tmp); err != nil {
		return stats, fmt.Errorf("report: %w", err)
	}
	if err := swapIn(tmp, dir); err != nil {
		return stats, fmt.Errorf("report: publishing %s: %w", dir, err)
	}
	ok = true
	if err := atomicfile.SyncDir(parent); err != nil {
		return stats, fmt.Errorf("report: %w", err)
	}
	return stats, nil
}

// writeFiles renders and writes files under root, on every core.
func writeFiles(root string, files []siteFile) (WriteStats, error) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	work := make(chan *siteFile)
	var mu sync.Mutex
	var stats WriteStats
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				n, err := writeOne(root, f)
				if err != nil {
					cancel(err)
					continue
				}
				mu.Lock()
				stats.Files++
				stats.Bytes += n
				mu.Unlock()
			}
		}()
	}
	for i := range files {
		if ctx.Err() != nil {
			break
		}
		work <- &files[i]
	}
	close(work)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return stats, err
	}
	return stats, nil
}

func writeOne(root string, sf *siteFile) (int64, error) {
	b, err := sf.render()
	if err != nil {
		return 0, err
	}
	path := filepath.Join(root, filepath.FromSlash(sf.path))
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return 0, fmt.Errorf("report: %w", err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, fmt.Errorf("report: writing %s: %w", sf.path, err)
	}
	return int64(len(b)), nil
}

var (
	errNoExchange = errors.New("report: cannot exchange directories here")
	errNoSyncFS   = errors.New("report: no syncfs here")
)

// syncTree makes the files under root durable: one syncfs where there is
// one, else an fsync per file.
func syncTree(root string, files []siteFile) error {
	err := syncFS(root)
	if !errors.Is(err, errNoSyncFS) {
		return err
	}
	for _, sf := range files {
		f, err := os.Open(filepath.Join(root, filepath.FromSlash(sf.path)))
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// exchangeDirs is exchange (a variable for the tests of the fallback).
var exchangeDirs = exchange

type exchangeError struct {
	a, b  string
	errno syscall.Errno
}

func (e *exchangeError) Error() string {
	return fmt.Sprintf("exchanging %s and %s: %v", e.a, e.b, e.errno)
}

func (e *exchangeError) Unwrap() error { return e.errno }

// swapIn puts the directory tmp in dir's place and removes the old site.
func swapIn(tmp, dir string) error {
	fi, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return os.Rename(tmp, dir)
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s exists and is not a directory", dir)
	}
	err = exchangeDirs(tmp, dir)
	if err == nil {
		os.RemoveAll(tmp) // the old site now; a failure leaves a leftover
		return nil
	}
	if !errors.Is(err, errNoExchange) {
		return err
	}
	old := strings.Replace(tmp, ".new-", ".old-", 1)
	if err := os.Rename(dir, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		if rerr := os.Rename(old, dir); rerr != nil {
			return fmt.Errorf("%w (and putting the old site back: %v; it is in %s)", err, rerr, old)
		}
		return err
	}
	os.RemoveAll(old)
	return nil
}

// removeLeftovers removes what an interrupted WriteSite of parent/base
// left: ".BASE.new-*" and ".BASE.old-*".
func removeLeftovers(parent, base string) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() && (strings.HasPrefix(n, "."+base+".new-") || strings.HasPrefix(n, "."+base+".old-")) {
			os.RemoveAll(filepath.Join(parent, n))
		}
	}
}
