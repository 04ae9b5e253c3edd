package nixedit

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestNarrowEqualsMark: for every fixture Mark changes and every pair of
// system sets wide ⊋ narrow Mark accepts, Narrow(Mark(x, wide), narrow) is
// byte for byte Mark(x, narrow), with a build URL of its own; Nix parses
// every result.
func TestNarrowEqualsMark(t *testing.T) {
	const other = "https://hydra.nixos.org/build/312399999"
	dir := t.TempDir()
	var files []string
	sets := append([][]string{nil}, allSubsets()...)
	for _, tc := range loadCases(t) {
		if tc.op != "mark" || tc.want != "changed" {
			continue
		}
		for _, wide := range sets {
			marked, line, err := markLine(tc.path, tc.src, tc.line, Marker{Systems: wide, BuildURL: testBuild, Since: testSince})
			if err != nil {
				continue
			}
			for _, narrow := range allSubsets() {
				if len(wide) > 0 && (len(narrow) >= len(wide) || !isSubset(narrow, wide)) {
					continue
				}
				m := Marker{Systems: narrow, BuildURL: other, Since: testSince}
				want, werr := Mark(tc.path, tc.src, tc.line, m)
				got, err := Narrow(tc.path, marked, line, m)
				name := fmt.Sprintf("%s %v→%v", filepath.Base(tc.path), wide, narrow)
				switch {
				case errors.Is(werr, ErrAlreadyBroken):
					if err != nil || !bytes.Equal(got, tc.src) {
						t.Errorf("%s: Mark says already broken, so Narrow must give back the unmarked file; got err %v", name, err)
					}
					continue
				case werr != nil:
					if err == nil {
						t.Errorf("%s: Mark refused (%v) but Narrow wrote a file", name, werr)
					}
					continue
				case err != nil:
					t.Errorf("%s: %v", name, err)
					continue
				case !bytes.Equal(got, want):
					t.Errorf("%s: Narrow differs from Mark on the unmarked file:\n%s", name, lineDiff(string(want), string(got)))
					continue
				}
				p := filepath.Join(dir, fmt.Sprintf("%d.nix", len(files)))
				if err := os.WriteFile(p, got, 0o644); err != nil {
					t.Fatal(err)
				}
				files = append(files, p)
			}
		}
	}
	if len(files) < 100 {
		t.Fatalf("only %d narrowed files", len(files))
	}
	nixParse(t, files)
	t.Logf("nix-instantiate --parse accepted %d files written by Narrow", len(files))
}

func isSubset(a, b []string) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	return true
}

func TestNarrowErrors(t *testing.T) {
	src := []byte(`{
  lib,
  stdenv,
  fetchurl,
}:

stdenv.mkDerivation {
  pname = "hello";
  version = "2.12";
  src = fetchurl {
    url = "mirror://gnu/hello/hello-2.12.tar.gz";
    hash = "";
  };
  meta = {
    description = "A program that produces a familiar, friendly greeting";
    license = lib.licenses.gpl3Plus;
  };
}
`)
	const line = 8
	two := Marker{Systems: []string{"x86_64-linux", "aarch64-darwin"}, BuildURL: testBuild, Since: testSince}
	marked, err := Mark("hello.nix", src, line, two)
	if err != nil {
		t.Fatal(err)
	}
	edited := bytes.Replace(marked, []byte(`stdenv.hostPlatform.system == "x86_64-linux"`), []byte(`stdenv.hostPlatform.isx86_64`), 1)
	if bytes.Equal(edited, marked) {
		t.Fatalf("fixture: condition not found in\n%s", marked)
	}
	tests := []struct {
		name    string
		src     []byte
		systems []string
		want    string // error text, or outcome for the typed errors
	}{
		{"no systems", marked, nil, "needs the systems it keeps"},
		{"a system the marker does not cover", marked, []string{"aarch64-linux"}, "cannot add a system"},
		{"unknown system", marked, []string{"x86_64-plan9"}, "unknown system"},
		{"not marked", src, []string{"x86_64-linux"}, "not-marked"},
		{"edited by a human", edited, []string{"aarch64-darwin"}, "human-changed"},
		{"bad Nix", []byte("{ a = ; }"), []string{"x86_64-linux"}, "hello.nix:1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Narrow("hello.nix", tt.src, line, Marker{Systems: tt.systems, BuildURL: testBuild, Since: testSince})
			if err == nil {
				t.Fatalf("no error; wrote\n%s", out)
			}
			if o := outcome(err); o != tt.want && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %s (%v), want %q", o, err, tt.want)
			}
		})
	}
}

// FuzzNarrow: Narrow of a marked file either fails or equals Mark of the
// unmarked file for the narrower systems.
func FuzzNarrow(f *testing.F) {
	fuzzSeeds(f, func(src []byte) {
		for line := 1; line <= 40; line += 5 {
			f.Add(src, line, uint8(15), uint8(1))
			f.Add(src, line, uint8(12), uint8(8))
		}
	})
	f.Fuzz(func(t *testing.T, src []byte, line int, wideMask, narrowMask uint8) {
		pick := func(mask uint8) []string {
			var out []string
			for i, s := range HydraSystems {
				if mask&(1<<i) != 0 {
					out = append(out, s)
				}
			}
			return out
		}
		wide, narrow := pick(wideMask), pick(narrowMask&wideMask)
		if len(narrow) == 0 {
			return
		}
		marked, newLine, err := markLine("fuzz.nix", src, line, Marker{Systems: wide, BuildURL: testBuild, Since: testSince})
		if err != nil {
			return
		}
		m := Marker{Systems: narrow, BuildURL: testBuild, Since: testSince}
		got, err := Narrow("fuzz.nix", marked, newLine, m)
		if err != nil {
			return
		}
		if _, err := Parse("fuzz.nix", got); err != nil {
			t.Fatalf("Narrow wrote a file that does not parse: %v", err)
		}
		want, err := Mark("fuzz.nix", src, line, m)
		if errors.Is(err, ErrAlreadyBroken) {
			want = src
		} else if err != nil {
			t.Fatalf("Narrow wrote a file but Mark refuses: %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("Narrow differs from Mark of the unmarked file:\n%s", lineDiff(string(want), string(got)))
		}
	})
}
