package nixedit

import (
	"bytes"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/testutil"
)

func TestParseStructure(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		// precedence and associativity, as in Nix's parser.y
		{"a + b * c", "(+ a (* b c))"},
		{"a - b - c", "(- (- a b) c)"},
		{"a -> b -> c", "(-> a (-> b c))"},
		{"a // b // c", "(// a (// b c))"},
		{"a ++ b ++ c", "(++ a (++ b c))"},
		{"a || b && c", "(|| a (&& b c))"},
		{"!a == b", "(== (! a) b)"},
		{"!a + b", "(! (+ a b))"},
		{"!a // b", "(// (! a) b)"},
		{"-a ? b", "(? (- a) b)"},
		{"-f x", "(- (app f x))"},
		{"a ++ b ? c", "(++ a (? b c))"},
		{"a < b == c", "(== (< a b) c)"},
		{"f x y", "(app (app f x) y)"},
		{"f x.y or z", "(app f (. x y or z))"},
		{"map or [ 1 ]", "(app (app map or) [ 1 ])"},
		{"{ or = 1; }.or", "(. { or=1; } or)"},
		{"a.\"b\".${c}", "(. a (str b).${c})"},
		{"x: y: x", "(fn x (fn y x))"},
		{"{ a, b ? 1, ... }: a", "(fn {a,b?1,...} a)"},
		{"args@{ a }: a", "(fn args@{a} a)"},
		{"{ a }@args: a", "(fn args@{a} a)"},
		{"{ }: 1", "(fn {} 1)"},
		{"{ }", "{ }"},
		{"{ a = 1; }", "{ a=1; }"},
		{"rec { a = 1; b = a; }", "rec { a=1; b=a; }"},
		{"let { body = 1; }", "let { body=1; }"},
		{"let a = 1; in a", "(let { a=1; } a)"},
		{"assert a; with b; c", "(assert a (with b c))"},
		{"if a then b else c", "(if a b c)"},
		{"{ inherit (x) a \"b\"; inherit c; }", "{ inherit (x) a (str b); inherit c; }"},
		{"{ a.b.c = 1; }", "{ a.b.c=1; }"},
		// lexer corner cases
		{"x:x", "x:x"},
		{"a-b", "a-b"},
		{"a - b", "(- a b)"},
		{"a/b", "(path a/b)"},
		{"a //b", "(// a b)"},
		{".5", ".5"},
		{"1.", "1."},
		{"1.5e3", "1.5e3"},
		{"<nixpkgs/lib>", "<nixpkgs/lib>"},
		{"./a/${b}", "(path ./a/ ${b})"},
		{"./${b}.nix", "(path ./ ${b} .nix)"},
		{"~/${x}", "(path ~/ ${x})"},
		{"~/a/b", "(path ~/a/b)"},
		{"\"a${b}c\"", "(str a ${b} c)"},
		{"\"$${b}\"", "(str $${b})"},
		{"\"$\"", "(str $)"},
		{"''a''$b'''c''\\n''", "(str a''$b'''c''\\n)"},
		{"''$${x}''", "(str $${x})"},
		{"''${x}''", "(str ${x})"},
		{"__curPos", "__curPos"},
		{"a.b or c", "(. a b or c)"},
		{"[ a b.c (d e) ]", "[ a (. b c) (app d e) ]"},
		{"a |> f |> g", "(|> (|> a f) g)"},
		{"f <| g <| a", "(<| f (<| g a))"},
	}
	for _, tt := range tests {
		f, err := Parse("test.nix", []byte(tt.in))
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := dump(f, f.Root); got != tt.want {
			t.Errorf("Parse(%q) = %s, want %s", tt.in, got, tt.want)
		}
		roundTrip(t, "test.nix", []byte(tt.in))
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"a == b == c", "test.nix:1:8: unexpected '=='"},
		{"a < b < c", "test.nix:1:7: unexpected '<'"},
		{"a ? b ? c", "test.nix:1:7: unexpected '?'"},
		{"{ a = 1; ", "test.nix:1:10: unexpected end of file, expecting '}'"},
		{"{ a = 1; a = 2; }", "test.nix:1:10: attribute 'a' already defined"},
		{"{ a.b = 1; a = { b = 2; }; }", "test.nix:1:18: attribute 'a.b' already defined"},
		{"{ a = 1; a.b = 2; }", "test.nix:1:10: attribute 'a' already defined"},
		{"{ a, a }: a", "test.nix:1:6: duplicate formal function argument 'a'"},
		{"a@{ a }: a", "test.nix:1:5: duplicate formal function argument 'a'"},
		{"let ${a} = 1; in a", "test.nix:1:5: dynamic attributes not allowed in let"},
		{"{ inherit ${a}; }", "test.nix:1:11: dynamic attributes not allowed in inherit"},
		{"\"abc", "test.nix:1:2: unterminated string"},
		{"''abc", "test.nix:1:3: unterminated indented string (missing closing '')"},
		{"/* abc", "test.nix:1:1: unterminated /* comment"},
		{"./a/", "test.nix:1:5: path has a trailing slash"},
		{"ü", "test.nix:1:1: unexpected character U+00FC (non-ASCII characters are only allowed in strings and comments)"},
		{"a\n  ; b", "test.nix:2:3: unexpected ';', expecting end of file"},
		{"a\r\n  ; b", "test.nix:2:3: unexpected ';', expecting end of file"},
		{"{ a }", "test.nix:1:6: unexpected end of file, expecting ':'"},
		{"[ x: x ]", "test.nix:1:4: unexpected ':', expecting ']'"},
		{"", "test.nix:1:1: unexpected end of file"},
		{strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000), "nested too deeply"},
		{strings.Repeat("{", 20000), "nesting too deep"},
	}
	for _, tt := range tests {
		_, err := Parse("test.nix", []byte(tt.in))
		if err == nil {
			t.Errorf("Parse(%.40q) succeeded, want error %q", tt.in, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%.40q) error = %q, want %q", tt.in, err, tt.want)
		}
	}
}

