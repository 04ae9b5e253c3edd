// A job's history beyond the evaluations markbot read: its newest
// successful build and the evaluations a build belongs to, for "broke
// between" (the last good and the first bad revision of a failure).
package hydra

import (
	"context"
	"net/url"
	"strconv"
)

// LatestSuccess returns the newest successful build of a job
// (GET /job/{p}/{j}/{job}/latest, ListBuilds.pm latest: a redirect to the
// build), or nil when the job never succeeded ("There is no successful
// build to redirect to.", 404).
func (c *Client) LatestSuccess(ctx context.Context, project, jobset, job string) (*Build, error) {
	u := c.URL("job/" + url.PathEscape(project) + "/" + url.PathEscape(jobset) + "/" + url.PathEscape(job) + "/latest")
	var b Build
	if err := c.getJSON(ctx, u, &b); err != nil {
		if IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	return &b, nil
}

// LatestEvalOf returns the newest finished evaluation holding a build
// (GET /build/{id}/eval, Build.pm eval: a redirect to the evaluation), or
// ok false when there is none (404).
func (c *Client) LatestEvalOf(ctx context.Context, buildID int64) (e Eval, ok bool, err error) {
	u := c.URL("build/" + strconv.FormatInt(buildID, 10) + "/eval")
	if err := c.getJSON(ctx, u, &e); err != nil {
		if IsNotFound(err) {
			return Eval{}, false, nil
		}
		return Eval{}, false, err
	}
	return e, true, nil
}
