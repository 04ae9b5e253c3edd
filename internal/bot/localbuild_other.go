//go:build !unix

package bot

import "os/exec"

func killGroup(*exec.Cmd) {}
