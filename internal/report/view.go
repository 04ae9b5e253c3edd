// Step 2, the indexes every page and feed is rendered from: a Site
// sorted and grouped once (per login, per team, per jobset), so that a
// page costs only its own rows. WriteSite and Handler both build one per
// Site and render through it, which is why their bytes are the same.

package report

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"time"
)

// view is a Site prepared for rendering.
type view struct {
	site     *Site
	jobsets  []*jobsetView
	byJobset map[string]*jobsetView
	people   []*owner // by login
	byLogin  map[string]*owner
	// loginFold maps a lower-case login to the login, when only one
	// login folds to it.
	loginFold map[string]string
	teams     []*owner // by slug
	bySlug    map[string]*owner
	feed      []Tracked
	// generated is the site's time, to the second.
	generated time.Time
	// rows and entries keep rendered rows and entry contents (a row is on
	// a jobset's page and on each maintainer's and team's).
	rowsMu  sync.Mutex
	rows    map[rowKey]string
	entries map[*Tracked]entryXML
}

// jobsetView is one jobset and its failures, by attribute.
type jobsetView struct {
	*Jobset
	Failures []*Failure
	// Jobs counts the failing jobs (attribute × system), Unmaintained
	// the failures with no maintainer nor team, Marked those with a
	// marker, PRs those with a pull request.
	FailingJobs, Unmaintained, Marked, PRs int
}

// owner is a login or a team: what it maintains.
type owner struct {
	Key  string // login or slug
	Name string
	// Members are a team's logins; Teams the teams a login is in.
	Members []string
	Teams   []*owner
	// Failures are what fails now, in jobset order, then by attribute.
	Failures []*Failure
	// Entries are its feed entries, newest update first; Fixed the
	// entries that build again.
	Entries []*Tracked
	Fixed   []*Tracked
	IsTeam  bool
}

// feedUpdated is the feed's atom:updated: its newest entry's, else the
// site's time.
func (o *owner) feedUpdated(v *view) time.Time {
	if len(o.Entries) > 0 {
		return o.Entries[0].Updated
	}
	return v.generated
}

