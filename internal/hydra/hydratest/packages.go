// The tarball job, step 2: the Generated scenario's packages.json and
// tarball builds. Each evaluation of a Generated scenario has a `tarball`
// job build (tarball.go) whose packages.json.br is the scenario's packages
// at that evaluation, in the shape nixpkgs' pkgs/top-level/packages-info.nix
// writes: Nix's toJSON sorts attribute names, so "packages" comes before
// "version" (the string "2") and every object's keys are sorted; jq -c
// prints it on one line.
package hydratest

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TarballMode says how a Generated scenario's tarball job fares.
type TarballMode int

// The tarball modes.
const (
	// TarballBuilt: every evaluation has a succeeded tarball build.
	TarballBuilt TarballMode = iota
	// TarballNone: the jobset has no tarball job at all.
	TarballNone
	// TarballAbsentNewest: the newest evaluation has no tarball job.
	TarballAbsentNewest
	// TarballFailedNewest: the newest evaluation's tarball failed (status 1).
	TarballFailedNewest
	// TarballQueuedNewest: the newest evaluation's tarball is still queued.
	TarballQueuedNewest
)

// tarballStatus is the status of evaluation e's tarball; false if it has
// none.
func (g *Generated) tarballStatus(e int) (int, bool) {
	newest := e == g.cfg.Evals-1
	switch g.cfg.Tarball {
	case TarballNone:
		return 0, false
	case TarballAbsentNewest:
		return 0, !newest
	case TarballFailedNewest:
		if newest {
			return 1, true
		}
	case TarballQueuedNewest:
		if newest {
			return -1, true
		}
	}
	return 0, true
}

// tarballID is the id of evaluation e's tarball build (after every job
// build of the scenario).
func (g *Generated) tarballID(e int) (int64, bool) {
	if _, ok := g.tarballStatus(e); !ok {
		return 0, false
	}
	return g.cfg.FirstBuildID + int64(g.cfg.Evals)*int64(len(g.jobs)) + int64(e), true
}

// tarball is evaluation e's tarball build (nil if none), made once: its
// products hold the compressed packages.json.
func (g *Generated) tarball(e int) *Build {
	id, ok := g.tarballID(e)
	if !ok || e < 0 || e >= g.cfg.Evals {
		return nil
	}
	g.tarMu.Lock()
	defer g.tarMu.Unlock()
	if b, ok := g.tarballs[e]; ok {
		cp := *b
		return &cp
	}
	st, _ := g.tarballStatus(e)
	info := g.evals[g.cfg.Evals-1-e]
	spec := TarballSpec{ID: id, Status: st, Revision: info.NixpkgsRevision(), Time: info.Timestamp - 3600,
		Project: g.cfg.Project, Jobset: g.cfg.Jobset, DrvHash: g.storeHash(id, 0)}
	if st == 0 {
		spec.Packages = g.packagesJSON(e)
	}
	b := NewTarballBuild(spec)
	b.JobsetEvals = []int64{info.ID}
	if g.tarballs == nil {
		g.tarballs = map[int]*Build{}
	}
	g.tarballs[e] = b
	cp := *b
	return &cp
}

// eachExtraMember lists the members of evaluation e that are not package
// jobs: the tarball job.
func (g *Generated) eachExtraMember(e int, fn func(id int64, job, system string, status int8)) {
	if id, ok := g.tarballID(e); ok {
		st, _ := g.tarballStatus(e)
		s := int8(st)
		if st < 0 {
			s = statusQueued
		}
		fn(id, TarballJob, "x86_64-linux", s)
	}
}

// Packages implements Scenario: packages.json at evaluation eval's
// revision, one entry per package with an x86_64-linux job in it.
func (g *Generated) Packages(eval int64) ([]byte, bool) {
	e, ok := g.evalIndex(eval)
	if !ok {
		return nil, false
	}
	return g.packagesJSON(e), true
}

var descWords = strings.Fields(`fast small simple modern portable lightweight extensible secure minimal
friendly library tool daemon client server viewer editor parser compiler toolkit framework utility
for of images audio text networks files archives terminals graphics fonts databases documents`)

var familyNames = strings.Fields(`Abara Bellini Castro Dahl Eriksen Fischer Garcia Haddad Ito Jansen Kowalski Larsen Moreau
Nakamura Okafor Petrov Quinn Rossi Silva Tanaka Ueda Varga Weber Xu Yilmaz Zhou`)

