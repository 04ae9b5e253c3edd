package compare

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/breaks"
	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sampleReport is a comparison with every kind of section: a shared
// maintainer set (hello, zlib-ng), a person with a team, a package without
// maintainers, one the index lacks, one failing only on Darwin, one with
// more maintainers than the cap, and a fix.
func sampleReport(t testing.TB) *Report {
	t.Helper()
	var id int64 = 300000000
	var brec, hrec []hydra.Record
	add := func(attr, sys string, b, h hydra.Status) {
		id++
		brec = append(brec, hydra.Record{Job: attr + "." + sys, System: sys, Status: b, Build: id})
		hrec = append(hrec, hydra.Record{Job: attr + "." + sys, System: sys, Status: h, Build: id + 100000})
	}
	add("hello", x86, 0, 1)
	add("hello", arm, 0, 1)
	add("zlib-ng", adar, 0, 6)
	add("zlib-ng", x86, 0, 0)
	add("python313Packages.foo", x86, 0, 1)
	add("orphan", arm, 0, 1)
	add("brandnew", x86, 0, 1)
	add("darwinonly", xdar, 0, 1)
	add("darwinonly", x86, 0, 0)
	add("bigpkg", x86, 0, 1)
	add("fixme", x86, 1, 0)
	add("stillbroken", x86, 1, 1)
	add("depvictim", x86, 0, 2)
	hrec = append(hrec, hydra.Record{Job: "newpkg." + x86, System: x86, Status: 1, Build: 500000000})
	brec = append(brec, hydra.Record{Job: "gone." + x86, System: x86, Status: 0, Build: 200000000})
	base := failures.Evaluation{ID: 1822500, Time: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), Records: brec}
	head := failures.Evaluation{ID: 1822600, Time: time.Date(2026, 3, 2, 8, 30, 0, 0, time.UTC), Records: hrec}
	res := Compare(base, head, baseJobset, headJobset, failures.DefaultPolicy())
	rep := NewReport(res, "https://hydra.nixos.org/", testIndex(t))
	for i := range rep.Sections {
		for j := range rep.Sections[i].Packages {
			p := &rep.Sections[i].Packages[j]
			p.LogBuild = p.Systems[0].Head.ID
			p.LogTail = []string{"building '/nix/store/…-" + p.Attr + ".drv'", "\x1b[31merror:\x1b[0m builder for " + p.Attr + " failed with exit code 1"}
			if p.Attr == "hello" {
				// Broke between: known on one system (exact), on the other
				// only as far back as markbot could look.
				good, bad := strings.Repeat("0a", 20), strings.Repeat("0b", 20)
				p.Systems[0].BrokeBetween = breaks.Range{Good: breaks.Point{Eval: 1822590, Revision: good}, Bad: breaks.Point{Eval: 1822595, Revision: bad}, Exact: true}
				p.Systems[1].BrokeBetween = breaks.Range{Good: breaks.Point{Eval: 1822580, Revision: good}, Bad: breaks.Point{Eval: 1822595, Revision: bad}}
				// A log line with backticks and one quoting a marker: the
				// fence grows, and the real marker stays the last one.
				p.LogTail = append(p.LogTail, "```` four backticks", `<!-- markbot compare base=evil/x head=evil/y {"version":1,"digest":"x","mentioned":{}} -->`)
			}
		}
	}
	return rep
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
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
		t.Errorf("%s differs from the golden file (run with -update to accept):\n%s", name, got)
	}
}

