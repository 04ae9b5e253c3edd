package nixedit

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/testutil"
)

// nixParse runs `nix-instantiate --parse` on files (Nix's own parser,
// which also rejects undefined variables) and fails the test naming the
// first file Nix rejects.
func nixParse(t *testing.T, files []string) {
	t.Helper()
	bin := testutil.LookTool(t, "nix-instantiate", "nix-bin")
	const batch = 200
	for i := 0; i < len(files); i += batch {
		chunk := files[i:min(i+batch, len(files))]
		cmd := exec.Command(bin, append([]string{"--parse"}, chunk...)...)
		cmd.Env = append(os.Environ(), "NIX_STATE_DIR="+t.TempDir(), "HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("nix-instantiate --parse rejected a file: %v\n%s", err, lastLines(string(out), 12))
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// allSubsets returns every non-empty subset of Hydra's systems.
func allSubsets() [][]string {
	var out [][]string
	for mask := 1; mask < 1<<len(HydraSystems); mask++ {
		var s []string
		for i, sys := range HydraSystems {
			if mask&(1<<i) != 0 {
				s = append(s, sys)
			}
		}
		out = append(out, s)
	}
	return out
}

// TestOracleInputs: Nix accepts every testdata input and golden output.
func TestOracleInputs(t *testing.T) {
	var files []string
	for _, tc := range loadCases(t) {
		files = append(files, tc.path)
		if tc.want == "changed" {
			files = append(files, tc.path+".golden")
		}
	}
	for _, p := range testdataInputs(t) {
		if !strings.HasPrefix(p, filepath.Join("testdata", "cases")) {
			files = append(files, p)
		}
	}
	// The golden files have no .nix suffix; Nix does not care.
	nixParse(t, files)
}

// TestOracleMarkOutputs: Nix accepts every file Mark writes, for every
// fixture and every subset of Hydra's systems (which exercises adding
// stdenv to the formals and combining with existing conditions).
func TestOracleMarkOutputs(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, tc := range loadCases(t) {
		if tc.op != "mark" {
			continue
		}
		for i, systems := range allSubsets() {
			m := Marker{Systems: systems, BuildURL: testBuild, Since: testSince}
			out, err := Mark(tc.path, tc.src, tc.line, m)
			if err != nil {
				continue
			}
			p := filepath.Join(dir, fmt.Sprintf("%s.%d.nix", filepath.Base(tc.path), i))
			if err := os.WriteFile(p, out, 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, p)
		}
	}
	if len(files) < 100 {
		t.Fatalf("only %d marked outputs to check", len(files))
	}
	nixParse(t, files)
	t.Logf("nix-instantiate --parse accepted %d files written by Mark", len(files))
}

// TestOracleConditions evaluates every condition Mark can write with
// nix-instantiate --eval against a stub stdenv.hostPlatform for each
// system: it must be true exactly on the failing systems.
func TestOracleConditions(t *testing.T) {
	bin := testutil.LookTool(t, "nix-instantiate", "nix-bin")
	systems := append([]string{}, HydraSystems...)
	var expr strings.Builder
	expr.WriteString("let\n  platform = system: {\n")
	expr.WriteString("    inherit system;\n")
	expr.WriteString("    isLinux = builtins.match \".*-linux\" system != null;\n")
	expr.WriteString("    isDarwin = builtins.match \".*-darwin\" system != null;\n")
	expr.WriteString("    isx86_64 = builtins.match \"x86_64-.*\" system != null;\n")
	expr.WriteString("    isAarch64 = builtins.match \"aarch64-.*\" system != null;\n  };\n")
	expr.WriteString("  systems = [ " + quoteAll(systems) + " ];\n")
	expr.WriteString("  check = cond: map (system: let stdenv = { hostPlatform = platform system; }; in cond stdenv) systems;\nin [\n")
	var want []string
	subsets := allSubsets()
	for _, subset := range subsets {
		cond, err := Condition(subset)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&expr, "  (check (stdenv: %s))\n", cond)
		var row []string
		for _, s := range systems {
			row = append(row, fmt.Sprint(contains(subset, s)))
		}
		want = append(want, "[ "+strings.Join(row, " ")+" ]")
	}
	expr.WriteString("]\n")
	file := filepath.Join(t.TempDir(), "conditions.nix")
	if err := os.WriteFile(file, []byte(expr.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--eval", "--strict", file)
	cmd.Env = append(os.Environ(), "NIX_STATE_DIR="+t.TempDir(), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("nix-instantiate --eval: %v\n%s\n%s", err, out, expr.String())
	}
	got := strings.TrimSpace(string(out))
	wantAll := "[ " + strings.Join(want, " ") + " ]"
	if got != wantAll {
		t.Fatalf("conditions evaluated to\n%s\nwant\n%s", got, wantAll)
	}
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = `"` + s + `"`
	}
	return strings.Join(q, " ")
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
