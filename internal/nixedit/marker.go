package nixedit

// The marker: what markbot writes into a derivation's meta (Marker, its
// validation, the format of its comment) and the answers of Mark, Unmark
// and Narrow.

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Marker is what markbot writes into a derivation's meta.
type Marker struct {
	// Systems are the failing systems; empty means every system.
	Systems []string
	// BuildURL is the failing Hydra build, e.g. https://hydra.nixos.org/build/312345678.
	BuildURL string
	// Since is the day the failure started, YYYY-MM-DD.
	Since string
}

// ErrAlreadyBroken is Mark's answer when the derivation is already marked
// broken on every system asked for.
var ErrAlreadyBroken = errors.New("already marked broken")

// ErrNotMarked is Unmark's answer when the derivation carries no markbot
// marker.
var ErrNotMarked = errors.New("not marked by markbot")

// RefusedError is Mark's answer for a file or shape it will not edit.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return "refused: " + e.Reason }

// HumanChangedError is Unmark's answer when markbot's marker is there but a
// human has edited it: it is theirs now.
type HumanChangedError struct{ Reason string }

func (e *HumanChangedError) Error() string { return "changed by a human: " + e.Reason }

var buildURLRe = regexp.MustCompile(`^https?://[^/\s]+(/[^\s]*)?/build/[0-9]+$`)

// Validate checks the marker's fields.
func (m Marker) Validate() error {
	if err := checkBuildURL(m.BuildURL); err != nil {
		return err
	}
	if err := checkDate(m.Since); err != nil {
		return err
	}
	for _, s := range m.Systems {
		if err := CheckSystem(s); err != nil {
			return err
		}
	}
	return nil
}

// checkBuildURL accepts a Hydra build URL, which markbot writes into a
// public file (twice) and a pull request: one carrying credentials (a user
// name or password, a query string or fragment, where tokens go) is
// refused, and named without them.
func checkBuildURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || !buildURLRe.MatchString(s) || u.Host == "" {
		return fmt.Errorf("build URL %q is not a Hydra build URL like https://hydra.nixos.org/build/312345678", redact(s))
	}
	switch {
	case u.User != nil:
		return fmt.Errorf("build URL %q carries a user name or password: markbot writes it into a public file; give the URL without them", redact(s))
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Errorf("build URL %q has a query or fragment: a Hydra build URL has none (and a token there would be published)", redact(s))
	}
	return nil
}

// redact hides what may be a secret in a URL for an error message (which
// may be logged): https://user:pass@host/x?token=t becomes
// https://REDACTED@host/x?REDACTED.
func redact(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i+1] + "REDACTED"
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	host, path, slash := strings.Cut(rest, "/")
	i := strings.LastIndex(host, "@")
	if i < 0 {
		return s
	}
	s = scheme + "://REDACTED" + host[i:]
	if slash {
		s += "/" + path
	}
	return s
}

func checkDate(s string) error {
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return fmt.Errorf("since %q is not a date like 2026-11-25", s)
	}
	return nil
}

// The marker's comment. Mark writes, Unmark reads:
//
//	# markbot: broken since 2026-11-25, URL (log: URL/log)
//	# markbot: broken on x86_64-darwin, aarch64-darwin since 2026-11-25, URL (log: URL/log)
//	# markbot: also broken on x86_64-linux since 2026-11-25, URL (log: URL/log)
//
// the first above `broken = true;`, the second above `broken = COND;` for
// those systems, the third above a human's `broken = X;` that markbot
// turned into `broken = X || COND;`. Notes at the end say what else Mark
// changed, so that Unmark can undo it exactly: ", added the stdenv
// argument" when it added stdenv to the file's formals for its condition
// (and ", one argument a line" when nixfmt's layout then put the formals
// one a line, as three arguments always are), ", expanded meta" when it
// spread a one-line `meta = { };` (or `{ inherit …; }`) over lines, as
// nixfmt prints a set with bindings. Unmark takes out only what matches the
// comment exactly.
var commentRe = regexp.MustCompile(`^# markbot: (also )?broken (?:on ([a-z0-9_]+-[a-z0-9]+(?:, [a-z0-9_]+-[a-z0-9]+)*) )?since ([0-9]{4}-[0-9]{2}-[0-9]{2}), (\S+) \(log: (\S+)\)(, added the stdenv argument(, one argument a line)?)?(, expanded meta)?$`)

const (
	stdenvNote        = ", added the stdenv argument"
	expandFormalsNote = ", one argument a line"
	expandMetaNote    = ", expanded meta"
)

// notes are what else Mark changed besides inserting its lines.
type notes struct {
	addedStdenv    bool // added stdenv to the formals
	expandedFormal bool // and laid the formals out one a line
	expandedMeta   bool // spread a one-line meta set over lines
}

func (m Marker) comment(combined bool, n notes) string {
	var b strings.Builder
	b.WriteString("# markbot: ")
	if combined {
		b.WriteString("also ")
	}
	b.WriteString("broken")
	if systems := normalizeSystems(m.Systems); len(systems) > 0 {
		b.WriteString(" on " + strings.Join(systems, ", "))
	}
	b.WriteString(" since " + m.Since + ", " + m.BuildURL + " (log: " + m.BuildURL + "/log)")
	if n.addedStdenv {
		b.WriteString(stdenvNote)
		if n.expandedFormal {
			b.WriteString(expandFormalsNote)
		}
	}
	if n.expandedMeta {
		b.WriteString(expandMetaNote)
	}
	return b.String()
}

type parsedComment struct {
	combined bool
	systems  []string
	since    string
	buildURL string
	notes
}

// parseComment reads a comment Mark wrote. ok is false unless every part
// is one Mark could have written: a real date, a build URL Validate
// accepts (named twice, the second time with /log), known systems in
// markbot's order.
func parseComment(text string) (parsedComment, bool) {
	m := commentRe.FindStringSubmatch(text)
	if m == nil || m[5] != m[4]+"/log" || checkDate(m[3]) != nil || checkBuildURL(m[4]) != nil {
		return parsedComment{}, false
	}
	pc := parsedComment{combined: m[1] != "", since: m[3], buildURL: m[4],
		notes: notes{addedStdenv: m[6] != "", expandedFormal: m[7] != "", expandedMeta: m[8] != ""}}
	if m[2] != "" {
		pc.systems = strings.Split(m[2], ", ")
		for _, s := range pc.systems {
			if CheckSystem(s) != nil {
				return parsedComment{}, false
			}
		}
		if !slices.Equal(pc.systems, normalizeSystems(pc.systems)) {
			return parsedComment{}, false
		}
	}
	return pc, true
}
