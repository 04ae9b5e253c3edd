// Command fakehydra serves a generated scenario with the fake Hydra of
// internal/hydra/hydratest, for trying markbot by hand:
//
//	go run ./internal/hydra/hydratest/cmd/fakehydra -addr 127.0.0.1:8081 -scenario demo
//	markbot scan --hydra http://127.0.0.1:8081
//
// By default it serves Hydra behind hydra.nixos.org's front end
// (hydratest.HydraNixosOrg, modelled on NixOS/infra build/hydra-proxy.nix):
// iocaine's decoy pages for unwanted user agents (Go's default among
// them), limit_req at 2 requests/s with a burst of 7 per client address
// (429 beyond), and the proxy's 900 s timeout, which /eval/{id}/builds of
// a large evaluation hits (504). -frontend=false serves Hydra bare; the
// other flags scale or switch off the parts.
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
	frontend := flag.Bool("frontend", true, "serve behind hydra.nixos.org's front end (iocaine, limit_req, proxy timeout)")
	decoy := flag.Bool("decoy", true, "front end: iocaine's decoy pages for unwanted user agents")
	rate := flag.Float64("rate", 2, "front end: limit_req rate, requests per second per client address (0: no limit)")
	burst := flag.Int("burst", 7, "front end: limit_req burst")
	proxyTimeout := flag.Duration("proxy-timeout", 900*time.Second, "front end: the proxy's timeout (0: none)")
	buildCost := flag.Duration("build-cost", 25*time.Millisecond, "front end: Hydra's time per build rendering /eval/{id}/builds")
	timeScale := flag.Float64("time-scale", 1, "front end: wait proxy-timeout × this before a 504 (0: answer at once)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: fakehydra [flags]\n\nServes a fake Hydra for markbot, by default behind hydra.nixos.org's front end.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()

	s, err := hydratest.Named(*scenario, *seed)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakehydra:", err)
		os.Exit(2)
	}
	fake := hydratest.New(s)
	fake.Prefix = strings.TrimRight(*prefix, "/")
	var handler http.Handler = fake
	var fe *hydratest.FrontEnd
	if *frontend {
		b := *burst
		if b == 0 {
			b = -1 // the option's "no burst"
		}
		fe = hydratest.HydraNixosOrg(fake, hydratest.FrontEndOptions{
			NoDecoy: !*decoy, NoRateLimit: *rate <= 0, Rate: *rate, Burst: b,
			NoProxyTimeout: *proxyTimeout <= 0, ProxyTimeout: *proxyTimeout, BuildCost: *buildCost, TimeScale: *timeScale,
		})
		handler = fe
	}
	srv := &http.Server{Addr: *addr, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
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
	if fe != nil {
		o := fe.Options()
		fmt.Fprintf(os.Stderr, "fakehydra: front end of hydra.nixos.org:")
		if o.NoDecoy {
			fmt.Fprintf(os.Stderr, " no decoy;")
		} else {
			fmt.Fprintf(os.Stderr, " iocaine's decoy for %d unwanted user-agent patterns and an empty one;", len(o.UnwantedAgents))
		}
		if o.NoRateLimit {
			fmt.Fprintf(os.Stderr, " no rate limit;")
		} else {
			fmt.Fprintf(os.Stderr, " limit_req %g r/s burst %d (429 beyond);", o.Rate, o.Burst)
		}
		if o.NoProxyTimeout {
			fmt.Fprintf(os.Stderr, " no proxy timeout\n")
		} else {
			fmt.Fprintf(os.Stderr, " proxy timeout %v, /eval/{id}/builds at %v a build: 504 past %d builds (after %v)\n",
				o.ProxyTimeout, o.BuildCost, int(o.ProxyTimeout/o.BuildCost), time.Duration(float64(o.ProxyTimeout)*o.TimeScale))
		}
	} else {
		fmt.Fprintln(os.Stderr, "fakehydra: no front end: Hydra bare")
	}
	fmt.Fprintf(os.Stderr, "fakehydra: listening on http://%s%s\n", *addr, fake.Prefix)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "fakehydra:", err)
		os.Exit(1)
	}
}
