package version

import (
	"regexp"
	"testing"
)

func TestUserAgent(t *testing.T) {
	// hydra.nixos.org blocks Go's default User-Agent: markbot's names
	// itself, its version and where to learn more.
	re := regexp.MustCompile(`^markbot/\S+ \(\+https://github\.com/nixpkgs-markbot/markbot\)$`)
	if ua := UserAgent(); !re.MatchString(ua) {
		t.Fatalf("UserAgent() = %q", ua)
	}
	if String() == "" {
		t.Fatal("empty version")
	}
}
