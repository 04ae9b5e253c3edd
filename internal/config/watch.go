// The watched jobsets (watch:): which jobsets markbot reads, on which
// Hydra, and what it does with each: marking (one at most) or reporting.
package config

import (
	"fmt"
	"slices"
	"strings"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
)

// Watch roles.
const (
	// RoleMark: marking pull requests and the revert loop (today's
	// behaviour). At most one entry, normally nixpkgs/unstable.
	RoleMark = "mark"
	// RoleReport: no edits; failures appear in the pages and feeds only.
	RoleReport = "report"
)

// WatchConfig is one watched jobset.
type WatchConfig struct {
	// Hydra is the server's base URL ("" = hydra.url).
	Hydra string `yaml:"hydra"`
	// Jobset is "project/jobset".
	Jobset string `yaml:"jobset"`
	// Role is "mark" or "report".
	Role string `yaml:"role"`
	// Policy overrides the policy section for this jobset (0 and empty
	// mean: as in policy).
	Policy WatchPolicy `yaml:"policy"`
	// JobPrefix is what this jobset's job names carry before the nixpkgs
	// attribute path, when its release file nests packages under an
	// attribute of its own (another Hydra's naming; "nixpkgs." of NixOS
	// jobsets is always removed). A job without it is not a package.
	JobPrefix string `yaml:"job_prefix"`
}

// WatchPolicy is the part of the policy a watched jobset may override.
type WatchPolicy struct {
	Evaluations       int      `yaml:"evaluations"`
	MinDays           int      `yaml:"min_days"`
	MinDerivations    int      `yaml:"min_derivations"`
	MassBreakageShare float64  `yaml:"mass_breakage_share"`
	Systems           []string `yaml:"systems"`
	Allow             []string `yaml:"allow"`
	Deny              []string `yaml:"deny"`
}

// Watched is one watched jobset, resolved: its Hydra URL filled in and its
// policy merged.
type Watched struct {
	Hydra, Project, Jobset, Role string
	Policy                       failures.Policy
	// Evaluations is how many evaluations a reading covers.
	Evaluations int
}

// Name is "project/jobset".
func (w Watched) Name() string { return w.Project + "/" + w.Jobset }

// Watched lists the watched jobsets: the watch: entries, or, when there
// are none, the one implicit entry hydra.url + hydra.jobset with role mark.
func (c *Config) Watched() []Watched {
	entries := c.Watch
	if len(entries) == 0 {
		entries = []WatchConfig{{Hydra: c.Hydra.URL, Jobset: c.Hydra.Jobset, Role: RoleMark}}
	}
	out := make([]Watched, 0, len(entries))
	for _, e := range entries {
		project, jobset, _ := strings.Cut(e.Jobset, "/")
		w := Watched{Hydra: e.Hydra, Project: project, Jobset: jobset, Role: e.Role, Policy: c.FailuresPolicy()}
		w.Policy.JobPrefix = e.JobPrefix
		if w.Hydra == "" {
			w.Hydra = c.Hydra.URL
		}
		p := &w.Policy
		if e.Policy.Evaluations > 0 {
			p.Evaluations = e.Policy.Evaluations
		}
		if e.Policy.MinDays > 0 {
			p.MinDays = e.Policy.MinDays
		}
		if e.Policy.MinDerivations > 0 {
			p.MinDerivations = e.Policy.MinDerivations
		}
		if e.Policy.MassBreakageShare > 0 {
			p.MassBreakageShare = e.Policy.MassBreakageShare
		}
		if len(e.Policy.Systems) > 0 {
			p.Systems = append([]string(nil), e.Policy.Systems...)
		}
		if len(e.Policy.Allow) > 0 {
			p.Allow = append([]string(nil), e.Policy.Allow...)
		}
		if len(e.Policy.Deny) > 0 {
			p.Deny = append([]string(nil), e.Policy.Deny...)
		}
		w.Evaluations = max(c.Hydra.Evaluations, p.Evaluations)
		out = append(out, w)
	}
	return out
}

