package demo

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
)

// ProbeJobset is the demo's jobset evaluated with allowBroken.
const ProbeJobset = "nixpkgs/unstable-allow-broken"

// World is the demo's offline world: a fake Hydra serving the master and
// probe jobsets at one URL, a fake GitHub whose repository holds the
// sample tree, and a configuration for markbot pointing at both.
//
// The master jobset's evaluations are of real commits of the fake
// repository (Revisions): the sample tree as seeded, then one commit per
// later evaluation; each has a tarball job whose packages.json.br is the
// sample index (HistoryAt), which the locate step reads. After the newest
// evaluation a human moves lines of figlet's file on master (MovedFile),
// so the locate step must carry figlet's position from the evaluated
// revision to master. The fallback index (packages.source) is the seed's,
// with its git-revision file beside it, as on channels.nixos.org.
type World struct {
	Master, Probe *hydratest.Static
	// Revisions are the master evaluations' nixpkgs revisions, oldest
	// first; Channel is the channel index's (the seed commit).
	Revisions []string
	Channel   string
	HydraURL  string
	// HydraFaults wraps the fake Hydra: tests inject faults by request
	// count there (none by default).
	HydraFaults *hydratest.Faults
	GitHub      *githubtest.Server
	// Dir holds the configuration, the packages index and the state.
	Dir    string
	Config string // path of markbot.yaml in Dir

	// MasterHydra is the master jobset's fake (behind HydraFaults): tests
	// inject faults by path there.
	MasterHydra *hydratest.Fake
	// Front is hydra.nixos.org's front end in front of it all (iocaine's
	// decoys, limit_req scaled to 2000 r/s for markbot's 1000, the proxy
	// timeout, compression): what markbot costs the server is in its Stats.
	Front *hydratest.FrontEnd

	hydra   *httptest.Server
	probeID int64
}

