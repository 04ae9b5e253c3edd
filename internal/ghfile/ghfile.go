// Package ghfile reads one file of a GitHub repository at a ref, whatever its
// size up to a cap: the step every part of markbot that reads nixpkgs from
// GitHub goes through (internal/prs: the base branch and the evaluated
// revision; a marking PR's head when dropping; internal/bot's revert loop).
//
// GitHub's "Get repository content" documentation
// (https://docs.github.com/rest/repos/contents#get-repository-content, "Size
// limits") gives a file of up to 1 MB inline, base64 in the JSON; one of 1 to
// 100 MB with "encoding": "none" and an empty "content"; and nothing over
// 100 MB. "Get a blob" (https://docs.github.com/rest/git/blobs#get-a-blob)
// serves blobs up to 100 MB, raw with application/vnd.github.raw+json. So a
// Reader asks the contents API first (one request: what every file but a
// handful in nixpkgs costs), and only when the answer says "none" reads the
// blob it names (a second request), after checking the size against its own
// cap (nixedit.MaxFileSize, 64 MiB, what markbot would parse). It does not
// use go-github's DownloadContents, which lists the file's whole directory
// first (pkgs/top-level: a large listing) and downloads from
// raw.githubusercontent.com.
//
// Every answer is read through a cap: the JSON at MaxJSON, a blob at the
// size the contents answer gave, and the blob is checked to be that size and
// to hash to that SHA.
package ghfile

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/nixedit"
)

// API is the part of a go-github client a Reader uses: building a request
// under its base URL and doing it with its authentication, rate-limit
// bookkeeping and error types (*github.Client).
type API interface {
	NewRequest(method, urlStr string, body interface{}, opts ...github.RequestOption) (*http.Request, error)
	Do(ctx context.Context, req *http.Request, v interface{}) (*github.Response, error)
}

var _ API = (*github.Client)(nil)

// MaxJSON caps a contents answer: a 1 MB file is about 1.4 MB of wrapped
// base64, and a directory listing (a path that is not a file) is not read
// past it.
const MaxJSON = 4 << 20

// rawMediaType is "Get a blob"'s raw media type, as its documentation names it.
const rawMediaType = "application/vnd.github.raw+json"

// Reader reads files of one repository.
type Reader struct {
	API         API
	Owner, Repo string
	// MaxSize is the largest file read (0: nixedit.MaxFileSize, 64 MiB).
	MaxSize int64
	// Log gets a debug line per file read through the blobs API (nil: none).
	Log logrus.FieldLogger
}

// File is a file read at a ref.
type File struct {
	Path, Ref string
	// SHA is the file's blob and Size its length in bytes.
	SHA  string
	Size int64
	// Content is the file.
	Content []byte
	// Requests is what reading it cost: 1, or 2 through the blobs API.
	Requests int
}

// ErrTooLarge is what every *TooLargeError is (errors.Is).
var ErrTooLarge = errors.New("file too large")

// TooLargeError is a file markbot does not read for its size: over its own
// cap (ByGitHub false; Size known), or refused by GitHub (ByGitHub true; 403
// "too_large", Size 0 when GitHub did not say it).
type TooLargeError struct {
	Path, Ref string
	Size      int64
	Limit     int64
	ByGitHub  bool
}

