package hydra_test

// Tests of ReadEvalPage (evalpage.go): golden rows of hand-made fixtures,
// pages written here as Hydra's templates print them, every error, the
// limits with bounded memory, and BeautifulSoup as an oracle.
//
//	go test ./internal/hydra -run EvalPage -update   # rewrites testdata/evalpage/*.golden
//
// The page generator is in evalpage_gen_test.go, the refusals in
// evalpage_errors_test.go, the BeautifulSoup oracle in
// evalpage_oracle_test.go.

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

// updateGolden reports whether -update was given; the flag is declared here
// unless another test file of the package declared it first.
func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files under testdata/")
	}
}

const fixtureDir = "testdata/evalpage"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readAll parses a page, collecting copies of its rows.
func readAll(data []byte, lim hydra.PageLimits) (*hydra.EvalPage, []hydra.PageRow, error) {
	var rows []hydra.PageRow
	page, err := hydra.ReadEvalPage(bytes.NewReader(data), "https://hydra.nixos.org/eval/1809808?full=1", lim, func(r *hydra.PageRow) error {
		rows = append(rows, *r)
		return nil
	})
	return page, rows, err
}

type goldenSummary struct {
	Eval        int64             `json:"eval"`
	CompareEval int64             `json:"compare_eval"`
	Counts      map[string]int    `json:"counts"`
	Rows        map[string]int    `json:"rows"`
	Omitted     map[string]int    `json:"omitted"`
	Members     int               `json:"members"`
	Complete    string            `json:"complete"`
	Bytes       int64             `json:"bytes"`
	Inputs      []hydra.PageInput `json:"inputs"`
}

type goldenRow struct {
	Tab     string `json:"tab"`
	Build   int64  `json:"build"`
	Job     string `json:"job"`
	System  string `json:"system"`
	Title   string `json:"title"`
	Status  string `json:"status"`
	Stop    int64  `json:"stop"`
	NixName string `json:"nixname"`
	Line    int    `json:"line"`
}

func tabMap(m map[hydra.PageTab]int) map[string]int {
	out := map[string]int{}
	for t, n := range m {
		out[t.String()] = n
	}
	return out
}

// golden renders what ReadEvalPage read: the page, then one row a line.
func golden(page *hydra.EvalPage, rows []hydra.PageRow) []byte {
	var b bytes.Buffer
	s := goldenSummary{Eval: page.Eval, CompareEval: page.CompareEval, Counts: tabMap(page.Counts), Rows: tabMap(page.Rows),
		Omitted: tabMap(page.Omitted), Members: page.Members(), Bytes: page.Bytes, Inputs: page.Inputs}
	if err := page.Complete(); err != nil {
		s.Complete = err.Error()
	}
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	for _, r := range rows {
		enc.Encode(goldenRow{r.Tab.String(), r.Build, r.Job, r.System, r.Title, r.Status.String(), r.Stop, r.NixName, r.Line})
	}
	return b.Bytes()
}

func TestReadEvalPageGolden(t *testing.T) {
	for _, name := range []string{"small", "cols", "omitted"} {
		t.Run(name, func(t *testing.T) {
			data := readFixture(t, name+".html")
			page, rows, err := readAll(data, hydra.PageLimits{})
			if err != nil {
				t.Fatal(err)
			}
			got := golden(page, rows)
			path := filepath.Join(fixtureDir, name+".golden")
			if updateGolden() {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s (run with -update to accept):\n%s", name, path, firstDiff(got, want))
			}
		})
	}
}

func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n got  %s\n want %s", i+1, a, b)
		}
	}
	return ""
}

