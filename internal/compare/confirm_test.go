package compare

import (
	"context"
	"strings"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
)

// TestRunConfirmsRegressions: on head, zlib's step is a cached failure (8)
// that the runner copied onto hello, whose evaluation page row reads
// Failed like renamed's own failure. hello is a dependency failure, not a
// regression, and nobody is told about it; renamed stays. Without asking
// (Confirm < 0), both are listed and the comment says they are
// unconfirmed.
func TestRunConfirmsRegressions(t *testing.T) {
	w := &world{base: hydratest.NewStatic("nixpkgs", "unstable"), head: hydratest.NewStatic("nixpkgs", "staging-next")}
	w.base.AddEval(baseEvalID, t0+baseEvalID, builds(10000, baseEvalID, []job{{"hello", x86, 0}, {"renamed", x86, 0}, {"zlib", x86, 0}})...)
	hb := builds(20000, headEvalID, []job{{"hello", x86, 1}, {"renamed", x86, 1}, {"zlib", x86, 1}})
	hydratest.FailStep(8, hb[2], hb[0]) // zlib's cached failure, copied onto hello
	w.head.AddEval(headEvalID, t0+headEvalID, hb...)
	w.start(t)
	d := w.deps(t, t.TempDir())

	attrs := func(es []Entry) string {
		var out []string
		for _, e := range es {
			out = append(out, e.Attr)
		}
		return strings.Join(out, " ")
	}
	out, err := Run(context.Background(), d, defaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	res := out.Report.Result
	if got := attrs(res.Regressions); got != "renamed zlib" {
		t.Errorf("regressions %q, want renamed and zlib (hello's failure is zlib's)", got)
	}
	if got := attrs(res.DependencyFailures); got != "hello" || res.Unconfirmed != 0 {
		t.Errorf("dependency failures %q, unconfirmed %d; want hello, 0", got, res.Unconfirmed)
	}
	if strings.Contains(out.Markdown.Body, "| `hello` |") {
		t.Errorf("the comment lists hello as a regression:\n%s", out.Markdown.Body)
	}

	o := defaultOptions()
	o.Confirm = -1
	out, err = Run(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	if res := out.Report.Result; attrs(res.Regressions) != "hello renamed zlib" || res.Unconfirmed != 3 ||
		!strings.Contains(out.Markdown.Body, "3 jobs are listed as regressions without Hydra saying whose failure") {
		t.Errorf("without asking: regressions %q, unconfirmed %d:\n%s", attrs(res.Regressions), res.Unconfirmed, out.Markdown.Body)
	}
}
