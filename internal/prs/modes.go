package prs

// The tree step's file modes: an edited file keeps the mode its entry has
// in the tree the edit is written on top of.
//
// GitHub's "Create a tree" (POST /repos/{o}/{r}/git/trees) writes each
// entry with the mode it is sent (100644 file, 100755 executable, 120000
// symlink, 160000 submodule, 040000 directory), also over base_tree: an
// entry sent as 100644 for an executable file drops its executable bit.
// Neither the contents API nor the commits API carries a file's mode, so
// it is read from the base tree: GET /repos/{o}/{r}/git/trees/{sha}
// (non-recursive), one directory at a time from the root down to each
// file's directory, each tree read once a run (trees are immutable, so
// the cache is keyed by SHA). A file at depth d costs d+1 reads the first
// time (pkgs/by-name/he/hello/package.nix: 5), and only its new
// directories after that. A recursive read of nixpkgs' root tree would be
// one request but tens of megabytes, and GitHub truncates recursive trees
// past 100,000 entries or 7 MB.

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/google/go-github/v60/github"
)

// maxTreeEntries bounds one directory's listing (nixpkgs' largest,
// pkgs/development/python-modules, holds under 10,000).
const maxTreeEntries = 100_000

// treeCache holds the trees one run has read, by SHA.
type treeCache map[string][]*github.TreeEntry

// fileModes returns the mode of each of files in the tree root of
// owner/repo, read through g. A file that is not a regular file there (a
// symlink, a submodule, a directory) or is missing is an error naming it:
// writing it as a blob would replace what is there.
func (r *run) fileModes(ctx context.Context, g Git, owner, repo, root string, files []string) (map[string]string, error) {
	if r.trees == nil {
		r.trees = treeCache{}
	}
	modes := make(map[string]string, len(files))
	for _, f := range files {
		dir, name := path.Split(f)
		sha := root
		for _, comp := range strings.Split(strings.TrimSuffix(dir, "/"), "/") {
			if comp == "" {
				continue
			}
			e, err := r.treeEntry(ctx, g, owner, repo, sha, comp)
			if err != nil {
				return nil, fmt.Errorf("mode of %s: %w", f, err)
			}
			if e == nil || e.GetType() != "tree" {
				return nil, fmt.Errorf("mode of %s: %s is not a directory in tree %s", f, strings.TrimSuffix(dir, "/"), short(root))
			}
			sha = e.GetSHA()
		}
		e, err := r.treeEntry(ctx, g, owner, repo, sha, name)
		if err != nil {
			return nil, fmt.Errorf("mode of %s: %w", f, err)
		}
		if e == nil {
			return nil, fmt.Errorf("%s is not in tree %s", f, short(root))
		}
		switch m := e.GetMode(); m {
		case "100644", "100755":
			modes[f] = m
		case "120000":
			return nil, fmt.Errorf("%s is a symbolic link (mode 120000): markbot edits the file it points to, never the link", f)
		case "160000":
			return nil, fmt.Errorf("%s is a submodule (mode 160000), not a file", f)
		default:
			return nil, fmt.Errorf("%s has mode %q in tree %s, not a regular file's", f, m, short(root))
		}
	}
	return modes, nil
}

// treeEntry finds name in the tree sha (nil when absent), reading the tree
// at most once a run.
func (r *run) treeEntry(ctx context.Context, g Git, owner, repo, sha, name string) (*github.TreeEntry, error) {
	entries, ok := r.trees[sha]
	if !ok {
		var t *github.Tree
		err := r.call(ctx, "GET tree "+short(sha), func(ctx context.Context) (resp *github.Response, err error) {
			t, resp, err = g.GetTree(ctx, owner, repo, sha, false)
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		if t.GetTruncated() || len(t.Entries) > maxTreeEntries {
			return nil, fmt.Errorf("tree %s of %s/%s: GitHub's listing is truncated or over %d entries", short(sha), owner, repo, maxTreeEntries)
		}
		entries = t.Entries
		r.trees[sha] = entries
	}
	for _, e := range entries {
		if e.GetPath() == name {
			return e, nil
		}
	}
	return nil, nil
}

// blobEntries are the tree entries writing files (path → new content) with
// the modes fileModes read.
func blobEntries(files []string, content func(i int) string, modes map[string]string) []*github.TreeEntry {
	entries := make([]*github.TreeEntry, 0, len(files))
	for i, f := range files {
		entries = append(entries, &github.TreeEntry{Path: github.String(f), Mode: github.String(modes[f]),
			Type: github.String("blob"), Content: github.String(content(i))})
	}
	return entries
}
