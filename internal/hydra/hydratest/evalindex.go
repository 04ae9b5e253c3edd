// The evaluation page, step 0: indexing. This file keeps, per evaluation,
// the compact sorted list of member builds that the page classifies (what
// view_GET's `$eval->builds->search($filter, {columns => [@buildListColumns]})`
// loads, less the columns only printed), and chooses the evaluation to
// compare with as view_GET does (NixOS/hydra
// subprojects/hydra/lib/Hydra/Controller/JobsetEval.pm).
package hydratest

import (
	"fmt"
	"regexp"
	"strconv"
	"sync"
)

// evalIndex is one evaluation's member builds sorted by (job, system).
type evalIndex struct {
	members []member
	systems []string
	queued  int // unfinished members
}

// maxIndexes bounds the indexes a fake keeps (least recently used go).
const maxIndexes = 6

type indexCache struct {
	mu      sync.Mutex
	entries map[int64]*indexEntry
	tick    uint64
	intern  map[string]string // job names shared by every index
}

type indexEntry struct {
	once sync.Once
	ix   *evalIndex
	used uint64
}

// index returns evaluation id's index, building it on first use; nil if
// the scenario has no such evaluation.
func (f *Fake) index(id int64) *evalIndex {
	c := &f.indexes
	c.mu.Lock()
	e := c.entries[id]
	if e == nil {
		e = &indexEntry{}
		c.entries[id] = e
		if len(c.entries) > maxIndexes {
			var oldest int64
			var min uint64 = ^uint64(0)
			for k, v := range c.entries {
				if k != id && v.used < min {
					oldest, min = k, v.used
				}
			}
			delete(c.entries, oldest)
		}
	}
	c.tick++
	e.used = c.tick
	c.mu.Unlock()
	e.once.Do(func() { e.ix = f.buildIndex(id) })
	return e.ix
}

// memberLister is implemented by scenarios that can list an
// evaluation's index columns cheaper than EachBuild (Generated).
type memberLister interface {
	eachMember(eval int64, fn func(id int64, job, system string, status int8)) bool
}

// rowSource is implemented by scenarios that can give a page row's printed
// columns (nixname, stop time) cheaper than Build (Generated).
type rowSource interface {
	rowColumns(dst []byte, id int64) (name []byte, stop int64, ok bool)
}

func (f *Fake) buildIndex(id int64) *evalIndex {
	ix := &evalIndex{}
	sysIdx := map[string]uint8{}
	var batch []member
	var jobs []string
	flush := func() {
		c := &f.indexes
		c.mu.Lock()
		for i := range batch {
			j := jobs[i]
			if s, ok := c.intern[j]; ok {
				j = s
			} else {
				c.intern[j] = j
			}
			batch[i].job = j
		}
		c.mu.Unlock()
		ix.members = append(ix.members, batch...)
		batch, jobs = batch[:0], jobs[:0]
	}
	add := func(bid int64, job, system string, status int8) {
		si, ok := sysIdx[system]
		if !ok {
			if len(ix.systems) == 256 {
				panic("hydratest: more than 256 systems in one evaluation")
			}
			si = uint8(len(ix.systems))
			sysIdx[system] = si
			ix.systems = append(ix.systems, system)
		}
		if status == statusQueued {
			ix.queued++
		}
		batch = append(batch, member{id: bid, system: si, status: status})
		jobs = append(jobs, job)
		if len(batch) == 4096 {
			flush()
		}
	}
	var found bool
	if ml, ok := f.scen.(memberLister); ok {
		found = ml.eachMember(id, add)
	} else {
		found, _ = f.scen.EachBuild(id, func(b *Build) error {
			status := statusQueued
			if b.Finished {
				st := 0
				if b.BuildStatus != nil {
					st = *b.BuildStatus
				}
				status = int8(min(max(st, 0), 127))
			}
			add(b.ID, b.Job, b.System, status)
			return nil
		})
	}
	if !found {
		return nil
	}
	flush()
	sortMembers(ix.members, ix.systems)
	return ix
}

