package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
)

// The written index covers every package of the head jobset and loads.
func TestWriteIndex(t *testing.T) {
	cfg := hydratest.DefaultGenConfig()
	cfg.Packages, cfg.Evals = 50, 1
	g := hydratest.Generate(cfg)
	path := filepath.Join(t.TempDir(), "packages.json")
	if err := writeIndex(path, g); err != nil {
		t.Fatal(err)
	}
	ix, err := nixpkgs.Load(context.Background(), path, nixpkgs.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	maintained := 0
	for _, a := range ix.Attrs() {
		p, _ := ix.Lookup(a)
		if len(p.Maintainers) > 0 {
			maintained++
		}
	}
	if ix.Len() != 50 || maintained == 0 || maintained == ix.Len() {
		t.Errorf("%d packages, %d maintained", ix.Len(), maintained)
	}
}
