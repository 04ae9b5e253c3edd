package prs

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/nixedit"
	"github.com/nixpkgs-markbot/markbot/internal/testutil"
)

const (
	perlFile      = "pkgs/top-level/perl-packages.nix"
	contentsRoute = "GET /repos/{owner}/{repo}/contents/{path...}"
	blobsRoute    = "GET /repos/{owner}/{repo}/git/blobs/{sha}"
)

func perlChange(p testutil.PerlPackages, file string, i int) Change {
	return Change{Kind: KindMark, File: file, Line: p.Lines[i], Attrs: []string{p.Attrs[i]},
		BuildID: 312100000 + int64(i), BuildURL: hydraBuild(strconv.Itoa(312100000 + i)), Since: since}
}

// withoutMarkers is src without markbot's lines (the comment and its
// broken = true;).
func withoutMarkers(src string) (string, int) {
	var out []string
	n := 0
	lines := strings.SplitAfter(src, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.Contains(lines[i], "# markbot: broken") && i+1 < len(lines) && strings.TrimSpace(lines[i+1]) == "broken = true;" {
			i++
			n++
			continue
		}
		out = append(out, lines[i])
	}
	return strings.Join(out, ""), n
}

// TestPublishInABigFile marks two packages of a perl-packages.nix-like file
// over GitHub's 1 MB inline limit (default githubtest limits, as GitHub's):
// the file is read with two requests (contents, then the blob), the PR's
// branch holds exactly the two markers, its hidden block and state name
// both packages.
func TestPublishInABigFile(t *testing.T) {
	githubtest.RequireGit(t)
	perl := testutil.NewPerlPackages(2200)
	if len(perl.Src) <= githubtest.DefaultInlineLimit {
		t.Fatalf("the generated file is %d bytes, not over the inline limit", len(perl.Src))
	}
	f := newFixture(t, func(o *githubtest.Options) { o.SeedFiles = map[string]string{perlFile: perl.Src} })
	changes := []Change{perlChange(perl, perlFile, 7), perlChange(perl, perlFile, 2150)}
	res := f.mustPublish(changes, nil)
	for _, c := range res.Changes {
		if c.Outcome != OutcomeIncluded {
			t.Fatalf("%v: %s (%s)", c.Attrs, c.Outcome, c.Reason)
		}
	}
	if len(res.PRs) != 1 || res.PRs[0].Status != StatusOpened {
		t.Fatalf("PRs %+v", res.PRs)
	}
	if c, b := f.srv.RequestCount(contentsRoute), f.srv.RequestCount(blobsRoute); c != 1 || b != 1 {
		t.Errorf("read the file with %d contents and %d blob requests, want 1 and 1", c, b)
	}
	got, err := f.srv.File(res.PRs[0].Branch, perlFile)
	if err != nil {
		t.Fatal(err)
	}
	rest, n := withoutMarkers(string(got))
	if n != 2 || rest != perl.Src {
		t.Fatalf("the branch's file has %d markers and %s the rest", n, map[bool]string{true: "keeps", false: "changes"}[rest == perl.Src])
	}
	for _, i := range []int{7, 2150} {
		if _, err := nixedit.Parse(perlFile, got); err != nil {
			t.Fatal(err)
		}
		m := FindMarker(perlFile, got, perl.Lines[i], changes[slices.IndexFunc(changes, func(c Change) bool { return c.Attrs[0] == perl.Attrs[i] })].BuildURL)
		if m.Status != MarkerFound {
			t.Errorf("%s: marker not found on the branch: %v %s", perl.Attrs[i], m.Status, m.Reason)
		}
	}
	pr, _ := f.srv.PullRequest(res.PRs[0].Number)
	h, ok := ParseHidden(pr.Body)
	if !ok || !slices.Equal(h.Attrs, []string{perl.Attrs[7], perl.Attrs[2150]}) {
		t.Errorf("hidden block %+v, %v", h, ok)
	}
	ms, err := f.st.Markers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 {
		t.Fatalf("%d markers in state", len(ms))
	}
	for _, m := range ms {
		if m.File != perlFile || (m.Line != perl.Lines[7] && m.Line != perl.Lines[2150]) {
			t.Errorf("marker %s at %s:%d", m.Attr, m.File, m.Line)
		}
	}
}

