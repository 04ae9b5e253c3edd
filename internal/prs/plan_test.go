package prs

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
)

var (
	alice = nixpkgs.Maintainer{Name: "Alice", GitHub: "alice", GitHubID: 101}
	bob   = nixpkgs.Maintainer{Name: "Bob", GitHub: "bob-old", GitHubID: 102}
	// bobRenamed is bob with the login he has now: same id, same group.
	bobRenamed = nixpkgs.Maintainer{Name: "Bob", GitHub: "bob", GitHubID: 102}
	legacy     = nixpkgs.Maintainer{Name: "Old Timer", Email: "old@example.org"}
	pyTeam     = nixpkgs.Team{ShortName: "python", GitHub: "python"}
)

func mk(kind Kind, file string, line int, attrs []string, ms ...nixpkgs.Maintainer) Change {
	return Change{Kind: kind, File: file, Line: line, Attrs: attrs, Maintainers: ms,
		BuildID: 1, BuildURL: "https://hydra.nixos.org/build/1", Since: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}
}

func TestPlan(t *testing.T) {
	type want struct {
		kind  Kind
		key   string
		attrs []string
	}
	withTeam := mk(KindMark, "f.nix", 3, []string{"c"}, alice)
	withTeam.Teams = []nixpkgs.Team{pyTeam}
	tests := []struct {
		name    string
		max     int
		changes []Change
		want    []want
	}{
		{
			name: "same maintainers by id share a PR, whatever the login or order",
			changes: []Change{
				mk(KindMark, "a.nix", 1, []string{"a"}, alice, bob),
				mk(KindMark, "b.nix", 1, []string{"b"}, bobRenamed, alice),
			},
			want: []want{{KindMark, "id:101,id:102", []string{"a", "b"}}},
		},
		{
			name: "a team makes another set",
			changes: []Change{
				mk(KindMark, "a.nix", 1, []string{"a"}, alice),
				withTeam,
			},
			want: []want{
				{KindMark, "id:101", []string{"a"}},
				{KindMark, "id:101,team:python", []string{"c"}},
			},
		},
		{
			name: "unmaintained packages are batched together, legacy maintainers without login count as none",
			changes: []Change{
				mk(KindMark, "z.nix", 1, []string{"z"}),
				mk(KindMark, "y.nix", 1, []string{"y"}, legacy),
				mk(KindMark, "x.nix", 1, []string{"x"}, alice),
			},
			want: []want{
				{KindMark, "", []string{"y", "z"}},
				{KindMark, "id:101", []string{"x"}},
			},
		},
		{
			name: "mark and unmark are never mixed; marks first",
			changes: []Change{
				mk(KindUnmark, "a.nix", 1, []string{"a"}, alice),
				mk(KindMark, "b.nix", 1, []string{"b"}, alice),
			},
			want: []want{
				{KindMark, "id:101", []string{"b"}},
				{KindUnmark, "id:101", []string{"a"}},
			},
		},
		{
			name: "batches are capped, in attribute order",
			max:  2,
			changes: []Change{
				mk(KindMark, "e.nix", 1, []string{"e"}),
				mk(KindMark, "d.nix", 1, []string{"d"}),
				mk(KindMark, "c.nix", 1, []string{"c"}),
				mk(KindMark, "b.nix", 1, []string{"b"}),
				mk(KindMark, "a.nix", 1, []string{"a"}),
			},
			want: []want{
				{KindMark, "", []string{"a", "b"}},
				{KindMark, "", []string{"c", "d"}},
				{KindMark, "", []string{"e"}},
			},
		},
		{
			name: "attributes sharing a derivation stay one change",
			changes: []Change{
				mk(KindMark, "p.nix", 9, []string{"python312Packages.x", "python313Packages.x"}),
			},
			want: []want{{KindMark, "", []string{"python312Packages.x", "python313Packages.x"}}},
		},
		{name: "nothing to do", changes: nil, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Plan(tt.changes, PlanOptions{MaxPerPR: tt.max})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d batches, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, b := range got {
				w := tt.want[i]
				if b.Kind != w.kind || b.Key != w.key || !slices.Equal(b.Attrs(), w.attrs) {
					t.Errorf("batch %d = %s %q %v, want %s %q %v", i, b.Kind, b.Key, b.Attrs(), w.kind, w.key, w.attrs)
				}
				if b.Branch != BranchName(DefaultBranchPrefix, b.Kind, b.Attrs()) {
					t.Errorf("batch %d branch %s", i, b.Branch)
				}
			}
			// Deterministic: reversed input, same plan.
			rev := slices.Clone(tt.changes)
			slices.Reverse(rev)
			again, err := Plan(rev, PlanOptions{MaxPerPR: tt.max})
			if err != nil {
				t.Fatal(err)
			}
			for i := range again {
				if again[i].Branch != got[i].Branch {
					t.Errorf("batch %d: branch %s with reversed input, %s before", i, again[i].Branch, got[i].Branch)
				}
			}
		})
	}
}

func TestPlanRejects(t *testing.T) {
	ok := mk(KindMark, "a.nix", 1, []string{"a"})
	tests := []struct {
		name    string
		changes []Change
		want    string
	}{
		{"unknown kind", []Change{mk("fix", "a.nix", 1, []string{"a"})}, "unknown kind"},
		{"no attributes", []Change{mk(KindMark, "a.nix", 1, nil)}, "no attributes"},
		{"no position", []Change{mk(KindMark, "", 0, []string{"a"})}, "no position"},
		{"unsorted", []Change{mk(KindMark, "a.nix", 1, []string{"b", "a"})}, "not sorted"},
		{"attribute twice", []Change{ok, mk(KindMark, "b.nix", 1, []string{"a"})}, "in two changes"},
		{"position twice", []Change{ok, mk(KindMark, "a.nix", 1, []string{"b"})}, "in two changes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Plan(tt.changes, PlanOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Plan: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestBranchName(t *testing.T) {
	a := BranchName("markbot/", KindMark, []string{"b", "a"})
	if a != BranchName("markbot/", KindMark, []string{"a", "b", "a"}) {
		t.Error("branch name depends on order or duplicates")
	}
	if !strings.HasPrefix(a, "markbot/mark-") || len(a) != len("markbot/mark-")+8 {
		t.Errorf("branch name %q", a)
	}
	// sha256("a\nb")[:4], fixed so a change of scheme is noticed: branches
	// of open PRs must keep their names across markbot versions.
	if a != "markbot/mark-7e18f737" {
		t.Errorf("BranchName = %s", a)
	}
	if BranchName("markbot/", KindUnmark, []string{"a", "b"}) != "markbot/unmark-7e18f737" {
		t.Error("unmark branch")
	}
}
