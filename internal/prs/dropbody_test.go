package prs

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// opFor is a drop of the changes named by their first attribute, with the
// others of all remaining.
func opFor(all []Change, reason string, drop ...string) *dropOp {
	op := &dropOp{}
	for _, c := range all {
		if slices.Contains(drop, c.Attr()) {
			op.Packages = append(op.Packages, dropPackage{Attrs: c.Attrs, File: c.File, Reason: reason, Edit: "marker taken out of the branch"})
		} else {
			op.Remaining = append(op.Remaining, dropRest{Attrs: c.Attrs, BuildURL: c.BuildURL})
		}
	}
	return op
}

var droppedSection = regexp.MustCompile(`(?s)### Dropped from this PR\n\n(- [^\n]*\n)+\n`)

func TestDropFromBody(t *testing.T) {
	month := BodyOptions{SkipFor: 30 * 24 * time.Hour}
	noPingDarwin := BodyOptions{Reviewers: Reviewers{NoPing: NoPingSecondaryPlatform, Mentioned: []string{"alice"}}}
	green := "builds again on Hydra: https://hydra.nixos.org/build/320000001"
	for _, tt := range []struct {
		name    string
		changes []Change
		opts    BodyOptions
		drop    []string
		reason  string
		close   bool
		title   string
	}{
		{"two-drop-fzf", []Change{fzf(), aiogram()}, month, []string{"fzf"}, green, false, "python312Packages.aiogram: mark broken"},
		{"two-drop-aiogram", []Change{fzf(), aiogram()}, month, []string{"python312Packages.aiogram"},
			"a fix was pushed to this branch by @alice (0123456789ab)", false, "fzf: mark broken"},
		{"darwin-drop-aiogram", []Change{withSystems(fzf(), darwin), withSystems(aiogram(), aarchDarwin)}, noPingDarwin,
			[]string{"python312Packages.aiogram"}, "dropped by @bob (`@markbot drop`)", false, "fzf: mark broken"},
		{"one-drop-close", []Change{aiogram()}, BodyOptions{Reviewers: Reviewers{Users: []string{"alice"}}, SkipFor: 30 * 24 * time.Hour},
			[]string{"python312Packages.aiogram"}, green, true, "python312Packages.aiogram: mark broken"},
		{"two-drop-both-human", []Change{fzf(), aiogram()}, month, []string{"fzf", "python312Packages.aiogram"}, green, false,
			"treewide: mark 2 packages broken on Hydra"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := Batch{Kind: KindMark, Changes: tt.changes}
			body := Body(b, tt.opts)
			op := opFor(tt.changes, tt.reason, tt.drop...)
			op.Close = tt.close
			op.NothingLeft = !tt.close && len(op.Remaining) == 0
			got := dropFromBody(body, op)
			golden(t, "drop/"+tt.name+".md", got)
			if again := dropFromBody(got, op); again != got {
				t.Errorf("not idempotent:\n%s", again)
			}
			if title := dropTitle(Title(b), op); title != tt.title {
				t.Errorf("title %q, want %q", title, tt.title)
			}
			h, ok := ParseHidden(got)
			if len(op.Remaining) > 0 && (!ok || !slices.Equal(h.Attrs, op.remainingAttrs())) {
				t.Errorf("hidden block %+v %v, want %v", h, ok, op.remainingAttrs())
			}
			if len(op.Remaining) == 0 && (ok || !strings.Contains(got, `<!-- markbot {"kind":"mark","attrs":[],"version":1} -->`)) {
				t.Errorf("hidden block of an empty PR: %+v %v", h, ok)
			}
			if regexp.MustCompile("(^|[^`])@(alice|bob)").MatchString(got) {
				t.Error("the body @-mentions someone")
			}
			for _, c := range tt.changes {
				in := strings.Contains(got, "| "+strings.Join(cells(c.Attrs), "<br>")+" |")
				if dropped := slices.Contains(tt.drop, c.Attr()); in == dropped {
					t.Errorf("%s: row present %v, dropped %v", c.Attr(), in, dropped)
				}
				if dropped := slices.Contains(tt.drop, c.Attr()); strings.Contains(got, c.LogTail[len(c.LogTail)-1]) == dropped {
					t.Errorf("%s: log tail present though dropped, or gone though kept", c.Attr())
				}
			}
			if len(op.Remaining) == 0 {
				return
			}
			// What is left reads as Body wrote it for the remaining batch.
			var rest []Change
			for _, c := range tt.changes {
				if !slices.Contains(tt.drop, c.Attr()) {
					rest = append(rest, c)
				}
			}
			want := Body(Batch{Kind: KindMark, Changes: rest}, tt.opts)
			if stripped := droppedSection.ReplaceAllString(got, ""); stripped != want {
				t.Errorf("without the dropped list, the body is not Body's for the rest:\n--- got ---\n%s\n--- want ---\n%s", stripped, want)
			}
		})
	}
}

