package failures

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// job is one job's history: spec has one token per evaluation, oldest
// first: "-" absent, "U" unfinished, or a status and a derivation letter
// ("1a": failed on derivation a). Builds of the same derivation are the
// same build (Hydra does not rebuild), with the times of the evaluation
// that first built it.
type job struct {
	name, system, spec string
}

func history(interval time.Duration, jobs ...job) []Evaluation {
	n := len(strings.Fields(jobs[0].spec))
	evals := make([]Evaluation, n)
	for e := range evals {
		evals[e] = Evaluation{ID: int64(100 + e), Time: t0.Add(time.Duration(e) * interval)}
	}
	nextID := int64(1000)
	for _, j := range jobs {
		builds := map[string]hydra.Record{}
		for e, tok := range strings.Fields(j.spec) {
			if tok == "-" {
				continue
			}
			status, drv := hydra.StatusUnfinished, "u"+strconv.Itoa(e)
			if tok != "U" {
				st, _ := strconv.Atoi(strings.TrimRight(tok, "abcdefghijklmnopqrstuvwxyz"))
				status, drv = hydra.Status(st), tok
			}
			r, ok := builds[drv]
			if !ok {
				nextID++
				ts := evals[e].Time.Unix()
				r = hydra.Record{Job: j.name, System: j.system, Status: status, Build: nextID, Seconds: 600, Stop: ts + 660}
				builds[drv] = r
			}
			evals[e].Records = append(evals[e].Records, r)
		}
	}
	return evals
}

const day = 24 * time.Hour

// linux is shorthand for a job on x86_64-linux.
func linux(attr, spec string) job { return job{attr + ".x86_64-linux", "x86_64-linux", spec} }

