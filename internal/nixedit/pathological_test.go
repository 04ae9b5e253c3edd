package nixedit

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// pathoShape is an input made of one piece repeated n times: the shapes
// that made the lexer, the parser or the semantic checks quadratic (a run
// of path characters scanned again for each token of `a.b.b.b…`, names
// searched linearly in a set or a formals list of 100,000 names), and the
// deep nestings that must fail at the depth limit instead of exhausting the
// stack.
type pathoShape struct {
	name string
	gen  func(n int) string
	ok   bool // Parse accepts it (else it must fail with a *Error)
}

func repeat(n int, piece func(i int) string) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(piece(i))
	}
	return b.String()
}

func times(s string) func(int) string { return func(int) string { return s } }

var pathoShapes = []pathoShape{
	// Chains built in a loop are deep on the left: more than maxDepth
	// links is an error (see TestChainDepth).
	{"selectors", func(n int) string { return "a" + strings.Repeat(".b", n) + "\n" }, true},
	{"attrpath", func(n int) string { return "{ a" + strings.Repeat(".a", n) + " = 1; }\n" }, true},
	{"selectors-then-slash", func(n int) string { return "a" + strings.Repeat(".b", n) + "/ 1\n" }, true},
	{"selectors-then-colon", func(n int) string { return "a" + strings.Repeat(".b", n) + ": 1\n" }, false},
	{"plus-idents", func(n int) string { return "a" + strings.Repeat("+a", n) + "\n" }, false},
	{"plus-ints", func(n int) string { return "1" + strings.Repeat("+1", n) + "\n" }, false},
	{"floats", func(n int) string { return "1.1" + strings.Repeat(".1", n) + "\n" }, false},
	{"nested-set", func(n int) string {
		return "{ a = {" + repeat(n, func(i int) string { return fmt.Sprintf(" b%d = 1;", i) }) + " }; }\n"
	}, true},
	{"dotted-prefix", func(n int) string {
		return "{" + repeat(n, func(i int) string { return fmt.Sprintf(" a.b%d = 1;", i) }) + " }\n"
	}, true},
	{"inherit", func(n int) string {
		return "{ inherit" + repeat(n, func(i int) string { return fmt.Sprintf(" a%d", i) }) + "; }\n"
	}, true},
	{"formals", func(n int) string {
		return "{" + repeat(n, func(i int) string { return fmt.Sprintf(" a%d,", i) }) + " z }: 1\n"
	}, true},
	{"let", func(n int) string {
		return "let" + repeat(n, func(i int) string { return fmt.Sprintf(" a%d = 1;", i) }) + " in 1\n"
	}, true},
	{"list", func(n int) string { return "[" + strings.Repeat(" a", n) + " ]\n" }, true},
	{"apply", func(n int) string { return "f" + strings.Repeat(" a", n) + "\n" }, false},
	{"interpolations", func(n int) string { return `"` + strings.Repeat("${a}", n) + "\"\n" }, true},
	{"indented-escapes", func(n int) string { return "''" + strings.Repeat("''$a", n) + "''\n" }, true},
	{"comments", func(n int) string { return strings.Repeat("# c\n", n) + "1\n" }, true},
	{"path", func(n int) string { return "./a" + strings.Repeat("/a", n) + "\n" }, true},
	{"path-interpolations", func(n int) string { return "./a" + strings.Repeat("${b}", n) + "\n" }, true},
	{"deep-parens", func(n int) string { return strings.Repeat("(", n) + "1" + strings.Repeat(")", n) + "\n" }, false},
	{"deep-lambdas", func(n int) string { return strings.Repeat("x: ", n) + "x\n" }, false},
	{"deep-update", func(n int) string { return "a" + strings.Repeat(" // a", n) + "\n" }, false},
	{"deep-sets", func(n int) string { return strings.Repeat("{ a = ", n) + "1" + strings.Repeat("; }", n) + "\n" }, false},
	{"deep-strings", func(n int) string { return strings.Repeat(`"${`, n) + "\n" }, false},
	{"deep-braces", func(n int) string { return strings.Repeat("{", n) + "\n" }, false},
	{"negations", func(n int) string { return strings.Repeat("-", n) + "1\n" }, false},
	{"or-defaults", func(n int) string { return strings.Repeat("a.b or ", n) + "1\n" }, false},
}

// pathoParse parses src, checking the outcome the shape expects.
func pathoParse(t *testing.T, sh pathoShape, src []byte) {
	t.Helper()
	f, err := Parse(sh.name+".nix", src)
	var perr *Error
	switch {
	case sh.ok && err != nil:
		t.Fatalf("%s: %v", sh.name, err)
	case !sh.ok && err == nil:
		t.Fatalf("%s: parsed, want an error", sh.name)
	case !sh.ok && !errors.As(err, &perr):
		t.Fatalf("%s: error of type %T: %v", sh.name, err, err)
	case sh.ok:
		if same, err := f.RoundTrips(); err != nil || !same {
			t.Fatalf("%s: does not round-trip (%v)", sh.name, err)
		}
	}
}

// fastest runs fn runs times and returns its shortest time: the run least
// disturbed by the rest of the machine.
func fastest(runs int, fn func()) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range runs {
		start := time.Now()
		fn()
		best = min(best, time.Since(start))
	}
	return best
}

