package nixedit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds adds every testdata input and, when present, the Nix
// conformance inputs as seeds.
func fuzzSeeds(f *testing.F, add func(src []byte)) {
	for _, p := range testdataInputs(f) {
		if src, err := os.ReadFile(p); err == nil {
			add(src)
		}
	}
	dir := os.Getenv("MARKBOT_SHARED_DIR")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared")
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "conformance", "nix-lang", "*.nix"))
	for _, p := range paths {
		if src, err := os.ReadFile(p); err == nil {
			add(src)
		}
	}
	for _, s := range []string{"", "{", "\"${", "''", "./a/${", "a.b or", "x:x", "{ a, b ? c }@d: e", "\xff", "/*"} {
		add([]byte(s))
	}
}

// FuzzParse: no input panics; whatever parses prints back byte for byte.
func FuzzParse(f *testing.F) {
	fuzzSeeds(f, func(src []byte) { f.Add(src) })
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := Parse("fuzz.nix", src)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		out, err := file.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, src) {
			t.Fatalf("round trip changed the input")
		}
	})
}

// FuzzMark: whatever Mark writes parses and unmarks back to the input.
func FuzzMark(f *testing.F) {
	fuzzSeeds(f, func(src []byte) {
		for line := 1; line <= 80; line += 7 {
			f.Add(src, line, uint8(15))
			f.Add(src, line, uint8(12))
		}
	})
	f.Fuzz(func(t *testing.T, src []byte, line int, mask uint8) {
		var systems []string
		for i, s := range HydraSystems {
			if mask&(1<<i) != 0 {
				systems = append(systems, s)
			}
		}
		m := Marker{Systems: systems, BuildURL: testBuild, Since: testSince}
		out, newLine, err := markLine("fuzz.nix", src, line, m)
		if err != nil {
			return
		}
		if _, err := Parse("fuzz.nix", out); err != nil {
			t.Fatalf("Mark wrote a file that does not parse: %v", err)
		}
		back, err := Unmark("fuzz.nix", out, newLine)
		if err != nil || !bytes.Equal(back, src) {
			t.Fatalf("Unmark did not give back the input: %v", err)
		}
		if _, _, err := markLine("fuzz.nix", out, newLine, m); !errors.Is(err, ErrAlreadyBroken) {
			t.Fatalf("marking the marked file again: %v, want already broken", err)
		}
	})
}
