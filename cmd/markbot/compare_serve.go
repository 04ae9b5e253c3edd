package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/breaks"
	"github.com/nixpkgs-markbot/markbot/internal/compare"
	"github.com/nixpkgs-markbot/markbot/internal/config"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// ComparePostedEvent is the kind of the state event markbot serve logs
// after reporting a compare: entry on an evaluation of its head; the
// newest one per entry says which evaluation was last reported.
const ComparePostedEvent = "compare.posted"

// comparePostedLookback is how many compare.posted events are read to find
// each entry's last one. An entry whose last event is older is compared
// again: its comment's marker makes that a no-op (no GitHub write), at the
// cost of reading head's evaluation again.
const comparePostedLookback = 1000

// comparePosted is a compare.posted event's details.
type comparePosted struct {
	Base     string `json:"base"`
	Head     string `json:"head"`
	PostTo   string `json:"post_to"`
	HeadEval int64  `json:"head_eval"`
	BaseEval int64  `json:"base_eval"`
	Action   string `json:"action"`
	Comment  string `json:"comment,omitempty"`
}

func (p comparePosted) entry() config.CompareConfig {
	return config.CompareConfig{Base: p.Base, Head: p.Head, PostTo: p.PostTo}
}

// compareStore is what serveCompares needs of markbot's state.
type compareStore interface {
	Log(ctx context.Context, e state.Event) (int64, error)
	Events(ctx context.Context, f state.EventFilter) ([]state.Event, error)
}

// lastCompared is the head evaluation last reported for each entry.
func lastCompared(ctx context.Context, st compareStore) (map[config.CompareConfig]int64, error) {
	evs, err := st.Events(ctx, state.EventFilter{Kind: ComparePostedEvent, Limit: comparePostedLookback})
	if err != nil {
		return nil, err
	}
	last := map[config.CompareConfig]int64{}
	for _, ev := range evs { // newest first
		var p comparePosted
		if json.Unmarshal(ev.Details, &p) != nil {
			continue
		}
		if _, seen := last[p.entry()]; !seen {
			last[p.entry()] = p.HeadEval
		}
	}
	return last, nil
}

// serveCompareSetup is how markbot serve compares a compare: entry: as
// markbot compare --post would, with the configuration's policy, ping
// rules and bot login, keeping the full JSON report under the state
// database's directory.
func serveCompareSetup(cfg *config.Config, e config.CompareConfig) (compareSetup, error) {
	base, ok := compare.ParseJobset(e.Base)
	if !ok {
		return compareSetup{}, fmt.Errorf("base %q is not project/jobset", e.Base)
	}
	head, ok := compare.ParseJobset(e.Head)
	if !ok {
		return compareSetup{}, fmt.Errorf("head %q is not project/jobset", e.Head)
	}
	target, ok := compare.ParseTarget(e.PostTo)
	if !ok {
		return compareSetup{}, fmt.Errorf("post_to %q is not OWNER/REPO#N", e.PostTo)
	}
	return compareSetup{Base: base, Head: head, Post: &target, Author: cfg.GitHub.BotLogin,
		Ping: compare.PingPolicy{None: cfg.Policy.Ping == config.PingNone, Max: cfg.Policy.MaxReviewers,
			PingSecondaryPlatforms: cfg.Policy.PingSecondaryPlatforms, Exclude: cfg.GitHub.BotLogin},
		Policy:   cfg.FailuresPolicy(),
		MaxLogs:  compareServeMaxLogs,
		Confirm:  cfg.Hydra.ConfirmBuilds,
		Lookback: breaks.DefaultLookback,
		StateDir: filepath.Dir(cfg.State.Path),
	}, nil
}

// compareServeMaxLogs is markbot compare's --max-logs default.
const compareServeMaxLogs = 40

// serveCompares runs each compare: entry once, after a cycle: when head's
// newest finished evaluation is newer than the one last reported for the
// entry (a compare.posted event), the report is posted on post_to, or
// markbot's comment there edited. A failing entry is logged and does not
// stop the others; it is tried again after the next cycle.
func serveCompares(ctx context.Context, cfg *config.Config, log *logrus.Logger, st compareStore, gh *github.Client) {
	if len(cfg.Compare) == 0 || ctx.Err() != nil {
		return
	}
	last, err := lastCompared(ctx, st)
	if err != nil {
		// Every entry is compared again; the comments' markers keep that
		// from writing what is already there.
		log.WithError(err).Warn("compare: reading the last reported evaluations")
		last = map[config.CompareConfig]int64{}
	}
	hc, cache, err := hydraClient(cfg, log, io.Discard)
	if err != nil {
		log.WithError(err).Error("compare: Hydra client")
		return
	}
	deps := compareDeps(hc, cache, cfg.Packages.Source, cfg.PackagesLoadOptions(), gh, log)
	for _, e := range cfg.Compare {
		if ctx.Err() != nil {
			return
		}
		elog := log.WithFields(logrus.Fields{"base": e.Base, "head": e.Head, "post_to": e.PostTo})
		if err := serveCompare(ctx, cfg, deps, elog, st, e, last[e]); err != nil {
			elog.WithError(err).Error("compare failed")
		}
	}
}

// serveCompare runs one entry; after is the head evaluation last reported.
func serveCompare(ctx context.Context, cfg *config.Config, deps compare.Deps, log logrus.FieldLogger, st compareStore,
	e config.CompareConfig, after int64) error {
	s, err := serveCompareSetup(cfg, e)
	if err != nil {
		return err
	}
	s.AfterHeadEval = after
	deps.Log = log
	out, err := compare.Run(ctx, deps, s.options(deps.Cache))
	if err != nil {
		return err
	}
	if out.Skipped {
		log.WithField("after_eval", after).Debug("compare: no new evaluation of head")
		return nil
	}
	rep := out.Report
	log.WithFields(logrus.Fields{"head_eval": rep.Head.Eval, "base_eval": rep.Base.Eval, "action": string(out.Action),
		"comment": out.Comment.URL, "regressions": len(rep.Regressions), "fixes": len(rep.Fixes),
		"mentioned": len(out.Markdown.Mentioned), "log_errors": out.LogErrors, "json": out.JSONPath}).Info("compare reported")
	details, err := json.Marshal(comparePosted{Base: e.Base, Head: e.Head, PostTo: e.PostTo,
		HeadEval: rep.Head.Eval, BaseEval: rep.Base.Eval, Action: string(out.Action), Comment: out.Comment.URL})
	if err != nil {
		return err
	}
	if _, err := st.Log(ctx, state.Event{Kind: ComparePostedEvent, Details: details,
		Message: fmt.Sprintf("compare %s..%s on %s: evaluation %d %s", e.Base, e.Head, e.PostTo, rep.Head.Eval, out.Action)}); err != nil {
		return fmt.Errorf("recording the report (it is posted; the next cycle compares again): %w", err)
	}
	return nil
}
