// Package bot composes markbot's reconcile cycle out of the packages below
// it: observe Hydra, decide what is persistently broken, locate each
// package in nixpkgs, plan the edits and publish them as pull requests.
// Decisions here are pure functions over data; I/O goes through the narrow
// interfaces declared in cycle.go.
package bot

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
)

// Index is what the cycle needs of the packages index.
type Index interface {
	Lookup(attr string) (nixpkgs.Package, bool)
	Attrs() []string
	// Revision is the nixpkgs commit the positions are from ("" when
	// unknown: taken as the base commit's).
	Revision() string
}

// Skipped is a persistent failure that is not proposed, and why.
type Skipped struct {
	Attrs  []string
	Reason string
}

func (s Skipped) String() string { return strings.Join(s.Attrs, ", ") + ": " + s.Reason }

// MarkChanges turns persistent failures into mark changes, one per
// derivation (attributes sharing a meta.position share a file and a
// marker). A marker in a shared file breaks every attribute built from it,
// so its systems are only those on which every attribute of the derivation
// that Hydra built in the newest evaluation fails persistently; attributes
// Hydra does not build are not counted. newest is the newest evaluation's
// records; buildURL renders a build's link. Each change carries the
// index's revision: its position is that commit's line.
func MarkChanges(res failures.Result, newest *hydra.EvalRecords, idx Index, buildURL func(int64) string) ([]prs.Change, []Skipped) {
	if res.MassBreakage != nil {
		return nil, nil
	}
	failing := map[string]*failures.Failure{}
	for i := range res.Failures {
		failing[res.Failures[i].Attr] = &res.Failures[i]
	}

	// Derivations: the positions of the failing attributes.
	type group struct {
		file    string
		line    int
		failing []string // failing attributes at this position
	}
	groups := map[string]*group{}
	var skipped []Skipped
	for _, f := range res.Failures {
		pkg, ok := idx.Lookup(f.Attr)
		switch {
		case !ok:
			skipped = append(skipped, Skipped{[]string{f.Attr}, "not in the packages index"})
			continue
		case pkg.File == "" || pkg.Line == 0:
			skipped = append(skipped, Skipped{[]string{f.Attr}, "the packages index has no meta.position for it"})
			continue
		case pkg.Broken:
			skipped = append(skipped, Skipped{[]string{f.Attr}, "already broken in the packages index"})
			continue
		}
		key := fmt.Sprintf("%s:%d", pkg.File, pkg.Line)
		g := groups[key]
		if g == nil {
			g = &group{file: pkg.File, line: pkg.Line}
			groups[key] = g
		}
		g.failing = append(g.failing, f.Attr)
	}
	if len(groups) == 0 {
		return nil, skipped
	}

	// Every attribute of the index at those positions.
	members := map[string][]string{}
	for _, attr := range idx.Attrs() {
		pkg, ok := idx.Lookup(attr)
		if !ok {
			continue
		}
		key := fmt.Sprintf("%s:%d", pkg.File, pkg.Line)
		if _, ok := groups[key]; ok {
			members[key] = append(members[key], attr)
		}
	}
	// Systems on which each member was built in the newest evaluation.
	built := map[string]map[string]bool{}
	want := map[string]bool{}
	for _, ms := range members {
		for _, a := range ms {
			want[a] = true
		}
	}
	if newest != nil {
		for _, r := range newest.Records {
			attr, ok := nixpkgs.AttrFromJob(r.Job, r.System)
			if !ok || !want[attr] {
				continue
			}
			if built[attr] == nil {
				built[attr] = map[string]bool{}
			}
			built[attr][r.System] = true
		}
	}

	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var changes []prs.Change
	for _, key := range keys {
		g := groups[key]
		attrs := members[key]
		for _, a := range g.failing {
			if !slices.Contains(attrs, a) {
				attrs = append(attrs, a)
			}
		}
		sort.Strings(attrs)
		first := failing[g.failing[0]]
		systems := slices.Clone(first.Systems)
		var blockers []string
		for _, a := range attrs {
			f := failing[a]
			for s := range built[a] {
				if f == nil || !slices.Contains(f.Systems, s) {
					if slices.Contains(systems, s) {
						blockers = append(blockers, a+" on "+s)
					}
					systems = slices.DeleteFunc(systems, func(x string) bool { return x == s })
				}
			}
			if f != nil {
				systems = slices.DeleteFunc(systems, func(x string) bool { return !slices.Contains(f.Systems, x) })
			}
		}
		if len(systems) == 0 {
			sort.Strings(blockers)
			skipped = append(skipped, Skipped{g.failing, "shares its file with attributes that still build (" + strings.Join(blockers, ", ") + ")"})
			continue
		}
		pkg, _ := idx.Lookup(g.failing[0])
		c := prs.Change{
			Kind:        prs.KindMark,
			File:        g.file,
			Line:        g.line,
			Revision:    idx.Revision(),
			Attrs:       attrs,
			Systems:     systems,
			Since:       first.FailingSince,
			Maintainers: pkg.DirectMaintainers(),
			Teams:       pkg.Teams,
		}
		for _, ps := range first.PerSystem {
			if slices.Contains(systems, ps.System) {
				c.BuildID, c.BuildURL = ps.Build, buildURL(ps.Build)
				break
			}
		}
		for _, a := range g.failing[1:] {
			if f := failing[a]; f.FailingSince.Before(c.Since) {
				c.Since = f.FailingSince
			}
		}
		if ls := first.LastSuccess; ls != nil {
			c.LastSuccess = &prs.Build{ID: ls.Build, URL: buildURL(ls.Build), Time: ls.Time}
		}
		changes = append(changes, c)
	}
	return changes, skipped
}
