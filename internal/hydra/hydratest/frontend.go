// hydra.nixos.org's front end, step 2: nginx. FrontEnd wraps any Hydra
// handler (a Fake, Multi, Faults) the way NixOS/infra build/hydra-proxy.nix
// fronts hydra-server:
//
//   - `location =/robots.txt`: nginx answers the robots file itself;
//   - `location /static/` and `location ~ ^/job/[^/]+/[^/]+/metrics/metric/`
//     go to Hydra directly: no iocaine, no limit_req;
//   - `location /` goes to iocaine, which serves its decoy (decoy.go) to
//     unwanted visitors and answers 421 to the others, which nginx sends on
//     (`error_page 421 502 = @hydra`) to
//   - `location @hydra`: `limit_req zone=hydra-server burst=7` with
//     `limit_req_zone $binary_remote_addr zone=hydra-server:8m rate=2r/s`
//     and `limit_req_status 429`, no nodelay: nginx's leaky bucket
//     (ngx_http_limit_req_module) delays a request while the client's excess
//     is within the burst and rejects it, 429 with nginx's error page and no
//     Retry-After, beyond;
//   - `proxyTimeout = "900s"` (proxy_read_timeout): Hydra renders
//     /eval/{id}/builds whole before it sends a byte (JobsetEval.pm
//     all_builds, then Builds.pm as_json: about five SQL queries per build),
//     so past 900 s nginx answers 504 Gateway Time-out. The fake models
//     Hydra's time as builds × BuildCost; the 25 ms default puts the limit
//     at 36 000 builds (900 s / 25 ms), below nixpkgs' ≈250 000 (some
//     6 000 s) and haskell-updates, which NixOS/hydra PR #1335's author
//     measured past the 15-minute limit, and above small jobsets.
//
// The binary cache (/cache/… in the fake) is another host in reality
// (cache.nixos.org) and passes through untouched.
package hydratest

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FrontEndOptions configure a FrontEnd. The zero value is hydra.nixos.org's
// configuration, except TimeScale (0: a timed-out request is answered at
// once instead of after 900 s).
type FrontEndOptions struct {
	// NoDecoy turns iocaine off.
	NoDecoy bool
	// UnwantedAgents are iocaine's unwanted-visitor patterns
	// (UnwantedAgents() when nil).
	UnwantedAgents []string

	// NoRateLimit turns limit_req off.
	NoRateLimit bool
	// Rate is limit_req's rate in requests per second per client address
	// (2 when 0). Tests scale it up (200) to run the same algorithm fast.
	Rate float64
	// Burst is limit_req's burst (7 when 0; negative for no burst).
	Burst int

	// NoProxyTimeout turns the proxy's timeout off.
	NoProxyTimeout bool
	// ProxyTimeout is nginx's proxy_read_timeout (900 s when 0).
	ProxyTimeout time.Duration
	// BuildCost is Hydra's time per build rendering /eval/{id}/builds
	// (25 ms when 0).
	BuildCost time.Duration
	// TimeScale scales the wait before a 504: the front end waits
	// ProxyTimeout × TimeScale (0: no wait; 1: the real 900 s).
	TimeScale float64

	// NoCompression turns off nginx's gzip and brotli of Hydra's answers
	// (compress.go).
	NoCompression bool

	// Prefix is where Hydra is mounted below the front end ("" or like
	// "/hydra"; a Fake's own Prefix when the wrapped handler is one).
	Prefix string
	// Now is the clock of limit_req (time.Now when nil).
	Now func() time.Time
	// Sleep waits d or until ctx is done (a timer when nil). Tests pass a
	// recorder with a fake clock.
	Sleep func(ctx context.Context, d time.Duration) error
}

// FrontEnd is hydra.nixos.org's nginx and iocaine in front of a Hydra
// handler. It is safe for concurrent use.
type FrontEnd struct {
	h     http.Handler
	opts  FrontEndOptions
	rate  int64 // milli-requests per second, as nginx stores it
	burst int64

	mu    sync.Mutex
	zone  map[string]*leakyBucket
	stats FrontEndStats
}

type leakyBucket struct {
	excess int64 // milli-requests
	last   int64 // ms
}

// EvalSizer is implemented by Hydra handlers that know how many member
// builds an evaluation has (Fake, Multi's and Faults' handlers); the
// FrontEnd needs it for the proxy's timeout.
type EvalSizer interface {
	EvalSize(id int64) (int, bool)
}

// FrontEndStats count what the front end saw.
type FrontEndStats struct {
	// Requests and Bytes (of response bodies, decoys and errors included)
	// per path kind: "eval", "eval/builds", "eval/job", "build",
	// "build/download", "build/download-by-type", "build/log", "log",
	// "jobset/evals", "jobset/latest-eval", "robots.txt", "static",
	// "cache", "other", ….
	Requests map[string]int
	Bytes    map[string]int64
	// Evals has the requests and bytes per evaluation, of every
	// /eval/{id}… path.
	Evals map[int64]EvalTraffic
	// Passed counts requests handed to Hydra.
	Passed int
	// Decoys counts iocaine's decoy pages.
	Decoys int
	// TooManyRequests counts 429s, GatewayTimeouts 504s.
	TooManyRequests, GatewayTimeouts int
	// Delayed counts requests limit_req held back, Delay their total wait.
	Delayed int
	Delay   time.Duration
	// BytesTotal is the sum of Bytes.
	BytesTotal int64
}

