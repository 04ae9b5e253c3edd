package report

import (
	"bytes"
	"flag"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// readTree returns every file under dir by slash-separated path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func writeSample(t *testing.T) (string, map[string][]byte) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "site")
	if _, err := WriteSite(dir, sampleSite(t)); err != nil {
		t.Fatal(err)
	}
	return dir, readTree(t, dir)
}

// TestGolden compares the whole small site, every page and feed, with
// testdata/golden (go test ./internal/report -update rewrites it).
func TestGolden(t *testing.T) {
	_, got := writeSample(t)
	golden := filepath.Join("testdata", "golden")
	if *update {
		os.RemoveAll(golden)
		for p, b := range got {
			path := filepath.Join(golden, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	want := readTree(t, golden)
	for p, b := range want {
		if g, ok := got[p]; !ok {
			t.Errorf("%s: not written", p)
		} else if !bytes.Equal(g, b) {
			t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", p, firstDiff(string(b), string(g)))
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			t.Errorf("%s: written but not in the golden files", p)
		}
	}
}

// firstDiff shows the first differing line.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + itoa(int64(i+1)) + ":\nwant " + wl + "\ngot  " + gl
		}
	}
	return ""
}

// TestHandlerServesTheWrittenBytes: every file WriteSite writes is what
// Handler answers at its URL, byte for byte (and at the URL without
// ".html" too).
func TestHandlerServesTheWrittenBytes(t *testing.T) {
	site := sampleSite(t)
	_, files := writeSample(t)
	h := Handler(func() (*Site, error) { return site, nil })
	for p, want := range files {
		if p == "404.html" || p == ".nojekyll" {
			continue
		}
		urls := []string{"/" + p}
		if p == "index.html" || strings.HasSuffix(p, "/index.html") {
			urls = append(urls, "/"+strings.TrimSuffix(p, "index.html"))
		} else if s, ok := strings.CutSuffix(p, ".html"); ok {
			urls = append(urls, "/"+s)
		}
		for _, u := range urls {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", u, nil))
			if rec.Code != http.StatusOK {
				t.Errorf("GET %s: %d", u, rec.Code)
				continue
			}
			if !bytes.Equal(rec.Body.Bytes(), want) {
				t.Errorf("GET %s differs from the written %s", u, p)
			}
		}
	}
}

// TestHostileStrings: markup, quotes and "]]>" from Hydra and nixpkgs
// never reach a page or feed unescaped, and a javascript: URL never
// becomes a link.
func TestHostileStrings(t *testing.T) {
	_, files := writeSample(t)
	scriptTag := regexp.MustCompile(`(?i)<script[^>]*>`)
	for p, b := range files {
		s := string(b)
		for _, bad := range []string{"<script>alert", "<img", "onerror=alert(2)>", `"]]>`, "javascript:", "<b>Bad"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s holds %q unescaped", p, bad)
			}
		}
		// The only script element is the filter, loaded from a file.
		for _, tag := range scriptTag.FindAllString(s, -1) {
			if tag != `<script src="../assets/filter.js" defer>` && tag != `<script src="../../assets/filter.js" defer>` &&
				tag != `<script src="assets/filter.js" defer>` {
				t.Errorf("%s: unexpected %s", p, tag)
			}
		}
		if strings.HasSuffix(p, ".html") && p != "404.html" && !strings.Contains(s, `http-equiv="Content-Security-Policy"`) {
			t.Errorf("%s has no Content-Security-Policy", p)
		}
		if strings.Contains(s, " style=") || strings.Contains(s, " onclick=") || strings.Contains(s, "<style") {
			t.Errorf("%s has inline style or script, which the CSP forbids", p)
		}
	}
	staging := string(files["jobsets/nixpkgs/staging-next.html"])
	for _, want := range []string{
		`evil&lt;script&gt;alert(1)&lt;/script&gt;&#34;]]&gt;&#39;&amp;`,
		`x&#34;&gt;&lt;img src=x onerror=alert(2)&gt;]]&gt;`,
		`<a class="build" href="#ZgotmplZ">x86_64-linux</a>`,
		`href="https://hydra.nixos.org/build/1/log?a=%22b%22&amp;c=%3cd%3e"`,
	} {
		if !strings.Contains(staging, want) {
			t.Errorf("the staging-next page lacks %s", want)
		}
	}
	if m := string(files["maintainers/index.html"]); !strings.Contains(m, `Mallory &lt;script&gt;alert(3)&lt;/script&gt; &#34;]]&gt;`) {
		t.Error("the maintainers list does not show the hostile name escaped")
	}
	if _, ok := files["maintainers/bad login!.html"]; ok {
		t.Error("an invalid login got a page")
	}
	for p := range files {
		if strings.Contains(p, "..") || strings.ContainsAny(p, "<>\"' ") {
			t.Errorf("file name %q", p)
		}
	}
}

