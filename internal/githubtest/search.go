package githubtest

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// searchQuery is a parsed issue search. Supported syntax (everything else is
// answered with 422 so that a test cannot silently rely on it):
//
//	repo:o/r  is:pr|issue|open|closed|merged|unmerged  type:pr|issue
//	state:open|closed  label:x (repeatable, AND; quoted values allowed)
//	head:branch  base:branch  author:login  in:title|body (restricts terms)
//	-label:x  bare words and "quoted phrases" (case-insensitive substring)
type searchQuery struct {
	repo               string
	wantPR, wantIssue  bool
	state              string
	merged             *bool
	labels, notLabels  []string
	head, base, author string
	inTitle, inBody    bool
	terms              []string
}

// tokenize splits a query on spaces, keeping "quoted text" (also as a
// qualifier value: label:"0.kind: build failure") together.
func tokenize(q string) ([]string, error) {
	var toks []string
	var cur strings.Builder
	inQuote, have := false, false
	for _, r := range q {
		switch {
		case r == '"':
			inQuote = !inQuote
			have = true
		case unicode.IsSpace(r) && !inQuote:
			if have {
				toks = append(toks, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if inQuote {
		return nil, fmt.Errorf("unbalanced quote in %q", q)
	}
	if have {
		toks = append(toks, cur.String())
	}
	return toks, nil
}

func parseSearch(q string) (*searchQuery, error) {
	toks, err := tokenize(q)
	if err != nil {
		return nil, err
	}
	sq := &searchQuery{}
	for _, t := range toks {
		key, val, ok := strings.Cut(t, ":")
		// A colon inside a bare quoted phrase is text, not a qualifier.
		if !ok || strings.ContainsAny(key, " \t") || key == "" {
			sq.terms = append(sq.terms, strings.ToLower(t))
			continue
		}
		switch strings.ToLower(key) {
		case "repo":
			sq.repo = strings.ToLower(val)
		case "is", "type":
			switch strings.ToLower(val) {
			case "pr", "pull-request":
				sq.wantPR = true
			case "issue":
				sq.wantIssue = true
			case "open", "closed":
				if key == "type" {
					return nil, fmt.Errorf("unsupported type:%s", val)
				}
				sq.state = strings.ToLower(val)
			case "merged", "unmerged":
				if key == "type" {
					return nil, fmt.Errorf("unsupported type:%s", val)
				}
				m := strings.EqualFold(val, "merged")
				sq.merged = &m
			default:
				return nil, fmt.Errorf("unsupported qualifier %s:%s", key, val)
			}
		case "state":
			if val != "open" && val != "closed" {
				return nil, fmt.Errorf("unsupported state:%s", val)
			}
			sq.state = val
		case "label":
			sq.labels = append(sq.labels, val)
		case "-label":
			sq.notLabels = append(sq.notLabels, val)
		case "head":
			sq.head = val
		case "base":
			sq.base = val
		case "author":
			sq.author = val
		case "in":
			for _, f := range strings.Split(val, ",") {
				switch f {
				case "title":
					sq.inTitle = true
				case "body":
					sq.inBody = true
				default:
					return nil, fmt.Errorf("unsupported in:%s", f)
				}
			}
		default:
			return nil, fmt.Errorf("unsupported search qualifier %q", key+":")
		}
	}
	if !sq.inTitle && !sq.inBody {
		sq.inTitle, sq.inBody = true, true
	}
	return sq, nil
}

func hasLabel(labels []string, l string) bool {
	return slices.ContainsFunc(labels, func(x string) bool { return strings.EqualFold(x, l) })
}

func (sq *searchQuery) match(r *repo, p *PullRequest) bool {
	if sq.repo != "" && sq.repo != strings.ToLower(r.fullName()) {
		return false
	}
	if sq.wantIssue && !sq.wantPR {
		return false // the fake holds pull requests only
	}
	if sq.state != "" && p.State != sq.state {
		return false
	}
	if sq.merged != nil && p.Merged != *sq.merged {
		return false
	}
	for _, l := range sq.labels {
		if !hasLabel(p.Labels, l) {
			return false
		}
	}
	for _, l := range sq.notLabels {
		if hasLabel(p.Labels, l) {
			return false
		}
	}
	if sq.head != "" && p.HeadRef != sq.head {
		return false
	}
	if sq.base != "" && p.BaseRef != sq.base {
		return false
	}
	if sq.author != "" && !strings.EqualFold(sq.author, p.Author) &&
		!strings.EqualFold(sq.author, "app/"+strings.TrimSuffix(p.Author, "[bot]")) {
		return false
	}
	var hay string
	if sq.inTitle {
		hay += strings.ToLower(p.Title) + "\n"
	}
	if sq.inBody {
		hay += strings.ToLower(p.Body)
	}
	for _, t := range sq.terms {
		if !strings.Contains(hay, t) {
			return false
		}
	}
	return true
}

func (s *Server) searchIssues(c *call) {
	q := c.r.URL.Query()
	sq, err := parseSearch(q.Get("q"))
	if err != nil || strings.TrimSpace(q.Get("q")) == "" {
		msg := "The search query is empty"
		if err != nil {
			msg = "githubtest: " + err.Error()
		}
		c.invalid(jsonErrorItem{Resource: "Search", Field: "q", Code: "invalid", Message: msg})
		return
	}
	var sel []*PullRequest
	for _, p := range s.upstream.pulls {
		if sq.match(s.upstream, p) {
			sel = append(sel, p)
		}
	}
	// GitHub's default is "best match"; the fake returns newest first.
	asc := q.Get("order") == "asc"
	sort.SliceStable(sel, func(i, j int) bool {
		a, b := sel[i], sel[j]
		if !asc {
			a, b = b, a
		}
		if q.Get("sort") == "updated" && !a.UpdatedAt.Equal(b.UpdatedAt) {
			return a.UpdatedAt.Before(b.UpdatedAt)
		}
		return a.Number < b.Number
	})
	page, links := paginate(c, len(sel))
	setLink(c, links)
	items := []jsonIssue{}
	score := 1.0
	for _, p := range sel[page[0]:page[1]] {
		j := s.issueJSON(s.upstream, p)
		j.Score = &score
		items = append(items, j)
	}
	c.json(http.StatusOK, map[string]any{"total_count": len(sel), "incomplete_results": false, "items": items})
}
