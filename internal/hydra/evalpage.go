// Reading the evaluation page (/eval/{id}?full=1, HTML): the one answer that
// lists a nixpkgs evaluation's builds with their status in reasonable time.
// ReadEvalPage tokenizes it streaming (golang.org/x/net/html's Tokenizer,
// never a whole-document parse) and hands each build row of each tab to a
// callback, so memory does not depend on the page's size. The rules follow
// Hydra's templates: jobset-eval.tt (tabs, panes, "omitted" rows, the
// compared evaluation), common.tt (renderBuildListHeader,
// renderBuildListBody, renderBuildStatusIcon, renderRelativeDate,
// renderInputs) and layout.tt (the title). Errors are in evalpage_errors.go.
package hydra

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"

	"golang.org/x/net/html"
)

// PageTab is one tab of the evaluation page: a div.tab-pane of jobset-eval.tt
// holding a build table (BuildDiff.pm's classification against the compared
// evaluation).
type PageTab uint8

const (
	TabAborted PageTab = iota + 1
	TabNowFail
	TabNowSucceed
	TabNew
	TabRemoved
	TabStillFail
	TabStillSucceed
	TabUnfinished
)

const numPageTabs = 8

// pageTabIDs are the panes' ids in jobset-eval.tt.
var pageTabIDs = [numPageTabs + 1]string{"",
	"tabs-aborted", "tabs-now-fail", "tabs-now-succeed", "tabs-new",
	"tabs-removed", "tabs-still-fail", "tabs-still-succeed", "tabs-unfinished"}

// String is the tab's pane id ("tabs-aborted", …).
func (t PageTab) String() string {
	if t >= TabAborted && t <= TabUnfinished {
		return pageTabIDs[t]
	}
	return "PageTab(" + strconv.Itoa(int(t)) + ")"
}

// Member reports whether rows of this tab are builds of the evaluation (all
// but TabRemoved, whose rows are jobs of the compared evaluation that this
// one no longer has).
func (t PageTab) Member() bool { return t >= TabAborted && t <= TabUnfinished && t != TabRemoved }

func pageTabOf(id []byte) PageTab {
	for t := TabAborted; t <= TabUnfinished; t++ {
		if string(id) == pageTabIDs[t] {
			return t
		}
	}
	return 0
}

// PageRow is one row of a tab's table.
type PageRow struct {
	Tab     PageTab
	Build   int64 // 0 in TabRemoved
	Job     string
	System  string
	Title   string // the status icon's title as written; "" in TabRemoved
	Status  Status // from Title as renderBuildStatusIcon maps it; StatusUnfinished in TabRemoved (no status shown)
	Stop    int64  // Unix seconds from <time data-timestamp> ("Finished at"; "Queued at" in a scheduling table), 0 for "-"
	NixName string // the "Package/release name" cell (releasename when the build has one)
	Line    int    // line of the row's <tr> in the page, for error messages
}

// PageInput is one row of the inputs tab (renderInputs): Value is the cell's
// text with its white space collapsed (a string input keeps its quotes).
type PageInput struct{ Name, Type, Value, Revision string }

// EvalPage is what ReadEvalPage read besides the rows.
type EvalPage struct {
	Eval        int64           // from the title, "Evaluation N of jobset …" (layout.tt)
	CompareEval int64           // "Comparisons are relative to … evaluation N", 0 when the page compares to nothing
	Counts      map[PageTab]int // the nav labels' "(N)"; a tab without a nav item (N = 0) is 0
	Rows        map[PageTab]int // rows read per tab
	Omitted     map[PageTab]int // "(N more builds omitted)" / "(N more jobs omitted)" per tab (a page without full=1)
	Inputs      []PageInput
	Bytes       int64 // bytes read from the reader
}

// Members is the number of member builds the page accounts for: the sum of
// Counts over member tabs (BuildDiff.pm puts each build of the evaluation in
// exactly one of them).
func (p *EvalPage) Members() int {
	n := 0
	for t := TabAborted; t <= TabUnfinished; t++ {
		if t.Member() {
			n += p.Counts[t]
		}
	}
	return n
}

