package prs

import (
	"encoding/json"
	"fmt"
	"github.com/nixpkgs-markbot/markbot/internal/breaks"
	"github.com/nixpkgs-markbot/markbot/internal/mdtext"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits of the PR text.
const (
	// GitHubBodyLimit is the largest PR body GitHub accepts, in characters.
	GitHubBodyLimit = 65536
	// DefaultLogLines is how many log lines per package the body shows.
	DefaultLogLines = 30
	// HiddenVersion is the version of the hidden block this markbot writes.
	HiddenVersion = 1

	projectURL = "https://github.com/nixpkgs-markbot/markbot"
	policyURL  = "https://github.com/NixOS/nixpkgs/blob/master/CONTRIBUTING.md"
)

// Reviewers is who a PR asks for reviews, decided before the body is written.
type Reviewers struct {
	// Users (logins) and Teams (slugs) to request reviews from.
	Users []string
	Teams []string
	// TooMany is set when the maintainers exceed the cap: nobody is
	// requested, and Mentioned/MentionedTeams are named in the body without
	// pinging them.
	TooMany        bool
	Mentioned      []string
	MentionedTeams []string
	// NoPing, when set, says why nobody is requested by policy (the ping
	// configuration, or a batch failing only on a secondary platform);
	// Mentioned/MentionedTeams are then named without pinging them.
	NoPing NoPing `json:",omitempty"`
	// Refused (logins) and RefusedTeams (slugs) are maintainers GitHub
	// would not let markbot ask (not collaborators; teams without access
	// to the repository): the body names them without pinging them.
	Refused      []string `json:",omitempty"`
	RefusedTeams []string `json:",omitempty"`
}

// NoPing is why a PR's maintainers are named but not asked for reviews.
type NoPing string

// The reasons for not pinging maintainers, besides there being too many.
const (
	NoPingConfig            NoPing = "configuration"      // Options.Ping is PingNone
	NoPingSecondaryPlatform NoPing = "secondary-platform" // fails only on Darwin
)

// BodyOptions configure Body.
type BodyOptions struct {
	Reviewers Reviewers
	// Base is the base branch named in the text (default "master").
	Base string
	// SkipFor is how long closing the PR keeps its packages from being
	// proposed again (0: not mentioned).
	SkipFor time.Duration
	// LogLines is the number of log lines shown per package (default 30).
	LogLines int
	// Limit is the largest body in bytes (default GitHubBodyLimit).
	Limit int
	// Repo is the upstream repository ("OWNER/REPO") compare links point
	// into (default "NixOS/nixpkgs").
	Repo string
}

// Hidden is the machine-readable block at the end of every markbot PR body:
// <!-- markbot {"kind":"mark","attrs":[...],"version":1} -->.
type Hidden struct {
	Kind    Kind     `json:"kind"`
	Attrs   []string `json:"attrs"`
	Version int      `json:"version"`
	// Narrow, in an unmark PR, are the markers it narrows rather than takes
	// out, by attribute: what state records when the PR is merged, also
	// when the PR is adopted after a crash.
	Narrow map[string]HiddenNarrow `json:"narrow,omitempty"`
}

// HiddenNarrow is the marker an unmark PR leaves for the systems still
// failing.
type HiddenNarrow struct {
	Systems []string `json:"systems"`
	Build   int64    `json:"build,omitempty"`
	URL     string   `json:"url"`
}

// hiddenOf is the batch's hidden block.
func hiddenOf(b Batch) Hidden {
	h := Hidden{Kind: b.Kind, Attrs: b.Attrs(), Version: HiddenVersion}
	for _, c := range b.Changes {
		if c.Narrow == nil {
			continue
		}
		if h.Narrow == nil {
			h.Narrow = map[string]HiddenNarrow{}
		}
		h.Narrow[c.Attr()] = HiddenNarrow{Systems: c.Narrow.Systems, Build: c.Narrow.BuildID, URL: c.Narrow.BuildURL}
	}
	return h
}

const hiddenPrefix = "<!-- markbot "

// String renders the block. JSON escapes <, > and &, so an attribute can
// never end the comment early.
func (h Hidden) String() string {
	b, err := json.Marshal(h)
	if err != nil { // cannot happen for these field types
		panic(err)
	}
	return hiddenPrefix + string(b) + " -->"
}

// ParseHidden reads the last markbot block of a PR body. ok is false when
// the body has none or it is malformed.
func ParseHidden(body string) (h Hidden, ok bool) {
	i := strings.LastIndex(body, hiddenPrefix)
	if i < 0 {
		return Hidden{}, false
	}
	rest := body[i+len(hiddenPrefix):]
	j := strings.Index(rest, "-->")
	if j < 0 {
		return Hidden{}, false
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(rest[:j])), &h); err != nil {
		return Hidden{}, false
	}
	if !h.Kind.Valid() || h.Version < 1 || len(h.Attrs) == 0 {
		return Hidden{}, false
	}
	return h, true
}

