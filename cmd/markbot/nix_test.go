package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `{ lib, stdenv, fetchurl }:

stdenv.mkDerivation (finalAttrs: {
  pname = "hello";
  version = "2.12.2";

  src = fetchurl {
    url = "mirror://gnu/hello/hello-${finalAttrs.version}.tar.gz";
    hash = "sha256-WpqZbcKSzCTc9BHO6H6S9qrluNE72caBm0x6nc4IGKs=";
  };

  meta = {
    description = "Program that produces a familiar, friendly greeting";
    license = lib.licenses.gpl3Plus;
  };
})
`

const build = "https://hydra.nixos.org/build/312345678"

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = realMain(args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeSample(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "package.nix")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNixMarkCLI(t *testing.T) {
	marked := strings.Replace(sample, "    license = lib.licenses.gpl3Plus;\n",
		"    license = lib.licenses.gpl3Plus;\n    # markbot: broken on x86_64-darwin, aarch64-darwin since 2026-11-25, "+build+" (log: "+build+"/log)\n    broken = stdenv.hostPlatform.isDarwin;\n", 1)
	const build2 = "https://hydra.nixos.org/build/312399999"
	narrowed := strings.Replace(sample, "    license = lib.licenses.gpl3Plus;\n",
		"    license = lib.licenses.gpl3Plus;\n    # markbot: broken on x86_64-darwin since 2026-11-25, "+build2+" (log: "+build2+"/log)\n    broken = stdenv.hostPlatform.system == \"x86_64-darwin\";\n", 1)
	tests := []struct {
		name     string
		content  string
		args     []string // FILE is replaced by the sample's path
		wantCode int
		wantOut  string // substring of stdout
		wantErr  string // substring of stderr
		wantFile string // the file afterwards ("" = unchanged)
	}{
		{"mark to stdout", sample, []string{"nix", "mark", "FILE:13", "--build", build, "--systems", "x86_64-darwin,aarch64-darwin", "--since", "2026-11-25"}, 0, marked, "", ""},
		{"flags first", sample, []string{"nix", "mark", "--build", build, "--systems", "aarch64-darwin,x86_64-darwin", "--since", "2026-11-25", "FILE:13"}, 0, marked, "", ""},
		{"mark in place", sample, []string{"nix", "mark", "FILE:13", "--build", build, "--systems", "x86_64-darwin,aarch64-darwin", "--since", "2026-11-25", "-w"}, 0, "", "", marked},
		{"mark diff", sample, []string{"nix", "mark", "FILE:13", "--build", build, "--since", "2026-11-25", "--diff"}, 0, "@@ -12,5 +12,7 @@\n   meta = {\n     description", "", ""},
		{"already broken", marked, []string{"nix", "mark", "FILE:13", "--build", build, "--systems", "aarch64-darwin", "-w"}, 3, "", "already marked broken: nothing to do", ""},
		{"unmark", marked, []string{"nix", "unmark", "FILE:13", "-w"}, 0, "", "", sample},
		{"unmark diff", marked, []string{"nix", "unmark", "FILE:13", "--diff"}, 0, "-    broken = stdenv.hostPlatform.isDarwin;\n", "", ""},
		{"not marked", sample, []string{"nix", "unmark", "FILE:13"}, 3, "", "not marked by markbot", ""},
		{"human changed", strings.Replace(marked, "broken = stdenv.hostPlatform.isDarwin", "broken = true", 1), []string{"nix", "unmark", "FILE:13", "-w"}, 4, "", "changed by a human", ""},
		{"narrow", marked, []string{"nix", "narrow", "FILE:13", "--systems", "x86_64-darwin", "--build", build2, "-w"}, 0, "", "", narrowed},
		{"narrow diff", marked, []string{"nix", "narrow", "FILE:13", "--systems", "x86_64-darwin", "--build", build2, "--diff"}, 0, "+    broken = stdenv.hostPlatform.system == \"x86_64-darwin\";\n", "", ""},
		{"narrow adds a system", marked, []string{"nix", "narrow", "FILE:13", "--systems", "x86_64-linux", "--build", build2, "-w"}, 1, "", "narrowing cannot add a system", ""},
		{"narrow not marked", sample, []string{"nix", "narrow", "FILE:13", "--systems", "x86_64-darwin", "--build", build2}, 3, "", "not marked by markbot", ""},
		{"narrow without systems", marked, []string{"nix", "narrow", "FILE:13", "--build", build2}, exitUsage, "", "--systems and --build are required", ""},
		{"refused opt-out", "# markbot: ignore\n" + sample, []string{"nix", "mark", "FILE:14", "--build", build, "-w"}, 4, "", "opts out", ""},
		{"bad URL", sample, []string{"nix", "mark", "FILE:13", "--build", "nope", "-w"}, 1, "", "not a Hydra build URL", ""},
		{"unknown system", sample, []string{"nix", "mark", "FILE:13", "--build", build, "--systems", "x86_64-windows", "-w"}, 1, "", `unknown system "x86_64-windows"`, ""},
		{"line out of range", sample, []string{"nix", "mark", "FILE:99", "--build", build, "-w"}, 1, "", "line 99 is out of range", ""},
		{"line without position", sample, []string{"nix", "mark", "FILE:7", "--build", build, "-w"}, 1, "", "line 7 holds no meta.description", ""},
		{"parse error", "{ a = ; }", []string{"nix", "mark", "FILE:1", "--build", build, "-w"}, 1, "", "package.nix:1:7: unexpected ';'", ""},
		{"not FILE:LINE", sample, []string{"nix", "mark", "FILE", "--build", build}, 1, "", "is not FILE:LINE", ""},
		{"missing build", sample, []string{"nix", "mark", "FILE:13"}, exitUsage, "", "--build URL is required", ""},
		{"-w and --diff", sample, []string{"nix", "mark", "FILE:13", "--build", build, "-w", "--diff"}, exitUsage, "", "exclude each other", ""},
		{"check ok", sample, []string{"nix", "check", "FILE"}, 0, "", "", ""},
		{"check bad", "{ a = 1;\n", []string{"nix", "check", "FILE"}, 1, "package.nix:2:1: unexpected end of file, expecting '}'", "1 of 1 files failed", ""},
		{"unreadable", sample, []string{"nix", "mark", "FILE.missing:3", "--build", build}, 1, "", "no such file or directory", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeSample(t, tt.content)
			args := make([]string, len(tt.args))
			for i, a := range tt.args {
				args[i] = strings.Replace(a, "FILE", path, 1)
			}
			code, stdout, stderr := run(t, args...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.wantOut) {
				t.Errorf("stdout\n%s\nwant it to contain\n%s", stdout, tt.wantOut)
			}
			if !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr %q, want it to contain %q", stderr, tt.wantErr)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.wantFile
			if want == "" {
				want = tt.content
			}
			if string(got) != want {
				t.Errorf("file afterwards:\n%s\nwant\n%s", got, want)
			}
			// -w leaves no temporary files behind.
			entries, _ := os.ReadDir(filepath.Dir(path))
			if len(entries) != 1 {
				t.Errorf("%d files in the directory after the run, want 1", len(entries))
			}
		})
	}
}

