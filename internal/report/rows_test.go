package report

import (
	"bytes"
	"html/template"
	"strings"
	"testing"
	"time"
)

// The oracle: rows and entries as html/template renders them, from the
// templates in testdata/oracle. writeRow and writeEntry must give the same
// bytes.

type rowData struct {
	T *tableData
	F *Failure
}

func oracleTemplates(t testing.TB) (row, entry *template.Template) {
	t.Helper()
	row = template.Must(template.New("row.tmpl").Funcs(funcs).ParseFiles("testdata/oracle/row.tmpl")).Lookup("row")
	entry = template.Must(template.New("entry.tmpl").Funcs(funcs).ParseFiles("testdata/oracle/entry.tmpl"))
	return row, entry
}

func oracleRow(t testing.TB, tmpl *template.Template, td *tableData, f *Failure) string {
	var b bytes.Buffer
	if err := tmpl.Execute(&b, rowData{T: td, F: f}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func oracleEntry(t testing.TB, tmpl *template.Template, tr *Tracked, jobs []entryJob) string {
	var b bytes.Buffer
	if err := tmpl.Execute(&b, struct {
		T    *Tracked
		S    *Snapshot
		Jobs []entryJob
	}{tr, &tr.Snapshot, jobs}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var tables = []tableData{
	{Root: "../", Anchors: true, ShowPeople: true},
	{Root: "../../", Anchors: false, ShowPeople: false},
	{Root: "", Anchors: true, ShowPeople: false},
	{Root: "../", Anchors: false, ShowPeople: true},
}

func TestRowsMatchTemplates(t *testing.T) {
	row, entry := oracleTemplates(t)
	site := sampleSite(t)
	for i := range site.Failures {
		f := &site.Failures[i]
		for _, td := range tables {
			var b bytes.Buffer
			writeRow(&b, &td, f)
			if want := oracleRow(t, row, &td, f); b.String() != want {
				t.Errorf("%s in %+v:\n%s\nhtml/template:\n%s", f.Attr, td, b.String(), want)
			}
		}
	}
	for i := range site.Feed {
		tr := &site.Feed[i]
		jobs := []entryJob{{System: "x86_64-linux", URL: "https://hydra.nixos.org/job/a"}, {System: `<"x">`, URL: "javascript:x"}}
		for _, j := range [][]entryJob{nil, jobs} {
			var b bytes.Buffer
			writeEntry(&b, tr, j)
			if want := oracleEntry(t, entry, tr, j); b.String() != want {
				t.Errorf("%s:\n%s\nhtml/template:\n%s", tr.ID, b.String(), want)
			}
		}
	}
}

// FuzzRows: for any strings from Hydra or nixpkgs, the rows and entries
// are what html/template makes of them, so they are escaped as it
// escapes.
func FuzzRows(f *testing.F) {
	for _, s := range []string{"", "hello", hostileAttr, hostileName, hostileWho, "javascript:alert(1)", "JavaScript:x", "https://h/a b?c=d&e=<f>#g",
		"data:text/html,x", "/rel/path:x", "%zz%41%", "a+b", "\x00\xff\xfe", "é\u2028\ufdd0", "mailto:x", "http:", ":x", "a/b:c"} {
		f.Add(s, s, s)
	}
	row, entry := oracleTemplates(f)
	f.Fuzz(func(t *testing.T, a, b, c string) {
		fl := &Failure{Jobset: "nixpkgs/unstable", Attr: a, Name: b, Systems: []string{c, "x86_64-linux"},
			Since: t0, Builds: []Build{{System: c, BuildURL: a, LogURL: b}, {System: "x86_64-linux", BuildURL: c}},
			BrokeBetween: &Range{Good: a, Bad: b, CompareURL: c, Commits: len(a) - 3},
			Maintainers:  []string{a, "alice", c}, Teams: []string{b, "gnome"},
			PR:     &PRRef{Number: len(b), URL: c, Kind: a, State: b},
			Marker: &MarkerRef{State: a, LastProbe: t0, ProbeResult: c}}
		for _, td := range tables {
			var buf bytes.Buffer
			writeRow(&buf, &td, fl)
			if want := oracleRow(t, row, &td, fl); buf.String() != want {
				t.Fatalf("%q %q %q in %+v:\n%s\nhtml/template:\n%s", a, b, c, td, buf.String(), want)
			}
		}
		tr := &Tracked{ID: "x", Jobset: b, Attr: a, Published: t0, Updated: t0, Snapshot: snapshot(fl)}
		for _, fixed := range []time.Time{{}, t0} {
			tr.Fixed = fixed
			jobs := []entryJob{{System: a, URL: b}, {System: c, URL: "https://h/" + c}}
			var buf bytes.Buffer
			writeEntry(&buf, tr, jobs)
			if want := oracleEntry(t, entry, tr, jobs); buf.String() != want {
				t.Fatalf("%q %q %q:\n%s\nhtml/template:\n%s", a, b, c, buf.String(), want)
			}
		}
		if strings.Contains(a, "<") {
			var buf bytes.Buffer
			escText(&buf, a)
			if strings.Contains(buf.String(), "<") {
				t.Fatalf("escText(%q) = %q", a, buf.String())
			}
		}
	})
}
