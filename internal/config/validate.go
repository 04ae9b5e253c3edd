package config

import (
	"fmt"
	"net"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/nixpkgs-markbot/markbot/internal/compare"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
)

// KnownSystems are the systems policy.systems accepts (nixpkgs.KnownSystems).
var KnownSystems = nixpkgs.KnownSystems

// MaxRequestsPerSecond is the most hydra.requests_per_second may be:
// hydra.nixos.org allows about two requests a second.
const MaxRequestsPerSecond = 2

// MaxReviewers is nixpkgs CI's cap on requested reviewers per pull request.
const MaxReviewers = 15

// MinCycleInterval is the shortest server.cycle_interval.
const MinCycleInterval = 5 * time.Minute

// MinProbeEvery is the shortest probe.every; MinBuildTimeout the shortest
// probe.build_timeout.
const (
	MinProbeEvery   = time.Hour
	MinBuildTimeout = time.Minute
)

// statusReasons says why a status is not evidence of the package's own
// failure; statuses not listed here and not allowed are unknown.
var statusReasons = map[hydra.Status]string{
	hydra.StatusSucceeded:        "it is a success",
	hydra.StatusDependencyFailed: "a dependency failure is never evidence against the package itself",
	hydra.StatusAborted:          "an aborted build is transient, never evidence",
	hydra.StatusCancelled:        "a cancelled build is transient, never evidence",
	hydra.StatusTimedOut:         "a timeout is transient, never evidence",
	hydra.StatusUnsupported:      "an unsupported system is not a failure",
	hydra.StatusNonDeterministic: "non-determinism is not a build failure",
	hydra.StatusCachedFailure:    "a cached failure counts, unlisted, when its build's steps show it is the package's own (docs/hydra.md)",
	hydra.StatusResolved:         "it is a step status, not a build's",
	hydra.StatusUnfinished:       "an unfinished build says nothing yet",
}

// AllowedStatuses are the statuses policy.statuses may list.
var AllowedStatuses = []hydra.Status{
	hydra.StatusFailed, hydra.StatusFailedWithOutput,
	hydra.StatusLogLimitExceeded, hydra.StatusOutputLimitExceeds,
}