// Complete returns nil when every tab's rows equal its nav count and nothing
// was omitted; otherwise an error naming the tab and the numbers.
func (p *EvalPage) Complete() error {
	for t := TabAborted; t <= TabUnfinished; t++ {
		if p.Rows[t] != p.Counts[t] || p.Omitted[t] != 0 {
			return fmt.Errorf("hydra: evaluation %d's page is incomplete: %s lists %d of its %d rows (%d omitted: the page was read without full=1)",
				p.Eval, t, p.Rows[t], p.Counts[t], p.Omitted[t])
		}
	}
	return nil
}

// PageLimits bound what ReadEvalPage accepts; zero fields take the defaults.
type PageLimits struct {
	MaxBytes int64 // whole page, default 1 GiB
	MaxToken int   // one HTML token (html.Tokenizer.SetMaxBuf), default 64 KiB
	MaxRows  int   // rows over all tabs (and inputs), default 4 000 000
	MaxField int   // one cell's text, default 4 KiB
}

func (l PageLimits) withDefaults() PageLimits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = 1 << 30
	}
	if l.MaxToken <= 0 {
		l.MaxToken = 64 << 10
	}
	if l.MaxRows <= 0 {
		l.MaxRows = 4_000_000
	}
	if l.MaxField <= 0 {
		l.MaxField = 4 << 10
	}
	return l
}

// classifyAfter is how far a page without an evaluation title or any tab
// pane is read before it is judged to be something else: an evaluation
// page's title and panes come long before (a decoy may be endless).
const classifyAfter = 4 << 20

// maxCells bounds the cells of one row (an evaluation page's have 6).
const maxCells = 32

// rowSnippet is how much of a row's HTML an error quotes.
const rowSnippet = 200

// ReadEvalPage parses an evaluation page streaming, calling fn for each row
// in page order. pageURL is used only in error messages. fn must not keep
// the *PageRow (it is reused). Rows reach fn before the page is known to be
// whole: a caller must drop what it got when ReadEvalPage fails.
//
// An error from fn is returned as is; when it is (or wraps) ErrStop,
// ReadEvalPage stops and returns the page read so far with it. Otherwise the
// page is nil on error. A *PageError is an evaluation page that cannot be
// read: a table whose columns (found by their header text, never by
// position) or rows it does not understand, a limit (wrapping ErrPageLimit),
// or a body ending before the page does (wrapping io.ErrUnexpectedEOF or the
// reader's error, so that it can be retried). A *NotEvalPageError is an
// answer that is some other page (a decoy, a login, an error page, another
// Hydra page).
func ReadEvalPage(r io.Reader, pageURL string, lim PageLimits, fn func(*PageRow) error) (*EvalPage, error) {
	lim = lim.withDefaults()
	src := &pageReader{r: r, max: lim.MaxBytes}
	p := &pageParser{
		url: pageURL,
		lim: lim,
		fn:  fn,
		src: src,
		page: &EvalPage{
			Counts:  make(map[PageTab]int, numPageTabs),
			Rows:    make(map[PageTab]int, numPageTabs),
			Omitted: make(map[PageTab]int),
		},
		nextLine: 1,
	}
	p.z = html.NewTokenizer(bufio.NewReaderSize(src, 64<<10))
	p.z.SetMaxBuf(lim.MaxToken)
	err := p.run()
	p.page.Bytes = src.n
	if err != nil {
		if errors.Is(err, ErrStop) {
			return p.page, err
		}
		return nil, err
	}
	return p.page, nil
}

// errPageTooLong is pageReader's error past MaxBytes.
var errPageTooLong = errors.New("hydra: evaluation page longer than its limit")

// pageReader counts the bytes read and fails (rather than truncating) past
// max.
type pageReader struct {
	r      io.Reader
	n, max int64
	err    error
}

func (r *pageReader) Read(b []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if rest := r.max - r.n + 1; int64(len(b)) > rest {
		b = b[:rest]
	}
	n, err := r.r.Read(b)
	r.n += int64(n)
	if r.n > r.max {
		n -= int(r.n - r.max)
		r.n = r.max
		r.err = errPageTooLong
		return n, r.err
	}
	return n, err
}

