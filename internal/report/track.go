// Step 3, the feed entries' life cycle: Track turns what failed before
// (the History) and what fails now (the Site) into the entries of the Atom
// feeds. An entry appears when a failure starts, is updated (not
// duplicated) when what it says changes, says so when the package builds
// again, and drops out Retention later.

package report

import (
	"net/url"
	"slices"
	"strings"
	"time"
)

// TagAuthority is the authority of the tag: URIs (RFC 4151) naming feeds
// and entries: the Pages domain of markbot's GitHub organisation, held
// since 2026. It is part of every id: never change it.
const TagAuthority = "nixpkgs-markbot.github.io,2026"

// Tracked is one feed entry: one failure of one attribute on one jobset,
// from the run that first saw it until Retention after it built again.
type Tracked struct {
	// ID is the entry's atom:id, EntryID of the jobset, attribute and
	// failing-since when first seen; kept for the entry's whole life.
	ID string `json:"id"`
	// Jobset is the Jobset.Key, Hydra its server (part of the ID).
	Jobset string `json:"jobset"`
	Hydra  string `json:"hydra"`
	// Attr is the attribute path.
	Attr string `json:"attr"`
	// Published is when markbot first saw the failure (atom:published).
	Published time.Time `json:"published"`
	// Updated is when what the entry says last changed (atom:updated):
	// a change of Snapshot, or the package building again.
	Updated time.Time `json:"updated"`
	// Fixed is when markbot first saw it no longer failing (zero: it
	// still fails). The entry stays Retention after that.
	Fixed time.Time `json:"fixed,omitzero"`
	// Snapshot is what the entry says: the failure as last seen.
	Snapshot Snapshot `json:"snapshot"`
}

// Snapshot is the part of a failure a feed entry shows. Build links are
// not in it (every new derivation gets a new build): the entry links to
// the Hydra job, which stays, and to the page, which has the builds.
type Snapshot struct {
	Name         string    `json:"name,omitempty"`
	Systems      []string  `json:"systems,omitempty"`
	Since        time.Time `json:"since,omitzero"`
	BrokeBetween *Range    `json:"broke_between,omitempty"`
	Jobs         []string  `json:"jobs,omitempty"` // Hydra job per system, same order
	Maintainers  []string  `json:"maintainers,omitempty"`
	Teams        []string  `json:"teams,omitempty"`
	PR           *PRRef    `json:"pr,omitempty"`
	Marker       *SnapMark `json:"marker,omitempty"`
}

// SnapMark is the part of a marker an entry shows: not the probe's time,
// which changes with every probe.
type SnapMark struct {
	State       string `json:"state"`
	ProbeResult string `json:"probe_result,omitempty"`
}

// Fails reports whether the entry's package still fails.
func (t *Tracked) Fails() bool { return t.Fixed.IsZero() }

// EntryID is the atom:id of the failure of attr on jobset (project/name)
// of the Hydra at hydraURL, failing since since: a tag: URI (RFC 4151)
// that depends on nothing else, so the same failure keeps its id across
// runs and restarts.
func EntryID(hydraURL, jobset, attr string, since time.Time) string {
	host := hydraURL
	if u, err := url.Parse(hydraURL); err == nil && u.Host != "" {
		host = strings.ToLower(u.Host) + strings.TrimSuffix(u.Path, "/")
	}
	s := "unknown"
	if !since.IsZero() {
		s = since.UTC().Format("2006-01-02T15:04:05Z")
	}
	return "tag:" + TagAuthority + ":failure/" + tagEscape(host) + "/" + tagEscape(jobset) + "/" + tagEscape(attr) + "/" + s
}

// tagEscape percent-encodes what may not appear in a tag URI's specific
// part (RFC 4151: pchar, "/" and "?"), "%" included, so that distinct
// inputs stay distinct.
func tagEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~!$&'()*+,;=:@/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// feedID is the atom:id of a maintainer's ("maintainers") or team's
// ("teams") feed.
func feedID(kind, name string) string {
	return "tag:" + TagAuthority + ":" + kind + "/" + tagEscape(name)
}

// snapshot is what an entry for f shows.
func snapshot(f *Failure) Snapshot {
	s := Snapshot{Name: f.Name, Systems: slices.Clone(f.Systems), Since: f.Since.UTC(),
		Maintainers: sortedCopy(f.Maintainers), Teams: sortedCopy(f.Teams)}
	if f.Since.IsZero() {
		s.Since = time.Time{}
	}
	if f.BrokeBetween != nil {
		r := *f.BrokeBetween
		s.BrokeBetween = &r
	}
	for _, sys := range f.Systems {
		s.Jobs = append(s.Jobs, jobName(f, sys))
	}
	if f.PR != nil {
		p := *f.PR
		s.PR = &p
	}
	if f.Marker != nil {
		s.Marker = &SnapMark{State: f.Marker.State, ProbeResult: f.Marker.ProbeResult}
	}
	return s
}

// jobName is the Hydra job building f on sys.
func jobName(f *Failure, sys string) string {
	for _, b := range f.Builds {
		if b.System == sys && b.Job != "" {
			return b.Job
		}
	}
	return f.Attr + "." + sys
}