// NewWorld starts the fakes and writes the configuration. Close it.
func NewWorld() (*World, error) {
	w := &World{Probe: hydratest.NewStatic("nixpkgs", "unstable-allow-broken"), probeID: 1900000}
	seed, err := SeedFiles()
	if err != nil {
		return nil, err
	}
	users, err := Maintainers()
	if err != nil {
		return nil, err
	}
	teams, err := Teams()
	if err != nil {
		return nil, err
	}
	w.GitHub, err = githubtest.Start(githubtest.Options{SeedFiles: seed, Users: users, Teams: teams, BotLogin: "markbot[bot]"})
	if err != nil {
		w.Close()
		return nil, err
	}
	if err := w.history(seed[MovedFile]); err != nil {
		w.Close()
		return nil, err
	}
	index, err := PackagesJSON()
	if err != nil {
		w.Close()
		return nil, err
	}
	if w.Master, err = HistoryAt(w.Revisions, index); err != nil {
		w.Close()
		return nil, err
	}

	// The probe jobset builds every package, the marked ones too; its first
	// evaluation is as old as master's newest, so it proves nothing about
	// markers made later.
	w.AddProbeEval(time.Unix(Start+int64(Evaluations-1)*5*day, 0), nil)
	w.MasterHydra = hydratest.New(w.Master)
	w.HydraFaults = hydratest.NewFaults(hydratest.Multi(w.MasterHydra, hydratest.New(w.Probe)))
	w.Front = hydratest.HydraNixosOrg(w.HydraFaults, hydratest.FrontEndOptions{Rate: 2000})
	w.hydra = httptest.NewServer(w.Front)
	w.HydraURL = w.hydra.URL

	if w.Dir, err = os.MkdirTemp("", "markbot-demo-"); err != nil {
		w.Close()
		return nil, err
	}
	// The channel's git-revision beside its packages.json (ChannelRevision).
	if err := os.WriteFile(filepath.Join(w.Dir, "git-revision"), []byte(w.Channel+"\n"), 0o644); err != nil {
		w.Close()
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(w.Dir, "packages.json"), index, 0o644); err != nil {
		w.Close()
		return nil, err
	}
	cfg := fmt.Sprintf(`# markbot demo: everything points at the in-process fakes.
version: 1
hydra:
  url: %s
  jobset: nixpkgs/unstable
  evaluations: %d
probe:
  hydra_jobset: %s
github:
  api_url: %s
  repository: NixOS/nixpkgs
  bot_login: markbot[bot]
packages:
  source: packages.json
state:
  path: state/markbot.db
`, w.HydraURL, Evaluations, ProbeJobset, w.GitHub.URL())
	w.Config = filepath.Join(w.Dir, "markbot.yaml")
	if err := os.WriteFile(w.Config, []byte(cfg), 0o644); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// MovedFile is the package file a human edits on master after the newest
// evaluation, moving figlet's position down by MovedLines lines.
const MovedFile = "pkgs/by-name/fi/figlet/package.nix"

// MovedLines is how far figlet's position moves on master.
const MovedLines = 3

// history makes the commits the master evaluations are of: the seed for
// the first, one commit each for the others (merges touching no sample
// file), then the edit of MovedFile on master.
func (w *World) history(figlet string) error {
	seedRev, ok := w.GitHub.Ref("master")
	if !ok {
		return fmt.Errorf("demo: the fake GitHub has no master")
	}
	w.Channel = seedRev
	w.Revisions = []string{seedRev}
	for e := 1; e < Evaluations; e++ {
		rev, err := w.GitHub.Commit("master", fmt.Sprintf("Merge pull request #%d from someone/elsewhere\n\nTouches no file of the sample tree.", 400000+e), nil)
		if err != nil {
			return fmt.Errorf("demo: commit for evaluation %d: %w", FirstEval+e, err)
		}
		w.Revisions = append(w.Revisions, rev)
	}
	moved, err := moveFiglet(figlet)
	if err != nil {
		return err
	}
	_, err = w.GitHub.Commit("master", "figlet: run the version check after installing", map[string]*string{MovedFile: &moved})
	return err
}

// moveFiglet adds an install check to figlet above its meta: MovedLines
// lines before the position (meta.description).
func moveFiglet(src string) (string, error) {
	const at = "  doCheck = true;\n"
	if !strings.Contains(src, at) || !strings.Contains(src, "  fetchpatch,\n") {
		return "", fmt.Errorf("demo: %s is not as the demo expects", MovedFile)
	}
	src = strings.Replace(src, "  fetchpatch,\n", "  fetchpatch,\n  versionCheckHook,\n", 1)
	return strings.Replace(src, at, at+"  doInstallCheck = true;\n  nativeInstallCheckInputs = [ versionCheckHook ];\n", 1), nil
}

// IndexDownloads is how many times the master evaluations' packages.json.br
// (their tarball builds' json-br products) were downloaded.
func (w *World) IndexDownloads() int {
	n := 0
	for e := range Evaluations {
		id := int64(TarballBuild + e)
		b, ok := w.Master.Build(id)
		if !ok {
			continue
		}
		for i, p := range b.Products {
			if p.Subtype == "json-br" {
				n += w.MasterHydra.Hits(fmt.Sprintf("/build/%d/download/%d/%s", id, i+1, p.Name))
			}
		}
	}
	return n
}

// Close stops the fakes and removes the demo's files.
func (w *World) Close() {
	if w.hydra != nil {
		w.hydra.Close()
	}
	if w.GitHub != nil {
		w.GitHub.Close()
	}
	if w.Dir != "" {
		os.RemoveAll(w.Dir)
	}
}

// AddProbeEval adds an evaluation of the probe jobset at time at, where
// the attributes in green build on the systems listed (none listed: every
// system) and everything else is as in master's newest evaluation.
func (w *World) AddProbeEval(at time.Time, green map[string][]string) {
	attrs, _ := Attrs()
	var builds []*hydratest.Build
	for _, attr := range attrs {
		for _, sys := range Systems {
			st, v := status(attr, sys, Evaluations-1)
			if systems, ok := green[attr]; ok && (len(systems) == 0 || slices.Contains(systems, sys)) {
				st, v = 0, v+1 // a fixed derivation
			}
			w.probeID++
			drv := fmt.Sprintf("%032x-%s-%d", w.probeID, attr, v)
			b := hydratest.B(800000000+w.probeID, attr+"."+sys, sys, st, drv, at.Unix()-600, at.Unix())
			b.Project, b.Jobset = "nixpkgs", "unstable-allow-broken"
			builds = append(builds, b)
		}
	}
	w.Probe.AddEval(w.probeID, at.Unix(), builds...)
}

// sampleIndex is examples/packages.json, read as markbot reads an index.
func sampleIndex() (*nixpkgs.Index, error) {
	data, err := PackagesJSON()
	if err != nil {
		return nil, err
	}
	return nixpkgs.Read(bytes.NewReader(data), "examples/packages.json")
}

// Maintainers returns the sample index's maintainers as collaborators of
// the fake repository.
func Maintainers() ([]githubtest.User, error) {
	ix, err := sampleIndex()
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	var users []githubtest.User
	for _, a := range ix.Attrs() {
		p, _ := ix.Lookup(a)
		for _, m := range p.Maintainers {
			if m.GitHubID != 0 && !seen[m.GitHubID] {
				seen[m.GitHubID] = true
				users = append(users, githubtest.User{Login: m.GitHub, ID: m.GitHubID, Name: m.Name, Collaborator: true})
			}
		}
	}
	sort.Slice(users, func(i, j int) bool { return users[i].ID < users[j].ID })
	return users, nil
}

// Teams are the GitHub teams of examples/packages.json (meta.teams[].github,
// with their members), in the NixOS organisation with access to the
// repository, as nixpkgs' teams have: what a review request to a team
// needs on the fake GitHub.
func Teams() ([]githubtest.Team, error) {
	ix, err := sampleIndex()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var teams []githubtest.Team
	for _, a := range ix.Attrs() {
		p, _ := ix.Lookup(a)
		for _, t := range p.Teams {
			if t.GitHub == "" || seen[t.GitHub] {
				continue
			}
			seen[t.GitHub] = true
			tm := githubtest.Team{Org: "NixOS", Slug: t.GitHub, Name: t.ShortName, ID: t.GitHubID}
			for _, m := range t.Members {
				if m.GitHub != "" {
					tm.Members = append(tm.Members, m.GitHub)
				}
			}
			teams = append(teams, tm)
		}
	}
	sort.Slice(teams, func(i, j int) bool { return teams[i].Slug < teams[j].Slug })
	return teams, nil
}
