package nixpkgs

import (
	"context"
	"reflect"
	"testing"
)

func TestNormalizeAndParsePosition(t *testing.T) {
	tests := []struct {
		in, strip string
		norm      string
		file      string
		line      int
		ok        bool
	}{
		{"pkgs/by-name/he/hello/package.nix:45", "", "pkgs/by-name/he/hello/package.nix:45", "pkgs/by-name/he/hello/package.nix", 45, true},
		{"/nix/store/0a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p-source/pkgs/a/default.nix:3", "", "pkgs/a/default.nix:3", "pkgs/a/default.nix", 3, true},
		{"/nix/store/xyz-nixpkgs/nixos/modules/x.nix:1", "", "nixos/modules/x.nix:1", "nixos/modules/x.nix", 1, true},
		{"/home/me/nixpkgs/pkgs/a.nix:7", "/home/me/nixpkgs/", "pkgs/a.nix:7", "pkgs/a.nix", 7, true},
		{"/home/me/nixpkgs/pkgs/a.nix:7", "/home/me/nixpkgs", "pkgs/a.nix:7", "pkgs/a.nix", 7, true},
		{"pkgs/a.nix:7:9", "", "pkgs/a.nix:7:9", "pkgs/a.nix", 7, true},
		{"pkgs/a.nix", "", "pkgs/a.nix", "", 0, false},
		{"pkgs/a.nix:0", "", "pkgs/a.nix:0", "", 0, false},
		{"pkgs/a.nix:-3", "", "pkgs/a.nix:-3", "", 0, false},
		{":5", "", ":5", "", 0, false},
		{"/nix/store/nohash", "", "/nix/store/nohash", "", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			norm := NormalizePosition(tc.in, tc.strip)
			if norm != tc.norm {
				t.Fatalf("NormalizePosition = %q, want %q", norm, tc.norm)
			}
			f, l, ok := ParsePosition(norm)
			if f != tc.file || l != tc.line || ok != tc.ok {
				t.Fatalf("ParsePosition = %q, %d, %v", f, l, ok)
			}
		})
	}
}

func TestAttrFromJob(t *testing.T) {
	tests := []struct {
		job, system, want string
		ok                bool
	}{
		{"python313Packages.requests.aarch64-darwin", "aarch64-darwin", "python313Packages.requests", true},
		{"python313Packages.requests.aarch64-darwin", "", "python313Packages.requests", true},
		{"hello.x86_64-linux", "x86_64-linux", "hello", true},
		{"hello.x86_64-linux", "aarch64-linux", "", false},
		{"nixpkgs.hello.x86_64-linux", "x86_64-linux", "hello", true},
		{"nixos.tests.firefox.x86_64-linux", "x86_64-linux", "", false},
		{"tested", "", "", false},
		{"x86_64-linux", "x86_64-linux", "", false},
		{".x86_64-linux", "x86_64-linux", "", false},
		{"a..b.x86_64-linux", "", "", false},
		{"haskellPackages.aeson.riscv64-linux", "", "haskellPackages.aeson", true},
		{"foo.bar.baz-os", "baz-os", "foo.bar", true},
	}
	for _, tc := range tests {
		got, ok := AttrFromJob(tc.job, tc.system)
		if got != tc.want || ok != tc.ok {
			t.Errorf("AttrFromJob(%q, %q) = %q, %v; want %q, %v", tc.job, tc.system, got, ok, tc.want, tc.ok)
		}
	}
}

func TestGroupByPosition(t *testing.T) {
	ix, err := Load(context.Background(), fixture, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := ix.GroupByPosition([]string{
		"python313Packages.requests", "hello", "python312Packages.requests", "nope", "nometa", "weird", "hello",
	})
	want := Grouping{
		Groups: []Group{
			{File: "pkgs/by-name/he/hello/package.nix", Line: 45, Attrs: []string{"hello"}},
			{File: "pkgs/development/python-modules/requests/default.nix", Line: 80, Attrs: []string{"python312Packages.requests", "python313Packages.requests"}},
		},
		Unknown:    []string{"nope"},
		NoPosition: []string{"nometa", "weird"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}
