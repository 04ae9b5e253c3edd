// Whose derivation a failure is (BuildOrigin): the build page's steps
// (GET /build/{id}, HTML: NixOS/hydra root/build.tt renderBuildSteps,
// build-common.tt renderStepStatus and renderOutputs), read for the few
// failing builds whose status the queue runner may have copied from a
// dependency's step (Status.MaybeCopied), compared with the build's own
// outputs from its JSON.
package hydra

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// maxBuildPage caps a build page (a build with thousands of steps is a few
// MiB: one table row per step).
const maxBuildPage = 16 << 20

// maxSteps caps the steps read from one page.
const maxSteps = 100_000

// Origin says whose derivation's step a build's status is about.
type Origin int

// The origins.
const (
	OriginUnknown    Origin = iota // the page does not say: never counted as the package's own
	OriginOwn                      // the build's own derivation
	OriginDependency               // a dependency's step, its status copied by the queue runner
)

func (o Origin) String() string {
	return [...]string{"unknown", "own", "dependency"}[o]
}

// BuildStep is one row of the build page's "Build Steps" tab.
type BuildStep struct {
	Nr      int
	Outputs []string // the store paths after "Build of" / "Substitution of" (none for "Resolution of")
	Status  Status   // from renderStepStatus's text; StatusUnfinished while busy
	Label   string   // that text as matched
	// PropagatedFrom is the build the step ran under when it is not this
	// one ("(propagated from build N)"), 0 otherwise.
	PropagatedFrom int64
}

// stepLabels are renderStepStatus's texts (build-common.tt), longest
// first where one is a prefix of another; any other text is "Failed" (1).
var stepLabels = [...]struct {
	label  string
	status Status
}{
	{"Succeeded", StatusSucceeded},
	{"Aborted", StatusAborted},
	{"Cancelled", StatusCancelled},
	{"Timed out", StatusTimedOut},
	{"Cached failure", StatusCachedFailure},
	{"Unsupported system type", StatusUnsupported},
	{"Log limit exceeded", StatusLogLimitExceeded},
	{"Output limit exceeded", StatusOutputLimitExceeds},
	{"Non-determinism detected", StatusNonDeterministic},
	{"Resolved", StatusResolved},
	{"Failed", StatusFailed},
	// renderBusyStatus (common.tt): a step still running.
	{"Preparing", StatusUnfinished}, {"Connecting", StatusUnfinished}, {"Sending inputs", StatusUnfinished},
	{"Building", StatusUnfinished}, {"Waiting to receive outputs", StatusUnfinished},
	{"Receiving outputs", StatusUnfinished}, {"Post-processing", StatusUnfinished}, {"Unknown state", StatusUnfinished},
}

func stepStatusOf(text string) (string, Status, bool) {
	for _, l := range stepLabels {
		if strings.HasPrefix(text, l.label) {
			return l.label, l.status, true
		}
	}
	return "", 0, false
}

// BuildPageError says an answer is not the build page it should be.
type BuildPageError struct {
	URL    string
	Reason string
}

func (e *BuildPageError) Error() string {
	return fmt.Sprintf("GET %s: not build page: %s", e.URL, e.Reason)
}

// ReadBuildSteps reads the steps of build id's page (every row of the
// tabs-buildsteps pane, newest step first as Build.pm orders them). A page
// whose title is not "Build id of job …" (layout.tt; a decoy, another
// build) is an error; a build page without that pane has no steps.
func ReadBuildSteps(r io.Reader, u string, id int64) ([]BuildStep, error) {
	lr := &io.LimitedReader{R: r, N: maxBuildPage + 1}
	z := html.NewTokenizer(lr)
	z.SetMaxBuf(1 << 20)
	var (
		steps       []BuildStep
		inTitle     bool
		title       []byte
		paneDepth   int // div depth inside the pane; 0 outside
		divDepth    int
		inRow       bool
		cell        int // index of the current <td> in the row, -1 outside
		cells       [5][]byte
		propagated  int64
		inStatus    bool
		titleSeen   bool
		wantTitle   = "Build " + strconv.FormatInt(id, 10) + " of job "
		fail        = func(f string, a ...any) error { return &BuildPageError{URL: u, Reason: fmt.Sprintf(f, a...)} }
		appendCell  = func(b []byte) { cells[cell] = appendCapped(cells[cell], b) }
		attr        = func(name string) string { return tokenAttr(z, name) }
		finishedRow = func() error {
			var s BuildStep
			n, err := strconv.Atoi(string(bytes.TrimSpace(cells[0])))
			if err != nil || n <= 0 {
				return fail("a build step row's number %q is not a number", bytes.TrimSpace(cells[0]))
			}
			s.Nr = n
			text := string(collapseSpace(nil, cells[4]))
			label, st, ok := stepStatusOf(text)
			if !ok {
				return fail("step %d: unknown step status %q (renderStepStatus)", n, text)
			}
			s.Label, s.Status, s.PropagatedFrom = label, st, propagated
			what := string(collapseSpace(nil, cells[1]))
			for _, prefix := range []string{"Build of ", "Substitution of "} {
				if rest, ok := strings.CutPrefix(what, prefix); ok {
					for _, f := range strings.FieldsFunc(rest, func(r rune) bool { return r == ',' || r == ' ' }) {
						if strings.HasPrefix(f, "/") {
							s.Outputs = append(s.Outputs, f)
						}
					}
				}
			}
			if len(steps) == maxSteps {
				return fail("more than %d build steps", maxSteps)
			}
			steps = append(steps, s)
			return nil
		}
	)
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if lr.N <= 0 {
				return nil, &LimitError{What: "the build page " + u, Limit: maxBuildPage}
			}
			if err := z.Err(); err != io.EOF {
				return nil, fmt.Errorf("GET %s: reading the build page: %w", u, err)
			}
			if !titleSeen {
				return nil, fail("no title")
			}
			if paneDepth > 0 {
				return nil, fail("the page ends inside the build steps")
			}
			return steps, nil
		case html.TextToken:
			switch {
			case inTitle:
				title = appendCapped(title, z.Text())
			case inRow && cell >= 0 && cell < len(cells):
				appendCell(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "title":
				inTitle = tt == html.StartTagToken && !titleSeen
			case "div":
				if tt == html.SelfClosingTagToken {
					break
				}
				divDepth++
				if paneDepth == 0 && attr("id") == "tabs-buildsteps" {
					paneDepth = divDepth
				}
			case "tr":
				if paneDepth > 0 {
					inRow, cell, cells, propagated = true, -1, [5][]byte{}, 0
				}
			case "th":
				inRow = false // the header row
			case "td":
				if inRow {
					cell++
					inStatus = cell == 4
				}
			case "br":
				if inRow && cell >= 0 && cell < len(cells) {
					appendCell([]byte(" "))
				}
			case "a":
				if inRow && inStatus {
					if k, ok := buildIDOfLink(attr("href")); ok && k != id {
						propagated = k
					}
				}
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "title":
				if inTitle {
					inTitle, titleSeen = false, true
					t := string(collapseSpace(nil, title))
					t = strings.TrimPrefix(t, "Hydra - ")
					if !strings.HasPrefix(t, wantTitle) {
						return nil, fail("the title %q is not %q…", t, wantTitle)
					}
				}
			case "div":
				if divDepth == paneDepth && paneDepth > 0 {
					paneDepth = 0
				}
				if divDepth > 0 {
					divDepth--
				}
			case "tr":
				if inRow {
					inRow = false
					if cell < 4 {
						return nil, fail("a build step row has %d cells, not 5", cell+1)
					}
					if err := finishedRow(); err != nil {
						return nil, err
					}
				}
			case "td":
				inStatus = false
			}
		}
	}
}

