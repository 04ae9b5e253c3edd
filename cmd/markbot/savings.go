package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/bot"
	"github.com/nixpkgs-markbot/markbot/internal/config"
	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// savingsSchema versions the JSON markbot savings --json writes.
const savingsSchema = 1

const savingsUsage = `usage: markbot savings --config FILE [--json] [-v]

Estimates the build-hours per week Hydra no longer spends on the packages
markbot marked broken: per package, the mean duration of its failing builds
(those Hydra did not reuse) × the share of evaluations that rebuilt it × the
jobset's evaluations per week, summed over the systems the marker covers;
read from the state database and the Hydra history (hydra.evaluations
evaluations). Proposed markers (PR still open) are reported apart, as what
merging them would save. Dependents Hydra stops building are not counted.
Exit codes: 0 done, 1 error, 64 usage error.
`

func runSavings(args []string, stdout, stderr io.Writer) int {
	fs := newConfigFlags("markbot savings", savingsUsage, stderr)
	asJSON := fs.Bool("json", false, `write JSON ("schema": 1) instead of a table`)
	cfg, code := fs.load(args)
	if cfg == nil {
		return code
	}
	verbose := fs.verbose
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := savingsReport(ctx, cfg, cliLogger(stderr, *verbose), stderr)
	if err != nil {
		fmt.Fprintf(stderr, "markbot savings: %v\n", err)
		return exitError
	}
	if *asJSON {
		err = writeSavingsJSON(stdout, cfg, rep)
	} else {
		err = writeSavingsTable(stdout, cfg, rep)
	}
	if err != nil {
		fmt.Fprintf(stderr, "markbot savings: %v\n", err)
		return exitError
	}
	return exitOK
}

// savingsResult is a savings report with what it was read from.
type savingsResult struct {
	bot.SavingsReport
	Evaluations int // evaluations of the history read (0: Hydra not asked)
}

// savingsReport reads the live markers from state and, when there are any,
// the jobset's history from Hydra (through the evaluation cache).
func savingsReport(ctx context.Context, cfg *config.Config, log *logrus.Logger, stderr io.Writer) (*savingsResult, error) {
	if _, err := os.Stat(cfg.State.Path); err != nil {
		return nil, fmt.Errorf("no state database (%v): markbot run has recorded no marker yet", err)
	}
	st, err := state.Open(ctx, cfg.State.Path, state.Options{})
	if err != nil {
		return nil, err
	}
	defer st.Close()
	markers, err := st.Markers(ctx, state.Proposed, state.Merged, state.Probing, state.Reverting)
	if err != nil {
		return nil, err
	}
	if len(markers) == 0 {
		return &savingsResult{}, nil
	}
	hc, cache, err := hydraClient(cfg, log, stderr)
	if err != nil {
		return nil, err
	}
	pol := cfg.FailuresPolicy()
	project, jobset := cfg.Hydra.JobsetParts()
	records, err := hc.History(ctx, cache, project, jobset, max(cfg.Hydra.Evaluations, pol.Evaluations))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", cfg.Hydra.Jobset, err)
	}
	history := make([]failures.Evaluation, len(records))
	for i, er := range records {
		history[i] = failures.FromRecords(er)
	}
	rep, err := bot.SavingsWithDetails(ctx, markers, history, pol, hc, cache)
	if err != nil {
		return nil, err
	}
	log.WithFields(logrus.Fields{"markers": len(markers), "evaluations": len(history),
		"evals_per_week": rep.EvaluationsPerWeek, "hours_per_week": rep.Total}).Info("savings")
	return &savingsResult{SavingsReport: rep, Evaluations: len(history)}, nil
}

func hours(h float64) string { return fmt.Sprintf("%.2f", h) }

func systemsText(systems []string) string {
	if len(systems) == 0 {
		return "all"
	}
	return strings.Join(systems, ",")
}