type paneKind uint8

const (
	paneNone   paneKind = iota
	paneBuilds          // a tab's build table (or the removed jobs)
	paneInputs          // tabs-inputs
	paneOther           // tabs-errors
)

type pageParser struct {
	url  string
	lim  PageLimits
	fn   func(*PageRow) error
	src  *pageReader
	z    *html.Tokenizer
	page *EvalPage
	row  PageRow

	line, nextLine int    // line of the current token, of the next
	pending        error  // an over-long text, reported on the next token unless the tokenizer's limit explains it
	trRaw          []byte // the start of the last token that looked like <tr
	name           []byte // the current tag's name

	// The document.
	inTitle, titleDone bool
	title              []byte
	evalTitle          bool // the title is "Evaluation N of jobset …"
	htmlEnd            bool // </html> was seen
	sig                pageSignals
	inH1, h1Done       bool
	inAlert, alertDone bool
	formID             []byte

	// Nav labels and the comparison sentence.
	navTab                 PageTab
	navText                []byte
	inCompare, compareDone bool
	compareA               bool
	compareText            []byte

	// Panes.
	pane       paneKind
	paneTab    PageTab
	paneDepth  int // <div>s open inside the pane
	paneSeen   [numPageTabs + 1]bool
	inputsSeen bool
	errorsSeen bool
	panes      int
	inputsRead bool // tabs-inputs' first table (renderInputs) was read

	// The table at depth 1 inside the pane.
	tableDepth int
	tkind      tableKind
	theader    bool
	tcols      int
	col        [numCols]int
	tomitted   bool

	// The row being read.
	rowOpen, cellOpen bool
	rowLine           int
	rowRaw            []byte
	cells             []pageCell
	ncells            int
	rows              int // rows and inputs over the page, for MaxRows
}

func (p *pageParser) run() error {
	z := p.z
	for {
		tt := z.Next()
		raw := z.Raw() // before Text and TagAttr unescape it in place
		p.line = p.nextLine
		p.nextLine += bytes.Count(raw, []byte{'\n'})
		if p.pending != nil {
			if tt == html.ErrorToken && z.Err() == html.ErrBufferExceeded {
				return p.tokenTooLong()
			}
			return p.pending
		}
		if p.rowOpen {
			p.rowRaw = appendSnippet(p.rowRaw, raw)
		} else if len(raw) >= 3 && raw[0] == '<' && raw[1]|0x20 == 't' && raw[2]|0x20 == 'r' {
			p.trRaw = appendSnippet(p.trRaw[:0], raw)
		}
		var err error
		switch tt {
		case html.ErrorToken:
			return p.end(z.Err())
		case html.TextToken:
			err = p.text(z.Text())
		case html.StartTagToken, html.SelfClosingTagToken:
			err = p.startTag(p.tagName(raw, 1), true, tt == html.SelfClosingTagToken)
		case html.EndTagToken:
			err = p.endTag(p.tagName(raw, 2))
		}
		if err != nil {
			return err
		}
		if p.panes == 0 && !p.evalTitle && p.src.n > classifyAfter {
			return p.notEvalPage()
		}
	}
}

