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

type tableKind uint8

const (
	tableIgnored tableKind = iota // renderInputDiff's tables, anything in tabs-errors
	tableBuilds
	tableInputs
)

// Columns a table's header may name.
const (
	colStatus  = iota // the header-less first column (renderBuildStatusIcon)
	colID             // "#"
	colJob            // "Job"
	colStop           // "Finished at" or "Queued at"
	colName           // "Package/release name"
	colSystem         // "System"
	colInName         // renderInputs: "Name"
	colInType         // "Type"
	colInValue        // "Value"
	colInRev          // "Revision"
	numCols
)

// pageCell is what one <td>/<th> holds; its buffers are reused.
type pageCell struct {
	th        bool
	text      []byte // all its text
	aSeen     bool   // its first <a> …
	inA       bool
	aText     []byte // … that link's text
	href      []byte // … and href
	imgSeen   bool
	imgTitle  []byte // its first <img>'s title
	timeSeen  bool
	stampSeen bool
	stamp     []byte // its first <time>'s data-timestamp
}

func (c *pageCell) reset(th bool) {
	*c = pageCell{th: th, text: c.text[:0], aText: c.aText[:0], href: c.href[:0], imgTitle: c.imgTitle[:0], stamp: c.stamp[:0]}
}

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
		raw := z.Raw() // before Text, TagName and TagAttr unescape it in place
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
			name, hasAttr := z.TagName()
			err = p.startTag(name, hasAttr, tt == html.SelfClosingTagToken)
		case html.EndTagToken:
			name, _ := z.TagName()
			err = p.endTag(name)
		}
		if err != nil {
			return err
		}
		if p.panes == 0 && !p.evalTitle && p.src.n > classifyAfter {
			return p.notEvalPage()
		}
	}
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

func (p *pageParser) openPane(id []byte) error {
	if !p.evalTitle {
		// Another page with tabs (a jobset's, a build's): layout.tt titles an
		// evaluation page "Evaluation N of jobset …" before anything else.
		p.sig.hydraLayout = true
		return p.notEvalPage()
	}
	if p.inCompare && !p.compareDone {
		return p.pageErr("the sentence \"Comparisons are relative to …\" has no link to an evaluation (jobset-eval.tt)")
	}
	seen := &p.errorsSeen
	p.pane, p.paneTab = paneOther, 0
	switch string(id) {
	case "tabs-inputs":
		p.pane, seen = paneInputs, &p.inputsSeen
	case "tabs-errors":
	default:
		t := pageTabOf(id)
		if t == 0 {
			return p.pageErr("unknown tab pane %q (jobset-eval.tt has tabs-aborted … tabs-unfinished, tabs-inputs, tabs-errors)", id)
		}
		p.pane, p.paneTab, seen = paneBuilds, t, &p.paneSeen[t]
	}
	if *seen {
		return p.pageErr("a second pane %q", id)
	}
	*seen = true
	p.paneDepth = 0
	p.panes++
	return nil
}

func (p *pageParser) closePane() error {
	if p.tableDepth > 0 {
		return p.pageErr("the pane of %s ends inside a table", p.paneName())
	}
	if p.pane == paneBuilds {
		// jobset-eval.tt prints min(size, 250) rows (all with full=1) and "(size - 250 more … omitted)"
		// for the same list the nav item counts.
		t := p.paneTab
		if p.page.Rows[t]+p.page.Omitted[t] != p.page.Counts[t] {
			return p.pageErr("%s has %d rows and %d omitted where its nav item counts %d", t, p.page.Rows[t], p.page.Omitted[t], p.page.Counts[t])
		}
	}
	p.pane, p.paneTab = paneNone, 0
	return nil
}

func (p *pageParser) paneName() string {
	switch p.pane {
	case paneBuilds:
		return p.paneTab.String()
	case paneInputs:
		return "tabs-inputs"
	}
	return "tabs-errors"
}

