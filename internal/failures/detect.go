package failures

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

// Evaluation is the input for one evaluation: its id, time and the records
// of its member builds.
type Evaluation struct {
	ID      int64
	Time    time.Time
	Records []hydra.Record
}

// FromRecords turns cached evaluation records into an Evaluation.
func FromRecords(er *hydra.EvalRecords) Evaluation {
	return Evaluation{ID: er.Eval, Time: time.Unix(er.Timestamp, 0).UTC(), Records: er.Records}
}

// BuildRef points at one build of one evaluation.
type BuildRef struct {
	Build int64
	Eval  int64
	Time  time.Time // the build's stop time, or the evaluation's time if unknown
}

// BuildTime is what one evaluation spent on a failing build; Reused builds
// were built in an earlier evaluation and cost nothing again.
type BuildTime struct {
	Eval    int64
	Build   int64
	Seconds int64
	Reused  bool
}

// SystemFailure is a persistent failure of one job (attribute × system).
type SystemFailure struct {
	System           string
	Job              string
	Build            int64 // the failing build in the newest evaluation
	Status           hydra.Status
	FirstFailingEval int64
	FailingSince     time.Time
	Evaluations      int // failing evaluations in the streak
	Derivations      int // distinct failing derivations (build ids: see hydra.Record) in the streak
	LastSuccess      *BuildRef
	BuildTimes       []BuildTime // oldest first
}

// Failure is a persistent failure of an attribute path, on one or more
// systems.
type Failure struct {
	Attr             string
	Systems          []string
	FirstFailingEval int64
	FailingSince     time.Time
	Derivations      int // the most distinct derivations on any one system
	LastSuccess      *BuildRef
	PerSystem        []SystemFailure // in Policy.Systems order
}

// MassBreakage is the verdict when too many jobs newly fail at once: a bad
// merge or broken infrastructure, not a set of broken packages.
type MassBreakage struct {
	Eval         int64
	PreviousEval int64
	NewlyFailing int
	Jobs         int
	Share        float64
	Threshold    float64
}

func (m *MassBreakage) String() string {
	return fmt.Sprintf("mass breakage in evaluation %d: %d of %d jobs (%.1f%%) newly fail since evaluation %d (threshold %.1f%%)",
		m.Eval, m.NewlyFailing, m.Jobs, 100*m.Share, m.PreviousEval, 100*m.Threshold)
}

// Result is the outcome of Detect. When MassBreakage is set, Failures is
// empty: nothing may be proposed.
type Result struct {
	Newest       int64
	NewestTime   time.Time
	Evaluations  int
	Jobs         int // jobs of the newest evaluation considered
	Failures     []Failure
	MassBreakage *MassBreakage
	Filtered     int // persistent failures left out by the allow/deny globs
	// UnknownStatuses counts the newest evaluation's builds by status
	// codes Hydra does not have (5, …): logged, never counted as failures.
	UnknownStatuses map[hydra.Status]int
	// Unconfirmed are the persistent failures Confirm left out because
	// it could not learn whose derivation one of their failing builds is
	// about (its budget, an error): a later cycle asks again.
	Unconfirmed []string
	// AskErrors counts the builds Confirm asked Hydra about without an
	// answer, AskError is the first such error (nil: every ask answered).
	AskErrors int
	AskError  error
}

// obs is one evaluation's build of a job.
type obs struct {
	eval int // index into the newest-first evaluations
	rec  *hydra.Record
}

// Detect finds the persistent failures in a history of evaluations (any
// order; the newest is the one with the highest id), from the statuses
// alone: 1 and 6 are the package's own failures, and a status the queue
// runner may have copied from a dependency's step (8; 7, 10, 11 when the
// policy counts them) is never evidence, since nothing says whose step it
// is. Confirm asks Hydra about the candidates and decides with what it
// learns (DetectWith).
func Detect(history []Evaluation, p Policy) (Result, error) {
	return detect(history, p, func(r *hydra.Record) Class { return p.ClassifyOrigin(r.Status, statusOrigin(r.Status)) })
}

// statusOrigin is what a status alone says about whose step it is.
func statusOrigin(s hydra.Status) hydra.Origin {
	switch s {
	case hydra.StatusFailed, hydra.StatusFailedWithOutput:
		return hydra.OriginOwn
	case hydra.StatusDependencyFailed:
		return hydra.OriginDependency
	}
	return hydra.OriginUnknown
}

