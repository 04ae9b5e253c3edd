// Package ghauth builds markbot's authenticated GitHub clients from its
// configuration: a plain token (for `markbot run` by hand) or the GitHub
// App's installation (for the App), against api.github.com or any API URL;
// and, for a fork under App credentials, the client of the fork's own
// installation or token (see Clients).
package ghauth

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"

	"github.com/nixpkgs-markbot/markbot/internal/config"
	"github.com/nixpkgs-markbot/markbot/internal/version"
)

// Client returns the go-github client for github.repository (see Clients;
// the fork's client, if any, is not built).
func Client(cfg *config.Config, wrap func(http.RoundTripper) http.RoundTripper) (*github.Client, error) {
	if err := checkAPI(cfg); err != nil {
		return nil, err
	}
	return build(cfg, upstreamCredential(cfg), wrap)
}

// Clients returns the go-github clients markbot acts through: upstream for
// github.repository (pull requests, labels, reviews, comments, reads), and
// fork for writing branches, trees and commits to github.fork when that
// takes other credentials, nil when upstream's reach the fork too.
//
// A token from the environment (MARKBOT_GITHUB_TOKEN) wins over the App;
// with neither, the client is anonymous (reads only). A personal token
// reaches both repositories, as the update bot's does, so fork is nil
// unless MARKBOT_GITHUB_FORK_TOKEN is set. Under the App, an installation
// token reaches only its installation's repositories (GitHub's "Create an
// installation access token for an app"), so the fork's branches go
// through github.fork_installation_id or MARKBOT_GITHUB_FORK_TOKEN; a
// configuration with neither is refused here, before any request
// (config.GitHubConfig.ForkCredentialsError). A plain-http API URL is
// refused unless its host is a loopback address written literally or
// github.insecure_http is set (GitHubConfig.PlainHTTPError). wrap, if not
// nil, wraps the transport that API requests go through (above the App's
// token requests): a dry run passes a read-only wrapper.
func Clients(cfg *config.Config, wrap func(http.RoundTripper) http.RoundTripper) (upstream, fork *github.Client, err error) {
	if err := checkAPI(cfg); err != nil {
		return nil, nil, err
	}
	if err := cfg.GitHub.ForkCredentialsError(); err != nil {
		return nil, nil, err
	}
	upstream, err = build(cfg, upstreamCredential(cfg), wrap)
	if err != nil {
		return nil, nil, err
	}
	if c, ok := forkCredential(cfg); ok {
		if fork, err = build(cfg, c, wrap); err != nil {
			return nil, nil, err
		}
	}
	return upstream, fork, nil
}

// credential is how one client authenticates: a token, an installation of
// the App, or nothing.
type credential struct {
	token        config.Secret
	installation int64
	// key names the setting the credential comes from, for errors.
	key string
}

func upstreamCredential(cfg *config.Config) credential {
	g := cfg.GitHub
	switch {
	case g.Token.IsSet():
		return credential{token: g.Token, key: "MARKBOT_GITHUB_TOKEN"}
	case g.HasApp():
		return credential{installation: g.InstallationID, key: "github.installation_id"}
	}
	// Anonymous: enough for reads of a public repository (a dry run);
	// callers that write check config.RequireAuth first.
	return credential{}
}

// forkCredential is the fork's own credential, if it takes one.
func forkCredential(cfg *config.Config) (credential, bool) {
	g := cfg.GitHub
	switch {
	case g.Fork == "":
		return credential{}, false
	case g.ForkToken.IsSet():
		return credential{token: g.ForkToken, key: "MARKBOT_GITHUB_FORK_TOKEN"}, true
	case g.UsesApp() && g.ForkInstallationID != 0:
		return credential{installation: g.ForkInstallationID, key: "github.fork_installation_id"}, true
	}
	return credential{}, false // a personal token (or nothing) serves the fork too
}

// checkAPI checks github.api_url before any credential is read.
func checkAPI(cfg *config.Config) error {
	api, err := url.Parse(cfg.GitHub.APIURL)
	if err != nil || (api.Scheme != "https" && api.Scheme != "http") || api.Host == "" || !strings.HasSuffix(api.Path, "/") {
		return fmt.Errorf("github.api_url %q: want an http(s) URL ending in /", cfg.GitHub.APIURL)
	}
	// Config.Validate refuses this already; a URL set after it (markbot
	// compare --github-api) is checked here, before any credential is read.
	return cfg.GitHub.PlainHTTPError()
}

func build(cfg *config.Config, c credential, wrap func(http.RoundTripper) http.RoundTripper) (*github.Client, error) {
	api, _ := url.Parse(cfg.GitHub.APIURL) // checkAPI parsed it
	base := http.DefaultTransport
	rt := base
	if !c.token.IsSet() && c.installation != 0 {
		key, err := cfg.ReadPrivateKey()
		if err != nil {
			return nil, err
		}
		itr, err := ghinstallation.New(base, cfg.GitHub.AppID, c.installation, key)
		if err != nil {
			// The error names the problem with the key, never its content.
			return nil, fmt.Errorf("github.private_key_file %s: %w", cfg.GitHub.PrivateKeyFile, err)
		}
		itr.BaseURL = strings.TrimSuffix(api.String(), "/")
		rt = itr
	}
	rt = &uaTransport{base: rt}
	if wrap != nil {
		rt = wrap(rt)
	}
	gh := github.NewClient(&http.Client{Transport: rt, Timeout: cfg.GitHub.Timeout})
	if c.token.IsSet() {
		gh = gh.WithAuthToken(c.token.Reveal())
	}
	gh.BaseURL = api
	gh.UserAgent = version.UserAgent()
	return gh, nil
}

// uaTransport sets markbot's User-Agent on requests that lack one (the
// App's token requests go through ghinstallation, not go-github).
type uaTransport struct{ base http.RoundTripper }

func (t *uaTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("User-Agent") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("User-Agent", version.UserAgent())
	}
	return t.base.RoundTrip(r)
}
