package nixedit

import (
	"fmt"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
	"slices"
	"sort"
	"strings"
)

// HydraSystems are the systems Hydra builds nixpkgs for. A marker for all
// of them is `broken = true;`.
var HydraSystems = []string{"x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"}

// knownSystems are the systems markbot accepts in a marker, Hydra's four
// first (markbot's order of systems).
var knownSystems = nixpkgs.KnownSystems

// CheckSystem reports whether s is a system markbot knows.
func CheckSystem(s string) error {
	if slices.Contains(knownSystems, s) {
		return nil
	}
	return fmt.Errorf("unknown system %q (known: %s)", s, strings.Join(knownSystems, ", "))
}

// platformGroups are the stdenv.hostPlatform predicates used in
// conditions, with the part of the system they test.
var platformGroups = []struct {
	attr string
	test func(arch, os string) bool
}{
	{"isLinux", func(_, os string) bool { return os == "linux" }},
	{"isDarwin", func(_, os string) bool { return os == "darwin" }},
	{"isx86_64", func(arch, _ string) bool { return arch == "x86_64" }},
	{"isAarch64", func(arch, _ string) bool { return arch == "aarch64" }},
}

func splitSystem(s string) (arch, os string) {
	arch, os, _ = strings.Cut(s, "-")
	return arch, os
}

const hostPlatform = "stdenv.hostPlatform"

// normalizeSystems sorts systems in markbot's order (Hydra's systems
// first) without duplicates; a list naming all of Hydra's systems and no
// others is empty, meaning all systems.
func normalizeSystems(systems []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range knownSystems {
		for _, s := range systems {
			if s == k && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	if slices.Equal(out, HydraSystems) {
		return nil
	}
	return out
}

// Condition returns the shortest `broken` expression that is true on
// exactly the given systems among Hydra's systems and the given ones:
// `true` for all of Hydra's, a stdenv.hostPlatform predicate for a family
// (isDarwin, isLinux, isx86_64, isAarch64), `…system == "…"` for single
// systems, joined with ||. An empty list means all systems.
func Condition(systems []string) (string, error) {
	set := map[string]bool{}
	for _, s := range systems {
		if err := CheckSystem(s); err != nil {
			return "", err
		}
		set[s] = true
	}
	universe := slices.Clone(HydraSystems)
	for s := range set {
		if !slices.Contains(universe, s) {
			universe = append(universe, s)
		}
	}
	sort.Slice(universe, func(i, j int) bool {
		return slices.Index(knownSystems, universe[i]) < slices.Index(knownSystems, universe[j])
	})
	if len(set) == 0 || len(set) == len(universe) {
		return "true", nil
	}
	// Candidate terms: families wholly inside the set (within the
	// universe), and each single system.
	type term struct {
		text   string
		covers []string
	}
	var terms []term
	for _, g := range platformGroups {
		var members []string
		inside := true
		for _, s := range universe {
			arch, os := splitSystem(s)
			if g.test(arch, os) {
				members = append(members, s)
				if !set[s] {
					inside = false
				}
			}
		}
		if inside && len(members) > 1 {
			terms = append(terms, term{hostPlatform + "." + g.attr, members})
		}
	}
	for _, s := range universe {
		if set[s] {
			terms = append(terms, term{hostPlatform + `.system == "` + s + `"`, []string{s}})
		}
	}
	// Smallest exact cover: fewest terms, then shortest text. There are at
	// most 4 + 9 terms, so trying subsets in order of size is cheap.
	best := ""
	for size := 1; size <= len(terms) && best == ""; size++ {
		forEachSubset(len(terms), size, func(idx []int) {
			covered := map[string]bool{}
			parts := make([]string, 0, len(idx))
			for _, i := range idx {
				for _, s := range terms[i].covers {
					covered[s] = true
				}
				parts = append(parts, terms[i].text)
			}
			if len(covered) != len(set) {
				return
			}
			text := strings.Join(parts, " || ")
			if best == "" || len(text) < len(best) {
				best = text
			}
		})
	}
	return best, nil
}

func forEachSubset(n, k int, fn func([]int)) {
	idx := make([]int, k)
	var rec func(start, depth int)
	rec = func(start, depth int) {
		if depth == k {
			fn(idx)
			return
		}
		for i := start; i < n; i++ {
			idx[depth] = i
			rec(i+1, depth+1)
		}
	}
	rec(0, 0)
}

// platformSystems evaluates a `broken` expression statically on Hydra's
// systems, when it is built only from true/false, stdenv(.hostPlatform)
// predicates and system comparisons, !, && and ||. ok is false for any
// other expression.
func (f *File) platformSystems(e Expr) (systems map[string]bool, ok bool) {
	systems = map[string]bool{}
	for _, s := range HydraSystems {
		v, ok := f.evalPlatform(e, s)
		if !ok {
			return nil, false
		}
		if v {
			systems[s] = true
		}
	}
	return systems, true
}

func (f *File) evalPlatform(e Expr, system string) (bool, bool) {
	switch n := e.(type) {
	case *Paren:
		return f.evalPlatform(n.X, system)
	case *Ident:
		switch f.Text(n.Tok) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	case *Unary:
		if f.Toks[n.Op].Kind == NOT {
			v, ok := f.evalPlatform(n.X, system)
			return !v, ok
		}
	case *Binary:
		switch f.Toks[n.Op].Kind {
		case OR, AND:
			a, ok1 := f.evalPlatform(n.X, system)
			b, ok2 := f.evalPlatform(n.Y, system)
			if f.Toks[n.Op].Kind == OR {
				return a || b, ok1 && ok2
			}
			return a && b, ok1 && ok2
		case EQ, NEQ:
			x, y := n.X, n.Y
			if _, isStr := x.(*Str); isStr {
				x, y = y, x
			}
			s, isStr := y.(*Str)
			if !isStr || !f.isSystemRef(x) {
				return false, false
			}
			want, ok := f.stringValue(s)
			if !ok {
				return false, false
			}
			return (want == system) == (f.Toks[n.Op].Kind == EQ), true
		}
	case *Select:
		if n.Or != NoTok {
			return false, false
		}
		path := f.selectPath(n)
		for _, prefix := range []string{"stdenv.hostPlatform.", "stdenv.", "hostPlatform."} {
			if attr, ok := strings.CutPrefix(path, prefix); ok {
				arch, os := splitSystem(system)
				for _, g := range platformGroups {
					if g.attr == attr {
						return g.test(arch, os), true
					}
				}
			}
		}
	}
	return false, false
}

func (f *File) isSystemRef(e Expr) bool {
	s, ok := e.(*Select)
	if !ok || s.Or != NoTok {
		return false
	}
	switch f.selectPath(s) {
	case "stdenv.hostPlatform.system", "stdenv.system", "hostPlatform.system":
		return true
	}
	return false
}

// selectPath renders a.b.c for a select over an identifier with static
// names, or "".
func (f *File) selectPath(s *Select) string {
	id, ok := s.X.(*Ident)
	if !ok {
		return ""
	}
	parts := []string{f.Text(id.Tok)}
	for _, n := range s.Path.Names {
		nid, ok := n.(*Ident)
		if !ok {
			return ""
		}
		parts = append(parts, f.Text(nid.Tok))
	}
	return strings.Join(parts, ".")
}
