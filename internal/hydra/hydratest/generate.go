package hydratest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/hydra"
)

// Systems are the four systems nixpkgs' jobset builds for.
var Systems = []string{"x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin"}

// systemCoverage is the share of packages built on each system.
var systemCoverage = []float64{1.0, 0.95, 0.80, 0.82}

// GenConfig describes a generated, nixpkgs-like scenario. Zero fields take
// the defaults of DefaultGenConfig.
type GenConfig struct {
	Seed     uint64
	Packages int // attribute paths; 70 000 gives ≈250k builds per evaluation
	Evals    int
	Project  string
	Jobset   string
	Start    time.Time     // time of the oldest evaluation
	Interval time.Duration // between evaluations
	// ChangeRate is the share of jobs whose derivation changes in an
	// evaluation (every fifth evaluation is a mass rebuild: 6×).
	ChangeRate float64
	// BrokenShare is the share of packages that fail on every derivation:
	// the persistent failures a scan should find.
	BrokenShare float64
	// MassBreakage, when ≥ 1, is the index (0 = oldest) of an evaluation in
	// which a bad merge makes a large share of jobs fail.
	MassBreakage int
	// UnfinishedNewest leaves some builds of the newest evaluation queued.
	UnfinishedNewest bool
	// Tarball says how the evaluations' tarball job fared (every
	// evaluation's succeeded by default).
	Tarball      TarballMode
	FirstEvalID  int64
	FirstBuildID int64
}

// DefaultGenConfig is nixpkgs-scale: ≈250k builds per evaluation.
func DefaultGenConfig() GenConfig {
	return GenConfig{
		Seed: 1, Packages: 70000, Evals: 10, Project: "nixpkgs", Jobset: "unstable",
		Start:    time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		Interval: 36 * time.Hour, ChangeRate: 0.05, BrokenShare: 0.004,
		FirstEvalID: 1_820_000, FirstBuildID: 300_000_000,
	}
}

// Generated is a scenario computed on demand from a GenConfig: nothing
// proportional to the number of builds is stored beyond one small entry per
// job, and a build is materialised only while it is served.
type Generated struct {
	cfg   GenConfig
	pkgs  []genPackage
	jobs  []genJob
	evals []EvalInfo // newest first

	namesOnce sync.Once
	jobNames  []string

	tarMu    sync.Mutex
	tarballs map[int]*Build // by evaluation index, made on first use
}

type genPackage struct {
	attr    string
	pname   string
	version string
	prefix  string // nixname prefix such as "python3.13-"
	broken  uint8  // 0: healthy; 1: broken on all systems; 2+i: broken on Systems[i-2] only
}

type genJob struct {
	pkg    int32
	system uint8
}

// Generate builds the scenario for cfg.
func Generate(cfg GenConfig) *Generated {
	def := DefaultGenConfig()
	if cfg.Packages <= 0 {
		cfg.Packages = def.Packages
	}
	if cfg.Evals <= 0 {
		cfg.Evals = def.Evals
	}
	if cfg.Project == "" {
		cfg.Project, cfg.Jobset = def.Project, def.Jobset
	}
	if cfg.Start.IsZero() {
		cfg.Start = def.Start
	}
	if cfg.Interval <= 0 {
		cfg.Interval = def.Interval
	}
	if cfg.ChangeRate <= 0 {
		cfg.ChangeRate = def.ChangeRate
	}
	if cfg.BrokenShare <= 0 {
		cfg.BrokenShare = def.BrokenShare
	}
	if cfg.FirstEvalID <= 0 {
		cfg.FirstEvalID = def.FirstEvalID
	}
	if cfg.FirstBuildID <= 0 {
		cfg.FirstBuildID = def.FirstBuildID
	}
	g := &Generated{cfg: cfg}
	seen := make(map[string]bool, cfg.Packages)
	for i := 0; i < cfg.Packages; i++ {
		p := g.makePackage(i, seen)
		g.pkgs = append(g.pkgs, p)
		for s := range Systems {
			if g.unit("cover", uint64(i), uint64(s)) < systemCoverage[s] {
				g.jobs = append(g.jobs, genJob{pkg: int32(i), system: uint8(s)})
			}
		}
	}
	for e := cfg.Evals - 1; e >= 0; e-- {
		ts := cfg.Start.Add(time.Duration(e) * cfg.Interval).Unix()
		id := g.evalID(e)
		g.evals = append(g.evals, EvalInfo{Eval: hydra.Eval{
			ID: id, Timestamp: ts, CheckoutTime: 3 + int64(g.hash("co", uint64(e))%20), EvalTime: 1800 + int64(g.hash("et", uint64(e))%1200),
			HasNewBuilds: true,
			Inputs: map[string]hydra.EvalInput{"nixpkgs": {Type: "git", URI: ptr("https://github.com/NixOS/nixpkgs.git"),
				Revision: ptr(fmt.Sprintf("%016x%016x%08x", g.hash("rev", uint64(e)), g.hash("rev2", uint64(e)), uint32(g.hash("rev3", uint64(e)))))}},
		}, Finished: !((cfg.UnfinishedNewest || cfg.Tarball == TarballQueuedNewest) && e == cfg.Evals-1)})
		g.evals[len(g.evals)-1].InputPaths = map[string]string{"nixpkgs": "/nix/store/" + g.storeHash(int64(e), 7) + "-source"}
	}
	return g
}

