// Step 4, the URL and file layout shared by WriteSite and Handler, and
// parsing a request path into a route (fuzzed: any path either routes to
// a valid name or is not found).
//
// Every page is a file named like its URL with ".html", so the static site
// works from any web server, from GitHub Pages (which also answers the
// URL without ".html") and from disk; Handler answers both forms:
//
//	/                              index.html          the watched jobsets
//	/maintainers/                  maintainers/index.html  every login
//	/maintainers/{login}           maintainers/{login}.html
//	/maintainers/{login}.atom      maintainers/{login}.atom
//	/teams/                        teams/index.html    every team
//	/teams/{slug}                  teams/{slug}.html
//	/teams/{slug}.atom             teams/{slug}.atom
//	/jobsets/{project}/{jobset}    jobsets/{project}/{jobset}.html
//	/assets/style.css, /assets/filter.js
//	(anything else)                404.html, with status 404
//
// A login is [A-Za-z0-9-]{1,39}, a slug as ValidSlug, a project and jobset
// as Hydra allows; anything else is not found, so no name can reach
// another path. Pages link relatively (href="../teams/gnome.html"), so the
// site works under any prefix.

package report

import "strings"

// routeKind says what a path shows.
type routeKind int

const (
	routeNone routeKind = iota
	routeIndex
	routeMaintainers // the list of logins
	routeMaintainer  // a login's page
	routeMaintainerFeed
	routeTeams
	routeTeam
	routeTeamFeed
	routeJobset
	routeAsset
	routeDirRedirect // "/maintainers" → "maintainers/"
)

// route is a parsed path: what it shows, and the names in it.
type route struct {
	kind routeKind
	a, b string // login, slug, asset name; project and jobset
}

// assets are the static files under assets/.
var assetTypes = map[string]string{
	"style.css": "text/css; charset=utf-8",
	"filter.js": "text/javascript; charset=utf-8",
}

// parseRoute maps a request path (already unescaped, as url.URL.Path) to
// a route; routeNone is "not found".
func parseRoute(path string) route {
	switch path {
	case "/", "/index.html":
		return route{kind: routeIndex}
	case "/maintainers/", "/maintainers/index.html":
		return route{kind: routeMaintainers}
	case "/teams/", "/teams/index.html":
		return route{kind: routeTeams}
	case "/maintainers", "/teams":
		return route{kind: routeDirRedirect, a: path[1:]}
	}
	rest, ok := strings.CutPrefix(path, "/")
	if !ok {
		return route{}
	}
	dir, name, ok := strings.Cut(rest, "/")
	if !ok {
		return route{}
	}
	switch dir {
	case "maintainers", "teams":
		valid, page, feed := ValidLogin, routeMaintainer, routeMaintainerFeed
		if dir == "teams" {
			valid, page, feed = ValidSlug, routeTeam, routeTeamFeed
		}
		if n, ok := strings.CutSuffix(name, ".atom"); ok && valid(n) {
			return route{kind: feed, a: n}
		}
		name = strings.TrimSuffix(name, ".html")
		if valid(name) {
			return route{kind: page, a: name}
		}
	case "jobsets":
		project, jobset, ok := strings.Cut(name, "/")
		if !ok || !projectRE.MatchString(project) {
			return route{}
		}
		// A jobset may be called "x.html": the exact name is tried first
		// (by the caller, who knows the jobsets), so both are returned.
		if jobsetRE.MatchString(jobset) {
			return route{kind: routeJobset, a: project, b: jobset}
		}
	case "assets":
		if _, ok := assetTypes[name]; ok {
			return route{kind: routeAsset, a: name}
		}
	}
	return route{}
}

// File names of the static site (slash-separated, relative to its root).
func maintainerFile(login string) string { return "maintainers/" + login + ".html" }
func maintainerFeedFile(login string) string {
	return "maintainers/" + login + ".atom"
}
func teamFile(slug string) string     { return "teams/" + slug + ".html" }
func teamFeedFile(slug string) string { return "teams/" + slug + ".atom" }
func jobsetFile(j *Jobset) string     { return "jobsets/" + j.Project + "/" + j.Name + ".html" }

// rootOf is the relative path from file back to the site's root ("",
// "../", "../../").
func rootOf(file string) string { return strings.Repeat("../", strings.Count(file, "/")) }
