package app

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/mdtext/mdtexttest"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
)

// checkReply fails unless reply, rendered as GitHub renders markdown,
// holds no mention but of the commenter (when that is a login), and no
// reference, link, image or HTML: markbot's replies write none of those.
func checkReply(t *testing.T, reply, commenter string, inputs ...any) {
	t.Helper()
	f, err := mdtexttest.Inspect(reply)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range f.Mentions {
		if m != commenter || !loginRE.MatchString(commenter) {
			t.Fatalf("reply mentions @%s (inputs %q):\n%s", m, inputs, reply)
		}
	}
	if len(f.Mentions) > 1 {
		t.Fatalf("reply mentions the commenter %d times:\n%s", len(f.Mentions), reply)
	}
	if n := len(f.References) + len(f.Links) + len(f.Images) + len(f.HTML); n > 0 {
		t.Fatalf("reply holds %+v (inputs %q):\n%s", f, inputs, reply)
	}
}

// TestReplyEscapesIssue12: the payload of issue 12 is answered without
// the team mention.
func TestReplyEscapesIssue12(t *testing.T) {
	cmd, ok := ParseCommand("@markbot x`@NixOS/security`y", "@markbot")
	if !ok {
		t.Fatal("not a command")
	}
	a := Decide(cmd, CommentFacts{Commenter: "mallory", Association: "NONE"}, "@markbot")
	if !strings.Contains(a.Reply, "I do not know the command ``x`@nixos/security`y``") {
		t.Errorf("reply %q", a.Reply)
	}
	checkReply(t, a.Reply, "mallory")
}

// FuzzReplies: whatever a commenter writes, whoever they are and whatever
// a pull request's hidden block lists, no reply markbot would post holds a
// mention, reference, link or image markbot did not write.
func FuzzReplies(f *testing.F) {
	for _, s := range [][4]string{
		{"@markbot x`@NixOS/security`y", "mallory", "hello", "boom"},
		{"@markbot drop [x](https://evil.example)", "alice", "hello,python3Packages.foo", "GET https://api.github.com/x: 500"},
		{"@markbot drop ![i](https://evil.example/i.png)", "alice", "![i](https://evil.example/i.png)", ""},
		{"@markbot drop hello", "alice", "hello", "dropping from PR #3: @NixOS/security <img src=x>"},
		{"@markbot drop `@x`", "NixOS/security", "`@x`", "x"},
		{"@markbot <b>hi</b>", "a-b", "www.evil.example", "a@b.example"},
		{"@markbot drop\u00a0@x", "bob", "@x\n\n@y", "#1"},
		{"@markbot", "", "", ""},
		{"@markbot recheck now", "x", "a", "b"},
		{"@markbot help", "carol", "a", "b"},
	} {
		f.Add(s[0], s[1], s[2], s[3], false)
	}
	f.Fuzz(func(t *testing.T, body, login, attrList, errText string, unmark bool) {
		attrs := strings.Split(attrList, ",")
		kind := prs.KindMark
		if unmark {
			kind = prs.KindUnmark
		}
		inputs := []any{body, login, attrList, errText}
		for _, assoc := range []string{"NONE", "MEMBER"} {
			facts := CommentFacts{Commenter: login, Association: assoc, Kind: kind, Attrs: attrs, HasHidden: attrList != "",
				SkipFor: 30 * 24 * time.Hour}
			cmd, ok := ParseCommand(body, "@markbot")
			if !ok {
				cmd = Command{Name: "drop", Args: strings.Fields(body)}
			}
			checkReply(t, Decide(cmd, facts, "@markbot").Reply, login, inputs...)
		}
		attr := firstOr(attrs, "")
		month := 30 * 24 * time.Hour
		for _, res := range []*prs.DropResult{
			nil,
			{Packages: []prs.DroppedPackage{{Attr: attr, Attrs: attrs, Outcome: prs.DropDropped, Edit: errText}}, Remaining: attrs},
			{Packages: []prs.DroppedPackage{{Attr: attr, Attrs: attrs, Outcome: prs.DropDropped, Edit: "no edit needed: " + errText}}, NothingLeft: true},
			{Packages: []prs.DroppedPackage{{Attr: attr, Outcome: prs.DropAlready}}},
			{Packages: []prs.DroppedPackage{{Attr: attr, Outcome: prs.DropDropped}}, Closed: true},
		} {
			checkReply(t, DropReply(login, attr, month, res, nil), login, inputs...)
		}
		checkReply(t, DropReply(login, attr, month, nil, errors.New(errText)), login, inputs...)
	})
}
