// Politeness across clients: one request at a time per host.
package hydra

import (
	"context"
	"strings"
	"sync"
)

// gate admits one request at a time.
type gate chan struct{}

func (g gate) acquire(ctx context.Context) error {
	select {
	case g <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g gate) release() { <-g }

var gates struct {
	sync.Mutex
	m map[string]gate
}

// hostGate is the process-wide gate of a host: requests to hydra.nixos.org
// are never parallel (its front end rate-limits per address, and every
// request of a bot is work its operators did not plan for), even when
// several Clients (markbot serve's cycle and its compare entries) share
// the process.
func hostGate(host string) gate {
	host = strings.ToLower(host)
	gates.Lock()
	defer gates.Unlock()
	if gates.m == nil {
		gates.m = map[string]gate{}
	}
	g, ok := gates.m[host]
	if !ok {
		g = make(gate, 1)
		gates.m[host] = g
	}
	return g
}

// isHydraNixosOrg reports whether host (with or without port) is
// hydra.nixos.org.
func isHydraNixosOrg(host string) bool {
	h := strings.ToLower(host)
	if i := strings.LastIndexByte(h, ':'); i >= 0 && !strings.Contains(h[i:], "]") {
		h = h[:i]
	}
	return strings.TrimSuffix(h, ".") == "hydra.nixos.org"
}