// Title is the PR title (and the commit's subject), in nixpkgs' style.
func Title(b Batch) string {
	if len(b.Changes) == 1 {
		if c := b.Changes[0]; c.Narrow != nil {
			return c.Attr() + ": unmark broken on " + strings.Join(c.Narrow.Green, ", ")
		}
		if b.Kind == KindUnmark {
			return b.Changes[0].Attr() + ": unmark broken"
		}
		return b.Changes[0].Attr() + ": mark broken"
	}
	if b.Kind == KindUnmark {
		return fmt.Sprintf("treewide: unmark %d packages that build again on Hydra", len(b.Changes))
	}
	return fmt.Sprintf("treewide: mark %d packages broken on Hydra", len(b.Changes))
}

// CommitMessage is the message of the batch's commit.
func CommitMessage(b Batch) string {
	var sb strings.Builder
	sb.WriteString(Title(b))
	sb.WriteString("\n\n")
	for _, c := range b.Changes {
		what := "fails"
		if b.Kind == KindUnmark {
			what = "builds"
		}
		still := ""
		if n := c.Narrow; n != nil {
			what = "builds on " + strings.Join(n.Green, ", ")
			still = fmt.Sprintf("; still broken on %s: %s", strings.Join(n.Systems, ", "), n.BuildURL)
		}
		if c.Local != nil && c.BuildURL == "" {
			fmt.Fprintf(&sb, "%s %s with markbot's local build probe on %s%s\n", strings.Join(c.Attrs, ", "), what, c.Local.System, still)
			continue
		}
		fmt.Fprintf(&sb, "%s %s on Hydra: %s%s\n", strings.Join(c.Attrs, ", "), what, c.BuildURL, still)
	}
	sb.WriteString("\nGenerated by markbot (" + projectURL + ").\n")
	return sb.String()
}

// Body is the PR description in GitHub markdown. It stays within
// opts.Limit: log tails are shortened first (and the body says so), then
// table rows are left out (the hidden block always lists every attribute).
func Body(b Batch, opts BodyOptions) string {
	if opts.Base == "" {
		opts.Base = "master"
	}
	if opts.LogLines <= 0 {
		opts.LogLines = DefaultLogLines
	}
	if opts.Limit <= 0 {
		opts.Limit = GitHubBodyLimit
	}
	body := renderBody(b, opts, opts.LogLines, len(b.Changes), "")
	for _, n := range []int{10, 3, 0} {
		if len(body) <= opts.Limit || n >= opts.LogLines {
			continue
		}
		note := fmt.Sprintf("Log tails shortened to %d lines to fit GitHub's size limit; the full logs are on Hydra.", n)
		if n == 0 {
			note = "Log tails left out to fit GitHub's size limit; the full logs are on Hydra."
		}
		body = renderBody(b, opts, n, len(b.Changes), note)
	}
	for rows := len(b.Changes) - 1; len(body) > opts.Limit && rows >= 0; rows-- {
		body = renderBody(b, opts, 0, rows, "Log tails and some rows left out to fit GitHub's size limit; the diff and the hidden block list every package.")
	}
	return body
}

