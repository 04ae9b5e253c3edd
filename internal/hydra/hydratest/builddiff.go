// The evaluation page, step 1: classifying. This file compares the member
// builds of two evaluations as Hydra's BuildDiff.pm does
// (NixOS/hydra subprojects/hydra/lib/Hydra/Helper/BuildDiff.pm, buildDiff),
// quirks included, and filters jobs as JobsetEval.pm's view_GET does with
// `job ILIKE '%filter%'`.
package hydratest

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// member is one build of an evaluation as the page needs it to classify:
// the columns BuildDiff.pm reads (job, system, finished, buildstatus) and
// the id to fetch the rest when the row is printed. It is 32 bytes; job
// strings are interned across evaluations.
type member struct {
	job    string
	id     int64
	system uint8 // index into the index's systems
	status int8  // buildstatus; statusQueued while unfinished
}

// statusQueued marks an unfinished build (finished = 0).
const statusQueued int8 = -1

func (m *member) finished() bool { return m.status != statusQueued }

// category is the tab a current build lands in.
type category uint8

// The categories, in the order jobset-eval.tt prints their tabs.
const (
	catAborted category = iota
	catNowFail
	catNowSucceed
	catNew
	catStillFail
	catStillSucceed
	catUnfinished
	numCategories
)

// diffResult is buildDiff's answer: a category for every current build
// (parallel to the sorted current list), and the removed jobs as indices
// into the sorted previous list.
type diffResult struct {
	cats    []category
	removed []int32
	counts  [numCategories]int
	// The summary counters (the Actions menu of logged-in users only).
	totalAborted, totalFailed, totalQueued int
}

// compareMembers is cmpBuilds: job, then system, compared as Perl's cmp
// compares strings (by code point, which for UTF-8 is byte order).
func compareMembers(a, b *member, asys, bsys []string) int {
	if c := strings.Compare(a.job, b.job); c != 0 {
		return c
	}
	return strings.Compare(asys[a.system], bsys[b.system])
}

