package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/nixpkgs-markbot/markbot/internal/config"
)

// configFlags is the flag set of a subcommand that reads markbot's
// configuration: --config FILE and -v, plus its own flags.
type configFlags struct {
	*flag.FlagSet
	name, usage string
	stderr      io.Writer
	config      *string
	verbose     *bool
}

func newConfigFlags(name, usage string, stderr io.Writer) *configFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &configFlags{FlagSet: fs, name: name, usage: usage, stderr: stderr}
	c.config = fs.String("config", "", "the configuration `file` (see config/markbot.example.yaml)")
	c.verbose = fs.Bool("v", false, "log each request and step")
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	return c
}

// load parses args and loads the configuration. When it returns a nil
// configuration, the command exits with the code it returns.
func (c *configFlags) load(args []string) (*config.Config, int) {
	if _, err := parseInterspersed(c.FlagSet, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, exitOK
		}
		return nil, exitUsage
	}
	if *c.config == "" || c.NArg() > 0 {
		fmt.Fprintf(c.stderr, "%s: --config FILE is required\n\n%s", c.name, c.usage)
		return nil, exitUsage
	}
	cfg, err := config.Load(*c.config)
	if err != nil {
		fmt.Fprintf(c.stderr, "%s: %v\n", c.name, err)
		return nil, exitError
	}
	return cfg, exitOK
}

// initState lets --init start afresh on an empty (zero-length) state
// database, which state.Open otherwise refuses (a truncated copy or a
// failed restore leaves one): the empty file is removed, so Open creates
// a new database. A database with content is never touched.
func initState(path string) error {
	st, err := os.Stat(path)
	if err != nil || st.Size() != 0 || !st.Mode().IsRegular() {
		return nil
	}
	return os.Remove(path)
}