// Config returns the configuration the scenario was generated from.
func (g *Generated) Config() GenConfig { return g.cfg }

// Jobs is the number of jobs (package × system) of the scenario.
func (g *Generated) Jobs() int { return len(g.jobs) }

func (g *Generated) evalID(e int) int64 { return g.cfg.FirstEvalID + int64(e)*13 }

func (g *Generated) evalIndex(id int64) (int, bool) {
	d := id - g.cfg.FirstEvalID
	if d < 0 || d%13 != 0 || d/13 >= int64(g.cfg.Evals) {
		return 0, false
	}
	return int(d / 13), true
}

// hash mixes the seed, a purpose and numbers into 64 pseudo-random bits.
func (g *Generated) hash(purpose string, xs ...uint64) uint64 {
	h := g.cfg.Seed*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019
	for i := 0; i < len(purpose); i++ {
		h = mix(h ^ uint64(purpose[i]))
	}
	for _, x := range xs {
		h = mix(h ^ x)
	}
	return h
}

func (g *Generated) unit(purpose string, xs ...uint64) float64 {
	return float64(g.hash(purpose, xs...)>>11) / (1 << 53)
}

// mix is splitmix64's finaliser.
func mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

var packageSets = []struct {
	attr, nixPrefix string
	weight          float64
}{
	{"", "", 0.42},
	{"python313Packages.", "python3.13-", 0.09},
	{"python312Packages.", "python3.12-", 0.08},
	{"haskellPackages.", "", 0.12},
	{"perlPackages.", "perl5.40.0-", 0.03},
	{"emacsPackages.", "emacs-", 0.04},
	{"vimPlugins.", "vimplugin-", 0.03},
	{"ocamlPackages.", "ocaml5.2.0-", 0.02},
	{"rubyPackages.", "ruby3.3-", 0.02},
	{"lua54Packages.", "lua5.4-", 0.01},
	{"nodePackages.", "", 0.02},
	{"kdePackages.", "", 0.02},
	{"linuxPackages.", "", 0.01},
	{"texlivePackages.", "texlive-", 0.04},
	{"tests.", "", 0.05},
}

var syllables = strings.Fields(`ab ac ad al am an ar as at ba be bi bo bu ca ce ci co cu da de di do du el em en er es
fa fe fi fo ga ge gi go gu ha he hi ho ka ke ki ko la le li lo lu ma me mi mo mu na ne ni no nu ob or
pa pe pi po pu qu ra re ri ro ru sa se si so su ta te ti to tu un ur va ve vi vo wa we wi xa xe yo za ze zo`)

var suffixes = []string{"", "", "", "", "", "-cli", "-utils", "-rs", "-py", "-tools", "-server", "-gtk", "-qt", "d", "lib"}