func roundTrip(t *testing.T, name string, src []byte) {
	t.Helper()
	f, err := Parse(name, src)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	out, err := f.Bytes()
	if err != nil {
		t.Errorf("%s: print: %v", name, err)
		return
	}
	if !bytes.Equal(out, src) {
		t.Errorf("%s: printing the parsed file does not give it back byte for byte", name)
	}
}

func TestRoundTripTrivia(t *testing.T) {
	for _, src := range []string{
		"{\r\n  a = 1;\r\n}\r\n",
		"{\n\ta = 1; # comment\r\tb = 2;\n}",
		"/** doc */ x: /* c */ x # end",
		"  \n\n# only a comment\n1\n\n\n",
		"''\n  a\n    ${b} ''\\t\n''",
		"{ a = \"x\\\"${y}\"; }",
	} {
		roundTrip(t, "trivia.nix", []byte(src))
	}
}

// conformance lists the files of Nix's own language tests where this
// parser deliberately disagrees with Nix, and why.
var conformanceDisagreements = map[string]string{
	"parse-fail-undef-var.nix":           "undefined variables are a scope error Nix raises while parsing; nixedit does not resolve scopes",
	"parse-fail-regression-20060610.nix": "undefined variable (see parse-fail-undef-var.nix)",
}

func TestConformance(t *testing.T) {
	dir := testutil.SharedDir(t, "conformance/nix-lang")
	files, err := filepath.Glob(filepath.Join(dir, "*.nix"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no conformance inputs in %s", dir)
	}
	rejected := readRejectedList(t, filepath.Join(dir, "rejected-by-nix-2.8.txt"))
	var okay, failed int
	for _, path := range files {
		name := filepath.Base(path)
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		f, perr := Parse(name, src)
		reason, disagree := conformanceDisagreements[name]
		switch {
		case strings.HasPrefix(name, "parse-okay-"), strings.HasPrefix(name, "eval-okay-"):
			if perr != nil {
				t.Errorf("%s: valid Nix rejected: %v", name, perr)
				continue
			}
			okay++
			roundTrip(t, name, src)
		case strings.HasPrefix(name, "parse-fail-"):
			if perr == nil && !disagree {
				t.Errorf("%s: invalid Nix accepted", name)
			}
			if perr != nil && disagree {
				t.Errorf("%s: listed as a disagreement (%s) but now rejected: update the list", name, reason)
			}
			failed++
		case strings.HasPrefix(name, "eval-fail-"):
			// These fail when evaluated; most parse. Those Nix 2.8 rejects
			// while parsing may be rejected here too.
			if perr != nil {
				if _, ok := rejected[name]; !ok {
					t.Errorf("%s: rejected while parsing (%v), but Nix parses it", name, perr)
				}
				continue
			}
			roundTrip(t, name, f.Src)
		}
	}
	t.Logf("conformance: %d valid files parsed and round-tripped, %d invalid files checked, %d known disagreements", okay, failed, len(conformanceDisagreements))
}

func readRejectedList(t *testing.T, path string) map[string]string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	m := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if name, msg, ok := strings.Cut(line, ": "); ok {
			m[name] = msg
		}
	}
	return m
}

func TestTestdataRoundTrip(t *testing.T) {
	files := testdataInputs(t)
	for _, path := range files {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, path, src)
	}
}

// testdataInputs lists every .nix input under testdata (not golden files).
func testdataInputs(t testing.TB) []string {
	var files []string
	err := filepath.WalkDir("testdata", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".nix") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

func TestRoundTrips(t *testing.T) {
	f, err := Parse("x.nix", []byte("{ a = 1; } # c\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := f.RoundTrips(); !ok || err != nil {
		t.Fatalf("RoundTrips = %v, %v", ok, err)
	}
	for _, tt := range []struct {
		want   string
		writes []string
		same   bool
	}{
		{"abc", []string{"a", "bc"}, true},
		{"abc", []string{"a", "bd"}, false},
		{"abc", []string{"ab"}, false},
		{"abc", []string{"abcd"}, false},
	} {
		w := &compareWriter{want: []byte(tt.want)}
		for _, s := range tt.writes {
			w.Write([]byte(s))
		}
		if got := !w.differ && len(w.want) == 0; got != tt.same {
			t.Errorf("compare %q with %q: %v, want %v", tt.writes, tt.want, got, tt.same)
		}
	}
}