// pathoPieces is the size of the inputs: 100,000 pieces, a quarter of
// that under the race detector (which slows everything 5–10×).
func pathoPieces() int {
	if raceEnabled {
		return 25000
	}
	return 100000
}

// pathoBudget is the time one input may take.
//
// How it is chosen: a timed assertion must not fail on a loaded machine
// (CI runs every package at once, and other work shares the machine), so
// the bound is absolute and generous, far from both sides. Linear work on
// 100,000 pieces takes 5–250 ms on an idle machine and stayed under 1.5 s
// with the load average at 22 on 2 cores; the quadratic steps this guards
// against took 3–5 s at 25,000 pieces and about a minute at 100,000 (see
// docs/reliability.md). 5 s is 3× the worst linear time seen and a tenth
// of the quadratic one. Each input is timed twice and the faster run
// counts, the one least disturbed by the rest of the machine. Comparing
// the times of n and 4n pieces was tried first and rejected: at these
// sizes the ratio of two linear runs swung from 2 to 47 with the
// garbage collector and the machine's load, so it could not tell 4 from
// 16 reliably.
const pathoBudget = 5 * time.Second

// checkBudget fails when work takes more than pathoBudget.
func checkBudget(t *testing.T, name string, n int, work func()) {
	t.Helper()
	d := fastest(2, work)
	t.Logf("%s: %d pieces in %v", name, n, d)
	if d > pathoBudget {
		t.Errorf("%s: %d pieces took %v, over the budget of %v: not linear", name, n, d, pathoBudget)
	}
}

// TestPathologicalLinear: every shape of 100,000 pieces lexes, parses and
// checks (or fails) within pathoBudget.
func TestPathologicalLinear(t *testing.T) {
	big := pathoPieces()
	for _, sh := range pathoShapes {
		t.Run(sh.name, func(t *testing.T) {
			src := []byte(sh.gen(big))
			pathoParse(t, sh, src)
			checkBudget(t, sh.name, big, func() { Parse(sh.name+".nix", src) })
		})
	}
}

// TestPathologicalMark: marking and unmarking a derivation in a file whose
// function takes 100,000 arguments is linear. On one line (every offset's
// line start and "first on its line" was a scan to the start of that one
// long line) Mark refuses them, as nixfmt never writes them so, and the
// refusal is linear too; one a line, as nixfmt writes them, adding stdenv
// walks them.
func TestPathologicalMark(t *testing.T) {
	body := "lib,\n}:\nmkDerivation {\n  pname = \"x\";\n  version = \"1\";\n  meta = {\n    description = \"x\";\n  };\n}\n"
	oneLine := func(n int) []byte {
		return []byte("{" + repeat(n, func(i int) string { return fmt.Sprintf(" a%d,", i) }) +
			" lib }:\nmkDerivation {\n  pname = \"x\";\n  version = \"1\";\n  meta = {\n    description = \"x\";\n  };\n}\n")
	}
	oneALine := func(n int) []byte {
		return []byte("{\n" + repeat(n, func(i int) string { return fmt.Sprintf("  a%d,\n", i) }) + "  " + body)
	}
	big := pathoPieces()
	m := Marker{Systems: []string{"x86_64-linux"}, BuildURL: testBuild, Since: testSince}
	long := oneLine(big)
	var refused *RefusedError
	if _, err := Mark("x.nix", long, 6, m); !errors.As(err, &refused) {
		t.Fatalf("Mark of 100,000 arguments on one line: %v, want refused", err)
	}
	checkBudget(t, "refuse", big, func() { Mark("x.nix", long, 6, m) })

	src := oneALine(big)
	pos := big + 8 // the description's line
	out, line, err := markLine("x.nix", src, pos, m)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := Unmark("x.nix", out, line); err != nil || string(back) != string(src) {
		t.Fatalf("Unmark: %v", err)
	}
	checkBudget(t, "mark", big, func() {
		if _, err := Mark("x.nix", src, pos, m); err != nil {
			t.Fatal(err)
		}
	})
	checkBudget(t, "unmark", big, func() {
		if _, err := Unmark("x.nix", out, line); err != nil {
			t.Fatal(err)
		}
	})
}

// TestChainDepth: chains the parser builds in loops (applications, left-
// associative operators, |>) count towards maxDepth like nesting does. A
// 20 MB `f a a a …` used to parse, and the first walk over its tree (10
// million levels deep) overflowed the goroutine's stack: a crash no
// recover() catches.
func TestChainDepth(t *testing.T) {
	for _, tt := range []struct{ name, first, link string }{
		{"apply", "f", " a"},
		{"plus", "1", " + 1"},
		{"or", "a", " || a"},
		{"pipe", "a", " |> f"},
		{"has-attr then plus", "a ? b", " + 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ok := tt.first + strings.Repeat(tt.link, maxDepth-10) + "\n"
			if _, err := Parse("ok.nix", []byte(ok)); err != nil {
				t.Errorf("%d links: %v", maxDepth-10, err)
			}
			deep := tt.first + strings.Repeat(tt.link, maxDepth+1) + "\n"
			_, err := Parse("deep.nix", []byte(deep))
			if err == nil || !strings.Contains(err.Error(), "nested too deeply") {
				t.Errorf("%d links: %v, want nested too deeply", maxDepth+1, err)
			}
		})
	}
}
