package config

import (
	"strings"
	"testing"
)

func TestWatch(t *testing.T) {
	t.Parallel()
	// No watch: the one implicit mark entry.
	c, err := Parse("m.yaml", []byte("version: 1\nhydra:\n  jobset: nixpkgs/trunk\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ws := c.Watched(); len(ws) != 1 || ws[0].Role != RoleMark || ws[0].Name() != "nixpkgs/trunk" || ws[0].Hydra != "https://hydra.nixos.org" {
		t.Errorf("implicit entry: %+v", ws)
	}
	// The mark entry becomes hydra.url and hydra.jobset; overrides apply.
	c, err = Parse("m.yaml", []byte(`version: 1
watch:
  - jobset: nixpkgs/unstable
    role: mark
  - jobset: cuda/release
    hydra: https://hydra.nixos-cuda.org
    role: report
    policy: {min_days: 3, systems: [x86_64-linux]}
    job_prefix: cuda.
`))
	if err != nil {
		t.Fatal(err)
	}
	ws := c.Watched()
	if c.Hydra.Jobset != "nixpkgs/unstable" || len(ws) != 2 || ws[1].Hydra != "https://hydra.nixos-cuda.org" || ws[1].Policy.MinDays != 3 ||
		len(ws[1].Policy.Systems) != 1 || ws[0].Policy.MinDays != 14 || ws[1].Policy.JobPrefix != "cuda." || ws[0].Policy.JobPrefix != "" {
		t.Errorf("watched %+v, hydra.jobset %s", ws, c.Hydra.Jobset)
	}
	for _, tt := range []struct{ yaml, want string }{
		{"watch:\n  - {jobset: a/b, role: mark}\n  - {jobset: c/d, role: mark}\n", "watch[1].role: at most one watched jobset may have role \"mark\""},
		{"watch:\n  - {jobset: a/b, role: marker}\n", `watch[0].role: want "mark" or "report", got "marker"`},
		{"watch:\n  - {role: report}\n", "watch[0].jobset: required"},
		{"watch:\n  - {jobset: a/b}\n", "watch[0].role: required"},
		{"watch:\n  - {jobset: a/b, role: report}\n  - {jobset: a/b, role: report}\n", "watch[1]: watches the same jobset as watch[0]"},
		{"hydra:\n  jobset: nixpkgs/trunk\nwatch:\n  - {jobset: a/b, role: mark}\n", "watch[0].jobset: is the mark entry, but hydra.jobset says \"nixpkgs/trunk\""},
		{"watch:\n  - {jobset: a/b, role: report, hydra: ftp://x}\n", "watch[0].hydra: want an http(s) URL"},
		{"watch:\n  - {jobset: a/b, role: report, policy: {mass_breakage_share: 2}}\n", "watch[0].policy"},
		{"watch:\n  - {jobset: a/b, role: report, policy: {systems: [mips-linux]}}\n", "watch[0].policy"},
		{"watch:\n  - {jobset: a/b, role: report, job_prefix: cuda}\n", `watch[0].job_prefix: "cuda" is not an attribute path followed by a dot`},
		{"watch:\n  - {jobset: a/b, role: report, job_prefix: ..}\n", `watch[0].job_prefix`},
		{"watch:\n  - {jobset: a/b, role: mark, job_prefix: x.}\n", "watch[0].job_prefix: is for report entries"},
	} {
		_, err := Parse("m.yaml", []byte("version: 1\n"+tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.yaml, err, tt.want)
		}
	}
}