// TestReadEvalPageSmall checks the hand-made fixture's particular rows,
// beside the golden file: every status title, entities, "-", attributes in
// other orders, left-out end tags.
func TestReadEvalPageSmall(t *testing.T) {
	page, rows, err := readAll(readFixture(t, "small.html"), hydra.PageLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if page.Eval != 1809808 || page.CompareEval != 1809807 {
		t.Errorf("eval %d compared to %d, want 1809808 and 1809807", page.Eval, page.CompareEval)
	}
	if err := page.Complete(); err != nil {
		t.Errorf("Complete: %v", err)
	}
	if page.Members() != 20 || len(rows) != 22 {
		t.Errorf("Members %d, %d rows; want 20 members, 22 rows (2 removed)", page.Members(), len(rows))
	}
	byID := map[int64]hydra.PageRow{}
	titles := map[string]bool{}
	for _, r := range rows {
		byID[r.Build] = r
		titles[r.Title] = true
		if r.Line <= 0 {
			t.Errorf("row %+v has no line", r)
		}
	}
	for _, title := range []string{"Succeeded", "Failed", "Dependency failed", "Aborted", "Cancelled", "Failed with output", "Timed out",
		"Log limit exceeded", "Output size limit exceeded", "Non-deterministic build", "Queued"} {
		if !titles[title] {
			t.Errorf("no row titled %q", title)
		}
	}
	for _, c := range []struct {
		id            int64
		tab           hydra.PageTab
		job, nix, sys string
		status        hydra.Status
		stop          int64
	}{
		{1002, hydra.TabAborted, "firefox-unwrapped.aarch64-linux", "firefox-127.0.2", "aarch64-linux", hydra.StatusTimedOut, 1717100002},
		{1003, hydra.TabAborted, "texlive.combined.scheme-full.x86_64-linux", "texlive-combined-full-2023", "x86_64-linux", hydra.StatusLogLimitExceeded, 1717100003},
		{2001, hydra.TabNowFail, "python313Packages.foo-bar.x86_64-linux", "python3.13-foo-bar-1.2.3", "x86_64-linux", hydra.StatusFailed, 1717200001},
		{2002, hydra.TabNowFail, "haskellPackages.lens.aarch64-linux", "lens-5.3.2", "aarch64-linux", hydra.StatusDependencyFailed, 1717200002},
		{2006, hydra.TabNowFail, "unsupported.aarch64-darwin", "unsupported-1.0", "aarch64-darwin", hydra.StatusAborted, 1717200006},
		{2007, hydra.TabNowFail, "cached.x86_64-linux", "cached-1.0", "x86_64-linux", hydra.StatusFailed, 1717200007},
		{4001, hydra.TabNew, `pkgs."foo&bar".x86_64-linux`, "foo&bar-0.1", "x86_64-linux", hydra.StatusSucceeded, 1717400001},
		{4002, hydra.TabNew, "newpkg.aarch64-linux", "newpkg-1.0", "aarch64-linux", hydra.StatusUnfinished, 0},
		{6002, hydra.TabStillFail, "resolved.x86_64-linux", "resolved-1 & <more>", "x86_64-linux", hydra.StatusFailed, 1717600002},
		{7002, hydra.TabStillSucceed, "coreutils.aarch64-linux", "coreutils-9.5", "aarch64-linux", hydra.StatusSucceeded, 1717700002},
		{8002, hydra.TabUnfinished, "gcc.aarch64-linux", "gcc-13.3.0", "aarch64-linux", hydra.StatusSucceeded, 1717800002},
	} {
		r, ok := byID[c.id]
		if !ok {
			t.Errorf("no row for build %d", c.id)
			continue
		}
		if r.Tab != c.tab || r.Job != c.job || r.NixName != c.nix || r.System != c.sys || r.Status != c.status || r.Stop != c.stop {
			t.Errorf("build %d: got %+v, want tab %s job %q nixname %q system %q status %v stop %d", c.id, r, c.tab, c.job, c.nix, c.sys, c.status, c.stop)
		}
	}
	var removed []string
	for _, r := range rows {
		if r.Tab == hydra.TabRemoved {
			if r.Build != 0 || r.Title != "" || r.Status != hydra.StatusUnfinished || r.Tab.Member() {
				t.Errorf("removed row %+v", r)
			}
			removed = append(removed, r.Job+" "+r.System)
		}
	}
	if want := []string{"oldpkg.x86_64-linux x86_64-linux", "python311Packages.gone.aarch64-darwin aarch64-darwin"}; !slices.Equal(removed, want) {
		t.Errorf("removed %q, want %q", removed, want)
	}
	wantInputs := []hydra.PageInput{
		{Name: "nixpkgs", Type: "Git checkout", Value: "https://github.com/NixOS/nixpkgs.git", Revision: "0123456789abcdef0123456789abcdef01234567"},
		{Name: "officialRelease", Type: "Boolean", Value: "false"},
		{Name: "supportedSystems", Type: "Nix expression", Value: `[ "x86_64-linux" "aarch64-linux" ]`},
		{Name: "label", Type: "String value", Value: `"a <b> & "c""`},
	}
	if !slices.Equal(page.Inputs, wantInputs) {
		t.Errorf("inputs\n got  %+v\n want %+v", page.Inputs, wantInputs)
	}

	// The same page with CRLF line ends reads the same rows on the same lines.
	crlf := bytes.ReplaceAll(readFixture(t, "small.html"), []byte("\n"), []byte("\r\n"))
	_, rows2, err := readAll(crlf, hydra.PageLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows, rows2) {
		t.Errorf("CRLF page: rows differ")
	}
}

func TestReadEvalPageOmitted(t *testing.T) {
	page, rows, err := readAll(readFixture(t, "omitted.html"), hydra.PageLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if page.Omitted[hydra.TabStillFail] != 1 || page.Omitted[hydra.TabRemoved] != 3 || page.Rows[hydra.TabStillFail] != 250 || page.Rows[hydra.TabRemoved] != 250 {
		t.Errorf("omitted %v rows %v", page.Omitted, page.Rows)
	}
	if page.Counts[hydra.TabStillFail] != 251 || page.Members() != 252 || len(rows) != 501 {
		t.Errorf("counts %v members %d rows %d", page.Counts, page.Members(), len(rows))
	}
	err = page.Complete()
	if err == nil || !strings.Contains(err.Error(), "tabs-removed lists 250 of its 253 rows (3 omitted") {
		t.Errorf("Complete: %v", err)
	}
}

// expectedRows are the rows ReadEvalPage must read from a generated page.
func expectedRows(g *genPage) []hydra.PageRow {
	var rows []hydra.PageRow
	for t := hydra.TabAborted; t <= hydra.TabUnfinished; t++ {
		list := g.Tabs[t]
		if !g.Full && len(list) > 250 {
			list = list[:250]
		}
		for _, r := range list {
			if t == hydra.TabRemoved {
				rows = append(rows, hydra.PageRow{Tab: t, Job: r.Job, System: r.System, Status: hydra.StatusUnfinished})
				continue
			}
			_, title := statusIcon(r.Status)
			rows = append(rows, hydra.PageRow{Tab: t, Build: r.ID, Job: r.Job, System: r.System, Title: title,
				Status: statusOf(r.Status), Stop: r.Stop, NixName: r.NixName})
		}
	}
	return rows
}

func TestReadEvalPageGenerated(t *testing.T) {
	for _, c := range []struct {
		name string
		g    *genPage
	}{
		{"big", bigPage(3000)},
		{"cols", func() *genPage {
			g := bigPage(500)
			g.Cols = []string{"desc", "job", "name", "status", "id", "system", "stop"}
			return g
		}()},
		{"not-full", func() *genPage { g := bigPage(2000); g.Full, g.LoggedIn, g.Compare = false, true, 0; return g }()},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := c.g.write(&buf); err != nil {
				t.Fatal(err)
			}
			page, rows, err := readAll(buf.Bytes(), hydra.PageLimits{})
			if err != nil {
				t.Fatal(err)
			}
			want := expectedRows(c.g)
			if len(rows) != len(want) {
				t.Fatalf("%d rows, want %d", len(rows), len(want))
			}
			for i := range rows {
				got := rows[i]
				got.Line = 0
				if got != want[i] {
					t.Fatalf("row %d:\n got  %+v\n want %+v", i, got, want[i])
				}
			}
			if page.Eval != c.g.Eval || page.CompareEval != c.g.Compare {
				t.Errorf("eval %d/%d, want %d/%d", page.Eval, page.CompareEval, c.g.Eval, c.g.Compare)
			}
			if err := page.Complete(); (err == nil) != c.g.Full {
				t.Errorf("Complete() = %v for full=%v", err, c.g.Full)
			}
		})
	}
}

