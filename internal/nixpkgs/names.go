package nixpkgs

import (
	"sort"
	"strconv"
	"strings"
)

// NormalizePosition turns a meta.position into a repository path: a
// "/nix/store/<hash>-<name>/" prefix (what an evaluation of one's own
// prints) is removed, as is the first matching extra prefix.
func NormalizePosition(pos string, stripPrefixes ...string) string {
	if rest, ok := strings.CutPrefix(pos, "/nix/store/"); ok {
		if _, after, ok := strings.Cut(rest, "/"); ok {
			return after
		}
	}
	for _, p := range stripPrefixes {
		if p == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(pos, p); ok {
			return strings.TrimPrefix(rest, "/")
		}
	}
	return pos
}

// ParsePosition splits "file:line" (or "file:line:column") into file and
// line. ok is false when there is no positive line number.
func ParsePosition(pos string) (file string, line int, ok bool) {
	i := strings.LastIndexByte(pos, ':')
	if i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(pos[i+1:])
	if err != nil || n <= 0 {
		return "", 0, false
	}
	file = pos[:i]
	// file:line:column → the line is the second-to-last field.
	if j := strings.LastIndexByte(file, ':'); j > 0 {
		if l, err := strconv.Atoi(file[j+1:]); err == nil && l > 0 {
			return file[:j], l, true
		}
	}
	return file, n, true
}

// KnownSystems are the Nix system doubles markbot knows, Hydra's four
// first: the job suffixes AttrFromJob recognises when not told the system,
// the systems configuration accepts and a marker may name.
var KnownSystems = []string{
	"x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin",
	"i686-linux", "armv6l-linux", "armv7l-linux", "riscv64-linux",
	"powerpc64le-linux", "loongarch64-linux", "x86_64-freebsd", "aarch64-freebsd", "i686-freebsd",
}

// AttrFromJob maps a Hydra job name to the attribute path it builds:
// "python313Packages.requests.aarch64-darwin" → "python313Packages.requests".
// system is the job's system ("" = recognise one of KnownSystems). The
// "nixpkgs." prefix of NixOS jobsets is removed; "nixos." jobs (tests,
// images) and jobs without a system suffix are not packages: ok is false.
func AttrFromJob(job, system string) (string, bool) {
	var attr string
	if system != "" {
		a, ok := strings.CutSuffix(job, "."+system)
		if !ok {
			return "", false
		}
		attr = a
	} else {
		for _, sys := range KnownSystems {
			if a, ok := strings.CutSuffix(job, "."+sys); ok {
				attr = a
				break
			}
		}
	}
	if attr == "" {
		return "", false
	}
	if strings.HasPrefix(attr, "nixos.") {
		return "", false
	}
	attr = strings.TrimPrefix(attr, "nixpkgs.")
	if attr == "" || strings.HasPrefix(attr, ".") || strings.HasSuffix(attr, ".") || strings.Contains(attr, "..") {
		return "", false
	}
	return attr, true
}

// Group is a set of attribute paths that share one derivation position, so
// one marker in File at Line covers them all.
type Group struct {
	File  string
	Line  int
	Attrs []string // sorted
}

// Grouping is the result of GroupByPosition.
type Grouping struct {
	Groups []Group // sorted by File, then Line
	// Unknown attributes are not in the index; NoPosition ones have no
	// parsable meta.position. Both are sorted.
	Unknown    []string
	NoPosition []string
}

// GroupByPosition groups attrs by the derivation position they share
// (python312Packages.x and python313Packages.x → one group).
func (ix *Index) GroupByPosition(attrs []string) Grouping {
	type key struct {
		file string
		line int32
	}
	groups := map[key]*Group{}
	var g Grouping
	seen := map[string]bool{}
	for _, a := range attrs {
		if seen[a] {
			continue
		}
		seen[a] = true
		p, ok := ix.pkgs[a]
		switch {
		case !ok:
			g.Unknown = append(g.Unknown, a)
		case p.file == "":
			g.NoPosition = append(g.NoPosition, a)
		default:
			k := key{p.file, p.line}
			if groups[k] == nil {
				groups[k] = &Group{File: p.file, Line: int(p.line)}
			}
			groups[k].Attrs = append(groups[k].Attrs, a)
		}
	}
	for _, gr := range groups {
		sort.Strings(gr.Attrs)
		g.Groups = append(g.Groups, *gr)
	}
	sort.Slice(g.Groups, func(i, j int) bool {
		a, b := g.Groups[i], g.Groups[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	sort.Strings(g.Unknown)
	sort.Strings(g.NoPosition)
	return g
}