// sortMembers sorts as buildDiff's `sort { cmpBuilds($a, $b) }`. (job,
// system) is unique within an evaluation, so the order is the same as Perl's
// stable merge sort; should a scenario repeat a pair, the build ids break
// the tie.
func sortMembers(ms []member, systems []string) {
	slices.SortFunc(ms, func(a, b member) int {
		if c := strings.Compare(a.job, b.job); c != 0 {
			return c
		}
		if c := strings.Compare(systems[a.system], systems[b.system]); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
}

// abortedStatus reports statuses 3 (aborted), 4 (cancelled), 7 (timed
// out) and 10 (log limit exceeded) of a finished build: BuildDiff.pm puts
// those under "aborted" whatever the other evaluation says.
func abortedStatus(m *member) bool {
	if !m.finished() {
		return false
	}
	switch m.status {
	case 3, 4, 7, 10:
		return true
	}
	return false
}

// buildDiff classifies cur against prev; both must be sorted by
// sortMembers. It follows BuildDiff.pm's loop exactly:
//
//   - for each current build it walks the previous list from where the last
//     match stopped; previous entries that sort before the current build are
//     "removed" as they are passed over; it stops at the first previous entry
//     that sorts after the current build, or at an equal one (a match, which
//     is consumed);
//   - so previous entries after the last current build are never passed
//     over and are not listed as removed (nor anything when cur is empty);
//   - a finished build with status 3, 4, 7 or 10 is "aborted" whether or not
//     it has a counterpart;
//   - otherwise, with a counterpart: "unfinished" if either is unfinished,
//     then still/now succeed/fail by status 0 versus non-zero;
//   - without one: "new", even when it is unfinished.
func buildDiff(cur []member, cursys []string, prev []member, prevsys []string) diffResult {
	res := diffResult{cats: make([]category, len(cur))}
	n := 0
	for i := range cur {
		b := &cur[i]
		aborted := abortedStatus(b)
		found := false
		for n < len(prev) {
			b2 := &prev[n]
			d := compareMembers(b, b2, cursys, prevsys)
			if d < 0 {
				break
			}
			if d == 0 {
				n++
				found = true
				switch {
				case aborted:
				case !b.finished() || !b2.finished():
					res.cats[i] = catUnfinished
				case b.status == 0 && b2.status == 0:
					res.cats[i] = catStillSucceed
				case b.status != 0 && b2.status != 0:
					res.cats[i] = catStillFail
				case b.status == 0:
					res.cats[i] = catNowSucceed
				default:
					res.cats[i] = catNowFail
				}
				break
			}
			res.removed = append(res.removed, int32(n))
			n++
		}
		switch {
		case aborted:
			res.cats[i] = catAborted
		case !found:
			res.cats[i] = catNew
		}
		res.counts[res.cats[i]]++
		switch {
		case b.finished() && b.status != 0 && aborted:
			res.totalAborted++
		case b.finished() && b.status != 0:
			res.totalFailed++
		case !b.finished():
			res.totalQueued++
		}
	}
	return res
}

// likePattern is a compiled `ILIKE '%' || filter || '%'` (PostgreSQL):
// `%` matches any run of characters, `_` any one character, a backslash
// makes the next character literal, and letters match regardless of case.
type likePattern struct {
	toks  []likeTok
	plain string // the whole pattern when it is one literal (fast path)
	ascii bool
}

type likeTok struct {
	kind byte // 'l' literal rune, '_' any rune, '%' any run
	r    rune
}

// errLikeEscape is PostgreSQL's error for a pattern ending in the escape
// character; Hydra does not catch it (a 500).
const errLikeEscape = "LIKE pattern must not end with escape character"

// compileFilter compiles view_GET's filter; "" matches every job.
func compileFilter(filter string) (*likePattern, string) {
	if filter == "" {
		return nil, ""
	}
	p := &likePattern{}
	p.toks = append(p.toks, likeTok{kind: '%'})
	literal := true
	var lit strings.Builder
	for i := 0; i < len(filter); {
		r, size := utf8.DecodeRuneInString(filter[i:])
		i += size
		switch r {
		case '%', '_':
			literal = false
			p.toks = append(p.toks, likeTok{kind: byte(r)})
			continue
		case '\\':
			if i >= len(filter) {
				return nil, errLikeEscape
			}
			r, size = utf8.DecodeRuneInString(filter[i:])
			i += size
			literal = false
		}
		lit.WriteRune(r)
		p.toks = append(p.toks, likeTok{kind: 'l', r: unicode.ToLower(r)})
	}
	p.toks = append(p.toks, likeTok{kind: '%'})
	if literal {
		p.plain = strings.ToLower(lit.String())
		p.ascii = true
		for i := 0; i < len(p.plain); i++ {
			if p.plain[i] >= utf8.RuneSelf {
				p.ascii = false
			}
		}
	}
	return p, ""
}

// match reports whether s matches the pattern.
func (p *likePattern) match(s string) bool {
	if p == nil {
		return true
	}
	if p.plain != "" && p.ascii && isASCII(s) {
		return containsFoldASCII(s, p.plain)
	}
	rs := []rune(strings.ToLower(s))
	return likeMatch(p.toks, rs)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// containsFoldASCII is strings.Contains(strings.ToLower(s), lower) without
// allocating, for ASCII s and an ASCII lower-case needle.
func containsFoldASCII(s, lower string) bool {
	n := len(lower)
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != lower[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// likeMatch matches with the usual greedy-with-backtrack wildcard walk.
func likeMatch(toks []likeTok, s []rune) bool {
	ti, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case ti < len(toks) && toks[ti].kind == '%':
			star, mark = ti, si
			ti++
		case ti < len(toks) && (toks[ti].kind == '_' || toks[ti].r == s[si]):
			ti++
			si++
		case star >= 0:
			ti = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for ti < len(toks) && toks[ti].kind == '%' {
		ti++
	}
	return ti == len(toks)
}