func cells(attrs []string) []string {
	out := make([]string, len(attrs))
	for i, a := range attrs {
		out[i] = "`" + a + "`"
	}
	return out
}

// TestDropFromBodyTwice: a second drop adds to the list; the "… and N
// more" row of a shortened body stays true; a body a human rewrote keeps
// their text and gets the hidden block back.
func TestDropFromBodyTwice(t *testing.T) {
	all := []Change{fzf(), aiogram()}
	first := dropFromBody(Body(Batch{Kind: KindMark, Changes: all}, BodyOptions{}), opFor(all, "first reason", "fzf"))
	op := opFor(all, "second reason", "python312Packages.aiogram")
	op.Remaining, op.Close = nil, true
	second := dropFromBody(first, op)
	if !strings.Contains(second, "### Dropped from this PR\n\n- `fzf`: first reason\n- `python312Packages.aiogram`, `python313Packages.aiogram`: second reason\n\n---\n") {
		t.Errorf("dropped list:\n%s", second)
	}
	if strings.Contains(second, "| Package |") || strings.Contains(second, "<details>") {
		t.Errorf("an empty PR's body keeps its table or logs:\n%s", second)
	}

	var changes []Change
	for i := range 20 {
		c := aiogram()
		c.Attrs = []string{"pkg" + string(rune('a'+i))}
		c.LogTail = nil
		changes = append(changes, c)
	}
	short := Body(Batch{Kind: KindMark, Changes: changes}, BodyOptions{Limit: 2500})
	m := regexp.MustCompile(`\| … and (\d+) more \|`).FindStringSubmatch(short)
	if m == nil {
		t.Fatalf("no shortened table:\n%s", short)
	}
	got := dropFromBody(short, opFor(changes, "r", "pkga"))
	m2 := regexp.MustCompile(`\| … and (\d+) more \|`).FindStringSubmatch(got)
	if m2 == nil || m2[1] != m[1] {
		t.Errorf("dropping a shown row: more row %v, was %v", m2, m[1])
	}
	got = dropFromBody(short, opFor(changes, "r", "pkgt"))
	if m2 := regexp.MustCompile(`\| … and (\d+) more \|`).FindStringSubmatch(got); m2 == nil || m2[1] == m[1] {
		t.Errorf("dropping a row left out: more row %v, was %v", m2, m[1])
	}

	human := "I rewrote this.\n\nSee the diff."
	got = dropFromBody(human, opFor(all, "r", "fzf"))
	if !strings.HasPrefix(got, "I rewrote this.\n\nSee the diff.\n\n### Dropped from this PR\n\n- `fzf`: r\n") {
		t.Errorf("human body:\n%s", got)
	}
	if h, ok := ParseHidden(got); !ok || !slices.Equal(h.Attrs, []string{"python312Packages.aiogram", "python313Packages.aiogram"}) {
		t.Errorf("hidden block %+v %v", h, ok)
	}
}

func TestDropTexts(t *testing.T) {
	all := []Change{fzf(), aiogram()}
	op := opFor(all, "a fix was pushed to this branch by @alice (0123456789ab)", "fzf", "python312Packages.aiogram")
	op.ID, op.NothingLeft = 42, true
	op.Packages[0].Skip = true
	op.Packages[1].Edit = "no edit needed: markbot's marker is no longer in pkgs/development/python-modules/aiogram/default.nix"
	golden(t, "drop/comment-nothing-left.md", dropComment(7, op, 30*24*time.Hour))
	golden(t, "drop/commit-on-top.txt", dropCommitMessage(op))
	one := opFor(all, "builds again on Hydra: https://hydra.nixos.org/build/320000001", "fzf")
	one.ID = 43
	golden(t, "drop/comment-one.md", dropComment(7, one, 30*24*time.Hour))
	if msg := dropCommitMessage(one); !strings.HasPrefix(msg, "fzf: drop broken marker from this PR\n\n") || !strings.HasSuffix(msg, commitTrailer+"\n") {
		t.Errorf("commit message %q", msg)
	}
	if c := dropComment(7, op, 0); strings.Contains(c, " @alice") || !strings.Contains(c, dropCommentMarker(7, op)) {
		t.Errorf("comment %q", c)
	}
	if got := oneLine("a\n  b\tc" + strings.Repeat("x", 400)); strings.Contains(got, "\n") || len([]rune(got)) != maxReasonRunes {
		t.Errorf("oneLine: %q", got)
	}
	for in, want := range map[string]string{
		"by @alice (x)":           "by `@alice` (x)",
		"mail a@b.c":              "mail a@b.c",
		"`@bob` already":          "`@bob` already",
		"@markbot[bot] and @carl": "`@markbot[bot]` and `@carl`",
	} {
		if got := noMention(in); got != want {
			t.Errorf("noMention(%q) = %q, want %q", in, got, want)
		}
	}
}
