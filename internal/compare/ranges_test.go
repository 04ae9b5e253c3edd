package compare

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/breaks"
)

// TestRunBrokeBetween: hello built on head in evaluation 199 and fails in
// 200; renamed never built on head; python313Packages.foo's range is past
// the budget (one lookup). The report gives hello's compare link, and
// "unknown" for the others, in the comment and the JSON.
func TestRunBrokeBetween(t *testing.T) {
	w := newWorld(t, regressionJobs.base, regressionJobs.head)
	w.head.AddEval(199, t0+199, builds(29000, 199, []job{{"hello", x86, 0}, {"renamed", x86, 1}, {"python313Packages.foo", x86, 1}})...)
	d := w.deps(t, t.TempDir())
	for _, tt := range []struct {
		lookback int
		hello    string // "unknown" or "199..200"
	}{
		{breaks.RequestsPerLookup, "199..200"},
		{0, "unknown"},
	} {
		o := defaultOptions()
		o.Lookback = tt.lookback
		out, err := Run(context.Background(), d, o)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, s := range out.Report.Sections {
			for _, p := range s.Packages {
				br := p.Systems[0].BrokeBetween
				got[p.Attr] = "unknown"
				if br.Known() {
					got[p.Attr] = strconv.FormatInt(br.Good.Eval, 10) + ".." + strconv.FormatInt(br.Bad.Eval, 10)
				}
			}
		}
		if got["hello"] != tt.hello || got["renamed"] != "unknown" || got["python313Packages.foo"] != "unknown" {
			t.Errorf("lookback %d: ranges %v", tt.lookback, got)
		}
		body := out.Markdown.Body
		if tt.hello != "unknown" {
			h := out.Report.Sections[0].Packages[0].Systems[0].BrokeBetween
			if out.Report.Sections[0].Packages[0].Attr != "hello" {
				t.Fatalf("hello is not first: %+v", out.Report.Sections)
			}
			link := "https://github.com/NixOS/nixpkgs/compare/" + h.Good.Revision + "..." + h.Bad.Revision
			if !strings.Contains(body, link+") or earlier") && !strings.Contains(body, link+")") {
				t.Errorf("comment lacks %s:\n%s", link, body)
			}
			var js strings.Builder
			if err := out.Report.JSON(&js); err != nil || !strings.Contains(js.String(), `"compare_url": "`+link+`"`) {
				t.Errorf("JSON lacks the range (%v):\n%s", err, js.String())
			}
		}
		if !strings.Contains(body, "| Broke between |") || !strings.Contains(body, "| unknown |") {
			t.Errorf("lookback %d: comment lacks the column or an unknown range:\n%s", tt.lookback, body)
		}
	}
}

// countingGitHub is memGitHub with GitHub's compare API.
type countingGitHub struct {
	*memGitHub
	asked int
}

func (g *countingGitHub) CountCommits(_ context.Context, owner, repo, base, head string) (int, error) {
	g.asked++
	if owner+"/"+repo != NixpkgsRepo || base == "" || head == "" {
		return 0, errors.New("bad request")
	}
	return 7, nil
}

// With GitHub at hand (posting), each range found gets its commit count,
// asked once per range.
func TestRunCountsCommits(t *testing.T) {
	w := newWorld(t, regressionJobs.base, regressionJobs.head)
	w.head.AddEval(199, t0+199, builds(29000, 199, []job{{"hello", x86, 0}, {"renamed", x86, 0}, {"python313Packages.foo", x86, 1}})...)
	d := w.deps(t, t.TempDir())
	gh := &countingGitHub{memGitHub: &memGitHub{self: "markbot[bot]", logins: map[int64]string{1002: "bob-b", 1003: "carol", 1007: "grace"}}}
	d.GitHub = gh
	o := defaultOptions()
	o.Lookback = 3 * breaks.RequestsPerLookup
	o.Post = &Target{"NixOS", "nixpkgs", 1}
	out, err := Run(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.Markdown.Body, " (7 commits)"); n != 2 || gh.asked != 1 {
		t.Errorf("%d counted cells, %d compare requests; want 2 cells for one shared range, asked once:\n%s", n, gh.asked, out.Markdown.Body)
	}
	var js strings.Builder
	if err := out.Report.JSON(&js); err != nil || !strings.Contains(js.String(), `"commits": 7`) {
		t.Errorf("JSON lacks the count (%v)", err)
	}
}
