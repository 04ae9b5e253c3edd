package main

import (
	"fmt"
	"io"

	"github.com/nixpkgs-markbot/markbot/internal/version"
)

func runVersion(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintf(stdout, "markbot %s\n", version.String())
	return exitOK
}
