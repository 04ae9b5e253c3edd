package prs

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/nixedit"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

const netkitFile = "pkgs/tools/networking/netkit/default.nix"

// netkitFtp is seedChanges' netkit-ftp: marked on both Darwin systems.
func netkitFtp() Change { return seedChanges()[3] }

// netkitNarrow: netkit-ftp builds again on x86_64-darwin only.
func netkitNarrow() Change {
	return Change{Kind: KindUnmark, File: netkitFile, Line: 30, Attrs: []string{"netkit-ftp"},
		Systems: []string{"x86_64-darwin", "aarch64-darwin"}, BuildID: 320000004, BuildURL: hydraBuild("320000004"), Since: since,
		Maintainers: []nixpkgs.Maintainer{alice},
		Narrow: &Narrowing{Green: []string{"x86_64-darwin"}, Systems: []string{"aarch64-darwin"},
			BuildID: 321000004, BuildURL: hydraBuild("321000004")}}
}

// A merged marker that builds again on some of its systems: the unmark PR
// narrows it (the file is exactly as if marked for the failing systems
// only, naming a build that fails there); merged, the same marker is on
// master for fewer systems, found there by its new build, and a later
// full unmark gives back the original file.
func TestMergedThenNarrowed(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.mustPublish([]Change{netkitFtp()}, nil)
	if _, err := f.srv.MergePullRequest(1, "alice", "squash"); err != nil {
		t.Fatal(err)
	}
	narrow := netkitNarrow()
	res := f.mustPublish([]Change{narrow}, nil)
	if res.Changes[0].Outcome != OutcomeIncluded || res.PRs[0].Number != 2 {
		t.Fatalf("narrowing: %+v %+v", res.Changes, res.PRs)
	}
	pr, _ := f.srv.PullRequest(2)
	if pr.Title != "netkit-ftp: unmark broken on x86_64-darwin" {
		t.Errorf("title %q", pr.Title)
	}
	golden(t, "publish/narrow.body.md", pr.Body)
	h, ok := ParseHidden(pr.Body)
	if want := (HiddenNarrow{Systems: []string{"aarch64-darwin"}, Build: 321000004, URL: hydraBuild("321000004")}); !ok ||
		h.Kind != KindUnmark || !slices.Equal(h.Narrow["netkit-ftp"].Systems, want.Systems) || h.Narrow["netkit-ftp"].URL != want.URL {
		t.Errorf("hidden block %+v", h)
	}
	orig := mustRead(t, "testdata/nixpkgs/"+netkitFile)
	want, err := nixedit.Mark(netkitFile, orig, 30, nixedit.Marker{Systems: []string{"aarch64-darwin"}, BuildURL: hydraBuild("321000004"), Since: "2026-11-25"})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := f.srv.File(pr.HeadRef, netkitFile); !bytes.Equal(got, want) {
		t.Errorf("the narrowing branch is not the file marked for aarch64-darwin only:\n%s", got)
	}
	if m, _, _ := f.st.LiveMarker(ctx, "netkit-ftp"); m.State != state.Reverting || m.RevertPR != 2 {
		t.Errorf("marker while narrowing: %+v", m)
	}
	msg := git(t, f.srv.RepoPath(), "log", "-1", "--format=%B", pr.HeadSHA)
	if !strings.Contains(msg, "netkit-ftp builds on x86_64-darwin on Hydra: "+hydraBuild("320000004")+"; still broken on aarch64-darwin: "+hydraBuild("321000004")) {
		t.Errorf("commit message:\n%s", msg)
	}

	if _, err := f.srv.MergePullRequest(2, "alice", "squash"); err != nil {
		t.Fatal(err)
	}
	f.mustPublish(nil, nil)
	m, ok, _ := f.st.LiveMarker(ctx, "netkit-ftp")
	if !ok || m.State != state.Merged || !slices.Equal(m.Systems, []string{"aarch64-darwin"}) || m.BuildID != 321000004 || m.BuildURL != hydraBuild("321000004") {
		t.Fatalf("marker after the narrowing was merged: %+v", m)
	}
	master, _ := f.srv.File("master", netkitFile)
	if r := FindMarker(m.File, master, m.Line, m.BuildURL); r.Status != MarkerFound || !bytes.Equal(r.Unmarked, orig) {
		t.Errorf("the narrowed marker on master: %+v", r)
	}

	// Then it builds on aarch64-darwin too.
	full := Change{Kind: KindUnmark, File: netkitFile, Line: m.Line, Attrs: []string{"netkit-ftp"}, Systems: m.Systems,
		BuildID: 320000014, BuildURL: hydraBuild("320000014"), Since: since}
	f.mustPublish([]Change{full}, nil)
	pr3, _ := f.srv.PullRequest(3)
	if got, _ := f.srv.File(pr3.HeadRef, netkitFile); !bytes.Equal(got, orig) {
		t.Errorf("the full unmark does not give back the original file:\n%s", got)
	}
	if _, err := f.srv.MergePullRequest(3, "alice", "squash"); err != nil {
		t.Fatal(err)
	}
	f.mustPublish(nil, nil)
	if ms, _ := f.st.Markers(ctx, state.Reverted); len(ms) != 1 || ms[0].Attr != "netkit-ftp" {
		t.Errorf("reverted markers: %+v", ms)
	}
}

