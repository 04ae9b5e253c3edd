package app

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/mdtext"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
)

// Command is a comment command: "@markbot NAME ARGS...".
type Command struct {
	Name string // lower case; "" when the mention stands alone
	Args []string
}

// ParseCommand finds the first line of a comment that starts with mention
// (case-insensitively, followed by a space or the end of the line) and
// returns the command on it. Lines in fenced code blocks and quotes (">")
// are not commands, so quoting a command does not repeat it. A mention
// elsewhere in a line is prose, not a command.
func ParseCommand(body, mention string) (Command, bool) {
	fenced := false
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "```") || strings.HasPrefix(line, "~~~") {
			fenced = !fenced
			continue
		}
		if fenced || strings.HasPrefix(line, ">") || len(line) < len(mention) ||
			!strings.EqualFold(line[:len(mention)], mention) {
			continue
		}
		rest := line[len(mention):]
		if rest != "" && rest[0] != ' ' && rest[0] != '\t' {
			continue // "@markbotx", "@markbot's"
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			return Command{}, true
		}
		return Command{Name: strings.ToLower(f[0]), Args: f[1:]}, true
	}
	return Command{}, false
}

// CommentFacts is what deciding on a command needs to know about the
// comment and the pull request it is on.
type CommentFacts struct {
	// Commenter is the comment's author; Association its
	// author_association from the (signed) webhook payload: OWNER, MEMBER,
	// COLLABORATOR, CONTRIBUTOR, NONE, ...
	Commenter, Association string
	// Maintainers are the logins of the PR's packages' maintainers, as
	// markbot planned the PR's reviewers (from its state; a batch's
	// packages share their maintainers). Not GitHub's pending review
	// requests, which lose a reviewer once they review.
	Maintainers []string
	// State is the PR's: "open", "merged" or "closed".
	State string
	// Kind and Attrs come from the PR body's hidden block; HasHidden is
	// false when the body has none (a human rewrote it).
	Kind      prs.Kind
	Attrs     []string
	HasHidden bool
	// SkipFor is how long a dropped package is not proposed again.
	SkipFor time.Duration
}

// Action is what the server does about a command.
type Action struct {
	// Reply is posted on the pull request ("" posts nothing).
	Reply string
	// Recheck asks for a reconcile cycle.
	Recheck bool
	// Skip, if set, is recorded as a skip for SkipFor.
	Skip string
	// Outcome labels markbot_commands_total: ok, unauthorised, malformed,
	// unknown, refused; the handler adds error, rate_limited and replay.
	Outcome string
}

// Command outcomes.
const (
	cmdOK           = "ok"
	cmdUnauthorised = "unauthorised"
	cmdMalformed    = "malformed"
	cmdUnknown      = "unknown"
	cmdRefused      = "refused"      // not on a closed or merged PR
	cmdRateLimited  = "rate_limited" // a recheck over its budget
	cmdReplay       = "replay"       // a comment handled before
)

// needsRights reports whether a command needs Authorised: those that
// change a pull request or cost compute.
func needsRights(name string) bool { return name == "drop" || name == "recheck" }

// Authorised reports whether the commenter may use the commands that
// change a pull request or cost compute (drop, recheck): someone with a
// say over the repository (owner, organisation member or collaborator:
// nixpkgs' committers, from the signed payload's author_association), or
// one of the PR's packages' maintainers.
func (f CommentFacts) Authorised() bool {
	switch strings.ToUpper(f.Association) {
	case "OWNER", "MEMBER", "COLLABORATOR":
		return true
	}
	return f.Commenter != "" && slices.ContainsFunc(f.Maintainers, func(m string) bool { return strings.EqualFold(m, f.Commenter) })
}

// HelpText lists the commands.
func HelpText(mention string, skipFor time.Duration) string {
	return fmt.Sprintf("Commands (one per comment, at the start of a line):\n\n"+
		"- %s: this list.\n"+
		"- %s: run a reconcile cycle now (read Hydra, probe this pull request's packages, update markbot's pull requests); the packages' maintainers and committers only, on an open pull request.\n"+
		"- %s: take `<attr>` out of this pull request and do not propose it again for %s (the packages' maintainers and committers only).\n",
		literal(mention, "help"), literal(mention, "recheck"), literal(mention, "drop <attr>"), days(skipFor))
}

