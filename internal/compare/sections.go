package compare

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
)

// Index is what the report needs from the packages index
// (*nixpkgs.Index satisfies it).
type Index interface {
	Lookup(attr string) (nixpkgs.Package, bool)
}

// Person is a maintainer as the report names and mentions them.
type Person struct {
	// ID is the GitHub account id (0 if the index has none); Login the
	// GitHub login (the index's, or resolved from ID when posting); Name
	// the maintainer's name, shown when there is no login.
	ID    int64
	Login string
	Name  string
}

// Key identifies the person in the mention record: the id when known
// (logins change, ids do not), else the lower-case login.
func (p Person) Key() string {
	if p.ID > 0 {
		return "id:" + strconv.FormatInt(p.ID, 10)
	}
	if p.Login != "" {
		return "login:" + strings.ToLower(p.Login)
	}
	return ""
}

// Package is one attribute of the report with what the index says about it.
type Package struct {
	Entry
	// Known is false when the packages index lacks the attribute (a
	// package new on head, or an index older than the branch).
	Known bool
	// Maintainers and Teams (team GitHub slugs; teams without one are not
	// mentionable and listed in TeamNames only).
	Maintainers []Person
	Teams       []string
	TeamNames   []string
	// LogBuild is the build whose log LogTail holds (0: none fetched).
	LogBuild int64
	LogTail  []string
}

// Section is the regressions of one maintainer set: every package whose
// maintainers (by GitHub id, else login) and teams are the same.
type Section struct {
	Key      string // "" for unmaintained packages
	Users    []Person
	Teams    []string
	Packages []Package
}

// Unmaintained reports the section of packages without maintainers.
func (s *Section) Unmaintained() bool { return s.Key == "" }

// mentionKeys are the section's mentionable identities: people with a key
// and a login (or id), and teams ("team:slug").
func (s *Section) mentionKeys() []string {
	var out []string
	for _, p := range s.Users {
		if k := p.Key(); k != "" {
			out = append(out, k)
		}
	}
	for _, t := range s.Teams {
		out = append(out, "team:"+strings.ToLower(t))
	}
	return out
}