// EvalTraffic is what one evaluation's paths cost.
type EvalTraffic struct {
	Requests int
	Bytes    int64
}

// HydraNixosOrg wraps h in hydra.nixos.org's front end: iocaine's decoy,
// limit_req 2 r/s burst 7, the 900 s proxy timeout (see FrontEndOptions;
// the zero options are the real ones, with 504s answered at once).
func HydraNixosOrg(h http.Handler, opts FrontEndOptions) *FrontEnd {
	if opts.UnwantedAgents == nil {
		opts.UnwantedAgents = UnwantedAgents()
	}
	if opts.Rate <= 0 {
		opts.Rate = 2
	}
	switch {
	case opts.Burst == 0:
		opts.Burst = 7
	case opts.Burst < 0:
		opts.Burst = 0
	}
	if opts.ProxyTimeout <= 0 {
		opts.ProxyTimeout = 900 * time.Second
	}
	if opts.BuildCost <= 0 {
		opts.BuildCost = 25 * time.Millisecond
	}
	if opts.Prefix == "" {
		if f, ok := h.(*Fake); ok {
			opts.Prefix = f.Prefix
		}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Sleep == nil {
		opts.Sleep = sleepCtx
	}
	return &FrontEnd{h: h, opts: opts, rate: int64(opts.Rate * 1000), burst: int64(opts.Burst) * 1000,
		zone: map[string]*leakyBucket{}, stats: newStats()}
}

func newStats() FrontEndStats {
	return FrontEndStats{Requests: map[string]int{}, Bytes: map[string]int64{}, Evals: map[int64]EvalTraffic{}}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Options returns the options in force (defaults filled in).
func (fe *FrontEnd) Options() FrontEndOptions { return fe.opts }

// Stats returns a copy of the counters.
func (fe *FrontEnd) Stats() FrontEndStats {
	fe.mu.Lock()
	defer fe.mu.Unlock()
	s := fe.stats
	s.Requests, s.Bytes, s.Evals = map[string]int{}, map[string]int64{}, map[int64]EvalTraffic{}
	for k, v := range fe.stats.Requests {
		s.Requests[k] = v
	}
	for k, v := range fe.stats.Bytes {
		s.Bytes[k] = v
	}
	for k, v := range fe.stats.Evals {
		s.Evals[k] = v
	}
	return s
}

// pathKind classifies a path below the prefix; eval is the evaluation of
// an /eval/{id}… path (0 otherwise).
func pathKind(p string) (kind string, eval int64) {
	seg := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case seg[0] == "":
		return "root", 0
	case seg[0] == "eval" && len(seg) >= 2:
		id, _ := strconv.ParseInt(seg[1], 10, 64)
		if len(seg) == 2 {
			return "eval", id
		}
		if seg[2] == "builds" || seg[2] == "job" {
			return "eval/" + seg[2], id
		}
		return "eval/other", id
	case seg[0] == "build" && len(seg) >= 2:
		if len(seg) == 2 {
			return "build", 0
		}
		switch seg[2] {
		case "download", "download-by-type", "log", "nixlog":
			return "build/" + seg[2], 0
		}
		return "build/other", 0
	case seg[0] == "jobset" && len(seg) == 4:
		return "jobset/" + seg[3], 0
	case seg[0] == "job" && len(seg) >= 6 && seg[4] == "metrics" && seg[5] == "metric":
		return "metrics", 0
	case seg[0] == "log", seg[0] == "cache", seg[0] == "static", seg[0] == "api", seg[0] == "jobset", seg[0] == "job":
		return seg[0], 0
	}
	return "other", 0
}

func (fe *FrontEnd) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cw := &countingWriter{ResponseWriter: w}
	cw.Header().Set("Server", "nginx")
	var kind string
	var eval int64
	if r.URL.Path == "/robots.txt" {
		kind = "robots.txt"
	} else if p, ok := strings.CutPrefix(r.URL.Path, fe.opts.Prefix); ok {
		kind, eval = pathKind(p)
	} else {
		kind = "other"
	}
	defer func() {
		fe.mu.Lock()
		defer fe.mu.Unlock()
		fe.stats.Requests[kind]++
		fe.stats.Bytes[kind] += cw.n
		fe.stats.BytesTotal += cw.n
		if eval != 0 {
			t := fe.stats.Evals[eval]
			t.Requests++
			t.Bytes += cw.n
			fe.stats.Evals[eval] = t
		}
	}()
	switch kind {
	case "robots.txt":
		cw.Header().Set("Content-Type", "text/plain")
		io.WriteString(cw, RobotsTxt)
		return
	case "static", "metrics", "cache":
		fe.pass(cw, r)
		return
	}
	if !fe.opts.NoDecoy && unwanted(r.UserAgent(), fe.opts.UnwantedAgents) {
		fe.count(func(s *FrontEndStats) { s.Decoys++ })
		writeDecoy(cw, r.URL.Path)
		return
	}
	if !fe.opts.NoRateLimit {
		delay, ok := fe.limit(clientAddr(r))
		if !ok {
			fe.count(func(s *FrontEndStats) { s.TooManyRequests++ })
			nginxError(cw, http.StatusTooManyRequests, "429 Too Many Requests")
			return
		}
		if delay > 0 {
			fe.count(func(s *FrontEndStats) { s.Delayed++; s.Delay += delay })
			if fe.opts.Sleep(r.Context(), delay) != nil {
				return // the client went away while nginx held the request
			}
		}
	}
	if kind == "eval/builds" && !fe.opts.NoProxyTimeout && fe.upstreamTime(eval) > fe.opts.ProxyTimeout {
		if wait := time.Duration(float64(fe.opts.ProxyTimeout) * fe.opts.TimeScale); wait > 0 {
			if fe.opts.Sleep(r.Context(), wait) != nil {
				return
			}
		}
		fe.count(func(s *FrontEndStats) { s.GatewayTimeouts++ })
		nginxError(cw, http.StatusGatewayTimeout, "504 Gateway Time-out")
		return
	}
	fe.pass(cw, r)
}

