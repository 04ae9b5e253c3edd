package nixpkgs

import (
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/limits"
)

type repeatA struct{}

func (repeatA) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// One huge value in the packages index is an error naming the limit, and
// costs memory of the order of the limit, not of the value.
func TestIndexCapsOnePackage(t *testing.T) {
	const huge = 256 << 20
	in := io.MultiReader(strings.NewReader(`{"version":2,"packages":{"hello":{"name":"hello-1","meta":{"description":"`),
		io.LimitReader(repeatA{}, huge), strings.NewReader(`"}}}}`))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Read(in, "packages.json")
	runtime.ReadMemStats(&after)
	var le *limits.Error
	if !errors.As(err, &le) || !strings.Contains(err.Error(), "packages.json") || !strings.Contains(err.Error(), "one package's entry is larger than 1048576 bytes") {
		t.Fatalf("err = %v", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("allocated %d MB for a %d MB value", grew>>20, huge>>20)
	}
}