// packageOf looks an entry up in the index.
func packageOf(e Entry, ix Index) Package {
	p := Package{Entry: e}
	if ix == nil {
		return p
	}
	np, ok := ix.Lookup(e.Attr)
	if !ok {
		return p
	}
	p.Known = true
	seen := map[string]bool{}
	for _, m := range np.Maintainers {
		per := Person{ID: m.GitHubID, Login: m.GitHub, Name: m.Name}
		k := per.Key()
		if k == "" {
			if m.Name == "" || seen["name:"+m.Name] {
				continue
			}
			k = "name:" + m.Name
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		p.Maintainers = append(p.Maintainers, per)
	}
	for _, t := range np.Teams {
		if t.GitHub != "" {
			if !slices.Contains(p.Teams, t.GitHub) {
				p.Teams = append(p.Teams, t.GitHub)
			}
		} else if t.ShortName != "" && !slices.Contains(p.TeamNames, t.ShortName) {
			p.TeamNames = append(p.TeamNames, t.ShortName)
		}
	}
	sort.Slice(p.Maintainers, func(i, j int) bool { return personLess(p.Maintainers[i], p.Maintainers[j]) })
	sort.Strings(p.Teams)
	sort.Strings(p.TeamNames)
	return p
}

func personLess(a, b Person) bool {
	la, lb := strings.ToLower(a.Login), strings.ToLower(b.Login)
	if la != lb {
		return la < lb
	}
	if a.ID != b.ID {
		return a.ID < b.ID
	}
	return a.Name < b.Name
}

// setKey is the maintainer set of a package: its mentionable people and
// teams, sorted. Maintainers with neither login nor id do not count (they
// cannot be reached on GitHub), so such a package can be "unmaintained".
func setKey(p Package) string {
	var ks []string
	for _, m := range p.Maintainers {
		if k := m.Key(); k != "" {
			ks = append(ks, k)
		}
	}
	for _, t := range p.Teams {
		ks = append(ks, "team:"+strings.ToLower(t))
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

// Group puts the regressions into sections per maintainer set: sections
// ordered by their first attribute, the unmaintained section last.
func Group(regressions []Entry, ix Index) []Section {
	byKey := map[string]*Section{}
	var order []*Section
	for _, e := range regressions {
		p := packageOf(e, ix)
		k := setKey(p)
		s := byKey[k]
		if s == nil {
			s = &Section{Key: k, Teams: p.Teams}
			for _, m := range p.Maintainers {
				if m.Key() != "" {
					s.Users = append(s.Users, m)
				}
			}
			byKey[k] = s
			order = append(order, s)
		}
		s.Packages = append(s.Packages, p)
	}
	out := make([]Section, 0, len(order))
	for _, s := range order {
		if !s.Unmaintained() {
			out = append(out, *s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Packages[0].Attr < out[j].Packages[0].Attr })
	if s := byKey[""]; s != nil {
		out = append(out, *s)
	}
	return out
}

// Mentions is the record of whom a comment has mentioned, kept in its
// hidden marker so that later versions do not ping them again.
type Mentions struct {
	IDs    []int64  `json:"ids,omitempty"`
	Logins []string `json:"logins,omitempty"` // lower case; people without an id
	Teams  []string `json:"teams,omitempty"`  // lower case slugs
}

// Has reports whether the mention key (Person.Key, "team:slug") is in the
// record.
func (m Mentions) Has(k string) bool {
	kind, v, _ := strings.Cut(k, ":")
	switch kind {
	case "id":
		id, err := strconv.ParseInt(v, 10, 64)
		return err == nil && slices.Contains(m.IDs, id)
	case "login":
		return slices.Contains(m.Logins, v)
	case "team":
		return slices.Contains(m.Teams, v)
	}
	return false
}

// Add records a mention key.
func (m *Mentions) Add(k string) {
	if m.Has(k) {
		return
	}
	kind, v, _ := strings.Cut(k, ":")
	switch kind {
	case "id":
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			m.IDs = append(m.IDs, id)
			slices.Sort(m.IDs)
		}
	case "login":
		m.Logins = append(m.Logins, v)
		slices.Sort(m.Logins)
	case "team":
		m.Teams = append(m.Teams, v)
		slices.Sort(m.Teams)
	}
}

// normalized sorts and de-duplicates the record, logins and teams in
// lower case.
func (m Mentions) normalized() Mentions {
	var out Mentions
	out.IDs = slices.Compact(slices.Sorted(slices.Values(m.IDs)))
	for _, l := range m.Logins {
		out.Logins = append(out.Logins, strings.ToLower(l))
	}
	for _, t := range m.Teams {
		out.Teams = append(out.Teams, strings.ToLower(t))
	}
	out.Logins = slices.Compact(slices.Sorted(slices.Values(out.Logins)))
	out.Teams = slices.Compact(slices.Sorted(slices.Values(out.Teams)))
	return out
}

// Len is the number of recorded mentions.
func (m Mentions) Len() int { return len(m.IDs) + len(m.Logins) + len(m.Teams) }

// PingPolicy says whom a report may mention.
type PingPolicy struct {
	// None: mention nobody (maintainers are named in code spans).
	None bool
	// Max mentions per maintainer set, teams counting as one; above it
	// the set is named without mentions, as a PR's reviewers are
	// (default 15, prs' cap).
	Max int
	// PingSecondaryPlatforms: also mention maintainers whose packages
	// regress only on Darwin (off by default, as for PRs).
	PingSecondaryPlatforms bool
	// Exclude is a login never mentioned (markbot's own).
	Exclude string
}

// DefaultMaxMentions is the mention cap per maintainer set.
const DefaultMaxMentions = 15

// Quiet says why a section's maintainers are named without a mention.
type Quiet string

// The reasons a section is not pinged.
const (
	QuietNone      Quiet = ""
	QuietConfig    Quiet = "configuration"
	QuietTooMany   Quiet = "too-many"
	QuietSecondary Quiet = "secondary-platform"
)

// secondaryOnly: every regression of the section is on Darwin only.
func secondaryOnly(s *Section) bool {
	for _, p := range s.Packages {
		for _, d := range p.Systems {
			if d.System != "x86_64-darwin" && d.System != "aarch64-darwin" {
				return false
			}
		}
	}
	return len(s.Packages) > 0
}

// quiet decides whether a section is pinged at all.
func (pp PingPolicy) quiet(s *Section) Quiet {
	n := len(s.mentionKeys())
	max := pp.Max
	if max <= 0 {
		max = DefaultMaxMentions
	}
	switch {
	case n == 0:
		return QuietNone
	case pp.None:
		return QuietConfig
	case !pp.PingSecondaryPlatforms && secondaryOnly(s):
		return QuietSecondary
	case n > max:
		return QuietTooMany
	}
	return QuietNone
}

// Plan is whom one version of the report mentions.
type Plan struct {
	// Quiet per section (by index), and the mention keys to @-mention now
	// (not mentioned by an earlier version, not excluded).
	Quiet []Quiet
	Ping  map[string]bool
}

// PlanMentions decides the mentions: in each pinged section, everyone not
// already in prev.
func PlanMentions(sections []Section, prev Mentions, pp PingPolicy) Plan {
	pl := Plan{Quiet: make([]Quiet, len(sections)), Ping: map[string]bool{}}
	for i := range sections {
		s := &sections[i]
		pl.Quiet[i] = pp.quiet(s)
		if pl.Quiet[i] != QuietNone {
			continue
		}
		for _, p := range s.Users {
			k := p.Key()
			if k == "" || prev.Has(k) || (pp.Exclude != "" && strings.EqualFold(p.Login, pp.Exclude)) {
				continue
			}
			pl.Ping[k] = true
		}
		for _, t := range s.Teams {
			if k := "team:" + strings.ToLower(t); !prev.Has(k) {
				pl.Ping[k] = true
			}
		}
	}
	return pl
}

func (q Quiet) text(n int) string {
	switch q {
	case QuietConfig:
		return "not mentioned: markbot is configured not to ping maintainers"
	case QuietSecondary:
		return "not mentioned: these fail only on Darwin, a secondary platform"
	case QuietTooMany:
		return fmt.Sprintf("not mentioned: %d maintainers and teams, more than the cap", n)
	}
	return ""
}
