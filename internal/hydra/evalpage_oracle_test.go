package hydra_test

// BeautifulSoup with lxml (the oracle a user would reach for) reading the
// same pages as ReadEvalPage.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/testutil"
)

// bs4Python returns a python3 that has BeautifulSoup and lxml, or skips.
func bs4Python(t testing.TB) string {
	for _, name := range []string{"python3", "/usr/bin/python3"} {
		p, err := exec.LookPath(name)
		if err == nil && exec.Command(p, "-c", "import bs4, lxml").Run() == nil {
			return p
		}
	}
	testutil.Missing(t, "no python3 with BeautifulSoup and lxml (Debian packages python3-bs4 python3-lxml)")
	return ""
}

type bs4Row struct {
	Tab     string `json:"tab"`
	Build   int64  `json:"build"`
	Job     string `json:"job"`
	System  string `json:"system"`
	Title   string `json:"title"`
	Stop    int64  `json:"stop"`
	NixName string `json:"nixname"`
}

type bs4Usage struct {
	MaxRSSKB   int64   `json:"maxrss_kb"` // getrusage's, which counts the parent's peak before the exec
	VmHWMKB    int64   `json:"vmhwm_kb"`  // its own
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpu_seconds"`
	Rows       int     `json:"rows"`
}

// runBS4 runs the oracle on a file: its rows (to rows, unless nil) and its
// resource use.
func runBS4(t testing.TB, python, path string, rows func(bs4Row)) bs4Usage {
	cmd := exec.Command(python, filepath.Join(fixtureDir, "bs4_rows.py"), path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if rows == nil {
			continue
		}
		var r bs4Row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("bs4_rows.py: %v in %q", err, sc.Bytes())
		}
		rows(r)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("bs4_rows.py %s: %v\n%s", path, err, stderr.Bytes())
	}
	var u bs4Usage
	lines := bytes.Split(bytes.TrimSpace(stderr.Bytes()), []byte("\n"))
	if err := json.Unmarshal(lines[len(lines)-1], &u); err != nil {
		t.Fatalf("bs4_rows.py's usage line: %v in %q", err, stderr.Bytes())
	}
	return u
}

// TestEvalPageBS4Oracle reads the fixtures and a generated page of a few
// thousand rows with BeautifulSoup (bs4_rows.py) and with ReadEvalPage: the
// same rows in the same order.
func TestEvalPageBS4Oracle(t *testing.T) {
	python := bs4Python(t)
	gen := filepath.Join(t.TempDir(), "gen.html")
	f, err := os.Create(gen)
	if err != nil {
		t.Fatal(err)
	}
	if err := bigPage(3000).write(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, path := range []string{filepath.Join(fixtureDir, "small.html"), filepath.Join(fixtureDir, "cols.html"), filepath.Join(fixtureDir, "omitted.html"), gen} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			var want []bs4Row
			u := runBS4(t, python, path, func(r bs4Row) { want = append(want, r) })
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			_, rows, err := readAll(data, hydra.PageLimits{})
			if err != nil {
				t.Fatal(err)
			}
			var got []bs4Row
			for _, r := range rows {
				got = append(got, bs4Row{r.Tab.String(), r.Build, r.Job, r.System, r.Title, r.Stop, r.NixName})
			}
			if len(got) != len(want) || u.Rows != len(want) {
				t.Fatalf("ReadEvalPage read %d rows, bs4 %d (it says %d)", len(got), len(want), u.Rows)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("row %d:\n ReadEvalPage %+v\n bs4          %+v", i, got[i], want[i])
				}
			}
		})
	}
}
