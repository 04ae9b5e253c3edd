package nixedit

import (
	"strings"
	"testing"
)

// TestMarkAddsStdenv covers the ways nixpkgs files write their formals.
func TestMarkAddsStdenv(t *testing.T) {
	body := "buildPythonPackage {\n  pname = \"x\";\n  version = \"1\";\n  meta = {\n    description = \"x\";\n  };\n}\n"
	tests := []struct {
		name, formals, want string
	}{
		{"one per line, trailing commas", "{\n  lib,\n  buildPythonPackage,\n}:\n", "{\n  lib,\n  stdenv,\n  buildPythonPackage,\n}:\n"},
		{"one line", "{ lib, buildPythonPackage }:\n", "{ lib, stdenv, buildPythonPackage }:\n"},
		{"one line, no lib", "{ buildPythonPackage }:\n", "{ stdenv, buildPythonPackage }:\n"},
		{"no lib, one per line", "{\n  buildPythonPackage,\n}:\n", "{\n  stdenv,\n  buildPythonPackage,\n}:\n"},
		{"lib last without comma", "{ buildPythonPackage, lib }:\n", "{ buildPythonPackage, lib, stdenv }:\n"},
		{"lib last on its own line", "{\n  buildPythonPackage,\n  lib\n}:\n", "{\n  buildPythonPackage,\n  lib,\n  stdenv\n}:\n"},
		{"leading commas", "{ lib\n, buildPythonPackage\n}:\n", "{ lib\n, stdenv\n, buildPythonPackage\n}:\n"},
		{"ellipsis", "{ lib, buildPythonPackage, ... }:\n", "{ lib, stdenv, buildPythonPackage, ... }:\n"},
		{"at pattern", "args@{ lib, buildPythonPackage }:\n", "args@{ lib, stdenv, buildPythonPackage }:\n"},
	}
	m := Marker{Systems: []string{"x86_64-darwin"}, BuildURL: testBuild, Since: testSince}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.formals + body
			line := strings.Count(tt.formals, "\n") + 5
			out, err := Mark("f.nix", []byte(src), line, m)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(out), tt.want) {
				t.Fatalf("got\n%s\nwant formals\n%s", out, tt.want)
			}
			if !strings.Contains(string(out), ", added the stdenv argument\n") {
				t.Fatalf("the comment does not record the added argument:\n%s", out)
			}
		})
	}
}

// TestUnmarkKeepsStdenvInUse: when a human starts using the stdenv that
// Mark added, Unmark leaves the argument in place.
func TestUnmarkKeepsStdenvInUse(t *testing.T) {
	src := "{ lib, buildPythonPackage }:\nbuildPythonPackage {\n  pname = \"x\";\n  version = \"1\";\n  meta = {\n    description = \"x\";\n  };\n}\n"
	m := Marker{Systems: []string{"x86_64-darwin"}, BuildURL: testBuild, Since: testSince}
	out, err := Mark("f.nix", []byte(src), 6, m)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(out), "  version = \"1\";\n", "  version = \"1\";\n  doCheck = !stdenv.hostPlatform.isDarwin;\n", 1)
	back, err := Unmark("f.nix", []byte(edited), 7)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(back), "{ lib, stdenv, buildPythonPackage }:") || strings.Contains(string(back), "markbot") {
		t.Fatalf("got\n%s", back)
	}
}
