package bot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/testutil"
)

// script is a stand-in build command: it fails for "bad", hangs (with a
// child) for "slow", prints the environment's PROBE_MARK otherwise.
const script = `case "$1" in
bad) echo "error: $1 does not build on $2" >&2; exit 1;;
slow) sleep 60 & sleep 60; exit 0;;
*) echo "built $1 for $2 with PROBE_MARK=$PROBE_MARK";;
esac
`

func scriptBuilder(t *testing.T) *LocalBuilder {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "build.sh"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	return &LocalBuilder{Command: []string{"/bin/sh", "build.sh", "{attr}", "{system}"}, Dir: dir,
		Env: []string{"PROBE_MARK=allow-broken"}, Timeout: 10 * time.Second, Systems: []string{"x86_64-linux"},
		LogDir: filepath.Join(t.TempDir(), "logs")}
}

func TestLocalBuilder(t *testing.T) {
	for _, tc := range []struct {
		name, attr, system string
		timeout            time.Duration
		ok                 bool
		detail, log, err   string
	}{
		{"builds", "hello", "x86_64-linux", 0, true, "exit status 0", "built hello for x86_64-linux with PROBE_MARK=allow-broken", ""},
		{"fails", "bad", "x86_64-linux", 0, false, "exit status 1", "error: bad does not build on x86_64-linux", ""},
		{"times out, children killed", "slow", "x86_64-linux", 300 * time.Millisecond, false, "timed out after 300ms", "# timed out", ""},
		{"system it cannot build", "hello", "aarch64-darwin", 0, false, "", "", "cannot build for aarch64-darwin"},
		{"not an attribute", "--option", "x86_64-linux", 0, false, "", "", `refusing to build "--option"`},
		{"unknown system", "hello", "x86_64-plan9", 0, false, "", "", "not a known system"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := scriptBuilder(t)
			if tc.timeout > 0 {
				b.Timeout = tc.timeout
			}
			start := time.Now()
			res, err := b.Build(context.Background(), tc.attr, tc.system)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.OK != tc.ok || res.Detail != tc.detail {
				t.Errorf("result %+v, want ok=%v %q", res, tc.ok, tc.detail)
			}
			if time.Since(start) > 8*time.Second {
				t.Errorf("build took %s: the timeout did not stop it", time.Since(start))
			}
			log, err := os.ReadFile(res.Log)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(log), tc.log) || !strings.Contains(string(log), "/bin/sh build.sh "+tc.attr+" "+tc.system) {
				t.Errorf("log:\n%s\nwant %q and the command line", log, tc.log)
			}
		})
	}
}

func TestLocalBuilderErrors(t *testing.T) {
	b := scriptBuilder(t)
	b.Command = []string{"/nonexistent/nix-build", "-A", "{attr}"}
	if _, err := b.Build(context.Background(), "hello", "x86_64-linux"); err == nil || !strings.Contains(err.Error(), "running /nonexistent/nix-build in "+b.Dir) {
		t.Errorf("missing command: %v", err)
	}
	b = scriptBuilder(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(200 * time.Millisecond); cancel() }()
	if _, err := b.Build(ctx, "slow", "x86_64-linux"); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("cancelled build: %v", err)
	}
	b = scriptBuilder(t)
	b.Command = nil
	if _, err := b.Build(context.Background(), "hello", "x86_64-linux"); err == nil || !strings.Contains(err.Error(), "probe.build_command") {
		t.Errorf("no command: %v", err)
	}
}

func TestLocalBuilderKeepsNewestLogs(t *testing.T) {
	b := scriptBuilder(t)
	b.KeepLogs = 2
	clock := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	b.Now = func() time.Time { clock = clock.Add(time.Minute); return clock }
	var last string
	for range 4 {
		res, err := b.Build(context.Background(), "hello", "x86_64-linux")
		if err != nil {
			t.Fatal(err)
		}
		last = res.Log
	}
	if _, err := b.Build(context.Background(), "bad", "x86_64-linux"); err != nil {
		t.Fatal(err)
	}
	hello, _ := filepath.Glob(filepath.Join(b.LogDir, "hello.*"))
	bad, _ := filepath.Glob(filepath.Join(b.LogDir, "bad.*"))
	if len(hello) != 2 || hello[1] != last || len(bad) != 1 {
		t.Errorf("logs kept: %v %v", hello, bad)
	}
}

// TestLocalBuilderNixBuild runs the real nix-build on a tiny nixpkgs-like
// tree: what markbot's example probe.build_command does.
func TestLocalBuilderNixBuild(t *testing.T) {
	nixBuild := testutil.LookTool(t, "nix-build", "nix-bin")
	if HostSystem() == "" {
		t.Skip("no Nix system for this platform")
	}
	dir := t.TempDir()
	tree := `{ system ? builtins.currentSystem }:
let mk = name: script: derivation { inherit name system; builder = "/bin/sh"; args = [ "-c" script ]; };
in {
  good = mk "markbot-probe-good-` + strings.ReplaceAll(t.Name(), "/", "-") + `" "echo ok > $out";
  bad = mk "markbot-probe-bad" "echo error: this package does not build >&2; exit 1";
}
`
	if err := os.WriteFile(filepath.Join(dir, "default.nix"), []byte(tree), 0o644); err != nil {
		t.Fatal(err)
	}
	b := &LocalBuilder{Command: []string{nixBuild, "--no-out-link", "--option", "sandbox", "false", "-A", "{attr}", "--argstr", "system", "{system}"},
		Dir: dir, Env: []string{"NIXPKGS_ALLOW_BROKEN=1"}, Timeout: 5 * time.Minute, LogDir: t.TempDir()}
	for attr, ok := range map[string]bool{"good": true, "bad": false} {
		res, err := b.Build(context.Background(), attr, HostSystem())
		if err != nil {
			t.Fatal(err)
		}
		log, _ := os.ReadFile(res.Log)
		if res.OK != ok {
			t.Errorf("%s: ok=%v (%s)\n%s", attr, res.OK, res.Detail, log)
		}
		if !ok && !strings.Contains(string(log), "this package does not build") {
			t.Errorf("%s: the log lacks the builder's output:\n%s", attr, log)
		}
	}
}
