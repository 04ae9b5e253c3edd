package hydra_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
)

// TestEvalPackagesCached: a verified packages index is kept, and the next
// read of the same evaluation makes no request; a kept file whose hash no
// longer matches is downloaded again; an index Hydra lists no hash for is
// not kept; only the newest evaluations' indexes stay.
func TestEvalPackagesCached(t *testing.T) {
	ctx := context.Background()
	h := newTarballHydra(t, []byte(samplePackages))
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := tarballClient(t, srv.URL)
	pc := hydra.PackagesCache{Dir: filepath.Join(t.TempDir(), "packages")}
	read := func(what string) *hydra.TarballInfo {
		t.Helper()
		rc, info, err := c.EvalPackagesCached(ctx, 7, 0, pc)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		b, err := io.ReadAll(rc)
		if cerr := rc.Close(); err == nil {
			err = cerr
		}
		if err != nil || string(b) != samplePackages {
			t.Fatalf("%s: %q, %v", what, b, err)
		}
		return info
	}
	hits := func() int {
		h.mu.Lock()
		defer h.mu.Unlock()
		n := 0
		for _, v := range h.hits {
			n += v
		}
		return n
	}

	if info := read("first read"); info.Cached || !info.Verified {
		t.Fatalf("first read: %+v", info)
	}
	before := hits()
	if info := read("second read"); !info.Cached || info.Build != 70 {
		t.Fatalf("second read not from the cache: %+v", info)
	}
	if n := hits() - before; n != 0 {
		t.Errorf("the second read made %d requests", n)
	}

	// Damaged on disk: downloaded again, and kept again.
	data := filepath.Join(pc.Dir, "eval-7.json.br")
	if err := os.WriteFile(data, []byte("not brotli"), 0o644); err != nil {
		t.Fatal(err)
	}
	before = hits()
	if info := read("read after damage"); info.Cached {
		t.Fatal("a damaged kept index was used")
	}
	if hits() == before {
		t.Error("a damaged kept index was not downloaded again")
	}
	if info := read("read after the repair"); !info.Cached {
		t.Error("the repaired index was not kept")
	}

	// Without a hash from Hydra: read, never kept.
	os.RemoveAll(pc.Dir)
	h.mu.Lock()
	delete(h.product(70, "2"), "sha256hash")
	h.mu.Unlock()
	read("unverified")
	if info := read("unverified again"); info.Cached {
		t.Error("an index Hydra lists no hash for was kept")
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Errorf("an unverified index is on disk: %v", err)
	}
}

// TestPackagesCachePrunes: the cache keeps the indexes of the Keep newest
// evaluations (hydratest's fake: three evaluations with tarball builds).
func TestPackagesCachePrunes(t *testing.T) {
	const pkgs = `{"packages":{"hello":{"meta":{"position":"pkgs/by-name/he/hello/package.nix:45"},"pname":"hello"}},"version":"2"}`
	s := hydratest.NewStatic("nixpkgs", "unstable")
	hello := hydratest.B(1, "hello.x86_64-linux", "x86_64-linux", 0, "0a1b2c3d4f5g6h7i8j9k0l1m2n3p4q5r-hello-2.12", 1000, 1100)
	for i, eval := range []int64{10, 11, 12} {
		s.AddEval(eval, 1767225600+int64(i)*86400, hello).SetPackages(eval, []byte(pkgs))
	}
	srv := httptest.NewServer(hydratest.New(s))
	defer srv.Close()
	c := tarballClient(t, srv.URL)
	pc := hydra.PackagesCache{Dir: t.TempDir(), Keep: 2}
	for _, eval := range []int64{10, 11, 12} {
		rc, info, err := c.EvalPackagesCached(context.Background(), eval, 0, pc)
		if err != nil || !info.Verified {
			t.Fatalf("evaluation %d: %v %+v", eval, err, info)
		}
		rc.Close()
	}
	entries, _ := os.ReadDir(pc.Dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"eval-11.json", "eval-11.json.br", "eval-12.json", "eval-12.json.br"}
	if len(names) != len(want) {
		t.Fatalf("kept %v, want %v", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("kept %v, want %v", names, want)
		}
	}
}

// FuzzPackagesCacheOpen: whatever the kept files hold (damage, another
// version's description), opening them never panics, and never yields an
// index whose bytes do not hash to what its description records.
func FuzzPackagesCacheOpen(f *testing.F) {
	f.Add([]byte(`{"Eval":7,"Verified":true,"SHA256":"00","Bytes":3}`), []byte("abc"))
	f.Add([]byte(`{"Eval":7,"Verified":true,"SHA256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad","Bytes":3,"URL":"u"}`), []byte("abc"))
	f.Add([]byte(`not json`), []byte{})
	f.Fuzz(func(t *testing.T, meta, data []byte) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "eval-7.json"), meta, 0o644)
		os.WriteFile(filepath.Join(dir, "eval-7.json.br"), data, 0o644)
		c := tarballClient(t, "http://127.0.0.1:1") // never reached when the cache answers
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // a miss fails at once instead of asking
		rc, info, err := c.EvalPackagesCached(ctx, 7, 1<<20, hydra.PackagesCache{Dir: dir})
		if err != nil {
			return
		}
		defer rc.Close()
		sum := sha256.Sum256(data)
		if !info.Cached || info.SHA256 != hex.EncodeToString(sum[:]) || info.Bytes != int64(len(data)) {
			t.Fatalf("opened %+v for %d bytes hashing to %x", info, len(data), sum)
		}
	})
}
