package hydra_test

// Tests of EvalPackages (the locate step's index from the evaluation's
// tarball job) against a handler written from Hydra's controllers
// (JobsetEval.pm `job`, Build.pm `build`, `download`,
// `download_by_type`) and against hydratest's fake, and of hydra.ParseSHA256.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
)

// tarballHydra serves one evaluation's tarball job as Hydra does.
type tarballHydra struct {
	mu sync.Mutex
	// jobs: job name → build id; a missing job is Hydra's 404.
	jobs   map[string]int64
	builds map[int64]map[string]any // the build JSON
	files  map[string][]byte        // "/build/{id}/download/{nr}/{name}" → bytes
	hits   map[string]int
	// fail500 fails the first n downloads with a 500.
	fail500 int
}

func brotliOf(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, 5)
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func hexSHA(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// newTarballHydra: evaluation 7, job "tarball" → build 70 with a
// source-dist product (1) and packages.json.br (2, json-br).
func newTarballHydra(t testing.TB, packagesJSON []byte) *tarballHydra {
	br := brotliOf(t, packagesJSON)
	h := &tarballHydra{jobs: map[string]int64{"tarball": 70}, builds: map[int64]map[string]any{}, files: map[string][]byte{}, hits: map[string]int{}}
	h.builds[70] = map[string]any{
		"id": 70, "job": "tarball", "nixname": "nixpkgs-tarball-26.05pre1234.abcdef", "finished": 1, "buildstatus": 0,
		"jobsetevals": []int64{7}, "project": "nixpkgs", "jobset": "unstable", "system": "x86_64-linux",
		"buildoutputs": map[string]any{"out": map[string]string{"path": "/nix/store/aaaa-nixpkgs-tarball"}},
		"buildproducts": map[string]any{
			"1": map[string]any{"type": "file", "subtype": "source-dist", "name": "nixpkgs-26.05pre1234.abcdef.tar.xz",
				"filesize": 44, "sha256hash": hexSHA([]byte("tarball")), "path": "/nix/store/aaaa-nixpkgs-tarball/tarballs/x.tar.xz", "defaultpath": ""},
			"2": map[string]any{"type": "file", "subtype": "json-br", "name": "packages.json.br",
				"filesize": len(br), "sha256hash": hexSHA(br), "path": "/nix/store/aaaa-nixpkgs-tarball/packages.json.br", "defaultpath": nil},
		},
	}
	h.files["/build/70/download/2/packages.json.br"] = br
	h.files["/build/70/download/1/nixpkgs-26.05pre1234.abcdef.tar.xz"] = []byte("tarball")
	return h
}

func (h *tarballHydra) product(id int64, nr string) map[string]any {
	return h.builds[id]["buildproducts"].(map[string]any)[nr].(map[string]any)
}

func hydraNotFound(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNotFound)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (h *tarballHydra) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hits[r.URL.Path]++
	seg := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case len(seg) >= 4 && seg[0] == "eval" && seg[2] == "job":
		// JobsetEval.pm `job`: the rest of the path is kept.
		id, ok := h.jobs[seg[3]]
		if seg[1] != "7" || !ok {
			hydraNotFound(w, "This evaluation has no job with the specified name.")
			return
		}
		http.Redirect(w, r, "/build/"+strconv.FormatInt(id, 10)+strings.Join(append([]string{""}, seg[4:]...), "/"), http.StatusFound)
	case len(seg) >= 2 && seg[0] == "build":
		id, _ := strconv.ParseInt(seg[1], 10, 64)
		b, ok := h.builds[id]
		if !ok {
			hydraNotFound(w, fmt.Sprintf("Build with ID %s doesn't exist.", seg[1]))
			return
		}
		switch {
		case len(seg) == 2:
			if !strings.Contains(r.Header.Get("Accept"), "application/json") {
				w.Header().Set("Content-Type", "text/html")
				io.WriteString(w, "<html>…</html>")
				return
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(b)
		case len(seg) == 5 && seg[2] == "download-by-type":
			// Build.pm `download_by_type`: 302 to defaultUriForProduct.
			products := b["buildproducts"].(map[string]any)
			for nr := 1; nr <= len(products); nr++ {
				p := products[strconv.Itoa(nr)].(map[string]any)
				if p["type"] == seg[3] && p["subtype"] == seg[4] {
					http.Redirect(w, r, fmt.Sprintf("/build/%d/download/%d/%s", id, nr, p["name"]), http.StatusFound)
					return
				}
			}
			hydraNotFound(w, fmt.Sprintf("Build doesn't have a build product with type %s/%s.", seg[3], seg[4]))
		case len(seg) >= 4 && seg[2] == "download":
			data, ok := h.files[r.URL.Path]
			if !ok {
				hydraNotFound(w, "Build doesn't have a product "+seg[3]+".")
				return
			}
			if h.fail500 > 0 {
				h.fail500--
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			}
			// serveFile: the store file as it is; MIME from the extension.
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Security-Policy", "sandbox allow-scripts")
			w.Write(data)
		default:
			hydraNotFound(w, "Page not found.")
		}
	default:
		hydraNotFound(w, "Page not found.")
	}
}

