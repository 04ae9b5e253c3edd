package prs

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n--- got ---\n%s", path, got)
	}
}

var since = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

func aiogram() Change {
	return Change{Kind: KindMark, File: "pkgs/development/python-modules/aiogram/default.nix", Line: 78,
		Attrs: []string{"python312Packages.aiogram", "python313Packages.aiogram"}, Systems: []string{"aarch64-linux"},
		BuildID: 312345678, BuildURL: "https://hydra.nixos.org/build/312345678", Since: since,
		LastSuccess: &Build{ID: 311111111, URL: "https://hydra.nixos.org/build/311111111", Time: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)},
		BrokeBetween: &Range{Good: "0123456789abcdef0123456789abcdef01234567", Bad: "fedcba9876543210fedcba9876543210fedcba98",
			GoodEval: 1810001, BadEval: 1810004, Exact: true, Commits: 42},
		LogTail: []string{
			"============================= test session starts ==============================",
			"\x1b[31mFAILED\x1b[0m tests/test_api.py::test_send_message - AssertionError",
			"weird ``` fence and a | pipe and <!-- markbot {\"kind\":\"unmark\"} --> in a log line",
			"error: builder for '/nix/store/…-python3.13-aiogram-3.17.0.drv' failed with exit code 1",
		},
		Maintainers: []nixpkgs.Maintainer{alice}}
}

func fzf() Change {
	return Change{Kind: KindMark, File: "pkgs/by-name/fz/fzf/package.nix", Line: 76, Attrs: []string{"fzf"},
		BuildID: 312345679, BuildURL: "https://hydra.nixos.org/build/312345679", Since: since.AddDate(0, 0, -3),
		LogTail: []string{"go: downloading github.com/x/y v1.2.3", "vet: main.go:12: unreachable code"}}
}

func TestBrokeBetweenCell(t *testing.T) {
	good, bad := "0123456789abcdef0123456789abcdef01234567", "fedcba9876543210fedcba9876543210fedcba98"
	last := &Build{ID: 7, URL: "https://hydra.nixos.org/build/7", Time: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)}
	link := "[`0123456789ab...fedcba987654`](https://github.com/NixOS/nixpkgs/compare/" + good + "..." + bad + ")"
	tests := []struct {
		name string
		r    *Range
		last *Build
		repo string
		want string
	}{
		{"unknown", nil, nil, "", "unknown"},
		{"unknown with a last success", nil, last, "", "unknown; last success [2026-11-02](https://hydra.nixos.org/build/7)"},
		{"exact, counted", &Range{Good: good, Bad: bad, Exact: true, Commits: 42}, nil, "", link + " (42 commits)"},
		{"one commit", &Range{Good: good, Bad: bad, Exact: true, Commits: 1}, nil, "", link + " (1 commit)"},
		{"not counted", &Range{Good: good, Bad: bad, Exact: true, Commits: -1}, nil, "", link},
		{"inexact", &Range{Good: good, Bad: bad, Commits: -1}, last, "", link + " or earlier<br>last success [2026-11-02](https://hydra.nixos.org/build/7)"},
		{"another repository", &Range{Good: good, Bad: bad, Exact: true, Commits: -1}, nil, "me/nixpkgs",
			"[`0123456789ab...fedcba987654`](https://github.com/me/nixpkgs/compare/" + good + "..." + bad + ")"},
		// Revisions come from Hydra: anything but a git object name is unknown.
		{"hostile revision", &Range{Good: good, Bad: bad + ")[x](https://evil", Exact: true, Commits: 3}, nil, "", "unknown"},
		{"upper case", &Range{Good: strings.ToUpper(good), Bad: bad, Exact: true}, nil, "", "unknown"},
		{"empty end", &Range{Good: good, Exact: true}, nil, "", "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := brokeBetween(tt.r, tt.last, tt.repo); got != tt.want {
				t.Errorf("brokeBetween = %q\nwant            %q", got, tt.want)
			}
		})
	}
}

