// Package ghauth builds markbot's authenticated GitHub client from its
// configuration: a plain token (for `markbot run` by hand) or the GitHub
// App's installation (for the App), against api.github.com or any API URL.
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

// Client returns a go-github client for cfg. A token from the environment
// wins over the App (see config); with neither, the client is anonymous.
// A plain-http API URL is refused unless its host is a loopback address
// written literally or github.insecure_http is set (GitHubConfig.PlainHTTPError).
// wrap, if not nil, wraps the transport
// that API requests go through (above the App's token requests): a dry run
// passes a read-only wrapper.
func Client(cfg *config.Config, wrap func(http.RoundTripper) http.RoundTripper) (*github.Client, error) {
	base := http.DefaultTransport
	api, err := url.Parse(cfg.GitHub.APIURL)
	if err != nil || (api.Scheme != "https" && api.Scheme != "http") || api.Host == "" || !strings.HasSuffix(api.Path, "/") {
		return nil, fmt.Errorf("github.api_url %q: want an http(s) URL ending in /", cfg.GitHub.APIURL)
	}
	// Config.Validate refuses this already; a URL set after it (markbot
	// compare --github-api) is checked here, before any credential is read.
	if err := cfg.GitHub.PlainHTTPError(); err != nil {
		return nil, err
	}
	rt := base
	switch {
	case cfg.GitHub.Token.IsSet():
		// go-github's WithAuthToken below.
	case cfg.GitHub.HasApp():
		key, err := cfg.ReadPrivateKey()
		if err != nil {
			return nil, err
		}
		itr, err := ghinstallation.New(base, cfg.GitHub.AppID, cfg.GitHub.InstallationID, key)
		if err != nil {
			// The error names the problem with the key, never its content.
			return nil, fmt.Errorf("github.private_key_file %s: %w", cfg.GitHub.PrivateKeyFile, err)
		}
		itr.BaseURL = strings.TrimSuffix(api.String(), "/")
		rt = itr
	default:
		// Anonymous: enough for reads of a public repository (a dry run);
		// callers that write check config.RequireAuth first.
	}
	rt = &uaTransport{base: rt}
	if wrap != nil {
		rt = wrap(rt)
	}
	c := github.NewClient(&http.Client{Transport: rt, Timeout: cfg.GitHub.Timeout})
	if cfg.GitHub.Token.IsSet() {
		c = c.WithAuthToken(cfg.GitHub.Token.Reveal())
	}
	c.BaseURL = api
	c.UserAgent = version.UserAgent()
	return c, nil
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
