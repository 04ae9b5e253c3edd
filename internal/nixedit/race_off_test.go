//go:build !race

package nixedit

// raceEnabled: see race_on_test.go.
const raceEnabled = false
