package nixedit

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var bigFileOut = flag.String("bigfile", "", "TestWriteBigFile writes the benchmark input to this path")

// bigTarget is the size of the benchmark input: the largest nixpkgs file
// (pkgs/development/haskell-modules/hackage-packages.nix) is about 12 MB.
const bigTarget = 12 << 20

var (
	bigOnce sync.Once
	bigSrc  []byte
	bigLine int // meta.position of one derivation inside, for BenchmarkMark
)

// bigInput builds a ≥12 MB Nix expression: a list of every testdata case
// and every conformance file Nix 2.8 parses (each in parentheses), repeated.
func bigInput(tb testing.TB) []byte {
	bigOnce.Do(func() {
		var parts [][]byte
		for _, p := range testdataInputs(tb) {
			// A file's opt-out comment would make the whole input refuse Mark.
			if src, err := os.ReadFile(p); err == nil && !bytes.Contains(src, []byte("markbot: ignore")) {
				parts = append(parts, src)
			}
		}
		parts = append(parts, conformanceParts(tb)...)
		var buf bytes.Buffer
		buf.WriteString("[\n")
		// One derivation at a known line for BenchmarkMark.
		buf.WriteString("(stdenv: stdenv.mkDerivation {\n  pname = \"x\";\n  version = \"1\";\n  meta = {\n    description = \"x\";\n  };\n})\n")
		bigLine = 6
		for buf.Len() < bigTarget {
			for _, p := range parts {
				buf.WriteString("(\n")
				buf.Write(p)
				buf.WriteString("\n)\n")
			}
		}
		buf.WriteString("]\n")
		bigSrc = buf.Bytes()
	})
	return bigSrc
}

// conformanceParts returns the valid conformance files that Debian's Nix
// 2.8 also parses (newer syntax is left out so nix-instantiate can read the
// whole benchmark input), or none when nix-instantiate is absent.
func conformanceParts(tb testing.TB) [][]byte {
	bin, err := exec.LookPath("nix-instantiate")
	if err != nil {
		return nil
	}
	dir := os.Getenv("MARKBOT_SHARED_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared")
	}
	var parts [][]byte
	for _, pat := range []string{"parse-okay-*.nix", "eval-okay-*.nix"} {
		paths, _ := filepath.Glob(filepath.Join(dir, "conformance", "nix-lang", pat))
		for _, p := range paths {
			src, err := os.ReadFile(p)
			if err != nil || bytes.Contains(src, []byte("__curPos")) {
				continue
			}
			if exec.Command(bin, "--parse", p).Run() != nil {
				continue
			}
			parts = append(parts, src)
		}
	}
	return parts
}

func BenchmarkLex(b *testing.B) {
	src := bigInput(b)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		lt := newLineTable(src)
		if _, err := lex("big.nix", src, &lt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse(b *testing.B) {
	src := bigInput(b)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("big.nix", src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPrint(b *testing.B) {
	src := bigInput(b)
	f, err := Parse("big.nix", src)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	var buf bytes.Buffer
	buf.Grow(len(src))
	for b.Loop() {
		buf.Reset()
		if err := Print(&buf, f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParsePrint is the round trip markbot does for every file it
// edits; compare it with BenchmarkNixInstantiateParse.
func BenchmarkParsePrint(b *testing.B) {
	src := bigInput(b)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := Parse("big.nix", src)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Bytes(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMark marks one derivation in the big file: parse, locate,
// edit, re-parse and the unmark self-check.
func BenchmarkMark(b *testing.B) {
	src := bigInput(b)
	m := Marker{Systems: []string{"aarch64-darwin"}, BuildURL: testBuild, Since: testSince}
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Mark("big.nix", src, bigLine, m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNixInstantiateParse times `nix-instantiate --parse` (Nix's own
// C++ parser, what a user already has) on the same input, in the same run.
func BenchmarkNixInstantiateParse(b *testing.B) {
	bin, err := exec.LookPath("nix-instantiate")
	if err != nil {
		b.Skip("nix-instantiate is not installed (Debian package nix-bin)")
	}
	src := bigInput(b)
	path := filepath.Join(b.TempDir(), "big.nix")
	if err := os.WriteFile(path, src, 0o644); err != nil {
		b.Fatal(err)
	}
	env := append(os.Environ(), "NIX_STATE_DIR="+b.TempDir(), "HOME="+b.TempDir())
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		cmd := exec.Command(bin, "--parse", path)
		cmd.Env = env
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil { // stdout goes to /dev/null
			b.Fatalf("nix-instantiate --parse: %v\n%s", err, stderr.String())
		}
	}
}

// TestWriteBigFile writes the benchmark input for measuring peak memory of
// the real command: go test -run TestWriteBigFile -bigfile /tmp/big.nix.
func TestWriteBigFile(t *testing.T) {
	if *bigFileOut == "" {
		t.Skip("only with -bigfile PATH")
	}
	if err := os.WriteFile(*bigFileOut, bigInput(t), 0o644); err != nil {
		t.Fatal(err)
	}
}
