// Package version holds markbot's version and the identity it presents to
// the services it talks to (the User-Agent).
package version

import "runtime/debug"

// version is set at link time with
// -ldflags "-X github.com/nixpkgs-markbot/markbot/internal/version.version=v1.2.3";
// otherwise it is read from the module's build information.
var version = ""

// ProjectURL is where operators of Hydra or GitHub can learn who is calling.
const ProjectURL = "https://github.com/nixpkgs-markbot/markbot"

// String returns markbot's version.
func String() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// UserAgent is the User-Agent header markbot sends: name, version, project
// URL.
func UserAgent() string { return UserAgentWith("") }

// UserAgentWith is UserAgent with the operator's contact (an e-mail or
// URL) added to its comment: "markbot/1.2 (+https://…; ops@example.org)".
func UserAgentWith(contact string) string {
	ua := "markbot/" + String() + " (+" + ProjectURL
	if contact != "" {
		ua += "; " + contact
	}
	return ua + ")"
}