func (a Snapshot) equal(b Snapshot) bool {
	eqPtr := func(x, y bool) bool { return x == y }
	return a.Name == b.Name && slices.Equal(a.Systems, b.Systems) && a.Since.Equal(b.Since) &&
		eqPtr(a.BrokeBetween == nil, b.BrokeBetween == nil) && (a.BrokeBetween == nil || *a.BrokeBetween == *b.BrokeBetween) &&
		slices.Equal(a.Jobs, b.Jobs) && slices.Equal(a.Maintainers, b.Maintainers) && slices.Equal(a.Teams, b.Teams) &&
		eqPtr(a.PR == nil, b.PR == nil) && (a.PR == nil || *a.PR == *b.PR) &&
		eqPtr(a.Marker == nil, b.Marker == nil) && (a.Marker == nil || *a.Marker == *b.Marker)
}

// Track advances the entries' life cycle to the run at time at, from prev
// (the last run's entries, as History kept them; nil the first time) and
// the site's failures. It is a pure function:
//
//   - a failure nobody tracks gets a new entry, with EntryID as id,
//     published and updated at;
//   - a tracked failure still failing keeps its id and published time; its
//     updated time becomes at only if what the entry says changed
//     (Snapshot: systems, range, maintainers, PR, marker state or probe
//     result), and its since is the earliest seen;
//   - a tracked failure no longer failing is fixed at at (updated at too:
//     the entry now says it builds again), and dropped once
//     site.Retention has passed since;
//   - a fixed entry whose failure comes back with the same since fails
//     again (same id); with a later since it is a new failure, a new
//     entry, and the old one stays until it expires;
//   - entries of a jobset with an Error are kept as they were when the
//     site has no failure for them (its reading is not current), and
//     entries of jobsets no longer watched are dropped;
//   - an entry whose jobset moved to another Hydra is updated (its links
//     change);
//   - updated never goes back: should the clock have, a change is dated a
//     second after the last.
//
// The result is sorted by jobset, attribute and published time.
func Track(prev []Tracked, site *Site, at time.Time) []Tracked {
	at = at.UTC().Truncate(time.Second)
	jobsets := map[string]*Jobset{}
	for i := range site.Jobsets {
		jobsets[site.Jobsets[i].Key()] = &site.Jobsets[i]
	}
	type key struct{ jobset, attr string }
	now := map[key]*Failure{}
	for i := range site.Failures {
		f := &site.Failures[i]
		if _, ok := jobsets[f.Jobset]; !ok || f.Attr == "" {
			continue
		}
		if _, dup := now[key{f.Jobset, f.Attr}]; !dup {
			now[key{f.Jobset, f.Attr}] = f
		}
	}
	retention := site.retention()
	// touch marks an entry changed now; should the clock have gone back,
	// a second after its last change, so that updated still moves on.
	touch := func(t *Tracked) {
		if at.After(t.Updated) {
			t.Updated = at
		} else {
			t.Updated = t.Updated.Add(time.Second)
		}
	}
	done := map[key]bool{} // failures an entry already follows
	ids := map[string]bool{}
	var out []Tracked
	// Failing entries first, so that a fixed one with the same key only
	// takes a failure nobody else follows.
	order := make([]int, 0, len(prev))
	for i := range prev {
		if prev[i].Fails() {
			order = append(order, i)
		}
	}
	for i := range prev {
		if !prev[i].Fails() {
			order = append(order, i)
		}
	}
	for _, i := range order {
		t := prev[i]
		js, watched := jobsets[t.Jobset]
		if !watched || t.ID == "" || ids[t.ID] {
			continue
		}
		k := key{t.Jobset, t.Attr}
		f := now[k]
		if done[k] {
			f = nil
		}
		changed := false
		switch {
		case t.Fails() && f != nil:
			done[k] = true
			s := snapshot(f)
			if !t.Snapshot.Since.IsZero() && (s.Since.IsZero() || t.Snapshot.Since.Before(s.Since)) {
				s.Since = t.Snapshot.Since
			}
			if !s.equal(t.Snapshot) {
				t.Snapshot, changed = s, true
			}
		case t.Fails() && js.Error != "":
			// Not read this time: no news.
		case t.Fails():
			t.Fixed, changed = at, true
		case f != nil && EntryID(js.Hydra, t.Jobset, t.Attr, f.Since) == t.ID:
			done[k] = true // the same failure again
			t.Fixed, t.Snapshot, changed = time.Time{}, snapshot(f), true
		case at.Sub(t.Fixed) >= retention:
			continue
		}
		if t.Hydra != js.Hydra {
			// The entry links to the jobset's Hydra: moved, it changes.
			changed = changed || t.Hydra != ""
			t.Hydra = js.Hydra
		}
		if changed {
			touch(&t)
		}
		ids[t.ID] = true
		out = append(out, t)
	}
	for i := range site.Failures {
		f := &site.Failures[i]
		k := key{f.Jobset, f.Attr}
		if now[k] != f || done[k] {
			continue
		}
		js := jobsets[f.Jobset]
		id := EntryID(js.Hydra, f.Jobset, f.Attr, f.Since)
		if ids[id] {
			continue // cannot happen: the entry with this id took f above
		}
		done[k], ids[id] = true, true
		out = append(out, Tracked{ID: id, Jobset: f.Jobset, Hydra: js.Hydra, Attr: f.Attr,
			Published: at, Updated: at, Snapshot: snapshot(f)})
	}
	slices.SortFunc(out, func(a, b Tracked) int {
		if c := strings.Compare(a.Jobset, b.Jobset); c != 0 {
			return c
		}
		if c := strings.Compare(a.Attr, b.Attr); c != 0 {
			return c
		}
		if c := a.Published.Compare(b.Published); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}