func writeSavingsTable(w io.Writer, cfg *config.Config, rep *savingsResult) error {
	if len(rep.Packages) == 0 {
		_, err := fmt.Fprintln(w, "No live markers: nothing saved.")
		return err
	}
	fmt.Fprintf(w, "%s: %d evaluations read, %.2f evaluations per week\n\n", cfg.Hydra.Jobset, rep.Evaluations, rep.EvaluationsPerWeek)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ATTRIBUTE\tSTATE\tSYSTEMS\tHOURS/WEEK")
	for _, p := range rep.Packages {
		attr := p.Attr
		if n := len(p.Attrs) - 1; n > 0 {
			attr += fmt.Sprintf(" (+%d)", n)
		}
		h := hours(p.HoursPerWeek)
		if p.Unknown {
			h = "unknown"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", attr, p.State, systemsText(p.Systems), h)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nTotal: %s build-hours per week (markers merged, probing or reverting)\n", hours(rep.Total))
	if rep.IfMerged > 0 || hasProposed(rep.Packages) {
		fmt.Fprintf(w, "If merged: %s more build-hours per week (markers proposed in open pull requests)\n", hours(rep.IfMerged))
	}
	unknown := 0
	for _, p := range rep.Packages {
		if p.Unknown {
			unknown++
		}
	}
	if unknown > 0 {
		fmt.Fprintf(w, "%d packages have no failing build in the evaluations read: not counted.\n", unknown)
	}
	if rep.EvaluationsPerWeek == 0 {
		fmt.Fprintln(w, "The evaluation rate is unknown (fewer than two evaluations with different times): every figure is 0.")
	}
	_, err := fmt.Fprintln(w, "Not counted: dependents Hydra stops building along with a marked package.")
	return err
}

func hasProposed(ps []bot.PackageSavings) bool {
	for _, p := range ps {
		if p.Proposed() {
			return true
		}
	}
	return false
}

type savingsJSON struct {
	Schema             int              `json:"schema"`
	Hydra              string           `json:"hydra"`
	Jobset             string           `json:"jobset"`
	Evaluations        int              `json:"evaluations"`
	EvaluationsPerWeek float64          `json:"evaluations_per_week"`
	TotalHoursPerWeek  float64          `json:"total_hours_per_week"`
	IfMergedHours      float64          `json:"if_merged_hours_per_week"`
	Packages           []savingsPkgJSON `json:"packages"`
	Model              string           `json:"model"`
	NotCounted         []string         `json:"not_counted"`
}

type savingsPkgJSON struct {
	Attr         string           `json:"attr"`
	Attrs        []string         `json:"attrs"`
	State        string           `json:"state"`
	Proposed     bool             `json:"proposed"`
	Systems      []string         `json:"systems"`
	HoursPerWeek float64          `json:"hours_per_week"`
	Unknown      bool             `json:"unknown"`
	PerSystem    []savingsSysJSON `json:"per_system"`
}

type savingsSysJSON struct {
	Attr         string  `json:"attr"`
	System       string  `json:"system"`
	Evaluations  int     `json:"evaluations"`
	Rebuilt      int     `json:"rebuilt"`
	MeanSeconds  float64 `json:"mean_seconds"`
	HoursPerWeek float64 `json:"hours_per_week"`
}

// round keeps JSON figures readable (to the second / 1/10000 hour).
func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

func writeSavingsJSON(w io.Writer, cfg *config.Config, rep *savingsResult) error {
	out := savingsJSON{
		Schema: savingsSchema, Hydra: cfg.Hydra.URL, Jobset: cfg.Hydra.Jobset,
		Evaluations: rep.Evaluations, EvaluationsPerWeek: round(rep.EvaluationsPerWeek, 4),
		TotalHoursPerWeek: round(rep.Total, 4), IfMergedHours: round(rep.IfMerged, 4),
		Packages: []savingsPkgJSON{},
		Model:    "mean non-reused failing build seconds × share of evaluations that rebuilt it × evaluations per week / 3600, summed over the marker's attributes and systems",
		NotCounted: []string{"dependents Hydra stops building along with a marked package",
			"packages without a failing build in the evaluations read (unknown: true)"},
	}
	for _, p := range rep.Packages {
		pj := savingsPkgJSON{Attr: p.Attr, Attrs: p.Attrs, State: string(p.State), Proposed: p.Proposed(),
			Systems: p.Systems, HoursPerWeek: round(p.HoursPerWeek, 4), Unknown: p.Unknown, PerSystem: []savingsSysJSON{}}
		if pj.Systems == nil {
			pj.Systems = []string{}
		}
		for _, s := range p.PerSystem {
			pj.PerSystem = append(pj.PerSystem, savingsSysJSON{Attr: s.Attr, System: s.System, Evaluations: s.Evaluations,
				Rebuilt: s.Rebuilt, MeanSeconds: round(s.MeanSeconds, 1), HoursPerWeek: round(s.HoursPerWeek, 4)})
		}
		out.Packages = append(out.Packages, pj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