// filtered returns the members whose job matches p (all when p is nil).
func (ix *evalIndex) filtered(p *likePattern) []member {
	if p == nil {
		return ix.members
	}
	var out []member
	for i := range ix.members {
		if p.match(ix.members[i].job) {
			out = append(out, ix.members[i])
		}
	}
	return out
}

// EvalSize is the number of member builds of an evaluation (what
// /eval/{id}/builds renders); false if there is no such evaluation. The
// FrontEnd asks it to model the proxy's timeout.
func (f *Fake) EvalSize(id int64) (int, bool) {
	f.mu.Lock()
	n, ok := f.sizes[id]
	f.mu.Unlock()
	if ok {
		return n, true
	}
	n = 0
	if !f.scen.BuildIDs(id, func(int64) { n++ }) {
		return 0, false
	}
	f.mu.Lock()
	f.sizes[id] = n
	f.mu.Unlock()
	return n, true
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// jobsetNameRE is Hydra's $jobsetNameRE (Helper/CatalystUtils.pm), anchored
// as view_GET anchors it.
var jobsetNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.-]*$`)

var digitsRE = regexp.MustCompile(`^[0-9]+$`)
var minusDigitsRE = regexp.MustCompile(`^-([0-9]+)$`)

// pageError is an error view_GET raises: notFound (404) or a server
// error (500).
type pageError struct {
	code int
	msg  string
}

// otherEval chooses the evaluation to compare with, as view_GET does:
//
//   - no compare parameter: the newest evaluation of the jobset with
//     hasnewbuilds = 1 and a smaller id (order by id desc);
//   - compare=N (digits): evaluation N, 404 "Evaluation N doesn't exist.";
//   - compare=-S: the latest (by timestamp) evaluation of the jobset with
//     hasnewbuilds = 1 and timestamp ≤ this one's − S, or none;
//   - compare=NAME (a jobset name of this project): that jobset's latest
//     finished evaluation (getLatestFinishedEval: hasnewbuilds = 1 and no
//     unfinished member), or none; 404 "Jobset NAME doesn't exist." when the
//     project has no such jobset (the fake knows only its own jobset);
//   - anything else (the empty string too): 404 "Unknown comparison source
//     ‘…’.".
func (f *Fake) otherEval(this *EvalInfo, compare string, hasCompare bool) (*EvalInfo, *pageError) {
	evals := f.scen.Evals()
	var best *EvalInfo
	switch {
	case !hasCompare:
		for i := range evals {
			e := &evals[i]
			if e.HasNewBuilds && e.ID < this.ID && (best == nil || e.ID > best.ID) {
				best = e
			}
		}
	case digitsRE.MatchString(compare):
		id, err := strconv.ParseInt(compare, 10, 64)
		for i := range evals {
			if err == nil && evals[i].ID == id {
				return &evals[i], nil
			}
		}
		return nil, &pageError{404, fmt.Sprintf("Evaluation %s doesn't exist.", compare)}
	case minusDigitsRE.MatchString(compare):
		t, err := strconv.ParseInt(compare[1:], 10, 64)
		if err != nil {
			return nil, nil // more seconds than there are: nothing that old
		}
		limit := this.Timestamp - t
		for i := range evals {
			e := &evals[i]
			if e.HasNewBuilds && e.Timestamp <= limit &&
				(best == nil || e.Timestamp > best.Timestamp || e.Timestamp == best.Timestamp && e.ID > best.ID) {
				best = e
			}
		}
	case jobsetNameRE.MatchString(compare):
		if _, jobset := f.scen.Jobset(); compare != jobset {
			return nil, &pageError{404, fmt.Sprintf("Jobset %s doesn't exist.", compare)}
		}
		for i := range evals {
			e := &evals[i]
			if bool(e.HasNewBuilds) && e.Finished && (best == nil || e.ID > best.ID) {
				best = e
			}
		}
	default:
		return nil, &pageError{404, fmt.Sprintf("Unknown comparison source ‘%s’.", compare)}
	}
	return best, nil
}
