package nixedit

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sergi/go-diff/diffmatchpatch"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

const (
	testBuild = "https://hydra.nixos.org/build/312345678"
	testSince = "2026-11-25"
)

// testCase is a fixture under testdata/cases: a nixpkgs-shaped file whose
// first line says what to do and what must come of it:
//
//	# markbot-test: op=mark line=N [systems=a,b] want=changed|already-broken|refused|not-marked|human-changed
type testCase struct {
	path    string
	src     []byte
	op      string
	line    int
	systems []string
	want    string
}

func loadCases(t testing.TB) []testCase {
	t.Helper()
	paths, err := filepath.Glob("testdata/cases/*.nix")
	if err != nil || len(paths) == 0 {
		t.Fatal("no fixtures in testdata/cases")
	}
	var cases []testCase
	for _, path := range paths {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		header, _, _ := strings.Cut(string(src), "\n")
		header = strings.TrimSuffix(header, "\r")
		fields, ok := strings.CutPrefix(header, "# markbot-test: ")
		if !ok {
			t.Fatalf("%s: first line is not a '# markbot-test:' header", path)
		}
		tc := testCase{path: path, src: src}
		for _, kv := range strings.Fields(fields) {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "op":
				tc.op = v
			case "line":
				tc.line, err = strconv.Atoi(v)
				if err != nil {
					t.Fatalf("%s: bad line: %v", path, err)
				}
			case "systems":
				tc.systems = strings.Split(v, ",")
			case "want":
				tc.want = v
			default:
				t.Fatalf("%s: unknown header key %q", path, k)
			}
		}
		if tc.op == "" || tc.line == 0 || tc.want == "" {
			t.Fatalf("%s: header needs op, line and want", path)
		}
		cases = append(cases, tc)
	}
	return cases
}

func (tc testCase) marker() Marker {
	return Marker{Systems: tc.systems, BuildURL: testBuild, Since: testSince}
}

// outcome names a result the way fixture headers do.
func outcome(err error) string {
	var refused *RefusedError
	var human *HumanChangedError
	switch {
	case err == nil:
		return "changed"
	case errors.Is(err, ErrAlreadyBroken):
		return "already-broken"
	case errors.Is(err, ErrNotMarked):
		return "not-marked"
	case errors.As(err, &refused):
		return "refused"
	case errors.As(err, &human):
		return "human-changed"
	}
	return "error"
}

func (tc testCase) run() ([]byte, error) {
	if tc.op == "unmark" {
		return Unmark(tc.path, tc.src, tc.line)
	}
	return Mark(tc.path, tc.src, tc.line, tc.marker())
}

// TestCases runs every fixture against its golden file: the new file for
// a change, else the answer.
func TestCases(t *testing.T) {
	for _, tc := range loadCases(t) {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			out, err := tc.run()
			if got := outcome(err); got != tc.want {
				t.Fatalf("%s %s:%d: got %s (%v), want %s", tc.op, tc.path, tc.line, got, err, tc.want)
			}
			golden := out
			if err != nil {
				golden = []byte(err.Error() + "\n")
			}
			checkGolden(t, tc.path+".golden", golden)
		})
	}
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output:\n%s", path, lineDiff(string(want), string(got)))
	}
}

func lineDiff(a, b string) string {
	dmp := diffmatchpatch.New()
	ca, cb, lines := dmp.DiffLinesToChars(a, b)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(ca, cb, false), lines)
	var out strings.Builder
	for _, d := range diffs {
		prefix := "  "
		switch d.Type {
		case diffmatchpatch.DiffInsert:
			prefix = "+ "
		case diffmatchpatch.DiffDelete:
			prefix = "- "
		default:
			continue
		}
		for _, l := range strings.SplitAfter(d.Text, "\n") {
			if l != "" {
				out.WriteString(prefix + l)
			}
		}
	}
	return out.String()
}