func (p *pageParser) startTable() error {
	p.tableDepth++
	if p.tableDepth > 1 {
		if p.tkind != tableIgnored {
			return p.pageErr("a table inside the table of %s", p.paneName())
		}
		return nil
	}
	p.tkind = tableIgnored
	switch {
	case p.pane == paneBuilds:
		p.tkind = tableBuilds
	case p.pane == paneInputs && !p.inputsRead:
		// renderInputs; the "Changes" tables after it (renderInputDiff) are not read.
		p.tkind = tableInputs
		p.inputsRead = true
	}
	p.theader, p.tcols, p.tomitted = false, 0, false
	return nil
}

func (p *pageParser) endTable() error {
	if p.tableDepth == 0 {
		return nil
	}
	if p.tableDepth == 1 {
		if p.rowOpen {
			if err := p.endRow(); err != nil {
				return err
			}
		}
		if p.tkind != tableIgnored && !p.theader {
			return p.pageErr("the table of %s has no header row", p.paneName())
		}
	}
	p.tableDepth--
	return nil
}

func (p *pageParser) startRow() error {
	if p.pane == paneNone {
		return nil
	}
	if p.tableDepth == 0 {
		if p.pane == paneBuilds {
			return p.pageErr("a row outside a table in %s", p.paneName())
		}
		return nil
	}
	if p.tableDepth > 1 || p.tkind == tableIgnored {
		return nil
	}
	if p.rowOpen {
		if err := p.endRow(); err != nil {
			return err
		}
	}
	p.rowOpen, p.cellOpen = true, false
	p.ncells = 0
	p.rowLine = p.line
	p.rowRaw = append(p.rowRaw[:0], p.trRaw...)
	return nil
}

func (p *pageParser) startCell(th bool) error {
	if p.pane == paneNone || p.tableDepth != 1 || p.tkind == tableIgnored {
		return nil
	}
	if !p.rowOpen {
		return p.pageErr("a cell outside a row in %s", p.paneName())
	}
	if p.ncells == maxCells {
		return p.rowErr("the row has more than %d cells", maxCells)
	}
	if p.ncells == len(p.cells) {
		p.cells = append(p.cells, pageCell{})
	}
	p.cells[p.ncells].reset(th)
	p.ncells++
	p.cellOpen = true
	return nil
}

// endRow takes the row just read: the header (<th> cells) or a data row.
func (p *pageParser) endRow() error {
	p.rowOpen, p.cellOpen = false, false
	cells := p.cells[:p.ncells]
	th := 0
	for i := range cells {
		if cells[i].th {
			th++
		}
	}
	switch {
	case len(cells) == 0:
		return p.rowErr("a row without cells in %s", p.paneName())
	case th == len(cells):
		return p.header(cells)
	case th > 0:
		return p.rowErr("a row mixing <th> and <td> cells in %s", p.paneName())
	case !p.theader:
		return p.rowErr("a row before the header of the table in %s", p.paneName())
	case p.tomitted:
		return p.rowErr("a row after the \"more … omitted\" row of %s", p.paneName())
	}
	if p.tkind == tableBuilds && len(cells) == 1 && p.tcols > 1 {
		// jobset-eval.tt without full=1: <tr><td class="centered" colspan="6"><a …><em>(N more builds omitted)</em></a></td></tr>
		if n, ok := parseOmitted(trimHTMLSpace(cells[0].text)); ok {
			p.page.Omitted[p.paneTab] = n
			p.tomitted = true
			return nil
		}
	}
	if len(cells) != p.tcols {
		return p.rowErr("the row has %d cells where the header of %s has %d", len(cells), p.paneName(), p.tcols)
	}
	if p.rows++; p.rows > p.lim.MaxRows {
		return p.limitErr(p.rowErr("the page has more than MaxRows (%d) rows", p.lim.MaxRows))
	}
	if p.tkind == tableInputs {
		return p.inputRow(cells)
	}
	return p.buildRow(cells)
}