func (fe *FrontEnd) pass(w http.ResponseWriter, r *http.Request) {
	fe.count(func(s *FrontEndStats) { s.Passed++ })
	if fe.opts.NoCompression {
		fe.h.ServeHTTP(w, r)
		return
	}
	cw := &compressingWriter{ResponseWriter: w, accept: r.Header.Get("Accept-Encoding")}
	defer cw.close()
	fe.h.ServeHTTP(cw, r)
}

func (fe *FrontEnd) count(f func(*FrontEndStats)) {
	fe.mu.Lock()
	defer fe.mu.Unlock()
	f(&fe.stats)
}

// upstreamTime is how long Hydra would take to render /eval/{id}/builds.
func (fe *FrontEnd) upstreamTime(eval int64) time.Duration {
	sz, ok := fe.h.(EvalSizer)
	if !ok {
		return 0
	}
	n, ok := sz.EvalSize(eval)
	if !ok {
		return 0 // Hydra answers 404 at once
	}
	return time.Duration(n) * fe.opts.BuildCost
}

// clientAddr is $binary_remote_addr: the client's IP address.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limit is ngx_http_limit_req_lookup and _account for one key, in nginx's
// units (excess in thousandths of a request, time in milliseconds): the
// excess drains at the rate, each request adds one; a request whose excess
// would pass the burst is rejected (and leaves the state alone), any other
// is delayed until its excess has drained (excess × 1000 / rate ms).
func (fe *FrontEnd) limit(key string) (time.Duration, bool) {
	now := fe.opts.Now().UnixMilli()
	fe.mu.Lock()
	defer fe.mu.Unlock()
	b, ok := fe.zone[key]
	if !ok {
		fe.zone[key] = &leakyBucket{last: now}
		return 0, true
	}
	ms := now - b.last
	switch {
	case ms < -60000:
		ms = 1
	case ms < 0:
		ms = 0
	}
	excess := b.excess - fe.rate*ms/1000 + 1000
	if excess < 0 {
		excess = 0
	}
	if excess > fe.burst {
		return 0, false
	}
	b.excess = excess
	if ms != 0 {
		b.last = now
	}
	return time.Duration(excess*1000/fe.rate) * time.Millisecond, true
}

// nginxError is nginx's own error page (server_tokens off, as NixOS sets
// it), with no Retry-After.
func nginxError(w http.ResponseWriter, code int, title string) {
	body := "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	io.WriteString(w, body)
}

// countingWriter counts the body bytes of an answer, passing flushes and
// hijacks through.
type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n += int64(n)
	return n, err
}

func (c *countingWriter) Flush() {
	if fl, ok := c.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
}

func (c *countingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := c.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	return hj.Hijack()
}

// Unwrap lets http.ResponseController reach the real writer.
func (c *countingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// EvalSize implements EvalSizer for the first fake that knows the
// evaluation.
func (m multi) EvalSize(id int64) (int, bool) {
	for _, h := range m {
		if sz, ok := h.(EvalSizer); ok {
			if n, ok := sz.EvalSize(id); ok {
				return n, true
			}
		}
	}
	return 0, false
}

// EvalSize implements EvalSizer when the wrapped handler does.
func (f *Faults) EvalSize(id int64) (int, bool) {
	if sz, ok := f.h.(EvalSizer); ok {
		return sz.EvalSize(id)
	}
	return 0, false
}
