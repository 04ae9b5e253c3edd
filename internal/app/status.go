package app

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/state"
)

//go:embed templates/status.html
var templates embed.FS

var statusTemplate = template.Must(template.New("status.html").Funcs(template.FuncMap{
	"fmtTime":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"fmtDuration": func(d time.Duration) string { return d.Round(time.Millisecond).String() },
}).ParseFS(templates, "templates/status.html"))

// savingsLine is the last savings estimate.
type savingsLine struct {
	Text   string
	At     time.Time
	Failed bool
}

// markerRow is one tracked marker on the status page.
type markerRow struct {
	Attr      string
	Others    []string
	Systems   string
	Since     string
	State     state.MarkerState
	PR        int
	PRURL     string
	RevertPR  int
	RevertURL string
}

type statusPage struct {
	Repo, RepoURL string
	Interval      time.Duration
	Now           time.Time
	Running       *CycleRecord
	Savings       *savingsLine
	Markers       []markerRow
	MarkersErr    string
	Cycles        []CycleRecord
}

// liveStates are the states of markers the bot still tracks.
var liveStates = []state.MarkerState{state.Proposed, state.Merged, state.Probing, state.Reverting}

// page gathers what the status page shows.
func (s *Server) page(ctx context.Context) statusPage {
	p := statusPage{Repo: s.o.Owner + "/" + s.o.Repo, RepoURL: s.o.RepoURL, Interval: s.o.CycleInterval, Now: s.now()}
	p.Cycles, p.Running = s.Cycles()
	s.mu.Lock()
	if sv := s.savings; sv.Failed || sv.Text != "" {
		p.Savings = &sv
	}
	s.mu.Unlock()
	markers, err := s.o.Store.Markers(ctx, liveStates...)
	if err != nil {
		s.log.WithError(err).Error("status page: reading markers")
		p.MarkersErr = err.Error()
	}
	for _, m := range markers {
		row := markerRow{Attr: m.Attr, Systems: "all", Since: "unknown", State: m.State, PR: m.PR, RevertPR: m.RevertPR}
		for _, a := range m.Attrs {
			if a != m.Attr {
				row.Others = append(row.Others, a)
			}
		}
		if len(m.Systems) > 0 {
			row.Systems = strings.Join(m.Systems, ", ")
		}
		if !m.Since.IsZero() {
			row.Since = m.Since.UTC().Format(time.DateOnly)
		}
		if m.PR > 0 {
			row.PRURL = s.prURL(m.PR)
		}
		if m.RevertPR > 0 {
			row.RevertURL = s.prURL(m.RevertPR)
		}
		p.Markers = append(p.Markers, row)
	}
	return p
}

func (s *Server) prURL(n int) string {
	return fmt.Sprintf("%s/pull/%d", strings.TrimSuffix(s.o.RepoURL, "/"), n)
}

// handleStatus renders the status page (server-side, no JavaScript; the
// template escapes every value).
func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if err := statusTemplate.Execute(&buf, s.page(r.Context())); err != nil {
		s.log.WithError(err).Error("status page")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(buf.Bytes())
}
