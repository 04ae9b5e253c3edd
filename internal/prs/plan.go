package prs

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Defaults for PlanOptions.
const (
	DefaultMaxPerPR     = 10
	DefaultBranchPrefix = "markbot/"
)

// PlanOptions configure Plan.
type PlanOptions struct {
	// MaxPerPR caps the changes (derivations) in one PR (default 10).
	MaxPerPR int
	// BranchPrefix starts every branch name (default "markbot/").
	BranchPrefix string
}

func (o PlanOptions) withDefaults() PlanOptions {
	if o.MaxPerPR <= 0 {
		o.MaxPerPR = DefaultMaxPerPR
	}
	if o.BranchPrefix == "" {
		o.BranchPrefix = DefaultBranchPrefix
	}
	return o
}

// Batch is the content of one pull request: changes of one kind addressed to
// one set of maintainers.
type Batch struct {
	Kind Kind
	// Key names the maintainer set ("" for unmaintained packages): sorted
	// GitHub ids (or logins when the index has no id) and team slugs.
	Key string
	// Branch is derived from the kind and the batch's attributes.
	Branch  string
	Changes []Change
}

// Attrs are every attribute of the batch's changes, sorted.
func (b Batch) Attrs() []string {
	var attrs []string
	for _, c := range b.Changes {
		attrs = append(attrs, c.Attrs...)
	}
	slices.Sort(attrs)
	return slices.Compact(attrs)
}

// Files are the files the batch edits, sorted.
func (b Batch) Files() []string {
	var files []string
	for _, c := range b.Changes {
		files = append(files, c.File)
	}
	slices.Sort(files)
	return slices.Compact(files)
}

// BranchName is the deterministic branch for a batch of kind holding attrs:
// prefix + kind + "-" + the first 8 hex digits of SHA-256 over the sorted
// attributes, one per line ("markbot/mark-3f9a2c1d").
func BranchName(prefix string, kind Kind, attrs []string) string {
	sorted := slices.Clone(attrs)
	slices.Sort(sorted)
	sum := sha256.Sum256([]byte(strings.Join(slices.Compact(sorted), "\n")))
	return prefix + string(kind) + "-" + hex.EncodeToString(sum[:4])
}

// MaintainerKey names the set of people a change is addressed to: its
// maintainers' GitHub ids (a login when there is no id; logins change, ids do
// not) and its teams' slugs, sorted and deduplicated. "" means unmaintained.
func MaintainerKey(c Change) string {
	var parts []string
	for _, m := range c.Maintainers {
		switch {
		case m.GitHubID > 0:
			parts = append(parts, "id:"+strconv.FormatInt(m.GitHubID, 10))
		case m.GitHub != "":
			parts = append(parts, "login:"+strings.ToLower(m.GitHub))
		}
	}
	for _, t := range c.Teams {
		switch {
		case t.GitHub != "":
			parts = append(parts, "team:"+t.GitHub)
		case t.ShortName != "":
			parts = append(parts, "team-name:"+t.ShortName)
		}
	}
	slices.Sort(parts)
	return strings.Join(slices.Compact(parts), ",")
}

// Plan groups changes into batches: one kind and one maintainer set per
// batch, at most MaxPerPR changes each, unmaintained packages together.
// Batches come mark before unmark, then by maintainer key; changes within a
// batch by attribute. The same input always gives the same batches and
// branch names. Invalid changes (no attributes, no position, unsorted
// attributes, an attribute or a position in two changes of one kind) are an
// error.
func Plan(changes []Change, opts PlanOptions) ([]Batch, error) {
	opts = opts.withDefaults()
	seenAttr := map[string]bool{}
	seenPos := map[string]bool{}
	groups := map[[2]string][]Change{}
	for _, c := range changes {
		if err := c.validate(); err != nil {
			return nil, err
		}
		pos := string(c.Kind) + " " + c.File + ":" + strconv.Itoa(c.Line)
		if seenPos[pos] {
			return nil, fmt.Errorf("change %s: %s:%d is in two changes", c.Attr(), c.File, c.Line)
		}
		seenPos[pos] = true
		for _, a := range c.Attrs {
			if seenAttr[a] {
				return nil, fmt.Errorf("change %s: attribute %s is in two changes", c.Attr(), a)
			}
			seenAttr[a] = true
		}
		k := [2]string{string(c.Kind), MaintainerKey(c)}
		groups[k] = append(groups[k], c)
	}
	keys := make([][2]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	kindOrder := func(k string) int {
		if k == string(KindMark) {
			return 0
		}
		return 1
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(kindOrder(a[0]), kindOrder(b[0])), cmp.Compare(a[1], b[1]))
	})
	var batches []Batch
	for _, k := range keys {
		cs := groups[k]
		slices.SortFunc(cs, func(a, b Change) int {
			return cmp.Or(cmp.Compare(a.Attr(), b.Attr()), cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
		})
		for chunk := range slices.Chunk(cs, opts.MaxPerPR) {
			b := Batch{Kind: Kind(k[0]), Key: k[1], Changes: slices.Clone(chunk)}
			b.Branch = BranchName(opts.BranchPrefix, b.Kind, b.Attrs())
			batches = append(batches, b)
		}
	}
	return batches, nil
}