// TestMarkProperties checks, over every fixture Mark changes: unmark(mark(x))
// == x; mark(mark(x)) == mark(x); the diff is one inserted block (plus the
// stdenv formal and a combined broken line where needed); inserted lines
// use the file's line endings and indentation.
func TestMarkProperties(t *testing.T) {
	for _, tc := range loadCases(t) {
		if tc.op != "mark" || tc.want != "changed" {
			continue
		}
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			out, err := Mark(tc.path, tc.src, tc.line, tc.marker())
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse(tc.path, tc.src)
			if err != nil {
				t.Fatal(err)
			}
			t2, _ := f.Locate(tc.line)
			newLine := tc.line + lineShift(tc.src, out, tc.line)
			back, err := Unmark(tc.path, out, newLine)
			if err != nil || !bytes.Equal(back, tc.src) {
				t.Fatalf("unmark(mark(x)) != x (err %v):\n%s", err, lineDiff(string(tc.src), string(back)))
			}
			again, err := Mark(tc.path, out, newLine, tc.marker())
			if !errors.Is(err, ErrAlreadyBroken) {
				t.Fatalf("mark(mark(x)): got %v (%d bytes), want already broken", err, len(again))
			}
			checkDiffShape(t, tc.src, out, t2 != nil && t2.Meta != nil)
		})
	}
}

// lineShift is how many lines the edit inserted above line.
func lineShift(before, after []byte, line int) int {
	a := strings.SplitAfter(string(before), "\n")
	b := strings.SplitAfter(string(after), "\n")
	target := a[line-1]
	// the description/version line itself is unchanged unless it is the
	// single-line meta line; find the first line equal to it at or after line.
	for i := line - 1; i < len(b); i++ {
		if b[i] == target {
			return i - (line - 1)
		}
	}
	for i := line - 1; i < len(b); i++ {
		if strings.Contains(b[i], strings.TrimSpace(target)[:min(10, len(strings.TrimSpace(target)))]) {
			return i - (line - 1)
		}
	}
	return 0
}

func checkDiffShape(t *testing.T, before, after []byte, _ bool) {
	t.Helper()
	dmp := diffmatchpatch.New()
	ca, cb, lines := dmp.DiffLinesToChars(string(before), string(after))
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(ca, cb, false), lines)
	deleted, insertedBlocks := 0, 0
	crlf := bytes.Contains(before, []byte("\r\n"))
	tabs := bytes.Contains(before, []byte("\n\t"))
	for _, d := range diffs {
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			deleted += strings.Count(d.Text, "\n")
		case diffmatchpatch.DiffInsert:
			insertedBlocks++
			for _, l := range strings.SplitAfter(d.Text, "\n") {
				if l == "" {
					continue
				}
				if crlf && strings.HasSuffix(l, "\n") && !strings.HasSuffix(l, "\r\n") {
					t.Errorf("inserted line without CRLF in a CRLF file: %q", l)
				}
				if !crlf && strings.HasSuffix(l, "\r\n") {
					t.Errorf("inserted CRLF line in an LF file: %q", l)
				}
				if tabs && strings.HasPrefix(l, "  ") {
					t.Errorf("inserted line indented with spaces in a tab-indented file: %q", l)
				}
			}
		}
	}
	// At most: the marker block, the stdenv formal, and one changed line
	// (a combined broken binding, a one-line meta, or the line the block
	// follows when the file has no final newline).
	if deleted > 1 || insertedBlocks > 3 {
		t.Errorf("the diff is not one small inserted block (%d lines deleted, %d inserted blocks):\n%s", deleted, insertedBlocks, lineDiff(string(before), string(after)))
	}
}

