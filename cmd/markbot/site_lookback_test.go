package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/breaks"
	"github.com/nixpkgs-markbot/markbot/internal/config"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
)

// markbot site looks further back on Hydra for a range the evaluations
// read do not reach: foo built in evaluation 1, and the site reads the
// three newest (3–5) of a jobset failing since 2. The range is found with
// Hydra's per-job routes, kept in broke-between.json, and not looked up
// again by the next rebuild.
func TestSiteLooksBack(t *testing.T) {
	const sys = "x86_64-linux"
	s := hydratest.NewStatic("nixpkgs", "unstable")
	ok := hydratest.B(10, "foo."+sys, sys, 0, strings.Repeat("a", 32)+"-foo-1", 10, 20)
	bad := hydratest.B(11, "foo."+sys, sys, 1, strings.Repeat("b", 32)+"-foo-2", 86400*2, 86400*2+10)
	bad2 := hydratest.B(12, "foo."+sys, sys, 1, strings.Repeat("c", 32)+"-foo-3", 86400*20, 86400*20+10)
	var okBuilds []*hydratest.Build
	for i := range 3 {
		okBuilds = append(okBuilds, hydratest.B(int64(100+i), fmt.Sprintf("ok%d.%s", i, sys), sys, 0, fmt.Sprintf("%032d-ok%d", i, i), 10, 20))
	}
	s.AddEval(1, 100, append([]*hydratest.Build{ok}, okBuilds...)...).
		AddEval(2, 86400*2, append([]*hydratest.Build{bad}, okBuilds...)...).
		AddEval(3, 86400*10, append([]*hydratest.Build{bad}, okBuilds...)...).
		AddEval(4, 86400*20, append([]*hydratest.Build{bad2}, okBuilds...)...).
		AddEval(5, 86400*30, append([]*hydratest.Build{bad2}, okBuilds...)...)
	fake := hydratest.New(s)
	front := hydratest.HydraNixosOrg(fake, hydratest.FrontEndOptions{Rate: 2000})
	srv := httptest.NewServer(front)
	defer srv.Close()
	dir := t.TempDir()
	source, _ := filepath.Abs(filepath.Join(examples, "packages.json"))
	path := filepath.Join(dir, "markbot.yaml")
	if err := os.WriteFile(path, []byte(fmt.Sprintf("version: 1\nhydra:\n  url: %s\n  jobset: nixpkgs/unstable\n  evaluations: 3\npackages:\n  source: %s\nstate:\n  path: %s\n",
		srv.URL, source, filepath.Join(dir, "state", "markbot.db"))), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Hydra.RequestsPerSecond = 1000
	var errb bytes.Buffer
	site, err := buildSite(context.Background(), cfg, "https://example.org/", nil, cliLogger(&errb, true), &errb)
	if err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if len(site.Failures) != 1 || site.Failures[0].Attr != "foo" || site.Failures[0].BrokeBetween == nil {
		t.Fatalf("failures %+v\n%s", site.Failures, errb.String())
	}
	br := site.Failures[0].BrokeBetween
	// hydratest gives evaluation N the nixpkgs revision %040x of N.
	if br.Good != fmt.Sprintf("%040x", 1) || br.Bad != fmt.Sprintf("%040x", 2) {
		t.Errorf("range %s...%s, want evaluation 1's ... 2's revision", br.Good, br.Bad)
	}
	if _, err := os.Stat(filepath.Join(dir, "state", "hydra")); err != nil {
		t.Fatal(err)
	}
	// A count markbot compare got from GitHub for the range shows on the
	// pages.
	entries, _ := filepath.Glob(filepath.Join(dir, "state", "hydra", "*", "broke-between.json"))
	if len(entries) != 1 {
		t.Fatalf("broke-between.json files: %v", entries)
	}
	known, err := breaks.LoadKnown(entries[0])
	if err != nil || len(known.Ranges) == 0 {
		t.Fatalf("broke-between.json: %v, %+v", err, known)
	}
	known.Commits[br.Good+"..."+br.Bad] = 17
	if err := breaks.SaveKnown(entries[0], known); err != nil {
		t.Fatal(err)
	}
	before := front.Stats().Requests["job"]
	site, err = buildSite(context.Background(), cfg, "https://example.org/", nil, cliLogger(&errb, false), &errb)
	if err != nil {
		t.Fatal(err)
	}
	if br := site.Failures[0].BrokeBetween; br == nil || br.Commits != 17 {
		t.Errorf("the second rebuild's range %+v, want the 17 commits compare counted", br)
	}
	if n := front.Stats().Requests["job"] - before; n != 0 || before == 0 {
		t.Errorf("job requests: %d on the first build, %d on the second (want some, then none: the range is kept)", before, n)
	}
}
