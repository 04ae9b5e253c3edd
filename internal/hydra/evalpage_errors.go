// Reading the evaluation page (/eval/{id}?full=1, HTML), its errors: PageError
// for an evaluation page that cannot be read (a row or table it does not
// understand, a limit, a truncated body), NotEvalPageError for an answer that
// is some other page, and the telling of what that page is. The parser is in
// evalpage.go.
package hydra

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// ErrPageLimit is wrapped by a *PageError when the page exceeds one of its
// PageLimits (MaxBytes, MaxToken, MaxRows, MaxField). Asking again returns
// the same page: it is not worth retrying with the same limits.
var ErrPageLimit = errors.New("hydra: evaluation page over a limit")

// PageError is an evaluation page that ReadEvalPage cannot read: a row or a
// table it does not understand, a page over a limit, or a body that ends
// before the page does (then Err is io.ErrUnexpectedEOF, or the reader's
// own error).
type PageError struct {
	URL  string
	Line int    // 1-based line of the offending row or token, 0 when unknown
	Row  string // the first 200 bytes of the offending <tr>, "" when not about a row
	Msg  string
	Err  error // the cause (io.ErrUnexpectedEOF, ErrPageLimit, a read error), nil for a page that is wrong
}

func (e *PageError) Error() string {
	var b bytes.Buffer
	b.WriteString("GET ")
	b.WriteString(e.URL)
	if e.Line > 0 {
		b.WriteString(": line ")
		b.WriteString(strconv.Itoa(e.Line))
	}
	if e.Row != "" {
		fmt.Fprintf(&b, ": row %q", e.Row)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

func (e *PageError) Unwrap() error { return e.Err }

// NotEvalKind is what came instead of an evaluation page.
type NotEvalKind uint8

const (
	// NotEvalDecoy is a page without any of Hydra's structure: on
	// hydra.nixos.org, the generated page its front end (iocaine) serves
	// with status 200 to user agents it deems unwanted.
	NotEvalDecoy NotEvalKind = iota + 1
	// NotEvalLogin is a login form.
	NotEvalLogin
	// NotEvalErrorPage is an HTML error page (Hydra's error.tt, nginx's,
	// hydra.nixos.org's own 403/502/503 pages), e.g. a 504 Gateway Time-out.
	NotEvalErrorPage
	// NotEvalOtherPage is a Hydra page that is not an evaluation page.
	NotEvalOtherPage
)

func (k NotEvalKind) String() string {
	switch k {
	case NotEvalDecoy:
		return "decoy page"
	case NotEvalLogin:
		return "login page"
	case NotEvalErrorPage:
		return "error page"
	case NotEvalOtherPage:
		return "other Hydra page"
	}
	return "NotEvalKind(" + strconv.Itoa(int(k)) + ")"
}

// NotEvalPageError is an answer that is not an evaluation page at all.
type NotEvalPageError struct {
	URL   string
	Title string // the page's <title>, "" when it has none
	What  string // what came instead, and what to do about it
	Kind  NotEvalKind
}

func (e *NotEvalPageError) Error() string {
	s := "GET " + e.URL + ": not a Hydra evaluation page: " + e.What
	if e.Title != "" {
		s += fmt.Sprintf(" (title %q)", e.Title)
	}
	return s
}

// pageSignals are what the parser noticed on a page without evaluation
// tabs, to tell what it is instead.
type pageSignals struct {
	hydraLayout bool   // layout.tt's navbar-brand link, the #hydra-signin modal, or a "Hydra - " title
	login       bool   // a form posting to …/login, or a password input outside Hydra's sign-in modal
	h1          []byte // the first <h1>'s text
	alert       []byte // the first div.alert's text (error.tt puts Hydra's message there)
}

// decoyAdvice is the explanation of a page without Hydra's structure.
const decoyAdvice = "the page has no Hydra structure at all (no tab panes, no Hydra navbar): " +
	"hydra.nixos.org's front end (iocaine) answers with generated pages like this one, status 200, " +
	"to user agents it deems unwanted (Go-http-client/1.1, agents without contact information); " +
	"send a descriptive User-Agent with contact information (config hydra.contact)"

// notEvalPage tells what a page without evaluation tabs is.
func (p *pageParser) notEvalPage() error {
	title := trimHTMLSpace(p.title)
	e := &NotEvalPageError{URL: p.url, Title: string(title)}
	s := &p.sig
	bare := bytes.TrimPrefix(title, []byte("Hydra - "))
	switch {
	case isErrorHeading(bare) || isErrorHeading(trimHTMLSpace(s.h1)):
		e.Kind = NotEvalErrorPage
		e.What = "an HTML error page"
		if h := trimHTMLSpace(s.h1); len(h) > 0 && !bytes.Equal(h, title) {
			e.What += fmt.Sprintf(" (%q)", h)
		}
		if a := collapseSpace(nil, s.alert); len(a) > 0 {
			e.What += fmt.Sprintf(": %q", a)
		}
	case s.login:
		e.Kind = NotEvalLogin
		e.What = "a login page (a form asking for a password): the request was sent to a sign-in " +
			"instead of the evaluation; the evaluation page needs no login"
	case s.hydraLayout || p.evalTitle:
		e.Kind = NotEvalOtherPage
		e.What = "a Hydra page of another kind (Hydra's layout without jobset-eval.tt's tab panes)"
		if a := collapseSpace(nil, s.alert); len(a) > 0 {
			e.What += fmt.Sprintf(": %q", a)
		}
	default:
		e.Kind = NotEvalDecoy
		e.What = decoyAdvice
	}
	return e
}

// isErrorHeading reports whether a title or heading names an HTTP error:
// "504 Gateway Time-out" (nginx), "404 Not Found" (Hydra's error.tt after
// "Hydra - "), "Error 403 - hydra.nixos.org", "HTTP Error 502" and "Hydra is
// down" (hydra.nixos.org's own error pages).
func isErrorHeading(s []byte) bool {
	if len(s) >= 3 && isDigit(s[0]) && isDigit(s[1]) && isDigit(s[2]) && (len(s) == 3 || s[3] == ' ') {
		return true
	}
	for i := 0; i+len("error ddd") <= len(s); i++ {
		w := s[i : i+len("error ")]
		if bytes.EqualFold(w, []byte("error ")) && isDigit(s[i+6]) && isDigit(s[i+7]) && isDigit(s[i+8]) {
			return true
		}
	}
	return bytes.HasSuffix(s, []byte(" is down"))
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// pageErr is a PageError about the current token.
func (p *pageParser) pageErr(format string, args ...any) *PageError {
	return &PageError{URL: p.url, Line: p.line, Msg: fmt.Sprintf(format, args...)}
}

// rowErr is a PageError about the current (or just closed) row.
func (p *pageParser) rowErr(format string, args ...any) *PageError {
	return &PageError{URL: p.url, Line: p.rowLine, Row: string(p.rowRaw), Msg: fmt.Sprintf(format, args...)}
}

// limitErr is a PageError for a page over one of its limits.
func (p *pageParser) limitErr(e *PageError) *PageError {
	e.Err = ErrPageLimit
	return e
}
