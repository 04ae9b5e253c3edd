package compare

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/nixpkgs-markbot/markbot/internal/breaks"
	"github.com/nixpkgs-markbot/markbot/internal/mdtext"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Limits and defaults of the report.
const (
	// CommentLimit is the largest comment body GitHub accepts, in
	// characters; the report stays within it in bytes (never fewer).
	CommentLimit = 65536
	// DefaultLogLines is how many log lines per package the report shows.
	DefaultLogLines = 15
	// DefaultTeamOrg is the organisation of the teams in meta.teams.
	DefaultTeamOrg = "NixOS"
	projectURL     = "https://github.com/nixpkgs-markbot/markbot"
)

// Report is a comparison with the packages' maintainers and log tails: what
// every output format renders.
type Report struct {
	Result
	// Hydra is the Hydra base URL, for links.
	Hydra    string
	Sections []Section // the regressions, per maintainer set
	Fixes    []Package
}

// NewReport groups a comparison's regressions per maintainer set and looks
// the fixes up in the index (which may be nil).
func NewReport(res Result, hydraURL string, ix Index) *Report {
	r := &Report{Result: res, Hydra: strings.TrimRight(hydraURL, "/"), Sections: Group(res.Regressions, ix)}
	for _, e := range res.Fixes {
		r.Fixes = append(r.Fixes, packageOf(e, ix))
	}
	return r
}

func (r *Report) buildURL(id int64) string { return r.Hydra + "/build/" + strconv.FormatInt(id, 10) }
func (r *Report) evalURL(id int64) string  { return r.Hydra + "/eval/" + strconv.FormatInt(id, 10) }

// MarkdownOptions configure Markdown.
type MarkdownOptions struct {
	// Plan is whom to mention (nil Ping: nobody).
	Plan Plan
	// Logins maps mention keys to the login to mention (resolved from the
	// GitHub id when posting); absent keys use the index's login.
	Logins map[string]string
	// Marker is written last with Mentioned set to what was mentioned.
	Marker Marker
	// LogLines per package (default DefaultLogLines); Limit on the body
	// in bytes (default CommentLimit).
	LogLines int
	Limit    int
	// FullReport names where the full JSON report is (a path or URL),
	// quoted when the comment had to be shortened.
	FullReport string
	// TeamOrg is the teams' organisation (default DefaultTeamOrg).
	TeamOrg string
}

func (o MarkdownOptions) withDefaults() MarkdownOptions {
	if o.LogLines <= 0 {
		o.LogLines = DefaultLogLines
	}
	if o.Limit <= 0 {
		o.Limit = CommentLimit
	}
	if o.TeamOrg == "" {
		o.TeamOrg = DefaultTeamOrg
	}
	return o
}

// Rendered is a markdown report.
type Rendered struct {
	Body string
	// Mentioned is what this body @-mentions now (plus nothing earlier).
	Mentioned []string
	// Truncated: some packages, sections or log lines were left out to fit
	// the limit.
	Truncated bool
}