var (
	// Hydra project and jobset names.
	hydraNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)
	// GitHub logins: alphanumerics and single inner hyphens, ≤39.
	loginRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9]){0,38}$`)
	// GitHub repository names.
	repoNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)
	// Environment variable names.
	envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// A placeholder in probe.build_command: {word}.
	placeholderRE = regexp.MustCompile(`\{[A-Za-z0-9_]*\}`)
)

// checker collects validation errors, each placed where its value came
// from.
type checker struct {
	c    *Config
	errs []error
}

func (k *checker) fail(key, format string, args ...any) {
	k.failAt(key, key, format, args...)
}

// failAt reports a problem with key placed where posKey's value came from
// (for a key that is missing because of another one that is set).
func (k *checker) failAt(key, posKey, format string, args ...any) {
	where := k.c.pos[posKey]
	if env, ok := k.c.env[posKey]; ok {
		where = env
	}
	k.errs = append(k.errs, &Error{Where: where, Key: key, Msg: fmt.Sprintf(format, args...)})
}

// Validate reports every invalid value, each error naming its key (a
// *Error). Load and Parse call it; call it again after changing a Config.
func (c *Config) Validate() error {
	k := &checker{c: c}
	if c.Version != CurrentVersion {
		k.fail("version", "unsupported version %d; this markbot reads version %d", c.Version, CurrentVersion)
	}
	k.hydra()
	k.github()
	k.packages()
	k.policy()
	k.probe()
	if strings.TrimSpace(c.State.Path) == "" {
		k.fail("state.path", "must not be empty")
	} else if strings.ContainsAny(c.State.Path, "\x00\n\r") {
		k.fail("state.path", "want a file path, got %s", quote(c.State.Path))
	}
	k.server()
	if u := k.c.Server.PublicURL; u != "" {
		k.httpURL("server.public_url", u)
	}
	k.compare()
	k.watch()
	return joinErrors(k.errs)
}

func (k *checker) hydra() {
	h := k.c.Hydra
	k.httpURL("hydra.url", h.URL)
	k.plainHTTP("hydra.url", "hydra.insecure_http", h.URL, h.InsecureHTTP, hydraRisk)
	k.jobset("hydra.jobset", h.Jobset)
	if c := h.Contact; c != "" {
		switch {
		case len(c) > 200:
			k.fail("hydra.contact", "must be at most 200 bytes, got %d", len(c))
		case strings.IndexFunc(c, func(r rune) bool { return r > unicode.MaxASCII || !unicode.IsPrint(r) }) >= 0:
			k.fail("hydra.contact", "must be printable ASCII (it goes into an HTTP header), got %s", quote(c))
		case strings.ContainsAny(c, "();"):
			k.fail("hydra.contact", "must not contain parentheses or semicolons (it goes inside the User-Agent's comment), got %s", quote(c))
		}
	}
	// An empty contact with hydra.nixos.org is refused by hydra.New, when
	// a command talks to Hydra (a config for the other commands is valid).
	if !slices.Contains(hydra.ReadModes, h.Read) {
		k.fail("hydra.read", "must be %q (the evaluation page, for nixpkgs-scale jobsets) or %q (/eval/N/builds, small jobsets only), got %s",
			hydra.ReadPage, hydra.ReadBuilds, quote(string(h.Read)))
	}
	if r := h.RequestsPerSecond; !(r > 0 && r <= MaxRequestsPerSecond) {
		k.fail("hydra.requests_per_second", "must be more than 0 and at most %d (hydra.nixos.org allows about 2/s), got %g", MaxRequestsPerSecond, r)
	}
	if n := h.ConfirmBuilds; n < 1 || n > 10000 {
		k.fail("hydra.confirm_builds", "must be between 1 and 10000 (each build costs one or two requests, once), got %d", n)
	}
	if t := h.IdleTimeout; t < time.Second || t > time.Hour {
		k.fail("hydra.idle_timeout", "must be between 1s and 1h, got %s", FormatDuration(t))
	}
	if h.Evaluations < k.c.Policy.Evaluations {
		k.fail("hydra.evaluations", "must be at least policy.evaluations (%d), got %d", k.c.Policy.Evaluations, h.Evaluations)
	}
}

func (k *checker) httpURL(key, s string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		k.fail(key, "want an http(s) URL without query, like https://host/path, got %s", quote(s))
		return
	}
	if u.User != nil {
		k.fail(key, "must not carry credentials (user:password@)")
	}
}

func (k *checker) jobset(key, s string) {
	project, jobset, ok := strings.Cut(s, "/")
	if !ok || !hydraNameRE.MatchString(project) || !hydraNameRE.MatchString(jobset) {
		k.fail(key, "want PROJECT/JOBSET like nixpkgs/unstable, got %s", quote(s))
	}
}

func (k *checker) github() {
	g := k.c.GitHub
	if g.AppID < 0 {
		k.fail("github.app_id", "must not be negative, got %d", g.AppID)
	}
	if g.InstallationID < 0 {
		k.fail("github.installation_id", "must not be negative, got %d", g.InstallationID)
	}
	if g.HasApp() {
		// A partial App is a mistake, not a choice.
		if g.AppID == 0 {
			k.fail("github.app_id", "required with github.installation_id and github.private_key_file")
		}
		if g.InstallationID == 0 {
			k.fail("github.installation_id", "required with github.app_id and github.private_key_file")
		}
		if g.PrivateKeyFile == "" {
			k.fail("github.private_key_file", "required with github.app_id and github.installation_id")
		}
	}
	k.secretPath("github.private_key_file", g.PrivateKeyFile)
	k.secretPath("github.webhook_secret_file", g.WebhookSecretFile)
	if strings.ContainsFunc(g.Token.Reveal(), unicode.IsSpace) {
		k.fail("github.token", "contains white space (value not shown)")
	}
	k.forkCredentials() // config.go
	if t := g.Timeout; t < time.Second || t > 10*time.Minute {
		k.fail("github.timeout", "must be between 1s and 10m, got %s", FormatDuration(t))
	}
	k.httpURL("github.api_url", g.APIURL)
	k.plainHTTP("github.api_url", "github.insecure_http", g.APIURL, g.InsecureHTTP, githubRisk)
	if !strings.HasSuffix(g.APIURL, "/") {
		k.fail("github.api_url", "must end with \"/\", got %s", quote(g.APIURL))
	}
	owner, repo, ok := strings.Cut(g.Repository, "/")
	if !ok || !loginRE.MatchString(owner) || !repoNameRE.MatchString(repo) || repo == "." || repo == ".." {
		k.fail("github.repository", "want OWNER/REPO, got %s", quote(g.Repository))
	}
	k.refName("github.base_branch", g.BaseBranch, g.BaseBranch)
	if g.Fork != "" {
		fo, fr, hasRepo := strings.Cut(g.Fork, "/")
		if !loginRE.MatchString(fo) || (hasRepo && (!repoNameRE.MatchString(fr) || fr == "." || fr == "..")) {
			k.fail("github.fork", "want OWNER or OWNER/REPO, got %s", quote(g.Fork))
		} else if ho, hr := g.HeadRepository(); strings.EqualFold(ho+"/"+hr, g.Repository) {
			k.fail("github.fork", "is github.repository itself (%s); leave it empty to push there", quote(g.Repository))
		}
	}
	if g.BranchPrefix == "" {
		k.fail("github.branch_prefix", "must not be empty (markbot recognises its branches by it)")
	} else {
		k.refName("github.branch_prefix", g.BranchPrefix, g.BranchPrefix+"x")
	}
	seen := map[string]bool{}
	for i, l := range g.Labels {
		key := fmt.Sprintf("github.labels[%d]", i)
		switch {
		case strings.TrimSpace(l) == "":
			k.fail(key, "must not be empty")
		case len([]rune(l)) > 50:
			k.fail(key, "must be at most 50 characters (GitHub's limit), got %s", quote(l))
		case seen[strings.ToLower(l)]:
			k.fail(key, "%s is listed twice", quote(l))
		}
		seen[strings.ToLower(l)] = true
	}
	if b := g.BotLogin; b != "" && !loginRE.MatchString(strings.TrimSuffix(b, "[bot]")) {
		k.fail("github.bot_login", "want a GitHub login like markbot[bot], got %s", quote(b))
	}
}

// secretPath checks a path to a secret, taking care not to echo an inline
// secret pasted in its place.
func (k *checker) secretPath(key, p string) {
	switch {
	case strings.Contains(p, "-----BEGIN") || strings.ContainsAny(p, "\n\r"):
		k.fail(key, "want a file path; this looks like the secret itself, which is never inline (value not shown)")
	case strings.ContainsRune(p, 0):
		k.fail(key, "want a file path (value not shown)")
	}
}

// refName checks a git branch name (or prefix, checked as full) the way
// git check-ref-format does, in the parts that matter for branches.
func (k *checker) refName(key, shown, full string) {
	bad := full == "" || strings.HasPrefix(full, "-") || strings.HasPrefix(full, "/") ||
		strings.HasSuffix(full, "/") || strings.HasSuffix(full, ".") || strings.HasSuffix(full, ".lock") ||
		strings.Contains(full, "..") || strings.Contains(full, "//") || strings.Contains(full, "@{") ||
		full == "@" || strings.ContainsAny(full, " ~^:?*[\\\x7f") ||
		strings.IndexFunc(full, func(r rune) bool { return r < 0x20 }) >= 0
	for _, comp := range strings.Split(full, "/") {
		bad = bad || strings.HasPrefix(comp, ".")
	}
	if bad {
		k.fail(key, "want a valid git branch name, got %s", quote(shown))
	}
}

func (k *checker) packages() {
	p := k.c.Packages
	switch {
	case strings.TrimSpace(p.Source) == "":
		k.fail("packages.source", "must not be empty")
	case isURL(p.Source):
		k.httpURL("packages.source", p.Source)
	case strings.ContainsAny(p.Source, "\x00\n\r"):
		k.fail("packages.source", "want a file path or an http(s) URL, got %s", quote(p.Source))
	}
	if p.Refresh < time.Minute {
		k.fail("packages.refresh", "must be at least 1m, got %s", FormatDuration(p.Refresh))
	}
}

// isURL reports whether s is meant as a URL rather than a path.
func isURL(s string) bool { return strings.Contains(s, "://") }

func (k *checker) policy() {
	p, before := k.c.Policy, len(k.errs)
	if p.Evaluations < 1 {
		k.fail("policy.evaluations", "must be at least 1, got %d", p.Evaluations)
	}
	if p.MinDays < 0 {
		k.fail("policy.min_days", "must not be negative, got %d", p.MinDays)
	}
	if p.MinDerivations < 1 {
		k.fail("policy.min_derivations", "must be at least 1, got %d", p.MinDerivations)
	}
	if len(p.Statuses) == 0 {
		k.fail("policy.statuses", "must list at least one of %s", statusList(AllowedStatuses))
	}
	for i, s := range p.Statuses {
		key := fmt.Sprintf("policy.statuses[%d]", i)
		switch {
		case slices.Contains(AllowedStatuses, s):
			if slices.Index(p.Statuses, s) < i {
				k.fail(key, "status %d is listed twice", s)
			}
		case statusReasons[s] != "":
			k.fail(key, "status %d (%s) cannot count: %s; allowed: %s", s, s, statusReasons[s], statusList(AllowedStatuses))
		default:
			k.fail(key, "unknown status %d; allowed: %s", s, statusList(AllowedStatuses))
		}
	}
	if len(p.Systems) == 0 {
		k.fail("policy.systems", "must list at least one system")
	}
	for i, s := range p.Systems {
		key := fmt.Sprintf("policy.systems[%d]", i)
		switch {
		case !slices.Contains(KnownSystems, s):
			k.fail(key, "unknown system %s; known: %s", quote(s), strings.Join(KnownSystems, ", "))
		case slices.Index(p.Systems, s) < i:
			k.fail(key, "%s is listed twice", quote(s))
		}
	}
	if s := p.MassBreakageShare; !(s > 0 && s < 1) {
		k.fail("policy.mass_breakage_share", "must be between 0 and 1 (exclusive), got %g", s)
	}
	k.globs("policy.allow", p.Allow)
	k.globs("policy.deny", p.Deny)
	if p.MaxMarkersPerPR < 1 {
		k.fail("policy.max_markers_per_pr", "must be at least 1, got %d", p.MaxMarkersPerPR)
	}
	if p.MaxOpenPRs < 1 {
		k.fail("policy.max_open_prs", "must be at least 1, got %d", p.MaxOpenPRs)
	}
	if p.MaxReviewers < 1 || p.MaxReviewers > MaxReviewers {
		k.fail("policy.max_reviewers", "must be between 1 and %d (nixpkgs CI's cap), got %d; use ping: none for no reviewers", MaxReviewers, p.MaxReviewers)
	}
	if p.Ping != PingMaintainers && p.Ping != PingNone {
		k.fail("policy.ping", "want %q or %q, got %s", PingMaintainers, PingNone, quote(string(p.Ping)))
	}
	if p.SkipAfterClose < 0 {
		k.fail("policy.skip_after_close", "must not be negative, got %s", FormatDuration(p.SkipAfterClose))
	}
	// failures.Policy has its own checks; the ones above cover them, this
	// catches a drift between the two.
	if len(k.errs) == before {
		if err := k.c.FailuresPolicy().Validate(); err != nil {
			k.fail("policy", "%v", err)
		}
	}
}

func statusList(ss []hydra.Status) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = fmt.Sprintf("%d (%s)", s, s)
	}
	return strings.Join(parts, ", ")
}

func (k *checker) globs(key string, gs []string) {
	for i, g := range gs {
		ikey := fmt.Sprintf("%s[%d]", key, i)
		if g == "" {
			k.fail(ikey, "empty glob")
		} else if _, err := path.Match(g, ""); err != nil {
			k.fail(ikey, "bad glob %s: %v", quote(g), err)
		}
	}
}

func (k *checker) server() {
	s := k.c.Server
	host, port, err := net.SplitHostPort(s.Listen)
	if err == nil {
		if n, perr := strconv.Atoi(port); perr != nil || n < 0 || n > 65535 {
			err = fmt.Errorf("bad port")
		}
	}
	if err == nil && strings.ContainsAny(host, " /") {
		err = fmt.Errorf("bad host")
	}
	if err != nil {
		k.fail("server.listen", "want HOST:PORT like 127.0.0.1:8080 or :8080, got %s", quote(s.Listen))
	}
	if s.CycleInterval < MinCycleInterval {
		k.fail("server.cycle_interval", "must be at least %s, got %s", FormatDuration(MinCycleInterval), FormatDuration(s.CycleInterval))
	}
	if s.ResyncInterval != 0 && s.ResyncInterval < MinCycleInterval {
		k.fail("server.resync_interval", "must be 0 (read every cycle) or at least %s, got %s", FormatDuration(MinCycleInterval), FormatDuration(s.ResyncInterval))
	}
	if s.MaxBodyBytes < 1<<10 || s.MaxBodyBytes > 1<<30 {
		k.fail("server.max_body_bytes", "must be between 1KiB and 1GiB, got %s", s.MaxBodyBytes)
	}
}

func (k *checker) probe() {
	p := k.c.Probe
	if p.HydraJobset != "" {
		k.jobset("probe.hydra_jobset", p.HydraJobset)
		if p.HydraJobset == k.c.Hydra.Jobset {
			k.fail("probe.hydra_jobset", "must differ from hydra.jobset, got %s for both", quote(p.HydraJobset))
		}
	}
	if p.Every < MinProbeEvery {
		k.fail("probe.every", "must be at least %s, got %s", FormatDuration(MinProbeEvery), FormatDuration(p.Every))
	}
	hasAttr := false
	for i, arg := range p.BuildCommand {
		key := fmt.Sprintf("probe.build_command[%d]", i)
		phs := placeholderRE.FindAllString(arg, -1)
		for _, ph := range phs {
			if !slices.Contains(BuildPlaceholders, ph) {
				k.fail(key, "unknown placeholder %s in %s; known: %s", ph, quote(arg), strings.Join(BuildPlaceholders, ", "))
			}
		}
		switch {
		case strings.ContainsRune(arg, 0):
			k.fail(key, "must not contain a NUL byte")
		case i == 0 && arg == "":
			k.fail(key, "the program must not be empty")
		case i == 0 && len(phs) > 0:
			k.fail(key, "the program must not contain a placeholder, got %s", quote(arg))
		}
		hasAttr = hasAttr || strings.Contains(arg, PlaceholderAttr)
	}
	if len(p.BuildCommand) > 0 {
		if !hasAttr {
			k.fail("probe.build_command", "must contain %s in some element (the package to build), got %s",
				PlaceholderAttr, quote(strings.Join(p.BuildCommand, " ")))
		}
		if strings.TrimSpace(p.BuildDir) == "" {
			k.failAt("probe.build_dir", "probe.build_command", "required with probe.build_command: the nixpkgs checkout the command runs in")
		}
	}
	k.path("probe.build_dir", p.BuildDir)
	seen := map[string]int{}
	for i, e := range p.BuildEnv {
		key := fmt.Sprintf("probe.build_env[%d]", i)
		name, _, ok := strings.Cut(e, "=")
		switch {
		case !ok:
			k.fail(key, "want NAME=value, got %s", quote(e))
		case !envNameRE.MatchString(name):
			k.fail(key, "want NAME=value with NAME like NIXPKGS_ALLOW_BROKEN (letters, digits, _), got %s", quote(e))
		case strings.ContainsRune(e, 0):
			k.fail(key, "must not contain a NUL byte")
		default:
			if j, dup := seen[name]; dup {
				k.fail(key, "%s is set twice (also probe.build_env[%d])", name, j)
			}
			seen[name] = i
		}
	}
	if p.BuildTimeout < MinBuildTimeout {
		k.fail("probe.build_timeout", "must be at least %s, got %s", FormatDuration(MinBuildTimeout), FormatDuration(p.BuildTimeout))
	}
	for i, s := range p.BuildSystems {
		key := fmt.Sprintf("probe.build_systems[%d]", i)
		switch {
		case !slices.Contains(KnownSystems, s):
			k.fail(key, "unknown system %s; known: %s", quote(s), strings.Join(KnownSystems, ", "))
		case slices.Index(p.BuildSystems, s) < i:
			k.fail(key, "%s is listed twice", quote(s))
		}
	}
	k.path("probe.log_dir", p.LogDir)
}

// path checks an optional file or directory path.
func (k *checker) path(key, p string) {
	if strings.ContainsAny(p, "\x00\n\r") {
		k.fail(key, "want a path, got %s", quote(p))
	}
}

func (k *checker) compare() {
	seen := map[CompareConfig]int{}
	for i, e := range k.c.Compare {
		item := fmt.Sprintf("compare[%d]", i)
		for _, f := range []struct{ name, v string }{{"base", e.Base}, {"head", e.Head}} {
			key := item + "." + f.name
			switch _, ok := compare.ParseJobset(f.v); {
			case f.v == "":
				k.failAt(key, item, "required: PROJECT/JOBSET like nixpkgs/unstable")
			case !ok:
				k.fail(key, "want PROJECT/JOBSET like nixpkgs/staging-next, got %s", quote(f.v))
			default:
				k.jobset(key, f.v)
			}
		}
		if e.Base != "" && e.Base == e.Head {
			k.fail(item+".head", "must differ from %s.base, got %s for both", item, quote(e.Head))
		}
		key := item + ".post_to"
		t, ok := compare.ParseTarget(e.PostTo)
		switch {
		case e.PostTo == "":
			k.failAt(key, item, "required: the pull request or issue the report goes on, OWNER/REPO#N")
		case !ok || !loginRE.MatchString(t.Owner) || !repoNameRE.MatchString(t.Repo) || t.Repo == "." || t.Repo == "..":
			k.fail(key, "want OWNER/REPO#N like NixOS/nixpkgs#123456, got %s", quote(e.PostTo))
		}
		if j, dup := seen[e]; dup {
			k.fail(item, "the same entry as compare[%d]", j)
		}
		seen[e] = i
	}
}
