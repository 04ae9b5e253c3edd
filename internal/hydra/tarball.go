package hydra

// The locate step's packages index, from the evaluation itself: nixpkgs'
// `tarball` job (pkgs/top-level/make-tarball.nix, `nonPackageJobs.tarball`
// of pkgs/top-level/release.nix) writes packages.json.br and registers it
// as a build product (`file json-br $out/packages.json.br` in
// nix-support/hydra-build-products). nixos-channel-scripts'
// mirror-nixos-branch.pl finds it the same way: GET /eval/{id}/job/tarball
// as JSON, the product whose subtype is json-br, its sha256hash (base16).
//
// Hydra's routes (lib/Hydra/Controller/JobsetEval.pm `job`, Build.pm
// `build`, `download`, `serveFile`; Schema/Result/Builds.pm `as_json`,
// BuildProducts.pm `json_hint`):
//   - /eval/{id}/job/{job} answers 302 to /build/{bid}, or 404 "This
//     evaluation has no job with the specified name.";
//   - /build/{bid} with Accept: application/json is the build, whose
//     "buildproducts" object is keyed by productnr, each with type,
//     subtype, name, filesize, sha256hash, path and defaultpath;
//   - /build/{bid}/download/{productnr}/{name} serves the file's bytes as
//     they are in the store (brotli, with no Content-Encoding).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/sirupsen/logrus"
)

// DefaultMaxPackagesBytes caps the decompressed packages.json EvalPackages
// hands out (nixpkgs' is ~100 MB); brotli's ratio is unbounded, so the
// compressed size alone says nothing.
const DefaultMaxPackagesBytes = 512 << 20

// TarballJobs are the jobs tried, in order, for an evaluation's
// packages.json.br: "tarball" in nixpkgs' release.nix jobsets,
// "nixpkgs.tarball" in NixOS' release-combined.nix ones.
var TarballJobs = []string{"tarball", "nixpkgs.tarball"}

// maxTarballBuildJSON caps the answer of /build/{id} (a few kB).
const maxTarballBuildJSON = 4 << 20

// ErrNoEvalPackages is wrapped by every *TarballError: the evaluation has
// no usable packages.json.br, and the caller should use another index.
var ErrNoEvalPackages = errors.New("the evaluation has no packages.json.br")

// ErrTooLarge is wrapped by the error of a packages.json.br (compressed or
// decompressed) over the cap.
var ErrTooLarge = errors.New("larger than the cap")

// ErrChecksum is wrapped by the error of a download whose SHA-256 is not
// the product's sha256hash.
var ErrChecksum = errors.New("SHA-256 mismatch")

// TarballProblem says why an evaluation has no packages index to offer.
type TarballProblem string

// The problems EvalPackages reports as a *TarballError.
const (
	TarballNoJob      TarballProblem = "no tarball job"
	TarballUnfinished TarballProblem = "the tarball build is not finished"
	TarballFailed     TarballProblem = "the tarball build did not succeed"
	TarballNoProduct  TarballProblem = "the tarball build has no json-br product"
)

// TarballError is an evaluation without a usable packages.json.br: no
// tarball job, a tarball build unfinished or failed, or no json-br
// product. errors.Is(err, ErrNoEvalPackages) holds.
type TarballError struct {
	Eval    int64
	Problem TarballProblem
	// URL is the request that told (for TarballNoJob the first job's,
	// TarballJobs[0]; every one answered 404).
	URL string
	// Build is the tarball build (0 for TarballNoJob); Status its status.
	Build  int64
	Status Status
	// Message is Hydra's error text, when it sent one.
	Message string
}

