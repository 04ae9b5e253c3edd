package nixedit

import (
	"strings"
	"testing"
)

// TestBuildURLCredentials: a build URL carrying a user name, a password, a
// query or a fragment is refused by Validate, so by Mark and Narrow
// whoever calls them (the CLI, internal/prs), and the error does not
// repeat the password; a marker whose comment carries one is not taken for
// markbot's.
func TestBuildURLCredentials(t *testing.T) {
	src := []byte("{ lib, stdenv }:\nstdenv.mkDerivation {\n  pname = \"x\";\n  version = \"1\";\n  meta = {\n    description = \"x\";\n  };\n}\n")
	tests := []struct {
		url  string
		want string // "" = accepted
	}{
		{"https://hydra.nixos.org/build/312345678", ""},
		{"http://127.0.0.1:8081/build/1", ""},
		{"https://hydra.example.org/hydra/build/1", ""},
		{"https://user:s3cret@hydra.nixos.org/build/312345678", "carries a user name or password"},
		{"https://user@hydra.nixos.org/build/312345678", "carries a user name or password"},
		{"https://:s3cret@hydra.nixos.org/build/312345678", "carries a user name or password"},
		{"https://hydra.nixos.org/x?token=s3cret/build/1", "has a query or fragment"},
		{"https://hydra.nixos.org/x#s3cret/build/1", "has a query or fragment"},
		{"https://hydra.nixos.org/?/build/1", "has a query or fragment"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			m := Marker{BuildURL: tt.url, Since: testSince}
			err := m.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate: %v, want %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error repeats the secret: %v", err)
			}
			if _, err := Mark("x.nix", src, 6, m); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Mark: %v", err)
			}
			marked, line, err := markLine("x.nix", src, 6, Marker{BuildURL: testBuild, Since: testSince})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Narrow("x.nix", marked, line, Marker{Systems: []string{"x86_64-linux"}, BuildURL: tt.url}); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Narrow: %v", err)
			}
			if _, err := UnmarkExpecting("x.nix", marked, line, Marker{BuildURL: tt.url}); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("UnmarkExpecting: %v", err)
			}
			// A marker that names it (a human wrote it in): not markbot's.
			edited := strings.ReplaceAll(string(marked), testBuild, tt.url)
			if _, err := Unmark("x.nix", []byte(edited), line); outcome(err) != "human-changed" {
				t.Errorf("Unmark of a marker naming %s: %v", tt.url, err)
			}
		})
	}
}
