package main

// Wiring of the conditional-request cache (internal/ghcache) under the
// GitHub clients of markbot run and markbot serve, with its answers in the
// state database.

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/config"
	"github.com/nixpkgs-markbot/markbot/internal/ghcache"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// etagWiring puts a ghcache.Transport under every client ghauth builds
// with its wrap; the store may be set after the clients are built (run
// opens the state database after them) and before their first request.
type etagWiring struct {
	identity string
	log      logrus.FieldLogger
	store    atomic.Pointer[state.Store]
}

// newETagWiring names the credential of cfg's App for the cache's keys
// (a token's own Authorization header is hashed into them by ghcache).
func newETagWiring(cfg *config.Config, log logrus.FieldLogger) *etagWiring {
	e := &etagWiring{log: log}
	if cfg.GitHub.HasApp() {
		e.identity = fmt.Sprintf("app %d installation %d", cfg.GitHub.AppID, cfg.GitHub.InstallationID)
	}
	return e
}

// use makes the cache keep its answers in st (nil: pass requests through,
// as a dry run does without a state database).
func (e *etagWiring) use(st *state.Store) *etagWiring {
	e.store.Store(st)
	return e
}

// wrap is the transport wrapper for ghauth: inner (the dry run's read-only
// one, or nil) sits between the cache and the authentication.
func (e *etagWiring) wrap(inner func(http.RoundTripper) http.RoundTripper) func(http.RoundTripper) http.RoundTripper {
	return func(rt http.RoundTripper) http.RoundTripper {
		if inner != nil {
			rt = inner(rt)
		}
		return &ghcache.Transport{Base: rt, Store: lazyStore{e}, Identity: e.identity, Log: e.log}
	}
}

// lazyStore reads the wiring's store at each call.
type lazyStore struct{ e *etagWiring }

func (l lazyStore) get() *state.Store { return l.e.store.Load() }

func (l lazyStore) CachedResponse(ctx context.Context, key string) (state.CachedResponse, error) {
	if st := l.get(); st != nil {
		return st.CachedResponse(ctx, key)
	}
	return state.CachedResponse{}, state.ErrNotFound
}

func (l lazyStore) PutCachedResponse(ctx context.Context, r state.CachedResponse, lim state.CacheLimits) error {
	if st := l.get(); st != nil {
		return st.PutCachedResponse(ctx, r, lim)
	}
	return nil
}

func (l lazyStore) TouchCachedResponse(ctx context.Context, key string) error {
	if st := l.get(); st != nil {
		return st.TouchCachedResponse(ctx, key)
	}
	return nil
}

func (l lazyStore) DeleteCachedResponse(ctx context.Context, key string) error {
	if st := l.get(); st != nil {
		return st.DeleteCachedResponse(ctx, key)
	}
	return nil
}
