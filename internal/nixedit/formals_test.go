package nixedit

import (
	"errors"
	"strings"
	"testing"
)

// TestMarkAddsStdenv covers the ways nixpkgs files write their formals.
func TestMarkAddsStdenv(t *testing.T) {
	body := "buildPythonPackage {\n  pname = \"x\";\n  version = \"1\";\n  meta = {\n    description = \"x\";\n  };\n}\n"
	// want is the formals as nixfmt prints them with stdenv (Pretty.hs,
	// `instance Pretty Parameter` and canFlattenAttrs; nixfmt's own cases
	// in test/diff/pattern/out.nix: `({ b, e, ... }: _)` stays on one line,
	// three arguments go one a line with trailing commas); refused, what a
	// refusal says for formals nixfmt never prints.
	tests := []struct {
		name, formals, want, refused string
	}{
		{"one per line, trailing commas", "{\n  lib,\n  buildPythonPackage,\n}:\n", "{\n  lib,\n  stdenv,\n  buildPythonPackage,\n}:\n", ""},
		{"one per line, a comment after lib", "{\n  lib, # the library\n  buildPythonPackage,\n}:\n", "{\n  lib, # the library\n  stdenv,\n  buildPythonPackage,\n}:\n", ""},
		{"one line, two arguments: one a line", "{ lib, buildPythonPackage }:\n", "{\n  lib,\n  stdenv,\n  buildPythonPackage,\n}:\n", ""},
		{"one line, one argument: stays", "{ buildPythonPackage }:\n", "{ stdenv, buildPythonPackage }:\n", ""},
		{"one line, lib alone", "{ lib }:\n", "{ lib, stdenv }:\n", ""},
		{"one line, lib and ellipsis", "{ lib, ... }:\n", "{ lib, stdenv, ... }:\n", ""},
		{"one line, ellipsis alone", "{ ... }:\n", "{ stdenv, ... }:\n", ""},
		{"empty", "{ }:\n", "{ stdenv }:\n", ""},
		{"no lib, one per line", "{\n  buildPythonPackage,\n}:\n", "{\n  stdenv,\n  buildPythonPackage,\n}:\n", ""},
		{"one line, lib last", "{ buildPythonPackage, lib }:\n", "{\n  buildPythonPackage,\n  lib,\n  stdenv,\n}:\n", ""},
		{"one line, two and ellipsis: one a line", "{ lib, buildPythonPackage, ... }:\n", "{\n  lib,\n  stdenv,\n  buildPythonPackage,\n  ...\n}:\n", ""},
		{"ellipsis after two", "{\n  lib,\n  buildPythonPackage,\n  ...\n}:\n", "{\n  lib,\n  stdenv,\n  buildPythonPackage,\n  ...\n}:\n", ""},
		{"at pattern", "args@{ lib, buildPythonPackage }:\n", "args@{\n  lib,\n  stdenv,\n  buildPythonPackage,\n}:\n", ""},
		{"lib last on its own line without comma", "{\n  buildPythonPackage,\n  lib\n}:\n", "", "no trailing comma"},
		{"leading commas", "{ lib\n, buildPythonPackage\n}:\n", "", "leading commas"},
		{"one line with a default", "{ lib, doCheck ? true }:\n", "", "at most two arguments without defaults"},
		{"one line, three arguments", "{ lib, fetchurl, buildPythonPackage }:\n", "", "at most two arguments"},
		{"tab-indented", "{\n\tlib,\n\tbuildPythonPackage,\n}:\n", "", "tabs"},
	}
	m := Marker{Systems: []string{"x86_64-darwin"}, BuildURL: testBuild, Since: testSince}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.formals + body
			line := strings.Count(tt.formals, "\n") + 5
			out, err := Mark("f.nix", []byte(src), line, m)
			if tt.refused != "" {
				var refused *RefusedError
				if !errors.As(err, &refused) || !strings.Contains(err.Error(), tt.refused) {
					t.Fatalf("Mark: %v, want refused (%q)", err, tt.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(out), tt.want) {
				t.Fatalf("got\n%s\nwant formals\n%s", out, tt.want)
			}
			note := ", added the stdenv argument\n"
			if !strings.Contains(tt.formals, "\n ") && strings.Contains(tt.want, "\n ") {
				note = ", added the stdenv argument, one argument a line\n"
			}
			if !strings.Contains(string(out), note) {
				t.Fatalf("the comment does not end in %q:\n%s", note, out)
			}
			back, err := Unmark("f.nix", out, line+strings.Count(tt.want, "\n")-strings.Count(tt.formals, "\n"))
			if err != nil || string(back) != src {
				t.Fatalf("Unmark: %v\n%s", err, back)
			}
		})
	}
}

// TestUnmarkKeepsStdenvInUse: when a human starts using the stdenv that
// Mark added, Unmark leaves the argument in place.
func TestUnmarkKeepsStdenvInUse(t *testing.T) {
	src := "{ lib, buildPythonPackage }:\nbuildPythonPackage {\n  pname = \"x\";\n  version = \"1\";\n  meta = {\n    description = \"x\";\n  };\n}\n"
	m := Marker{Systems: []string{"x86_64-darwin"}, BuildURL: testBuild, Since: testSince}
	out, line, err := markLine("f.nix", []byte(src), 6, m)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(out), "  version = \"1\";\n", "  version = \"1\";\n  doCheck = !stdenv.hostPlatform.isDarwin;\n", 1)
	back, err := Unmark("f.nix", []byte(edited), line+1)
	if err != nil {
		t.Fatal(err)
	}
	// The formals stay as Mark laid them out, one a line: nixfmt keeps
	// them so (the braces are on different lines).
	if !strings.HasPrefix(string(back), "{\n  lib,\n  stdenv,\n  buildPythonPackage,\n}:") || strings.Contains(string(back), "markbot") {
		t.Fatalf("got\n%s", back)
	}
}