// header maps the table's columns by their header text (renderBuildListHeader,
// the removed jobs' "Job"/"System", renderInputs), never by position.
func (p *pageParser) header(cells []pageCell) error {
	if p.theader {
		return p.rowErr("a second header row in the table of %s", p.paneName())
	}
	p.theader, p.tcols = true, len(cells)
	for i := range p.col {
		p.col[i] = -1
	}
	for i := range cells {
		c := -1
		h := trimHTMLSpace(cells[i].text)
		if p.tkind == tableInputs {
			switch string(h) {
			case "Name":
				c = colInName
			case "Type":
				c = colInType
			case "Value":
				c = colInValue
			case "Revision":
				c = colInRev
			}
		} else {
			switch string(h) {
			case "":
				// The status icon's column has no header; a scheduling table's second
				// header-less column (showSchedulingInfo's badge) is not read.
				if p.col[colStatus] < 0 {
					c = colStatus
				}
			case "#":
				c = colID
			case "Job":
				c = colJob
			case "Finished at", "Queued at":
				c = colStop
			case "Package/release name":
				c = colName
			case "System":
				c = colSystem
			}
		}
		if c < 0 {
			continue // a column nothing here reads ("Description", "Store path", …)
		}
		if p.col[c] >= 0 {
			return p.rowErr("two %q columns in the table of %s", h, p.paneName())
		}
		p.col[c] = i
	}
	var need []int
	var names []string
	switch {
	case p.tkind == tableInputs:
		need, names = []int{colInName}, []string{"Name"}
	case p.paneTab == TabRemoved:
		need, names = []int{colJob, colSystem}, []string{"Job", "System"}
	default:
		need, names = []int{colStatus, colID, colJob, colSystem}, []string{"(status, the header-less first)", "#", "Job", "System"}
	}
	for i, c := range need {
		if p.col[c] < 0 {
			return p.rowErr("the table of %s has no %s column", p.paneName(), names[i])
		}
	}
	return nil
}

// buildRow reads one row of renderBuildListBody (or of the removed jobs)
// and hands it to fn.
func (p *pageParser) buildRow(cells []pageCell) error {
	r := &p.row
	*r = PageRow{Tab: p.paneTab, Line: p.rowLine, Status: StatusUnfinished}
	job := &cells[p.col[colJob]]
	s := job.text
	if job.aSeen {
		s = job.aText // renderBuildListBody's link; renderDrvInfo may follow it
	}
	if s = trimHTMLSpace(s); len(s) == 0 {
		return p.rowErr("the job cell is empty")
	}
	r.Job = string(s)
	if s = trimHTMLSpace(cells[p.col[colSystem]].text); len(s) == 0 {
		return p.rowErr("the system cell is empty")
	}
	r.System = string(s)
	if p.paneTab != TabRemoved {
		if err := p.buildCells(r, cells); err != nil {
			return err
		}
	}
	p.page.Rows[p.paneTab]++
	return p.fn(r)
}

func (p *pageParser) buildCells(r *PageRow, cells []pageCell) error {
	st := &cells[p.col[colStatus]]
	if !st.imgSeen {
		return p.rowErr("the status cell has no status icon (renderBuildStatusIcon)")
	}
	title, status, ok := statusOfTitle(st.imgTitle)
	if !ok {
		return p.rowErr("unknown status title %q (renderBuildStatusIcon names Succeeded, Failed, Dependency failed, Aborted, Cancelled, Failed with output, Timed out, Log limit exceeded, Output size limit exceeded, Non-deterministic build, Queued)", st.imgTitle)
	}
	r.Title, r.Status = title, status

	idc := &cells[p.col[colID]]
	ids := trimHTMLSpace(idc.text)
	id, ok := parseDecimal(ids)
	if !ok || id == 0 {
		return p.rowErr("the build id cell %q is not a number", ids)
	}
	if idc.aSeen && !isBuildLink(idc.href, ids) {
		return p.rowErr("the build id cell links to %q, not to build %s", idc.href, ids)
	}
	r.Build = id

	if c := p.col[colStop]; c >= 0 {
		tc := &cells[c]
		switch {
		case tc.timeSeen && !tc.stampSeen:
			return p.rowErr("the %s cell's <time> has no data-timestamp (renderRelativeDate)", "Finished at")
		case tc.timeSeen:
			if r.Stop, ok = parseDecimal(tc.stamp); !ok {
				return p.rowErr("the data-timestamp %q is not a number", tc.stamp)
			}
		default:
			if s := trimHTMLSpace(tc.text); len(s) != 0 && string(s) != "-" {
				return p.rowErr("the Finished at cell %q is neither a <time> nor \"-\"", s)
			}
		}
	}
	if c := p.col[colName]; c >= 0 {
		r.NixName = string(trimHTMLSpace(cells[c].text))
	}
	return nil
}

