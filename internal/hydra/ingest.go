// Reading one finished evaluation into the cache (Ingest): through the
// evaluation page (the default, what works at nixpkgs scale) or through
// /eval/{id}/builds (small jobsets), checked against the evaluation's own
// list of member builds before anything is cached.
package hydra

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"
)

// ReadMode says how an evaluation's builds are read (config hydra.read).
type ReadMode string

const (
	// ReadPage reads the evaluation page, GET /eval/{id}?full=1 (HTML):
	// Hydra computes it with two queries and an in-memory diff
	// (JobsetEval.pm view_GET, Helper/BuildDiff.pm). The default.
	ReadPage ReadMode = "page"
	// ReadBuilds reads GET /eval/{id}/builds (JSON): every build rendered
	// with about five queries each (JobsetEval.pm all_builds, Builds.pm
	// as_json), which hydra.nixos.org's front end gives up on after 900 s
	// for a nixpkgs evaluation. For small jobsets and other Hydras.
	ReadBuilds ReadMode = "builds"
)

// ReadModes lists the valid modes.
var ReadModes = []ReadMode{ReadPage, ReadBuilds}

// UnfinishedError says an evaluation still has unfinished builds: it may
// change, so it is not cached.
type UnfinishedError struct {
	Eval       int64
	Unfinished int
}

func (e *UnfinishedError) Error() string {
	return fmt.Sprintf("evaluation %d is not finished (%d builds unfinished)", e.Eval, e.Unfinished)
}

// IncompleteError says a reading of an evaluation did not account for its
// member builds (a short answer, a page whose tabs do not add up): it is
// not cached, so that a later run against an honest answer sees everything.
type IncompleteError struct {
	URL     string
	Eval    int64
	Read    int // member builds read
	Members int // member builds the evaluation lists
}

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("GET %s: read %d builds, but evaluation %d has %d member builds: the answer is incomplete, nothing cached",
		e.URL, e.Read, e.Eval, e.Members)
}

// Ingest makes sure the cache holds the records of a finished evaluation:
// if it does not, the evaluation's builds are read into it (Options.Read
// says how). An unfinished evaluation, a reading that does not account for
// every member build, or a fetch that fails, leaves nothing in the cache.
// It reports whether the evaluation came from the cache.
func (c *Client) Ingest(ctx context.Context, cache *Cache, e Eval) (cached bool, err error) {
	if cache.Has(e.ID) {
		return true, nil
	}
	log := c.log.WithField("eval", e.ID)
	for attempt := 1; ; attempt++ {
		err = c.ingestOnce(ctx, cache, e)
		if err == nil || !isTransient(err) || attempt >= c.opts.MaxAttempts || ctx.Err() != nil {
			return false, err
		}
		wait := c.backoff(attempt)
		log.WithFields(logrus.Fields{"attempt": attempt, "wait": wait.Round(time.Millisecond)}).WithError(err).
			Warn("hydra: evaluation fetch failed, fetching it again")
		if err := sleep(ctx, wait); err != nil {
			return false, err
		}
	}
}

func (c *Client) ingestOnce(ctx context.Context, cache *Cache, e Eval) error {
	w, err := cache.Create(e.ID, e.Timestamp, e.NixpkgsRevision())
	if err != nil {
		return err
	}
	read, unfinished := 0, 0
	add := func(rec *Record) error {
		read++
		if rec.Status == StatusUnfinished {
			unfinished++
		}
		return w.Add(rec)
	}
	var u string
	switch c.opts.Read {
	case ReadBuilds:
		u = c.URL("eval/" + strconv.FormatInt(e.ID, 10) + "/builds")
		err = c.eachRecord(ctx, e.ID, add)
	default:
		u = c.EvalPageURL(e.ID)
		err = c.pageRecords(ctx, e.ID, add)
	}
	switch {
	case err != nil:
	case e.Members > 0 && read != e.Members:
		err = &IncompleteError{URL: u, Eval: e.ID, Read: read, Members: e.Members}
	case unfinished > 0:
		err = &UnfinishedError{Eval: e.ID, Unfinished: unfinished}
	}
	if err != nil {
		w.Abort()
		return err
	}
	return w.Commit()
}

// EvalPageURL is the evaluation page with every row (full=1).
func (c *Client) EvalPageURL(id int64) string {
	return c.URL("eval/"+strconv.FormatInt(id, 10)) + "?full=1"
}

// pageRecords reads the evaluation page and hands fn a Record per member
// build (every tab but "removed"). A page whose tabs do not add up to their
// counts, or that omits rows, is an error.
func (c *Client) pageRecords(ctx context.Context, evalID int64, fn func(*Record) error) error {
	u := c.EvalPageURL(evalID)
	return c.fetchWith(ctx, u, "text/html", fetchOpts{}, func(r *response) error {
		if mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type")); mt != "text/html" && mt != "application/xhtml+xml" {
			return fmt.Errorf("GET %s: answered %q, not the evaluation page (HTML)", r.url, r.header.Get("Content-Type"))
		}
		p := c.newProgress(evalID)
		defer p.done()
		body := &countingReader{r: r.body, n: &p.bytes}
		var rec Record
		page, err := ReadEvalPage(body, r.url, c.opts.PageLimits, func(row *PageRow) error {
			if !row.Tab.Member() {
				return nil
			}
			p.builds++
			p.tick()
			rec = Record{Job: row.Job, System: row.System, Build: row.Build, Stop: row.Stop, Status: row.Status}
			if err := fn(&rec); err != nil {
				return &callbackError{err}
			}
			return nil
		})
		if err != nil {
			var ce *callbackError
			if errors.As(err, &ce) {
				return ce.err
			}
			if isTransient(err) {
				return &transientError{fmt.Errorf("GET %s: reading the page: %w", r.url, err)}
			}
			return err
		}
		if page.Eval != 0 && page.Eval != evalID {
			return fmt.Errorf("GET %s: the page is of evaluation %d, not %d", r.url, page.Eval, evalID)
		}
		if err := page.Complete(); err != nil {
			return fmt.Errorf("GET %s: %w", r.url, err)
		}
		return nil
	})
}