func TestUsage(t *testing.T) {
	if code, _, stderr := run(t); code != exitUsage || !strings.Contains(stderr, "nix") {
		t.Errorf("no arguments: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := run(t, "frobnicate"); code != exitUsage || !strings.Contains(stderr, "unknown command") {
		t.Errorf("unknown command: exit %d, stderr %q", code, stderr)
	}
}

// TestExamples: every bundled example parses, and the README's first
// command marks the sample package.
func TestExamples(t *testing.T) {
	const hello = "../../examples/nixpkgs/pkgs/by-name/he/hello/package.nix"
	code, stdout, stderr := run(t, "nix", "mark", hello+":35", "--build", build, "--systems", "x86_64-darwin,aarch64-darwin", "--diff")
	if code != exitOK || !strings.Contains(stdout, "+    broken = stdenv.hostPlatform.isDarwin;") {
		t.Fatalf("README command: exit %d\n%s\n%s", code, stdout, stderr)
	}
	var files []string
	filepath.WalkDir("../../examples", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".nix") {
			files = append(files, p)
		}
		return nil
	})
	if code, stdout, _ := run(t, append([]string{"nix", "check"}, files...)...); code != exitOK {
		t.Fatalf("examples do not parse:\n%s", stdout)
	}
}

// TestNixHostileFiles: files that used to hang or exhaust memory end with
// an answer: /dev/zero at the size limit (it was read until the kernel
// killed markbot), 100,000 selectors in linear time (it took minutes).
func TestNixHostileFiles(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err == nil {
		code, stdout, _ := run(t, "nix", "check", "/dev/zero")
		if code != exitError || !strings.Contains(stdout, "/dev/zero: larger than markbot's limit for a Nix file (64 MiB") {
			t.Errorf("check /dev/zero: exit %d, %q", code, stdout)
		}
		code, _, stderr := run(t, "nix", "mark", "/dev/zero:1", "--build", build)
		if code != exitError || !strings.Contains(stderr, "/dev/zero: larger than markbot's limit") {
			t.Errorf("mark /dev/zero: exit %d, %q", code, stderr)
		}
	}
	p := writeSample(t, "a"+strings.Repeat(".b", 100000)+"\n")
	if code, stdout, stderr := run(t, "nix", "check", p); code != exitOK {
		t.Errorf("check 100,000 selectors: exit %d\n%s%s", code, stdout, stderr)
	}
}
