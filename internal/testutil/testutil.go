// Package testutil holds helpers shared by markbot's tests: finding the
// repository's shared inputs and requiring external tools (nix-instantiate,
// git) that tests use as oracles.
package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Required reports whether tests must fail rather than skip when a tool or
// input is missing (CI sets MARKBOT_REQUIRE_TOOLS=1).
func Required() bool { return os.Getenv("MARKBOT_REQUIRE_TOOLS") == "1" }

// Missing skips the test with a clear message, or fails it when tools are
// required.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf("MARKBOT_REQUIRE_TOOLS=1 but "+format, args...)
	}
	t.Skipf("skipping: "+format+" (set MARKBOT_REQUIRE_TOOLS=1 to make this a failure)", args...)
}

// LookTool returns the path of an executable, or skips/fails the test.
func LookTool(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "%s is not installed (Debian package %s)", name, pkg)
	}
	return p
}

// RepoRoot returns the directory holding go.mod, found upwards from the
// test's working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testutil: no go.mod above the working directory")
		}
		dir = parent
	}
}

// SharedDir returns ../shared/<rel> beside the repository (where the
// project's shared inputs live), or skips/fails the test when it is absent.
// MARKBOT_SHARED_DIR overrides the location of shared/.
func SharedDir(t testing.TB, rel string) string {
	t.Helper()
	base := os.Getenv("MARKBOT_SHARED_DIR")
	if base == "" {
		base = filepath.Join(RepoRoot(t), "..", "shared")
	}
	dir := filepath.Join(base, rel)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		Missing(t, "%s not found (set MARKBOT_SHARED_DIR to the shared/ directory)", dir)
	}
	return dir
}
