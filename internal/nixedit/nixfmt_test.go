package nixedit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOrLayoutNixfmtCases: orLayout reproduces bindings of NixOS/nixfmt's
// own test outputs (test/diff/*/out.nix, which test/test.sh formats at
// width 80 — `nixfmt -w 80`), each rebuilt from its operands and the
// binding's indentation, then one case per layout at markbot's width (100).
func TestOrLayoutNixfmtCases(t *testing.T) {
	tests := []struct {
		source string // the nixfmt test the want comes from, or the rule
		width  int
		ind    string
		name   string
		ops    []string
		want   string // the binding as nixfmt prints it
	}{
		{"test/diff/idioms_lib_5/out.nix: allowBroken (in.nix breaks it after the first operand)", 80, "  ", "allowBroken",
			[]string{"config.allowBroken", `builtins.getEnv "NIXPKGS_ALLOW_BROKEN" == "1"`},
			"  allowBroken =\n    config.allowBroken || builtins.getEnv \"NIXPKGS_ALLOW_BROKEN\" == \"1\";"},
		{"test/diff/idioms_lib_5/out.nix: allowUnfree", 80, "  ", "allowUnfree",
			[]string{"config.allowUnfree", `builtins.getEnv "NIXPKGS_ALLOW_UNFREE" == "1"`},
			"  allowUnfree =\n    config.allowUnfree || builtins.getEnv \"NIXPKGS_ALLOW_UNFREE\" == \"1\";"},
		{"test/diff/idioms_lib_5/out.nix: allowUnsupportedSystem", 80, "  ", "allowUnsupportedSystem",
			[]string{"config.allowUnsupportedSystem", `builtins.getEnv "NIXPKGS_ALLOW_UNSUPPORTED_SYSTEM" == "1"`},
			"  allowUnsupportedSystem =\n    config.allowUnsupportedSystem\n    || builtins.getEnv \"NIXPKGS_ALLOW_UNSUPPORTED_SYSTEM\" == \"1\";"},
		{"test/diff/idioms_nixos_2/out.nix:827: 89 columns, 77 without the indentation, one line", 80, strings.Repeat(" ", 12), "requiresReadSecretFunction",
			[]string{"c.dbpassFile != null", "c.objectstore.s3.enable"},
			strings.Repeat(" ", 12) + "requiresReadSecretFunction = c.dbpassFile != null || c.objectstore.s3.enable;"},
		{"test/diff/idioms_nixos_2/out.nix:852", 80, strings.Repeat(" ", 12), "showAppStoreSetting",
			[]string{"cfg.appstoreEnable != null", "cfg.extraApps != { }"},
			strings.Repeat(" ", 12) + "showAppStoreSetting = cfg.appstoreEnable != null || cfg.extraApps != { };"},
		{"test/diff/idioms_pkgs_5/out.nix:275: an && operand stays whole", 80, strings.Repeat(" ", 6), "dontAddHostSuffix",
			[]string{"attrs ? outputHash && !noNonNativeDeps", "!stdenv.hasCC"},
			strings.Repeat(" ", 6) + "dontAddHostSuffix = attrs ? outputHash && !noNonNativeDeps || !stdenv.hasCC;"},
		{"standard.md Bindings #1: fits on one line", 100, "    ", "broken",
			[]string{"stdenv.hostPlatform.isDarwin", `stdenv.hostPlatform.system == "x86_64-linux"`},
			"    broken = stdenv.hostPlatform.isDarwin || stdenv.hostPlatform.system == \"x86_64-linux\";"},
		{"standard.md Bindings #2: exactly 100 columns after the indentation fits", 100, "    ", "broken",
			[]string{strings.Repeat("a", 100-len("broken = ;")-len(" || b")), "b"},
			"    broken = " + strings.Repeat("a", 100-len("broken = ;")-len(" || b")) + " || b;"},
		{"standard.md Bindings #2: 101 columns does not", 100, "    ", "broken",
			[]string{strings.Repeat("a", 101-len("broken = ;")-len(" || b")), "b"},
			"    broken =\n      " + strings.Repeat("a", 101-len("broken = ;")-len(" || b")) + " || b;"},
		{"standard.md Bindings #2: markbot's longest two-system condition", 100, "    ", "broken",
			[]string{`stdenv.hostPlatform.system == "x86_64-linux"`, `stdenv.hostPlatform.system == "aarch64-darwin"`},
			"    broken =\n      stdenv.hostPlatform.system == \"x86_64-linux\" || stdenv.hostPlatform.system == \"aarch64-darwin\";"},
		{"standard.md Operators and Bindings semicolon placement (attr8): one operand a line", 100, "    ", "broken",
			[]string{"stdenv.hostPlatform.isDarwin && stdenv.hostPlatform.isx86_64", `stdenv.hostPlatform.system == "aarch64-darwin"`},
			"    broken =\n      stdenv.hostPlatform.isDarwin && stdenv.hostPlatform.isx86_64\n      || stdenv.hostPlatform.system == \"aarch64-darwin\";"},
		{"Predoc.hs textWidth counts characters, not bytes", 100, "  ", "broken",
			[]string{`x == "` + strings.Repeat("é", 100-len(`broken = x == "" || y;`)) + `"`, "y"},
			"  broken = x == \"" + strings.Repeat("é", 100-len(`broken = x == "" || y;`)) + "\" || y;"},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			value, ok := orLayoutWidth(tt.name, tt.ops, tt.ind, "\n", tt.width)
			if got := tt.ind + tt.name + " =" + value + ";"; !ok || got != tt.want {
				t.Fatalf("got (ok %v)\n%s\nwant\n%s", ok, got, tt.want)
			}
		})
	}
	// An operand nixfmt would break inside is not modelled.
	if _, ok := orLayoutWidth("broken", []string{"a", strings.Repeat("b", 99)}, "", "\n", 100); ok {
		t.Error("orLayout laid out an operand wider than the line")
	}
	if _, ok := orLayoutWidth("broken", []string{"a", "b\nc"}, "", "\n", 100); ok {
		t.Error("orLayout laid out an operand spanning lines")
	}
}