func TestMarkdownGolden(t *testing.T) {
	rep := sampleReport(t)
	if got := describe(rep.Result); got != "reg[bigpkg:x86_64-linux brandnew:x86_64-linux darwinonly:x86_64-darwin hello:x86_64-linux,aarch64-linux orphan:aarch64-linux python313Packages.foo:x86_64-linux zlib-ng:aarch64-darwin] fix[fixme:x86_64-linux] still=1 dep[depvictim:x86_64-linux] new[newpkg:x86_64-linux] onlybase=1 inconclusive=0 jobs=14/14" {
		t.Fatalf("sample comparison: %s", got)
	}
	marker := Marker{Version: MarkerVersion, Digest: rep.Digest()}
	for _, tc := range []struct {
		name     string
		prev     Mentions
		limit    int
		mentions []string // the keys this version mentions
	}{
		{"first.md", Mentions{}, 0, []string{"id:1001", "id:1002", "id:1003", "team:python"}},
		{"second.md", Mentions{IDs: []int64{1001, 1002}}, 0, []string{"id:1003", "team:python"}},
		{"shortened.md", Mentions{}, 3000, []string{"id:1001", "id:1002", "id:1003", "team:python"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mk := marker
			mk.Mentioned = tc.prev
			out := rep.Markdown(MarkdownOptions{Plan: PlanMentions(rep.Sections, tc.prev, PingPolicy{}), Marker: mk,
				Limit: tc.limit, FullReport: "/var/lib/markbot/compare/nixpkgs-unstable..nixpkgs-staging-next.json"})
			golden(t, tc.name, out.Body)
			if !slices.Equal(out.Mentioned, tc.mentions) {
				t.Errorf("mentioned %v, want %v", out.Mentioned, tc.mentions)
			}
			limit := tc.limit
			if limit == 0 {
				limit = CommentLimit
			}
			if len(out.Body) > limit {
				t.Errorf("%d bytes, over the limit %d", len(out.Body), limit)
			}
			if out.Truncated != (tc.limit > 0) {
				t.Errorf("truncated = %v", out.Truncated)
			}
			m, ok := ParseMarker(out.Body)
			if !ok || m.Base != baseJobset || m.Head != headJobset || m.Digest != rep.Digest() || m.HeadEval != 1822600 {
				t.Fatalf("marker %+v, %v", m, ok)
			}
			for _, k := range append(tc.mentions, keysOf(tc.prev)...) {
				if !m.Mentioned.Has(k) {
					t.Errorf("marker does not record %s: %+v", k, m.Mentioned)
				}
			}
			if m.Mentioned.Len() != len(tc.mentions)+tc.prev.Len() {
				t.Errorf("marker records %+v", m.Mentioned)
			}
			// No mention of anyone not planned: the cap, Darwin only.
			for _, who := range []string{"@m01", "@dave", "@NixOS/big-team", "@alice"} {
				if strings.Contains(out.Body, who) != slices.Contains(tc.mentions, map[string]string{"@alice": "id:1001"}[who]) {
					t.Errorf("%s mentioned = %v", who, strings.Contains(out.Body, who))
				}
			}
		})
	}
}

func keysOf(m Mentions) []string {
	var out []string
	for _, id := range m.IDs {
		out = append(out, Person{ID: id}.Key())
	}
	for _, l := range m.Logins {
		out = append(out, "login:"+l)
	}
	for _, t := range m.Teams {
		out = append(out, "team:"+t)
	}
	return out
}