func (e *TarballError) Error() string {
	s := fmt.Sprintf("evaluation %d: %s", e.Eval, e.Problem)
	switch e.Problem {
	case TarballFailed:
		s += fmt.Sprintf(" (build %d: %s)", e.Build, e.Status)
	case TarballUnfinished, TarballNoProduct:
		s += fmt.Sprintf(" (build %d)", e.Build)
	case TarballNoJob:
		s += " (" + strings.Join(TarballJobs, ", ") + ")"
	}
	s += ": GET " + e.URL
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

func (e *TarballError) Unwrap() error { return ErrNoEvalPackages }

// BuildProduct is one build product as /build/{id} lists it.
type BuildProduct struct {
	Nr          int           `json:"-"`
	Type        string        `json:"type"`
	Subtype     string        `json:"subtype"`
	Name        string        `json:"name"`
	FileSize    *productInt   `json:"filesize"`
	SHA256Hash  *string       `json:"sha256hash"`
	Path        string        `json:"path"`
	DefaultPath productString `json:"defaultpath"`
}

// TarballInfo says where EvalPackages' index came from.
type TarballInfo struct {
	Eval    int64
	Job     string
	Build   int64
	NixName string // "nixpkgs-tarball-26.05pre…"
	Product BuildProduct
	// URL is the download; Bytes how many (compressed) bytes it had.
	URL   string
	Bytes int64
	// SHA256 is the download's hash, hex; Verified says it matched the
	// product's sha256hash (false: Hydra had none).
	SHA256   string
	Verified bool
	// Cached: opened from a PackagesCache, with no request.
	Cached bool `json:"-"`
}

// tarballBuild is what EvalPackages reads of /build/{id}.
type tarballBuild struct {
	ID          int64                   `json:"id"`
	Job         string                  `json:"job"`
	NixName     string                  `json:"nixname"`
	Finished    Flag                    `json:"finished"`
	BuildStatus *productInt             `json:"buildstatus"`
	Products    map[string]BuildProduct `json:"buildproducts"`
}

// EvalPackages opens the packages.json of evaluation evalID: the json-br
// product of its tarball job (TarballJobs), downloaded through the client
// (rate limit, retries, User-Agent) into a temporary file, its size
// checked against the product's filesize and maxBytes, its SHA-256
// against the product's sha256hash (base16, as Hydra's queue runner
// stores it; nix base32 and SRI are accepted too). The reader yields the
// decompressed JSON and fails with ErrTooLarge past maxBytes decompressed
// bytes (0: DefaultMaxPackagesBytes). Close it: that removes the file.
//
// No tarball job, a tarball build unfinished or failed, or no json-br
// product is a *TarballError (errors.Is ErrNoEvalPackages): the caller
// falls back to another index. Every error names the URL.
func (c *Client) EvalPackages(ctx context.Context, evalID int64, maxBytes int64) (io.ReadCloser, *TarballInfo, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxPackagesBytes
	}
	b, job, u, err := c.tarballBuild(ctx, evalID)
	if err != nil {
		return nil, nil, err
	}
	log := c.log.WithFields(logrus.Fields{"eval": evalID, "job": job, "build": b.ID})
	if !b.Finished || b.BuildStatus == nil {
		return nil, nil, &TarballError{Eval: evalID, Problem: TarballUnfinished, URL: u, Build: b.ID, Status: StatusUnfinished}
	}
	if st := Status(*b.BuildStatus); st != StatusSucceeded {
		return nil, nil, &TarballError{Eval: evalID, Problem: TarballFailed, URL: u, Build: b.ID, Status: st}
	}
	p, ok := packagesProduct(b.Products)
	if !ok {
		return nil, nil, &TarballError{Eval: evalID, Problem: TarballNoProduct, URL: u, Build: b.ID}
	}
	info := &TarballInfo{Eval: evalID, Job: job, Build: b.ID, NixName: b.NixName, Product: p}
	dl := "build/" + strconv.FormatInt(b.ID, 10) + "/download/" + strconv.Itoa(p.Nr)
	if p.Name != "" {
		dl += "/" + p.Name
	}
	info.URL = c.URL(dl)
	var want []byte
	if p.SHA256Hash != nil && *p.SHA256Hash != "" {
		if want, err = ParseSHA256(*p.SHA256Hash); err != nil {
			return nil, nil, fmt.Errorf("GET %s: product %d: %w", u, p.Nr, err)
		}
	}
	limit := maxBytes // compressed bytes: never more than the cap
	if p.FileSize != nil {
		if int64(*p.FileSize) > maxBytes {
			return nil, nil, fmt.Errorf("%s: %d bytes: %w of %d bytes", info.URL, int64(*p.FileSize), ErrTooLarge, maxBytes)
		}
		limit = int64(*p.FileSize)
	}

	var file *os.File
	err = c.fetch(ctx, info.URL, "application/octet-stream, */*;q=0.5", true, func(r *response) error {
		if file != nil { // an earlier attempt's
			file.Close()
			os.Remove(file.Name())
			file = nil
		}
		if mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type")); mt == "text/html" {
			return fmt.Errorf("GET %s: answered an HTML page, not packages.json.br", r.url)
		}
		f, err := os.CreateTemp("", "markbot-packages-*.json.br")
		if err != nil {
			return fmt.Errorf("GET %s: %w", r.url, err)
		}
		file = f
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(r.body, limit+1))
		if err != nil {
			if isTransient(err) {
				return &transientError{fmt.Errorf("GET %s: reading the answer: %w", r.url, err)}
			}
			return fmt.Errorf("GET %s: reading the answer: %w", r.url, err)
		}
		return checkTarballDownload(r.url, n, limit, p, h, want, maxBytes, info)
	})
	if err != nil {
		if file != nil {
			file.Close()
			os.Remove(file.Name())
		}
		return nil, nil, err
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		file.Close()
		os.Remove(file.Name())
		return nil, nil, fmt.Errorf("%s: %w", info.URL, err)
	}
	log.WithFields(logrus.Fields{"url": info.URL, "bytes": info.Bytes, "verified": info.Verified}).Info("hydra: the evaluation's packages.json.br")
	return newPackagesReader(file, info.URL, maxBytes), info, nil
}