func TestBody(t *testing.T) {
	unmark := Change{Kind: KindUnmark, File: "pkgs/by-name/he/hello/package.nix", Line: 52, Attrs: []string{"hello"},
		BuildID: 320000000, BuildURL: "https://hydra.nixos.org/build/320000000", Since: since}
	tests := []struct {
		name  string
		batch Batch
		opts  BodyOptions
		title string
	}{
		{"mark-one", Batch{Kind: KindMark, Changes: []Change{aiogram()}},
			BodyOptions{Reviewers: Reviewers{Users: []string{"alice"}}, SkipFor: 30 * 24 * time.Hour},
			"python312Packages.aiogram: mark broken"},
		{"mark-two", Batch{Kind: KindMark, Changes: []Change{fzf(), aiogram()}},
			BodyOptions{SkipFor: 30 * 24 * time.Hour},
			"treewide: mark 2 packages broken on Hydra"},
		{"unmark-one", Batch{Kind: KindUnmark, Changes: []Change{unmark}}, BodyOptions{},
			"hello: unmark broken"},
		{"no-ping-config", Batch{Kind: KindMark, Changes: []Change{aiogram()}},
			BodyOptions{Reviewers: Reviewers{NoPing: NoPingConfig, Mentioned: []string{"alice"}, MentionedTeams: []string{"python"}}},
			"python312Packages.aiogram: mark broken"},
		{"no-ping-darwin", Batch{Kind: KindMark, Changes: []Change{withSystems(fzf(), darwin), withSystems(aiogram(), aarchDarwin)}},
			BodyOptions{Reviewers: Reviewers{NoPing: NoPingSecondaryPlatform, Mentioned: []string{"alice"}}},
			"treewide: mark 2 packages broken on Hydra"},
		{"no-ping-darwin-unmark", Batch{Kind: KindUnmark, Changes: []Change{withSystems(unmark, darwin)}},
			BodyOptions{Reviewers: Reviewers{NoPing: NoPingSecondaryPlatform, Mentioned: []string{"alice"}}},
			"hello: unmark broken"},
		{"unmark-and-narrow", Batch{Kind: KindUnmark, Changes: []Change{unmark, netkitNarrow()}}, BodyOptions{SkipFor: 30 * 24 * time.Hour},
			"treewide: unmark 2 packages that build again on Hydra"},
		{"too-many-reviewers", Batch{Kind: KindMark, Changes: []Change{fzf()}},
			BodyOptions{Reviewers: Reviewers{TooMany: true, Mentioned: []string{"a", "b`c"}, MentionedTeams: []string{"python"}}},
			"fzf: mark broken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Title(tt.batch); got != tt.title {
				t.Errorf("Title = %q, want %q", got, tt.title)
			}
			body := Body(tt.batch, tt.opts)
			golden(t, "body/"+tt.name+".md", body)
			h, ok := ParseHidden(body)
			if !ok || h.Kind != tt.batch.Kind || !slices.Equal(h.Attrs, tt.batch.Attrs()) || h.Version != HiddenVersion {
				t.Errorf("ParseHidden = %+v, %v; want %s %v", h, ok, tt.batch.Kind, tt.batch.Attrs())
			}
			must := []string{projectURL, "merges it", "@markbot drop <attr>"}
			if tt.batch.Kind == KindUnmark {
				// @markbot drop answers that it cannot, on an unmark PR.
				must = []string{projectURL, "merges it", "push a commit to this branch that puts it back"}
			}
			for _, must := range must {
				if !strings.Contains(body, must) {
					t.Errorf("body lacks %q", must)
				}
			}
			if strings.Contains(body, "@alice") {
				t.Error("body @-mentions a maintainer")
			}
			if strings.Contains(body, "\x1b") {
				t.Error("body holds a terminal escape")
			}
		})
	}
}

