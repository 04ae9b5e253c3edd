package main

import (
	"fmt"
	"io"
)

func runNix(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "markbot nix: not built yet")
	return exitError
}