func TestPageTab(t *testing.T) {
	want := []string{"tabs-aborted", "tabs-now-fail", "tabs-now-succeed", "tabs-new", "tabs-removed", "tabs-still-fail", "tabs-still-succeed", "tabs-unfinished"}
	for i, w := range want {
		tab := hydra.PageTab(i + 1)
		if tab.String() != w || tab.Member() != (tab != hydra.TabRemoved) {
			t.Errorf("%d: %s member %v", i+1, tab, tab.Member())
		}
	}
	if s := hydra.PageTab(0).String(); s != "PageTab(0)" || hydra.PageTab(9).Member() {
		t.Errorf("PageTab(0) = %s", s)
	}
}

// TestReadEvalPageEveryStatus: each buildstatus the queue runners store,
// rendered by renderBuildStatusIcon (common.tt), read back. The page cannot
// tell 8 (a cached failure, the Rust runner's, maybe a dependency's) from
// 1, nor 9 from 3: failures.Confirm asks /build/N about those.
func TestReadEvalPageEveryStatus(t *testing.T) {
	want := []struct {
		status int
		title  string
		read   hydra.Status
	}{
		{0, "Succeeded", hydra.StatusSucceeded}, {1, "Failed", hydra.StatusFailed},
		{2, "Dependency failed", hydra.StatusDependencyFailed}, {3, "Aborted", hydra.StatusAborted},
		{4, "Cancelled", hydra.StatusCancelled}, {5, "Failed", hydra.StatusFailed},
		{6, "Failed with output", hydra.StatusFailedWithOutput}, {7, "Timed out", hydra.StatusTimedOut},
		{8, "Failed", hydra.StatusFailed}, {9, "Aborted", hydra.StatusAborted},
		{10, "Log limit exceeded", hydra.StatusLogLimitExceeded}, {11, "Output size limit exceeded", hydra.StatusOutputLimitExceeds},
		{12, "Non-deterministic build", hydra.StatusNonDeterministic}, {13, "Failed", hydra.StatusFailed},
		{99, "Failed", hydra.StatusFailed}, {-1, "Queued", hydra.StatusUnfinished},
	}
	g := &genPage{Eval: 5, Full: true}
	for i, w := range want {
		g.Tabs[hydra.TabStillFail] = append(g.Tabs[hydra.TabStillFail], genRow{ID: int64(100 + i),
			Job: "p" + strconv.Itoa(i) + ".x86_64-linux", System: "x86_64-linux", NixName: "p-1", Status: w.status, Stop: 1_700_000_000})
	}
	var buf bytes.Buffer
	if err := g.write(&buf); err != nil {
		t.Fatal(err)
	}
	_, rows, err := readAll(buf.Bytes(), hydra.PageLimits{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]hydra.PageRow{}
	for _, r := range rows {
		got[r.Build] = r
	}
	for i, w := range want {
		r := got[int64(100+i)]
		if r.Title != w.title || r.Status != w.read {
			t.Errorf("status %d: read title %q status %s, want %q, %s", w.status, r.Title, r.Status, w.title, w.read)
		}
	}
}
