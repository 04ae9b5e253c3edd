package demo

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
)

// ProbeJobset is the demo's jobset evaluated with allowBroken.
const ProbeJobset = "nixpkgs/unstable-allow-broken"

// World is the demo's offline world: a fake Hydra serving the master and
// probe jobsets at one URL, a fake GitHub whose repository holds the
// sample tree, and a configuration for markbot pointing at both.
type World struct {
	Master, Probe *hydratest.Static
	HydraURL      string
	// HydraFaults wraps the fake Hydra: tests inject faults by request
	// count there (none by default).
	HydraFaults *hydratest.Faults
	GitHub      *githubtest.Server
	// Dir holds the configuration, the packages index and the state.
	Dir    string
	Config string // path of markbot.yaml in Dir

	hydra   *httptest.Server
	probeID int64
}

// NewWorld starts the fakes and writes the configuration. Close it.
func NewWorld() (*World, error) {
	master, err := History()
	if err != nil {
		return nil, err
	}
	w := &World{Master: master, Probe: hydratest.NewStatic("nixpkgs", "unstable-allow-broken"), probeID: 1900000}
	// The probe jobset builds every package, the marked ones too; its first
	// evaluation is as old as master's newest, so it proves nothing about
	// markers made later.
	w.AddProbeEval(time.Unix(Start+int64(Evaluations-1)*5*day, 0), nil)
	w.HydraFaults = hydratest.NewFaults(hydratest.Multi(hydratest.New(master), hydratest.New(w.Probe)))
	w.hydra = httptest.NewServer(w.HydraFaults)
	w.HydraURL = w.hydra.URL

	seed, err := SeedFiles()
	if err != nil {
		w.Close()
		return nil, err
	}
	users, err := Maintainers()
	if err != nil {
		w.Close()
		return nil, err
	}
	w.GitHub, err = githubtest.Start(githubtest.Options{SeedFiles: seed, Users: users, BotLogin: "markbot[bot]"})
	if err != nil {
		w.Close()
		return nil, err
	}
	if w.Dir, err = os.MkdirTemp("", "markbot-demo-"); err != nil {
		w.Close()
		return nil, err
	}
	index, err := PackagesJSON()
	if err != nil {
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

// Maintainers returns the sample index's maintainers as collaborators of
// the fake repository.
func Maintainers() ([]githubtest.User, error) {
	data, err := PackagesJSON()
	if err != nil {
		return nil, err
	}
	var index struct {
		Packages map[string]struct {
			Meta struct {
				Maintainers []struct {
					GitHub   string `json:"github"`
					GitHubID int64  `json:"githubId"`
					Name     string `json:"name"`
				} `json:"maintainers"`
			} `json:"meta"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(data, &index); err != nil {
		return nil, fmt.Errorf("examples/packages.json: %w", err)
	}
	seen := map[int64]bool{}
	var users []githubtest.User
	for _, p := range index.Packages {
		for _, m := range p.Meta.Maintainers {
			if m.GitHubID != 0 && !seen[m.GitHubID] {
				seen[m.GitHubID] = true
				users = append(users, githubtest.User{Login: m.GitHub, ID: m.GitHubID, Name: m.Name, Collaborator: true})
			}
		}
	}
	sort.Slice(users, func(i, j int) bool { return users[i].ID < users[j].ID })
	return users, nil
}
