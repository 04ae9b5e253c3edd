package failures

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

// TestClassifyOrigin is the table of docs/hydra.md: each status as the
// Rust queue runner writes it (inner_fail_job: a step's status copied onto
// every dependent, 1 turned into 2), under the default policy and under
// one counting 7, 10 and 11.
func TestClassifyOrigin(t *testing.T) {
	def := DefaultPolicy()
	wide := DefaultPolicy()
	wide.OwnFailure = append(wide.OwnFailure, hydra.StatusTimedOut, hydra.StatusLogLimitExceeded, hydra.StatusOutputLimitExceeds)
	wide.IncludeLogLimit, wide.IncludeOutputLimit = true, true
	own, dep, unk := hydra.OriginOwn, hydra.OriginDependency, hydra.OriginUnknown
	tests := []struct {
		why    string
		status hydra.Status
		origin hydra.Origin
		def    Class // under DefaultPolicy
		wide   Class // counting 7, 10, 11
	}{
		{"success", 0, own, ClassSuccess, ClassSuccess},
		{"1: always the build's own derivation", 1, own, ClassOwnFailure, ClassOwnFailure},
		{"2: a dependency's step failed with 1", 2, dep, ClassDependency, ClassDependency},
		{"3 on the build's own step: transient", 3, own, ClassTransient, ClassTransient},
		{"3 copied from a dependency", 3, dep, ClassDependency, ClassDependency},
		{"4 copied from a dependency", 4, dep, ClassDependency, ClassDependency},
		{"6: own (nix-support/failed)", 6, own, ClassOwnFailure, ClassOwnFailure},
		{"7 own: transient unless the policy counts it", 7, own, ClassTransient, ClassOwnFailure},
		{"7 copied from a dependency's step", 7, dep, ClassDependency, ClassDependency},
		{"7 of unknown origin", 7, unk, ClassTransient, ClassUnknownOrigin},
		{"8 on the build's own top level: as the C++ runner stored it, 1", 8, own, ClassOwnFailure, ClassOwnFailure},
		{"8 copied from a dependency's cached step", 8, dep, ClassDependency, ClassDependency},
		{"8 of unknown origin", 8, unk, ClassUnknownOrigin, ClassUnknownOrigin},
		{"9 own: not a failure", 9, own, ClassUnsupported, ClassUnsupported},
		{"9 copied: a dependency's", 9, dep, ClassDependency, ClassDependency},
		{"10 own", 10, own, ClassSizeLimit, ClassOwnFailure},
		{"10 copied", 10, dep, ClassDependency, ClassDependency},
		{"10 of unknown origin", 10, unk, ClassSizeLimit, ClassUnknownOrigin},
		{"11 own", 11, own, ClassSizeLimit, ClassOwnFailure},
		{"11 copied", 11, dep, ClassDependency, ClassDependency},
		{"11 of unknown origin", 11, unk, ClassSizeLimit, ClassUnknownOrigin},
		{"12: not a build failure", 12, own, ClassNonDeterministic, ClassNonDeterministic},
		{"13: steps only", 13, unk, ClassIgnored, ClassIgnored},
		{"5: no such status", 5, unk, ClassIgnored, ClassIgnored},
		{"an unknown code", 77, own, ClassIgnored, ClassIgnored},
	}
	for _, tt := range tests {
		if got := def.ClassifyOrigin(tt.status, tt.origin); got != tt.def {
			t.Errorf("%s: default ClassifyOrigin(%d, %s) = %s, want %s", tt.why, tt.status, tt.origin, got, tt.def)
		}
		if got := wide.ClassifyOrigin(tt.status, tt.origin); got != tt.wide {
			t.Errorf("%s: wide ClassifyOrigin(%d, %s) = %s, want %s", tt.why, tt.status, tt.origin, got, tt.wide)
		}
	}
}

