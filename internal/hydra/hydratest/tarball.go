// The tarball job and its products. This file models nixpkgs' `tarball`
// job and how Hydra serves its build products:
//
//   - the job (nixpkgs pkgs/top-level/make-tarball.nix, a
//     releaseTools.sourceTarball of pkgs/build-support/release/
//     source-tarball.nix): its checkPhase writes packages.json.br and the
//     line "file json-br $out/packages.json.br" to
//     nix-support/hydra-build-products; source-tarball.nix's finalPhase,
//     which runs after it, adds "file source-dist $out/tarballs/<release>.tar.xz"
//     and writes hydra-release-name from the tarball's name with
//     `sed -e 's^\.[a-z].*^^'`. Hydra numbers the products in the file's
//     order: 1 is packages.json.br, 2 the tarball. meta.schedulingPriority
//     is 200;
//   - the routes (NixOS/hydra subprojects/hydra/lib/Hydra/Controller/
//     JobsetEval.pm `job`, Build.pm `download`, `download_by_type`,
//     `defaultUriForProduct`, `serveFile`; Schema/Result/BuildProducts.pm
//     for the JSON fields).
package hydratest

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

// TarballJob is the job name of nixpkgs' tarball (no system suffix).
const TarballJob = "tarball"

// NixpkgsVersion is the .version the fake's tarballs carry.
const NixpkgsVersion = "26.05"

// TarballSpec describes one evaluation's tarball build.
type TarballSpec struct {
	ID int64
	// Status is the build status: 0 succeeded (the only one with products
	// and a release name), < 0 still queued, anything else a failure.
	Status int
	// Revision is the evaluated nixpkgs revision (40 hex digits).
	Revision string
	// Time is when the revision was committed (the date in the version
	// suffix) and, plus a little, when the build ran.
	Time int64
	// Packages is packages.json (uncompressed); packages.json.br is its
	// brotli compression.
	Packages []byte
	Project  string
	Jobset   string
	// DrvHash is the hash part of the .drv path (made from the revision
	// when empty).
	DrvHash string
}

// NewTarballBuild makes the tarball job's build for spec.
func NewTarballBuild(spec TarballSpec) *Build {
	rev := spec.Revision
	short := rev
	if len(short) > 7 {
		short = short[:7]
	}
	day := time.Unix(spec.Time, 0).UTC().Format("20060102")
	suffix := "pre" + day + "." + short
	release := "nixpkgs-" + NixpkgsVersion + suffix
	nixname := "nixpkgs-tarball-" + NixpkgsVersion + suffix
	sum := sha256.Sum256([]byte("tarball " + rev + " " + strconv.FormatInt(spec.ID, 10)))
	var h [32]byte
	for i := range h {
		h[i] = nixBase32[sum[i]&31]
	}
	if spec.DrvHash == "" {
		spec.DrvHash = string(h[:])
	}
	drv := "/nix/store/" + spec.DrvHash + "-" + nixname + ".drv"
	b := &Build{Build: hydra.Build{
		ID: spec.ID, Project: spec.Project, Jobset: spec.Jobset, Job: TarballJob, NixName: nixname,
		System: "x86_64-linux", Finished: hydra.Flag(spec.Status >= 0), Priority: 200,
		Timestamp: spec.Time + 300, DrvPath: drv,
	}}
	if spec.Status < 0 {
		return b
	}
	b.BuildStatus = ptr(spec.Status)
	b.StartTime, b.StopTime = spec.Time+600, spec.Time+600+1500
	if spec.Status != 0 {
		b.Log = "generating packages.json\nerror: evaluation aborted\nERROR: not enough packages in the search index, bailing out!\n"
		return b
	}
	b.Log = "generating packages.json\nrelease name is " + release + "\n"
	b.ReleaseName = sedReleaseName(release + ".tar.xz")
	out := outPath(drv, nixname, "out")
	b.Products = []Product{
		{Type: "file", Subtype: "json-br", Name: "packages.json.br", Path: out + "/packages.json.br", Content: brotliFile(spec.Packages)},
		{Type: "file", Subtype: "source-dist", Name: release + ".tar.xz", Path: out + "/tarballs/" + release + ".tar.xz",
			Content: xzStore(sourceTar(release, suffix, rev, spec.Time))},
	}
	return b
}