// A crash after the narrowing PR was created, before state knew: the next
// Publish, given no changes (the revert loop no longer proposes it: its
// probe is recent), adopts the PR and learns the narrowing from its hidden
// block; merged, the marker is narrowed.
func TestNarrowingAdoptedAfterCrash(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.mustPublish([]Change{netkitFtp()}, nil)
	if _, err := f.srv.MergePullRequest(1, "alice", "squash"); err != nil {
		t.Fatal(err)
	}
	f.srv.Inject(githubtest.Fault{Method: "POST", Path: "repos/*/*/pulls", Kind: githubtest.DropConnection, After: true})
	if _, err := f.publish([]Change{netkitNarrow()}, nil); err == nil {
		t.Fatal("no error despite the fault")
	}
	if m, _, _ := f.st.LiveMarker(ctx, "netkit-ftp"); m.State != state.Merged {
		t.Fatalf("marker after the crash: %+v", m)
	}
	res := f.mustPublish(nil, nil)
	if !slices.Contains(res.Finished, 2) {
		t.Errorf("PR #2 not adopted: %+v", res)
	}
	m, _, _ := f.st.LiveMarker(ctx, "netkit-ftp")
	if m.State != state.Reverting || m.RevertPR != 2 {
		t.Fatalf("marker after adoption: %+v", m)
	}
	ev, _ := f.st.Events(ctx, state.EventFilter{PR: 2, Kind: narrowingEvent})
	if len(ev) != 1 {
		t.Fatalf("narrowing events: %+v", ev)
	}
	var n HiddenNarrow
	if err := json.Unmarshal(ev[0].Details, &n); err != nil || !slices.Equal(n.Systems, []string{"aarch64-darwin"}) {
		t.Errorf("narrowing event %s: %v", ev[0].Details, err)
	}
	if _, err := f.srv.MergePullRequest(2, "alice", "squash"); err != nil {
		t.Fatal(err)
	}
	f.mustPublish(nil, nil)
	if m, _, _ := f.st.LiveMarker(ctx, "netkit-ftp"); m.State != state.Merged || !slices.Equal(m.Systems, []string{"aarch64-darwin"}) {
		t.Errorf("marker after merge: %+v", m)
	}
}

// A narrowing PR a human closes leaves the marker as it was.
func TestNarrowingClosed(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	f.mustPublish([]Change{netkitFtp()}, nil)
	if _, err := f.srv.MergePullRequest(1, "alice", "squash"); err != nil {
		t.Fatal(err)
	}
	f.mustPublish([]Change{netkitNarrow()}, nil)
	if err := f.srv.ClosePullRequest(2, "alice"); err != nil {
		t.Fatal(err)
	}
	f.mustPublish(nil, nil)
	m, _, _ := f.st.LiveMarker(ctx, "netkit-ftp")
	if m.State != state.Merged || len(m.Systems) != 2 || m.BuildURL != hydraBuild("312000004") {
		t.Errorf("marker after the narrowing PR was closed: %+v", m)
	}
}

func TestNarrowingValidate(t *testing.T) {
	bad := netkitNarrow()
	bad.Narrow.Systems = nil
	mark := netkitFtp()
	mark.Narrow = netkitNarrow().Narrow
	for _, c := range []Change{bad, mark} {
		if err := c.validate(); err == nil || !strings.Contains(err.Error(), "narrow") {
			t.Errorf("validate(%+v) = %v", c.Narrow, err)
		}
	}
}
