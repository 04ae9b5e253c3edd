// Package demo is markbot's offline demonstration: a Hydra history over
// the bundled sample nixpkgs tree (examples/), served by the fake Hydra,
// and the fake GitHub seeded with that tree. The end-to-end tests of
// `markbot run` use the same world.
package demo

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/nixpkgs-markbot/markbot/examples"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
)

// Start is the time of the first evaluation (2026-10-26); evaluations
// follow every five days.
const Start = int64(1793000000)

const day = 86400

// Systems are the systems the demo's Hydra builds for.
var Systems = []string{"x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"}

// Attrs returns the attribute paths of the sample packages index, sorted.
func Attrs() ([]string, error) {
	data, err := fs.ReadFile(examples.FS, "packages.json")
	if err != nil {
		return nil, err
	}
	var index struct {
		Packages map[string]json.RawMessage `json:"packages"`
	}
	if err := json.Unmarshal(data, &index); err != nil {
		return nil, fmt.Errorf("examples/packages.json: %w", err)
	}
	attrs := make([]string, 0, len(index.Packages))
	for a := range index.Packages {
		attrs = append(attrs, a)
	}
	sort.Strings(attrs)
	return attrs, nil
}

// status says how attr builds on system in evaluation e (0 = oldest):
// the Hydra build status and the derivation's version (a new version is a
// new derivation). The story:
//   - cmatrix, figlet, sl (one maintainer set): failing everywhere, on two
//     derivations: marked together in one pull request;
//   - pv: failing on both darwins only: broken = stdenv.hostPlatform.isDarwin;
//   - python312/313Packages.requests (one file, no stdenv argument):
//     failing on x86_64-linux: one change, stdenv added;
//   - python312Packages.httpx failing while python313Packages.httpx builds:
//     the shared file must not be marked;
//   - lzip flaky (a success in between), units failing only through a
//     dependency (status 2), fd aborted (3): never marked;
//   - everything else building.
//
// The evaluations are of commits of the demo's repository (World), and
// after the newest one figlet's file gains MovedLines lines above its
// position on master: its marker goes where the derivation is on master.
func status(attr, system string, e int) (int, int) {
	darwin := strings.HasSuffix(system, "darwin")
	switch attr {
	case "cmatrix", "figlet", "sl":
		return 1, min(e, 1)
	case "pv":
		if darwin {
			return 1, min(e, 1)
		}
	case "python312Packages.requests", "python313Packages.requests":
		if system == "x86_64-linux" {
			return 6, min(e, 1)
		}
	case "python312Packages.httpx":
		if system == "x86_64-linux" {
			return 1, min(e, 1)
		}
	case "lzip":
		return []int{1, 0, 1, 1}[e], e
	case "units":
		return 2, e
	case "fd":
		return 3, 0
	}
	return 0, 0
}

// Evaluations is how many evaluations History has.
const Evaluations = 4

// FirstEval is the id of the oldest evaluation.
const FirstEval = 1820000

// History returns the master jobset's history (nixpkgs/unstable) over the
// sample tree: four evaluations, five days apart, with build logs for the
// failures (HistoryAt without revisions).
func History() (*hydratest.Static, error) { return HistoryAt(nil, nil) }

// TarballBuild is the id of the first evaluation's tarball build (the
// others follow).
const TarballBuild = 299000000

// HistoryAt is History with, for each evaluation e, a succeeded tarball job
// build (nixpkgs' make-tarball.nix, as hydratest models it) of revision
// revisions[e] whose packages.json.br compresses packagesJSON: what the
// locate step reads. No revisions: no tarball builds. (The evaluations'
// own nixpkgs inputs are hydratest's; World gives them the revisions.)
func HistoryAt(revisions []string, packagesJSON []byte) (*hydratest.Static, error) {
	if len(revisions) != 0 && len(revisions) != Evaluations {
		return nil, fmt.Errorf("demo: %d revisions for %d evaluations", len(revisions), Evaluations)
	}
	attrs, err := Attrs()
	if err != nil {
		return nil, err
	}
	id := int64(300000000)
	s := hydratest.NewStatic("nixpkgs", "unstable")
	builds := map[string]*hydratest.Build{} // Hydra reuses the build of an unchanged derivation
	for e := 0; e < Evaluations; e++ {
		ts := Start + int64(e)*5*day
		var members []*hydratest.Build
		for _, attr := range attrs {
			for _, sys := range Systems {
				st, v := status(attr, sys, e)
				key := fmt.Sprint(attr, sys, v, st)
				b, ok := builds[key]
				if !ok {
					id++
					drv := fmt.Sprintf("%032x-%s-%d", id, strings.ReplaceAll(attr, ".", "-"), v)
					b = hydratest.B(id, attr+"."+sys, sys, st, drv, ts, ts+600)
					if st == 1 || st == 6 {
						b.Log = buildLog(attr, sys)
					}
					builds[key] = b
				}
				members = append(members, b)
			}
		}
		if len(revisions) > 0 {
			members = append(members, hydratest.NewTarballBuild(hydratest.TarballSpec{ID: int64(TarballBuild + e), Revision: revisions[e],
				Time: ts - 3600, Packages: packagesJSON, Project: "nixpkgs", Jobset: "unstable"}))
		}
		s.AddEval(int64(FirstEval+e), ts, members...)
		if len(revisions) > 0 {
			s.SetRevision(int64(FirstEval+e), revisions[e]).SetPackagesOnly(int64(FirstEval+e), packagesJSON)
		}
	}
	return s, nil
}

func buildLog(attr, system string) string {
	name := attr[strings.LastIndex(attr, ".")+1:]
	return fmt.Sprintf(`building '/nix/store/…-%[1]s.drv' on %[2]s...
Running phase: unpackPhase
Running phase: configurePhase
Running phase: buildPhase
build flags: SHELL=/nix/store/…-bash-5.2p37/bin/bash
%[1]s.c: In function 'main':
%[1]s.c:42:5: error: implicit declaration of function 'gets' [-Wimplicit-function-declaration]
make: *** [Makefile:21: %[1]s.o] Error 1
error: builder for '/nix/store/…-%[1]s.drv' failed with exit code 2
`, name, system)
}

// SeedFiles returns the sample nixpkgs tree as path → content, to seed
// the fake GitHub.
func SeedFiles() (map[string]string, error) {
	files := map[string]string{}
	err := fs.WalkDir(examples.FS, "nixpkgs", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(examples.FS, path)
		if err != nil {
			return err
		}
		files[strings.TrimPrefix(path, "nixpkgs/")] = string(data)
		return nil
	})
	return files, err
}

// PackagesJSON returns the sample packages index.
func PackagesJSON() ([]byte, error) { return fs.ReadFile(examples.FS, "packages.json") }
