package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/config"
	"github.com/nixpkgs-markbot/markbot/internal/demo"
	"github.com/nixpkgs-markbot/markbot/internal/report"
)

// markbot site over the demo's world: two watched jobsets (master, marked,
// and the allow-broken probe jobset, reported), after one marking cycle.
func TestSiteFromTwoWatchedJobsets(t *testing.T) {
	w, cfg := demoWorld(t)
	if _, err := runCycle(context.Background(), cfg, false, cliLogger(&bytes.Buffer{}, false), &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	cfg.Watch = []config.WatchConfig{
		{Jobset: "nixpkgs/unstable", Role: config.RoleMark},
		{Jobset: demo.ProbeJobset, Role: config.RoleReport},
	}
	var errb bytes.Buffer
	var indexes siteIndexes
	site, err := buildSite(context.Background(), cfg, "https://example.org/markbot/", &indexes, cliLogger(&errb, false), &errb)
	if err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if len(site.Jobsets) != 2 || site.Jobsets[0].Error != "" || site.Jobsets[0].Eval == 0 || site.Jobsets[0].Revision == "" {
		t.Fatalf("jobsets %+v\n%s", site.Jobsets, errb.String())
	}
	var cmatrix *report.Failure
	for i := range site.Failures {
		if site.Failures[i].Attr == "cmatrix" && site.Failures[i].Jobset == "nixpkgs/unstable" {
			cmatrix = &site.Failures[i]
		}
	}
	if cmatrix == nil || len(cmatrix.Maintainers) == 0 || cmatrix.PR == nil {
		t.Fatalf("cmatrix on nixpkgs/unstable: %+v", cmatrix)
	}
	if len(site.Maintainers) == 0 {
		t.Fatal("no maintainers")
	}
	// markbot serve rebuilds the site every cycle: the packages index of
	// an evaluation already read is not downloaded again.
	before := w.Front.Stats().Requests["build/download"]
	if _, err := buildSite(context.Background(), cfg, "https://example.org/markbot/", &indexes, cliLogger(&errb, false), &errb); err != nil {
		t.Fatal(err)
	}
	if n := w.Front.Stats().Requests["build/download"] - before; n != 0 {
		t.Errorf("the second rebuild downloaded the packages index %d times", n)
	}
	site.Feed = report.Track(nil, site, site.Generated)
	dir := filepath.Join(t.TempDir(), "site")
	if _, err := report.WriteSite(dir, site); err != nil {
		t.Fatal(err)
	}
	login := cmatrix.Maintainers[0]
	var page, feed []byte
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(p, login) {
			b, _ := os.ReadFile(p)
			if strings.HasSuffix(p, ".atom") {
				feed = b
			} else if strings.HasSuffix(p, ".html") {
				page = b
			}
		}
		return nil
	})
	if !bytes.Contains(page, []byte("cmatrix")) {
		t.Errorf("%s's page does not show cmatrix:\n%s", login, page)
	}
	var atom struct {
		Entries []struct {
			ID    string `xml:"id"`
			Title string `xml:"title"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(feed, &atom); err != nil || len(atom.Entries) == 0 || !strings.Contains(atom.Entries[0].Title, "cmatrix") {
		t.Errorf("%s's feed: %+v, %v\n%s", login, atom, err, feed)
	}
}

func TestSiteUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := realMain([]string{"site"}, &out, &errb); code != exitUsage {
		t.Errorf("no flags: exit %d: %s", code, errb.String())
	}
}
