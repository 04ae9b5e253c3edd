package bot

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
)

// LocalBuilder is the local build probe (config probe.build_*): it runs the
// configured command for one attribute on one system, one build at a time,
// with a timeout, and keeps the build's log in LogDir.
type LocalBuilder struct {
	// Command is an argv (no shell); "{attr}" and "{system}" in its
	// elements are replaced, e.g. nix-build --no-out-link -A {attr}
	// --argstr system {system}.
	Command []string
	// Dir is where the command runs: a nixpkgs checkout at the base branch.
	Dir string
	// Env ("NAME=value") is added to markbot's environment, e.g.
	// NIXPKGS_ALLOW_BROKEN=1.
	Env []string
	// Timeout bounds one build (default 3h); a build that runs out counts
	// as not green.
	Timeout time.Duration
	// Systems the builder can build (default: HostSystem()).
	Systems []string
	// LogDir keeps the logs, KeepLogs (default 5) per attribute and system.
	LogDir   string
	KeepLogs int
	Now      func() time.Time

	mu sync.Mutex // one build at a time
}

// BuildResult is the outcome of one local build.
type BuildResult struct {
	// OK: the command exited 0.
	OK bool
	// Detail: "exit status 0", "exit status 1", "timed out after 3h0m0s".
	Detail   string
	Log      string
	Duration time.Duration
}

// HostSystem is the Nix system of the machine markbot runs on
// ("x86_64-linux"), or "" for a platform Nix does not name.
func HostSystem() string {
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686", "riscv64": "riscv64",
		"ppc64le": "powerpc64le", "arm": "armv7l"}[runtime.GOARCH]
	if arch == "" || (runtime.GOOS != "linux" && runtime.GOOS != "darwin" && runtime.GOOS != "freebsd") {
		return ""
	}
	return arch + "-" + runtime.GOOS
}

// CanBuild reports whether the builder builds for system.
func (b *LocalBuilder) CanBuild(system string) bool {
	if len(b.Systems) == 0 {
		return system != "" && system == HostSystem()
	}
	return slices.Contains(b.Systems, system)
}

// attrRE is what an attribute path handed to the command may look like:
// Hydra job names, never an option ("-...") or a path.
var attrRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_'+-]*(\.[A-Za-z_][A-Za-z0-9_'+-]*)*$`)

// Args returns the command's argv for attr on system.
func (b *LocalBuilder) Args(attr, system string) ([]string, error) {
	if len(b.Command) == 0 || b.Command[0] == "" {
		return nil, errors.New("local probe: no build command configured (probe.build_command)")
	}
	if !attrRE.MatchString(attr) {
		return nil, fmt.Errorf("local probe: refusing to build %q: not an attribute path", attr)
	}
	if !slices.Contains(nixpkgs.KnownSystems, system) {
		return nil, fmt.Errorf("local probe: refusing to build for %q: not a known system", system)
	}
	r := strings.NewReplacer("{attr}", attr, "{system}", system)
	args := make([]string, len(b.Command))
	for i, a := range b.Command {
		args[i] = r.Replace(a)
	}
	return args, nil
}

// Build runs the command for attr on system and keeps its log. The error
// is for what is not the package's doing (no command, the log cannot be
// written, the command cannot start, ctx cancelled): no result then.
func (b *LocalBuilder) Build(ctx context.Context, attr, system string) (BuildResult, error) {
	args, err := b.Args(attr, system)
	if err != nil {
		return BuildResult{}, err
	}
	if !b.CanBuild(system) {
		return BuildResult{}, fmt.Errorf("local probe: cannot build for %s (probe.build_systems)", system)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	timeout := b.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Hour
	}
	if err := os.MkdirAll(b.LogDir, 0o750); err != nil {
		return BuildResult{}, fmt.Errorf("local probe: log directory: %w", err)
	}
	start := now()
	logPath := filepath.Join(b.LogDir, fmt.Sprintf("%s.%s.%s.log", attr, system, start.UTC().Format("20060102T150405.000Z")))
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return BuildResult{}, fmt.Errorf("local probe: %w", err)
	}
	defer f.Close()
	fmt.Fprintf(f, "# markbot local probe of %s on %s, %s\n# in %s: %s\n", attr, system, start.UTC().Format(time.RFC3339), b.Dir, strings.Join(args, " "))

	bctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(bctx, args[0], args[1:]...)
	cmd.Dir = b.Dir
	cmd.Env = append(os.Environ(), b.Env...)
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = f, f
	killGroup(cmd)
	cmd.WaitDelay = 10 * time.Second
	runErr := cmd.Run()
	res := BuildResult{Log: logPath, Duration: now().Sub(start)}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		fmt.Fprintf(f, "# cancelled: %v\n", ctx.Err())
		return BuildResult{}, fmt.Errorf("local probe of %s on %s: %w", attr, system, ctx.Err())
	case bctx.Err() == context.DeadlineExceeded:
		res.Detail = fmt.Sprintf("timed out after %s", timeout)
	case runErr == nil:
		res.OK, res.Detail = true, "exit status 0"
	case errors.As(runErr, &exit):
		res.Detail = exit.ProcessState.String()
	default:
		fmt.Fprintf(f, "# could not run: %v\n", runErr)
		return BuildResult{}, fmt.Errorf("local probe of %s on %s: running %s in %s: %w", attr, system, args[0], b.Dir, runErr)
	}
	fmt.Fprintf(f, "# %s after %s\n", res.Detail, res.Duration.Round(time.Millisecond))
	b.prune(attr, system)
	return res, nil
}

// prune keeps the newest KeepLogs logs of attr on system.
func (b *LocalBuilder) prune(attr, system string) {
	keep := b.KeepLogs
	if keep <= 0 {
		keep = 5
	}
	logs, err := filepath.Glob(filepath.Join(b.LogDir, globEscape(attr+"."+system+".")+"*.log"))
	if err != nil || len(logs) <= keep {
		return
	}
	slices.Sort(logs) // the timestamps sort in time order
	for _, p := range logs[:len(logs)-keep] {
		os.Remove(p)
	}
}

func globEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`).Replace(s)
}