// detect is Detect with the classification of each record given.
func detect(history []Evaluation, p Policy, classify func(*hydra.Record) Class) (Result, error) {
	if err := p.Validate(); err != nil {
		return Result{}, fmt.Errorf("failures: policy: %w", err)
	}
	if len(history) == 0 {
		return Result{}, errors.New("failures: no evaluations")
	}
	evals := make([]*Evaluation, len(history))
	for i := range history {
		evals[i] = &history[i]
	}
	sort.Slice(evals, func(i, j int) bool { return evals[i].ID > evals[j].ID })
	for i := 1; i < len(evals); i++ {
		if evals[i].ID == evals[i-1].ID {
			return Result{}, fmt.Errorf("failures: evaluation %d given twice", evals[i].ID)
		}
	}
	sysIndex := map[string]int{}
	for i, s := range p.Systems {
		sysIndex[s] = i
	}

	// Jobs of the newest evaluation: a job that disappeared is dropped. A
	// job name counts once, at its first occurrence. Only the jobs failing
	// in the newest evaluation get a history: the others can be neither
	// persistent failures nor newly failing (which keeps a 250k-job
	// history small; they are counted, not held).
	newest := evals[0]
	type first struct {
		job string
		i   int
	}
	firsts := make([]first, 0, len(newest.Records))
	for i := range newest.Records {
		r := &newest.Records[i]
		if _, ok := sysIndex[r.System]; !ok {
			continue
		}
		if _, ok := p.attrOf(r.Job, r.System); ok {
			firsts = append(firsts, first{r.Job, i})
		}
	}
	slices.SortStableFunc(firsts, func(a, b first) int { return strings.Compare(a.job, b.job) })
	firsts = slices.CompactFunc(firsts, func(a, b first) bool { return a.job == b.job })
	slices.SortFunc(firsts, func(a, b first) int { return a.i - b.i })
	type job struct {
		attr string
		sys  int
		hist []obs
	}
	jobs := map[string]*job{}
	var order []*job
	var res0 Result
	for _, f := range firsts {
		r := &newest.Records[f.i]
		if !r.Status.Known() {
			if res0.UnknownStatuses == nil {
				res0.UnknownStatuses = map[hydra.Status]int{}
			}
			res0.UnknownStatuses[r.Status]++
		}
		if !failingForGuard(r.Status) && classify(r) != ClassOwnFailure {
			continue
		}
		attr, _ := p.attrOf(r.Job, r.System)
		j := &job{attr: attr, sys: sysIndex[r.System], hist: []obs{{0, r}}}
		jobs[r.Job] = j
		order = append(order, j)
	}
	for e := 1; e < len(evals); e++ {
		recs := evals[e].Records
		for i := range recs {
			j := jobs[recs[i].Job]
			if j == nil || recs[i].System != p.Systems[j.sys] {
				continue
			}
			if last := j.hist[len(j.hist)-1]; last.eval == e {
				continue // the same job twice in one evaluation: keep the first
			}
			j.hist = append(j.hist, obs{e, &recs[i]})
		}
	}

	res := Result{Newest: newest.ID, NewestTime: newest.Time, Evaluations: len(evals), Jobs: len(firsts),
		UnknownStatuses: res0.UnknownStatuses}
	for s, n := range res.UnknownStatuses {
		logrus.WithFields(logrus.Fields{"eval": newest.ID, "status": int(s), "builds": n}).
			Warn("failures: a build status Hydra does not have; not counted as a failure")
	}
	if len(evals) > 1 {
		newly := 0
		for _, j := range order {
			if len(j.hist) > 1 && j.hist[1].eval == 1 &&
				j.hist[1].rec.Status == hydra.StatusSucceeded && failingForGuard(j.hist[0].rec.Status) {
				newly++
			}
		}
		if share := float64(newly) / float64(max(len(firsts), 1)); share > p.MassBreakageShare {
			res.MassBreakage = &MassBreakage{Eval: newest.ID, PreviousEval: evals[1].ID, NewlyFailing: newly,
				Jobs: len(firsts), Share: share, Threshold: p.MassBreakageShare}
			return res, nil
		}
	}

	byAttr := map[string]*Failure{}
	var attrs []string
	for _, j := range order {
		sf, ok := judge(j.hist, evals, p, classify)
		if !ok {
			continue
		}
		sf.System, sf.Job = p.Systems[j.sys], j.hist[0].rec.Job
		f := byAttr[j.attr]
		if f == nil {
			f = &Failure{Attr: j.attr}
			byAttr[j.attr] = f
			attrs = append(attrs, j.attr)
		}
		f.PerSystem = append(f.PerSystem, sf)
	}
	sort.Strings(attrs)
	for _, a := range attrs {
		f := byAttr[a]
		if !p.allowed(a) {
			res.Filtered++
			continue
		}
		sort.Slice(f.PerSystem, func(i, k int) bool {
			return sysIndex[f.PerSystem[i].System] < sysIndex[f.PerSystem[k].System]
		})
		for i, sf := range f.PerSystem {
			f.Systems = append(f.Systems, sf.System)
			if i == 0 || sf.FailingSince.Before(f.FailingSince) {
				f.FailingSince = sf.FailingSince
			}
			if i == 0 || sf.FirstFailingEval < f.FirstFailingEval {
				f.FirstFailingEval = sf.FirstFailingEval
			}
			f.Derivations = max(f.Derivations, sf.Derivations)
			if sf.LastSuccess != nil && (f.LastSuccess == nil || sf.LastSuccess.Eval > f.LastSuccess.Eval) {
				ls := *sf.LastSuccess
				f.LastSuccess = &ls
			}
		}
		res.Failures = append(res.Failures, *f)
	}
	return res, nil
}

