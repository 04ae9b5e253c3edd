package hydra_test

// FuzzReadEvalPage (evalpage.go): whatever the bytes, ReadEvalPage returns
// rows or an error without panicking, every row it hands over is well
// formed, and a page it accepts accounts for each row it delivered.
//
//	go test ./internal/hydra -run '^$' -fuzz FuzzReadEvalPage -fuzztime 1m

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

func FuzzReadEvalPage(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.html"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) > 64<<10 {
			continue // the fuzzer mutates small inputs best
		}
		f.Add(data)
	}
	for _, g := range []*genPage{bigPage(40), func() *genPage { g := bigPage(30); g.Full, g.LoggedIn = false, true; return g }()} {
		var b bytes.Buffer
		if err := g.write(&b); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
	}
	lim := hydra.PageLimits{MaxBytes: 1 << 20, MaxToken: 4 << 10, MaxRows: 2000, MaxField: 512}
	f.Fuzz(func(t *testing.T, data []byte) {
		delivered := map[hydra.PageTab]int{}
		n := 0
		page, err := hydra.ReadEvalPage(bytes.NewReader(data), "https://hydra.example/eval/1", lim, func(r *hydra.PageRow) error {
			n++
			delivered[r.Tab]++
			if r.Tab < hydra.TabAborted || r.Tab > hydra.TabUnfinished || r.Job == "" || r.System == "" || r.Line < 1 {
				t.Fatalf("malformed row %+v", r)
			}
			if r.Tab.Member() != (r.Build > 0) || r.Tab.Member() != (r.Title != "") {
				t.Fatalf("row %+v: build id and title must be there exactly in member tabs", r)
			}
			if len(r.Job) > lim.MaxField || len(r.NixName) > lim.MaxField {
				t.Fatalf("row %+v over MaxField", r)
			}
			return nil
		})
		if err != nil {
			if page != nil {
				t.Fatalf("a page with error %v", err)
			}
			var pe *hydra.PageError
			var ne *hydra.NotEvalPageError
			if !errors.As(err, &pe) && !errors.As(err, &ne) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if ne != nil && n > 0 {
				t.Fatalf("%d rows delivered from a page that is not an evaluation page", n)
			}
			return
		}
		sum := 0
		for tab, c := range page.Rows {
			sum += c
			if delivered[tab] != c {
				t.Fatalf("%s: Rows says %d, %d delivered", tab, c, delivered[tab])
			}
			if c+page.Omitted[tab] != page.Counts[tab] {
				t.Fatalf("%s: %d rows + %d omitted, nav count %d", tab, c, page.Omitted[tab], page.Counts[tab])
			}
		}
		if sum != n || page.Eval <= 0 || page.Bytes != int64(len(data)) {
			t.Fatalf("Rows sum %d, %d delivered, eval %d, %d of %d bytes", sum, n, page.Eval, page.Bytes, len(data))
		}
	})
}
