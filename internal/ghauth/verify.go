package ghauth

// The start-up check of the App's installations: that each configured
// installation id is the App's installation on the repository markbot
// writes to through it, with the permissions it writes with.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"

	"github.com/nixpkgs-markbot/markbot/internal/config"
	"github.com/nixpkgs-markbot/markbot/internal/version"
)

// need is one installation to check: where, which id, what it must write.
type need struct {
	key, owner, repo string
	id               int64
	perms            []string
}

// VerifyInstallations asks GitHub, as the App (its JWT), which of its
// installations reaches github.repository and github.fork
// (GET /repos/{owner}/{repo}/installation, "Get a repository installation
// for the authenticated app") and refuses a configuration whose
// installation ids are not those, or whose installations lack the
// permissions markbot writes with: pull_requests and issues upstream,
// contents where the branches go. It does nothing unless markbot acts as
// the App. Two requests at most, against the App's own rate limit.
func VerifyInstallations(ctx context.Context, cfg *config.Config) error {
	g := cfg.GitHub
	if !g.UsesApp() {
		return nil
	}
	if err := checkAPI(cfg); err != nil {
		return err
	}
	key, err := cfg.ReadPrivateKey()
	if err != nil {
		return err
	}
	atr, err := ghinstallation.NewAppsTransport(http.DefaultTransport, g.AppID, key)
	if err != nil {
		return fmt.Errorf("github.private_key_file %s: %w", g.PrivateKeyFile, err)
	}
	atr.BaseURL = strings.TrimSuffix(g.APIURL, "/")
	gh := github.NewClient(&http.Client{Transport: &uaTransport{base: atr}, Timeout: g.Timeout})
	if gh.BaseURL, err = url.Parse(g.APIURL); err != nil {
		return fmt.Errorf("github.api_url: %w", err)
	}
	gh.UserAgent = version.UserAgent()

	owner, repo := g.RepositoryParts()
	up := need{key: "github.installation_id", owner: owner, repo: repo, id: g.InstallationID,
		perms: []string{"pull_requests", "issues"}}
	needs := []need{up}
	if g.Fork == "" {
		needs[0].perms = append(needs[0].perms, "contents")
	} else if g.ForkInstallationID != 0 {
		fo, fr := g.HeadRepository()
		needs = append(needs, need{key: "github.fork_installation_id", owner: fo, repo: fr, id: g.ForkInstallationID,
			perms: []string{"contents"}})
	}
	var errs []error
	for _, n := range needs {
		inst, _, err := gh.Apps.FindRepositoryInstallation(ctx, n.owner, n.repo)
		var er *github.ErrorResponse
		switch {
		case errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound:
			errs = append(errs, fmt.Errorf("%s: the App (github.app_id %d) is not installed on %s/%s (GitHub answered 404 to GET /repos/%s/%s/installation): install it there, with access to that repository",
				n.key, g.AppID, n.owner, n.repo, n.owner, n.repo))
			continue
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: asking GitHub for the App's installation on %s/%s: %w", n.key, n.owner, n.repo, err))
			continue
		}
		if inst.GetID() != n.id {
			errs = append(errs, fmt.Errorf("%s is %d, but the App's installation on %s/%s is %d (account %s): set %d",
				n.key, n.id, n.owner, n.repo, inst.GetID(), inst.GetAccount().GetLogin(), inst.GetID()))
			continue
		}
		for _, p := range n.perms {
			if got := permission(inst.GetPermissions(), p); got != "write" {
				if got == "" {
					got = "none"
				}
				errs = append(errs, fmt.Errorf("%s: installation %d on %s/%s has %s permission %q; markbot needs \"write\" (accept the permission in the installation's settings)",
					n.key, n.id, n.owner, n.repo, p, got))
			}
		}
	}
	return errors.Join(errs...)
}

func permission(p *github.InstallationPermissions, name string) string {
	if p == nil {
		return ""
	}
	switch name {
	case "contents":
		return p.GetContents()
	case "issues":
		return p.GetIssues()
	case "pull_requests":
		return p.GetPullRequests()
	}
	return ""
}