// failingForGuard: the statuses that count as "newly failing" for the
// mass-breakage guard. Any kind of failure counts, dependency failures
// included (a bad merge of a core package shows mostly as those); an
// unsupported system, non-determinism and queued builds do not.
func failingForGuard(s hydra.Status) bool {
	switch s {
	case hydra.StatusFailed, hydra.StatusDependencyFailed, hydra.StatusAborted, hydra.StatusCancelled,
		hydra.StatusFailedWithOutput, hydra.StatusTimedOut, hydra.StatusLogLimitExceeded, hydra.StatusOutputLimitExceeds:
		return true
	}
	return false
}

// buildTime is when a build failed or succeeded: its stop time, else the
// evaluation's time.
func buildTime(r *hydra.Record, evalTime time.Time) time.Time {
	if r.Stop > 0 {
		return time.Unix(r.Stop, 0).UTC()
	}
	return evalTime
}

// judge decides one job from its history (newest first).
func judge(hist []obs, evals []*Evaluation, p Policy, classify func(*hydra.Record) Class) (SystemFailure, bool) {
	var sf SystemFailure
	newest := hist[0]
	if newest.eval != 0 || classify(newest.rec) != ClassOwnFailure {
		return sf, false // not failing on its own in the newest evaluation
	}
	// The streak: evidence back from the newest until a success.
	var streak []obs
	var success *obs
	for i := range hist {
		switch classify(hist[i].rec) {
		case ClassOwnFailure:
			streak = append(streak, hist[i])
			continue
		case ClassSuccess:
			success = &hist[i]
		default:
			continue // no evidence either way
		}
		break
	}
	if len(streak) < p.Evaluations {
		return sf, false
	}
	// A build id stands for one derivation of one job (hydra.Record).
	drvs := map[int64]bool{}
	for _, o := range streak {
		drvs[o.rec.Build] = true
	}
	oldest := streak[len(streak)-1]
	since := evals[oldest.eval].Time
	if bt := buildTime(oldest.rec, since); bt.Before(since) {
		// The oldest failing build predates its evaluation (Hydra reused
		// it): the failure is at least that old …
		since = bt
	}
	if success != nil {
		// … but never older than the last success seen.
		if st := evals[success.eval].Time; since.Before(st) {
			since = st
		}
		sf.LastSuccess = &BuildRef{Build: success.rec.Build, Eval: evals[success.eval].ID,
			Time: buildTime(success.rec, evals[success.eval].Time)}
	}
	longEnough := evals[0].Time.Sub(since) >= time.Duration(p.MinDays)*24*time.Hour
	if !longEnough && len(drvs) < p.MinDerivations {
		return sf, false
	}
	sf.Build, sf.Status = newest.rec.Build, newest.rec.Status
	sf.FirstFailingEval = evals[oldest.eval].ID
	sf.FailingSince = since
	sf.Evaluations = len(streak)
	sf.Derivations = len(drvs)
	seen := map[int64]bool{}
	for i := len(streak) - 1; i >= 0; i-- {
		r := streak[i].rec
		bt := BuildTime{Eval: evals[streak[i].eval].ID, Build: r.Build, Reused: seen[r.Build], Seconds: int64(r.Seconds)}
		seen[r.Build] = true
		sf.BuildTimes = append(sf.BuildTimes, bt)
	}
	return sf, true
}