// sedReleaseName is `sed -e 's^\.[a-z].*^^'` on the tarball's file name:
// everything from the first dot followed by a lower-case letter goes, so a
// short revision starting with a letter is cut off with the extension
// ("nixpkgs-26.05pre20260101.abc1234.tar.xz" → "nixpkgs-26.05pre20260101")
// and one starting with a digit is kept.
func sedReleaseName(file string) string {
	for i := 0; i+1 < len(file); i++ {
		if file[i] == '.' && 'a' <= file[i+1] && file[i+1] <= 'z' {
			return file[:i]
		}
	}
	return file
}

// brotliFile compresses as `brotli -9` would store the file (the fake uses
// a faster level; the bytes decode the same).
func brotliFile(data []byte) []byte {
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, 5)
	w.Write(data)
	w.Close()
	return buf.Bytes()
}

// sourceTar is a small stand-in for the nixpkgs source tarball: the two
// files make-tarball.nix adds (.version-suffix, .git-revision) and a
// default.nix, under the release name.
func sourceTar(release, suffix, rev string, mtime int64) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	files := []struct{ name, body string }{
		{".git-revision", rev},
		{".version", NixpkgsVersion},
		{".version-suffix", suffix},
		{"default.nix", "# The fake nixpkgs of markbot's hydratest.\nimport ./pkgs/top-level/impure.nix\n"},
	}
	for _, f := range files {
		tw.WriteHeader(&tar.Header{Name: release + "/" + f.name, Mode: 0o444, Size: int64(len(f.body)),
			ModTime: time.Unix(mtime, 0), Format: tar.FormatGNU})
		tw.Write([]byte(f.body))
	}
	tw.Close()
	return buf.Bytes()
}

// xzStore writes data as a valid .xz file with one block of uncompressed
// LZMA2 chunks (the xz format allows them; any xz decoder reads it).
func xzStore(data []byte) []byte {
	le32 := func(b []byte, v uint32) []byte { return binary.LittleEndian.AppendUint32(b, v) }
	var out []byte
	out = append(out, 0xFD, '7', 'z', 'X', 'Z', 0x00, 0x00, 0x01) // magic, flags: CRC32 check
	out = le32(out, crc32.ChecksumIEEE([]byte{0x00, 0x01}))
	// Block header: size, flags (one filter), LZMA2 with a 4 KiB dictionary, padding.
	hdr := []byte{0x02, 0x00, 0x21, 0x01, 0x00, 0x00, 0x00, 0x00}
	hdr = le32(hdr, crc32.ChecksumIEEE(hdr))
	out = append(out, hdr...)
	blockStart := len(out)
	for i := 0; i < len(data); i += 1 << 16 {
		chunk := data[i:min(i+1<<16, len(data))]
		ctl := byte(0x02)
		if i == 0 {
			ctl = 0x01 // uncompressed, dictionary reset
		}
		out = append(out, ctl, byte((len(chunk)-1)>>8), byte(len(chunk)-1))
		out = append(out, chunk...)
	}
	out = append(out, 0x00)
	unpadded := len(hdr) + len(out) - blockStart + 4
	for (len(out)-blockStart)%4 != 0 {
		out = append(out, 0)
	}
	out = le32(out, crc32.ChecksumIEEE(data))
	// Index: one record.
	idx := []byte{0x00, 0x01}
	idx = binary.AppendUvarint(idx, uint64(unpadded))
	idx = binary.AppendUvarint(idx, uint64(len(data)))
	for len(idx)%4 != 0 {
		idx = append(idx, 0)
	}
	idx = le32(idx, crc32.ChecksumIEEE(idx))
	out = append(out, idx...)
	footer := le32(nil, uint32(len(idx)/4-1))
	footer = append(footer, 0x00, 0x01)
	out = le32(out, crc32.ChecksumIEEE(footer))
	out = append(out, footer...)
	return append(out, 'Y', 'Z')
}

