package hydra

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
)

func (c *Client) jobsetPath(project, jobset string) string {
	return "jobset/" + url.PathEscape(project) + "/" + url.PathEscape(jobset)
}

// EachEval calls fn for the evaluations of a jobset, newest first, following
// the pages' "next" links until fn returns false or there are no more.
func (c *Client) EachEval(ctx context.Context, project, jobset string, fn func(Eval) bool) error {
	u := c.URL(c.jobsetPath(project, jobset) + "/evals")
	seen := map[string]bool{}
	for u != "" {
		if seen[u] {
			return fmt.Errorf("hydra: evaluation pages loop at %s", u)
		}
		seen[u] = true
		var page *EvalsPage
		err := c.fetch(ctx, u, "application/json", true, func(r *response) error {
			if err := checkJSON(r); err != nil {
				return err
			}
			p, err := DecodeEvalsPage(r.body)
			if err != nil {
				return decodeErr(r.url, err)
			}
			page = p
			return nil
		})
		if err != nil {
			return err
		}
		for _, e := range page.Evals {
			if !fn(e) {
				return nil
			}
		}
		if page.Next == "" || len(page.Evals) == 0 {
			return nil
		}
		base, _ := url.Parse(u)
		next, err := url.Parse(page.Next)
		if err != nil {
			return fmt.Errorf("GET %s: bad next link %q: %w", u, page.Next, err)
		}
		u = base.ResolveReference(next).String()
	}
	return nil
}

// Evals returns the n newest evaluations of a jobset, newest first (fewer if
// the jobset has fewer).
func (c *Client) Evals(ctx context.Context, project, jobset string, n int) ([]Eval, error) {
	var out []Eval
	if n <= 0 {
		return nil, nil
	}
	err := c.EachEval(ctx, project, jobset, func(e Eval) bool {
		out = append(out, e)
		return len(out) < n
	})
	return out, err
}

// LatestEval returns the newest finished evaluation of a jobset (Hydra's
// latest-eval redirect: newest evaluation with no unfinished build).
func (c *Client) LatestEval(ctx context.Context, project, jobset string) (Eval, error) {
	var e Eval
	err := c.getJSON(ctx, c.URL(c.jobsetPath(project, jobset)+"/latest-eval"), &e)
	return e, err
}

// Eval returns one evaluation.
func (c *Client) Eval(ctx context.Context, id int64) (Eval, error) {
	var e Eval
	err := c.getJSON(ctx, c.URL("eval/"+strconv.FormatInt(id, 10)), &e)
	return e, err
}

// Build returns one build.
func (c *Client) Build(ctx context.Context, id int64) (*Build, error) {
	var b Build
	if err := c.getJSON(ctx, c.BuildURL(id), &b); err != nil {
		return nil, err
	}
	return &b, nil
}

// EachBuild streams every build of an evaluation (/eval/{id}/builds) to fn,
// in constant memory. fn must not keep the *Build. Statuses 429/5xx are
// retried; a failure in the middle of the body is not (fn has seen part of
// it) and is returned wrapped so that IsRetryable reports true.
func (c *Client) EachBuild(ctx context.Context, evalID int64, fn func(*Build) error) error {
	return streamBuilds(c, ctx, evalID, DecodeBuilds, fn)
}

// eachRecord is EachBuild for ingestion: only what a Record needs is decoded.
func (c *Client) eachRecord(ctx context.Context, evalID int64, fn func(*Record) error) error {
	return streamBuilds(c, ctx, evalID, DecodeRecords, fn)
}

func streamBuilds[T any](c *Client, ctx context.Context, evalID int64, decode func(io.Reader, func(*T) error) error, fn func(*T) error) error {
	u := c.URL("eval/" + strconv.FormatInt(evalID, 10) + "/builds")
	// One 504 here means the front end already waited its whole proxy
	// timeout (900 s on hydra.nixos.org) for Hydra to render every build:
	// asking again costs Hydra as much and ends the same way.
	return c.fetchWith(ctx, u, "application/json", fetchOpts{final504: buildsTooSlow}, func(r *response) error {
		if err := checkJSON(r); err != nil {
			return err
		}
		p := c.newProgress(evalID)
		defer p.done()
		body := &countingReader{r: r.body, n: &p.bytes}
		err := decode(body, func(v *T) error {
			p.builds++
			p.tick()
			if err := fn(v); err != nil {
				if errors.Is(err, ErrStop) {
					return ErrStop
				}
				return &callbackError{err}
			}
			return nil
		})
		if err != nil {
			var ce *callbackError
			if errors.As(err, &ce) {
				return ce.err
			}
			return decodeErr(r.url, err)
		}
		return nil
	})
}

// callbackError carries an error of the caller's callback through the
// decoder untouched.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }

// IsRetryable reports whether err is a transient failure (a connection
// reset, a body cut short, a stall) that another attempt may not see.
func IsRetryable(err error) bool { return isTransient(err) }
