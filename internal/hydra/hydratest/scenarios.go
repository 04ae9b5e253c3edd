package hydratest

import (
	"fmt"
	"sort"
	"strings"
)

// named are the scenarios fakehydra (and the offline demo) can serve.
var named = map[string]struct {
	about string
	cfg   func(seed uint64) GenConfig
}{
	"demo": {"2 000 packages × 4 systems, 8 evaluations, about 1% persistently broken", func(seed uint64) GenConfig {
		c := DefaultGenConfig()
		c.Seed, c.Packages, c.Evals, c.BrokenShare = seed, 2000, 8, 0.01
		return c
	}},
	"nixpkgs": {"nixpkgs scale: 70 000 packages (≈250k builds per evaluation), 10 evaluations", func(seed uint64) GenConfig {
		c := DefaultGenConfig()
		c.Seed = seed
		return c
	}},
	"mass-breakage": {"the demo, but a bad merge breaks a third of the jobs in the newest evaluation", func(seed uint64) GenConfig {
		c := DefaultGenConfig()
		c.Seed, c.Packages, c.Evals, c.BrokenShare, c.MassBreakage = seed, 2000, 8, 0.01, 7
		return c
	}},
	"unfinished": {"the demo, with the newest evaluation still building", func(seed uint64) GenConfig {
		c := DefaultGenConfig()
		c.Seed, c.Packages, c.Evals, c.BrokenShare, c.UnfinishedNewest = seed, 2000, 8, 0.01, true
		return c
	}},
}

// Named returns a named generated scenario (see ScenarioNames).
func Named(name string, seed uint64) (*Generated, error) {
	n, ok := named[name]
	if !ok {
		return nil, fmt.Errorf("hydratest: no scenario %q (have %s)", name, strings.Join(ScenarioNames(), ", "))
	}
	return Generate(n.cfg(seed)), nil
}

// ScenarioNames lists the named scenarios.
func ScenarioNames() []string {
	var out []string
	for k := range named {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// About describes a named scenario in one line.
func About(name string) string { return named[name].about }
