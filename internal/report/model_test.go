package report

import (
	"strings"
	"testing"
	"time"
)

func TestValidNames(t *testing.T) {
	tests := []struct {
		s           string
		login, slug bool
	}{
		{"alice", true, true},
		{"Alice-9", true, false},
		{"a", true, true},
		{strings.Repeat("x", 39), true, true},
		{strings.Repeat("x", 40), false, true},
		{strings.Repeat("x", 101), false, false},
		{"", false, false},
		{"-x", true, false},
		{"a_b", false, true},
		{"_team", false, true},
		{"a.b", false, false},
		{"..", false, false},
		{"a b", false, false},
		{"<script>", false, false},
		{"é", false, false},
		{"alice\n", false, false},
	}
	for _, tt := range tests {
		if got := ValidLogin(tt.s); got != tt.login {
			t.Errorf("ValidLogin(%q) = %v", tt.s, got)
		}
		if got := ValidSlug(tt.s); got != tt.slug {
			t.Errorf("ValidSlug(%q) = %v", tt.s, got)
		}
	}
}

func TestSlugify(t *testing.T) {
	tests := []struct{ in, want string }{
		{"GNOME", "gnome"},
		{"Rust Team", "rust-team"},
		{"  C++ / Qt  ", "c-qt"},
		{"node_js", "node_js"},
		{"Ünïcode!", "n-code"},
		{"!!!", ""},
		{strings.Repeat("ab-", 60), strings.Repeat("ab-", 33) + "a"},
	}
	for _, tt := range tests {
		got := Slugify(tt.in)
		if got != tt.want {
			t.Errorf("Slugify(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got != "" && !ValidSlug(got) {
			t.Errorf("Slugify(%q) = %q is not a valid slug", tt.in, got)
		}
	}
}

func TestNewRange(t *testing.T) {
	if r := NewRange(goodRev, badRev, 3); r == nil || r.CompareURL != NixpkgsURL+"/compare/"+goodRev+"..."+badRev || r.Commits != 3 {
		t.Errorf("%+v", r)
	}
	if r := NewRange(goodRev, badRev, -7); r == nil || r.Commits != -1 {
		t.Errorf("%+v", r)
	}
	for _, bad := range [][2]string{{"", badRev}, {goodRev, ""}, {goodRev, goodRev}, {"main", badRev}, {goodRev, badRev + "<x>"}} {
		if r := NewRange(bad[0], bad[1], 1); r != nil {
			t.Errorf("NewRange(%q, %q) = %+v, want nil (unknown)", bad[0], bad[1], r)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *Site)
		want   string
	}{
		{"valid", func(s *Site) {}, ""},
		{"no time", func(s *Site) { s.Generated = time.Time{} }, "no Generated time"},
		{"relative base", func(s *Site) { s.BaseURL = "/report/" }, "not an absolute"},
		{"javascript base", func(s *Site) { s.BaseURL = "javascript:alert(1)" }, "not an absolute"},
		{"bad project", func(s *Site) { s.Jobsets[0].Project = "../etc" }, "not a Hydra project"},
		{"bad jobset", func(s *Site) { s.Jobsets[0].Name = ".jobsets" }, "not a Hydra project"},
		{"jobset twice", func(s *Site) { s.Jobsets[1] = s.Jobsets[0] }, "given twice"},
		{"bad role", func(s *Site) { s.Jobsets[0].Role = "both" }, "role"},
		{"bad Hydra", func(s *Site) { s.Jobsets[0].Hydra = "hydra.nixos.org" }, "Hydra URL"},
		{"unknown jobset", func(s *Site) { s.Failures[0].Jobset = "nixpkgs/trunk" }, "unknown jobset"},
		{"no attribute", func(s *Site) { s.Failures[0].Attr = "" }, "no attribute"},
		{"failure twice", func(s *Site) { s.Failures = append(s.Failures, s.Failures[0]) }, "given twice"},
		{"negative retention", func(s *Site) { s.Retention = -time.Hour }, "negative retention"},
	}
	for _, tt := range tests {
		s := sampleSite(t)
		tt.change(s)
		err := s.Validate()
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	if err := (*Site)(nil).Validate(); err == nil {
		t.Error("a nil site is valid")
	}
}

func TestJobsetURLs(t *testing.T) {
	j := Jobset{Hydra: "https://hydra.nixos.org/", Project: "nixpkgs", Name: "unstable", Eval: 5}
	if j.URL() != "https://hydra.nixos.org/jobset/nixpkgs/unstable" || j.EvalURL() != "https://hydra.nixos.org/eval/5" {
		t.Error(j.URL(), j.EvalURL())
	}
	j.Eval = 0
	if j.EvalURL() != "" {
		t.Error(j.EvalURL())
	}
	if b := HydraBuild("https://hydra.nixos.org/", "x86_64-linux", 42); b.BuildURL != "https://hydra.nixos.org/build/42" || b.LogURL != b.BuildURL+"/log" {
		t.Errorf("%+v", b)
	}
}
