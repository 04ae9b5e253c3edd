package config

// Tests of durations, byte sizes, probe paths and the probe and compare
// values.

import (
	"reflect"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "6h", want: 6 * time.Hour},
		{in: "90m", want: 90 * time.Minute},
		{in: "1h30m", want: 90 * time.Minute},
		{in: "14d", want: 14 * 24 * time.Hour},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "1.5d", want: 36 * time.Hour},
		{in: "0d", want: 0},
		{in: "0", want: 0},
		{in: "-2d", want: -48 * time.Hour},
		{in: "d", bad: true},
		{in: ".5d", bad: true},
		{in: "5.d", bad: true},
		{in: "1e3d", bad: true},
		{in: "1h2d", bad: true},
		{in: "2d-1h", bad: true},
		{in: "2dd", bad: true},
		{in: "14 days", bad: true},
		{in: "", bad: true},
		{in: "3600", bad: true},
		{in: "999999999d", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("ParseDuration(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
	for _, d := range []time.Duration{0, time.Nanosecond, 90 * time.Minute, 6 * time.Hour, 36 * time.Hour,
		30 * 24 * time.Hour, -24 * time.Hour, 25*time.Hour + time.Second} {
		back, err := ParseDuration(FormatDuration(d))
		if err != nil || back != d {
			t.Errorf("FormatDuration(%v) = %q reads back as %v, %v", d, FormatDuration(d), back, err)
		}
	}
	if got := FormatDuration(6 * time.Hour); got != "6h" {
		t.Errorf("FormatDuration(6h) = %q", got)
	}
}

func TestParseByteSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want ByteSize
		bad  bool
	}{
		{in: "26214400", want: 25 << 20},
		{in: "25MiB", want: 25 << 20},
		{in: "512 KiB", want: 512 << 10},
		{in: "1GiB", want: 1 << 30},
		{in: "100B", want: 100},
		{in: "25MB", bad: true},
		{in: "MiB", bad: true},
		{in: "+5", bad: true},
		{in: "1.5MiB", bad: true},
		{in: "99999999999GiB", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseByteSize(tt.in)
		if tt.bad != (err != nil) || (!tt.bad && got != tt.want) {
			t.Errorf("ParseByteSize(%q) = %v, %v", tt.in, got, err)
		}
	}
	if s := ByteSize(25 << 20).String(); s != "25MiB" {
		t.Errorf("String() = %q", s)
	}
}

// TestProbePaths: probe.build_dir and probe.log_dir from the file are
// relative to it; ProbeLogDir defaults to probe-logs next to state.path.
func TestProbePaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml     string
		buildDir, logs string
	}{
		{"defaults", "version: 1\n", "", "/var/lib/markbot/probe-logs"},
		{"default log dir follows state.path", "version: 1\nstate:\n  path: db/markbot.db\n", "", "/etc/markbot/db/probe-logs"},
		{"relative", "version: 1\nprobe:\n  build_command: [nix-build, -A, '{attr}']\n  build_dir: nixpkgs\n  log_dir: logs\n",
			"/etc/markbot/nixpkgs", "/etc/markbot/logs"},
		{"absolute", "version: 1\nprobe:\n  build_command: [nix-build, -A, '{attr}']\n  build_dir: /srv/nixpkgs\n  log_dir: /var/log/markbot\n",
			"/srv/nixpkgs", "/var/log/markbot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parse("/etc/markbot/markbot.yaml", []byte(tt.yaml), nil, "/etc/markbot")
			if err != nil {
				t.Fatal(err)
			}
			if c.Probe.BuildDir != tt.buildDir || c.ProbeLogDir() != tt.logs {
				t.Errorf("build_dir %q, ProbeLogDir %q; want %q, %q", c.Probe.BuildDir, c.ProbeLogDir(), tt.buildDir, tt.logs)
			}
		})
	}
}

// TestProbeAndCompareValues: valid probe and compare sections decode to
// the values given.
func TestProbeAndCompareValues(t *testing.T) {
	t.Parallel()
	c, err := Parse("m.yaml", []byte(`version: 1
probe:
  hydra_jobset: nixpkgs/unstable-allow-broken
  every: 1d
  build_command: [nix-build, --no-out-link, -A, "{attr}", --argstr, system, "{system}"]
  build_dir: /srv/nixpkgs
  build_env: [NIXPKGS_ALLOW_BROKEN=1, "X=a=b", "EMPTY="]
  build_timeout: 1m
  build_systems: [aarch64-linux]
compare:
  - base: nixpkgs/unstable
    head: nixpkgs/staging-next
    post_to: NixOS/nixpkgs#123456
  - {base: nixpkgs/unstable, head: nixpkgs/staging-next, post_to: NixOS/nixpkgs#7}
`))
	if err != nil {
		t.Fatal(err)
	}
	want := ProbeConfig{
		HydraJobset:  "nixpkgs/unstable-allow-broken",
		Every:        24 * time.Hour,
		BuildCommand: []string{"nix-build", "--no-out-link", "-A", "{attr}", "--argstr", "system", "{system}"},
		BuildDir:     "/srv/nixpkgs",
		BuildEnv:     []string{"NIXPKGS_ALLOW_BROKEN=1", "X=a=b", "EMPTY="},
		BuildTimeout: time.Minute,
		BuildSystems: []string{"aarch64-linux"},
	}
	if !reflect.DeepEqual(c.Probe, want) {
		t.Errorf("probe:\n got %+v\nwant %+v", c.Probe, want)
	}
	wantCompare := []CompareConfig{
		{Base: "nixpkgs/unstable", Head: "nixpkgs/staging-next", PostTo: "NixOS/nixpkgs#123456"},
		{Base: "nixpkgs/unstable", Head: "nixpkgs/staging-next", PostTo: "NixOS/nixpkgs#7"},
	}
	if !reflect.DeepEqual(c.Compare, wantCompare) {
		t.Errorf("compare: got %+v", c.Compare)
	}
	if got := c.pos["compare[1].post_to"]; got != "m.yaml:14:67" {
		t.Errorf("position of compare[1].post_to: %q", got)
	}
}
