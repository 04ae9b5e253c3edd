// Package config owns markbot's configuration: the markbot.yaml file (see
// config/markbot.example.yaml, which documents every key), its strict
// decoding, defaults, environment overrides and validation, and the mapping
// of the result onto the option structs of the packages that use it.
//
// Precedence is environment > file > defaults. Decoding is strict: unknown
// keys, values of the wrong type and invalid values are errors that name
// the dotted key (and file:line:col when the value came from the file), and
// all of them are reported at once. Secrets are never inline: the App's
// private key and the webhook secret are read from files named in the
// config or the environment, and a plain token comes only from
// MARKBOT_GITHUB_TOKEN (the fork's from MARKBOT_GITHUB_FORK_TOKEN); none of
// them appears in errors or printed configs.
package config

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
	"github.com/nixpkgs-markbot/markbot/internal/version"
)

// CurrentVersion is the only value of the version key this markbot reads.
const CurrentVersion = 1

// Config is a loaded markbot.yaml. Fields carry the yaml key they are read
// from; Default gives every default.
type Config struct {
	// Version must be CurrentVersion; it is required in the file.
	Version  int             `yaml:"version"`
	Hydra    HydraConfig     `yaml:"hydra"`
	GitHub   GitHubConfig    `yaml:"github"`
	Packages PackagesConfig  `yaml:"packages"`
	Policy   PolicyConfig    `yaml:"policy"`
	Probe    ProbeConfig     `yaml:"probe"`
	State    StateConfig     `yaml:"state"`
	Server   ServerConfig    `yaml:"server"`
	Compare  []CompareConfig `yaml:"compare"`
	Watch    []WatchConfig   `yaml:"watch"`

	// Where values came from, for error messages: the file name, the
	// position ("file:line:col") of each key read from it, and the
	// environment variable of each key overridden from the environment.
	source string
	pos    map[string]string
	env    map[string]string
	// log receives warnings about secret files (SetLogger).
	log logrus.FieldLogger
}

// HydraConfig is where failures are read from.
type HydraConfig struct {
	// URL of the Hydra server.
	URL string `yaml:"url"`
	// Jobset watched, "project/jobset".
	Jobset string `yaml:"jobset"`
	// Contact (an e-mail or URL) is added to markbot's User-Agent; required
	// for hydra.nixos.org.
	Contact string `yaml:"contact"`
	// Read says how an evaluation is read: "page" (the evaluation page,
	// default) or "builds" (/eval/{id}/builds, small jobsets only).
	Read hydra.ReadMode `yaml:"read"`
	// RequestsPerSecond to Hydra, in (0, 2].
	RequestsPerSecond float64 `yaml:"requests_per_second"`
	// Evaluations is how many recent evaluations are read; at least
	// Policy.Evaluations, which is also its default.
	Evaluations int `yaml:"evaluations"`
	// ConfirmBuilds bounds the failing builds a reading asks Hydra about
	// (whose failure each is: failures.Confirm), in [1, 10000].
	ConfirmBuilds int `yaml:"confirm_builds"`
	// IdleTimeout is the longest pause inside an answer's body before the
	// request is given up (and retried).
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// InsecureHTTP allows a plain-http URL to a host other than a loopback
	// address (see PlainHTTPError).
	InsecureHTTP bool `yaml:"insecure_http"`
}

