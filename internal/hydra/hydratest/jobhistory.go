// A job's history routes: /job/{p}/{j}/{job}/latest (Base/Controller/
// ListBuilds.pm latest: a redirect to the job's newest successful build)
// and /build/{id}/eval (Controller/Build.pm eval: a redirect to the newest
// finished evaluation holding the build), which "broke between" reads
// when markbot's own history is too short.
package hydratest

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
)

// jobLatest answers /job/{project}/{jobset}/{job}/latest[/rest…].
func (f *Fake) jobLatest(w http.ResponseWriter, r *http.Request, project, jobset, job string, rest []string) {
	if p, j := f.scen.Jobset(); p != project || j != jobset {
		f.fail(w, r, http.StatusNotFound, fmt.Sprintf("Jobset ‘%s’ doesn't exist.", jobset), true)
		return
	}
	var best int64
	for _, e := range f.scen.Evals() {
		ix := f.index(e.ID)
		if ix == nil {
			continue
		}
		i := sort.Search(len(ix.members), func(i int) bool { return ix.members[i].job >= job })
		for ; i < len(ix.members) && ix.members[i].job == job; i++ {
			if m := ix.members[i]; m.finished() && m.status == 0 && m.id > best {
				best = m.id
			}
		}
	}
	if best == 0 {
		f.fail(w, r, http.StatusNotFound, "There is no successful build to redirect to.", true)
		return
	}
	u := f.base(r) + "/build/" + strconv.FormatInt(best, 10)
	for _, s := range rest {
		u += "/" + pathEscape(s)
	}
	http.Redirect(w, r, u, http.StatusFound)
}

// buildEval answers /build/{id}/eval[/rest…]: the newest evaluation with
// new builds holding the build and no unfinished member.
func (f *Fake) buildEval(w http.ResponseWriter, r *http.Request, b *Build, rest []string) {
	var best int64
	for _, e := range f.scen.Evals() {
		if bool(e.HasNewBuilds) && e.Finished && slices.Contains(b.JobsetEvals, e.ID) && e.ID > best {
			best = e.ID
		}
	}
	if best == 0 {
		f.fail(w, r, http.StatusNotFound, "There is no finished evaluation containing this build.", true)
		return
	}
	u := f.base(r) + "/eval/" + strconv.FormatInt(best, 10)
	for _, s := range rest {
		u += "/" + pathEscape(s)
	}
	if r.URL.RawQuery != "" {
		u += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, u, http.StatusFound)
}
