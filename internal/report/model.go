// Package report publishes what fails persistently on Hydra, per GitHub
// login and per team of the nixpkgs packages index, as HTML pages and Atom
// feeds: nobody is mailed or pinged, subscribing is the reader's choice
// (issue 14, sections 3 and 4).
//
// The package is in steps, one file each:
//
//   - model.go: the Site, plain data with no I/O, and its validation;
//   - fill.go: filling the model from failures.Result, nixpkgs.Index and
//     markbot's state;
//   - track.go: the feed entries' life cycle (Track), pure;
//   - history.go: the memory Track needs between runs (History: in memory
//     or a JSON file);
//   - view.go: the indexes every page and feed is rendered from;
//   - routes.go: the URL and file layout, and parsing a request path;
//   - pages.go (and templates/, assets/): the HTML pages;
//   - feeds.go: the Atom feeds (RFC 4287);
//   - write.go: WriteSite, the static site written atomically;
//   - handler.go: Handler, the same site served from memory.
//
// Pages and feeds are byte for byte the same whether written by WriteSite or
// served by Handler: both render through the same functions.
package report

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/breaks"
)

// NixpkgsURL is the repository revisions and comparisons link to.
const NixpkgsURL = "https://github.com/NixOS/nixpkgs"

// Role says what markbot does with a watched jobset's failures.
type Role string

const (
	// RoleMark: markbot marks the persistent failures broken (master).
	RoleMark Role = "mark"
	// RoleReport: markbot only reports them (staging-next, a release
	// branch, …).
	RoleReport Role = "report"
)

// Site is everything the pages and feeds show: one snapshot, made by the
// caller after a cycle and never changed afterwards (Handler and WriteSite
// read it concurrently).
type Site struct {
	// Generated is when the snapshot was made; every page shows it, and
	// it is the Last-Modified of every answer.
	Generated time.Time
	// BaseURL is the absolute http(s) URL the site is published at, with
	// or without a final "/" ("https://nixpkgs-markbot.github.io/report/").
	// Feeds need it (Atom links are absolute); pages link relatively and
	// work wherever they are put.
	BaseURL string
	// Jobsets are the watched jobsets, in the order the index lists them.
	Jobsets []Jobset
	// Failures are the persistent failures of every watched jobset, and
	// on a RoleMark jobset also the packages markbot's marker keeps
	// Hydra from building (their failure is not over: see FromState).
	// At most one per jobset and attribute.
	Failures []Failure
	// Maintainers gives every GitHub login of the index a page and a
	// feed, also those with nothing failing (people subscribe before
	// anything breaks). A login named by a failure but missing here gets
	// them too, without a name.
	Maintainers []Maintainer
	// Teams are the index's teams, likewise.
	Teams []Team
	// Feed holds the feed entries, as Track returns them (also the
	// packages that build again, for Retention). Nil: no memory, the
	// feeds hold the current failures only, published at Generated.
	Feed []Tracked
	// Retention is how long a "builds again" entry stays in the feeds
	// and on the pages (0: DefaultRetention). Track reads it.
	Retention time.Duration
}

// DefaultRetention is how long a package that builds again stays in the
// feeds, saying so.
const DefaultRetention = 30 * 24 * time.Hour

// Jobset is one watched Hydra jobset and its newest evaluation.
type Jobset struct {
	// Hydra is the Hydra server's URL ("https://hydra.nixos.org").
	Hydra string
	// Project and Name name the jobset on that Hydra ("nixpkgs",
	// "unstable"); Key joins them. Hydra's own rules apply (a project
	// [A-Za-z_][A-Za-z0-9_-]*, a jobset the same with dots): anything
	// else is refused, since both are in URLs and file names.
	Project, Name string
	// Role is what markbot does with its failures.
	Role Role
	// Eval is the newest finished evaluation read (0: none yet), EvalTime
	// when Hydra made it, Revision the nixpkgs commit it evaluated (""
	// unknown).
	Eval     int64
	EvalTime time.Time
	Revision string
	// Jobs is how many jobs that evaluation holds (attribute × system),
	// of the systems watched; 0 unknown.
	Jobs int
	// Error, when set, says why the jobset's failures are not current
	// (Hydra unreachable, a mass breakage): the pages say so, and Track
	// keeps the jobset's entries as they were instead of concluding that
	// its packages build again.
	Error string
}

