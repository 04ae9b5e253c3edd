// Step 4, publishing: where the system cannot swap two directories in one
// step, WriteSite renames the old site away and the new one in; without
// syncfs it syncs every file.

//go:build !linux

package report

func exchange(a, b string) error { return errNoExchange }

func syncFS(dir string) error { return errNoSyncFS }
