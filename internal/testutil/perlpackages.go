package testutil

import (
	"fmt"
	"strings"
)

// PerlPackages is a generated file shaped like nixpkgs'
// pkgs/top-level/perl-packages.nix (about 1.2 MB there): one attribute set
// defining n packages inline, each a buildPerlPackage call with its own
// meta, laid out as nixfmt writes it. Lines[i] is package i's meta.position
// line (its meta.description line, as nixpkgs computes it) and Attrs[i] its
// attribute ("perlPackages.Pkg0042").
type PerlPackages struct {
	Src   string
	Attrs []string
	Lines []int
}

// NewPerlPackages generates n packages (about 515 bytes each: 2100 make a
// file over 1 MiB, GitHub's inline limit for the contents API).
func NewPerlPackages(n int) PerlPackages {
	var b strings.Builder
	line := 1
	w := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		b.WriteString(s)
		line += strings.Count(s, "\n")
	}
	w("{\n  config,\n  lib,\n  stdenv,\n  fetchurl,\n  perl,\n  ...\n}:\n\nself:\n\nlet\n  inherit (self) buildPerlPackage;\nin\n{\n")
	p := PerlPackages{}
	for i := range n {
		name := fmt.Sprintf("Pkg%04d", i)
		w("\n  %s = buildPerlPackage {\n", name)
		w("    pname = \"Pkg-%04d\";\n    version = \"1.%d\";\n", i, i%97)
		w("    src = fetchurl {\n      url = \"mirror://cpan/authors/id/M/MA/MARKBOT/Pkg-%04d-1.%d.tar.gz\";\n", i, i%97)
		w("      hash = \"sha256-%043d=\";\n    };\n", i)
		w("    buildInputs = [ perl ];\n")
		w("    meta = {\n")
		p.Attrs = append(p.Attrs, "perlPackages."+name)
		p.Lines = append(p.Lines, line)
		w("      description = \"Generated package number %d, one of many in one file\";\n", i)
		w("      homepage = \"https://metacpan.org/dist/Pkg-%04d\";\n", i)
		w("      license = with lib.licenses; [\n        artistic1\n        gpl1Plus\n      ];\n")
		w("    };\n  };\n")
	}
	w("}\n")
	p.Src = b.String()
	return p
}
