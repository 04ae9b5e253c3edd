package hydra_test

// Tests of ReadEvalPage's refusals: every error a page can cause, pages
// that are not evaluation pages, truncated answers, the limits with
// bounded memory, and the row callback.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

// mutate replaces the first (n = 1) or every (n = -1) old in the small
// fixture, failing when it is absent.
func mutate(t *testing.T, data []byte, old, new string, n int) []byte {
	t.Helper()
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("fixture has no %q", old)
	}
	return bytes.Replace(data, []byte(old), []byte(new), n)
}

func cut(t *testing.T, data []byte, from, to string) []byte {
	t.Helper()
	i, j := bytes.Index(data, []byte(from)), bytes.Index(data, []byte(to))
	if i < 0 || j < i {
		t.Fatalf("fixture has no %q … %q", from, to)
	}
	return append(append([]byte(nil), data[:i]...), data[j:]...)
}

const pageURL = "https://hydra.nixos.org/eval/1809808?full=1"

func TestReadEvalPageErrors(t *testing.T) {
	small := readFixture(t, "small.html")
	for _, c := range []struct {
		name string
		data []byte
		want []string // substrings of the message
		row  bool     // a *PageError about a row (Line and Row set)
		wrap error    // errors.Is
	}{
		{"missing System column", mutate(t, small, "<th>System</th>", "<th>Platform</th>", 1),
			[]string{"line 185: ", `row "<tr>\n        \n          <th></th>`, "the table of tabs-aborted has no System column"}, true, nil},
		{"missing # column", mutate(t, small, "<th>#</th>", "<th>Id</th>", 1), []string{"has no # column"}, true, nil},
		{"missing Job column", mutate(t, small, "<th>Job</th>", "<th>Attribute</th>", 1), []string{"has no Job column"}, true, nil},
		{"missing status column", mutate(t, small, "<th></th>", "<th>Status</th>", 1), []string{"has no (status, the header-less first) column"}, true, nil},
		{"two Job columns", mutate(t, small, "<th>#</th>", "<th>Job</th>", 1), []string{`two "Job" columns`}, true, nil},
		{"unknown title", mutate(t, small, `title="Cancelled" alt="Cancelled"`, `title="Exploded" alt="Exploded"`, 1),
			[]string{`unknown status title "Exploded"`}, true, nil},
		{"no status icon", mutate(t, small, `<img src="https://hydra.nixos.org/static/images/emojione-check-2714.svg" height="16" width="16" title="Succeeded" alt="Succeeded" class="build-status" />`, "", 1),
			[]string{"the status cell has no status icon"}, true, nil},
		{"non-numeric id", mutate(t, small, `>2003</a></td>`, `>x</a></td>`, 1),
			[]string{"GET " + pageURL + ": line ", `: row "<tr>\n      \n        <td>`, `: the build id cell "x" is not a number`}, true, nil},
		{"id link mismatch", mutate(t, small, `build/2004">2004`, `build/2005">2004`, 1), []string{`links to "https://hydra.nixos.org/build/2005", not to build 2004`}, true, nil},
		{"bad timestamp", mutate(t, small, `data-timestamp="1717200005"`, `data-timestamp="soon"`, 1), []string{`the data-timestamp "soon" is not a number`}, true, nil},
		{"time without timestamp", mutate(t, small, `data-timestamp="1717200005"`, `data-when="1717200005"`, 1), []string{"has no data-timestamp"}, true, nil},
		{"stop text", mutate(t, small, `<td class="nowrap">-</td>`, `<td class="nowrap">soon</td>`, 1), []string{`the Finished at cell "soon" is neither a <time> nor "-"`}, true, nil},
		{"extra cell", mutate(t, small, `<td>hello-2.12.1</td>`, `<td>hello-2.12.1</td><td>extra</td>`, 1), []string{"the row has 7 cells where the header of tabs-now-fail has 6"}, true, nil},
		{"missing cell", mutate(t, small, `<td>hello-2.12.1</td>`, ``, 1), []string{"the row has 5 cells where the header of tabs-now-fail has 6"}, true, nil},
		{"mixed cells", mutate(t, small, `<td>hello-2.12.1</td>`, `<th>hello-2.12.1</th>`, 1), []string{"a row mixing <th> and <td> cells"}, true, nil},
		{"empty job", mutate(t, small, `>coreutils.x86_64-linux</a>`, `></a>`, 1), []string{"the job cell is empty"}, true, nil},
		{"a second header", mutate(t, small, `<tbody>`, `<tbody><tr><th>#</th></tr>`, 1), []string{"a second header row"}, true, nil},
		{"omitted not last", mutate(t, small, "    </tbody>\n  </table>", "    <tr><td colspan=\"6\"><em>(3 more builds omitted)</em></td></tr><tr><td>x</td></tr></tbody>\n  </table>", 1),
			[]string{`a row after the "more … omitted" row of tabs-aborted`}, true, nil},
		{"nav count mismatch", mutate(t, small, "Newly Failing Jobs (7)", "Newly Failing Jobs (8)", 1), []string{"tabs-now-fail has 7 rows and 0 omitted where its nav item counts 8"}, false, nil},
		{"nav without count", mutate(t, small, "Newly Failing Jobs (7)", "Newly Failing Jobs", 1), []string{`the nav item for tabs-now-fail, "Newly Failing Jobs", does not end in a count`}, false, nil},
		{"nav twice", mutate(t, small, `<li class="nav-item"><a class="nav-link" href="#tabs-inputs"`, `<li><a class="nav-link" href="#tabs-new">New Jobs (2)</a></li><li class="nav-item"><a class="nav-link" href="#tabs-inputs"`, 1), []string{"a second nav item for tabs-new"}, false, nil},
		{"unknown pane", mutate(t, small, `<div id="tabs-inputs"`, `<div id="tabs-flaky" class="tab-pane"></div><div id="tabs-inputs"`, 1), []string{`unknown tab pane "tabs-flaky"`}, false, nil},
		{"pane twice", mutate(t, small, `<div id="tabs-inputs"`, `<div id="tabs-errors" class="tab-pane"></div><div id="tabs-inputs"`, 1), []string{`a second pane "tabs-errors"`}, false, nil},
		{"missing pane", mutate(t, cut(t, small, `<div id="tabs-new"`, `<div id="tabs-removed"`), "New Jobs (2)", "New Jobs (0)", 1), []string{"the nav item for tabs-new"}, false, nil},
		{"missing pane and nav", cut(t, cut(t, small, `<div id="tabs-new"`, `<div id="tabs-removed"`), `<li class="nav-item"><a class="nav-link" href="#tabs-new"`, `<li class="nav-item"><a class="nav-link" href="#tabs-removed"`),
			[]string{"the page has no tabs-new pane (jobset-eval.tt always prints it)"}, false, nil},
		{"nested table", mutate(t, small, `<td>hello-2.12.1</td>`, `<td><table><tr><td>hello-2.12.1</td></tr></table></td>`, 1), []string{"a table inside the table of tabs-now-fail"}, false, nil},
		{"compare without link", mutate(t, small, `<a href="https://hydra.nixos.org/eval/1809807">1809807</a>`, `1809807`, 1), []string{`"Comparisons are relative to …" has no link to an evaluation`}, false, nil},
		{"compare link text", mutate(t, small, `eval/1809807">1809807</a>`, `eval/1809807">the previous one</a>`, 1), []string{`the compared evaluation's link text "the previous one" is not an evaluation id`}, false, nil},
		{"no header", mutate(t, small, "<thead>\n        <tr><th>Job</th><th>System</th></tr>\n      </thead>", "", 1), []string{"a row before the header of the table in tabs-removed"}, true, nil},
		{"pane ends in a table", mutate(t, small, "    </tbody>\n  </table>\n\n\n  </div>\n\n  <div id=\"tabs-now-fail\"", "    </tbody>\n\n\n  </div>\n\n  <div id=\"tabs-now-fail\"", 1), []string{"the pane of tabs-aborted ends inside a table"}, false, nil},
		{"truncated", small[:len(small)/2], []string{"the page ends inside the pane of tabs-now-fail, after 13178 bytes, without </html>: the body was truncated"}, false, io.ErrUnexpectedEOF},
		{"truncated after the panes", small[:bytes.Index(small, []byte("</html>"))], []string{"the page ends after its panes"}, false, io.ErrUnexpectedEOF},
		{"truncated before the panes", small[:bytes.Index(small, []byte("<ul class=\"nav nav-tabs\">"))], []string{"the page ends before its panes"}, false, io.ErrUnexpectedEOF},
		{"empty", nil, []string{"the body ends after 0 bytes, before any of an evaluation page (truncated, or not a Hydra page)"}, false, io.ErrUnexpectedEOF},
	} {
		t.Run(c.name, func(t *testing.T) {
			page, _, err := readAll(c.data, hydra.PageLimits{})
			var pe *hydra.PageError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v (%T), want a *PageError", err, err)
			}
			if page != nil {
				t.Errorf("a page with the error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "GET "+pageURL+": ") {
				t.Errorf("%q does not start with the URL", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q\n does not contain %q", msg, w)
				}
			}
			if c.row && (pe.Line == 0 || !strings.HasPrefix(pe.Row, "<tr") || len(pe.Row) > 200) {
				t.Errorf("line %d row %q: want the row's line and its first 200 bytes", pe.Line, pe.Row)
			}
			if c.wrap != nil && !errors.Is(err, c.wrap) {
				t.Errorf("%v does not wrap %v", err, c.wrap)
			}
			if c.wrap == nil && pe.Err != nil {
				t.Errorf("a page error wrapping %v", pe.Err)
			}
		})
	}
}