// Everything of others' a reply repeats (a commenter's command and
// arguments, attributes from a pull request's body, error texts) goes
// through mdtext.Literal: GitHub shows it as written, never as a mention,
// link, image or markup. literal joins words into one such span.
func literal(words ...string) string { return mdtext.Literal(strings.Join(words, " ")) }

// loginRE is a GitHub login.
var loginRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9]){0,38}$`)

// mentionOf is how a reply addresses the commenter: a mention of their
// login, the one mention markbot writes. Anything that is not a login
// (the payload is GitHub's, but a reply never trusts text to be one) is
// shown literally instead.
func mentionOf(login string) string {
	if loginRE.MatchString(login) {
		return "@" + login
	}
	return mdtext.Literal(login)
}

// Decide is the whole logic of comment commands, without I/O.
func Decide(cmd Command, f CommentFacts, mention string) Action {
	at := mentionOf(f.Commenter)
	switch cmd.Name {
	case "help":
		return Action{Reply: HelpText(mention, f.SkipFor), Outcome: cmdOK}
	case "recheck":
		if len(cmd.Args) > 0 {
			return Action{Reply: fmt.Sprintf("%s %s takes no arguments.", at, literal(mention, "recheck")), Outcome: cmdMalformed}
		}
		if !f.Authorised() {
			return Action{Reply: at + " sorry, only the packages' maintainers and committers can ask for a recheck (it reads Hydra and may build the packages).",
				Outcome: cmdUnauthorised}
		}
		if f.State != "" && f.State != "open" {
			return Action{Reply: fmt.Sprintf("%s this pull request is %s, so there is nothing to recheck here: markbot probes merged markers by itself, and a closed pull request's packages are not proposed again for a while.",
				at, f.State), Outcome: cmdRefused}
		}
		return Action{Reply: at + " rechecking: a reconcile cycle will run shortly (after the current one, if one is running).",
			Recheck: true, Outcome: cmdOK}
	case "drop":
		return decideDrop(cmd, f, mention)
	case "":
		return Action{Reply: at + " what should I do?\n\n" + HelpText(mention, f.SkipFor), Outcome: cmdMalformed}
	}
	return Action{Reply: fmt.Sprintf("%s sorry, I do not know the command %s.\n\n%s", at, literal(cmd.Name), HelpText(mention, f.SkipFor)),
		Outcome: cmdUnknown}
}

func decideDrop(cmd Command, f CommentFacts, mention string) Action {
	at := mentionOf(f.Commenter)
	if len(cmd.Args) != 1 {
		return Action{Reply: fmt.Sprintf("%s usage: %s, with one attribute, for example %s.",
			at, literal(mention, "drop <attr>"), literal(mention, "drop", firstOr(f.Attrs, "hello"))), Outcome: cmdMalformed}
	}
	attr := strings.Trim(cmd.Args[0], "`")
	if !f.Authorised() {
		return Action{Reply: at + " sorry, only the packages' maintainers and committers can drop a package from this pull request.",
			Outcome: cmdUnauthorised}
	}
	if !f.HasHidden {
		return Action{Reply: at + " I cannot tell which packages this pull request holds (its description lost markbot's hidden block), so I did nothing.",
			Outcome: cmdMalformed}
	}
	if !slices.Contains(f.Attrs, attr) {
		return Action{Reply: fmt.Sprintf("%s %s is not in this pull request; it holds %s.", at, literal(attr), codeList(f.Attrs)),
			Outcome: cmdMalformed}
	}
	if f.Kind == prs.KindUnmark {
		return Action{Reply: fmt.Sprintf("%s markbot cannot take a package out of an unmark pull request. To keep %s marked broken, push a commit restoring its marker to this branch, or close this pull request.",
			at, literal(attr)), Outcome: cmdMalformed}
	}
	return Action{Skip: attr, Outcome: cmdOK, Reply: fmt.Sprintf(
		"%s OK: markbot will not propose %s again for %s. It does not rewrite this branch, though: push a commit removing its marker from this branch, or %s stays in this pull request.",
		at, literal(attr), days(f.SkipFor), literal(attr))}
}