// nixfmtCase is a pair under testdata/nixfmt: NAME.in.nix, whose first line
//
//	# nixfmt-test: line=N [systems=a,b] [refused=WORD] rule=TEXT
//
// says where to mark, what must come of it and the nixfmt rule or test the
// expected output is derived from, and NAME.out.nix, the file as nixfmt
// prints it with markbot's marker: written by hand from that rule, not
// generated (there is no -update for these), since nixfmt is not
// installable here. refused= instead names a word of the refusal.
type nixfmtCase struct {
	name, rule, refused string
	in, out             []byte
	line                int
	systems             []string
}

func loadNixfmtCases(t *testing.T) []nixfmtCase {
	t.Helper()
	paths, err := filepath.Glob("testdata/nixfmt/*.in.nix")
	if err != nil || len(paths) == 0 {
		t.Fatal("no cases in testdata/nixfmt")
	}
	var cases []nixfmtCase
	for _, path := range paths {
		in, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		c := nixfmtCase{name: strings.TrimSuffix(filepath.Base(path), ".in.nix"), in: in}
		header, _, _ := strings.Cut(string(in), "\n")
		fields, ok := strings.CutPrefix(header, "# nixfmt-test: ")
		if !ok {
			t.Fatalf("%s: first line is not a '# nixfmt-test:' header", path)
		}
		fields, c.rule, _ = strings.Cut(fields, "rule=")
		for _, kv := range strings.Fields(fields) {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "line":
				if c.line, err = strconv.Atoi(v); err != nil {
					t.Fatalf("%s: %v", path, err)
				}
			case "systems":
				c.systems = strings.Split(v, ",")
			case "refused":
				c.refused = v
			default:
				t.Fatalf("%s: unknown header key %q", path, k)
			}
		}
		if c.line == 0 || strings.TrimSpace(c.rule) == "" {
			t.Fatalf("%s: the header needs line and rule", path)
		}
		if c.refused == "" {
			if c.out, err = os.ReadFile(strings.TrimSuffix(path, ".in.nix") + ".out.nix"); err != nil {
				t.Fatal(err)
			}
		}
		cases = append(cases, c)
	}
	return cases
}

// TestNixfmtLayout: for every shape markbot writes, Mark's output is the
// file as nixfmt prints it (or Mark refuses, where it cannot be), Unmark
// gives the input back, and marking the output again is "already broken".
func TestNixfmtLayout(t *testing.T) {
	for _, c := range loadNixfmtCases(t) {
		t.Run(c.name, func(t *testing.T) {
			m := Marker{Systems: c.systems, BuildURL: testBuild, Since: testSince}
			out, line, err := markLine(c.name+".nix", c.in, c.line, m)
			if c.refused != "" {
				var refused *RefusedError
				if !errors.As(err, &refused) || !strings.Contains(err.Error(), c.refused) {
					t.Fatalf("Mark: %v, want a refusal naming %q (%s)", err, c.refused, c.rule)
				}
				return
			}
			if err != nil {
				t.Fatalf("Mark: %v (%s)", err, c.rule)
			}
			if !bytes.Equal(out, c.out) {
				t.Fatalf("Mark's output is not nixfmt's (%s):\n%s", c.rule, lineDiff(string(c.out), string(out)))
			}
			back, err := Unmark(c.name+".nix", out, line)
			if err != nil || !bytes.Equal(back, c.in) {
				t.Fatalf("Unmark: %v\n%s", err, lineDiff(string(c.in), string(back)))
			}
			if _, err := Mark(c.name+".nix", out, line, m); !errors.Is(err, ErrAlreadyBroken) {
				t.Fatalf("Mark of the output: %v, want already broken", err)
			}
			checkNixfmtInvariants(t, out)
		})
	}
}

// checkNixfmtInvariants checks what holds of any file nixfmt prints, as far
// as it can be told line by line: LF line endings, one final newline, no
// tab indentation, no trailing blanks, and no line of code past the width
// (comments and strings may be longer: standard.md, "Line length").
func checkNixfmtInvariants(t *testing.T, out []byte) {
	t.Helper()
	if bytes.IndexByte(out, '\r') >= 0 || !bytes.HasSuffix(out, []byte("\n")) || bytes.HasSuffix(out, []byte("\n\n")) {
		t.Error("line endings or final newline are not nixfmt's")
	}
	for i, l := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		code := strings.TrimLeft(l, " ")
		switch {
		case strings.HasPrefix(l, "\t") || strings.HasSuffix(l, " "):
			t.Errorf("line %d: tab indentation or trailing blank: %q", i+1, l)
		case !strings.HasPrefix(code, "#") && !strings.Contains(code, `"`) && textWidth(code) > nixfmtWidth:
			t.Errorf("line %d is %d columns past its indentation: %q", i+1, textWidth(code), l)
		}
	}
}
