package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/nixedit"
	"github.com/nixpkgs-markbot/markbot/internal/udiff"
)

// Exit codes of `markbot nix mark|unmark|narrow`.
const (
	exitNothingToDo = 3 // mark: already broken; unmark: not marked
	exitRefused     = 4 // mark: refused; unmark: changed by a human
)

const nixUsage = `usage:
  markbot nix check FILE...
  markbot nix mark FILE:LINE --build URL [--systems S1,S2] [--since YYYY-MM-DD] [-w | --diff]
  markbot nix unmark FILE:LINE [--build URL] [--systems S1,S2] [--since YYYY-MM-DD] [-w | --diff]
  markbot nix narrow FILE:LINE --systems S1,S2 --build URL [--since YYYY-MM-DD] [-w | --diff]

LINE is the derivation's meta.position line (its meta.description, else
version, else name). mark, unmark and narrow print the new file (default),
write it in place (-w) or print a unified diff (--diff). narrow replaces
markbot's marker by one for fewer systems (those still failing), naming
--build, a build that fails there; --since defaults to the old marker's.
unmark's --build, --systems and --since are what markbot wrote, when known:
a marker saying otherwise was changed by a human. A file that opts out
('# markbot: ignore') or is generated is refused by all three.

Exit codes: 0 changed (check: all files fine), 1 error (the file: unreadable,
over 64 MiB, not parsing, no derivation at LINE, not writable with -w),
3 nothing to do (already broken / not marked),
4 refused (reason on stderr) / marker changed by a human,
64 usage error (a bad flag or argument: FILE:LINE, a build URL, a date, a system).
`

func runNix(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, nixUsage)
		return exitUsage
	}
	switch args[0] {
	case "check":
		return nixCheck(args[1:], stdout, stderr)
	case "mark":
		return nixEdit("mark", args[1:], stdout, stderr)
	case "unmark", "narrow":
		return nixEdit(args[0], args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, nixUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "markbot nix: unknown subcommand %q\n\n%s", args[0], nixUsage)
	return exitUsage
}

func nixCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("markbot nix check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "print each good file too")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(files) == 0 {
		fmt.Fprint(stderr, "markbot nix check: no files given\n\n"+nixUsage)
		return exitUsage
	}
	failed := 0
	for _, name := range files {
		if err := checkFile(name); err != nil {
			fmt.Fprintln(stdout, err)
			failed++
			continue
		}
		if *verbose {
			fmt.Fprintf(stdout, "%s: ok\n", name)
		}
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "markbot nix check: %d of %d files failed\n", failed, len(files))
		return exitError
	}
	return exitOK
}

// checkFile parses a file and verifies that printing it gives it back.
func checkFile(name string) error {
	src, err := nixedit.ReadFile(name)
	if err != nil {
		return readError(name, err)
	}
	f, err := nixedit.Parse(name, src)
	if err != nil {
		return err
	}
	same, err := f.RoundTrips()
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	if !same {
		return fmt.Errorf("%s: printing the parsed file does not give it back byte for byte (a bug in markbot: please report it)", name)
	}
	return nil
}