// DropReply is the reply to "@markbot drop attr" once the skip is
// recorded and the package was taken out of the pull request (res, err:
// what prs.Publisher.Drop answered). It says what really happened: the
// marker taken out of the branch or why no edit was needed, the pull
// request closed or left with nothing of markbot's, or the failure and why.
func DropReply(commenter, attr string, skipFor time.Duration, res *prs.DropResult, err error) string {
	at := mentionOf(commenter)
	skip := fmt.Sprintf("markbot will not propose %s again for %s", literal(attr), days(skipFor))
	if err != nil {
		return fmt.Sprintf("%s %s, but taking it out of this pull request failed: %s. Push a commit removing its marker to this branch, or ask again later (%s).",
			at, skip, literal(err.Error()), literal("@markbot drop", attr))
	}
	if res == nil {
		res = &prs.DropResult{}
	}
	var pkg *prs.DroppedPackage
	for i, p := range res.Packages {
		if p.Attr == attr || slices.Contains(p.Attrs, attr) {
			pkg = &res.Packages[i]
			break
		}
	}
	switch {
	case pkg == nil || pkg.Outcome == prs.DropNotInPR:
		return fmt.Sprintf("%s %s; markbot found no marker of %s of its own in this pull request to take out.", at, skip, literal(attr))
	case pkg.Outcome == prs.DropAlready:
		return fmt.Sprintf("%s %s was already out of this pull request; %s.", at, literal(attr), skip)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s OK: %s is out of this pull request, and %s.", at, literal(attr), skip)
	if len(pkg.Attrs) > 1 {
		fmt.Fprintf(&sb, " It shares its derivation with %s, which left with it.", codeList(slices.DeleteFunc(slices.Clone(pkg.Attrs), func(a string) bool { return a == attr })))
	}
	switch edit := pkg.Edit; {
	case res.Closed:
	case edit == "marker taken out of the branch" && res.BranchUpdate == prs.BranchRewritten:
		sb.WriteString(" Its marker is taken out of the branch (markbot's commit rewritten).")
	case edit == "marker taken out of the branch":
		sb.WriteString(" Its marker is taken out of the branch, in a commit on top of the others'.")
	case strings.HasPrefix(edit, "no edit needed: "):
		fmt.Fprintf(&sb, " Its marker needed no edit (%s).", plain(strings.TrimPrefix(edit, "no edit needed: ")))
	case edit != "":
		fmt.Fprintf(&sb, " Branch: %s.", plain(edit))
	}
	switch {
	case res.Closed:
		sb.WriteString(" That was the last package markbot proposed here, so markbot closed this pull request.")
	case res.NothingLeft:
		sb.WriteString(" Nothing markbot proposed is left in this pull request; the commits others pushed stay, so it stays open for you to merge or close.")
	case len(res.Remaining) > 0:
		fmt.Fprintf(&sb, " Still in it: %s.", codeList(res.Remaining))
	}
	return sb.String()
}

// plain is markbot's own prose about a drop (prs.DroppedPackage.Edit),
// which may name a file: shown as prose when it is only words, spaces and
// ',./+-, or ": ", which GitHub turns into nothing else; otherwise
// literally.
func plain(s string) string {
	if prosePath.MatchString(s) {
		return s
	}
	return mdtext.Literal(s)
}

var prosePath = regexp.MustCompile(`^(?:[A-Za-z0-9 ',./+-]|: )*$`)

func firstOr(list []string, def string) string {
	if len(list) > 0 {
		return list[0]
	}
	return def
}

func codeList(attrs []string) string {
	q := make([]string, len(attrs))
	for i, a := range attrs {
		q[i] = mdtext.Literal(a)
	}
	return strings.Join(q, ", ")
}

func days(d time.Duration) string {
	n := int((d + 12*time.Hour) / (24 * time.Hour))
	if n <= 1 {
		return "a day"
	}
	return strconv.Itoa(n) + " days"
}