func TestDetectPerJob(t *testing.T) {
	tests := []struct {
		why      string
		interval time.Duration
		spec     string
		policy   func(*Policy)
		marked   bool
	}{
		{"own failure (1) on two derivations in the last 3 evaluations", day, "1a 1a 1b", nil, true},
		{"status 6 (failed with output) is the package's own failure too", day, "6a 6b 6c", nil, true},
		{"one derivation failing for only 2 days: one observation, not persistent yet", day, "1a 1a 1a", nil, false},
		{"a repeated build of one derivation is one observation, however many evaluations", day, "1a 1a 1a 1a 1a 1a", nil, false},
		{"one derivation failing for 20 days (≥ D) is persistent", 10 * day, "1a 1a 1a", nil, true},
		{"dependency failures (2) are never this package's fault", day, "2a 2b 2c 2d", nil, false},
		{"a dependency failure in the newest evaluation hides the package's own state", day, "1a 1b 1c 2d", nil, false},
		{"aborted, cancelled and timed out (3, 4, 7) are transient, not evidence", day, "3a 4b 7c 7d", nil, false},
		{"a transient result in between neither counts nor breaks the streak", day, "1a 1b 3c 1d", nil, true},
		{"a success in between resets the streak", day, "1a 1b 0c 1d 1e", nil, false},
		{"a success resets the clock: 10 days since it, one derivation", 5 * day, "0b 1c 1c 1c", nil, false},
		{"without the success the same derivation has failed 15 days", 5 * day, "1c 1c 1c 1c", nil, true},
		{"unsupported system (9) is not a failure", day, "9a 9b 9c", nil, false},
		{"non-deterministic (12) is not a build failure", day, "12a 12b 12c", nil, false},
		{"log limit (10) does not count by default", day, "10a 10b 10c", nil, false},
		{"log limit (10) counted by the policy, but its origin unknown: Detect alone never counts it", day, "10a 10b 10c", func(p *Policy) { p.IncludeLogLimit = true }, false},
		{"output limit (11) does not count by default", day, "11a 11b 11c", nil, false},
		{"output limit (11) counted by the policy, origin unknown: not counted", day, "11a 11b 11c", func(p *Policy) { p.IncludeOutputLimit = true }, false},
		{"a cached failure (8) alone: maybe a dependency's, not counted", day, "8a 8b 8c", nil, false},
		{"status 5 does not exist: not a failure", day, "5a 5b 5c", nil, false},
		{"a job that disappeared from the newest evaluation is dropped", day, "1a 1b 1c -", nil, false},
		{"two evaluations are fewer than K=3", day, "- 1a 1b", nil, false},
		{"K=2 accepts two", day, "- 1a 1b", func(p *Policy) { p.Evaluations = 2 }, true},
		{"unfinished in the newest evaluation: not failing there (yet)", day, "1a 1b 1c U", nil, false},
		{"builds again in the newest evaluation", day, "1a 1b 1c 0d", nil, false},
		{"an unfinished evaluation in between is no evidence", day, "1a U 1b 1c", nil, true},
		{"absent in between: the remaining evaluations still count", day, "1a - 1b 1c", nil, true},
		{"timeouts counted by policy, origin unknown: not counted", day, "7a 7b 7c", func(p *Policy) {
			p.OwnFailure = append(p.OwnFailure, hydra.StatusTimedOut)
		}, false},
		{"min derivations 3 needs a third derivation", day, "1a 1a 1b", func(p *Policy) { p.MinDerivations = 3 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.why, func(t *testing.T) {
			p := DefaultPolicy()
			if tt.policy != nil {
				tt.policy(&p)
			}
			// A healthy bystander keeps the mass-breakage guard quiet.
			h := history(tt.interval, linux("pkg", tt.spec), linux("ok1", strings.Repeat("0z ", len(strings.Fields(tt.spec)))))
			res, err := Detect(h, p)
			if err != nil {
				t.Fatal(err)
			}
			if res.MassBreakage != nil {
				t.Fatalf("unexpected mass breakage: %s", res.MassBreakage)
			}
			if got := len(res.Failures) == 1; got != tt.marked {
				t.Errorf("marked = %v, want %v (%+v)", got, tt.marked, res.Failures)
			}
		})
	}
}

func TestFailingSinceUsesReusedBuildTime(t *testing.T) {
	// The failing build was built 30 days before the first evaluation we
	// read, and every evaluation since reused it.
	h := history(day, linux("old", "1a 1a 1a"))
	for e := range h {
		h[e].Records[0].Stop = t0.Add(-30*day + time.Hour).Unix()
	}
	res, err := Detect(h, DefaultPolicy())
	if err != nil || len(res.Failures) != 1 {
		t.Fatalf("Detect = %+v, %v; want one failure (32 days old)", res, err)
	}
	if want := t0.Add(-30*day + time.Hour); !res.Failures[0].FailingSince.Equal(want) {
		t.Errorf("failing since %v, want %v", res.Failures[0].FailingSince, want)
	}
	// A success in the window bounds it, however old the failing build.
	h = history(day, linux("old", "0b 1a 1a 1a"))
	for e := 1; e < len(h); e++ {
		h[e].Records[0].Stop = t0.Add(-30*day + time.Hour).Unix()
	}
	res, _ = Detect(h, DefaultPolicy())
	if len(res.Failures) != 0 {
		t.Errorf("marked although it built %d days ago: %+v", 3, res.Failures)
	}
}

func TestDetectGroupsPerAttribute(t *testing.T) {
	h := history(day,
		job{"python313Packages.foo.x86_64-linux", "x86_64-linux", "0a 1b 1c 1d"},
		job{"python313Packages.foo.aarch64-darwin", "aarch64-darwin", "1a 1b 1b 1c"},
		job{"python313Packages.foo.aarch64-linux", "aarch64-linux", "0a 0a 0a 0a"},
		job{"nixpkgs.bar.x86_64-linux", "x86_64-linux", "1a 1b 1c 1d"}, // NixOS jobset naming
		job{"unstable", "", "1a 1b 1c 1d"},                             // aggregate: no system
		job{"tested", "x86_64-linux", "1a 1b 1c 1d"},                   // aggregate: no system suffix
		job{"baz.riscv64-linux", "riscv64-linux", "1a 1b 1c 1d"},       // a system not in the policy
		linux("ok1", "0a 0a 0a 0a"), linux("ok2", "0a 0a 0a 0a"), linux("ok3", "0a 0a 0a 0a"),
	)
	res, err := Detect(h, DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	var attrs []string
	for _, f := range res.Failures {
		attrs = append(attrs, f.Attr+"="+strings.Join(f.Systems, ","))
	}
	if got := strings.Join(attrs, " "); got != "bar=x86_64-linux python313Packages.foo=x86_64-linux,aarch64-darwin" {
		t.Fatalf("failures = %s", got)
	}
	foo := res.Failures[1]
	if foo.FirstFailingEval != 100 || !foo.FailingSince.Equal(t0) || foo.Derivations != 3 ||
		foo.LastSuccess == nil || foo.LastSuccess.Eval != 100 {
		t.Errorf("foo = %+v", foo)
	}
	x86 := foo.PerSystem[0]
	if x86.System != "x86_64-linux" || x86.Job != "python313Packages.foo.x86_64-linux" || x86.FirstFailingEval != 101 ||
		x86.Evaluations != 3 || x86.Derivations != 3 || x86.LastSuccess == nil || x86.LastSuccess.Eval != 100 || x86.Status != hydra.StatusFailed {
		t.Errorf("x86_64-linux = %+v", x86)
	}
	darwin := foo.PerSystem[1]
	if darwin.LastSuccess != nil || darwin.FirstFailingEval != 100 {
		t.Errorf("aarch64-darwin = %+v", darwin)
	}
	// Build time per evaluation: the reused build costs nothing again.
	var bt []string
	for _, b := range darwin.BuildTimes {
		bt = append(bt, fmt.Sprintf("%d:%d:%v", b.Eval, b.Seconds, b.Reused))
	}
	if got := strings.Join(bt, " "); got != "100:600:false 101:600:false 102:600:true 103:600:false" {
		t.Errorf("build times = %s", got)
	}
	if darwin.Build != h[3].Records[1].Build {
		t.Errorf("failing build = %d, want the newest evaluation's", darwin.Build)
	}
}

func TestMassBreakageGuard(t *testing.T) {
	mk := func(newlyFailing int, status string) []Evaluation {
		var jobs []job
		for i := 0; i < 100; i++ {
			spec := "0a 0a 0a"
			if i < newlyFailing {
				spec = "0a 0a " + status + "b"
			}
			jobs = append(jobs, linux(fmt.Sprintf("p%03d", i), spec))
		}
		// A genuinely broken package that would otherwise be proposed.
		jobs = append(jobs, linux("broken", "1a 1b 1c"))
		return history(day, jobs...)
	}
	tests := []struct {
		why      string
		newly    int
		status   string
		verdict  bool
		failures int
	}{
		{"1 of 101 jobs newly failing is not a mass breakage", 1, "1", false, 1},
		{"2 of 101 (1.98%) stays under 2%", 2, "1", false, 1},
		{"3 of 101 (2.97%) newly fail: mass breakage, nothing proposed", 3, "1", true, 0},
		{"dependency failures count: a bad merge of a core package shows as those", 30, "2", true, 0},
		{"unsupported systems are not failures", 30, "9", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.why, func(t *testing.T) {
			res, err := Detect(mk(tt.newly, tt.status), DefaultPolicy())
			if err != nil {
				t.Fatal(err)
			}
			if (res.MassBreakage != nil) != tt.verdict || len(res.Failures) != tt.failures {
				t.Fatalf("verdict %v, %d failures; want %v, %d", res.MassBreakage, len(res.Failures), tt.verdict, tt.failures)
			}
			if mb := res.MassBreakage; mb != nil {
				if mb.Eval != 102 || mb.PreviousEval != 101 || mb.NewlyFailing != tt.newly || mb.Jobs != 101 || mb.Threshold != 0.02 {
					t.Errorf("verdict = %+v", mb)
				}
				if !strings.Contains(mb.String(), "mass breakage in evaluation 102") {
					t.Errorf("verdict text: %s", mb)
				}
			}
		})
	}
}

func TestAllowDeny(t *testing.T) {
	h := history(day, linux("python313Packages.foo", "1a 1b 1c"), linux("python312Packages.foo", "1a 1b 1c"),
		linux("hello", "1a 1b 1c"), linux("linuxPackages.zfs", "1a 1b 1c"),
		linux("ok1", "0a 0a 0a"), linux("ok2", "0a 0a 0a"), linux("ok3", "0a 0a 0a"), linux("ok4", "0a 0a 0a"))
	tests := []struct {
		why         string
		allow, deny []string
		want        string
		filtered    int
	}{
		{"no globs: everything", nil, nil, "hello linuxPackages.zfs python312Packages.foo python313Packages.foo", 0},
		{"deny a package set ('*' crosses dots)", nil, []string{"linuxPackages.*"}, "hello python312Packages.foo python313Packages.foo", 1},
		{"allow only python sets", []string{"python3*Packages.*"}, nil, "python312Packages.foo python313Packages.foo", 2},
		{"deny wins over allow", []string{"python3*Packages.*"}, []string{"python312Packages.*"}, "python313Packages.foo", 3},
	}
	for _, tt := range tests {
		t.Run(tt.why, func(t *testing.T) {
			p := DefaultPolicy()
			p.Allow, p.Deny = tt.allow, tt.deny
			res, err := Detect(h, p)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range res.Failures {
				got = append(got, f.Attr)
			}
			if strings.Join(got, " ") != tt.want || res.Filtered != tt.filtered {
				t.Errorf("got %v (filtered %d), want %s (filtered %d)", got, res.Filtered, tt.want, tt.filtered)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		why  string
		mod  func(*Policy)
		want string
	}{
		{"defaults are valid", func(*Policy) {}, ""},
		{"K must be positive", func(p *Policy) { p.Evaluations = 0 }, "evaluations"},
		{"D must not be negative", func(p *Policy) { p.MinDays = -1 }, "min days"},
		{"dependency failure can never be own failure", func(p *Policy) { p.OwnFailure = []hydra.Status{1, 2} }, "status 2"},
		{"success can never be own failure", func(p *Policy) { p.OwnFailure = []hydra.Status{0} }, "status 0"},
		{"share in (0,1]", func(p *Policy) { p.MassBreakageShare = 0 }, "mass breakage"},
		{"bad glob", func(p *Policy) { p.Deny = []string{"foo["} }, "glob"},
		{"systems needed", func(p *Policy) { p.Systems = nil }, "systems"},
	}
	for _, tt := range tests {
		p := DefaultPolicy()
		tt.mod(&p)
		err := p.Validate()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: err = %v, want %q", tt.why, err, tt.want)
		}
		if tt.want != "" {
			if _, err := Detect(history(day, linux("a", "1a")), p); err == nil {
				t.Errorf("%s: Detect accepted the policy", tt.why)
			}
		}
	}
}

func TestDetectInputErrors(t *testing.T) {
	if _, err := Detect(nil, DefaultPolicy()); err == nil {
		t.Error("no evaluations accepted")
	}
	h := history(day, linux("a", "1a 1b"))
	h[1].ID = h[0].ID
	if _, err := Detect(h, DefaultPolicy()); err == nil {
		t.Error("a duplicate evaluation accepted")
	}
}

func TestClassify(t *testing.T) {
	p := DefaultPolicy()
	want := map[hydra.Status]Class{
		0: ClassSuccess, 1: ClassOwnFailure, 2: ClassDependency, 3: ClassTransient, 4: ClassTransient,
		5: ClassIgnored, 6: ClassOwnFailure, 7: ClassTransient, 8: ClassUnknownOrigin, 9: ClassUnsupported,
		10: ClassSizeLimit, 11: ClassSizeLimit, 12: ClassNonDeterministic, 13: ClassIgnored, 99: ClassIgnored,
		hydra.StatusUnfinished: ClassUnfinished,
	}
	for s, c := range want {
		if got := p.Classify(s); got != c {
			t.Errorf("Classify(%d) = %s, want %s", s, got, c)
		}
	}
}

// A watched jobset on another Hydra whose release file nests packages
// under an attribute of its own (Policy.JobPrefix): the prefix is taken
// off, and a job without it is not a package.
func TestDetectJobPrefix(t *testing.T) {
	h := history(day,
		job{"cuda.cudaPackages.cudnn.x86_64-linux", "x86_64-linux", "1a 1b 1c 1d"},
		job{"hello.x86_64-linux", "x86_64-linux", "1a 1b 1c 1d"}, // not under the prefix
		linux("cuda.ok1", "0a 0a 0a 0a"), linux("cuda.ok2", "0a 0a 0a 0a"), linux("cuda.ok3", "0a 0a 0a 0a"),
	)
	p := DefaultPolicy()
	p.JobPrefix = "cuda."
	res, err := Detect(h, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 1 || res.Failures[0].Attr != "cudaPackages.cudnn" || res.Failures[0].PerSystem[0].Job != "cuda.cudaPackages.cudnn.x86_64-linux" {
		t.Errorf("failures %+v", res.Failures)
	}
}