// Markdown renders the report as a GitHub comment within o.Limit: log tails
// are shortened (15 → 5 → 0 lines), then packages are left out, the
// maintainer sets' headings (and so their mentions) last of all.
func (r *Report) Markdown(o MarkdownOptions) Rendered {
	o = o.withDefaults()
	full := r.units()
	for _, n := range []int{o.LogLines, 5, 0} {
		if n > o.LogLines {
			continue
		}
		out := r.render(o, n, full)
		if len(out.Body) <= o.Limit {
			out.Truncated = n < o.LogLines && r.hasLogs()
			return out
		}
	}
	// Keep the most units (headings first, then rows round-robin) that fit.
	lo, hi := 0, full-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if len(r.render(o, 0, mid).Body) <= o.Limit {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	out := r.render(o, 0, lo)
	out.Truncated = true
	return out
}

func (r *Report) hasLogs() bool {
	for _, s := range r.Sections {
		for _, p := range s.Packages {
			if len(p.LogTail) > 0 {
				return true
			}
		}
	}
	return false
}

// blocks are the report's sections for rendering: the regression sections,
// then the fixes as one more (never mentioned).
func (r *Report) blocks() [][]Package {
	var out [][]Package
	for _, s := range r.Sections {
		out = append(out, s.Packages)
	}
	if len(r.Fixes) > 0 {
		out = append(out, r.Fixes)
	}
	return out
}

// units is the number of things a shortened report can show: one heading
// per block and one row per package.
func (r *Report) units() int {
	n := 0
	for _, b := range r.blocks() {
		n += 1 + len(b)
	}
	return n
}

// allot decides, for a budget of units, how many blocks show their heading
// and how many rows each shows: headings first (in order), then rows
// round-robin over the shown blocks, so every maintainer set keeps its
// heading as long as possible.
func (r *Report) allot(budget int) []int {
	blocks := r.blocks()
	rows := make([]int, len(blocks))
	for i := range rows {
		rows[i] = -1 // not shown
	}
	shown := min(budget, len(blocks))
	for i := 0; i < shown; i++ {
		rows[i] = 0
	}
	left := budget - shown
	for progress := true; left > 0 && progress; {
		progress = false
		for i := 0; i < shown && left > 0; i++ {
			if rows[i] < len(blocks[i]) {
				rows[i]++
				left--
				progress = true
			}
		}
	}
	return rows
}

func (r *Report) render(o MarkdownOptions, logLines, budget int) Rendered {
	var sb strings.Builder
	rows := r.allot(budget)
	mentioned := map[string]bool{}
	r.summary(&sb)

	shownPkgs, totalPkgs, shownSets := 0, 0, 0
	for i := range r.Sections {
		s := &r.Sections[i]
		totalPkgs += len(s.Packages)
		if rows[i] < 0 {
			continue
		}
		shownSets++
		shownPkgs += rows[i]
		quiet := QuietNone
		if i < len(o.Plan.Quiet) {
			quiet = o.Plan.Quiet[i]
		}
		sb.WriteString("\n### ")
		if s.Unmaintained() {
			sb.WriteString("Packages without maintainers\n")
		} else {
			var names []string
			for _, p := range s.Users {
				k := p.Key()
				login := p.Login
				if l, ok := o.Logins[k]; ok {
					login = l
				}
				switch {
				case quiet == QuietNone && o.Plan.Ping[k] && login != "":
					names = append(names, "@"+login)
					mentioned[k] = true
				case login != "":
					names = append(names, codeSpan(login))
				case p.Name != "":
					names = append(names, codeSpan(p.Name))
				default:
					names = append(names, codeSpan("GitHub id "+strconv.FormatInt(p.ID, 10)))
				}
			}
			for _, t := range s.Teams {
				k := "team:" + strings.ToLower(t)
				if quiet == QuietNone && o.Plan.Ping[k] {
					names = append(names, "@"+o.TeamOrg+"/"+t)
					mentioned[k] = true
				} else {
					names = append(names, codeSpan(o.TeamOrg+"/"+t))
				}
			}
			sb.WriteString(strings.Join(names, ", ") + "\n")
			if quiet != QuietNone {
				sb.WriteString("\n_" + quiet.text(len(s.mentionKeys())) + "._\n")
			}
		}
		r.packageTable(&sb, s.Packages[:rows[i]], false)
		if more := len(s.Packages) - rows[i]; more > 0 {
			fmt.Fprintf(&sb, "\n… and %d more %s, in the full report.\n", more, map[bool]string{true: "package", false: "packages"}[more == 1])
		}
		r.logs(&sb, s.Packages[:rows[i]], logLines)
	}
	if len(r.Fixes) > 0 {
		if i := len(r.Sections); rows[i] >= 0 {
			fmt.Fprintf(&sb, "\n### Fixed on `%s`\n", r.Head.Jobset)
			r.packageTable(&sb, r.Fixes[:rows[i]], true)
			if more := len(r.Fixes) - rows[i]; more > 0 {
				fmt.Fprintf(&sb, "\n… and %d more, in the full report.\n", more)
			}
		}
	}
	if shownPkgs < totalPkgs || shownSets < len(r.Sections) || (len(r.Fixes) > 0 && rows[len(r.Sections)] < len(r.Fixes)) {
		fmt.Fprintf(&sb, "\n_Shortened to fit GitHub's comment size limit: %d of %d regressed packages and %d of %d maintainer sets are shown here",
			shownPkgs, totalPkgs, shownSets, len(r.Sections))
		if shownSets < len(r.Sections) {
			sb.WriteString(" (the others are mentioned in a later version when it fits)")
		}
		sb.WriteString(".")
		if o.FullReport != "" {
			fmt.Fprintf(&sb, " The full report (JSON): %s", codeSpan(o.FullReport))
		}
		sb.WriteString("_\n")
	} else if logLines < o.LogLines && r.hasLogs() {
		if logLines == 0 {
			sb.WriteString("\n_Log tails left out to fit GitHub's comment size limit; the full logs are on Hydra._\n")
		} else {
			fmt.Fprintf(&sb, "\n_Log tails shortened to %d lines to fit GitHub's comment size limit; the full logs are on Hydra._\n", logLines)
		}
	}
	fmt.Fprintf(&sb, "\n---\nGenerated by [markbot](%s) `compare` from Hydra's build results. It updates this comment on each new evaluation of `%s`; each maintainer is mentioned once, in the first version listing their packages.\n\n",
		projectURL, r.Head.Jobset)

	var keys []string
	mk := o.Marker
	mk.Mentioned = mk.Mentioned.normalized()
	for k := range mentioned {
		keys = append(keys, k)
		mk.Mentioned.Add(k)
	}
	mk.Base, mk.Head, mk.HeadEval = r.Base.Jobset, r.Head.Jobset, r.Head.Eval
	if mk.Version == 0 {
		mk.Version = MarkerVersion
	}
	sb.WriteString(mk.String())
	sb.WriteString("\n")
	slices.Sort(keys)
	return Rendered{Body: sb.String(), Mentioned: keys}
}

func (r *Report) summary(sb *strings.Builder) {
	fmt.Fprintf(sb, "**%s**, **%s** in `%s` ([evaluation %d](%s), %s) compared to `%s` ([evaluation %d](%s), %s): ",
		count(len(r.Regressions), "regression", "regressions"), count(len(r.Fixes), "fix", "fixes"),
		r.Head.Jobset, r.Head.Eval, r.evalURL(r.Head.Eval), date(r.Head.Time),
		r.Base.Jobset, r.Base.Eval, r.evalURL(r.Base.Eval), date(r.Base.Time))
	fmt.Fprintf(sb, "%s newly failing on their own (%s of the jobset's %s); %s building again.\n",
		count(r.RegressedJobs(), "job", "jobs"), percent(r.Share()), count(r.Head.Jobs, "job", "jobs"),
		count(r.FixedJobs(), "job", "jobs"))
	fmt.Fprintf(sb, "\nNot listed: %s still failing on both; %s failing on `%s` only because a dependency failed (%s); %s failing that `%s` does not build; %s only in `%s`; %s not built to the end (aborted, timed out, …).\n",
		count(r.StillFailing, "job", "jobs"),
		count(len(r.DependencyFailures), "attribute", "attributes"), r.Head.Jobset, count(jobsIn(r.DependencyFailures), "job", "jobs"),
		count(jobsIn(r.NewFailing), "job", "jobs"), r.Base.Jobset,
		count(r.OnlyBase, "job", "jobs"), r.Base.Jobset,
		count(r.Inconclusive, "job", "jobs"))
	if r.Unconfirmed > 0 {
		fmt.Fprintf(sb, "\n%s listed as regressions without Hydra saying whose failure the head build is (the evaluation page's Failed may be a dependency's cached failure); a later report asks again.\n",
			count(r.Unconfirmed, "job is", "jobs are"))
	}
}

func (r *Report) packageTable(sb *strings.Builder, pkgs []Package, fixes bool) {
	if len(pkgs) == 0 {
		return
	}
	if fixes {
		sb.WriteString("\n| Package | Systems | Head build | Base build (failed) |\n|---|---|---|---|\n")
	} else {
		sb.WriteString("\n| Package | Systems | Head build | Log | Broke between | Base build |\n|---|---|---|---|---|---|\n")
	}
	for _, p := range pkgs {
		name := codeSpan(p.Attr)
		if !p.Known {
			name += " (not in the packages index)"
		}
		var heads, logs, bases, ranges []string
		for _, d := range p.Systems {
			if !fixes {
				if c := rangeCell(d.BrokeBetween, d.Commits); !slices.Contains(ranges, c) {
					ranges = append(ranges, c)
				}
			}
			if d.Head != nil {
				heads = append(heads, r.link(d.Head.ID))
				logs = append(logs, "[log]("+r.buildURL(d.Head.ID)+"/log)")
			}
			if d.Base != nil {
				bases = append(bases, r.link(d.Base.ID))
			}
		}
		cols := []string{name, strings.Join(p.SystemNames(), ", "), strings.Join(heads, ", ")}
		if !fixes {
			cols = append(cols, strings.Join(logs, ", "), strings.Join(ranges, "<br>"))
		}
		cols = append(cols, strings.Join(bases, ", "))
		sb.WriteString("| " + strings.Join(cols, " | ") + " |\n")
	}
}

// rangeCell is a "broke between" range as a compare link into nixpkgs,
// "unknown" when it is.
func rangeCell(br breaks.Range, commits int) string {
	if !br.Known() {
		return "unknown"
	}
	s := "[" + mdtext.CodeSpan(shortRev(br.Good.Revision)+"..."+shortRev(br.Bad.Revision)) + "](" + br.CompareURL(NixpkgsRepo) + ")"
	switch {
	case commits == 1:
		s += " (1 commit)"
	case commits > 1:
		s += " (" + strconv.Itoa(commits) + " commits)"
	}
	if !br.Exact {
		s += " or earlier"
	}
	return s
}

// NixpkgsRepo is the repository compare links point into.
const NixpkgsRepo = "NixOS/nixpkgs"

func shortRev(rev string) string { return rev[:min(len(rev), 12)] }

func (r *Report) link(id int64) string {
	return "[" + strconv.FormatInt(id, 10) + "](" + r.buildURL(id) + ")"
}

func (r *Report) logs(sb *strings.Builder, pkgs []Package, n int) {
	if n <= 0 {
		return
	}
	first := true
	for _, p := range pkgs {
		if len(p.LogTail) == 0 {
			continue
		}
		if first {
			fmt.Fprintf(sb, "\n<details>\n<summary>Last lines of the build logs</summary>\n")
			first = false
		}
		lines := p.LogTail
		if len(lines) > n {
			lines = lines[len(lines)-n:]
		}
		clean := make([]string, len(lines))
		for i, l := range lines {
			clean[i] = mdtext.LogLine(l)
		}
		fence := mdtext.Fence(clean)
		fmt.Fprintf(sb, "\n%s (%s):\n\n%stext\n%s\n%s\n", codeSpan(p.Attr), r.link(p.LogBuild), fence, strings.Join(clean, "\n"), fence)
	}
	if !first {
		sb.WriteString("\n</details>\n")
	}
}

// Table writes the report as text for a terminal.
func (r *Report) Table(w io.Writer) error {
	fmt.Fprintf(w, "%s, %s in %s (evaluation %d) compared to %s (evaluation %d): %d of %d jobs (%s) newly fail\n",
		count(len(r.Regressions), "regression", "regressions"), count(len(r.Fixes), "fix", "fixes"),
		r.Head.Jobset, r.Head.Eval, r.Base.Jobset, r.Base.Eval, r.RegressedJobs(), r.Head.Jobs, percent(r.Share()))
	fmt.Fprintf(w, "not listed: %s still failing on both, %s failing on a dependency, %s failing that base does not build, %s only in base, %s not built to the end\n",
		count(r.StillFailing, "job", "jobs"), count(len(r.DependencyFailures), "attribute", "attributes"),
		count(jobsIn(r.NewFailing), "job", "jobs"), count(r.OnlyBase, "job", "jobs"), count(r.Inconclusive, "job", "jobs"))
	if len(r.Regressions)+len(r.Fixes) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tATTRIBUTE\tSYSTEMS\tHEAD BUILD\tMAINTAINERS")
	row := func(kind string, p Package) {
		var ms []string
		for _, m := range p.Maintainers {
			switch {
			case m.Login != "":
				ms = append(ms, m.Login)
			case m.Name != "":
				ms = append(ms, m.Name)
			}
		}
		for _, t := range p.Teams {
			ms = append(ms, "team "+t)
		}
		if len(ms) == 0 {
			ms = []string{"-"}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", kind, p.Attr, strings.Join(p.SystemNames(), ","), r.buildURL(p.Systems[0].Head.ID), strings.Join(ms, ","))
	}
	for _, s := range r.Sections {
		for _, p := range s.Packages {
			row("regression", p)
		}
	}
	for _, p := range r.Fixes {
		row("fix", p)
	}
	return tw.Flush()
}

// JSONSchema versions the JSON report (docs/compare.md).
const JSONSchema = 1

type jsonEval struct {
	Jobset string    `json:"jobset"`
	Eval   int64     `json:"eval"`
	URL    string    `json:"url"`
	Time   time.Time `json:"time"`
	Jobs   int       `json:"jobs"`
}

type jsonBuild struct {
	Build  int64  `json:"build"`
	URL    string `json:"url"`
	Status int    `json:"status"`
}

type jsonSystem struct {
	System       string     `json:"system"`
	Job          string     `json:"job"`
	Head         *jsonBuild `json:"head"`
	Base         *jsonBuild `json:"base"`
	BrokeBetween *jsonRange `json:"broke_between,omitempty"`
}

// jsonRange is a "broke between" range (regressions only; absent: unknown).
type jsonRange struct {
	Good       jsonPoint `json:"good"`
	Bad        jsonPoint `json:"bad"`
	Exact      bool      `json:"exact"`
	CompareURL string    `json:"compare_url"`
	// Commits in the range as GitHub counts them (absent: not counted).
	Commits int `json:"commits,omitempty"`
}

type jsonPoint struct {
	Eval     int64  `json:"eval"`
	Revision string `json:"revision"`
}

type jsonPerson struct {
	GitHub   string `json:"github,omitempty"`
	GitHubID int64  `json:"github_id,omitempty"`
	Name     string `json:"name,omitempty"`
}

type jsonPackage struct {
	Attr        string       `json:"attr"`
	Systems     []string     `json:"systems"`
	Known       bool         `json:"in_index"`
	Maintainers []jsonPerson `json:"maintainers"`
	Teams       []string     `json:"teams"`
	PerSystem   []jsonSystem `json:"per_system"`
	LogBuild    int64        `json:"log_build,omitempty"`
	LogTail     []string     `json:"log_tail,omitempty"`
}

type jsonAttr struct {
	Attr    string   `json:"attr"`
	Systems []string `json:"systems"`
}

type jsonCounts struct {
	Regressions        int `json:"regressions"`
	RegressedJobs      int `json:"regressed_jobs"`
	Fixes              int `json:"fixes"`
	FixedJobs          int `json:"fixed_jobs"`
	StillFailing       int `json:"still_failing_jobs"`
	DependencyFailures int `json:"dependency_failures"`
	DependencyJobs     int `json:"dependency_failed_jobs"`
	NewFailingJobs     int `json:"new_failing_jobs"`
	OnlyBase           int `json:"only_base_jobs"`
	Inconclusive       int `json:"inconclusive_jobs"`
	Unconfirmed        int `json:"unconfirmed_jobs"`
}

type jsonReport struct {
	Schema             int           `json:"schema"`
	Hydra              string        `json:"hydra"`
	Base               jsonEval      `json:"base"`
	Head               jsonEval      `json:"head"`
	Counts             jsonCounts    `json:"counts"`
	Share              float64       `json:"share"`
	Regressions        []jsonPackage `json:"regressions"`
	Fixes              []jsonPackage `json:"fixes"`
	DependencyFailures []jsonAttr    `json:"dependency_failures"`
	NewFailing         []jsonAttr    `json:"new_failing"`
}

func (r *Report) jsonDoc() jsonReport {
	build := func(b *Build) *jsonBuild {
		if b == nil {
			return nil
		}
		return &jsonBuild{Build: b.ID, URL: r.buildURL(b.ID), Status: int(b.Status)}
	}
	pkg := func(p Package) jsonPackage {
		jp := jsonPackage{Attr: p.Attr, Systems: p.SystemNames(), Known: p.Known, Maintainers: []jsonPerson{}, Teams: []string{},
			LogBuild: p.LogBuild, LogTail: p.LogTail}
		for _, m := range p.Maintainers {
			jp.Maintainers = append(jp.Maintainers, jsonPerson{GitHub: m.Login, GitHubID: m.ID, Name: m.Name})
		}
		jp.Teams = append(jp.Teams, p.Teams...)
		jp.Teams = append(jp.Teams, p.TeamNames...)
		for _, d := range p.Systems {
			js := jsonSystem{System: d.System, Job: d.Job, Head: build(d.Head), Base: build(d.Base)}
			if br := d.BrokeBetween; br.Known() {
				js.BrokeBetween = &jsonRange{Good: jsonPoint{br.Good.Eval, br.Good.Revision}, Bad: jsonPoint{br.Bad.Eval, br.Bad.Revision},
					Exact: br.Exact, CompareURL: br.CompareURL(NixpkgsRepo), Commits: d.Commits}
			}
			jp.PerSystem = append(jp.PerSystem, js)
		}
		return jp
	}
	attrs := func(es []Entry) []jsonAttr {
		out := []jsonAttr{}
		for _, e := range es {
			out = append(out, jsonAttr{Attr: e.Attr, Systems: e.SystemNames()})
		}
		return out
	}
	doc := jsonReport{
		Schema: JSONSchema, Hydra: r.Hydra,
		Base: jsonEval{Jobset: r.Base.Jobset.String(), Eval: r.Base.Eval, URL: r.evalURL(r.Base.Eval), Time: r.Base.Time, Jobs: r.Base.Jobs},
		Head: jsonEval{Jobset: r.Head.Jobset.String(), Eval: r.Head.Eval, URL: r.evalURL(r.Head.Eval), Time: r.Head.Time, Jobs: r.Head.Jobs},
		Counts: jsonCounts{Regressions: len(r.Regressions), RegressedJobs: r.RegressedJobs(), Fixes: len(r.Fixes), FixedJobs: r.FixedJobs(),
			StillFailing: r.StillFailing, DependencyFailures: len(r.DependencyFailures), DependencyJobs: jobsIn(r.DependencyFailures),
			NewFailingJobs: jobsIn(r.NewFailing), OnlyBase: r.OnlyBase, Inconclusive: r.Inconclusive, Unconfirmed: r.Unconfirmed},
		Share: r.Share(), Regressions: []jsonPackage{}, Fixes: []jsonPackage{},
		DependencyFailures: attrs(r.DependencyFailures), NewFailing: attrs(r.NewFailing),
	}
	// Regressions in attribute order (sections regroup them).
	for _, e := range r.Regressions {
		for _, s := range r.Sections {
			for _, p := range s.Packages {
				if p.Attr == e.Attr {
					doc.Regressions = append(doc.Regressions, pkg(p))
				}
			}
		}
	}
	for _, p := range r.Fixes {
		doc.Fixes = append(doc.Fixes, pkg(p))
	}
	return doc
}

// JSON writes the full report (schema JSONSchema, docs/compare.md).
func (r *Report) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r.jsonDoc())
}

// Digest identifies the report's content: equal digests, equal reports
// (whoever they mention).
func (r *Report) Digest() string {
	b, err := json.Marshal(r.jsonDoc())
	if err != nil { // cannot happen for these field types
		panic(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func percent(f float64) string {
	return strconv.FormatFloat(100*f, 'f', 2, 64) + "%"
}

func date(t time.Time) string {
	if t.IsZero() {
		return "time unknown"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// codeSpan renders s as inline code fit for a table cell.
func codeSpan(s string) string { return mdtext.CodeSpan(mdtext.Cell(s)) }
