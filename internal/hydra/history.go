package hydra

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sirupsen/logrus"
)

// History returns what detection needs from the n newest finished
// evaluations of a jobset, newest first: each read from the cache, or
// fetched once and cached. Evaluations newer than the latest finished one
// are skipped without being fetched; any older one that turns out to have
// unfinished builds is skipped too.
//
// The newest two evaluations are whole (the mass-breakage guard compares
// them; the cycle, the drops and the revert loop read the newest). Older
// ones hold only the jobs that did not succeed in the newest, or are not in
// it: a job that succeeds now cannot be a persistent failure, and marked
// packages, whose build times savings reads, are not built on master. This
// keeps a 10-evaluation history of nixpkgs at a few tens of MB instead of
// ≈140 MB of records (docs/benchmarks.md).
func (c *Client) History(ctx context.Context, cache *Cache, project, jobset string, n int) ([]*EvalRecords, error) {
	req0, bytes0 := c.requests.Load(), c.wire.Load()
	latest, err := c.LatestEval(ctx, project, jobset)
	if err != nil {
		return nil, err
	}
	var candidates []Eval
	err = c.EachEval(ctx, project, jobset, func(e Eval) bool {
		if e.ID <= latest.ID {
			candidates = append(candidates, e)
		}
		return len(candidates) < n+5 // a little further back, for unfinished ones
	})
	if err != nil {
		return nil, err
	}
	var in Interner
	var history []*EvalRecords
	var succeeded []string // jobs that succeeded in the newest, sorted
	for _, e := range candidates {
		if len(history) == n {
			break
		}
		l := c.log.WithField("eval", e.ID)
		ereq0, ebytes0, t0 := c.requests.Load(), c.wire.Load(), time.Now()
		cached, err := c.Ingest(ctx, cache, e)
		var ue *UnfinishedError
		if errors.As(err, &ue) {
			l.Warnf("skipping: %v", err)
			continue
		}
		if err != nil {
			return nil, err
		}
		var keep func([]byte) bool
		if len(history) >= 2 {
			keep = func(job []byte) bool { return !containsJob(succeeded, job) }
		}
		er, err := cache.LoadKeeping(e.ID, &in, keep)
		if err != nil {
			return nil, err
		}
		if er.Revision == "" {
			er.Revision = e.NixpkgsRevision()
		}
		f := logrus.Fields{"cached": cached, "builds": len(er.Records)}
		switch len(history) {
		case 0:
			succeeded = succeededJobs(er)
		case 1:
		default:
			delete(f, "builds")
			f["kept"] = len(er.Records)
		}
		if !cached {
			f["requests"], f["bytes"] = c.requests.Load()-ereq0, c.wire.Load()-ebytes0
			f["seconds"] = time.Since(t0).Round(time.Millisecond).Seconds()
			f["read"] = string(c.opts.Read)
		}
		l.WithFields(f).Info("evaluation read")
		history = append(history, er)
	}
	if len(history) == 0 {
		return nil, fmt.Errorf("jobset %s/%s has no finished evaluation", project, jobset)
	}
	c.log.WithFields(logrus.Fields{"jobset": project + "/" + jobset, "evaluations": len(history),
		"requests": c.requests.Load() - req0, "bytes": c.wire.Load() - bytes0}).Info("history read")
	return history, nil
}

// succeededJobs lists, sorted, the jobs that succeeded in an evaluation.
func succeededJobs(er *EvalRecords) []string {
	var out []string
	for i := range er.Records {
		if er.Records[i].Status == StatusSucceeded {
			out = append(out, er.Records[i].Job)
		}
	}
	slices.Sort(out)
	return out
}

// containsJob reports whether job is in the sorted list, without making a
// string of it.
func containsJob(sorted []string, job []byte) bool {
	_, found := slices.BinarySearchFunc(sorted, job, func(s string, b []byte) int {
		for i := 0; i < len(s) && i < len(b); i++ {
			if s[i] != b[i] {
				return int(s[i]) - int(b[i])
			}
		}
		return len(s) - len(b)
	})
	return found
}
