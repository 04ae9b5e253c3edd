package prs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/nixedit"
)

// netkit is two derivations in one file (lines 18/29 and 35/46: pname and
// description), the shape whose positions must not slip onto the other.
const netkit = `{ lib, stdenv, fetchurl }:

let
  version = "4.2.1";
  src = fetchurl {
    url = "https://downloads.example.org/netkit/netkit-${version}.tar.gz";
    hash = "sha256-2oF9tnaRT5C5kB17wQH5Vm0J0ATOauFcRb1ehr1sayw=";
  };
in
{
  # The FTP client.
  #
  #
  #
  #
  #
  netkit-ftp = stdenv.mkDerivation {
    pname = "netkit-ftp";
    inherit version src;

    sourceRoot = "netkit-${version}/ftp";

    buildInputs = [ ];

    installFlags = [ "PREFIX=$(out)" ];

    meta = {
      mainProgram = "ftp";
      description = "Classic BSD FTP client";
      license = lib.licenses.bsdOriginal;
    };
  };

  netkit-telnet = stdenv.mkDerivation {
    pname = "netkit-telnet";
    inherit version src;
    sourceRoot = "netkit-${version}/telnet";

    buildInputs = [ ];

    installFlags = [ "PREFIX=$(out)" ];
    doCheck = false;

    meta = {
      mainProgram = "telnet";
      description = "Classic BSD telnet client";
      license = lib.licenses.bsdOriginal;
    };
  };
}
`

const ftpLine, telnetLine = 29, 46 // the descriptions

func TestCarryPosition(t *testing.T) {
	if l := strings.Split(netkit, "\n"); !strings.Contains(l[ftpLine-1], "FTP client") || !strings.Contains(l[telnetLine-1], "telnet client") {
		t.Fatal("the fixture's lines moved")
	}
	replace := func(old, new string) string {
		if !strings.Contains(netkit, old) {
			t.Fatalf("no %q in the fixture", old)
		}
		return strings.Replace(netkit, old, new, 1)
	}
	ptr := func(s string) *string { return &s }
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		name    string
		atRev   *string
		atBase  *string
		line    int
		want    int
		outcome Outcome
		reason  string
	}{
		{name: "identical", atRev: ptr(netkit), atBase: ptr(netkit), line: ftpLine, want: ftpLine, outcome: OutcomeIncluded},
		{name: "lines inserted above", atRev: ptr(netkit), atBase: ptr(replace("{ lib, stdenv, fetchurl }:", "{\n  lib,\n  stdenv,\n  fetchurl,\n}:")),
			line: telnetLine, want: telnetLine + 4, outcome: OutcomeIncluded},
		{name: "lines removed above", atRev: ptr(netkit), atBase: ptr(replace("  #\n  #\n  #\n", "")),
			line: telnetLine, want: telnetLine - 3, outcome: OutcomeIncluded},
		{name: "the derivation edited elsewhere", atRev: ptr(netkit), atBase: ptr(replace(`    buildInputs = [ ];

    installFlags = [ "PREFIX=$(out)" ];

    meta`, `    buildInputs = [ lib.ncurses ];
    makeFlags = [ "CC=cc" ];

    installFlags = [ "PREFIX=$(out)" ];

    meta`)), line: ftpLine, want: ftpLine + 1, outcome: OutcomeIncluded},
		{name: "inherit pname is an identity too", atRev: ptr(strings.Replace(netkit, `pname = "netkit-ftp";`, "inherit pname;", 1)),
			atBase: ptr(strings.Replace(replace("  # The FTP client.\n", ""), `pname = "netkit-ftp";`, "inherit pname;", 1)),
			line:   ftpLine, want: ftpLine - 1, outcome: OutcomeIncluded},
		{name: "position line changed", atRev: ptr(netkit), atBase: ptr(replace(`"Classic BSD FTP client"`, `"BSD FTP client"`)),
			line: ftpLine, outcome: OutcomeMoved, reason: "moved between evaluation 0123456789ab and base: line 29 (`description = \"Classic BSD FTP client\";`) was changed on the base branch"},
		{name: "renamed", atRev: ptr(netkit), atBase: ptr(replace(`pname = "netkit-ftp";`, `pname = "inetutils-ftp";`)),
			line: ftpLine, outcome: OutcomeMoved, reason: `moved between evaluation 0123456789ab and base: the derivation at line 29 has pname = "netkit-ftp", the one at line 29 on the base branch pname = "inetutils-ftp"`},
		{name: "replaced", atRev: ptr(netkit), atBase: ptr(replace(`    meta = {
      mainProgram = "ftp";
      description = "Classic BSD FTP client";`, `    meta = {
      mainProgram = "ftp";
      homepage = "https://example.org";`)),
			line: ftpLine, outcome: OutcomeMoved, reason: "was changed on the base branch"},
		{name: "the line lands on the other derivation", atRev: ptr(netkit),
			atBase: ptr(replace(`      description = "Classic BSD FTP client";
      license = lib.licenses.bsdOriginal;
    };
  };

  netkit-telnet = stdenv.mkDerivation {
    pname = "netkit-telnet";`, `      description = "Classic BSD FTP client";
      license = lib.licenses.bsdOriginal;
    };
  };

  netkit-telnet = stdenv.mkDerivation {
    pname = "netkit-telnetd";`)), line: telnetLine, outcome: OutcomeMoved, reason: `pname = "netkit-telnet", the one at line 46 on the base branch pname = "netkit-telnetd"`},
		{name: "no pname or name", atRev: ptr(strings.ReplaceAll(netkit, `pname = "netkit-ftp";`, "")),
			atBase: ptr(strings.ReplaceAll(replace("  #\n", ""), `pname = "netkit-ftp";`, "")),
			line:   ftpLine, outcome: OutcomeMoved, reason: "has no pname or name binding"},
		{name: "deleted on the base branch", atRev: ptr(netkit), atBase: nil, line: ftpLine, outcome: OutcomeMoved,
			reason: "moved between evaluation 0123456789ab and base: pkgs/netkit.nix is not on the base branch any more"},
		{name: "not at the evaluated revision", atRev: nil, atBase: ptr(netkit), line: ftpLine, outcome: OutcomeFailed, reason: "not in the evaluated revision 0123456789ab"},
		{name: "stale position at the revision", atRev: ptr(netkit), atBase: ptr(replace("  #\n", "")), line: 4, outcome: OutcomeFailed, reason: "holds no meta.description"},
		{name: "the base does not parse", atRev: ptr(netkit), atBase: ptr(replace("  #\n", "") + "}"), line: ftpLine, outcome: OutcomeFailed, reason: "at the base commit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, outcome, reason := carryPosition("pkgs/netkit.nix", tc.atRev, tc.atBase, tc.line, rev)
			if outcome != tc.outcome || (outcome == OutcomeIncluded && got != tc.want) || !strings.Contains(reason, tc.reason) {
				t.Fatalf("carryPosition = %d, %s, %q; want %d, %s, %q", got, outcome, reason, tc.want, tc.outcome, tc.reason)
			}
			if outcome != OutcomeIncluded {
				return
			}
			// The carried line is the derivation's position at the base.
			f, err := nixedit.Parse("pkgs/netkit.nix", []byte(*tc.atBase))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.Locate(got); err != nil {
				t.Errorf("line %d at base: %v", got, err)
			}
		})
	}
}