// TestPublishSkipsFileTooLarge: a file GitHub refuses for its size (the
// fake's 100 MB limit shrunk to 1 MiB, a 1.1 MB file) skips the change in it
// as OutcomeUnreadable naming the file, and the rest of its batch (another
// file, the same maintainers: none) goes out.
func TestPublishSkipsFileTooLarge(t *testing.T) {
	githubtest.RequireGit(t)
	perl := testutil.NewPerlPackages(2200)
	f := newFixture(t, func(o *githubtest.Options) {
		o.SeedFiles = map[string]string{perlFile: perl.Src}
		o.InlineLimit, o.FileLimit = 64<<10, 1<<20
	})
	telnet := seedChanges()[4] // netkit-telnet, unmaintained like the perl packages
	big := perlChange(perl, perlFile, 3)
	res := f.mustPublish([]Change{big, telnet}, nil)
	outcome := map[string]ChangeResult{}
	for _, c := range res.Changes {
		outcome[c.Attrs[0]] = c
	}
	if o := outcome[big.Attrs[0]]; o.Outcome != OutcomeUnreadable || !strings.Contains(o.Reason, perlFile) || !strings.Contains(o.Reason, "too large") {
		t.Errorf("the big file's change: %s (%s), want unreadable naming the file", o.Outcome, o.Reason)
	}
	if o := outcome["netkit-telnet"]; o.Outcome != OutcomeIncluded {
		t.Errorf("netkit-telnet: %s (%s), want included", o.Outcome, o.Reason)
	}
	if len(res.PRs) != 1 || res.PRs[0].Status != StatusOpened || !slices.Equal(res.PRs[0].Attrs, []string{"netkit-telnet"}) {
		t.Fatalf("PRs %+v, want one for netkit-telnet", res.PRs)
	}
	var sb strings.Builder
	res.WriteSummary(&sb)
	if !strings.Contains(sb.String(), "skipped "+big.Attrs[0]+": "+perlFile) {
		t.Errorf("summary does not say why %s was skipped:\n%s", big.Attrs[0], sb.String())
	}
	if n := f.srv.RequestCount(blobsRoute); n != 0 {
		t.Errorf("%d blob requests for a file GitHub refused", n)
	}
	// The next run skips it again, and proposes nothing twice.
	res = f.mustPublish([]Change{big, telnet}, nil)
	opened := 0
	for _, p := range res.PRs {
		if p.Status == StatusOpened {
			opened++
		}
	}
	if res.Changes[0].Outcome != OutcomeUnreadable || res.Changes[1].Outcome != OutcomeCovered || opened != 0 {
		t.Errorf("second run: %s, %s, %d PRs opened", res.Changes[0].Outcome, res.Changes[1].Outcome, opened)
	}
}

// TestPublishSkipsFileOverMarkbotsCap: at markbot's own cap, the real one
// (nixedit.MaxFileSize, 64 MiB, under GitHub's 100 MB), a file one byte over
// is refused from the contents answer's size, without downloading it.
func TestPublishSkipsFileOverMarkbotsCap(t *testing.T) {
	githubtest.RequireGit(t)
	if testing.Short() {
		t.Skip("a 64 MiB fixture")
	}
	perl := testutil.NewPerlPackages(10)
	huge := perl.Src[:len(perl.Src)-2] + strings.Repeat(" ", nixedit.MaxFileSize+1-len(perl.Src)) + "}\n"
	f := newFixture(t, func(o *githubtest.Options) { o.SeedFiles = map[string]string{perlFile: huge} })
	telnet := seedChanges()[4]
	big := perlChange(perl, perlFile, 3)
	res := f.mustPublish([]Change{big, telnet}, nil)
	if o := res.Changes[0]; o.Outcome != OutcomeUnreadable || !strings.Contains(o.Reason, "67108865 bytes, over markbot's limit of 64 MiB") {
		t.Errorf("%s (%s), want unreadable over markbot's limit", o.Outcome, o.Reason)
	}
	if len(res.PRs) != 1 || !slices.Equal(res.PRs[0].Attrs, []string{"netkit-telnet"}) {
		t.Errorf("PRs %+v, want one for netkit-telnet", res.PRs)
	}
	if n := f.srv.RequestCount(blobsRoute); n != 0 {
		t.Errorf("%d blob requests for a file over the cap", n)
	}
}