// isBuildLink reports whether href is c.uri_for('/build' id): it ends in
// "/build/ID".
func isBuildLink(href, id []byte) bool {
	href = trimURLTail(href)
	return bytes.HasSuffix(href, id) && bytes.HasSuffix(href[:len(href)-len(id)], []byte("/build/"))
}

func (p *pageParser) inputRow(cells []pageCell) error {
	var in PageInput
	get := func(c int) string {
		if i := p.col[c]; i >= 0 {
			return string(collapseSpace(nil, cells[i].text))
		}
		return ""
	}
	in.Name, in.Type, in.Value, in.Revision = get(colInName), get(colInType), get(colInValue), get(colInRev)
	if in.Name == "" {
		return p.rowErr("an input without a name")
	}
	p.page.Inputs = append(p.page.Inputs, in)
	return nil
}

// statusTitles are renderBuildStatusIcon's titles (common.tt) and the
// statuses they stand for. "Failed" is 1 and every code the block does not
// name (5, 8, 13, …); "Aborted" is 3 and 9; "Queued" is an unfinished build.
var statusTitles = [...]struct {
	title  string
	status Status
}{
	{"Succeeded", StatusSucceeded},
	{"Failed", StatusFailed},
	{"Dependency failed", StatusDependencyFailed},
	{"Aborted", StatusAborted},
	{"Cancelled", StatusCancelled},
	{"Failed with output", StatusFailedWithOutput},
	{"Timed out", StatusTimedOut},
	{"Log limit exceeded", StatusLogLimitExceeded},
	{"Output size limit exceeded", StatusOutputLimitExceeds},
	{"Non-deterministic build", StatusNonDeterministic},
	{"Queued", StatusUnfinished},
}

// statusOfTitle returns the title as a constant string (no allocation per
// row) and its status.
func statusOfTitle(t []byte) (string, Status, bool) {
	for _, s := range statusTitles {
		if string(t) == s.title {
			return s.title, s.status, true
		}
	}
	return "", 0, false
}

// parseEvalTitle reads layout.tt's "Hydra - Evaluation N of jobset p:j".
func parseEvalTitle(t []byte) (int64, bool) {
	t = bytes.TrimPrefix(trimHTMLSpace(t), []byte("Hydra - "))
	rest, ok := bytes.CutPrefix(t, []byte("Evaluation "))
	if !ok {
		return 0, false
	}
	i := 0
	for i < len(rest) && isDigit(rest[i]) {
		i++
	}
	n, ok := parseDecimal(rest[:i])
	if !ok || n == 0 || !bytes.HasPrefix(rest[i:], []byte(" of jobset ")) {
		return 0, false
	}
	return n, true
}

// parseOmitted reads "(N more builds omitted)" or "(N more jobs omitted)".
func parseOmitted(s []byte) (int, bool) {
	s, ok := bytes.CutPrefix(s, []byte("("))
	if !ok {
		return 0, false
	}
	if s, ok = bytes.CutSuffix(s, []byte(" omitted)")); !ok {
		return 0, false
	}
	num, what, ok := bytes.Cut(s, []byte(" more "))
	if !ok || (string(what) != "builds" && string(what) != "jobs") {
		return 0, false
	}
	n, ok := parseDecimal(num)
	if !ok || n == 0 || n > 1<<31 {
		return 0, false
	}
	return int(n), true
}

// parseDecimal parses a non-negative decimal integer without allocating.
func parseDecimal(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range s {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

// trimHTMLSpace trims HTML's white space (not Unicode's: a job name keeps a
// no-break space).
func trimHTMLSpace(s []byte) []byte {
	for len(s) > 0 && isHTMLSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isHTMLSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// collapseSpace appends s to dst trimmed, each run of HTML white space
// inside made one space.
func collapseSpace(dst, s []byte) []byte {
	s = trimHTMLSpace(s)
	space := false
	for _, c := range s {
		if isHTMLSpace(c) {
			space = true
			continue
		}
		if space {
			dst = append(dst, ' ')
			space = false
		}
		dst = append(dst, c)
	}
	return dst
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
