package nixpkgs

// The locate step's fallback index: which nixpkgs commit a channel's
// packages.json.br was generated from. nixos-channel-scripts'
// mirror-nixos-branch.pl writes the evaluation's nixpkgs revision
// (jobsetevalinputs.nixpkgs.revision) to a `git-revision` file in every
// release, beside packages.json.br, and channels.nixos.org redirects
// CHANNEL/git-revision to the release's.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// maxRevisionFile caps a git-revision file (40 characters).
const maxRevisionFile = 4 << 10

// ErrNoRevisionFile says the index's location has no known git-revision
// file beside it.
var ErrNoRevisionFile = errors.New("no git-revision file beside the index")

// IsRevision reports whether s is a full git commit id (40 hex digits,
// or 64 for SHA-256 repositories), lower case.
func IsRevision(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// ChannelRevision reads the nixpkgs revision of the index at location
// (Index.Location: after redirects, so a channel's URL has become its
// release's, and the file read is that release's): the git-revision file
// in the same directory. For a URL only when the index is named
// packages.json.br, the channels' layout (ErrNoRevisionFile otherwise);
// for a local path whenever the file exists.
func ChannelRevision(ctx context.Context, location string, opts LoadOptions) (string, error) {
	var data []byte
	var where string
	if u, err := url.Parse(location); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		if path.Base(u.Path) != "packages.json.br" {
			return "", fmt.Errorf("nixpkgs: %s: %w (not a channel's packages.json.br)", location, ErrNoRevisionFile)
		}
		where = u.ResolveReference(&url.URL{Path: "git-revision"}).String()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, where, nil)
		if err != nil {
			return "", fmt.Errorf("nixpkgs: %s: %w", where, err)
		}
		if opts.UserAgent != "" {
			req.Header.Set("User-Agent", opts.UserAgent)
		}
		client := opts.Client
		if client == nil {
			client = http.DefaultClient
		}
		resp, err := client.Do(req)
		if err != nil {
			return "", fmt.Errorf("nixpkgs: fetching %s: %w", where, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("nixpkgs: fetching %s: %s", where, resp.Status)
		}
		if data, err = io.ReadAll(io.LimitReader(resp.Body, maxRevisionFile+1)); err != nil {
			return "", fmt.Errorf("nixpkgs: reading %s: %w", where, err)
		}
	} else {
		where = filepath.Join(filepath.Dir(location), "git-revision")
		f, err := os.Open(where)
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("nixpkgs: %s: %w", where, ErrNoRevisionFile)
		}
		if err != nil {
			return "", fmt.Errorf("nixpkgs: %w", err)
		}
		defer f.Close()
		if data, err = io.ReadAll(io.LimitReader(f, maxRevisionFile+1)); err != nil {
			return "", fmt.Errorf("nixpkgs: reading %s: %w", where, err)
		}
	}
	if len(data) > maxRevisionFile {
		return "", fmt.Errorf("nixpkgs: %s: over %d bytes: not a git-revision file", where, maxRevisionFile)
	}
	rev := strings.TrimSpace(string(data))
	if !IsRevision(rev) {
		if len(rev) > 80 {
			rev = rev[:80] + "…"
		}
		return "", fmt.Errorf("nixpkgs: %s: %q is not a git commit id", where, rev)
	}
	return rev, nil
}