// checkTarballDownload checks a downloaded product's size and hash, and records
// them in info.
func checkTarballDownload(u string, n, limit int64, p BuildProduct, h hash.Hash, want []byte, maxBytes int64, info *TarballInfo) error {
	switch {
	case n > limit && p.FileSize != nil:
		return fmt.Errorf("GET %s: more than the %d bytes Hydra lists for the product", u, limit)
	case n > limit:
		return fmt.Errorf("GET %s: more than %d bytes: %w", u, maxBytes, ErrTooLarge)
	case p.FileSize != nil && n != limit:
		return fmt.Errorf("GET %s: %d bytes, Hydra lists %d for the product", u, n, limit)
	}
	sum := h.Sum(nil)
	info.Bytes, info.SHA256 = n, hex.EncodeToString(sum)
	if want != nil {
		if !bytes.Equal(sum, want) {
			return fmt.Errorf("GET %s: %w: sha256 %s, Hydra lists %s", u, ErrChecksum, info.SHA256, hex.EncodeToString(want))
		}
		info.Verified = true
	}
	return nil
}

// tarballBuild finds the evaluation's tarball build: the first of
// TarballJobs it has.
func (c *Client) tarballBuild(ctx context.Context, evalID int64) (*tarballBuild, string, string, error) {
	var first *StatusError
	var firstURL string
	for _, job := range TarballJobs {
		u := c.URL("eval/" + strconv.FormatInt(evalID, 10) + "/job/" + job)
		var b tarballBuild
		final := u
		err := c.fetch(ctx, u, "application/json", true, func(r *response) error {
			final = r.url
			if err := checkJSON(r); err != nil {
				return err
			}
			lr := &io.LimitedReader{R: r.body, N: maxTarballBuildJSON + 1}
			dec := json.NewDecoder(lr)
			b = tarballBuild{}
			if err := dec.Decode(&b); err != nil {
				if lr.N <= 0 {
					return fmt.Errorf("GET %s: the build's JSON is over %d bytes", r.url, maxTarballBuildJSON)
				}
				return decodeErr(r.url, noEOF(err))
			}
			return nil
		})
		var se *StatusError
		if errors.As(err, &se) && se.Code == 404 {
			if first == nil {
				first, firstURL = se, u
			}
			continue
		}
		if err != nil {
			return nil, "", "", err
		}
		if b.ID == 0 {
			return nil, "", "", fmt.Errorf("GET %s (from %s): no build id in the answer", final, u)
		}
		return &b, job, final, nil
	}
	return nil, "", "", &TarballError{Eval: evalID, Problem: TarballNoJob, URL: firstURL, Message: first.Message}
}