// GitHubConfig is where pull requests go and how markbot authenticates.
type GitHubConfig struct {
	// AppID, InstallationID and PrivateKeyFile identify the GitHub App;
	// they are set together or not at all (0 and "" mean not set).
	AppID          int64  `yaml:"app_id"`
	InstallationID int64  `yaml:"installation_id"`
	PrivateKeyFile string `yaml:"private_key_file"`
	// WebhookSecretFile holds the webhook secret; markbot serve needs it.
	WebhookSecretFile string `yaml:"webhook_secret_file"`
	// Token is a plain token for running markbot by hand. It comes only
	// from MARKBOT_GITHUB_TOKEN and never prints.
	Token Secret `yaml:"-"`
	// APIURL is the REST API base URL, always ending in "/".
	APIURL string `yaml:"api_url"`
	// Repository receiving the pull requests, "OWNER/REPO".
	Repository string `yaml:"repository"`
	// BaseBranch the pull requests target.
	BaseBranch string `yaml:"base_branch"`
	// Fork, optional: "OWNER" (same repository name) or "OWNER/REPO" to
	// push branches to instead of Repository.
	Fork string `yaml:"fork"`
	// ForkInstallationID is the App's installation on Fork's account. An
	// installation token reaches only its installation's repositories, so
	// with the App the branches, trees and commits go to the fork under
	// this installation, while pull requests, labels, reviews and comments
	// go to Repository under InstallationID (see ForkCredentialsError).
	ForkInstallationID int64 `yaml:"fork_installation_id"`
	// ForkToken, instead of ForkInstallationID, is a token of the fork's
	// owner that writes the branches to the fork. It comes only from
	// MARKBOT_GITHUB_FORK_TOKEN and never prints.
	ForkToken Secret `yaml:"-"`
	// BranchPrefix starts the name of every branch markbot pushes.
	BranchPrefix string `yaml:"branch_prefix"`
	// Labels put on every pull request.
	Labels []string `yaml:"labels"`
	// BotLogin, optional, is the App's own login ("markbot[bot]"), never
	// requested as a reviewer.
	BotLogin string `yaml:"bot_login"`
	// Timeout bounds one API request, answer included.
	Timeout time.Duration `yaml:"timeout"`
	// InsecureHTTP allows a plain-http APIURL to a host other than a
	// loopback address: the token then travels in clear text (see
	// PlainHTTPError).
	InsecureHTTP bool `yaml:"insecure_http"`
}

// PackagesConfig is the nixpkgs packages index (attribute → meta).
type PackagesConfig struct {
	// Source is a local path or an http(s) URL of packages.json[.br].
	Source string `yaml:"source"`
	// Refresh is how often a URL source is fetched again.
	Refresh time.Duration `yaml:"refresh"`
}

// Ping says whom a pull request requests reviews from.
type Ping string

// The ping policies.
const (
	PingMaintainers Ping = "maintainers" // the packages' maintainers, up to MaxReviewers
	PingNone        Ping = "none"        // nobody: no review requests, no mentions
)

// PolicyConfig is what counts as a persistent failure and how markers are
// proposed.
type PolicyConfig struct {
	// Evaluations (K), MinDays (D), MinDerivations: see failures.Policy.
	Evaluations    int `yaml:"evaluations"`
	MinDays        int `yaml:"min_days"`
	MinDerivations int `yaml:"min_derivations"`
	// Statuses that count as the package's own failure: 1, 6, 10, 11.
	Statuses []hydra.Status `yaml:"statuses"`
	// Systems considered; builds for other systems are ignored.
	Systems []string `yaml:"systems"`
	// MassBreakageShare, in (0, 1): above this share of newly failing jobs
	// nothing is proposed.
	MassBreakageShare float64 `yaml:"mass_breakage_share"`
	// Allow and Deny are attribute path globs (path.Match); deny wins, an
	// empty allow list allows all.
	Allow []string `yaml:"allow"`
	Deny  []string `yaml:"deny"`
	// MaxMarkersPerPR, MaxOpenPRs and MaxReviewers cap each batch.
	MaxMarkersPerPR int `yaml:"max_markers_per_pr"`
	MaxOpenPRs      int `yaml:"max_open_prs"`
	MaxReviewers    int `yaml:"max_reviewers"`
	// Ping: whether review requests go to maintainers.
	Ping Ping `yaml:"ping"`
	// PingSecondaryPlatforms: when false, a batch whose packages fail only
	// on darwin systems requests no reviews and mentions nobody.
	PingSecondaryPlatforms bool `yaml:"ping_secondary_platforms"`
	// SkipAfterClose: after a human closes a markbot pull request unmerged,
	// its attributes are not proposed again for this long.
	SkipAfterClose time.Duration `yaml:"skip_after_close"`
}