// TestPublishCarriesPositions: changes located in the evaluated revision's
// index, published after master moved on: a file with lines inserted above
// the derivation is edited at the mapped line (and the marker recorded
// there), a renamed derivation and a deleted file are skipped as moved, an
// identical file is edited as before, and a revision GitHub does not know
// falls back to the base commit's positions.
func TestPublishCarriesPositions(t *testing.T) {
	f := newFixture(t, nil)
	evaluated, ok := f.srv.Ref("master")
	if !ok {
		t.Fatal("no master")
	}
	read := func(p string) string {
		b, err := os.ReadFile(filepath.Join("testdata/nixpkgs", p))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	const (
		hello  = "pkgs/by-name/he/hello/package.nix"
		nk     = "pkgs/tools/networking/netkit/default.nix"
		fzf    = "pkgs/by-name/fz/fzf/package.nix"
		aiogr  = "pkgs/development/python-modules/aiogram/default.nix"
		header = "# A comment a human added on master,\n# after the evaluation.\n"
	)
	helloNow := header + read(hello)
	netkitNow := strings.Replace(read(nk), `pname = "netkit-ftp";`, `pname = "inetutils-ftp";`, 1)
	netkitNow = strings.Replace(netkitNow, "  ncurses,\n", "  ncurses,\n  zlib,\n", 1)
	if _, err := f.srv.Commit("master", "a human moves things", map[string]*string{hello: &helloNow, nk: &netkitNow, fzf: nil}); err != nil {
		t.Fatal(err)
	}
	changes := seedChanges()
	var keep []Change
	for _, c := range changes {
		c.Maintainers, c.Teams, c.Revision = nil, nil, evaluated
		switch c.File {
		case hello, nk, fzf, aiogr:
			keep = append(keep, c)
		}
	}
	for i := range keep {
		if keep[i].File == aiogr { // at a revision GitHub has no commit for
			keep[i].Revision = strings.Repeat("f", 40)
		}
	}

	res := f.mustPublish(keep, nil)
	want := map[string]struct {
		outcome Outcome
		line    int
		reason  string
	}{
		"hello":                     {OutcomeIncluded, 54, ""},
		"netkit-telnet":             {OutcomeIncluded, 53, ""},
		"netkit-ftp":                {OutcomeMoved, 0, `the derivation at line 30 has pname = "netkit-ftp", the one at line 31 on the base branch pname = "inetutils-ftp"`},
		"fzf":                       {OutcomeMoved, 0, "pkgs/by-name/fz/fzf/package.nix is not on the base branch any more"},
		"python312Packages.aiogram": {OutcomeIncluded, 78, ""},
	}
	for _, c := range res.Changes {
		w, ok := want[c.Attrs[0]]
		if !ok {
			t.Errorf("unexpected change %v", c.Attrs)
			continue
		}
		if c.Outcome != w.outcome || (w.line != 0 && c.Line != w.line) || !strings.Contains(c.Reason, w.reason) {
			t.Errorf("%s: %s at line %d (%s); want %s at %d (%s)", c.Attrs[0], c.Outcome, c.Line, c.Reason, w.outcome, w.line, w.reason)
		}
		if c.Outcome == OutcomeMoved && !strings.HasPrefix(c.Reason, "moved between evaluation "+evaluated[:12]+" and base: ") {
			t.Errorf("%s: reason %q", c.Attrs[0], c.Reason)
		}
	}
	if len(res.PRs) != 1 || res.PRs[0].Status != StatusOpened {
		t.Fatalf("PRs: %+v", res.PRs)
	}
	pr := res.PRs[0]
	// The branch's files are what marking the base commit's files at the
	// carried lines gives.
	for file, edits := range map[string][]struct {
		line int
		url  string
	}{hello: {{54, hydraBuild("312000001")}}, nk: {{53, hydraBuild("312000005")}}} {
		got, err := f.srv.File(pr.Branch, file)
		if err != nil {
			t.Fatal(err)
		}
		base, _ := f.srv.File("master", file)
		wantFile := base
		for _, e := range edits {
			if wantFile, err = nixedit.Mark(file, wantFile, e.line, nixedit.Marker{BuildURL: e.url, Since: since.Format("2006-01-02")}); err != nil {
				t.Fatal(err)
			}
		}
		if string(got) != string(wantFile) {
			t.Errorf("%s on the branch:\n%s\nwant:\n%s", file, got, wantFile)
		}
	}
	for attr, line := range map[string]int{"hello": 54, "netkit-telnet": 53, "python312Packages.aiogram": 78} {
		m, ok, err := f.st.LiveMarker(context.Background(), attr)
		if err != nil || !ok || m.Line != line {
			t.Errorf("marker %s: %+v %v %v, want line %d", attr, m, ok, err, line)
		}
	}
	var sb strings.Builder
	res.WriteSummary(&sb)
	if !strings.Contains(sb.String(), "skipped fzf: moved between evaluation") {
		t.Errorf("summary:\n%s", sb.String())
	}
}

// TestAdoptedCarriedMarker: a PR whose creation's answer was lost is
// adopted by the next run from a change whose position is the evaluated
// revision's: the marker is recorded at the base line its branch used.
func TestAdoptedCarriedMarker(t *testing.T) {
	f := newFixture(t, nil)
	evaluated, _ := f.srv.Ref("master")
	const hello = "pkgs/by-name/he/hello/package.nix"
	old, err := f.srv.File("master", hello)
	if err != nil {
		t.Fatal(err)
	}
	now := "# moved\n# down\n# three lines\n" + string(old)
	if _, err := f.srv.Commit("master", "move hello", map[string]*string{hello: &now}); err != nil {
		t.Fatal(err)
	}
	change := helloChange()
	change[0].Revision = evaluated
	f.srv.Inject(githubtest.Fault{Method: "POST", Path: "repos/*/*/pulls", Kind: githubtest.ServerError, After: true})
	if _, err := f.publish(change, nil); err == nil {
		t.Fatal("no error")
	}
	res := f.mustPublish(change, nil)
	if res.Changes[0].Outcome != OutcomeCovered || len(res.Finished) != 1 {
		t.Fatalf("rerun: %+v, finished %v", res.Changes, res.Finished)
	}
	m, ok, err := f.st.LiveMarker(context.Background(), "hello")
	if err != nil || !ok || m.Line != change[0].Line+3 || m.PR != 1 {
		t.Errorf("marker %+v %v %v, want line %d of PR #1", m, ok, err, change[0].Line+3)
	}
}