// TestPageContents checks what the pages say, case by case.
func TestPageContents(t *testing.T) {
	_, files := writeSample(t)
	tests := []struct {
		file     string
		want     []string
		wantNot  []string
		rowCount int
	}{
		{file: "index.html", want: []string{
			`<a href="jobsets/nixpkgs/unstable.html">nixpkgs/unstable</a>`,
			`<td class="failing"><a href="jobsets/nixpkgs/unstable.html">3</a></td>`,
			`Not current: Hydra answered 502 &lt;b&gt;Bad Gateway&lt;/b&gt;`,
			`<a href="https://hydra.nixos.org/eval/1810042">1810042</a>`,
		}},
		{file: "jobsets/nixpkgs/unstable.html", rowCount: 5, want: []string{
			`<section class="group" data-group="alice">`, `<section class="group" data-group="bob">`,
			`<section class="group" data-group="team gnome">`, `<section class="group" data-group="unmaintained">`,
			`<h2>No maintainer <span class="count">1</span></h2>`,
			`(42 commits)`, `<td class="range">unknown</td>`,
		}, wantNot: []string{`data-group="carol"`}},
		{file: "jobsets/nixos/release-24.05.html", want: []string{
			`<p class="error" id="error">These failures are not current: Hydra answered 502 &lt;b&gt;Bad Gateway&lt;/b&gt;</p>`,
			`<p id="nothing">Nothing fails persistently on nixos/release-24.05.</p>`,
		}, wantNot: []string{"filter.js"}},
		{file: "maintainers/alice.html", rowCount: 4, want: []string{
			`<h1>alice (Alice Liddell)</h1>`, `<a href="alice.atom">alice.atom</a>`,
			`<link rel="alternate" type="application/atom+xml" title="Failures of alice" href="alice.atom">`,
			`<a href="../teams/gnome.html">team gnome</a>`,
			`<tr class="fixed" id="e-`, `<td class="attr">gone</td>`,
			`merged<br>probed 2026-11-03: still fails on x86_64-linux`,
			`<a href="https://github.com/NixOS/nixpkgs/pull/4242">#4242</a> mark, open`,
		}},
		{file: "maintainers/carol.html", want: []string{`<p id="nothing">Nothing carol maintains fails persistently on the watched jobsets.</p>`},
			wantNot: []string{"filter.js", `class="fixed"`}},
		{file: "maintainers/dave.html", want: []string{`member of <a href="../teams/gnome.html">team gnome</a>`}},
		{file: "teams/gnome.html", rowCount: 2, want: []string{
			`<h1>Team GNOME &lt;team&gt; (gnome)</h1>`,
			`Members: <a href="../maintainers/alice.html">alice</a>, <a href="../maintainers/bob.html">bob</a>, <a href="../maintainers/dave.html">dave</a>.`,
		}},
		{file: "maintainers/index.html", want: []string{`<tr class="owner"><td><a href="alice.html">alice</a></td><td>Alice Liddell</td><td>4</td><td><a href="alice.atom">feed</a></td></tr>`}},
		{file: "teams/index.html", want: []string{`<a href="gnome.atom">feed</a>`, `<a href="empty.html">empty</a>`}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s, ok := files[tt.file]
			if !ok {
				t.Fatal("not written")
			}
			for _, w := range tt.want {
				if !bytes.Contains(s, []byte(w)) {
					t.Errorf("lacks %s", w)
				}
			}
			for _, w := range tt.wantNot {
				if bytes.Contains(s, []byte(w)) {
					t.Errorf("holds %s", w)
				}
			}
			if n := bytes.Count(s, []byte(`<tr class="failure"`)); tt.rowCount > 0 && n != tt.rowCount {
				t.Errorf("%d failure rows, want %d", n, tt.rowCount)
			}
		})
	}
	var names []string
	for p := range files {
		names = append(names, p)
	}
	slices.Sort(names)
	want := []string{".nojekyll", "404.html", "assets/filter.js", "assets/style.css", "index.html",
		"jobsets/nixos/release-24.05.html", "jobsets/nixpkgs/staging-next.html", "jobsets/nixpkgs/unstable.html",
		"maintainers/alice.atom", "maintainers/alice.html", "maintainers/bob.atom", "maintainers/bob.html",
		"maintainers/carol.atom", "maintainers/carol.html", "maintainers/dave.atom", "maintainers/dave.html",
		"maintainers/index.html", "maintainers/mallory.atom", "maintainers/mallory.html",
		"teams/empty.atom", "teams/empty.html", "teams/gnome.atom", "teams/gnome.html", "teams/index.html"}
	if !slices.Equal(names, want) {
		t.Errorf("files:\n%v\nwant\n%v", names, want)
	}
}