func tarballClient(t testing.TB, url string) *hydra.Client {
	t.Helper()
	silent := logrus.New()
	silent.SetOutput(io.Discard)
	c, err := hydra.New(hydra.Options{BaseURL: url, Rate: 1000, Burst: 10, MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		IdleTimeout: 2 * time.Second, MaxAttempts: 3, Logger: silent})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// encodeNixBase32 is Nix's printHash32 (libutil/hash.cc), written here
// again to check hydra.ParseSHA256 against.
func encodeNixBase32(h []byte) string {
	const alphabet = "0123456789abcdfghijklmnpqrsvwxyz"
	n := (len(h)*8-1)/5 + 1
	var sb strings.Builder
	for k := n - 1; k >= 0; k-- {
		b := k * 5
		i, j := b/8, uint(b%8)
		c := h[i] >> j
		if i < len(h)-1 {
			c |= h[i+1] << (8 - j)
		}
		sb.WriteByte(alphabet[c&0x1f])
	}
	return sb.String()
}

const samplePackages = `{"version":"2","packages":{"hello":{"name":"hello-2.12","pname":"hello","meta":{"position":"pkgs/by-name/he/hello/package.nix:30"}}}}`

func TestEvalPackages(t *testing.T) {
	bomb := bytes.Repeat([]byte(" "), 1<<20) // 1 MiB of spaces: a few hundred bytes of brotli
	for _, tc := range []struct {
		name    string
		mod     func(h *tarballHydra)
		max     int64
		want    string               // the JSON read ("" when an error is wanted)
		problem hydra.TarballProblem // a *hydra.TarballError
		is      error                // errors.Is
		errHas  string
		msgHas  string // a second thing the error says
		readErr error  // the error while reading (the decompressed cap)
		noGet   bool   // the download is never requested
	}{
		{name: "hex sha256", want: samplePackages},
		{name: "nix base32 sha256", want: samplePackages, mod: func(h *tarballHydra) {
			p := h.product(70, "2")
			b, _ := hex.DecodeString(p["sha256hash"].(string))
			p["sha256hash"] = encodeNixBase32(b)
		}},
		{name: "SRI sha256", want: samplePackages, mod: func(h *tarballHydra) {
			p := h.product(70, "2")
			b, _ := hex.DecodeString(p["sha256hash"].(string))
			p["sha256hash"] = "sha256-" + base64.StdEncoding.EncodeToString(b)
		}},
		{name: "no sha256hash, filesize as a string", want: samplePackages, mod: func(h *tarballHydra) {
			p := h.product(70, "2")
			p["sha256hash"], p["filesize"] = nil, fmt.Sprint(p["filesize"])
		}},
		{name: "NixOS jobset: nixpkgs.tarball", want: samplePackages, mod: func(h *tarballHydra) {
			h.jobs = map[string]int64{"nixpkgs.tarball": 70}
		}},
		{name: "retried after a 500", want: samplePackages, mod: func(h *tarballHydra) { h.fail500 = 1 }},
		{name: "no tarball job", problem: hydra.TarballNoJob, is: hydra.ErrNoEvalPackages, noGet: true,
			errHas: "no tarball job (tarball, nixpkgs.tarball): GET ",
			msgHas: "/eval/7/job/tarball: This evaluation has no job with the specified name.",
			mod:    func(h *tarballHydra) { h.jobs = map[string]int64{} }},
		{name: "unfinished", problem: hydra.TarballUnfinished, is: hydra.ErrNoEvalPackages, noGet: true, errHas: "/build/70",
			mod: func(h *tarballHydra) { h.builds[70]["finished"], h.builds[70]["buildstatus"] = 0, nil }},
		{name: "failed", problem: hydra.TarballFailed, is: hydra.ErrNoEvalPackages, noGet: true, errHas: "build 70: failed",
			mod: func(h *tarballHydra) { h.builds[70]["buildstatus"] = 1 }},
		{name: "no json-br product", problem: hydra.TarballNoProduct, is: hydra.ErrNoEvalPackages, noGet: true,
			mod: func(h *tarballHydra) { delete(h.builds[70]["buildproducts"].(map[string]any), "2") }},
		{name: "sha256 mismatch", is: hydra.ErrChecksum, errHas: "/build/70/download/2/packages.json.br", mod: func(h *tarballHydra) {
			h.product(70, "2")["sha256hash"] = hexSHA([]byte("something else"))
		}},
		{name: "malformed sha256hash", errHas: "is not a SHA-256", noGet: true, mod: func(h *tarballHydra) {
			h.product(70, "2")["sha256hash"] = "md5:1234"
		}},
		{name: "filesize over the cap", max: 10, is: hydra.ErrTooLarge, noGet: true},
		{name: "more bytes than filesize", errHas: "more than the", mod: func(h *tarballHydra) {
			h.product(70, "2")["filesize"] = 5
			h.product(70, "2")["sha256hash"] = nil
		}},
		{name: "fewer bytes than filesize", errHas: "Hydra lists", mod: func(h *tarballHydra) {
			p := h.product(70, "2")
			p["filesize"] = p["filesize"].(int) + 3
		}},
		{name: "over the cap without a filesize", max: 10, is: hydra.ErrTooLarge, mod: func(h *tarballHydra) {
			h.product(70, "2")["filesize"] = nil
		}},
		{name: "brotli bomb: decompressed over the cap", max: 64 << 10, readErr: hydra.ErrTooLarge, mod: func(h *tarballHydra) {
			br := brotliOf(t, bomb)
			h.files["/build/70/download/2/packages.json.br"] = br
			p := h.product(70, "2")
			p["filesize"], p["sha256hash"] = len(br), hexSHA(br)
		}},
		{name: "served decompressed", want: samplePackages, mod: func(h *tarballHydra) {
			h.files["/build/70/download/2/packages.json.br"] = []byte(samplePackages)
			p := h.product(70, "2")
			p["filesize"], p["sha256hash"] = len(samplePackages), hexSHA([]byte(samplePackages))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("TMPDIR", t.TempDir())
			h := newTarballHydra(t, []byte(samplePackages))
			if tc.mod != nil {
				tc.mod(h)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			c := tarballClient(t, srv.URL)
			rc, info, err := c.EvalPackages(context.Background(), 7, tc.max)
			download := "/build/70/download/2/packages.json.br"
			if tc.noGet && h.hits[download] > 0 {
				t.Errorf("the download was requested")
			}
			var te *hydra.TarballError
			switch {
			case tc.problem != "" && (!errors.As(err, &te) || te.Problem != tc.problem):
				t.Fatalf("err = %v, want a hydra.TarballError %q", err, tc.problem)
			case tc.is != nil && !errors.Is(err, tc.is):
				t.Fatalf("err = %v, want %v", err, tc.is)
			case tc.errHas != "" && (err == nil || !strings.Contains(err.Error(), tc.errHas) || !strings.Contains(err.Error(), tc.msgHas)):
				t.Fatalf("err = %v, want it to say %q", err, tc.errHas)
			case tc.want == "" && tc.readErr == nil && err == nil:
				t.Fatalf("no error; info %+v", info)
			case tc.want == "" && tc.readErr == nil:
				if !strings.Contains(err.Error(), srv.URL) {
					t.Errorf("the error does not name the URL: %v", err)
				}
				if tc.problem == "" && errors.Is(err, hydra.ErrNoEvalPackages) {
					t.Errorf("%v is not an evaluation without packages", err)
				}
				if left, _ := os.ReadDir(os.Getenv("TMPDIR")); len(left) > 0 {
					t.Errorf("temporary files left: %v", left)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			got, rerr := io.ReadAll(rc)
			if cerr := rc.Close(); cerr != nil {
				t.Errorf("Close: %v", cerr)
			}
			if left, _ := os.ReadDir(os.Getenv("TMPDIR")); len(left) > 0 {
				t.Errorf("temporary files left after Close: %v", left)
			}
			if tc.readErr != nil {
				if !errors.Is(rerr, tc.readErr) || !strings.Contains(rerr.Error(), srv.URL) {
					t.Fatalf("reading: %v, want %v naming the URL", rerr, tc.readErr)
				}
				if int64(len(got)) != tc.max {
					t.Errorf("read %d bytes before the cap, want %d", len(got), tc.max)
				}
				return
			}
			if rerr != nil || string(got) != tc.want {
				t.Fatalf("read %q, %v; want %q", got, rerr, tc.want)
			}
			if info.Build != 70 || info.Product.Nr != 2 || info.Eval != 7 || info.URL != srv.URL+download || info.Bytes == 0 {
				t.Errorf("info = %+v", info)
			}
			if wantVerified := h.product(70, "2")["sha256hash"] != nil; info.Verified != wantVerified {
				t.Errorf("Verified = %v, want %v", info.Verified, wantVerified)
			}
		})
	}
}

// TestEvalPackagesDownloadByType: Hydra's download-by-type route (what a
// human or a script would link) leads to the same product EvalPackages
// picks.
func TestEvalPackagesDownloadByType(t *testing.T) {
	h := newTarballHydra(t, []byte(samplePackages))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/eval/7/job/tarball/download-by-type/file/json-br")
	if err != nil {
		t.Fatal(err)
	}
	byType, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	rc, info, err := tarballClient(t, srv.URL).EvalPackages(context.Background(), 7, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if resp.Request.URL.String() != info.URL || !bytes.Equal(byType, h.files["/build/70/download/2/packages.json.br"]) {
		t.Errorf("download-by-type gave %s (%d bytes), EvalPackages %s", resp.Request.URL, len(byType), info.URL)
	}
}

func TestParseSHA256(t *testing.T) {
	empty := sha256.Sum256(nil)
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", true},
		{"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", true},
		{"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", true},
		// `nix hash convert --to nix32 sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=`
		{"0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73", true},
		{"sha256:0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73", true},
		{"sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", true},
		{"", false},
		{"e3b0c442", false},
		{"0mdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c7e", false}, // e is not nix base32
		{"zmdqa9w1p6cmli6976v4wi0sw9r4p5prkj7lzfd1877wk11c9c73", false}, // bits past 256
		{"sha256-47DEQpj8HBSa", false},
		{"md5:d41d8cd98f00b204e9800998ecf8427e", false},
	} {
		got, err := hydra.ParseSHA256(tc.in)
		if tc.ok != (err == nil) || (tc.ok && !bytes.Equal(got, empty[:])) {
			t.Errorf("hydra.ParseSHA256(%q) = %x, %v; want ok %v", tc.in, got, err, tc.ok)
		}
	}
	for i := range 200 {
		h := sha256.Sum256([]byte(strconv.Itoa(i)))
		if got, err := hydra.ParseSHA256(encodeNixBase32(h[:])); err != nil || !bytes.Equal(got, h[:]) {
			t.Fatalf("round trip of %x: %x, %v", h, got, err)
		}
	}
}

// TestEvalPackagesNoTempFileOnCancel: a download ended by the context
// leaves no file behind.
func TestEvalPackagesNoTempFileOnCancel(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	ctx, cancel := context.WithCancel(context.Background())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.URL.Path, "/download/") {
			w.Write([]byte("partial"))
			w.(http.Flusher).Flush()
			cancel()
			<-r.Context().Done()
			return
		}
		newTarballHydra(t, []byte(samplePackages)).ServeHTTP(w, r)
	}))
	defer srv.Close()
	_, _, err := tarballClient(t, srv.URL).EvalPackages(ctx, 7, 0)
	if err == nil {
		t.Fatal("no error")
	}
	if left, _ := os.ReadDir(dir); len(left) > 0 {
		t.Errorf("left %v in %s", left, filepath.Base(dir))
	}
}