func renderBody(b Batch, opts BodyOptions, logLines, rows int, note string) string {
	var sb strings.Builder
	unmark := b.Kind == KindUnmark
	these, them := "these packages", "them"
	if len(b.Changes) == 1 {
		these, them = "this package", "it"
	}
	if unmark {
		who := "Hydra builds"
		if slices.ContainsFunc(b.Changes, func(c Change) bool { return c.Local != nil && c.BuildURL == "" }) {
			who = fmt.Sprintf("markbot's probes (Hydra's allowBroken jobset, or a local build of a nixpkgs checkout of `%s`) build", opts.Base)
		}
		narrowed := 0
		for _, c := range b.Changes {
			if c.Narrow != nil {
				narrowed++
			}
		}
		switch narrowed {
		case 0:
			fmt.Fprintf(&sb, "%s %s again on `%s`, so this PR takes out the `meta.broken` marker%s markbot added.\n\n",
				who, these, opts.Base, plural(len(b.Changes)))
		case len(b.Changes):
			they := "they still fail"
			if len(b.Changes) == 1 {
				they = "it still fails"
			}
			fmt.Fprintf(&sb, "%s %s again on `%s` on some of the systems markbot marked %s broken on, so this PR narrows the `meta.broken` marker%s markbot added to the systems where %s, naming a build that fails there.\n\n",
				who, these, opts.Base, them, plural(len(b.Changes)), they)
		default:
			fmt.Fprintf(&sb, "%s %s again on `%s`, so this PR takes out the `meta.broken` markers markbot added; where a package builds again on some of its systems only, its marker stays for the others (\"still broken on\" below), naming a build that fails there.\n\n",
				who, these, opts.Base)
		}
		sb.WriteString("| Package | File | Systems | Marked broken since | Green build | Log |\n|---|---|---|---|---|---|\n")
	} else {
		fmt.Fprintf(&sb, "Hydra has been failing to build %s on `%s` for a while, so this PR marks %s `meta.broken`.\n\n", these, opts.Base, them)
		sb.WriteString("| Package | File | Systems | Failing since | Broke between | Failed build | Log |\n|---|---|---|---|---|---|---|\n")
	}
	for i, c := range b.Changes {
		if i >= rows {
			fmt.Fprintf(&sb, "| … and %d more | | | | | | |\n", len(b.Changes)-rows)
			break
		}
		var attrs []string
		for _, a := range c.Attrs {
			attrs = append(attrs, mdtext.Cell(mdtext.CodeSpan(a)))
		}
		systems := systemsText(c.Systems)
		if n := c.Narrow; n != nil {
			systems = "unmarked on " + systemsText(n.Green) + "<br>still broken on " + systemsText(n.Systems) +
				" (" + link(buildLabel(n.BuildID, n.BuildURL), n.BuildURL) + ")"
		}
		cols := []string{strings.Join(attrs, "<br>"), mdtext.Cell(mdtext.CodeSpan(c.File)), systems, date(c.Since)}
		if !unmark {
			cols = append(cols, brokeBetween(c.BrokeBetween, c.LastSuccess, opts.Repo))
		}
		if c.Local != nil && c.BuildURL == "" {
			cols = append(cols, "local build on "+mdtext.Cell(mdtext.CodeSpan(c.Local.System))+", "+date(c.Local.Time), "kept by the operator")
		} else {
			cols = append(cols, link(buildLabel(c.BuildID, c.BuildURL), c.BuildURL), link("log", c.LogURL()))
		}
		sb.WriteString("| " + strings.Join(cols, " | ") + " |\n")
	}
	if logLines > 0 && slices.ContainsFunc(b.Changes, func(c Change) bool { return len(c.LogTail) > 0 }) {
		fmt.Fprintf(&sb, "\n<details>\n<summary>Last lines of the build log%s</summary>\n", plural(len(b.Changes)))
		for _, c := range b.Changes {
			if len(c.LogTail) == 0 {
				continue
			}
			lines := c.LogTail
			if len(lines) > logLines {
				lines = lines[len(lines)-logLines:]
			}
			clean := make([]string, len(lines))
			for i, l := range lines {
				clean[i] = mdtext.LogLine(l)
			}
			fence := mdtext.Fence(clean)
			fmt.Fprintf(&sb, "\n%s (%s):\n\n%stext\n%s\n%s\n", mdtext.CodeSpan(c.Attr()), link(buildLabel(c.BuildID, c.BuildURL), c.BuildURL),
				fence, strings.Join(clean, "\n"), fence)
		}
		sb.WriteString("\n</details>\n")
	}
	if note != "" {
		sb.WriteString("\n_" + note + "_\n")
	}

	sb.WriteString("\n### What you can do\n\n")
	if unmark {
		sb.WriteString("- **Merge it** once you are happy that the package works; a human merges markbot's PRs.\n")
		sb.WriteString("- **Keep a marker**: push a commit to this branch that puts it back (maintainers can edit this PR); markbot does not take packages out of an unmark PR itself.\n")
	} else {
		sb.WriteString("- **Fix the package**: push a fix to this branch (maintainers can edit this PR) or open a PR of your own. Once the package builds on Hydra again, markbot takes its marker out by itself.\n")
		sb.WriteString("- **Keep a package out of this PR**: comment `@markbot drop <attr>`.\n")
	}
	if opts.SkipFor > 0 {
		fmt.Fprintf(&sb, "- **Disagree altogether**: close this PR; markbot will not propose %s again for %s.\n", these, days(opts.SkipFor))
	} else {
		sb.WriteString("- **Disagree altogether**: close this PR.\n")
	}
	if rv := opts.Reviewers; rv.TooMany || rv.NoPing != "" {
		n := len(rv.Mentioned) + len(rv.MentionedTeams)
		var names []string
		for _, l := range rv.Mentioned {
			names = append(names, mdtext.CodeSpan(l))
		}
		for _, t := range rv.MentionedTeams {
			names = append(names, mdtext.CodeSpan("team "+t))
		}
		list := strings.Join(names, ", ")
		switch {
		case rv.NoPing == NoPingConfig:
			fmt.Fprintf(&sb, "\nReviews were not requested: markbot is configured not to ping maintainers. Maintainers, not pinged: %s.\n", list)
		case rv.NoPing == NoPingSecondaryPlatform:
			what := "This fails only on"
			switch {
			case unmark && len(b.Changes) == 1:
				what = "The marker was for"
			case unmark:
				what = "The markers were for"
			case len(b.Changes) > 1:
				what = "These fail only on"
			}
			fmt.Fprintf(&sb, "\n%s Darwin, a secondary platform: maintainers are not pinged. Maintainers: %s.\n", what, list)
		default:
			fmt.Fprintf(&sb, "\n%d maintainers: too many to request reviews from; mentioned here without pings: %s.\n", n, list)
		}
	}

	if rv := opts.Reviewers; len(rv.Refused)+len(rv.RefusedTeams) > 0 {
		var names []string
		for _, l := range rv.Refused {
			names = append(names, mdtext.CodeSpan(l))
		}
		for _, t := range rv.RefusedTeams {
			names = append(names, mdtext.CodeSpan("team "+t))
		}
		fmt.Fprintf(&sb, "\nGitHub would not let markbot request reviews from %s (not collaborators of this repository, or teams without access to it): mentioned here without pings.\n",
			strings.Join(names, ", "))
	}

	fmt.Fprintf(&sb, "\n---\nThis PR was generated by [markbot](%s) from Hydra's build results. As nixpkgs' [contribution policy](%s) requires for automated changes, a human reviews and merges it.\n\n",
		projectURL, policyURL)
	sb.WriteString(hiddenOf(b).String())
	sb.WriteString("\n")
	return sb.String()
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func days(d time.Duration) string {
	n := int((d + 12*time.Hour) / (24 * time.Hour))
	if n <= 1 {
		return "a day"
	}
	return strconv.Itoa(n) + " days"
}

func date(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format(time.DateOnly)
}

func systemsText(s []string) string {
	if len(s) == 0 {
		return "all"
	}
	return strings.Join(s, ", ")
}

func buildLabel(id int64, url string) string {
	if id > 0 {
		return strconv.FormatInt(id, 10)
	}
	if url != "" {
		return "build"
	}
	return ""
}

// brokeBetween is the "Broke between" cell: the compare link of the range
// with its commit count when GitHub gave one, and the last green build;
// "unknown" when neither is known (nothing is guessed).
func brokeBetween(r *Range, last *Build, repo string) string {
	if repo == "" {
		repo = "NixOS/nixpkgs"
	}
	if r == nil || !breaks.ValidRevision(r.Good) || !breaks.ValidRevision(r.Bad) {
		if last == nil {
			return "unknown"
		}
		return "unknown; last success " + lastSuccess(last)
	}
	label := mdtext.CodeSpan(shortRev(r.Good) + "..." + shortRev(r.Bad))
	s := link(label, "https://github.com/"+repo+"/compare/"+r.Good+"..."+r.Bad)
	switch {
	case r.Commits == 1:
		s += " (1 commit)"
	case r.Commits >= 0:
		s += fmt.Sprintf(" (%d commits)", r.Commits)
	}
	if !r.Exact {
		s += " or earlier"
	}
	if last != nil {
		s += "<br>last success " + lastSuccess(last)
	}
	return s
}

func lastSuccess(b *Build) string {
	if b == nil {
		return "unknown"
	}
	label := buildLabel(b.ID, b.URL)
	if !b.Time.IsZero() {
		label = date(b.Time)
	}
	return link(label, b.URL)
}

// link renders [label](url); label alone without a URL; "—" with neither.
func link(label, url string) string {
	switch {
	case url == "" && label == "":
		return "—"
	case url == "":
		return mdtext.Cell(label)
	}
	return "[" + mdtext.Cell(strings.NewReplacer("[", `\[`, "]", `\]`).Replace(label)) + "](" + strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29").Replace(url) + ")"
}