func TestMarkErrors(t *testing.T) {
	src := []byte("{ lib, stdenv }:\nstdenv.mkDerivation {\n  pname = \"x\";\n  version = \"1\";\n  meta = {\n    description = \"x\";\n  };\n}\n")
	ok := Marker{BuildURL: testBuild, Since: testSince}
	tests := []struct {
		name string
		src  []byte
		line int
		m    Marker
		want string
	}{
		{"bad URL", src, 6, Marker{BuildURL: "hydra/build/1", Since: testSince}, "not a Hydra build URL"},
		{"bad date", src, 6, Marker{BuildURL: testBuild, Since: "yesterday"}, "not a date"},
		{"unknown system", src, 6, Marker{Systems: []string{"x86_64-windows"}, BuildURL: testBuild, Since: testSince}, `unknown system "x86_64-windows"`},
		{"line out of range", src, 99, ok, "line 99 is out of range (the file has 8 lines)"},
		{"line zero", src, 0, ok, "line 0 is out of range"},
		{"no derivation on line", src, 2, ok, "line 2 holds no meta.description, version, pname or name"},
		{"parse error", []byte("{ a = ; }"), 1, ok, "x.nix:1:7: unexpected ';'"},
		{"meta not a set", []byte("{ m }:\n{\n  version = \"1\";\n  meta = m;\n}\n"), 3, ok, "meta is not written as an attribute set (meta = m)"},
		{"meta inherited", []byte("{ meta }:\n{\n  version = \"1\";\n  inherit meta;\n}\n"), 3, ok, "meta is inherited"},
		{"no stdenv to add to", []byte("let x = 1; in {\n  version = \"1\";\n  meta = {\n  };\n}\n"), 2, Marker{Systems: []string{"x86_64-linux"}, BuildURL: testBuild, Since: testSince}, "not a function of an attribute set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Mark("x.nix", tt.src, tt.line, tt.m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Mark: error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestCondition checks the shortest conditions for system sets.
func TestCondition(t *testing.T) {
	tests := []struct {
		systems []string
		want    string
	}{
		{nil, "true"},
		{HydraSystems, "true"},
		{[]string{"x86_64-darwin", "aarch64-darwin"}, "stdenv.hostPlatform.isDarwin"},
		{[]string{"x86_64-linux", "aarch64-linux"}, "stdenv.hostPlatform.isLinux"},
		{[]string{"x86_64-linux", "x86_64-darwin"}, "stdenv.hostPlatform.isx86_64"},
		{[]string{"aarch64-linux", "aarch64-darwin"}, "stdenv.hostPlatform.isAarch64"},
		{[]string{"aarch64-linux"}, `stdenv.hostPlatform.system == "aarch64-linux"`},
		{[]string{"x86_64-linux", "aarch64-darwin"}, `stdenv.hostPlatform.system == "x86_64-linux" || stdenv.hostPlatform.system == "aarch64-darwin"`},
		{[]string{"x86_64-linux", "aarch64-linux", "x86_64-darwin"}, "stdenv.hostPlatform.isLinux || stdenv.hostPlatform.isx86_64"},
		{[]string{"i686-linux"}, `stdenv.hostPlatform.system == "i686-linux"`},
		{[]string{"x86_64-linux", "aarch64-linux", "i686-linux"}, "stdenv.hostPlatform.isLinux"},
	}
	for _, tt := range tests {
		got, err := Condition(tt.systems)
		if err != nil || got != tt.want {
			t.Errorf("Condition(%v) = %q, %v; want %q", tt.systems, got, err, tt.want)
		}
	}
	if _, err := Condition([]string{"mips-linux"}); err == nil {
		t.Error("Condition accepted an unknown system")
	}
}

func ExampleMark() {
	src := []byte(`{ lib, stdenv }:
stdenv.mkDerivation {
  pname = "hello";
  version = "2.12";
  meta = {
    description = "A program that produces a familiar, friendly greeting";
    license = lib.licenses.gpl3Plus;
  };
}
`)
	out, err := Mark("hello.nix", src, 6, Marker{
		Systems:  []string{"x86_64-darwin", "aarch64-darwin"},
		BuildURL: "https://hydra.nixos.org/build/312345678",
		Since:    "2026-11-25",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(string(out))
	// Output:
	// { lib, stdenv }:
	// stdenv.mkDerivation {
	//   pname = "hello";
	//   version = "2.12";
	//   meta = {
	//     description = "A program that produces a familiar, friendly greeting";
	//     license = lib.licenses.gpl3Plus;
	//     # markbot: broken on x86_64-darwin, aarch64-darwin since 2026-11-25, https://hydra.nixos.org/build/312345678 (log: https://hydra.nixos.org/build/312345678/log)
	//     broken = stdenv.hostPlatform.isDarwin;
	//   };
	// }
}