// ProbeConfig is how markbot checks whether marked packages build again,
// so that their markers can be reverted: in a Hydra jobset evaluated with
// allowBroken, and/or by building them locally.
type ProbeConfig struct {
	// HydraJobset, optional: a "project/jobset" evaluated with allowBroken,
	// where marked packages keep being built so markers can be reverted.
	HydraJobset string `yaml:"hydra_jobset"`
	// Every: a marker whose derivation has not changed is probed at most
	// this often (at least 1h).
	Every time.Duration `yaml:"every"`
	// BuildCommand, optional, is the argv (no shell) of a local build of
	// one package; its elements may hold the placeholders {attr} and
	// {system} (see BuildPlaceholders). Empty: no local build probe.
	BuildCommand []string `yaml:"build_command"`
	// BuildDir is the nixpkgs checkout BuildCommand runs in; required with
	// BuildCommand.
	BuildDir string `yaml:"build_dir"`
	// BuildEnv are "NAME=value" entries added to BuildCommand's
	// environment.
	BuildEnv []string `yaml:"build_env"`
	// BuildTimeout bounds one local build (at least 1m).
	BuildTimeout time.Duration `yaml:"build_timeout"`
	// BuildSystems the local builder can build; empty: the host's own.
	BuildSystems []string `yaml:"build_systems"`
	// LogDir is where local build logs are kept; "" means probe-logs next
	// to state.path (see Config.ProbeLogDir).
	LogDir string `yaml:"log_dir"`
}

// The placeholders probe.build_command's elements may hold.
const (
	PlaceholderAttr   = "{attr}"
	PlaceholderSystem = "{system}"
)

// BuildPlaceholders are the placeholders probe.build_command accepts.
var BuildPlaceholders = []string{PlaceholderAttr, PlaceholderSystem}

// CompareConfig is one comparison markbot serve runs on each new finished
// evaluation of Head, posting the report on PostTo.
type CompareConfig struct {
	// Base and Head are "project/jobset" (Base is what Head is compared to).
	Base string `yaml:"base"`
	Head string `yaml:"head"`
	// PostTo is the pull request or issue the report goes on, "OWNER/REPO#N".
	PostTo string `yaml:"post_to"`
}

// StateConfig is markbot's database.
type StateConfig struct {
	// Path of the SQLite database.
	Path string `yaml:"path"`
}

// ServerConfig is markbot serve.
type ServerConfig struct {
	// Listen address, host:port.
	Listen string `yaml:"listen"`
	// CycleInterval between scheduled cycles, at least 5m.
	CycleInterval time.Duration `yaml:"cycle_interval"`
	// ResyncInterval is the longest a cycle trusts what the webhooks told
	// of markbot's pull requests instead of reading them again (0: read
	// every cycle; else at least 5m).
	ResyncInterval time.Duration `yaml:"resync_interval"`
	// MaxBodyBytes a webhook request may carry.
	MaxBodyBytes ByteSize `yaml:"max_body_bytes"`
	// PublicURL is where the server is reached from outside, for the
	// absolute links of its Atom feeds ("" = http://LISTEN/).
	PublicURL string `yaml:"public_url"`
}

// BaseURL is PublicURL, or http://LISTEN/ when it is not set, with a final
// "/".
func (s ServerConfig) BaseURL() string {
	u := s.PublicURL
	if u == "" {
		u = "http://" + s.Listen
	}
	return strings.TrimSuffix(u, "/") + "/"
}

// Defaults of keys that are not plain copies of other packages' defaults.
const (
	DefaultPackagesSource = "https://channels.nixos.org/nixpkgs-unstable/packages.json.br"
	DefaultAPIURL         = "https://api.github.com/"
	DefaultRepository     = "NixOS/nixpkgs"
	DefaultLabel          = "0.kind: build failure"
	DefaultStatePath      = "/var/lib/markbot/markbot.db"
	DefaultListen         = "127.0.0.1:8080"
)

// Default returns the configuration of an empty file with version: 1.
func Default() *Config {
	p := failures.DefaultPolicy()
	return &Config{
		Version: CurrentVersion,
		Hydra: HydraConfig{
			URL:               hydra.DefaultBaseURL,
			Jobset:            hydra.DefaultProject + "/" + hydra.DefaultJobset,
			RequestsPerSecond: 1,
			Read:              hydra.ReadPage,
			Evaluations:       p.Evaluations,
			ConfirmBuilds:     failures.DefaultConfirmBudget,
			IdleTimeout:       2 * time.Minute,
		},
		GitHub: GitHubConfig{
			APIURL:       DefaultAPIURL,
			Repository:   DefaultRepository,
			BaseBranch:   "master",
			BranchPrefix: "markbot/",
			Timeout:      time.Minute,
			Labels:       []string{DefaultLabel},
		},
		Packages: PackagesConfig{Source: DefaultPackagesSource, Refresh: 24 * time.Hour},
		Policy: PolicyConfig{
			Evaluations:       p.Evaluations,
			MinDays:           p.MinDays,
			MinDerivations:    p.MinDerivations,
			Statuses:          slices.Clone(p.OwnFailure),
			Systems:           slices.Clone(p.Systems),
			MassBreakageShare: p.MassBreakageShare,
			Allow:             []string{},
			Deny:              []string{},
			MaxMarkersPerPR:   10,
			MaxOpenPRs:        5,
			MaxReviewers:      15,
			Ping:              PingMaintainers,
			SkipAfterClose:    30 * 24 * time.Hour,
		},
		Probe: ProbeConfig{
			Every:        7 * 24 * time.Hour,
			BuildCommand: []string{},
			BuildEnv:     []string{},
			BuildTimeout: 3 * time.Hour,
			BuildSystems: []string{},
		},
		State: StateConfig{Path: DefaultStatePath},
		Server: ServerConfig{
			Listen:         DefaultListen,
			CycleInterval:  6 * time.Hour,
			ResyncInterval: 24 * time.Hour,
			MaxBodyBytes:   25 << 20,
		},
		Compare: []CompareConfig{},
		Watch:   []WatchConfig{},
	}
}