// TestEvalPackagesFakeHydra: against hydratest's fake (its model of
// make-tarball.nix's build and Hydra's routes), the packages.json of a
// succeeded tarball build is read and verified; a failed, a queued and an
// absent one are the TarballErrors the caller falls back on.
func TestEvalPackagesFakeHydra(t *testing.T) {
	const pkgs = `{"packages":{"hello":{"meta":{"position":"pkgs/by-name/he/hello/package.nix:45"},"pname":"hello"}},"version":"2"}`
	s := hydratest.NewStatic("nixpkgs", "unstable")
	hello := func(id int64) *hydratest.Build {
		return hydratest.B(id, "hello.x86_64-linux", "x86_64-linux", 0, "0a1b2c3d4f5g6h7i8j9k0l1m2n3p4q5r-hello-2.12", 1000, 1100)
	}
	s.AddEval(10, 1767225600, hello(1)).SetPackages(10, []byte(pkgs))
	s.AddEval(11, 1767312000, hello(1)).AddTarball(11, 51, 1, []byte(pkgs))
	s.AddEval(12, 1767398400, hello(1)).AddTarball(12, 52, -1, nil)
	s.AddEval(13, 1767484800, hello(1))
	srv := httptest.NewServer(hydratest.New(s))
	defer srv.Close()
	c := tarballClient(t, srv.URL)
	for _, tc := range []struct {
		eval    int64
		problem hydra.TarballProblem
	}{{10, ""}, {11, hydra.TarballFailed}, {12, hydra.TarballUnfinished}, {13, hydra.TarballNoJob}} {
		rc, info, err := c.EvalPackages(context.Background(), tc.eval, 0)
		var te *hydra.TarballError
		if tc.problem != "" {
			if !errors.As(err, &te) || te.Problem != tc.problem || !strings.Contains(err.Error(), srv.URL) {
				t.Errorf("evaluation %d: %v, want %q naming the URL", tc.eval, err, tc.problem)
			}
			continue
		}
		if err != nil {
			t.Fatalf("evaluation %d: %v", tc.eval, err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(got) != pkgs || !info.Verified || info.Product.Subtype != "json-br" || info.Job != "tarball" {
			t.Errorf("evaluation %d: %q, %v, %+v", tc.eval, got, err, info)
		}
	}
}