// newView prepares site (which must be valid) for rendering.
func newView(site *Site) *view {
	v := &view{site: site, byJobset: map[string]*jobsetView{}, byLogin: map[string]*owner{},
		loginFold: map[string]string{}, bySlug: map[string]*owner{}, rows: map[rowKey]string{},
		entries: map[*Tracked]entryXML{}, generated: site.Generated.UTC().Truncate(time.Second)}
	order := map[string]int{}
	for i := range site.Jobsets {
		jv := &jobsetView{Jobset: &site.Jobsets[i]}
		v.jobsets = append(v.jobsets, jv)
		v.byJobset[jv.Key()] = jv
		order[jv.Key()] = i
	}
	login := func(l, name string) *owner {
		o := v.byLogin[l]
		if o == nil {
			o = &owner{Key: l}
			v.byLogin[l] = o
			v.people = append(v.people, o)
		}
		if o.Name == "" {
			o.Name = name
		}
		return o
	}
	team := func(slug string) *owner {
		o := v.bySlug[slug]
		if o == nil {
			o = &owner{Key: slug, IsTeam: true}
			v.bySlug[slug] = o
			v.teams = append(v.teams, o)
		}
		return o
	}
	for _, m := range site.Maintainers {
		if ValidLogin(m.Login) {
			login(m.Login, m.Name)
		}
	}
	for _, t := range site.Teams {
		if !ValidSlug(t.Slug) {
			continue
		}
		o := team(t.Slug)
		if o.Name == "" {
			o.Name = t.Name
		}
		for _, m := range t.Members {
			if ValidLogin(m) {
				o.Members = append(o.Members, m)
				login(m, "")
			}
		}
	}

	fails := make([]*Failure, len(site.Failures))
	for i := range site.Failures {
		fails[i] = &site.Failures[i]
	}
	slices.SortStableFunc(fails, func(a, b *Failure) int {
		return cmp.Or(cmp.Compare(order[a.Jobset], order[b.Jobset]), strings.Compare(a.Attr, b.Attr))
	})
	for _, f := range fails {
		jv := v.byJobset[f.Jobset]
		if jv == nil {
			continue
		}
		jv.Failures = append(jv.Failures, f)
		jv.FailingJobs += len(f.Systems)
		if len(f.Maintainers) == 0 && len(f.Teams) == 0 {
			jv.Unmaintained++
		}
		if f.Marker != nil {
			jv.Marked++
		}
		if f.PR != nil {
			jv.PRs++
		}
		for _, l := range distinct(f.Maintainers) {
			if ValidLogin(l) {
				o := login(l, "")
				o.Failures = append(o.Failures, f)
			}
		}
		for _, s := range distinct(f.Teams) {
			if ValidSlug(s) {
				o := team(s)
				o.Failures = append(o.Failures, f)
			}
		}
	}

	v.feed = site.Feed
	if v.feed == nil {
		v.feed = Track(nil, site, v.generated)
	}
	for i := range v.feed {
		t := &v.feed[i]
		if v.byJobset[t.Jobset] == nil {
			continue
		}
		for _, l := range t.Snapshot.Maintainers {
			if ValidLogin(l) {
				o := login(l, "")
				o.Entries = append(o.Entries, t)
			}
		}
		for _, s := range t.Snapshot.Teams {
			if ValidSlug(s) {
				o := team(s)
				o.Entries = append(o.Entries, t)
			}
		}
	}

	slices.SortFunc(v.people, func(a, b *owner) int { return strings.Compare(a.Key, b.Key) })
	slices.SortFunc(v.teams, func(a, b *owner) int { return strings.Compare(a.Key, b.Key) })
	folds := map[string]int{}
	for _, o := range v.people {
		folds[strings.ToLower(o.Key)]++
	}
	for _, o := range v.people {
		if l := strings.ToLower(o.Key); folds[l] == 1 {
			v.loginFold[l] = o.Key
		}
	}
	for _, o := range v.teams {
		o.Members = distinct(o.Members)
		for _, m := range o.Members {
			if p := v.byLogin[m]; p != nil {
				p.Teams = append(p.Teams, o)
			}
		}
	}
	for _, o := range append(slices.Clip(v.people), v.teams...) {
		sortEntries(o.Entries)
		for _, t := range o.Entries {
			if !t.Fails() {
				o.Fixed = append(o.Fixed, t)
			}
		}
		slices.SortFunc(o.Fixed, func(a, b *Tracked) int {
			return cmp.Or(cmp.Compare(order[a.Jobset], order[b.Jobset]), strings.Compare(a.Attr, b.Attr), b.Fixed.Compare(a.Fixed))
		})
	}
	return v
}

// sortEntries orders entries newest update first, then by id.
func sortEntries(e []*Tracked) {
	slices.SortFunc(e, func(a, b *Tracked) int {
		return cmp.Or(b.Updated.Compare(a.Updated), strings.Compare(a.ID, b.ID))
	})
}

// distinct returns v sorted without repeats (a copy).
func distinct(v []string) []string { return sortedCopy(v) }

// lookupLogin finds a login's owner: exactly, else (redirect) the one
// login it folds to.
func (v *view) lookupLogin(l string) (o *owner, canonical string) {
	if o := v.byLogin[l]; o != nil {
		return o, l
	}
	if c, ok := v.loginFold[strings.ToLower(l)]; ok {
		return v.byLogin[c], c
	}
	return nil, ""
}

// lookupJobset finds the jobset of a route ("x.html" is jobset x unless a
// jobset is called "x.html").
func (v *view) lookupJobset(project, name string) *jobsetView {
	if jv := v.byJobset[project+"/"+name]; jv != nil {
		return jv
	}
	if n, ok := strings.CutSuffix(name, ".html"); ok {
		return v.byJobset[project+"/"+n]
	}
	return nil
}

// anchor is the HTML id of a failure's row on every page: stable and
// safe whatever the attribute holds.
func anchor(jobset, attr string) string {
	h := sha256.Sum256([]byte(jobset + "\x00" + attr))
	return "f-" + hex.EncodeToString(h[:6])
}

// entryAnchor is the HTML id of a fixed entry's row.
func entryAnchor(id string) string {
	h := sha256.Sum256([]byte(id))
	return "e-" + hex.EncodeToString(h[:6])
}