// An envVar overrides one key from the environment. An empty variable
// counts as unset.
type envVar struct {
	name, key string
	set       func(c *Config, v string) error
}

var envVars = []envVar{
	{"MARKBOT_GITHUB_APP_ID", "github.app_id", func(c *Config, v string) error { return setInt(&c.GitHub.AppID, v) }},
	{"MARKBOT_GITHUB_INSTALLATION_ID", "github.installation_id", func(c *Config, v string) error { return setInt(&c.GitHub.InstallationID, v) }},
	{"MARKBOT_GITHUB_PRIVATE_KEY_FILE", "github.private_key_file", func(c *Config, v string) error { c.GitHub.PrivateKeyFile = v; return nil }},
	{"MARKBOT_GITHUB_WEBHOOK_SECRET_FILE", "github.webhook_secret_file", func(c *Config, v string) error { c.GitHub.WebhookSecretFile = v; return nil }},
	{"MARKBOT_GITHUB_TOKEN", "github.token", func(c *Config, v string) error { c.GitHub.Token = Secret(strings.TrimSpace(v)); return nil }},
	{"MARKBOT_GITHUB_FORK_INSTALLATION_ID", "github.fork_installation_id", func(c *Config, v string) error { return setInt(&c.GitHub.ForkInstallationID, v) }},
	{"MARKBOT_GITHUB_FORK_TOKEN", "github.fork_token", func(c *Config, v string) error { c.GitHub.ForkToken = Secret(strings.TrimSpace(v)); return nil }},
	{"MARKBOT_STATE_PATH", "state.path", func(c *Config, v string) error { c.State.Path = v; return nil }},
	{"MARKBOT_HYDRA_URL", "hydra.url", func(c *Config, v string) error { c.Hydra.URL = v; return nil }},
}

func setInt(p *int64, v string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return fmt.Errorf("want an integer, got %s", quote(v))
	}
	*p = n
	return nil
}

// EnvVars lists the environment variables that override keys, in the
// order they are documented.
func EnvVars() []string {
	names := make([]string, len(envVars))
	for i, e := range envVars {
		names[i] = e.name
	}
	return names
}

// Load reads, decodes and validates the file at path, then applies the
// environment overrides (MARKBOT_*; see EnvVars). Relative file paths in
// the file (github.private_key_file, github.webhook_secret_file, a local
// packages.source, state.path, probe.build_dir, probe.log_dir) are taken
// relative to the file's directory; paths from the environment are used as
// given.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return parse(path, data, os.LookupEnv, filepath.Dir(path))
}

// Parse decodes and validates a markbot.yaml held in memory; name is used
// in error messages. It ignores the environment: Load applies it.
func Parse(name string, data []byte) (*Config, error) {
	return parse(name, data, nil, "")
}

