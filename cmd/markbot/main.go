// Command markbot finds packages that persistently fail on Hydra, marks them
// meta.broken in batched pull requests to their maintainers, and reverts its
// own markers once the packages build again.
//
// This file only wires subcommands; each lives in its own file and all logic
// lives in internal/.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
)

// Exit codes shared by every subcommand. Subcommands may define more
// (documented in the README next to the subcommand).
const (
	exitOK    = 0
	exitError = 1
	// exitUsage is sysexits' EX_USAGE: a bad flag or argument. It is not 2,
	// which subcommands' contracts use (markbot scan: mass breakage).
	exitUsage = 64
)

// command is one subcommand: a name, a one-line summary and the function
// that runs it with its arguments (without the subcommand name).
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

// commands lists every subcommand explicitly (no init() registration).
func commands() []command {
	cmds := []command{
		{"compare", "what a branch (staging-next) breaks compared to master; posts it to a PR, pinging maintainers", runCompare},
		{"demo", "the whole life cycle offline, against fake Hydra and GitHub, narrated", runDemo},
		{"nix", "check, mark and unmark Nix files with the lossless rewriter", runNix},
		{"run", "run one cycle: scan Hydra, open pull requests marking packages broken", runRun},
		{"savings", "estimate the Hydra build-hours per week saved by markbot's markers", runSavings},
		{"site", "write the maintainer pages and Atom feeds of every watched jobset as static files", runSite},
		{"scan", "list the packages that fail persistently on Hydra (table or JSON)", runScan},
		{"serve", "run the GitHub App server: webhooks, scheduled cycles, metrics, status page", runServe},
		{"version", "print the version", runVersion},
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].name < cmds[j].name })
	return cmds
}

func main() {
	if len(os.Args) > 1 && os.Args[1] != "serve" {
		softMemoryLimit()
	}
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// batchMemoryLimit is the Go runtime's soft memory limit for the one-shot
// commands, unless GOMEMLIMIT says otherwise: the garbage collector then
// works harder rather than letting the heap double (a cold scan of 10
// nixpkgs evaluations peaks at ≈160 MB instead of ≈220 MB; its live heap
// is well below). It is soft: a command that needs more gets more, at the
// cost of CPU. markbot serve, long-running, keeps Go's default.
const batchMemoryLimit = 150 << 20

func softMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(batchMemoryLimit)
	}
}

func realMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "markbot: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: markbot <command> [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'markbot <command> -h' for a command's flags.")
}