// Key is "project/name", how failures refer to their jobset.
func (j Jobset) Key() string { return j.Project + "/" + j.Name }

// URL is the jobset's page on Hydra.
func (j Jobset) URL() string {
	return strings.TrimSuffix(j.Hydra, "/") + "/jobset/" + j.Project + "/" + j.Name
}

// EvalURL is the newest evaluation's page on Hydra ("" when there is none).
func (j Jobset) EvalURL() string {
	if j.Eval <= 0 {
		return ""
	}
	return strings.TrimSuffix(j.Hydra, "/") + "/eval/" + strconv.FormatInt(j.Eval, 10)
}

// Failure is one attribute failing persistently on one jobset.
type Failure struct {
	// Jobset is the Jobset.Key of the jobset it fails on.
	Jobset string
	// Attr is the attribute path ("python313Packages.requests").
	Attr string
	// Name is the derivation's name ("python3.13-requests-2.32.3"), ""
	// when the index does not know it.
	Name string
	// Systems are the failing systems, in the jobset's order.
	Systems []string
	// Since is when it started failing (failures.Failure.FailingSince);
	// zero: unknown.
	Since time.Time
	// BrokeBetween is the nixpkgs range the breaking change is in: the
	// last evaluation it built in and the first it failed in. Nil means
	// unknown, and the pages say "unknown": it is never guessed.
	BrokeBetween *Range
	// Builds are the failing builds, one per failing system.
	Builds []Build
	// Maintainers are the GitHub logins of its maintainers (none:
	// unmaintained).
	Maintainers []string
	// Teams are the slugs of its teams (Team.Slug).
	Teams []string
	// PR is markbot's pull request about it, if any.
	PR *PRRef
	// Marker is markbot's marker for it, if any.
	Marker *MarkerRef
	// Refused is why markbot did not mark it, when it tried and could not
	// (State.Refusals: a shape it does not write, a file it cannot read,
	// already broken); "": it did not, or there is a marker.
	Refused string
}

// Range is a span of nixpkgs history.
type Range struct {
	// Good is the revision of the last evaluation the package built in,
	// Bad the revision of the first one it failed in.
	Good string `json:"good"`
	Bad  string `json:"bad"`
	// CompareURL shows the commits between them
	// ("https://github.com/NixOS/nixpkgs/compare/GOOD...BAD").
	CompareURL string `json:"compare_url"`
	// Commits is how many commits that is; -1 unknown.
	Commits int `json:"commits"`
}

// NewRange is the Range from good to bad on NixOS/nixpkgs, nil when either
// revision is unknown or they are the same.
func NewRange(good, bad string, commits int) *Range {
	if !validRevision(good) || !validRevision(bad) || good == bad {
		return nil
	}
	if commits < 0 {
		commits = -1
	}
	return &Range{Good: good, Bad: bad, Commits: commits, CompareURL: NixpkgsURL + "/compare/" + good + "..." + bad}
}

func validRevision(r string) bool { return breaks.ValidRevision(r) }

// Build is one failing build.
type Build struct {
	// System is the build's system ("x86_64-linux").
	System string
	// Job is the Hydra job ("hello.x86_64-linux"); "" means Attr.System.
	Job string
	// BuildURL is the build's page on Hydra, LogURL its log.
	BuildURL, LogURL string
}

// HydraBuild is the Build with id on hydra.
func HydraBuild(hydra, system string, id int64) Build {
	u := strings.TrimSuffix(hydra, "/") + "/build/" + strconv.FormatInt(id, 10)
	return Build{System: system, BuildURL: u, LogURL: u + "/log"}
}

// PRRef is a pull request markbot opened.
type PRRef struct {
	// Number and URL identify it.
	Number int    `json:"number"`
	URL    string `json:"url"`
	// Kind is "mark" (it marks the package broken) or "unmark" (it takes
	// the marker out again).
	Kind string `json:"kind"`
	// State is GitHub's: "open", "merged" or "closed".
	State string `json:"state"`
}

// MarkerRef is markbot's marker of a package.
type MarkerRef struct {
	// State is the marker's (state.MarkerState): "proposed", "merged",
	// "probing", "reverting", ….
	State string
	// LastProbe is when markbot last checked whether it builds again
	// (zero: never), ProbeResult what it found, for people ("still fails
	// on x86_64-linux").
	LastProbe   time.Time
	ProbeResult string
}