// wireProducts is a build's buildproducts as Builds.pm as_json keys them
// (by productnr) with BuildProducts.pm's json_hint columns.
func wireProducts(b *Build, out map[string]wireProduct) {
	for i, p := range b.Products {
		size := int64(len(p.Content))
		sum := sha256.Sum256(p.Content)
		hash := hex.EncodeToString(sum[:])
		out[strconv.Itoa(i+1)] = wireProduct{Type: p.Type, Subtype: p.Subtype, Name: p.Name, Path: p.Path,
			DefaultPath: p.DefaultPath, FileSize: &size, SHA256: &hash}
	}
}

// products is a build's products as Hydra has them: its own, or the
// nix-build product of a succeeded build without hydra-build-products.
func products(b *Build) []Product {
	if b.Products != nil {
		return b.Products
	}
	if b.BuildStatus == nil || *b.BuildStatus != 0 {
		return nil
	}
	outs := b.Outputs
	if len(outs) == 0 {
		outs = []string{"out"}
	}
	return []Product{{Type: "nix-build", Name: b.NixName, Path: outPath(b.DrvPath, b.NixName, outs[0])}}
}

// pathCompRE is Hydra's $pathCompRE (Helper/CatalystUtils.pm).
var pathCompRE = regexp.MustCompile(`^[A-Za-z0-9+._$-][A-Za-z0-9+._$:-]*$`)

// evalJob is JobsetEval.pm's `job`: a redirect to the evaluation's build
// of a job, with the rest of the path appended.
func (f *Fake) evalJob(w http.ResponseWriter, r *http.Request, eval int64, job string, rest []string) {
	ix := f.index(eval)
	var id int64
	if ix != nil {
		i := sort.Search(len(ix.members), func(i int) bool { return ix.members[i].job >= job })
		if i < len(ix.members) && ix.members[i].job == job {
			id = ix.members[i].id
		}
	}
	if id == 0 {
		f.fail(w, r, http.StatusNotFound, "This evaluation has no job with the specified name.", true)
		return
	}
	u := f.base(r) + "/build/" + strconv.FormatInt(id, 10)
	for _, s := range rest {
		u += "/" + pathEscape(s)
	}
	http.Redirect(w, r, u, http.StatusFound)
}

// defaultURI is Build.pm's defaultUriForProduct.
func (f *Fake) defaultURI(r *http.Request, b *Build, nr int, p *Product, rest []string) string {
	u := f.base(r) + "/build/" + strconv.FormatInt(b.ID, 10) + "/download/" + strconv.Itoa(nr)
	x := ""
	if p.Name != "" {
		x += "/" + p.Name
	}
	if p.DefaultPath != "" {
		x += "/" + p.DefaultPath
	}
	for _, s := range strings.Split(x, "/") {
		if s != "" {
			u += "/" + pathEscape(s)
		}
	}
	for _, s := range rest {
		u += "/" + pathEscape(s)
	}
	return u
}

// download is Build.pm's download: /build/{id}/download[/{productnr or
// name}[/path…]].
func (f *Fake) download(w http.ResponseWriter, r *http.Request, b *Build, args []string) {
	ref := "1"
	if len(args) > 0 {
		ref, args = args[0], args[1:]
	}
	ps := products(b)
	nr := 0
	if digitsRE.MatchString(ref) {
		n, err := strconv.Atoi(ref)
		if err == nil && n >= 1 && n <= len(ps) {
			nr = n
		}
	} else {
		for i := range ps {
			if ps[i].Name == ref {
				nr = i + 1
				break
			}
		}
		args = append([]string{ref}, args...)
	}
	if nr == 0 {
		f.fail(w, r, http.StatusNotFound, fmt.Sprintf("Build doesn't have a product %s.", ref), true)
		return
	}
	p := &ps[nr-1]
	if len(args) == 0 && (p.Name != "" || p.DefaultPath != "") {
		http.Redirect(w, r, f.defaultURI(r, b, nr, p, nil), http.StatusFound)
		return
	}
	if p.Name != "" && len(args) > 0 {
		args = args[1:] // the name, there for information only
	}
	for _, s := range args {
		if !pathCompRE.MatchString(s) {
			f.fail(w, r, http.StatusInternalServerError, fmt.Sprintf("Invalid filename '%s'.", s), true)
			return
		}
	}
	path := p.Path
	if len(args) > 0 {
		path += "/" + strings.Join(args, "/")
	}
	f.serveFile(w, r, b, p, path, len(args) > 0)
}

