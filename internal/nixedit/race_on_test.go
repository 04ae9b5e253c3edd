//go:build race

package nixedit

// raceEnabled: the race detector slows everything ~10×; the pathological
// tests use smaller inputs under it.
const raceEnabled = true