// watch checks the watch: entries. A mark entry becomes hydra.url and
// hydra.jobset (applyWatch), so it must not contradict them.
func (k *checker) watch() {
	marks := 0
	seen := map[string]int{}
	for i, e := range k.c.Watch {
		item := fmt.Sprintf("watch[%d]", i)
		if e.Jobset == "" {
			k.failAt(item+".jobset", item, "required: PROJECT/JOBSET like nixos/release-25.11")
		} else {
			k.jobset(item+".jobset", e.Jobset)
		}
		if e.Hydra != "" {
			k.httpURL(item+".hydra", e.Hydra)
		}
		switch e.Role {
		case RoleMark:
			marks++
			if marks > 1 {
				k.fail(item+".role", "at most one watched jobset may have role %q (it is the one markbot opens pull requests for)", RoleMark)
			}
			if _, set := k.c.pos["hydra.jobset"]; set && e.Jobset != k.c.Hydra.Jobset {
				k.fail(item+".jobset", "is the mark entry, but hydra.jobset says %s: set one of them", quote(k.c.Hydra.Jobset))
			}
		case RoleReport:
		case "":
			k.failAt(item+".role", item, "required: %q or %q", RoleMark, RoleReport)
		default:
			k.fail(item+".role", "want %q or %q, got %s", RoleMark, RoleReport, quote(e.Role))
		}
		if p := e.Policy; p.MassBreakageShare < 0 || p.MassBreakageShare >= 1 || p.Evaluations < 0 || p.MinDays < 0 || p.MinDerivations < 0 {
			k.fail(item+".policy", "evaluations, min_days and min_derivations must not be negative, mass_breakage_share within [0, 1)")
		}
		if e.JobPrefix != "" && e.Role == RoleMark {
			k.fail(item+".job_prefix", "is for report entries: the mark entry is nixpkgs' own jobset, whose jobs are attribute paths")
		} else if jp := e.JobPrefix; jp != "" && !validJobPrefix(jp) {
			k.fail(item+".job_prefix", "%s is not an attribute path followed by a dot (like \"cuda.\")", quote(jp))
		}
		for j, sys := range e.Policy.Systems {
			if !slices.Contains(KnownSystems, sys) {
				k.fail(fmt.Sprintf("%s.policy.systems[%d]", item, j), "unknown system %s; known: %s", quote(sys), strings.Join(KnownSystems, ", "))
			}
		}
		host := e.Hydra
		if host == "" {
			host = k.c.Hydra.URL
		}
		id := strings.TrimRight(host, "/") + " " + e.Jobset
		if j, dup := seen[id]; dup {
			k.fail(item, "watches the same jobset as watch[%d]", j)
		}
		seen[id] = i
	}
	if len(k.c.Watch) == 0 || k.c.FailuresPolicy().Validate() != nil {
		return // the policy section's own errors are reported there
	}
	for i, w := range k.c.Watched() {
		if err := w.Policy.Validate(); err != nil {
			k.fail(fmt.Sprintf("watch[%d].policy", i), "%v", err)
		}
	}
}

// applyWatch makes the mark entry, if any, the jobset every marking
// command reads (hydra.url, hydra.jobset).
func (c *Config) applyWatch() {
	for _, e := range c.Watch {
		if e.Role == RoleMark {
			if e.Hydra != "" {
				c.Hydra.URL = e.Hydra
			}
			c.Hydra.Jobset = e.Jobset
		}
	}
}

// validJobPrefix: one or more attribute names, each followed by a dot.
func validJobPrefix(s string) bool {
	if len(s) > 200 || !strings.HasSuffix(s, ".") {
		return false
	}
	for _, part := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if part == "" {
			return false
		}
		for i, r := range part {
			ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || r == '-' || r == '\'')
			if !ok {
				return false
			}
		}
	}
	return true
}
