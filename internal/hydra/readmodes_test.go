package hydra_test

import (
	"cmp"
	"context"
	"net/http/httptest"
	"reflect"
	"slices"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
)

// pageStatus is what a build's status reads as on the evaluation page
// (renderBuildStatusIcon: 9 shows "Aborted", codes it does not name show
// "Failed").
func pageStatus(s hydra.Status) hydra.Status {
	switch s {
	case hydra.StatusUnsupported:
		return hydra.StatusAborted
	case hydra.StatusCachedFailure, hydra.StatusResolved:
		return hydra.StatusFailed
	}
	if !s.Known() {
		return hydra.StatusFailed
	}
	return s
}

// The page and the builds endpoint read the same evaluations into the
// same records (but for what the page does not show: durations, and the
// statuses its titles merge), and detection judges both the same.
func TestReadModesAgree(t *testing.T) {
	cfg := hydratest.DefaultGenConfig()
	cfg.Packages, cfg.Evals, cfg.BrokenShare = 1500, 6, 0.02
	g := hydratest.Generate(cfg)
	srv := httptest.NewServer(hydratest.New(g))
	defer srv.Close()
	history := map[hydra.ReadMode][]*hydra.EvalRecords{}
	for _, rm := range readModes {
		c := newClient(t, srv.URL, func(o *hydra.Options) { o.Read = rm.mode })
		cache, err := hydra.OpenCache(t.TempDir(), srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		h, err := c.History(context.Background(), cache, cfg.Project, cfg.Jobset, cfg.Evals)
		if err != nil {
			t.Fatalf("%s: %v", rm.mode, err)
		}
		history[rm.mode] = h
	}
	page, builds := history[hydra.ReadPage], history[hydra.ReadBuilds]
	if len(page) != cfg.Evals || len(builds) != cfg.Evals {
		t.Fatalf("read %d and %d evaluations, want %d", len(page), len(builds), cfg.Evals)
	}
	byID := func(rs []hydra.Record) []hydra.Record {
		rs = slices.Clone(rs)
		slices.SortFunc(rs, func(a, b hydra.Record) int { return cmp.Compare(a.Build, b.Build) })
		return rs
	}
	for i := range page {
		p, b := byID(page[i].Records), byID(builds[i].Records)
		if page[i].Eval != builds[i].Eval || page[i].Revision != builds[i].Revision || page[i].Revision == "" || len(p) != len(b) {
			t.Fatalf("evaluation %d: page %d records rev %q, builds %d records rev %q",
				builds[i].Eval, len(p), page[i].Revision, len(b), builds[i].Revision)
		}
		for j := range b {
			want := b[j]
			want.Status, want.Seconds = pageStatus(want.Status), 0
			if p[j] != want {
				t.Fatalf("evaluation %d: page record %+v, builds record %+v", builds[i].Eval, p[j], b[j])
			}
		}
	}
	judge := func(h []*hydra.EvalRecords) failures.Result {
		evals := make([]failures.Evaluation, len(h))
		for i, er := range h {
			evals[i] = failures.FromRecords(er)
		}
		res, err := failures.Detect(evals, failures.DefaultPolicy())
		if err != nil {
			t.Fatal(err)
		}
		for i := range res.Failures {
			for j := range res.Failures[i].PerSystem {
				for k := range res.Failures[i].PerSystem[j].BuildTimes {
					res.Failures[i].PerSystem[j].BuildTimes[k].Seconds = 0 // the page has no durations
				}
			}
		}
		return res
	}
	rp, rb := judge(page), judge(builds)
	if len(rb.Failures) == 0 {
		t.Fatal("the scenario has no persistent failure: the comparison proves nothing")
	}
	if !reflect.DeepEqual(rp, rb) {
		t.Errorf("judgements differ:\npage:   %d failures %+v\nbuilds: %d failures %+v", len(rp.Failures), rp.Failures, len(rb.Failures), rb.Failures)
	}
}

// History keeps of older evaluations only the jobs that did not succeed in
// the newest: detection judges the trimmed history as the whole one.
func TestHistoryTrimsWithoutChangingJudgements(t *testing.T) {
	cfg := hydratest.DefaultGenConfig()
	cfg.Packages, cfg.Evals, cfg.BrokenShare = 1500, 6, 0.02
	g := hydratest.Generate(cfg)
	srv := httptest.NewServer(hydratest.New(g))
	defer srv.Close()
	c := newClient(t, srv.URL)
	cache := mustCache(t, srv.URL)
	h, err := c.History(context.Background(), cache, cfg.Project, cfg.Jobset, cfg.Evals)
	if err != nil {
		t.Fatal(err)
	}
	whole := make([]failures.Evaluation, len(h))
	trimmed := make([]failures.Evaluation, len(h))
	kept, all := 0, 0
	for i, er := range h {
		full, err := cache.Load(er.Eval, nil)
		if err != nil {
			t.Fatal(err)
		}
		whole[i], trimmed[i] = failures.FromRecords(full), failures.FromRecords(er)
		if i >= 2 {
			kept, all = kept+len(er.Records), all+len(full.Records)
		}
	}
	if kept*5 > all {
		t.Errorf("older evaluations keep %d of %d records", kept, all)
	}
	rw, err1 := failures.Detect(whole, failures.DefaultPolicy())
	rt, err2 := failures.Detect(trimmed, failures.DefaultPolicy())
	if err1 != nil || err2 != nil || len(rw.Failures) == 0 || !reflect.DeepEqual(rw, rt) {
		t.Errorf("whole: %d failures (%v); trimmed: %d failures (%v)", len(rw.Failures), err1, len(rt.Failures), err2)
	}
}