func (e *TooLargeError) Error() string {
	at := e.Path + " at " + shortRef(e.Ref)
	if e.ByGitHub {
		if e.Size > 0 {
			return fmt.Sprintf("%s: too large: GitHub refuses to serve its %d bytes (its limit is 100 MB)", at, e.Size)
		}
		return at + ": too large: GitHub refuses to serve it (its limit is 100 MB)"
	}
	return fmt.Sprintf("%s: too large: %d bytes, over markbot's limit of %d MiB", at, e.Size, e.Limit>>20)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// UnknownRefError is a ref the repository has no commit for (GitHub's 404
// "No commit found for the ref …").
type UnknownRefError struct{ Ref string }

func (e *UnknownRefError) Error() string { return "GitHub has no commit " + e.Ref }

// Read returns the file at path at ref (a commit SHA, branch or tag), or nil
// without an error when there is no such path there. A file too large to read
// is a *TooLargeError, a ref GitHub does not know an *UnknownRefError, a path
// that is a directory, symlink or submodule a *NotFileError; GitHub's own errors
// (rate limits included) are wrapped, so errors.As finds them.
func (r Reader) Read(ctx context.Context, ref, path string) (*File, error) {
	if !validPath(path) {
		return nil, fmt.Errorf("ghfile: %q is not a repository path", path)
	}
	if ref == "" {
		return nil, fmt.Errorf("ghfile: reading %s: no ref", path)
	}
	max := r.MaxSize
	if max <= 0 {
		max = nixedit.MaxFileSize
	}
	u := fmt.Sprintf("repos/%s/%s/contents/%s?%s", url.PathEscape(r.Owner), url.PathEscape(r.Repo),
		(&url.URL{Path: path}).EscapedPath(), url.Values{"ref": {ref}}.Encode())
	body, resp, err := r.get(ctx, u, "", MaxJSON)
	switch {
	case resp != nil && resp.StatusCode == http.StatusNotFound:
		if mentions(err, "No commit found") {
			return nil, &UnknownRefError{ref}
		}
		return nil, nil
	case tooLargeAnswer(err):
		return nil, &TooLargeError{Path: path, Ref: ref, Limit: max, ByGitHub: true}
	case err != nil:
		return nil, fmt.Errorf("GET contents %s at %s: %w", path, shortRef(ref), err)
	}
	c, err := DecodeContent(body)
	var nf *NotFileError
	if errors.As(err, &nf) {
		nf.Path, nf.Ref = path, ref
		return nil, nf
	}
	if err != nil {
		return nil, fmt.Errorf("GET contents %s at %s: %w", path, shortRef(ref), err)
	}
	f := &File{Path: path, Ref: ref, SHA: c.SHA, Size: c.Size, Requests: 1}
	if !c.Truncated {
		if c.Size > max {
			return nil, &TooLargeError{Path: path, Ref: ref, Size: c.Size, Limit: max}
		}
		f.Content = c.Content
		return f, nil
	}
	if c.Size > max {
		return nil, &TooLargeError{Path: path, Ref: ref, Size: c.Size, Limit: max}
	}
	// Over the contents API's inline limit: the blob the answer names.
	u = fmt.Sprintf("repos/%s/%s/git/blobs/%s", url.PathEscape(r.Owner), url.PathEscape(r.Repo), c.SHA)
	data, _, err := r.get(ctx, u, rawMediaType, c.Size)
	f.Requests++
	switch {
	case tooLargeAnswer(err):
		return nil, &TooLargeError{Path: path, Ref: ref, Size: c.Size, Limit: max, ByGitHub: true}
	case errors.Is(err, errOverCap):
		return nil, fmt.Errorf("GET blob %s (%s at %s): more than the %d bytes the contents API gave", c.SHA, path, shortRef(ref), c.Size)
	case err != nil:
		return nil, fmt.Errorf("GET blob %s (%s at %s): %w", c.SHA, path, shortRef(ref), err)
	}
	if err := checkBlob(data, c.Size, c.SHA); err != nil {
		return nil, fmt.Errorf("GET blob %s (%s at %s): %w", c.SHA, path, shortRef(ref), err)
	}
	if r.Log != nil {
		r.Log.WithFields(logrus.Fields{"file": path, "ref": ref, "bytes": c.Size, "requests": f.Requests}).
			Debug("read a file over the contents API's inline limit through the blobs API")
	}
	f.Content = data
	return f, nil
}

// get does one GET, reading at most max bytes of its answer.
func (r Reader) get(ctx context.Context, u, accept string, max int64) ([]byte, *github.Response, error) {
	req, err := r.API.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	w := &capWriter{max: max}
	if max <= 1<<30 {
		w.buf.Grow(int(min(max, 1<<20)))
	}
	resp, err := r.API.Do(ctx, req, w)
	if err != nil {
		return nil, resp, err
	}
	return w.buf.Bytes(), resp, nil
}

var errOverCap = errors.New("answer over its cap")

// capWriter keeps at most max bytes and fails past them.
type capWriter struct {
	buf bytes.Buffer
	max int64
}

func (w *capWriter) Write(p []byte) (int, error) {
	if int64(w.buf.Len())+int64(len(p)) > w.max {
		return 0, errOverCap
	}
	return w.buf.Write(p)
}

// checkBlob checks that data is the blob sha of size bytes.
func checkBlob(data []byte, size int64, sha string) error {
	if int64(len(data)) != size {
		return fmt.Errorf("%d bytes, the contents API said %d", len(data), size)
	}
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(data))
	h.Write(data)
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		return fmt.Errorf("the bytes hash to %s", got)
	}
	return nil
}

// tooLargeAnswer is GitHub's refusal of a file for its size: 403 with a
// "too_large" error.
func tooLargeAnswer(err error) bool {
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusForbidden {
		return false
	}
	for _, e := range er.Errors {
		if e.Code == "too_large" {
			return true
		}
	}
	return false
}

func mentions(err error, text string) bool {
	var er *github.ErrorResponse
	return errors.As(err, &er) && strings.Contains(er.Message, text)
}

// validPath is a relative slash-separated path with no empty, "." or ".."
// segment.
func validPath(p string) bool {
	if p == "" || len(p) > 4096 {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.ContainsAny(seg, "\x00\n\r") {
			return false
		}
	}
	return true
}

func shortRef(ref string) string {
	if len(ref) == 40 {
		return ref[:12]
	}
	return ref
}