// maintainer makes the k-th of the scenario's fake maintainers.
func (g *Generated) maintainer(dst []byte, k uint64) []byte {
	h := g.hash("maintainer", k)
	handle := syllables[h%uint64(len(syllables))] + syllables[(h>>8)%uint64(len(syllables))] + "-" + strconv.FormatUint(k, 10)
	given := syllables[(h>>16)%uint64(len(syllables))] + syllables[(h>>24)%uint64(len(syllables))]
	r, n := utf8.DecodeRuneInString(given)
	name := string(unicode.ToUpper(r)) + given[n:] + " " + familyNames[(h>>32)%uint64(len(familyNames))]
	dst = append(dst, `{"email":"`...)
	dst = append(dst, handle...)
	dst = append(dst, `@example.org","github":"`...)
	dst = append(dst, handle...)
	dst = append(dst, `","githubId":`...)
	dst = strconv.AppendUint(dst, 100000+k, 10)
	dst = append(dst, `,"name":"`...)
	dst = append(dst, name...)
	return append(dst, `"}`...)
}

// position is meta.position of package i, relative to the repository (the
// tarball's sed strips the store path).
func (g *Generated) position(i int) string {
	p := &g.pkgs[i]
	line := 10 + g.hash("line", uint64(i))%400
	set, _, inSet := strings.Cut(p.attr, ".")
	var file string
	switch {
	case !inSet:
		file = "pkgs/by-name/" + p.pname[:min(2, len(p.pname))] + "/" + p.pname + "/package.nix"
	case strings.HasPrefix(set, "python3"):
		file = "pkgs/development/python-modules/" + p.pname + "/default.nix"
	case set == "haskellPackages":
		file, line = "pkgs/development/haskell-modules/hackage-packages.nix", 1000+g.hash("line", uint64(i))%300000
	case set == "perlPackages":
		file, line = "pkgs/top-level/perl-packages.nix", 1000+g.hash("line", uint64(i))%30000
	default:
		file = "pkgs/development/" + strings.ToLower(strings.TrimSuffix(set, "Packages")) + "-modules/" + p.pname + "/default.nix"
	}
	return file + ":" + strconv.FormatUint(line, 10)
}

// packagesJSON writes evaluation e's packages.json.
func (g *Generated) packagesJSON(e int) []byte {
	type entry struct {
		attr string
		pkg  int
		job  int // its x86_64-linux job
	}
	var entries []entry
	systems := map[int][]string{}
	for j, job := range g.jobs {
		if !g.present(j, e) {
			continue
		}
		systems[int(job.pkg)] = append(systems[int(job.pkg)], Systems[job.system])
		if job.system == 0 {
			entries = append(entries, entry{g.pkgs[job.pkg].attr, int(job.pkg), j})
		}
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.attr, b.attr) })
	var buf bytes.Buffer
	buf.Grow(len(entries) * 400)
	buf.WriteString(`{"packages":{`)
	var tmp []byte
	for k, en := range entries {
		if k > 0 {
			buf.WriteByte(',')
		}
		p := &g.pkgs[en.pkg]
		c := g.created(en.job, e)
		name := string(g.appendNixName(nil, en.job, c))
		version := strings.TrimPrefix(name, p.prefix+p.pname+"-")
		h := g.hash("desc", uint64(en.pkg))
		desc := descWords[h%8] + " " + descWords[8+(h>>8)%12] + " " + descWords[20+(h>>16)%2] + " " + descWords[22+(h>>24)%9]
		desc = strings.ToUpper(desc[:1]) + desc[1:]
		tmp = strconv.AppendQuote(tmp[:0], en.attr)
		buf.Write(tmp)
		buf.WriteString(`:{"meta":{"available":true,"broken":false,"description":`)
		buf.Write(strconv.AppendQuote(tmp[:0], desc))
		buf.WriteString(`,"maintainers":[`)
		for m := uint64(0); m < g.hash("maintainers", uint64(en.pkg))%4; m++ {
			if m > 0 {
				buf.WriteByte(',')
			}
			buf.Write(g.maintainer(tmp[:0], g.hash("who", uint64(en.pkg), m)%600))
		}
		buf.WriteString(`],"name":`)
		buf.Write(strconv.AppendQuote(tmp[:0], name))
		buf.WriteString(`,"platforms":[`)
		for i, s := range systems[en.pkg] {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(`"` + s + `"`)
		}
		buf.WriteString(`],"position":`)
		buf.Write(strconv.AppendQuote(tmp[:0], g.position(en.pkg)))
		buf.WriteString(`,"teams":[]},"name":`)
		buf.Write(strconv.AppendQuote(tmp[:0], name))
		buf.WriteString(`,"outputName":"out","outputs":[`)
		for i, o := range g.outputs(en.pkg) {
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.WriteString(`"` + o + `"`)
		}
		buf.WriteString(`],"pname":`)
		buf.Write(strconv.AppendQuote(tmp[:0], p.pname))
		buf.WriteString(`,"system":"x86_64-linux","version":`)
		buf.Write(strconv.AppendQuote(tmp[:0], version))
		buf.WriteByte('}')
	}
	buf.WriteString(`},"version":"2"}` + "\n")
	return buf.Bytes()
}