func (g *Generated) makePackage(i int, seen map[string]bool) genPackage {
	r := g.unit("set", uint64(i))
	set := packageSets[0]
	for _, s := range packageSets {
		if r < s.weight {
			set = s
			break
		}
		r -= s.weight
	}
	h := g.hash("name", uint64(i))
	var b strings.Builder
	for k := 0; k < 2+int(h%3); k++ {
		b.WriteString(syllables[(h>>(8+6*k))%uint64(len(syllables))])
	}
	b.WriteString(suffixes[(h>>40)%uint64(len(suffixes))])
	pname := b.String()
	for n := 2; seen[set.attr+pname]; n++ {
		pname = fmt.Sprintf("%s%d", b.String(), n)
	}
	seen[set.attr+pname] = true
	v := g.hash("version", uint64(i))
	p := genPackage{
		attr: set.attr + pname, pname: pname, prefix: set.nixPrefix,
		version: fmt.Sprintf("%d.%d.%d", v%12, (v>>8)%30, (v>>16)%10),
	}
	if g.unit("broken", uint64(i)) < g.cfg.BrokenShare {
		if g.hash("brokensys", uint64(i))%2 == 0 {
			p.broken = 1
		} else {
			p.broken = 2 + uint8(2+g.hash("brokenwhich", uint64(i))%2) // one darwin system
		}
	}
	return p
}

// changed reports whether job j gets a new derivation in evaluation e.
func (g *Generated) changed(j, e int) bool {
	if e == 0 {
		return true
	}
	rate := g.cfg.ChangeRate
	if e%5 == 4 {
		rate = math.Min(6*rate, 0.9)
	}
	if e == g.cfg.MassBreakage {
		rate = 0.6
	}
	return g.unit("chg", uint64(j), uint64(e)) < rate
}

// present reports whether job j is part of evaluation e: a few jobs are
// added or removed along the way.
func (g *Generated) present(j, e int) bool {
	r := g.hash("life", uint64(j))
	n := uint64(g.cfg.Evals)
	switch r % 200 {
	case 0: // added later
		return uint64(e) >= 1+(r>>8)%max(n-1, 1)
	case 1: // removed later
		return uint64(e) < 1+(r>>8)%max(n-1, 1)
	}
	return true
}

// created is the index of the evaluation in which job j's derivation of
// evaluation e first appeared.
func (g *Generated) created(j, e int) int {
	for c := e; c > 0; c-- {
		if g.changed(j, c) {
			return c
		}
	}
	return 0
}

func (g *Generated) buildID(j, c int) int64 {
	return g.cfg.FirstBuildID + int64(c)*int64(len(g.jobs)) + int64(j)
}

const nixBase32 = "0123456789abcdfghijklmnpqrsvwxyz"

// storeHash makes a 32-character store path hash that encodes the build id
// in its first 12 characters (scrambled), so that a .drv base name leads
// back to its build without an index.
func (g *Generated) storeHash(id int64, kind uint64) string {
	var b [32]byte
	x := uint64(id) ^ (g.hash("idmask") >> 4) ^ kind<<58
	for i := 0; i < 12; i++ {
		b[i] = nixBase32[x&31]
		x >>= 5
	}
	h := g.hash("store", uint64(id), kind)
	h2 := mix(h)
	for i := 12; i < 32; i++ {
		if i == 24 {
			h = h2
		}
		b[i] = nixBase32[h&31]
		h >>= 5
	}
	return string(b[:])
}

// BuildOfDrv implements Scenario.
func (g *Generated) BuildOfDrv(basename string) (int64, bool) {
	if len(basename) < 33 {
		return 0, false
	}
	var x uint64
	for i := 11; i >= 0; i-- {
		k := strings.IndexByte(nixBase32, basename[i])
		if k < 0 {
			return 0, false
		}
		x = x<<5 | uint64(k)
	}
	id := int64(x ^ (g.hash("idmask") >> 4))
	b, ok := g.Build(id)
	if !ok || b.DrvPath != "/nix/store/"+basename {
		return 0, false
	}
	return id, true
}

// status decides the outcome of job j's derivation created in evaluation c.
func (g *Generated) status(j, c int) (st int, finished bool) {
	job := g.jobs[j]
	p := &g.pkgs[job.pkg]
	if g.cfg.UnfinishedNewest && c == g.cfg.Evals-1 && g.unit("queued", uint64(j)) < 0.3 {
		return 0, false
	}
	if c == g.cfg.MassBreakage && c > 0 && g.unit("mass", uint64(j)) < 0.5 {
		if g.unit("massown", uint64(j)) < 0.1 {
			return 1, true
		}
		return 2, true
	}
	if p.broken == 1 || (p.broken >= 2 && int(p.broken-2) == int(job.system)) {
		if g.unit("brokenout", uint64(j), uint64(c)) < 0.1 {
			return 6, true
		}
		return 1, true
	}
	r := g.unit("status", uint64(j), uint64(c))
	for _, o := range outcomes {
		if r < o.share {
			return o.status, true
		}
		r -= o.share
	}
	return 0, true
}