// tokenAttr is the value of the current tag's attribute name.
func tokenAttr(z *html.Tokenizer, name string) string {
	for {
		k, v, more := z.TagAttr()
		if string(k) == name {
			return string(v)
		}
		if !more {
			return ""
		}
	}
}

// buildIDOfLink reads the id of a link to /build/N (renderBuildIdLink).
func buildIDOfLink(href string) (int64, bool) {
	i := strings.LastIndex(href, "/build/")
	if i < 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimRight(href[i+len("/build/"):], "/"), 10, 64)
	return n, err == nil && n > 0
}

// appendCapped appends at most 64 KiB in all: a cell, a title.
func appendCapped(dst, src []byte) []byte {
	const limit = 64 << 10
	if room := limit - len(dst); room < len(src) {
		src = src[:max(room, 0)]
	}
	return append(dst, src...)
}

// OriginOf decides whose derivation build b's status is about, from the
// build's steps as its page lists them (newest first), by the rules of the
// Rust queue runner (inner_fail_job, subprojects/hydra-queue-runner/src/
// state/mod.rs):
//   - 1 and 6 are the build's own (a dependent's 1 becomes 2), 2 a
//     dependency's;
//   - for a status it may have copied (Status.MaybeCopied), the newest
//     failed step says: with that status and one of the build's own output
//     paths, the build's own derivation; with that status and other paths,
//     a dependency's (the runner writes such a step onto every dependent);
//   - 8 with no failed step at all is the build's own top level: the
//     runner writes no step for it ("redundant with the build's
//     isCachedBuild field").
//
// Anything else is OriginUnknown.
func OriginOf(b *Build, steps []BuildStep) Origin {
	s := b.Status()
	switch {
	case s == StatusFailed || s == StatusFailedWithOutput:
		return OriginOwn
	case s == StatusDependencyFailed:
		return OriginDependency
	case !s.MaybeCopied():
		return OriginUnknown
	}
	own := map[string]bool{}
	for _, o := range b.Outputs {
		if o.Path != "" {
			own[o.Path] = true
		}
	}
	if len(own) == 0 {
		return OriginUnknown // a content-addressed build: no paths to compare
	}
	var newest *BuildStep
	for i := range steps {
		st := &steps[i]
		if st.Status == StatusSucceeded || st.Status == StatusUnfinished || st.Status == StatusResolved {
			continue
		}
		if newest == nil || st.Nr > newest.Nr {
			newest = st
		}
	}
	if newest == nil {
		if s == StatusCachedFailure {
			return OriginOwn
		}
		return OriginUnknown
	}
	if newest.Status != s || len(newest.Outputs) == 0 {
		return OriginUnknown
	}
	for _, p := range newest.Outputs {
		if own[p] {
			return OriginOwn
		}
	}
	return OriginDependency
}

// BuildOrigin says whose derivation build b's status is about: OriginOf
// over its page's steps, read only when the status needs it
// (Status.MaybeCopied). b is the build's JSON (BuildDetail), which has
// its output paths.
func (c *Client) BuildOrigin(ctx context.Context, b *Build) (Origin, error) {
	if !b.Status().MaybeCopied() {
		return OriginOf(b, nil), nil
	}
	u := c.BuildURL(b.ID)
	var steps []BuildStep
	err := c.fetchWith(ctx, u, "text/html", fetchOpts{retryBody: true}, func(r *response) error {
		if mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type")); mt != "text/html" && mt != "application/xhtml+xml" {
			return fmt.Errorf("GET %s: answered %q, not the build page (HTML)", r.url, r.header.Get("Content-Type"))
		}
		var err error
		steps, err = ReadBuildSteps(r.body, r.url, b.ID)
		return err
	})
	if err != nil {
		return OriginUnknown, err
	}
	return OriginOf(b, steps), nil
}