func TestReadEvalPageNotEval(t *testing.T) {
	prose := func() []byte {
		var b bytes.Buffer
		b.WriteString("<html><head><title>newspeak</title></head><body>\n")
		for b.Len() < 5<<20 {
			b.WriteString("<p>The <a href=\"/ministry/truth\">ministry</a> of truth <a href=\"/eval/12\">rewrote</a> the past again.</p>\n")
		}
		return b.Bytes() // no </html>: an endless decoy is judged after 4 MiB
	}()
	for _, c := range []struct {
		name  string
		data  []byte
		kind  hydra.NotEvalKind
		title string
		want  []string
	}{
		{"decoy", readFixture(t, "err-decoy.html"), hydra.NotEvalDecoy, "the telescreen received and transmitted simultaneously",
			[]string{"no Hydra structure at all", "iocaine", "Go-http-client/1.1", "descriptive User-Agent with contact information (config hydra.contact)"}},
		{"endless decoy", prose, hydra.NotEvalDecoy, "newspeak", []string{"iocaine"}},
		{"login", readFixture(t, "err-login.html"), hydra.NotEvalLogin, "Sign in", []string{"a login page"}},
		{"nginx 504", readFixture(t, "err-nginx504.html"), hydra.NotEvalErrorPage, "504 Gateway Time-out", []string{"an HTML error page"}},
		{"hydra 404", readFixture(t, "err-hydra404.html"), hydra.NotEvalErrorPage, "Hydra - 404 Not Found", []string{`an HTML error page: "Evaluation 99999999 doesn't exist."`}},
		{"jobset page", readFixture(t, "err-jobset.html"), hydra.NotEvalOtherPage, "Hydra - Jobset nixpkgs:unstable", []string{"a Hydra page of another kind"}},
		{"eval title without tabs", cut(t, readFixture(t, "small.html"), `<ul class="nav nav-tabs">`, `<footer`), hydra.NotEvalOtherPage, "Hydra - Evaluation 1809808 of jobset nixpkgs:unstable", []string{"a Hydra page of another kind"}},
		{"hydra is down", []byte("<!DOCTYPE html>\n<html><head><title>Hydra is down</title></head><body><center><p>Looks like Hydra is having some problems.</p></center></body></html>\n"), hydra.NotEvalErrorPage, "Hydra is down", nil},
		{"error 403", []byte("<html><head><title>Error 403 - hydra.nixos.org</title></head><body><h1>HTTP Error 403</h1></body></html>"), hydra.NotEvalErrorPage, "Error 403 - hydra.nixos.org", []string{`("HTTP Error 403")`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := &countReader{r: bytes.NewReader(c.data)}
			page, err := hydra.ReadEvalPage(src, pageURL, hydra.PageLimits{}, func(*hydra.PageRow) error {
				t.Fatal("a row from a page that is not an evaluation page")
				return nil
			})
			var ne *hydra.NotEvalPageError
			if !errors.As(err, &ne) {
				t.Fatalf("err = %v (%T), want a *NotEvalPageError", err, err)
			}
			if page != nil || ne.Kind != c.kind || ne.Title != c.title || ne.URL != pageURL {
				t.Errorf("got kind %v title %q url %q, want %v %q", ne.Kind, ne.Title, ne.URL, c.kind, c.title)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "GET "+pageURL+": not a Hydra evaluation page: ") {
				t.Errorf("message %q", msg)
			}
			for _, w := range c.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q\n does not contain %q", msg, w)
				}
			}
			if src.n > 5<<20 {
				t.Errorf("read %d bytes to tell", src.n)
			}
		})
	}
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// TestReadEvalPageTruncated cuts the fixtures everywhere: each cut is an
// error wrapping io.ErrUnexpectedEOF, never a page.
func TestReadEvalPageTruncated(t *testing.T) {
	for _, c := range []struct {
		name string
		step int
	}{{"small.html", 23}, {"cols.html", 41}, {"omitted.html", 1999}} {
		data := readFixture(t, c.name)
		end := bytes.LastIndex(data, []byte("</html>")) + len("</html>")
		for n := 0; n < end; n += c.step {
			page, _, err := readAll(data[:n], hydra.PageLimits{})
			if !errors.Is(err, io.ErrUnexpectedEOF) || page != nil {
				t.Fatalf("%s cut at %d of %d: err = %v, want io.ErrUnexpectedEOF", c.name, n, len(data), err)
			}
		}
		for n := end; n <= len(data); n++ {
			if _, _, err := readAll(data[:n], hydra.PageLimits{}); err != nil {
				t.Errorf("%s cut after </html> at %d: %v", c.name, n, err)
			}
		}
	}
	// A body that fails mid-way passes the reader's error on.
	data := readFixture(t, "small.html")
	_, err := hydra.ReadEvalPage(io.MultiReader(bytes.NewReader(data[:5000]), iotest.ErrReader(io.ErrUnexpectedEOF)), pageURL, hydra.PageLimits{}, func(*hydra.PageRow) error { return nil })
	var pe *hydra.PageError
	if !errors.As(err, &pe) || !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "reading the page after 5000 bytes") {
		t.Errorf("reader error: %v", err)
	}
}