// parse: defaults, then the file, then the environment (when lookupEnv is
// not nil), then derived defaults, then validation. baseDir, when not
// empty, anchors relative paths read from the file.
func parse(name string, data []byte, lookupEnv func(string) (string, bool), baseDir string) (*Config, error) {
	c := Default()
	c.source = name
	c.pos = map[string]string{}
	c.env = map[string]string{}
	d := &decoder{name: name, pos: c.pos}
	stop := d.decodeFile(data, c)
	if stop {
		return nil, joinErrors(d.errs)
	}
	if baseDir != "" {
		c.resolvePaths(baseDir)
	}
	if lookupEnv != nil {
		for _, e := range envVars {
			v, ok := lookupEnv(e.name)
			if !ok || v == "" {
				continue
			}
			c.env[e.key] = e.name
			if err := e.set(c, v); err != nil {
				d.errs = append(d.errs, &Error{Where: e.name, Key: e.key, Msg: err.Error()})
			}
		}
	}
	if _, ok := c.pos["hydra.evaluations"]; !ok {
		c.Hydra.Evaluations = c.Policy.Evaluations
	}
	errs := d.errs
	if err := c.Validate(); err == nil {
		c.applyWatch()
	} else {
		errs = append(errs, unjoin(err)...)
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	return c, nil
}

func (c *Config) resolvePaths(dir string) {
	for key, p := range map[string]*string{
		"github.private_key_file":    &c.GitHub.PrivateKeyFile,
		"github.webhook_secret_file": &c.GitHub.WebhookSecretFile,
		"packages.source":            &c.Packages.Source,
		"state.path":                 &c.State.Path,
		"probe.build_dir":            &c.Probe.BuildDir,
		"probe.log_dir":              &c.Probe.LogDir,
	} {
		if _, fromFile := c.pos[key]; !fromFile || *p == "" || filepath.IsAbs(*p) || isURL(*p) ||
			strings.ContainsAny(*p, "\n\r") {
			continue
		}
		*p = filepath.Join(dir, *p)
	}
}

// Source is the name of the file the config was read from ("" for one
// made with Default).
func (c *Config) Source() string { return c.source }

// UserAgent is markbot's User-Agent with hydra.contact added.
func (c *Config) UserAgent() string { return version.UserAgentWith(c.Hydra.Contact) }

// FailuresPolicy is the policy section as internal/failures takes it.
// Statuses 10 and 11 go both into OwnFailure and into the matching
// Include flag.
func (c *Config) FailuresPolicy() failures.Policy {
	p := c.Policy
	return failures.Policy{
		Evaluations:        p.Evaluations,
		MinDays:            p.MinDays,
		MinDerivations:     p.MinDerivations,
		OwnFailure:         slices.Clone(p.Statuses),
		IncludeLogLimit:    slices.Contains(p.Statuses, hydra.StatusLogLimitExceeded),
		IncludeOutputLimit: slices.Contains(p.Statuses, hydra.StatusOutputLimitExceeds),
		MassBreakageShare:  p.MassBreakageShare,
		Allow:              slices.Clone(p.Allow),
		Deny:               slices.Clone(p.Deny),
		Systems:            slices.Clone(p.Systems),
	}
}

// HydraOptions are the hydra.Client options the config decides (URL,
// User-Agent, rate, burst 1). The caller adds Logger and Progress.
func (c *Config) HydraOptions() hydra.Options {
	return hydra.Options{
		BaseURL:     c.Hydra.URL,
		Contact:     c.Hydra.Contact,
		Read:        c.Hydra.Read,
		UserAgent:   c.UserAgent(),
		Rate:        c.Hydra.RequestsPerSecond,
		Burst:       1,
		IdleTimeout: c.Hydra.IdleTimeout,
	}
}

// PackagesLoadOptions are the nixpkgs.Load options the config decides.
func (c *Config) PackagesLoadOptions() nixpkgs.LoadOptions {
	return nixpkgs.LoadOptions{UserAgent: c.UserAgent()}
}

// JobsetParts splits Jobset into project and jobset name.
func (h HydraConfig) JobsetParts() (project, jobset string) {
	project, jobset, _ = strings.Cut(h.Jobset, "/")
	return project, jobset
}

// ProbeJobsetParts splits HydraJobset; both are "" when it is not set.
func (p ProbeConfig) ProbeJobsetParts() (project, jobset string) {
	project, jobset, _ = strings.Cut(p.HydraJobset, "/")
	return project, jobset
}

// ProbeLogDir is where local build probes keep their logs: probe.log_dir,
// else the directory probe-logs next to state.path.
func (c *Config) ProbeLogDir() string {
	if c.Probe.LogDir != "" {
		return c.Probe.LogDir
	}
	return filepath.Join(filepath.Dir(c.State.Path), "probe-logs")
}

// RepositoryParts splits Repository into owner and name.
func (g GitHubConfig) RepositoryParts() (owner, repo string) {
	owner, repo, _ = strings.Cut(g.Repository, "/")
	return owner, repo
}

// HeadRepository is where branches are pushed: the fork when one is set
// (with Repository's name unless Fork names one), else Repository.
func (g GitHubConfig) HeadRepository() (owner, repo string) {
	owner, repo = g.RepositoryParts()
	if g.Fork == "" {
		return owner, repo
	}
	if o, r, ok := strings.Cut(g.Fork, "/"); ok {
		return o, r
	}
	return g.Fork, repo
}

// UsesApp reports whether markbot authenticates as the App: the App is
// configured and no personal token (MARKBOT_GITHUB_TOKEN) replaces it.
func (g GitHubConfig) UsesApp() bool { return g.HasApp() && !g.Token.IsSet() }

// ForkCredentialsError reports a fork markbot could not write to: with the
// App's credentials and github.fork, the branches need the App's
// installation on the fork's account (github.fork_installation_id) or a
// token for the fork (MARKBOT_GITHUB_FORK_TOKEN). GitHub's "Create an
// installation access token for an app": a token reaches only the
// repositories its installation was granted, and an installation is on one
// account; the upstream installation's token writing to the fork is
// answered 403 "Resource not accessible by integration". A personal token
// reaches both, as the update bot's does. Validate checks it for the
// credentials the config holds; markbot serve, which always acts as the
// App, checks it again after setting the personal token aside.
func (g GitHubConfig) ForkCredentialsError() error {
	if g.Fork == "" || !g.UsesApp() || g.ForkInstallationID != 0 || g.ForkToken.IsSet() {
		return nil
	}
	fo, fr := g.HeadRepository()
	return &Error{Key: "github.fork", Msg: fmt.Sprintf("markbot acts as the GitHub App, whose installation %d on %s "+
		"cannot write branches to %s/%s: an installation token reaches only its own installation's repositories, "+
		"and GitHub answers 403 \"Resource not accessible by integration\". Install the App on %s and set "+
		"github.fork_installation_id (or MARKBOT_GITHUB_FORK_INSTALLATION_ID) to that installation's id, or give a "+
		"token for the fork in MARKBOT_GITHUB_FORK_TOKEN, or leave github.fork empty to push to %s",
		g.InstallationID, strings.SplitN(g.Repository, "/", 2)[0], fo, fr, fo, g.Repository)}
}

// forkCredentials checks github.fork_installation_id and
// MARKBOT_GITHUB_FORK_TOKEN (Validate).
func (k *checker) forkCredentials() {
	g := k.c.GitHub
	if g.ForkInstallationID < 0 {
		k.fail("github.fork_installation_id", "must not be negative, got %d", g.ForkInstallationID)
	}
	if strings.ContainsFunc(g.ForkToken.Reveal(), unicode.IsSpace) {
		k.fail("github.fork_token", "contains white space (value not shown)")
	}
	switch {
	case g.ForkInstallationID != 0 && g.Fork == "":
		k.fail("github.fork_installation_id", "is set without github.fork: it is the App's installation on the fork's account; set github.fork or remove it")
	case g.ForkToken.IsSet() && g.Fork == "":
		k.fail("github.fork_token", "MARKBOT_GITHUB_FORK_TOKEN is set without github.fork: set github.fork or unset it")
	case g.ForkInstallationID != 0 && g.ForkToken.IsSet():
		k.fail("github.fork_installation_id", "and MARKBOT_GITHUB_FORK_TOKEN are both set: the fork's branches are written with one of them; remove one")
	case g.ForkInstallationID > 0 && !g.HasApp():
		k.fail("github.fork_installation_id", "needs the App (github.app_id, github.installation_id, github.private_key_file): it is an installation of that App")
	case g.ForkInstallationID > 0 && g.ForkInstallationID == g.InstallationID:
		fo, _ := g.HeadRepository()
		k.fail("github.fork_installation_id", "is github.installation_id (%d): an installation is on one account, and the fork's owner %s is not %s; give the App's installation on %s",
			g.InstallationID, fo, strings.SplitN(g.Repository, "/", 2)[0], fo)
	}
	if err := g.ForkCredentialsError(); err != nil {
		e := err.(*Error)
		k.fail(e.Key, "%s", e.Msg)
	}
}

// HasApp reports whether the GitHub App is configured.
func (g GitHubConfig) HasApp() bool {
	return g.AppID != 0 || g.InstallationID != 0 || g.PrivateKeyFile != ""
}

// RequireApp reports what markbot serve lacks: the App's id, installation
// id and key file, and the webhook secret file.
func (c *Config) RequireApp() error {
	var errs []error
	g := c.GitHub
	need := func(missing bool, key, env string) {
		if missing {
			errs = append(errs, &Error{Key: key, Msg: "required by markbot serve: set it in " +
				c.fileName() + " or " + env})
		}
	}
	need(g.AppID == 0, "github.app_id", "MARKBOT_GITHUB_APP_ID")
	need(g.InstallationID == 0, "github.installation_id", "MARKBOT_GITHUB_INSTALLATION_ID")
	need(g.PrivateKeyFile == "", "github.private_key_file", "MARKBOT_GITHUB_PRIVATE_KEY_FILE")
	need(g.WebhookSecretFile == "", "github.webhook_secret_file", "MARKBOT_GITHUB_WEBHOOK_SECRET_FILE")
	return joinErrors(errs)
}

// RequireAuth reports a config with no way to authenticate to GitHub:
// neither the App nor MARKBOT_GITHUB_TOKEN. When both are set, markbot run
// uses the token and markbot serve the App.
func (c *Config) RequireAuth() error {
	if c.GitHub.Token.IsSet() || c.GitHub.HasApp() {
		return nil
	}
	return &Error{Key: "github", Msg: "no GitHub credentials: set MARKBOT_GITHUB_TOKEN, or the App " +
		"(github.app_id, github.installation_id, github.private_key_file)"}
}

func (c *Config) fileName() string {
	if c.source == "" {
		return "markbot.yaml"
	}
	return c.source
}

// maxSecretFile bounds what ReadPrivateKey and ReadWebhookSecret read.
const maxSecretFile = 64 << 10

// SetLogger sets where warnings about the secret files go (default:
// logrus's standard logger).
func (c *Config) SetLogger(log logrus.FieldLogger) { c.log = log }

func (c *Config) logger() logrus.FieldLogger {
	if c.log == nil {
		return logrus.StandardLogger()
	}
	return c.log
}

// readSecretFile reads a secret from path, warning when others than its
// owner may read it.
func (c *Config) readSecretFile(key, env, path string) ([]byte, error) {
	if path == "" {
		return nil, &Error{Key: key, Msg: "not set (set it in markbot.yaml or " + env + ")"}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o044 != 0 {
		c.logger().WithFields(logrus.Fields{"key": key, "file": path, "mode": fmt.Sprintf("%04o", fi.Mode().Perm())}).
			Warn("a secret file is readable by its group or by others: only markbot's user should read it (chmod 600)")
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, maxSecretFile+1)); err != nil {
		return nil, fmt.Errorf("%s: reading %s: %w", key, path, err)
	}
	if buf.Len() > maxSecretFile {
		return nil, fmt.Errorf("%s: %s is larger than %d bytes", key, path, maxSecretFile)
	}
	return buf.Bytes(), nil
}

// ReadPrivateKey reads the App's PEM private key from
// github.private_key_file. Errors name the key and path, never the content;
// a file readable by its group or others is read with a warning.
func (c *Config) ReadPrivateKey() ([]byte, error) {
	path := c.GitHub.PrivateKeyFile
	b, err := c.readSecretFile("github.private_key_file", "MARKBOT_GITHUB_PRIVATE_KEY_FILE", path)
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(b, []byte("-----BEGIN ")) || !bytes.Contains(b, []byte("PRIVATE KEY-----")) {
		return nil, fmt.Errorf("github.private_key_file: %s holds no PEM private key (want the App's .pem file)", path)
	}
	return b, nil
}

// ReadWebhookSecret reads the webhook secret from
// github.webhook_secret_file, without trailing line ends. An empty secret,
// or one of white space only, is an error: GitHub's signature check is
// skipped with an empty one, and a blank one is guessed at once. A file
// readable by its group or others is read with a warning.
func (c *Config) ReadWebhookSecret() ([]byte, error) {
	path := c.GitHub.WebhookSecretFile
	b, err := c.readSecretFile("github.webhook_secret_file", "MARKBOT_GITHUB_WEBHOOK_SECRET_FILE", path)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimRight(b, "\r\n")
	if len(b) == 0 {
		return nil, fmt.Errorf("github.webhook_secret_file: %s is empty (an empty secret would disable signature checks)", path)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("github.webhook_secret_file: %s holds only white space (a blank secret is no secret)", path)
	}
	return b, nil
}
