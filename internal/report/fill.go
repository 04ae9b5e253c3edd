// Step 1, filling the model from what markbot has after a cycle: a
// jobset's failures.Result, the nixpkgs packages index and markbot's state
// (markers, their probes, pull requests). The caller may fill the Site
// otherwise; these are the straightforward way.

package report

import (
	"slices"
	"strings"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// FromDetection is the failures of one jobset's detection: attribute,
// systems, since and failing builds (with their logs) from res; name,
// maintainers' logins and team slugs from ix (nil: none); and the range
// the breakage is in, from revisions (evaluation id → nixpkgs revision,
// as the cached evaluations give them; nil: unknown). The range is that
// of the system whose failure started first: its last success and its
// first failing evaluation, both of whose revisions must be known (else
// nil: unknown, not a guess).
func FromDetection(js Jobset, res failures.Result, ix *nixpkgs.Index, revisions map[int64]string) []Failure {
	out := make([]Failure, 0, len(res.Failures))
	for _, f := range res.Failures {
		rf := Failure{Jobset: js.Key(), Attr: f.Attr, Systems: slices.Clone(f.Systems), Since: f.FailingSince.UTC()}
		var first *failures.SystemFailure
		for i := range f.PerSystem {
			sf := &f.PerSystem[i]
			b := HydraBuild(js.Hydra, sf.System, sf.Build)
			b.Job = sf.Job
			rf.Builds = append(rf.Builds, b)
			if first == nil || sf.FirstFailingEval < first.FirstFailingEval {
				first = sf
			}
		}
		if first != nil && first.LastSuccess != nil && revisions != nil {
			rf.BrokeBetween = NewRange(revisions[first.LastSuccess.Eval], revisions[first.FirstFailingEval], -1)
		}
		setPeople(&rf, ix)
		out = append(out, rf)
	}
	return out
}

func setPeople(f *Failure, ix *nixpkgs.Index) {
	if ix == nil {
		return
	}
	p, ok := ix.Lookup(f.Attr)
	if !ok {
		return
	}
	f.Name = p.Name
	for _, m := range p.Maintainers {
		if m.GitHub != "" {
			f.Maintainers = append(f.Maintainers, m.GitHub)
		}
	}
	for _, t := range p.Teams {
		if s := TeamSlug(t); s != "" {
			f.Teams = append(f.Teams, s)
		}
	}
	f.Maintainers, f.Teams = sortedCopy(f.Maintainers), sortedCopy(f.Teams)
}

// TeamSlug is the slug a team of the index is published under: its GitHub
// team's slug, else Slugify of its short name ("" if neither gives one).
func TeamSlug(t nixpkgs.Team) string {
	if s := strings.ToLower(t.GitHub); ValidSlug(s) {
		return s
	}
	if s := Slugify(t.ShortName); ValidSlug(s) {
		return s
	}
	return ""
}

// People lists every maintainer with a GitHub login and every team of the
// index, by login and slug, so that each has a page and a feed before
// anything of theirs fails.
func People(ix *nixpkgs.Index) ([]Maintainer, []Team) {
	names := map[string]string{}
	type team struct {
		name    string
		members map[string]bool
	}
	teams := map[string]*team{}
	for _, a := range ix.Attrs() {
		p, _ := ix.Lookup(a)
		for _, m := range p.Maintainers {
			if ValidLogin(m.GitHub) && names[m.GitHub] == "" {
				names[m.GitHub] = m.Name
			}
		}
		for _, t := range p.Teams {
			slug := TeamSlug(t)
			if slug == "" {
				continue
			}
			tm := teams[slug]
			if tm == nil {
				tm = &team{name: t.ShortName, members: map[string]bool{}}
				teams[slug] = tm
			}
			for _, m := range t.Members {
				if ValidLogin(m.GitHub) {
					tm.members[m.GitHub] = true
					if names[m.GitHub] == "" {
						names[m.GitHub] = m.Name
					}
				}
			}
		}
	}
	ms := make([]Maintainer, 0, len(names))
	for l, n := range names {
		ms = append(ms, Maintainer{Login: l, Name: n})
	}
	slices.SortFunc(ms, func(a, b Maintainer) int { return strings.Compare(a.Login, b.Login) })
	ts := make([]Team, 0, len(teams))
	for s, t := range teams {
		tt := Team{Slug: s, Name: t.name}
		for m := range t.members {
			tt.Members = append(tt.Members, m)
		}
		slices.Sort(tt.Members)
		ts = append(ts, tt)
	}
	slices.SortFunc(ts, func(a, b Team) int { return strings.Compare(a.Slug, b.Slug) })
	return ms, ts
}

// State is what markbot's state database says about the failures.
type State struct {
	// Markers are markbot's markers (Store.Markers); final ones are
	// ignored.
	Markers []state.Marker
	// Probes are each marker's latest probes (Store.LatestProbes), by
	// marker id.
	Probes map[int64][]state.Probe
	// PRs are markbot's pull requests (Store.PRs).
	PRs []state.PR
	// RepoURL is the repository they are in ("https://github.com/NixOS/nixpkgs").
	RepoURL string
	// Refusals are why markbot could not mark an attribute, by attribute
	// (prs.Refusals, as text).
	Refusals map[string]string
}

// FromState sets the PR and Marker of site's failures from st, and adds
// to every RoleMark jobset the packages whose marker is on the base branch
// (merged, probing or reverting) and which that jobset therefore no
// longer builds: their failure is not over, so they stay on the pages and
// in the feeds (with the marker's systems, since and evidence build) until
// the marker comes out. ix gives those their maintainers (nil: none).
func FromState(site *Site, st State, ix *nixpkgs.Index) {
	prs := map[int]state.PR{}
	for _, p := range st.PRs {
		prs[p.Number] = p
	}
	live := map[string]*state.Marker{}
	for i := range st.Markers {
		m := &st.Markers[i]
		if m.State.Final() {
			continue
		}
		for _, a := range append([]string{m.Attr}, m.Attrs...) {
			if live[a] == nil {
				live[a] = m
			}
		}
	}
	attach := func(f *Failure, m *state.Marker) {
		f.Marker = markerRef(m, st.Probes[m.ID])
		n, kind := m.PR, string(state.MarkPR)
		if m.RevertPR > 0 {
			n, kind = m.RevertPR, string(state.UnmarkPR)
		}
		if n > 0 {
			ref := &PRRef{Number: n, Kind: kind, URL: strings.TrimSuffix(st.RepoURL, "/") + "/pull/" + itoa(int64(n)), State: "open"}
			if p, ok := prs[n]; ok {
				ref.State = string(p.State)
			}
			f.PR = ref
		}
	}
	have := map[[2]string]bool{}
	for i := range site.Failures {
		f := &site.Failures[i]
		have[[2]string{f.Jobset, f.Attr}] = true
		if m := live[f.Attr]; m != nil {
			attach(f, m)
		} else if why := st.Refusals[f.Attr]; why != "" {
			f.Refused = why
		}
	}
	attrs := make([]string, 0, len(live))
	for a := range live {
		attrs = append(attrs, a)
	}
	slices.Sort(attrs)
	for _, js := range site.Jobsets {
		if js.Role != RoleMark {
			continue
		}
		for _, a := range attrs {
			m := live[a]
			if have[[2]string{js.Key(), a}] || (m.State != state.Merged && m.State != state.Probing && m.State != state.Reverting) {
				continue
			}
			f := Failure{Jobset: js.Key(), Attr: a, Systems: slices.Clone(m.Systems), Since: m.Since.UTC()}
			if m.BuildURL != "" {
				sys := ""
				if len(m.Systems) == 1 {
					sys = m.Systems[0]
				}
				f.Builds = []Build{{System: sys, BuildURL: m.BuildURL, LogURL: m.BuildURL + "/log"}}
			}
			setPeople(&f, ix)
			attach(&f, m)
			site.Failures = append(site.Failures, f)
		}
	}
}

// markerRef summarises a marker and its latest probes.
func markerRef(m *state.Marker, probes []state.Probe) *MarkerRef {
	r := &MarkerRef{State: string(m.State)}
	var ok, bad []string
	for _, p := range probes {
		if p.At.After(r.LastProbe) {
			r.LastProbe = p.At.UTC()
		}
		if p.OK {
			ok = append(ok, p.System)
		} else {
			bad = append(bad, p.System)
		}
	}
	var parts []string
	if ok = sortedCopy(ok); len(ok) > 0 {
		parts = append(parts, "builds on "+strings.Join(ok, ", "))
	}
	if bad = sortedCopy(bad); len(bad) > 0 {
		parts = append(parts, "still fails on "+strings.Join(bad, ", "))
	}
	r.ProbeResult = strings.Join(parts, "; ")
	return r
}