// outcomes is the mix of non-success statuses of a healthy package's
// derivation (the rest succeed).
var outcomes = []struct {
	status int
	share  float64
}{
	{1, 0.012}, {2, 0.03}, {3, 0.002}, {4, 0.001}, {6, 0.001}, {7, 0.003},
	{9, 0.004}, {10, 0.0005}, {11, 0.0003}, {12, 0.0005},
}

// times are a finished build's start and stop times (ts: its queue time).
func (g *Generated) times(id, ts int64, st int) (start, stop int64) {
	start = ts + int64(g.hash("queue", uint64(id))%(4*3600))
	dur := int64(20 * math.Exp(g.unit("dur", uint64(id))*6)) // 20 s … 2.2 h
	switch st {
	case 7:
		dur = 36000
	case 9:
		dur = 0
	case 2, 3, 4:
		dur = int64(g.hash("short", uint64(id)) % 60)
	}
	return start, start + dur
}

// appendNixName appends the nixname of job j's derivation created in
// evaluation c.
func (g *Generated) appendNixName(dst []byte, j, c int) []byte {
	p := &g.pkgs[g.jobs[j].pkg]
	dst = append(dst, p.prefix...)
	dst = append(dst, p.pname...)
	dst = append(dst, '-')
	dst = append(dst, p.version...)
	if c > 0 {
		// A new derivation is often a new version.
		dst = append(dst, '.')
		dst = strconv.AppendInt(dst, int64(c), 10)
	}
	return dst
}

// jobName is job j's name, from a table made once.
func (g *Generated) jobName(j int) string {
	g.namesOnce.Do(func() {
		g.jobNames = make([]string, len(g.jobs))
		for k, job := range g.jobs {
			g.jobNames[k] = g.pkgs[job.pkg].attr + "." + Systems[job.system]
		}
	})
	return g.jobNames[j]
}

// eachMember is EachBuild with only what the evaluation page's index
// keeps, without materialising builds.
func (g *Generated) eachMember(eval int64, fn func(id int64, job, system string, status int8)) bool {
	e, ok := g.evalIndex(eval)
	if !ok {
		return false
	}
	for j := range g.jobs {
		if !g.present(j, e) {
			continue
		}
		c := g.created(j, e)
		st, finished := g.status(j, c)
		status := int8(st)
		if !finished {
			status = statusQueued
		}
		fn(g.buildID(j, c), g.jobName(j), Systems[g.jobs[j].system], status)
	}
	g.eachExtraMember(e, fn)
	return true
}

// rowColumns appends the nixname of build id to dst and returns its stop
// time (0 while unfinished): the evaluation page's printed columns, without
// materialising the build. ok is false for builds it does not know that
// way (Build then answers).
func (g *Generated) rowColumns(dst []byte, id int64) (name []byte, stop int64, ok bool) {
	d := id - g.cfg.FirstBuildID
	n := int64(len(g.jobs))
	if d < 0 || n == 0 || d/n >= int64(g.cfg.Evals) {
		return dst, 0, false
	}
	j, c := int(d%n), int(d/n)
	st, finished := g.status(j, c)
	if finished {
		ts := g.cfg.Start.Add(time.Duration(c)*g.cfg.Interval).Unix() + 600
		_, stop = g.times(id, ts, st)
	}
	return g.appendNixName(dst, j, c), stop, true
}

// build materialises the build of job j created in evaluation c.
func (g *Generated) build(j, c int, b *Build) {
	job := g.jobs[j]
	p := &g.pkgs[job.pkg]
	id := g.buildID(j, c)
	system := Systems[job.system]
	nixname := string(g.appendNixName(nil, j, c))
	ts := g.cfg.Start.Add(time.Duration(c)*g.cfg.Interval).Unix() + 600
	st, finished := g.status(j, c)
	*b = Build{Build: hydra.Build{
		ID: id, Project: g.cfg.Project, Jobset: g.cfg.Jobset,
		Job: p.attr + "." + system, NixName: nixname, System: system,
		Finished: hydra.Flag(finished), Priority: 100, Timestamp: ts,
		DrvPath: "/nix/store/" + g.storeHash(id, 0) + "-" + nixname + ".drv",
	}}
	if finished {
		b.BuildStatus = ptr(st)
		b.StartTime, b.StopTime = g.times(id, ts, st)
	}
	b.Outputs = g.outputs(int(job.pkg))
	// Member of every evaluation from c on until its job's next derivation.
	for e := c; e < g.cfg.Evals; e++ {
		if e > c && g.changed(j, e) {
			break
		}
		if g.present(j, e) {
			b.JobsetEvals = append(b.JobsetEvals, g.evalID(e))
		}
	}
}

