// Command fakehydra serves a generated scenario with the fake Hydra of
// internal/hydra/hydratest, for trying markbot by hand:
//
//	go run ./internal/hydra/hydratest/cmd/fakehydra -addr 127.0.0.1:8081 -scenario demo
//	markbot scan --hydra http://127.0.0.1:8081
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "address to listen on")
	scenario := flag.String("scenario", "demo", "scenario: "+strings.Join(hydratest.ScenarioNames(), ", "))
	seed := flag.Uint64("seed", 1, "seed of the generated scenario")
	prefix := flag.String("prefix", "", "serve under this path prefix (like /hydra)")
	flag.Parse()

	s, err := hydratest.Named(*scenario, *seed)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakehydra:", err)
		os.Exit(2)
	}
	fake := hydratest.New(s)
	fake.Prefix = strings.TrimRight(*prefix, "/")
	srv := &http.Server{Addr: *addr, Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	p, j := s.Jobset()
	evals := s.Evals()
	fmt.Fprintf(os.Stderr, "fakehydra: scenario %q (%s): jobset %s/%s, %d evaluations (%d..%d), %d jobs\n",
		*scenario, hydratest.About(*scenario), p, j, len(evals), evals[len(evals)-1].ID, evals[0].ID, s.Jobs())
	fmt.Fprintf(os.Stderr, "fakehydra: listening on http://%s%s\n", *addr, fake.Prefix)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "fakehydra:", err)
		os.Exit(1)
	}
}
