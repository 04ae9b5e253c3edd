package hydratest

import (
	"fmt"
	"strings"
	"testing"
)

// ms parses "job/system=status" ("q" for queued) into a member; ids count
// from 1 in order.
func ms(t *testing.T, spec string) ([]member, []string) {
	t.Helper()
	var out []member
	var systems []string
	sysIdx := map[string]uint8{}
	for i, f := range strings.Fields(spec) {
		js, st, _ := strings.Cut(f, "=")
		job, sys, ok := strings.Cut(js, "/")
		if !ok {
			sys = "x86_64-linux"
		}
		if _, ok := sysIdx[sys]; !ok {
			sysIdx[sys] = uint8(len(systems))
			systems = append(systems, sys)
		}
		m := member{job: job, id: int64(i + 1), system: sysIdx[sys], status: statusQueued}
		if st != "q" {
			var n int
			fmt.Sscan(st, &n)
			m.status = int8(n)
		}
		out = append(out, m)
	}
	sortMembers(out, systems)
	return out, systems
}

var catNames = [numCategories]string{"aborted", "nowFail", "nowSucceed", "new", "stillFail", "stillSucceed", "unfinished"}

func TestBuildDiff(t *testing.T) {
	for _, c := range []struct {
		name, cur, prev string
		want            string // "job:category ..." in sorted order
		removed         string // previous jobs listed as removed
		aborted, failed int
		queued          int
	}{
		{"still and now", "a=0 b=1 c=0 d=1", "a=0 b=1 c=1 d=0",
			"a:stillSucceed b:stillFail c:nowSucceed d:nowFail", "", 0, 2, 0},
		{"non-zero statuses all fail alike", "a=2 b=9 c=0", "a=6 b=1 c=11",
			"a:stillFail b:stillFail c:nowSucceed", "", 0, 2, 0},
		{"aborted whatever the other says", "a=3 b=4 c=7 d=10 e=3", "a=0 b=1 c=q d=3",
			"a:aborted b:aborted c:aborted d:aborted e:aborted", "", 5, 0, 0},
		{"status 9 and 11 are not aborted", "a=9 b=11", "a=0 b=0",
			"a:nowFail b:nowFail", "", 0, 2, 0},
		{"counterpart unfinished", "a=0 b=1", "a=q b=q",
			"a:unfinished b:unfinished", "", 0, 1, 0},
		{"unfinished with a counterpart", "a=q", "a=0", "a:unfinished", "", 0, 0, 1},
		{"unfinished without one is new", "a=q", "", "a:new", "", 0, 0, 1},
		{"new", "a=0 b=1", "a=0", "a:stillSucceed b:new", "", 0, 1, 0},
		{"removed only when passed over", "b=0 d=0", "a=0 b=0 c=0 d=0 e=0 f=0",
			"b:stillSucceed d:stillSucceed", "a c", 0, 0, 0},
		{"nothing removed after the last current build", "a=0", "a=0 b=0 c=0",
			"a:stillSucceed", "", 0, 0, 0},
		{"nothing removed against an empty evaluation", "", "a=0 b=0", "", "", 0, 0, 0},
		{"systems compared after jobs", "a/x86_64-linux=0 a/aarch64-linux=1", "a/aarch64-linux=0 a/i686-linux=0 a/x86_64-linux=1",
			"a/aarch64-linux:nowFail a/x86_64-linux:nowSucceed", "a/i686-linux", 0, 1, 0},
		{"byte-wise order", "B=0 a=0", "a=0 B=0 _=0", "B:stillSucceed a:stillSucceed", "_", 0, 0, 0},
		{"aborted consumes its counterpart", "a=3 b=0", "a=0 b=0", "a:aborted b:stillSucceed", "", 1, 0, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			cur, cs := ms(t, c.cur)
			prev, ps := ms(t, c.prev)
			d := buildDiff(cur, cs, prev, ps)
			var got []string
			for i, m := range cur {
				name := m.job
				if strings.Contains(c.cur, "/") {
					name += "/" + cs[m.system]
				}
				got = append(got, name+":"+catNames[d.cats[i]])
			}
			if g := strings.Join(got, " "); g != c.want {
				t.Errorf("categories\n got %s\nwant %s", g, c.want)
			}
			var rem []string
			for _, k := range d.removed {
				name := prev[k].job
				if strings.Contains(c.prev, "/") {
					name += "/" + ps[prev[k].system]
				}
				rem = append(rem, name)
			}
			if g := strings.Join(rem, " "); g != c.removed {
				t.Errorf("removed %q, want %q", g, c.removed)
			}
			if d.totalAborted != c.aborted || d.totalFailed != c.failed || d.totalQueued != c.queued {
				t.Errorf("totals aborted %d failed %d queued %d, want %d %d %d", d.totalAborted, d.totalFailed, d.totalQueued, c.aborted, c.failed, c.queued)
			}
			sum := 0
			for _, n := range d.counts {
				sum += n
			}
			if sum != len(cur) {
				t.Errorf("tabs hold %d builds, evaluation has %d", sum, len(cur))
			}
		})
	}
}

func TestFilterIsILike(t *testing.T) {
	for _, c := range []struct {
		filter string
		match  []string
		miss   []string
	}{
		{"hello", []string{"hello.x86_64-linux", "HELLO.x", "pkgs.Hello"}, []string{"hell.o"}},
		{"py_3", []string{"pyx3", "PY_3", "apy.3b"}, []string{"py3", "pyxx3"}},
		{"a%b", []string{"ab", "a-long-b", "xAyyBz"}, []string{"ba"}},
		{`a\_b`, []string{"a_b", "xA_Bx"}, []string{"axb"}},
		{`100\%`, []string{"100%"}, []string{"1000"}},
		{"ÄÖ", []string{"xäöy", "ÄÖ"}, []string{"ao"}},
	} {
		p, err := compileFilter(c.filter)
		if err != "" {
			t.Fatalf("%q: %s", c.filter, err)
		}
		for _, s := range c.match {
			if !p.match(s) {
				t.Errorf("%q does not match %q", c.filter, s)
			}
		}
		for _, s := range c.miss {
			if p.match(s) {
				t.Errorf("%q matches %q", c.filter, s)
			}
		}
	}
	if _, err := compileFilter(`abc\`); err != errLikeEscape {
		t.Errorf("trailing escape: %q", err)
	}
	if p, _ := compileFilter(""); !p.match("anything") {
		t.Error("empty filter")
	}
}