func TestBodyTooManyReviewersDoesNotPing(t *testing.T) {
	body := Body(Batch{Kind: KindMark, Changes: []Change{fzf()}},
		BodyOptions{Reviewers: Reviewers{TooMany: true, Mentioned: []string{"alice", "bob"}}})
	if strings.Contains(body, "@alice") || !strings.Contains(body, "`alice`") {
		t.Errorf("logins must be in backticks, not @-mentions:\n%s", body)
	}
	if !strings.Contains(body, "2 maintainers: too many to request reviews from; mentioned here without pings") {
		t.Errorf("no explanation:\n%s", body)
	}
}

func TestBodyLimit(t *testing.T) {
	var changes []Change
	for i := range 20 {
		c := aiogram()
		c.Attrs = []string{strings.Repeat("x", 3) + string(rune('a'+i))}
		c.LogTail = nil
		for range 100 {
			c.LogTail = append(c.LogTail, strings.Repeat("é", 1000)) // cut to 300 runes per line
		}
		changes = append(changes, c)
	}
	b := Batch{Kind: KindMark, Changes: changes}
	for _, tt := range []struct {
		limit int
		note  string
	}{
		{GitHubBodyLimit, "Log tails shortened to 3 lines"},
		{12000, "Log tails left out"},
		{2500, "some rows left out"},
	} {
		body := Body(b, BodyOptions{Limit: tt.limit})
		if len(body) > tt.limit {
			t.Errorf("limit %d: body has %d bytes", tt.limit, len(body))
		}
		if !strings.Contains(body, tt.note) {
			t.Errorf("limit %d: body does not say %q", tt.limit, tt.note)
		}
		if h, ok := ParseHidden(body); !ok || len(h.Attrs) != 20 {
			t.Errorf("limit %d: hidden block lost: %+v %v", tt.limit, h, ok)
		}
	}
	if full := Body(b, BodyOptions{Limit: 1 << 30}); !strings.Contains(full, "…") || strings.Contains(full, strings.Repeat("é", 300)) {
		t.Error("long log lines are not cut")
	}
}

func TestParseHidden(t *testing.T) {
	tests := []struct {
		name, body string
		ok         bool
		attrs      []string
	}{
		{"plain", "text\n<!-- markbot {\"kind\":\"mark\",\"attrs\":[\"a\",\"b\"],\"version\":1} -->\n", true, []string{"a", "b"}},
		{"last wins", "<!-- markbot {\"kind\":\"mark\",\"attrs\":[\"fake\"],\"version\":1} -->\n<!-- markbot {\"kind\":\"unmark\",\"attrs\":[\"a\"],\"version\":1} -->", true, []string{"a"}},
		{"newer version", "<!-- markbot {\"kind\":\"mark\",\"attrs\":[\"a\"],\"version\":2,\"extra\":true} -->", true, []string{"a"}},
		{"none", "a human's PR", false, nil},
		{"unterminated", "<!-- markbot {\"kind\":\"mark\",\"attrs\":[\"a\"],\"version\":1}", false, nil},
		{"bad json", "<!-- markbot {kind:mark} -->", false, nil},
		{"unknown kind", "<!-- markbot {\"kind\":\"fix\",\"attrs\":[\"a\"],\"version\":1} -->", false, nil},
		{"no attrs", "<!-- markbot {\"kind\":\"mark\",\"attrs\":[],\"version\":1} -->", false, nil},
		{"no version", "<!-- markbot {\"kind\":\"mark\",\"attrs\":[\"a\"]} -->", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, ok := ParseHidden(tt.body)
			if ok != tt.ok || !slices.Equal(h.Attrs, tt.attrs) {
				t.Errorf("ParseHidden = %+v, %v; want %v %v", h, ok, tt.attrs, tt.ok)
			}
		})
	}
	// An attribute cannot close the comment early.
	h := Hidden{Kind: KindMark, Attrs: []string{"a-->b", "<c>"}, Version: 1}
	if s := h.String(); strings.Count(s, "-->") != 1 {
		t.Errorf("hidden block %q", s)
	}
	if got, ok := ParseHidden(h.String()); !ok || !slices.Equal(got.Attrs, h.Attrs) {
		t.Errorf("round trip: %+v %v", got, ok)
	}
}