// tagName is the lower-cased name of the tag whose raw text is raw ("<div
// …" with skip 1, "</div>" with skip 2), as the tokenizer reads it (up to
// white space, "/" or ">"). It is read here because TagName copies each name
// (a tenth of the allocations on an evaluation page).
func (p *pageParser) tagName(raw []byte, skip int) []byte {
	p.name = p.name[:0]
	for _, c := range raw[min(skip, len(raw)):] {
		if isHTMLSpace(c) || c == '/' || c == '>' {
			break
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		p.name = append(p.name, c)
	}
	return p.name
}

func appendSnippet(dst, raw []byte) []byte {
	if n := rowSnippet - len(dst); n > 0 {
		dst = append(dst, raw[:min(n, len(raw))]...)
	}
	return dst
}

// appendBounded appends s to dst up to max bytes in all; past that it
// drops the rest (for text that only informs: titles, headings).
func appendBounded(dst, s []byte, max int) []byte {
	if n := max - len(dst); n > 0 {
		dst = append(dst, s[:min(n, len(s))]...)
	}
	return dst
}

func (p *pageParser) text(s []byte) error {
	switch {
	case p.cellOpen:
		c := &p.cells[p.ncells-1]
		if len(c.text)+len(s) > p.lim.MaxField {
			p.pending = p.limitErr(p.rowErr("a cell's text is longer than MaxField (%d bytes)", p.lim.MaxField))
			return nil
		}
		c.text = append(c.text, s...)
		if c.inA {
			c.aText = append(c.aText, s...)
		}
		return nil
	case p.inTitle:
		p.title = appendBounded(p.title, s, p.lim.MaxField)
	case p.navTab != 0:
		p.navText = appendBounded(p.navText, s, p.lim.MaxField)
	case p.compareA:
		p.compareText = appendBounded(p.compareText, s, p.lim.MaxField)
	case p.evalTitle && p.pane == paneNone && !p.compareDone && !p.inCompare && p.panes == 0 &&
		bytes.Contains(s, []byte("Comparisons are relative to")):
		// jobset-eval.tt: "Comparisons are relative to <jobset> evaluation <a …/eval/N>N</a>."
		p.inCompare = true
	}
	if p.inH1 {
		p.sig.h1 = appendBounded(p.sig.h1, s, rowSnippet)
	}
	if p.inAlert {
		p.sig.alert = appendBounded(p.sig.alert, s, rowSnippet)
	}
	return nil
}

// attrs reads the wanted attributes of the current tag into dst (one per
// key, "" when absent); keys must be lower case.
func (p *pageParser) attrs(hasAttr bool, keys []string, dst [][]byte) {
	for i := range dst {
		dst[i] = nil
	}
	for hasAttr {
		var k, v []byte
		k, v, hasAttr = p.z.TagAttr()
		for i, want := range keys {
			if string(k) == want {
				dst[i] = v
			}
		}
	}
}

var (
	keysIDClass     = []string{"id", "class"}
	keysClassHref   = []string{"class", "href"}
	keysTitle       = []string{"title"}
	keysStamp       = []string{"data-timestamp"}
	keysIDAction    = []string{"id", "action"}
	keysType        = []string{"type"}
	keysHref        = []string{"href"}
	signinFormID    = []byte("signin-form") // auth.tt's modal, on every page of a visitor who is not signed in
	hydraSigninID   = []byte("hydra-signin")
	compareLinkPart = []byte("/eval/")
)

func (p *pageParser) startTag(name []byte, hasAttr, selfClosing bool) error {
	var a [2][]byte
	switch string(name) {
	case "title":
		if !p.titleDone && !selfClosing {
			p.inTitle = true
		}
	case "div":
		if p.pane != paneNone {
			if !selfClosing {
				p.paneDepth++
			}
			return nil
		}
		p.attrs(hasAttr, keysIDClass, a[:2])
		id, class := a[0], a[1]
		switch {
		case bytes.HasPrefix(id, []byte("tabs-")) && hasClass(class, "tab-pane"):
			return p.openPane(id)
		case bytes.Equal(id, hydraSigninID):
			p.sig.hydraLayout = true
		case hasClass(class, "alert") && !p.alertDone && !selfClosing:
			p.inAlert = true
		}
	case "table":
		if p.pane != paneNone && !selfClosing {
			return p.startTable()
		}
	case "tr":
		return p.startRow()
	case "td", "th":
		return p.startCell(name[1] == 'h')
	case "a":
		return p.startA(hasAttr)
	case "img":
		if p.cellOpen {
			if c := &p.cells[p.ncells-1]; !c.imgSeen {
				c.imgSeen = true
				p.attrs(hasAttr, keysTitle, a[:1])
				c.imgTitle = append(c.imgTitle[:0], a[0]...)
			}
		}
	case "time":
		if p.cellOpen {
			if c := &p.cells[p.ncells-1]; !c.timeSeen {
				c.timeSeen = true
				p.attrs(hasAttr, keysStamp, a[:1])
				c.stampSeen = a[0] != nil
				c.stamp = append(c.stamp[:0], a[0]...)
			}
		}
	case "form":
		p.attrs(hasAttr, keysIDAction, a[:2])
		p.formID = appendBounded(p.formID[:0], a[0], 64)
		action := a[1]
		if i := bytes.IndexAny(action, "?#"); i >= 0 {
			action = action[:i]
		}
		if bytes.HasSuffix(bytes.TrimRight(action, "/"), []byte("/login")) {
			p.sig.login = true
		}
	case "input":
		p.attrs(hasAttr, keysType, a[:1])
		if bytes.EqualFold(a[0], []byte("password")) && !bytes.Equal(p.formID, signinFormID) {
			p.sig.login = true
		}
	case "h1":
		if !p.h1Done && !selfClosing {
			p.inH1 = true
		}
	}
	return nil
}

func (p *pageParser) endTag(name []byte) error {
	switch string(name) {
	case "title":
		if p.inTitle {
			p.inTitle, p.titleDone = false, true
			p.page.Eval, p.evalTitle = parseEvalTitle(p.title)
			if p.evalTitle || bytes.HasPrefix(trimHTMLSpace(p.title), []byte("Hydra - ")) {
				p.sig.hydraLayout = true
			}
		}
	case "html":
		p.htmlEnd = true
	case "div":
		if p.pane != paneNone {
			if p.paneDepth > 0 {
				p.paneDepth--
				return nil
			}
			return p.closePane()
		}
		if p.inAlert {
			p.inAlert, p.alertDone = false, true
		}
	case "table":
		return p.endTable()
	case "tbody", "thead", "tfoot":
		if p.tableDepth == 1 && p.rowOpen {
			return p.endRow()
		}
	case "tr":
		if p.tableDepth == 1 && p.rowOpen {
			return p.endRow()
		}
	case "td", "th":
		if p.cellOpen {
			p.cellOpen = false
			p.cells[p.ncells-1].inA = false
		}
	case "a":
		switch {
		case p.cellOpen:
			p.cells[p.ncells-1].inA = false
		case p.navTab != 0:
			return p.endNav()
		case p.compareA:
			return p.endCompare()
		}
	case "p":
		if p.inCompare && !p.compareDone {
			return p.pageErr("the sentence \"Comparisons are relative to …\" has no link to an evaluation (jobset-eval.tt)")
		}
	case "form":
		p.formID = p.formID[:0]
	case "h1":
		if p.inH1 {
			p.inH1, p.h1Done = false, true
		}
	}
	return nil
}

// hasClass reports whether the class attribute's value has the class c.
func hasClass(class []byte, c string) bool {
	for len(class) > 0 {
		i := bytes.IndexAny(class, " \t\n\f\r")
		w := class
		if i >= 0 {
			w, class = class[:i], class[i+1:]
		} else {
			class = nil
		}
		if string(w) == c {
			return true
		}
	}
	return false
}

func (p *pageParser) startA(hasAttr bool) error {
	if p.cellOpen {
		if c := &p.cells[p.ncells-1]; !c.aSeen {
			var a [1][]byte
			p.attrs(hasAttr, keysHref, a[:])
			c.aSeen, c.inA = true, true
			c.href = append(c.href[:0], a[0]...)
		}
		return nil
	}
	if p.pane != paneNone {
		return nil
	}
	var a [2][]byte
	p.attrs(hasAttr, keysClassHref, a[:])
	class, href := a[0], a[1]
	switch {
	case p.evalTitle && hasClass(class, "nav-link") && bytes.HasPrefix(href, []byte("#tabs-")):
		// jobset-eval.tt: <a class="nav-link" href="#tabs-now-fail" …>… (N)</a>, only when N > 0.
		t := pageTabOf(href[1:])
		if t == 0 {
			return nil // tabs-inputs, tabs-errors
		}
		if p.page.Counts[t] != 0 || p.navTab != 0 {
			return p.pageErr("a second nav item for %s", t)
		}
		p.navTab = t
		p.navText = p.navText[:0]
	case hasClass(class, "navbar-brand"):
		p.sig.hydraLayout = true // layout.tt's navbar
	case p.inCompare && !p.compareDone:
		if i := bytes.LastIndex(href, compareLinkPart); i >= 0 {
			if _, ok := parseDecimal(trimURLTail(href[i+len(compareLinkPart):])); ok {
				p.compareA = true
				p.compareText = p.compareText[:0]
			}
		}
	}
	return nil
}

// trimURLTail drops a query or fragment.
func trimURLTail(s []byte) []byte {
	if i := bytes.IndexAny(s, "?#"); i >= 0 {
		return s[:i]
	}
	return s
}

func (p *pageParser) endNav() error {
	t := p.navTab
	p.navTab = 0
	s := trimHTMLSpace(p.navText)
	// "Newly Failing Jobs (12)": the number in the last parentheses.
	if len(s) > 0 && s[len(s)-1] == ')' {
		if i := bytes.LastIndexByte(s, '('); i >= 0 {
			if n, ok := parseDecimal(s[i+1 : len(s)-1]); ok && n > 0 && n <= 1<<31 {
				p.page.Counts[t] = int(n)
				return nil
			}
		}
	}
	return p.pageErr("the nav item for %s, %q, does not end in a count \"(N)\" (jobset-eval.tt)", t, s)
}

func (p *pageParser) endCompare() error {
	p.compareA = false
	s := trimHTMLSpace(p.compareText)
	n, ok := parseDecimal(s)
	if !ok || n == 0 {
		return p.pageErr("the compared evaluation's link text %q is not an evaluation id", s)
	}
	p.page.CompareEval = n
	p.inCompare, p.compareDone = false, true
	return nil
}

// tokenTooLong is the error for a token over MaxToken.
func (p *pageParser) tokenTooLong() error {
	return p.limitErr(&PageError{URL: p.url, Line: p.line,
		Msg: fmt.Sprintf("an HTML token (a tag with its attributes, or a text) is longer than MaxToken (%d bytes)", p.lim.MaxToken)})
}

// end handles the tokenizer's end: the end of the body, a limit, or a read
// error.
func (p *pageParser) end(err error) error {
	switch {
	case err == html.ErrBufferExceeded:
		return p.tokenTooLong()
	case errors.Is(err, errPageTooLong):
		return p.limitErr(&PageError{URL: p.url, Line: p.line,
			Msg: fmt.Sprintf("the page is longer than MaxBytes (%d bytes)", p.lim.MaxBytes)})
	case err != io.EOF:
		return &PageError{URL: p.url, Line: p.line, Msg: fmt.Sprintf("reading the page after %d bytes: %v", p.src.n, err), Err: err}
	}
	if p.rowOpen && p.htmlEnd {
		return p.rowErr("the row is not closed")
	}
	if p.panes == 0 && !p.evalTitle {
		if !p.htmlEnd && p.src.n < 64<<10 && !p.sig.hydraLayout && !p.sig.login && len(p.sig.h1) == 0 {
			return &PageError{URL: p.url, Line: p.line, Err: io.ErrUnexpectedEOF,
				Msg: fmt.Sprintf("the body ends after %d bytes, before any of an evaluation page (truncated, or not a Hydra page)", p.src.n)}
		}
		return p.notEvalPage()
	}
	if !p.htmlEnd {
		where := "after its panes"
		if p.pane != paneNone {
			where = "inside the pane of " + p.paneName()
		} else if p.panes == 0 {
			where = "before its panes"
		}
		return &PageError{URL: p.url, Line: p.line, Err: io.ErrUnexpectedEOF,
			Msg: fmt.Sprintf("the page ends %s, after %d bytes, without </html>: the body was truncated", where, p.src.n)}
	}
	if p.panes == 0 {
		return p.notEvalPage()
	}
	if p.pane != paneNone {
		return p.pageErr("the pane of %s is not closed", p.paneName())
	}
	for t := TabAborted; t <= TabUnfinished; t++ {
		if !p.paneSeen[t] {
			return p.pageErr("the page has no %s pane (jobset-eval.tt always prints it)", t)
		}
	}
	if !p.inputsSeen {
		return p.pageErr("the page has no tabs-inputs pane (jobset-eval.tt always prints it)")
	}
	return nil
}