// Jobset implements Scenario.
func (g *Generated) Jobset() (string, string) { return g.cfg.Project, g.cfg.Jobset }

// Evals implements Scenario.
func (g *Generated) Evals() []EvalInfo { return append([]EvalInfo(nil), g.evals...) }

// BuildIDs implements Scenario.
func (g *Generated) BuildIDs(eval int64, fn func(int64)) bool {
	e, ok := g.evalIndex(eval)
	if !ok {
		return false
	}
	for j := range g.jobs {
		if g.present(j, e) {
			fn(g.buildID(j, g.created(j, e)))
		}
	}
	if id, ok := g.tarballID(e); ok {
		fn(id)
	}
	return true
}

// EachBuild implements Scenario.
func (g *Generated) EachBuild(eval int64, fn func(*Build) error) (bool, error) {
	e, ok := g.evalIndex(eval)
	if !ok {
		return false, nil
	}
	var b Build
	for j := range g.jobs {
		if !g.present(j, e) {
			continue
		}
		g.build(j, g.created(j, e), &b)
		if err := fn(&b); err != nil {
			return true, err
		}
	}
	if tb := g.tarball(e); tb != nil {
		if err := fn(tb); err != nil {
			return true, err
		}
	}
	return true, nil
}

// Build implements Scenario.
func (g *Generated) Build(id int64) (*Build, bool) {
	d := id - g.cfg.FirstBuildID
	n := int64(len(g.jobs))
	if d >= n*int64(g.cfg.Evals) && d < n*int64(g.cfg.Evals)+int64(g.cfg.Evals) {
		if tb := g.tarball(int(d - n*int64(g.cfg.Evals))); tb != nil {
			return tb, true
		}
		return nil, false
	}
	if d < 0 || n == 0 || d/n >= int64(g.cfg.Evals) {
		return nil, false
	}
	j, c := int(d%n), int(d/n)
	if !g.changed(j, c) {
		return nil, false // no new derivation there: no such build
	}
	var b Build
	g.build(j, c, &b)
	if len(b.JobsetEvals) == 0 {
		return nil, false // its job was not part of any evaluation then
	}
	return &b, true
}

// Log implements Scenario: failed builds get a plausible build log ending in
// the error; successful ones a short one; status 2 and unfinished, none.
func (g *Generated) Log(id int64) (string, bool) {
	b, ok := g.Build(id)
	if !ok || !bool(b.Finished) || b.BuildStatus == nil {
		return "", false
	}
	st := *b.BuildStatus
	if st == 2 || st == 9 {
		return "", false
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "building '%s'...\n", b.DrvPath)
	lines := 40 + int(g.hash("loglen", uint64(id))%400)
	for i := 0; i < lines; i++ {
		fmt.Fprintf(&sb, "[%4d/%d] Compiling src/%s_%d.c\n", i+1, lines, syllables[g.hash("f", uint64(id), uint64(i))%uint64(len(syllables))], i)
	}
	switch st {
	case 0:
		sb.WriteString("installing\npost-installation fixup\nshrinking RPATHs of ELF executables and libraries\n")
	case 7:
		sb.WriteString("building of '" + b.DrvPath + "' timed out after 36000 seconds of silence\n")
	default:
		fmt.Fprintf(&sb, "src/%s.c:42:7: error: implicit declaration of function 'frobnicate'\n", b.NixName)
		sb.WriteString("make: *** [Makefile:120: all] Error 1\n")
		fmt.Fprintf(&sb, "error: builder for '%s' failed with exit code 2\n", b.DrvPath)
	}
	return sb.String(), true
}

// outputs are package i's output names.
func (g *Generated) outputs(i int) []string {
	switch g.hash("outputs", uint64(i)) % 6 {
	case 0:
		return []string{"out", "dev"}
	case 1:
		return []string{"out", "dev", "lib", "man"}
	case 2:
		return []string{"out", "dist"}
	}
	return []string{"out"}
}