// TestConfirm: what Hydra says about each failing build decides; the page's
// "Failed" may be a dependency's cached failure.
func TestConfirm(t *testing.T) {
	withTimeouts := func(p *Policy) { p.OwnFailure = append(p.OwnFailure, hydra.StatusTimedOut) }
	tests := []struct {
		why    string
		spec   string
		policy func(*Policy)
		answer func(r hydra.Record) (hydra.Status, hydra.Origin, error)
		marked bool
		unconf bool
	}{
		{"1 that really is 1", "1a 1b 1c", nil,
			func(r hydra.Record) (hydra.Status, hydra.Origin, error) { return 1, hydra.OriginOwn, nil }, true, false},
		{"the page's Failed is a dependency's cached failure (8)", "1a 1b 1c", nil,
			func(r hydra.Record) (hydra.Status, hydra.Origin, error) { return 8, hydra.OriginDependency, nil }, false, false},
		{"the page's Failed is the build's own cached failure", "1a 1b 1c", nil,
			func(r hydra.Record) (hydra.Status, hydra.Origin, error) { return 8, hydra.OriginOwn, nil }, true, false},
		{"8 read from JSON, its own", "8a 8b 8c", nil,
			func(r hydra.Record) (hydra.Status, hydra.Origin, error) { return 8, hydra.OriginOwn, nil }, true, false},
		{"8 whose steps say nothing", "8a 8b 8c", nil,
			func(r hydra.Record) (hydra.Status, hydra.Origin, error) { return 8, hydra.OriginUnknown, nil }, false, false},
		{"own timeouts, counted by policy", "7a 7b 7c", withTimeouts,
			func(r hydra.Record) (hydra.Status, hydra.Origin, error) { return 7, hydra.OriginOwn, nil }, true, false},
		{"timeouts copied from a dependency", "7a 7b 7c", withTimeouts,
			func(r hydra.Record) (hydra.Status, hydra.Origin, error) { return 7, hydra.OriginDependency, nil }, false, false},
		{"timeouts by default: not even asked", "7a 7b 7c", nil,
			func(r hydra.Record) (hydra.Status, hydra.Origin, error) { panic("asked") }, false, false},
		{"Hydra does not answer: unconfirmed, not marked", "1a 1b 1c", nil,
			func(r hydra.Record) (hydra.Status, hydra.Origin, error) { return 0, 0, errors.New("503") }, false, true},
		{"one of three builds a dependency's: the streak is short", "1a 1b 1c", nil,
			func(r hydra.Record) (hydra.Status, hydra.Origin, error) {
				if r.Build == 1002 {
					return 8, hydra.OriginDependency, nil
				}
				return 1, hydra.OriginOwn, nil
			}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.why, func(t *testing.T) {
			p := DefaultPolicy()
			if tt.policy != nil {
				tt.policy(&p)
			}
			h := history(day, linux("pkg", tt.spec), linux("ok1", strings.Repeat("0z ", len(strings.Fields(tt.spec)))))
			recs := map[int64]hydra.Record{}
			for _, e := range h {
				for _, r := range e.Records {
					recs[r.Build] = r
				}
			}
			asked := 0
			ask := func(ctx context.Context, id, stop int64) (hydra.Status, hydra.Origin, error) {
				asked++
				r := recs[id]
				if r.Stop != stop {
					t.Errorf("asked about build %d with stop %d, want %d", id, stop, r.Stop)
				}
				return tt.answer(r)
			}
			res, _, err := Confirm(context.Background(), h, p, ask, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(res.Failures) == 1; got != tt.marked {
				t.Errorf("marked = %v, want %v (%+v)", got, tt.marked, res.Failures)
			}
			if got := len(res.Unconfirmed) == 1; got != tt.unconf {
				t.Errorf("unconfirmed = %v, want %v", res.Unconfirmed, tt.unconf)
			}
			if tt.marked && asked == 0 {
				t.Error("marked without asking")
			}
		})
	}
}

func TestConfirmBudget(t *testing.T) {
	h := history(day, linux("a", "1a 1b 1c"), linux("b", "1a 1b 1c"), linux("ok", "0z 0z 0z"),
		linux("ok2", "0z 0z 0z"), linux("ok3", "0z 0z 0z"))
	asked := 0
	ask := func(ctx context.Context, id, stop int64) (hydra.Status, hydra.Origin, error) {
		asked++
		return 1, hydra.OriginOwn, nil
	}
	p := DefaultPolicy()
	p.MassBreakageShare = 1
	res, _, err := Confirm(context.Background(), h, p, ask, 4)
	if err != nil {
		t.Fatal(err)
	}
	if asked != 4 || len(res.Failures) != 1 || len(res.Unconfirmed) != 1 {
		t.Errorf("asked %d, failures %d, unconfirmed %v; want 4, 1, one", asked, len(res.Failures), res.Unconfirmed)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = Confirm(ctx, h, p, func(ctx context.Context, id, stop int64) (hydra.Status, hydra.Origin, error) {
		return 0, 0, ctx.Err()
	}, 0)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestUnknownStatusLogged(t *testing.T) {
	h := history(day, linux("five", "5a 5b 5c"), linux("ok", "0z 0z 0z"))
	res, err := Detect(h, DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 0 || res.UnknownStatuses[5] != 1 {
		t.Errorf("failures %v, unknown %v; want none and {5: 1}", res.Failures, res.UnknownStatuses)
	}
}

// A failure on two systems whose builds on one Hydra did not answer about
// is left out whole, not kept on the other system: its marker would stay
// narrower than the failure.
func TestConfirmLeavesOutPartlyAnswered(t *testing.T) {
	arm := job{"pkg.aarch64-linux", "aarch64-linux", "1a 1b 1c"}
	h := history(day, linux("pkg", "1a 1b 1c"), arm, linux("ok", "0z 0z 0z"), linux("ok2", "0z 0z 0z"), linux("ok3", "0z 0z 0z"))
	p := DefaultPolicy()
	p.MassBreakageShare = 1
	ask := func(ctx context.Context, id, stop int64) (hydra.Status, hydra.Origin, error) {
		for _, e := range h {
			for _, r := range e.Records {
				if r.Build == id && r.System == "aarch64-linux" {
					return 0, 0, errors.New("502 Bad Gateway")
				}
			}
		}
		return 1, hydra.OriginOwn, nil
	}
	res, _, err := Confirm(context.Background(), h, p, ask, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 0 || len(res.Unconfirmed) != 1 || res.Unconfirmed[0] != "pkg" {
		t.Errorf("failures %+v, unconfirmed %v; want none and pkg", res.Failures, res.Unconfirmed)
	}
	if res.AskErrors != 3 || res.AskError == nil || !strings.Contains(res.AskError.Error(), "502") {
		t.Errorf("ask errors %d (%v), want 3 with the first", res.AskErrors, res.AskError)
	}
}
