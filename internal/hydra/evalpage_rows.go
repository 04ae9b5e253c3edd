// Reading the evaluation page (/eval/{id}?full=1, HTML), its panes and
// tables: the tab panes (jobset-eval.tt's div.tab-pane), the header that
// names the columns (renderBuildListHeader, the removed jobs'
// Job/System, renderInputs), each build row (renderBuildListBody,
// renderBuildStatusIcon, renderRelativeDate), the omitted row, and the small
// parsers they need. The tokenizing loop is in evalpage.go.
package hydra

import "bytes"

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
	// An empty system is Hydra printing an empty column (<tt></tt>), which
	// the builds endpoint gives as "" too: read as such, not refused
	// (the job name tells whether it is a package: aggregates are not).
	r.System = string(trimHTMLSpace(cells[p.col[colSystem]].text))
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