func nixEdit(op string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("markbot nix "+op, flag.ContinueOnError)
	fs.SetOutput(stderr)
	write := fs.Bool("w", false, "write the result to the file instead of stdout")
	diff := fs.Bool("diff", false, "print a unified diff instead of the file")
	var build, systems, since *string
	switch op {
	case "mark":
		build = fs.String("build", "", "the failing Hydra build `URL` (required)")
		systems = fs.String("systems", "", "comma-separated failing `systems` (default: all)")
		since = fs.String("since", time.Now().UTC().Format(time.DateOnly), "the `date` the failure started")
	case "narrow":
		build = fs.String("build", "", "a Hydra build `URL` failing on one of the systems kept (required)")
		systems = fs.String("systems", "", "comma-separated `systems` the marker keeps (required)")
		since = fs.String("since", "", "the `date` the failure started (default: the marker's)")
	default: // unmark
		build = fs.String("build", "", "the build `URL` markbot's marker names, if known: a marker naming another is a human's")
		systems = fs.String("systems", "", "the `systems` markbot's marker covers, if known (all: every system)")
		since = fs.String("since", "", "the `date` markbot's marker says, if known")
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "markbot nix %s: want exactly one FILE:LINE\n\n%s", op, nixUsage)
		return exitUsage
	}
	if *write && *diff {
		fmt.Fprintf(stderr, "markbot nix %s: -w and --diff exclude each other\n", op)
		return exitUsage
	}
	name, line, err := splitFileLine(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "markbot nix %s: %v\n", op, err)
		return exitUsage
	}
	// The marker the flags give: checked before the file is read, a bad
	// value is a usage error (exit 64), as a bad flag is.
	m := nixedit.Marker{BuildURL: *build, Since: *since}
	switch *systems {
	case "":
	case "all":
		m.Systems = nixedit.HydraSystems
	default:
		m.Systems = strings.Split(*systems, ",")
	}
	switch {
	case op == "mark" && *build == "":
		fmt.Fprintf(stderr, "markbot nix mark: --build URL is required\n")
		return exitUsage
	case op == "narrow" && (*build == "" || *systems == ""):
		fmt.Fprintf(stderr, "markbot nix narrow: --systems and --build are required\n")
		return exitUsage
	}
	if err := validFlags(m); err != nil {
		fmt.Fprintf(stderr, "markbot nix %s: %v\n", op, err)
		return exitUsage
	}
	src, err := nixedit.ReadFile(name)
	if err != nil {
		fmt.Fprintf(stderr, "markbot nix %s: %v\n", op, readError(name, err))
		return exitError
	}
	var out []byte
	switch {
	case op == "mark":
		out, err = nixedit.Mark(name, src, line, m)
	case op == "narrow":
		out, err = nixedit.Narrow(name, src, line, m)
	case m.BuildURL == "" && m.Since == "" && len(m.Systems) == 0:
		out, err = nixedit.Unmark(name, src, line)
	default:
		out, err = nixedit.UnmarkExpecting(name, src, line, m)
	}
	var refused *nixedit.RefusedError
	var human *nixedit.HumanChangedError
	switch {
	case errors.Is(err, nixedit.ErrAlreadyBroken), errors.Is(err, nixedit.ErrNotMarked):
		fmt.Fprintf(stderr, "%s:%d: %v: nothing to do\n", name, line, err)
		return exitNothingToDo
	case errors.As(err, &refused), errors.As(err, &human):
		fmt.Fprintf(stderr, "%s:%d: %v\n", name, line, err)
		return exitRefused
	case err != nil:
		if strings.HasPrefix(err.Error(), name+":") {
			fmt.Fprintln(stderr, err) // already names the file (and line)
		} else {
			fmt.Fprintf(stderr, "markbot nix %s: %v\n", op, err)
		}
		return exitError
	}
	switch {
	case *write:
		if err := writeFileAtomic(name, out); err != nil {
			fmt.Fprintf(stderr, "markbot nix %s: %v\n", op, err)
			return exitError
		}
	case *diff:
		oldName, newName := name, name
		if !filepath.IsAbs(name) {
			oldName, newName = "a/"+filepath.ToSlash(name), "b/"+filepath.ToSlash(name)
		}
		fmt.Fprint(stdout, udiff.Unified(oldName, newName, string(src), string(out)))
	default:
		stdout.Write(out)
	}
	return exitOK
}

// validFlags checks the fields of m the flags set (a build URL, a date,
// systems), as nixedit.Marker.Validate does.
func validFlags(m nixedit.Marker) error {
	if m.BuildURL == "" {
		m.BuildURL = "https://hydra.nixos.org/build/1"
	}
	if m.Since == "" {
		m.Since = "2006-01-02"
	}
	return m.Validate()
}

// readError is a reading error as FILE: reason (an *os.PathError says
// "open FILE: …", nixedit's limit already names the file).
func readError(name string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", name, pe.Err)
	}
	return err
}

// splitFileLine splits FILE:LINE.
func splitFileLine(s string) (string, int, error) {
	i := strings.LastIndex(s, ":")
	if i <= 0 {
		return "", 0, fmt.Errorf("%q is not FILE:LINE", s)
	}
	line, err := strconv.Atoi(s[i+1:])
	if err != nil || line < 1 {
		return "", 0, fmt.Errorf("%q is not FILE:LINE (LINE must be a positive number)", s)
	}
	return s[:i], line, nil
}

// writeFileAtomic replaces the file name with data through a temporary
// file in the same directory and a rename, so the file is never
// half-written. A symlink is written through: its target is replaced and
// the link stays. The file keeps its permissions. What an editor would not
// write is refused, naming the file: a read-only file (no write bit, or
// not writable by this user), anything but a regular file.
func writeFileAtomic(name string, data []byte) error {
	target, err := filepath.EvalSymlinks(name)
	if err != nil {
		return err
	}
	st, err := os.Stat(target)
	if err != nil {
		return err
	}
	via := ""
	if target != name {
		via = " (the target of " + name + ")"
	}
	switch {
	case !st.Mode().IsRegular():
		return fmt.Errorf("%s%s: not a regular file (%s): not writing it", target, via, st.Mode().Type())
	case st.Mode().Perm()&0o222 == 0:
		return fmt.Errorf("%s%s: read-only (mode %04o): not writing it; make it writable first", target, via, st.Mode().Perm())
	}
	// Writable by this user? (Opened, not truncated: nothing is written.)
	probe, err := os.OpenFile(target, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("%s%s: not writable: %w", target, via, errors.Unwrap(err))
	}
	probe.Close()
	tmp, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".markbot-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(st.Mode().Perm()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), target)
}

// parseInterspersed parses flags that may come before or after the
// positional arguments (markbot nix mark FILE:LINE --build URL).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