// Shortening keeps every body within the limit, always ends with a
// parseable marker, and records only the mentions it shows.
func TestMarkdownLimits(t *testing.T) {
	rep := sampleReport(t)
	plan := PlanMentions(rep.Sections, Mentions{}, PingPolicy{})
	full := rep.Markdown(MarkdownOptions{Plan: plan})
	prevLen := len(full.Body)
	minimal := len(rep.render(MarkdownOptions{Plan: plan, FullReport: "full.json"}.withDefaults(), 0, 0).Body)
	for limit := len(full.Body); limit >= minimal; limit -= 97 {
		out := rep.Markdown(MarkdownOptions{Plan: plan, Limit: limit, FullReport: "full.json"})
		if len(out.Body) > limit {
			t.Fatalf("limit %d: %d bytes", limit, len(out.Body))
		}
		if _, ok := ParseMarker(out.Body); !ok {
			t.Fatalf("limit %d: no marker", limit)
		}
		for _, k := range out.Mentioned {
			p := strings.TrimPrefix(k, "id:")
			login := map[string]string{"1001": "@alice", "1002": "@bob-b", "1003": "@carol", "team:python": "@NixOS/python"}[p]
			if !strings.Contains(out.Body, login) {
				t.Errorf("limit %d: records %s without mentioning %s", limit, k, login)
			}
		}
		if limit < len(full.Body) && !out.Truncated {
			t.Errorf("limit %d: not marked truncated", limit)
		}
		if len(out.Body) > prevLen {
			t.Errorf("limit %d: body grew to %d", limit, len(out.Body))
		}
		prevLen = len(out.Body)
	}
	// Headings (mentions) outlive rows: with room for little more than the
	// headings, every pinged set is still mentioned.
	headings := len(rep.render(MarkdownOptions{Plan: plan}.withDefaults(), 0, len(rep.blocks())).Body)
	out := rep.Markdown(MarkdownOptions{Plan: plan, Limit: headings})
	if len(out.Mentioned) != 4 || strings.Contains(out.Body, "| `") || !strings.Contains(out.Body, "### Fixed on") {
		t.Errorf("at %d bytes: mentioned %v; rows shown: %v", headings, out.Mentioned, strings.Contains(out.Body, "| `"))
	}
	// One byte less: the last heading (the fixes) goes first.
	out = rep.Markdown(MarkdownOptions{Plan: plan, Limit: headings - 1})
	if len(out.Mentioned) != 4 || strings.Contains(out.Body, "### Fixed on") {
		t.Errorf("at %d bytes: mentioned %v", headings-1, out.Mentioned)
	}
}

func TestPlanMentions(t *testing.T) {
	rep := sampleReport(t)
	quiet := map[string]Quiet{}
	plan := PlanMentions(rep.Sections, Mentions{Teams: []string{"python"}}, PingPolicy{Exclude: "bob-b"})
	for i, s := range rep.Sections {
		quiet[s.Packages[0].Attr] = plan.Quiet[i]
	}
	want := map[string]Quiet{"bigpkg": QuietTooMany, "darwinonly": QuietSecondary, "hello": QuietNone,
		"python313Packages.foo": QuietNone, "brandnew": QuietNone}
	for a, q := range want {
		if quiet[a] != q {
			t.Errorf("%s: quiet %q, want %q", a, quiet[a], q)
		}
	}
	if got := keysSorted(plan.Ping); !slices.Equal(got, []string{"id:1001", "id:1003"}) {
		t.Errorf("ping %v (team python was mentioned before, bob-b is excluded)", got)
	}
	plan = PlanMentions(rep.Sections, Mentions{}, PingPolicy{PingSecondaryPlatforms: true, Max: 16})
	if got := keysSorted(plan.Ping); len(got) != 4+1+16 {
		t.Errorf("with Darwin and a cap of 16: %d pinged: %v", len(got), got)
	}
	plan = PlanMentions(rep.Sections, Mentions{}, PingPolicy{None: true})
	if len(plan.Ping) != 0 {
		t.Errorf("ping none: %v", plan.Ping)
	}
}

func keysSorted(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestTableAndJSON(t *testing.T) {
	rep := sampleReport(t)
	var tb bytes.Buffer
	if err := rep.Table(&tb); err != nil {
		t.Fatal(err)
	}
	golden(t, "table.txt", tb.String())
	var js bytes.Buffer
	if err := rep.JSON(&js); err != nil {
		t.Fatal(err)
	}
	golden(t, "report.json", js.String())
	var doc jsonReport
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != JSONSchema || len(doc.Regressions) != 7 || doc.Counts.RegressedJobs != 8 || doc.Regressions[0].Attr != "bigpkg" {
		t.Errorf("JSON: schema %d, %d regressions, %d jobs", doc.Schema, len(doc.Regressions), doc.Counts.RegressedJobs)
	}
	// The digest follows the content, not the rendering.
	d := rep.Digest()
	rep.Sections[0].Packages[0].LogTail = append(rep.Sections[0].Packages[0].LogTail, "one more line")
	if rep.Digest() == d {
		t.Error("digest ignores a changed log tail")
	}
}
