// Package hydratest owns a fake Hydra server for tests, benchmarks and the
// offline demo: Hydra's paths, status codes, JSON shapes and log redirect
// chain over real HTTP, driven by scenarios (evaluations → builds), with
// faults injectable per path and per count. It renders the evaluation page
// as Hydra does (evalpage.go), serves nixpkgs' tarball job and its products
// (tarball.go), and models hydra.nixos.org's front end (frontend.go:
// iocaine's decoy, limit_req, the proxy timeout). It also generates
// nixpkgs-scale scenarios (≈250k builds per evaluation over four systems)
// that the server streams without holding them in memory.
package hydratest

import (
	"fmt"
	"path"
	"sort"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

// Build is a build as the fake knows it: Hydra's fields plus the output
// names and, for static scenarios, the log text.
type Build struct {
	hydra.Build
	Outputs []string // output names, "out" when empty
	Log     string   // the build log; empty means none (as for status 2)
	// ReleaseName is the builds.releasename column (nix-support/
	// hydra-release-name); "" is NULL. The evaluation page prints it
	// instead of the nixname when set.
	ReleaseName string
	// Products are the build's products (nix-support/hydra-build-products),
	// numbered from 1 in order. When nil, a succeeded build has the one
	// product Hydra adds for a build without that file: nix-build of its
	// first output.
	Products []Product
	// Steps are the build's steps (the buildsteps table), oldest first:
	// FailStep writes them as the queue runner does; the build page lists
	// them.
	Steps []Step
}

// Product is one build product (the buildproducts table: BuildProducts.pm).
type Product struct {
	Type, Subtype string // like "file" and "json-br"
	Name          string // the file's base name
	Path          string // the store path of the file
	DefaultPath   string // "" for a file
	// Content is the file's bytes: what /build/{id}/download serves, its
	// filesize and sha256hash.
	Content []byte
}

// EvalInfo describes one evaluation of a scenario.
type EvalInfo struct {
	hydra.Eval
	Finished bool // every member build is finished
	// InputPaths are the inputs' store paths (jobsetevalinputs.path, shown
	// on the evaluation page's Inputs tab; not in Hydra's JSON).
	InputPaths map[string]string
}

// Scenario is what the fake serves: one jobset's evaluations and builds.
// Implementations must be safe for concurrent reads.
type Scenario interface {
	// Jobset names the one jobset the scenario has.
	Jobset() (project, jobset string)
	// Evals lists the evaluations, newest first.
	Evals() []EvalInfo
	// BuildIDs calls fn with each member build id of an evaluation; false
	// if there is no such evaluation.
	BuildIDs(eval int64, fn func(id int64)) bool
	// EachBuild calls fn with each member build of an evaluation (fn must
	// not keep the pointer); false if there is no such evaluation.
	EachBuild(eval int64, fn func(*Build) error) (bool, error)
	// Build returns one build.
	Build(id int64) (*Build, bool)
	// BuildOfDrv finds the build of a derivation by the base name of its
	// .drv path.
	BuildOfDrv(basename string) (int64, bool)
	// Log returns a build's log; false if it has none.
	Log(id int64) (string, bool)
	// Packages returns packages.json (uncompressed) at an evaluation's
	// revision, as the tarball job writes it; false if the scenario has
	// none for that evaluation. Whether Hydra serves it depends on the
	// evaluation's tarball build (absent, queued or failed: not).
	Packages(eval int64) ([]byte, bool)
}

// Static is a small scenario written out in a test.
type Static struct {
	project, jobset string
	evals           []staticEval // newest first
	builds          map[int64]*Build
	drvs            map[string]int64
}

type staticEval struct {
	info     EvalInfo
	ids      []int64
	packages []byte
}

// NewStatic returns an empty scenario for project/jobset.
func NewStatic(project, jobset string) *Static {
	return &Static{project: project, jobset: jobset, builds: map[int64]*Build{}, drvs: map[string]int64{}}
}

// AddEval adds an evaluation with its member builds. A build already added
// (same id) is reused: Hydra does not rebuild a derivation it has built.
// Evaluations may be added in any order. It panics on inconsistent input
// (a test bug).
func (s *Static) AddEval(id, timestamp int64, builds ...*Build) *Static {
	e := staticEval{info: EvalInfo{Eval: hydra.Eval{
		ID: id, Timestamp: timestamp, CheckoutTime: 5, EvalTime: 2400, HasNewBuilds: true,
		Inputs: map[string]hydra.EvalInput{"nixpkgs": {Type: "git", URI: ptr("https://github.com/NixOS/nixpkgs.git"), Revision: ptr(fmt.Sprintf("%040x", id))}},
	}, Finished: true}}
	for _, b := range builds {
		if old, ok := s.builds[b.ID]; ok {
			if old.DrvPath != b.DrvPath || old.Job != b.Job {
				panic(fmt.Sprintf("hydratest: build %d added twice with different contents", b.ID))
			}
			b = old
		} else {
			cp := *b
			cp.JobsetEvals = nil
			if cp.Project == "" {
				cp.Project, cp.Jobset = s.project, s.jobset
			}
			b = &cp
			s.builds[b.ID] = b
			if b.DrvPath != "" {
				s.drvs[path.Base(b.DrvPath)] = b.ID
			}
		}
		b.JobsetEvals = append(b.JobsetEvals, id)
		sort.Slice(b.JobsetEvals, func(i, j int) bool { return b.JobsetEvals[i] < b.JobsetEvals[j] })
		if !b.Finished {
			e.info.Finished = false
		}
		e.ids = append(e.ids, b.ID)
	}
	s.evals = append(s.evals, e)
	sort.Slice(s.evals, func(i, j int) bool { return s.evals[i].info.ID > s.evals[j].info.ID })
	return s
}

func ptr[T any](v T) *T { return &v }

// SetPackages gives evaluation eval a succeeded tarball job build (with a
// new build id) whose packages.json.br compresses packagesJSON.
func (s *Static) SetPackages(eval int64, packagesJSON []byte) *Static {
	next := int64(1)
	for id := range s.builds {
		next = max(next, id+1)
	}
	return s.AddTarball(eval, next, 0, packagesJSON)
}

// AddTarball adds the tarball job's build id to evaluation eval (added
// before): status 0 succeeded, with products (packages.json.br of
// packagesJSON, and the source tarball); < 0 still queued; anything else
// failed, without products. Packages(eval) answers packagesJSON whatever
// the status.
func (s *Static) AddTarball(eval, id int64, status int, packagesJSON []byte) *Static {
	e := s.eval(eval)
	if e == nil {
		panic(fmt.Sprintf("hydratest: AddTarball: no evaluation %d", eval))
	}
	if _, dup := s.builds[id]; dup {
		panic(fmt.Sprintf("hydratest: AddTarball: build %d exists", id))
	}
	b := NewTarballBuild(TarballSpec{ID: id, Status: status, Revision: e.info.NixpkgsRevision(),
		Time: e.info.Timestamp - 3600, Packages: packagesJSON, Project: s.project, Jobset: s.jobset})
	b.JobsetEvals = []int64{eval}
	s.builds[id] = b
	s.drvs[path.Base(b.DrvPath)] = id
	e.ids = append(e.ids, id)
	e.packages = packagesJSON
	if status < 0 {
		e.info.Finished = false
	}
	return s
}

// SetRevision sets the git revision of evaluation eval's nixpkgs input
// (added before).
func (s *Static) SetRevision(eval int64, rev string) *Static {
	e := s.eval(eval)
	if e == nil {
		panic(fmt.Sprintf("hydratest: SetRevision(%d): no such evaluation", eval))
	}
	inputs := make(map[string]hydra.EvalInput, len(e.info.Inputs))
	for k, v := range e.info.Inputs {
		inputs[k] = v
	}
	in := inputs["nixpkgs"]
	in.Revision = &rev
	inputs["nixpkgs"] = in
	e.info.Inputs = inputs
	return s
}

// SetPackagesOnly is what Packages answers for evaluation eval (added
// before), for a scenario that adds its tarball build itself
// (NewTarballBuild); SetPackages adds one.
func (s *Static) SetPackagesOnly(eval int64, packagesJSON []byte) *Static {
	e := s.eval(eval)
	if e == nil {
		panic(fmt.Sprintf("hydratest: SetPackagesOnly(%d): no such evaluation", eval))
	}
	e.packages = packagesJSON
	return s
}

// Packages implements Scenario.
func (s *Static) Packages(eval int64) ([]byte, bool) {
	e := s.eval(eval)
	if e == nil || e.packages == nil {
		return nil, false
	}
	return e.packages, true
}

// Jobset implements Scenario.
func (s *Static) Jobset() (string, string) { return s.project, s.jobset }

// Evals implements Scenario.
func (s *Static) Evals() []EvalInfo {
	out := make([]EvalInfo, len(s.evals))
	for i, e := range s.evals {
		out[i] = e.info
	}
	return out
}

func (s *Static) eval(id int64) *staticEval {
	for i := range s.evals {
		if s.evals[i].info.ID == id {
			return &s.evals[i]
		}
	}
	return nil
}

// BuildIDs implements Scenario.
func (s *Static) BuildIDs(eval int64, fn func(int64)) bool {
	e := s.eval(eval)
	if e == nil {
		return false
	}
	for _, id := range e.ids {
		fn(id)
	}
	return true
}

// EachBuild implements Scenario.
func (s *Static) EachBuild(eval int64, fn func(*Build) error) (bool, error) {
	e := s.eval(eval)
	if e == nil {
		return false, nil
	}
	for _, id := range e.ids {
		b := *s.builds[id]
		if err := fn(&b); err != nil {
			return true, err
		}
	}
	return true, nil
}

// Build implements Scenario.
func (s *Static) Build(id int64) (*Build, bool) {
	b, ok := s.builds[id]
	if !ok {
		return nil, false
	}
	cp := *b
	return &cp, true
}

// BuildOfDrv implements Scenario.
func (s *Static) BuildOfDrv(basename string) (int64, bool) {
	id, ok := s.drvs[basename]
	return id, ok
}

// Log implements Scenario.
func (s *Static) Log(id int64) (string, bool) {
	b, ok := s.builds[id]
	if !ok || b.Log == "" {
		return "", false
	}
	return b.Log, true
}

// B is shorthand for a finished build in a test scenario: job is the full
// job name ("hello.x86_64-linux"), drv the hash-and-name part of its .drv
// path ("aaaa…-hello-2.12"). status < 0 makes an unfinished build.
func B(id int64, job, system string, status int, drv string, start, stop int64) *Build {
	b := &Build{Build: hydra.Build{
		ID: id, Job: job, System: system, NixName: nameOfDrv(drv),
		Finished: status >= 0, Priority: 100, Timestamp: start, StartTime: start, StopTime: stop,
		DrvPath: "/nix/store/" + drv + ".drv",
	}}
	if status >= 0 {
		st := status
		b.BuildStatus = &st
	} else {
		b.StartTime, b.StopTime = 0, 0
	}
	return b
}

func nameOfDrv(drv string) string {
	if len(drv) > 33 && drv[32] == '-' {
		return drv[33:]
	}
	return drv
}
