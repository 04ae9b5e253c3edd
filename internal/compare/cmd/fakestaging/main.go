// Command fakestaging serves two generated nixpkgs-like jobsets at one URL
// with the fake Hydra of internal/hydra/hydratest, for trying markbot
// compare by hand: nixpkgs/unstable and nixpkgs/staging-next, the same
// packages, where staging-next breaks about 2% more of them. It also
// writes a packages index giving the packages made-up maintainers.
//
//	go run ./internal/compare/cmd/fakestaging -addr 127.0.0.1:8082 -packages /tmp/fake-packages.json
//	markbot compare --hydra http://127.0.0.1:8082 --packages /tmp/fake-packages.json \
//	  --base nixpkgs/unstable --head nixpkgs/staging-next --format markdown
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8082", "address to listen on")
	packages := flag.String("packages", "", "write a packages index with made-up maintainers to this `file`")
	n := flag.Int("n", 2000, "packages")
	flag.Parse()

	cfg := hydratest.DefaultGenConfig()
	cfg.Packages, cfg.Evals, cfg.BrokenShare = *n, 2, 0.01
	base := hydratest.Generate(cfg)
	cfg.Jobset, cfg.BrokenShare = "staging-next", 0.03
	cfg.FirstEvalID, cfg.FirstBuildID = 1_900_000, 500_000_000
	cfg.Start = cfg.Start.Add(12 * time.Hour)
	head := hydratest.Generate(cfg)

	if *packages != "" {
		if err := writeIndex(*packages, head); err != nil {
			fmt.Fprintln(os.Stderr, "fakestaging:", err)
			os.Exit(1)
		}
	}
	srv := &http.Server{Addr: *addr, Handler: hydratest.Multi(hydratest.New(base), hydratest.New(head)), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	fmt.Fprintf(os.Stderr, "fakestaging: nixpkgs/unstable (evaluations %d..%d) and nixpkgs/staging-next (%d..%d), %d jobs each, on http://%s\n",
		base.Evals()[1].ID, base.Evals()[0].ID, head.Evals()[1].ID, head.Evals()[0].ID, head.Jobs(), *addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "fakestaging:", err)
		os.Exit(1)
	}
}

// writeIndex gives every attribute of head's newest evaluation one or two
// of 60 made-up maintainers (every seventh package none, every eleventh a
// team as well).
func writeIndex(path string, g *hydratest.Generated) error {
	type maintainer struct {
		GitHub   string `json:"github"`
		GitHubID int64  `json:"githubId"`
		Name     string `json:"name"`
	}
	type team struct {
		ShortName string `json:"shortName"`
		GitHub    string `json:"github"`
	}
	type meta struct {
		Position    string       `json:"position"`
		Maintainers []maintainer `json:"maintainers"`
		Teams       []team       `json:"teams"`
	}
	type pkg struct {
		Name string `json:"name"`
		Meta meta   `json:"meta"`
	}
	pkgs := map[string]pkg{}
	i := 0
	_, err := g.EachBuild(g.Evals()[0].ID, func(b *hydratest.Build) error {
		attr, ok := nixpkgs.AttrFromJob(b.Job, b.System)
		if !ok {
			return nil
		}
		if _, seen := pkgs[attr]; seen {
			return nil
		}
		i++
		p := pkg{Name: b.NixName, Meta: meta{Position: "pkgs/by-name/" + attr + "/package.nix:10", Maintainers: []maintainer{}, Teams: []team{}}}
		if i%7 != 0 {
			for _, k := range []int{i % 60, (i * 7) % 60}[:1+i%2] {
				p.Meta.Maintainers = append(p.Meta.Maintainers, maintainer{fmt.Sprintf("maintainer-%02d", k), int64(70000 + k), fmt.Sprintf("Maintainer %d", k)})
			}
		}
		if i%11 == 0 {
			p.Meta.Teams = append(p.Meta.Teams, team{"Fake team", "fake-team"})
		}
		pkgs[attr] = p
		return nil
	})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	if err := enc.Encode(map[string]any{"version": 2, "packages": pkgs}); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
