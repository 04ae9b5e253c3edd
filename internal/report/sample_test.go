package report

import (
	"testing"
	"time"
)

// Test fixtures: a small site holding every case the pages and feeds
// show, and strings from Hydra and nixpkgs that try to break out of HTML,
// attributes, URLs and XML.

var (
	t0 = time.Date(2026, 11, 2, 6, 30, 0, 0, time.UTC)
	// hostile is an attribute name no real nixpkgs has, but Hydra and the
	// index hand markbot whatever strings they hold.
	hostileAttr = `evil<script>alert(1)</script>"]]>'&`
	hostileName = `x"><img src=x onerror=alert(2)>]]>`
	hostileWho  = `Mallory <script>alert(3)</script> "]]>`
	goodRev     = "1111111111111111111111111111111111111111"
	badRev      = "2222222222222222222222222222222222222222"
)

const hydraURL = "https://hydra.nixos.org"

func sampleJobsets() []Jobset {
	return []Jobset{
		{Hydra: hydraURL, Project: "nixpkgs", Name: "unstable", Role: RoleMark, Eval: 1810042, EvalTime: t0.Add(48 * time.Hour),
			Revision: "3333333333333333333333333333333333333333", Jobs: 250000},
		{Hydra: hydraURL, Project: "nixpkgs", Name: "staging-next", Role: RoleReport, Eval: 1810040, EvalTime: t0.Add(40 * time.Hour), Jobs: 249000},
		{Hydra: hydraURL, Project: "nixos", Name: "release-24.05", Role: RoleReport, Error: `Hydra answered 502 <b>Bad Gateway</b>`},
	}
}

func sampleFailures() []Failure {
	hello := Failure{Jobset: "nixpkgs/unstable", Attr: "hello", Name: "hello-2.12.1",
		Systems: []string{"x86_64-linux", "aarch64-darwin"}, Since: t0,
		BrokeBetween: NewRange(goodRev, badRev, 42),
		Builds:       []Build{HydraBuild(hydraURL, "x86_64-linux", 312345678), HydraBuild(hydraURL, "aarch64-darwin", 312345679)},
		Maintainers:  []string{"alice"}, Teams: []string{"gnome"},
		PR:     &PRRef{Number: 4242, URL: "https://github.com/NixOS/nixpkgs/pull/4242", Kind: "mark", State: "open"},
		Marker: &MarkerRef{State: "proposed"}}
	requests := Failure{Jobset: "nixpkgs/unstable", Attr: "python313Packages.requests", Name: "python3.13-requests-2.32.3",
		Systems: []string{"x86_64-linux"}, Since: t0.Add(-10 * 24 * time.Hour),
		Builds:      []Build{HydraBuild(hydraURL, "x86_64-linux", 312340000)},
		Maintainers: []string{"bob", "alice"},
		PR:          &PRRef{Number: 4200, URL: "https://github.com/NixOS/nixpkgs/pull/4200", Kind: "mark", State: "merged"},
		Marker:      &MarkerRef{State: "merged", LastProbe: t0.Add(24 * time.Hour), ProbeResult: "still fails on x86_64-linux"}}
	orphan := Failure{Jobset: "nixpkgs/unstable", Attr: "orphan", Systems: []string{"aarch64-linux"}, Since: t0,
		Builds:  []Build{HydraBuild(hydraURL, "aarch64-linux", 312345000)},
		Refused: "refused (build 312345000, 2026-11-01): " + hostileWho}
	evil := Failure{Jobset: "nixpkgs/staging-next", Attr: hostileAttr, Name: hostileName,
		Systems: []string{"x86_64-linux"}, Since: t0,
		Builds:      []Build{{System: "x86_64-linux", BuildURL: "javascript:alert(4)", LogURL: "https://hydra.nixos.org/build/1/log?a=\"b\"&c=<d>"}},
		Maintainers: []string{"mallory", "not a login", "alice"}, Teams: []string{"Not A Slug"},
		Marker: &MarkerRef{State: "merged", LastProbe: t0, ProbeResult: hostileWho}}
	helloStaging := hello
	helloStaging.Jobset, helloStaging.PR, helloStaging.Marker, helloStaging.BrokeBetween = "nixpkgs/staging-next", nil, nil, nil
	helloStaging.Systems = []string{"x86_64-linux"}
	helloStaging.Builds = []Build{HydraBuild(hydraURL, "x86_64-linux", 312399999)}
	return []Failure{requests, hello, orphan, evil, helloStaging}
}

// sampleSite is the small site of the golden files. Its feed comes from
// two runs: "gone" failed in the first and builds again in the second.
func sampleSite(t testing.TB) *Site {
	t.Helper()
	site := &Site{
		Generated: t0.Add(50 * time.Hour),
		BaseURL:   "https://example.org/report/",
		Jobsets:   sampleJobsets(),
		Maintainers: []Maintainer{
			{Login: "alice", Name: "Alice Liddell"}, {Login: "bob", Name: "Bob"}, {Login: "carol", Name: "Carol"},
			{Login: "mallory", Name: hostileWho}, {Login: "bad login!", Name: "ignored"},
		},
		Teams: []Team{{Slug: "gnome", Name: "GNOME <team>", Members: []string{"alice", "bob", "dave"}}, {Slug: "empty", Name: "Nobody"}},
	}
	first := *site
	first.Generated = t0.Add(26 * time.Hour)
	first.Failures = append(sampleFailures(), Failure{Jobset: "nixpkgs/unstable", Attr: "gone", Systems: []string{"x86_64-linux"},
		Since: t0.Add(-20 * 24 * time.Hour), Maintainers: []string{"alice"}, Builds: []Build{HydraBuild(hydraURL, "x86_64-linux", 312000000)}})
	prev := Track(nil, &first, first.Generated)
	site.Failures = sampleFailures()
	site.Feed = Track(prev, site, site.Generated)
	if err := site.Validate(); err != nil {
		t.Fatal(err)
	}
	return site
}
