package prs

import (
	"strings"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/nixedit"
)

// A marker whose date a human changed to another valid date is theirs:
// the file alone cannot tell, what state says markbot wrote can.
func TestUnmarkRefusesAnEditedDate(t *testing.T) {
	const src = "{ stdenv, lib }:\nstdenv.mkDerivation {\n  pname = \"foo\";\n  version = \"1\";\n  meta = {\n    description = \"foo\";\n  };\n}\n"
	marked, err := nixedit.Mark("foo.nix", []byte(src), 6, nixedit.Marker{BuildURL: "https://hydra.nixos.org/build/1", Since: "2026-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	unmark := Change{Kind: KindUnmark, File: "foo.nix", Line: 6, Attrs: []string{"foo"}, Since: since}
	for _, tt := range []struct {
		name, file string
		want       Outcome
	}{
		{"as markbot wrote it", string(marked), OutcomeIncluded},
		{"its date changed", strings.Replace(string(marked), "2026-01-01", "2026-01-02", 1), OutcomeHumanChanged},
	} {
		_, results := applyEdits(Batch{Kind: KindUnmark, Changes: []Change{unmark}}, map[string]string{"foo.nix": tt.file})
		if got := results[0].Outcome; got != tt.want {
			t.Errorf("%s: %s (%s), want %s", tt.name, got, results[0].Reason, tt.want)
		}
	}
}