// repeatReader is pattern repeated up to n bytes.
type repeatReader struct {
	pattern string
	n, i    int
}

func (r *repeatReader) Read(b []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	n := min(len(b), r.n)
	for j := range b[:n] {
		b[j] = r.pattern[r.i%len(r.pattern)]
		r.i++
	}
	r.n -= n
	return n, nil
}

func TestReadEvalPageLimits(t *testing.T) {
	small := readFixture(t, "small.html")
	row := bytes.Index(small, []byte(`<a class="row-link" href="https://hydra.nixos.org/build/2003">`))
	cell := bytes.Index(small, []byte(`<td>hello-2.12.1</td>`)) + len("<td>")
	between := bytes.Index(small, []byte("<!-- a comment between rows -->"))
	const huge = 10 << 20
	for _, c := range []struct {
		name string
		src  func() io.Reader
		lim  hydra.PageLimits
		want string
		big  uint64 // for a 10 MB input, a bound on the bytes allocated (which bounds the heap)
	}{
		{"MaxBytes", func() io.Reader { return bytes.NewReader(small) }, hydra.PageLimits{MaxBytes: 10000}, "the page is longer than MaxBytes (10000 bytes)", 0},
		{"MaxRows", func() io.Reader { return bytes.NewReader(small) }, hydra.PageLimits{MaxRows: 5}, "the page has more than MaxRows (5) rows", 0},
		{"MaxField", func() io.Reader {
			return bytes.NewReader(mutate(t, small, ">coreutils.x86_64-linux<", ">"+strings.Repeat("x", 5000)+"<", 1))
		}, hydra.PageLimits{}, "a cell's text is longer than MaxField (4096 bytes)", 0},
		{"10 MB attribute", func() io.Reader {
			return io.MultiReader(bytes.NewReader(small[:row+len(`<a class="row-link" href="`)]), &repeatReader{pattern: "x", n: huge}, bytes.NewReader(small[row:]))
		}, hydra.PageLimits{}, "an HTML token (a tag with its attributes, or a text) is longer than MaxToken (65536 bytes)", 1 << 20},
		{"10 MB text", func() io.Reader {
			return io.MultiReader(bytes.NewReader(small[:cell]), &repeatReader{pattern: "y", n: huge}, bytes.NewReader(small[cell:]))
		}, hydra.PageLimits{}, "longer than MaxToken (65536 bytes)", 1 << 20},
		{"10 MB page over MaxBytes", func() io.Reader {
			return io.MultiReader(bytes.NewReader(small[:between]), &repeatReader{pattern: "<i> </i>\n", n: huge})
		}, hydra.PageLimits{MaxBytes: 1 << 20}, "the page is longer than MaxBytes (1048576 bytes)", 5 << 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := c.src()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			page, err := hydra.ReadEvalPage(src, pageURL, c.lim, func(*hydra.PageRow) error { return nil })
			runtime.ReadMemStats(&after)
			var pe *hydra.PageError
			if !errors.As(err, &pe) || !errors.Is(err, hydra.ErrPageLimit) || page != nil {
				t.Fatalf("err = %v, want a *PageError wrapping ErrPageLimit", err)
			}
			if msg := err.Error(); !strings.HasPrefix(msg, "GET "+pageURL+": line ") || !strings.Contains(msg, c.want) {
				t.Errorf("error %q\n does not name the URL, the line and %q", msg, c.want)
			}
			if c.big > 0 {
				// TotalAlloc counts every byte ever allocated, so it bounds the peak heap too:
				// the tokenizer's buffer (up to twice MaxToken), the 64 KiB read buffer, the
				// cells'. Past MaxBytes, the 1 MiB read is 116 508 tags, each with its garbage.
				d := after.TotalAlloc - before.TotalAlloc
				if d > c.big {
					t.Errorf("allocated %d bytes reading a 10 MB input, want at most %d", d, c.big)
				}
				t.Logf("allocated %d bytes", d)
			}
		})
	}
}

func TestReadEvalPageCallback(t *testing.T) {
	small := readFixture(t, "small.html")
	n := 0
	page, err := hydra.ReadEvalPage(bytes.NewReader(small), pageURL, hydra.PageLimits{}, func(r *hydra.PageRow) error {
		if n++; n == 3 {
			return hydra.ErrStop
		}
		return nil
	})
	if err != hydra.ErrStop || page == nil || page.Eval != 1809808 || page.Rows[hydra.TabAborted] != 3 {
		t.Errorf("ErrStop: page %+v err %v", page, err)
	}
	mine := errors.New("mine")
	wrapped := fmt.Errorf("row 1: %w", mine)
	page, err = hydra.ReadEvalPage(bytes.NewReader(small), pageURL, hydra.PageLimits{}, func(r *hydra.PageRow) error { return wrapped })
	if err != wrapped || !errors.Is(err, mine) || page != nil {
		t.Errorf("callback error: page %v err %v, want it as is", page, err)
	}
}