// packagesProduct picks the json-br product: named packages.json.br if
// one is, else the lowest productnr (as download-by-type/file/json-br
// does).
func packagesProduct(products map[string]BuildProduct) (BuildProduct, bool) {
	var found []BuildProduct
	for k, p := range products {
		nr, err := strconv.Atoi(k)
		if err != nil || p.Type != "file" || p.Subtype != "json-br" {
			continue
		}
		p.Nr = nr
		found = append(found, p)
	}
	if len(found) == 0 {
		return BuildProduct{}, false
	}
	slices.SortFunc(found, func(a, b BuildProduct) int { return a.Nr - b.Nr })
	for _, p := range found {
		if p.Name == "packages.json.br" {
			return p, true
		}
	}
	return found[0], true
}

// packagesReader decompresses the downloaded file (or passes JSON through:
// a server that undid the brotli itself) and caps what it yields.
type packagesReader struct {
	file  *os.File
	r     io.Reader
	url   string
	left  int64
	limit int64
	keep  bool // a PackagesCache's file: closed, not removed
}

func newPackagesReader(f *os.File, u string, limit int64) *packagesReader {
	br := bufio.NewReaderSize(f, 64<<10)
	var r io.Reader = br
	if head, _ := br.Peek(1); len(head) == 0 || head[0] != '{' {
		r = brotli.NewReader(br)
	}
	return &packagesReader{file: f, r: r, url: u, left: limit, limit: limit}
}

func (p *packagesReader) Read(b []byte) (int, error) {
	if p.left <= 0 {
		// One more byte tells a file of exactly limit bytes from a larger one.
		var one [1]byte
		for {
			n, err := p.r.Read(one[:])
			if n > 0 {
				return 0, fmt.Errorf("%s: decompressed, more than %d bytes: %w", p.url, p.limit, ErrTooLarge)
			}
			if err != nil {
				return 0, p.wrap(err)
			}
		}
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	n, err := p.r.Read(b)
	p.left -= int64(n)
	return n, p.wrap(err)
}

func (p *packagesReader) wrap(err error) error {
	if err == nil || err == io.EOF {
		return err
	}
	return fmt.Errorf("%s: brotli: %w", p.url, err)
}

// Close closes and removes the downloaded file (a PackagesCache's stays).
func (p *packagesReader) Close() error {
	err := p.file.Close()
	if p.keep {
		return err
	}
	if rerr := os.Remove(p.file.Name()); err == nil {
		err = rerr
	}
	return err
}

// ParseSHA256 reads a SHA-256 as Hydra or Nix write it: base16 (what
// Hydra's queue runner stores in buildproducts.sha256hash), nix base32
// (52 characters), or SRI ("sha256-…" base64), optionally prefixed with
// "sha256:".
func ParseSHA256(s string) ([]byte, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "sha256:")
	switch {
	case strings.HasPrefix(t, "sha256-"):
		b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(t, "sha256-"))
		if err == nil && len(b) == sha256.Size {
			return b, nil
		}
	case len(t) == 2*sha256.Size:
		if b, err := hex.DecodeString(t); err == nil {
			return b, nil
		}
	case len(t) == nixBase32Len(sha256.Size):
		if b, ok := decodeNixBase32(t, sha256.Size); ok {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%q is not a SHA-256 (base16, nix base32 or SRI)", s)
}

// nixBase32 is Nix's base32 alphabet (no e, o, u, t).
const nixBase32 = "0123456789abcdfghijklmnpqrsvwxyz"

func nixBase32Len(size int) int { return (size*8-1)/5 + 1 }

// decodeNixBase32 is Nix's parseHash32 (libutil/hash.cc): the last
// character holds the lowest bits.
func decodeNixBase32(s string, size int) ([]byte, bool) {
	out := make([]byte, size)
	for n := 0; n < len(s); n++ {
		d := strings.IndexByte(nixBase32, s[len(s)-n-1])
		if d < 0 {
			return nil, false
		}
		b := n * 5
		i, j := b/8, uint(b%8)
		out[i] |= byte(d << j)
		if i < size-1 {
			out[i+1] |= byte(d >> (8 - j))
		} else if d>>(8-j) != 0 {
			return nil, false
		}
	}
	return out, true
}

// productInt is an integer Hydra may write as a number or a string.
type productInt int64

func (f *productInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if s == "null" || s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return fmt.Errorf("hydra: %s is not an integer", b)
	}
	*f = productInt(n)
	return nil
}

// productString is a string that may be null.
type productString string

func (s *productString) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = productString(v)
	return nil
}