// serveFile is Build.pm's serveFile for the fake's products: a file
// product is a regular file (anything below it does not exist); a
// nix-build product is a directory without index.html.
func (f *Fake) serveFile(w http.ResponseWriter, r *http.Request, b *Build, p *Product, path string, below bool) {
	switch {
	case below:
		f.fail(w, r, http.StatusNotFound, fmt.Sprintf("File '%s' does not exist.", path), true)
		return
	case p.Content == nil && !strings.HasSuffix(r.URL.Path, "/"):
		http.Redirect(w, r, strings.TrimSuffix(f.base(r), f.Prefix)+r.URL.EscapedPath()+"/", http.StatusFound)
		return
	case p.Content == nil:
		f.fail(w, r, http.StatusInternalServerError, fmt.Sprintf("Do not know how to serve path '%s'.", path), true)
		return
	}
	// Have the hosted data considered its own origin (Build.pm's words).
	w.Header().Set("Content-Security-Policy", "sandbox allow-scripts")
	w.Header().Set("Content-Type", mimeTypeOf(path))
	w.Header().Set("Last-Modified", time.Unix(b.StopTime, 0).UTC().Format(http.TimeFormat))
	w.Header().Set("Vary", "Accept")
	w.Write(p.Content)
}

// mimeTypes are the MIME::Types (lib/MIME/types.db) entries of the
// extensions a product may have. MIME::Types has none for "br", so
// packages.json.br goes out as text/plain, which Hydra's View::Plain makes
// "text/plain; charset=utf-8".
var mimeTypes = map[string]string{
	"xz": "application/x-xz", "gz": "application/gzip", "bz2": "application/x-bzip2", "tar": "application/x-tar",
	"json": "application/json", "txt": "text/plain", "html": "text/html", "zst": "application/zstd",
	"zip": "application/zip", "iso": "application/x-iso9660-image", "pdf": "application/pdf",
}

// mimeTypeOf is serveFile's choice: the extension after the last dot,
// looked up in MIME::Types; text/plain (with charset) if unknown.
func mimeTypeOf(path string) string {
	t := "text/plain"
	if i := strings.LastIndexByte(path, '.'); i >= 0 && i+1 < len(path) && !strings.ContainsAny(path[i+1:], " \t\n/") {
		if m, ok := mimeTypes[strings.ToLower(path[i+1:])]; ok {
			t = m
		}
	}
	if t == "text/plain" {
		return "text/plain; charset=utf-8"
	}
	return t
}

// downloadByType is Build.pm's download_by_type: a redirect to the first
// product (by productnr) of that type and subtype.
func (f *Fake) downloadByType(w http.ResponseWriter, r *http.Request, b *Build, args []string) {
	if len(args) < 2 {
		f.fail(w, r, http.StatusNotFound, "You need to specify a type and a subtype in the URI.", true)
		return
	}
	ps := products(b)
	for i := range ps {
		if ps[i].Type == args[0] && ps[i].Subtype == args[1] {
			http.Redirect(w, r, f.defaultURI(r, b, i+1, &ps[i], args[2:]), http.StatusFound)
			return
		}
	}
	f.fail(w, r, http.StatusNotFound, fmt.Sprintf("Build doesn't have a build product with type %s/%s.", args[0], args[1]), true)
}