// Maintainer is a GitHub account maintaining packages.
type Maintainer struct {
	// Login is the GitHub login: [A-Za-z0-9-]{1,39}.
	Login string
	// Name is the name the index gives ("" unknown).
	Name string
}

// Team is a team of the packages index.
type Team struct {
	// Slug names it in URLs: the GitHub team's slug in the NixOS
	// organisation, else Slugify of its short name.
	Slug string
	// Name is its short name ("GNOME").
	Name string
	// Members are its members' GitHub logins.
	Members []string
}

var (
	loginRE   = regexp.MustCompile(`^[A-Za-z0-9-]{1,39}$`)
	slugRE    = regexp.MustCompile(`^[a-z0-9_][a-z0-9_-]{0,99}$`)
	projectRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]{0,99}$`)
	jobsetRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]{0,99}$`)
)

// ValidLogin reports whether s is a GitHub login: 1 to 39 letters, digits
// and hyphens. Only valid logins get pages; others are shown as text.
func ValidLogin(s string) bool { return loginRE.MatchString(s) }

// ValidSlug reports whether s is a team slug as GitHub makes them: lower
// case letters, digits, "_" and "-", not starting with "-", at most 100.
func ValidSlug(s string) bool { return slugRE.MatchString(s) }

// Slugify makes a slug of a team name the way GitHub does: lower case,
// every run of other characters one "-", none at the ends.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	s := b.String()
	if len(s) > 100 {
		s = strings.TrimRight(s[:100], "-")
	}
	return s
}

func validJobsetName(project, name string) bool {
	return projectRE.MatchString(project) && jobsetRE.MatchString(name)
}

// Validate checks what the pages and feeds rely on: a time, an absolute
// base URL, jobsets with valid, distinct names and a known role, and
// failures of known jobsets, at most one per jobset and attribute, with an
// attribute. Logins and slugs that are not valid are not an error: they get
// no page and are shown unlinked.
func (s *Site) Validate() error {
	if s == nil {
		return errors.New("report: no site")
	}
	var errs []error
	if s.Generated.IsZero() {
		errs = append(errs, errors.New("report: the site has no Generated time"))
	}
	if u, err := url.Parse(s.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("report: base URL %q is not an absolute http(s) URL", s.BaseURL))
	}
	keys := map[string]bool{}
	for _, j := range s.Jobsets {
		switch {
		case !validJobsetName(j.Project, j.Name):
			errs = append(errs, fmt.Errorf("report: jobset %q/%q: not a Hydra project and jobset name", j.Project, j.Name))
		case keys[j.Key()]:
			errs = append(errs, fmt.Errorf("report: jobset %s given twice", j.Key()))
		case j.Role != RoleMark && j.Role != RoleReport:
			errs = append(errs, fmt.Errorf("report: jobset %s: role %q is neither %q nor %q", j.Key(), j.Role, RoleMark, RoleReport))
		}
		if u, err := url.Parse(j.Hydra); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("report: jobset %s: Hydra URL %q is not an absolute http(s) URL", j.Key(), j.Hydra))
		}
		keys[j.Key()] = true
	}
	seen := map[[2]string]bool{}
	for _, f := range s.Failures {
		k := [2]string{f.Jobset, f.Attr}
		switch {
		case f.Attr == "":
			errs = append(errs, fmt.Errorf("report: a failure on %s has no attribute", f.Jobset))
		case !keys[f.Jobset]:
			errs = append(errs, fmt.Errorf("report: failure of %s on unknown jobset %q", f.Attr, f.Jobset))
		case seen[k]:
			errs = append(errs, fmt.Errorf("report: %s on %s given twice", f.Attr, f.Jobset))
		}
		seen[k] = true
	}
	if s.Retention < 0 {
		errs = append(errs, fmt.Errorf("report: negative retention %v", s.Retention))
	}
	return errors.Join(errs...)
}

func (s *Site) retention() time.Duration {
	if s.Retention > 0 {
		return s.Retention
	}
	return DefaultRetention
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// sortedCopy returns the distinct strings of v, sorted.
func sortedCopy(v []string) []string {
	if len(v) == 0 {
		return nil
	}
	out := slices.Clone(v)
	slices.Sort(out)
	return slices.Compact(out)
}
