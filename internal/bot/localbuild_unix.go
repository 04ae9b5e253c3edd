//go:build unix

package bot

import (
	"os/exec"
	"syscall"
)

// killGroup runs cmd in its own process group and makes cancelling kill the
// whole group, so a timed-out nix-build's children go too.
func killGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
