package hydra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/sirupsen/logrus"
	"golang.org/x/time/rate"

	"github.com/nixpkgs-markbot/markbot/internal/version"
)

// Options configure a Client. The zero value of each field means its
// default.
type Options struct {
	BaseURL string // default DefaultBaseURL
	// UserAgent, default version.UserAgent() with Contact added.
	UserAgent string
	// Contact (an e-mail or URL) goes into the default User-Agent so that
	// the server's operators can reach whoever runs markbot. Required for
	// hydra.nixos.org, whose front end serves decoy pages to agents
	// without contact information (NixOS/infra build/hydra-proxy.nix).
	Contact string
	Rate    float64 // requests per second, default 1
	Burst   int     // default 1
	// Read says how an evaluation's builds are read (default ReadPage).
	Read ReadMode
	// PageLimits cap the evaluation page (defaults: see PageLimits).
	PageLimits PageLimits

	MaxAttempts   int           // per request, default 5
	MinBackoff    time.Duration // first retry delay before jitter, default 2s
	MaxBackoff    time.Duration // default 2m
	MaxRetryAfter time.Duration // cap on a server's Retry-After, default 10m

	DialTimeout   time.Duration // default 30s
	HeaderTimeout time.Duration // time to the response headers, default 15m (Hydra renders big answers before sending)
	IdleTimeout   time.Duration // longest pause inside a body, default 2m
	MaxLogBytes   int64         // decompressed log bytes LogTail reads at most, default 256 MiB

	Transport http.RoundTripper  // default: a tuned *http.Transport
	Logger    logrus.FieldLogger // default logrus.StandardLogger()
	// Progress, when set, receives a one-line progress display (rewritten
	// in place with \r) during long streams. Leave nil when not a terminal.
	Progress io.Writer
}

// Client talks to one Hydra server. It is safe for concurrent use; the rate
// limit is shared by all calls.
type Client struct {
	base    *url.URL
	opts    Options
	http    *http.Client
	limiter *rate.Limiter
	log     logrus.FieldLogger

	requests atomic.Int64 // requests sent, redirects included
	wire     atomic.Int64 // body bytes received, as sent (compressed)
}

// Stats are the requests a Client sent (each redirect is one) and the body
// bytes it received as they came over the wire (compressed, when the server
// compressed them).
func (c *Client) Stats() (requests, bytes int64) { return c.requests.Load(), c.wire.Load() }

// New returns a client for the Hydra at opts.BaseURL.
func New(opts Options) (*Client, error) {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(opts.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("hydra: base URL %q is not an http(s) URL", opts.BaseURL)
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	if isHydraNixosOrg(base.Host) && strings.TrimSpace(opts.Contact) == "" {
		return nil, fmt.Errorf("hydra: %s needs a contact, an e-mail address or URL (config hydra.contact; "+
			"--contact or MARKBOT_HYDRA_CONTACT for markbot scan and compare): its front end answers decoy pages "+
			"to clients without contact information, and its operators (the NixOS infrastructure team) must be "+
			"able to reach whoever runs a bot against it", base.Host)
	}
	if opts.UserAgent == "" {
		opts.UserAgent = version.UserAgentWith(opts.Contact)
	}
	switch opts.Read {
	case "":
		opts.Read = ReadPage
	case ReadPage, ReadBuilds:
	default:
		return nil, fmt.Errorf("hydra: read mode %q is not %q or %q", opts.Read, ReadPage, ReadBuilds)
	}
	if opts.Rate <= 0 {
		opts.Rate = 1
	}
	if opts.Burst <= 0 {
		opts.Burst = 1
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 5
	}
	def(&opts.MinBackoff, 2*time.Second)
	def(&opts.MaxBackoff, 2*time.Minute)
	def(&opts.MaxRetryAfter, 10*time.Minute)
	def(&opts.DialTimeout, 30*time.Second)
	def(&opts.HeaderTimeout, 15*time.Minute)
	def(&opts.IdleTimeout, 2*time.Minute)
	if opts.MaxLogBytes <= 0 {
		opts.MaxLogBytes = 256 << 20
	}
	if opts.Logger == nil {
		opts.Logger = logrus.StandardLogger()
	}
	if opts.Transport == nil {
		opts.Transport = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: opts.DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   opts.DialTimeout,
			ResponseHeaderTimeout: opts.HeaderTimeout,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   2,
			// We ask for br, zstd and gzip ourselves and undo them in
			// decodeBody, so the transport must not meddle.
			DisableCompression: true,
		}
	}
	c := &Client{
		base:    base,
		opts:    opts,
		limiter: rate.NewLimiter(rate.Limit(opts.Rate), opts.Burst),
		log:     opts.Logger,
	}
	c.http = &http.Client{
		Transport: opts.Transport,
		// Redirects (latest-eval, the log chain) are requests too: they
		// wait for the rate limiter like any other.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return fmt.Errorf("stopped after %d redirects", len(via))
			}
			c.requests.Add(1)
			return c.limiter.Wait(req.Context())
		},
	}
	return c, nil
}

// BaseURL is the server's base URL, with a trailing slash.
func (c *Client) BaseURL() string { return c.base.String() }

// URL returns the absolute URL of a Hydra path like "build/5".
func (c *Client) URL(p string) string {
	return c.base.ResolveReference(&url.URL{Path: strings.TrimLeft(p, "/")}).String()
}

// BuildURL is the web page of a build.
func (c *Client) BuildURL(id int64) string { return c.URL("build/" + strconv.FormatInt(id, 10)) }

// ErrRateLimited is wrapped by the error of a request that Hydra kept
// answering with 429 Too Many Requests.
var ErrRateLimited = errors.New("rate limited by Hydra (429)")

// StatusError is an answer with an unexpected HTTP status. Message is
// Hydra's {"error": …} text when it sent one.
type StatusError struct {
	URL     string
	Code    int
	Message string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("GET %s: %d %s", e.URL, e.Code, http.StatusText(e.Code))
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// Unwrap lets errors.Is(err, ErrRateLimited) see a final 429.
func (e *StatusError) Unwrap() error {
	if e.Code == http.StatusTooManyRequests {
		return ErrRateLimited
	}
	return nil
}

// IsNotFound reports whether err is Hydra saying 404.
func IsNotFound(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == http.StatusNotFound
}

// transientError marks a failure worth retrying.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

var errIdle = errors.New("the server sent nothing for too long")

// isTransient reports whether err is a network failure worth another try:
// timeouts, reset connections, bodies cut short. Callers check their own
// context first: its end is never worth a retry.
func isTransient(err error) bool {
	var te *transientError
	if errors.As(err, &te) {
		return true
	}
	// A refused connection or an unknown host is not retried: the server is
	// not there, and saying so at once is more useful than waiting.
	if errors.Is(err, errIdle) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNABORTED) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// backoff is the delay before retry number attempt (1-based): exponential,
// capped, with jitter in [d/2, d].
func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.MinBackoff
	for i := 1; i < attempt && d < c.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.opts.MaxBackoff)
	return d/2 + rand.N(d/2+1)
}

// retryAfter parses a Retry-After header (seconds or an HTTP date).
func retryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// response is an answer whose status was acceptable, with its body already
// decompressed. Close releases it.
type response struct {
	url    string // after redirects
	header http.Header
	body   io.Reader
	close  func()
}

// fetchOpts change how fetchWith retries.
type fetchOpts struct {
	// retryBody: a transient failure while read consumes the body is
	// retried too; read must then be safe to run again from scratch.
	retryBody bool
	// final504, when set, makes a 504 final, with this explanation.
	final504 string
}

// buildsTooSlow explains a 504 from /eval/{id}/builds.
const buildsTooSlow = "the front end gave up waiting for Hydra to render every build of the evaluation " +
	"(hydra.nixos.org's proxy waits 900 s; NixOS/infra build/hydra-proxy.nix), so it is not asked again: " +
	"this endpoint cannot serve an evaluation this large; read it through the evaluation page (hydra.read: page)"

// fetch is fetchWith, retrying the body when retryBody is set.
func (c *Client) fetch(ctx context.Context, u, accept string, retryBody bool, read func(*response) error) error {
	return c.fetchWith(ctx, u, accept, fetchOpts{retryBody: retryBody}, read)
}

// fetchWith GETs u and hands the answer to read. Connection failures, 429
// and 5xx are retried with backoff (honouring Retry-After; a 429 without
// it, as nginx's limit_req sends, backs off exponentially with jitter).
// Requests to one host never run in parallel, whichever Client sends them:
// the whole exchange, body included, holds the host's gate.
func (c *Client) fetchWith(ctx context.Context, u, accept string, fo fetchOpts, read func(*response) error) error {
	log := c.log.WithField("url", u)
	gate := hostGate(c.base.Host)
	var last error
	for attempt := 1; attempt <= c.opts.MaxAttempts; attempt++ {
		var wait time.Duration
		if err := gate.acquire(ctx); err != nil {
			return fmt.Errorf("GET %s: %w", u, err)
		}
		resp, err := c.do(ctx, u, accept)
		if err == nil {
			err = read(resp)
			resp.close()
		}
		gate.release()
		if err == nil {
			return nil
		}
		if resp != nil && (!fo.retryBody || !isTransient(err)) {
			return err
		}
		if ctx.Err() != nil {
			return fmt.Errorf("GET %s: %w", u, ctx.Err())
		}
		var se *StatusError
		var ra *retryAfterError
		switch {
		case errors.As(err, &ra):
			se, wait = ra.StatusError, ra.wait
		case errors.As(err, &se):
			if se.Code == http.StatusGatewayTimeout && fo.final504 != "" {
				return fmt.Errorf("%w: %s", err, fo.final504)
			}
			if se.Code != http.StatusTooManyRequests && se.Code < 500 {
				return err
			}
		case !isTransient(err):
			return err
		}
		last = err
		if attempt == c.opts.MaxAttempts {
			break
		}
		if wait == 0 {
			wait = c.backoff(attempt)
		}
		log.WithFields(logrus.Fields{"attempt": attempt, "wait": wait.Round(time.Millisecond)}).WithError(err).
			Warn("hydra: request failed, retrying")
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("GET %s: %w", u, err)
		}
	}
	return fmt.Errorf("giving up after %d attempts: %w", c.opts.MaxAttempts, last)
}

type retryAfterError struct {
	*StatusError
	wait time.Duration
}

func (e *retryAfterError) Unwrap() error { return e.StatusError }

// do performs one GET (following redirects) and checks the status.
func (c *Client) do(ctx context.Context, u, accept string) (*response, error) {
	if err := c.limiter.Wait(ctx); err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	rctx, cancel := context.WithCancelCause(ctx)
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, u, nil)
	if err != nil {
		cancel(nil)
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	req.Header.Set("Accept", accept)
	req.Header.Set("Accept-Encoding", "br, zstd, gzip")
	c.log.WithField("url", u).Debug("hydra: GET")
	c.requests.Add(1)
	resp, err := c.http.Do(req)
	if err != nil {
		cancel(nil)
		return nil, &transientOrNot{url: u, err: err}
	}
	final := resp.Request.URL.String()
	if resp.StatusCode != http.StatusOK {
		defer cancel(nil)
		defer resp.Body.Close()
		se := &StatusError{URL: final, Code: resp.StatusCode, Message: errorMessage(resp)}
		if resp.StatusCode == http.StatusTooManyRequests {
			if d, ok := retryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				return nil, &retryAfterError{StatusError: se, wait: min(d, c.opts.MaxRetryAfter)}
			}
		}
		return nil, se
	}
	// From here on the body may take minutes: guard against a stall, not
	// against length.
	idle := time.AfterFunc(c.opts.IdleTimeout, func() { cancel(errIdle) })
	raw := &idleReader{r: resp.Body, t: idle, d: c.opts.IdleTimeout, ctx: rctx, n: &c.wire}
	body, closeDec, err := decodeBody(resp.Header.Get("Content-Encoding"), raw)
	closeAll := func() {
		idle.Stop()
		if closeDec != nil {
			closeDec()
		}
		resp.Body.Close()
		cancel(nil)
	}
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("GET %s: %w", final, err)
	}
	return &response{url: final, header: resp.Header, body: body, close: closeAll}, nil
}

// transientOrNot wraps a transport error with its URL and keeps whether it
// is worth retrying.
type transientOrNot struct {
	url string
	err error
}

func (e *transientOrNot) Error() string {
	msg := e.err.Error()
	var ue *url.Error
	if errors.As(e.err, &ue) {
		msg = ue.Err.Error()
	}
	return fmt.Sprintf("GET %s: %s", e.url, msg)
}
func (e *transientOrNot) Unwrap() error { return e.err }

// idleReader reports errIdle when its timer fired, and re-arms the timer
// on every read that made progress.
type idleReader struct {
	r   io.Reader
	t   *time.Timer
	d   time.Duration
	ctx context.Context
	n   *atomic.Int64
}

func (r *idleReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.t.Reset(r.d)
		r.n.Add(int64(n))
	}
	if err != nil && err != io.EOF && errors.Is(context.Cause(r.ctx), errIdle) {
		err = &transientError{fmt.Errorf("%w (%s)", errIdle, r.d)}
	}
	return n, err
}

// errorMessage reads Hydra's {"error": "…"} from a non-200 answer, or a
// short excerpt of whatever else it sent.
func errorMessage(resp *http.Response) string {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		return e.Error
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "text/html" {
		return "(an HTML page)"
	}
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// checkJSON refuses an answer that says it is not JSON (Hydra answers HTML
// when it did not see Accept: application/json, and proxies answer HTML
// error pages).
func checkJSON(r *response) error {
	ct := r.header.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if mt == "" || mt == "application/json" || strings.HasSuffix(mt, "+json") {
		return nil
	}
	return fmt.Errorf("GET %s: answered %q, not JSON (is this a Hydra server?)", r.url, ct)
}

// decodeErr names the URL in a decoding error and keeps it retryable when
// the body was cut short. The builds and evaluation pages are decoded with
// github.com/go-json-experiment/json, which reports a cut-short body as a
// syntax error wrapping io.ErrUnexpectedEOF: that is checked first.
func decodeErr(u string, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var syn *jsontext.SyntacticError
	var sem *jsonv2.SemanticError
	var fe *FieldError
	switch {
	case isTransient(err):
		return &transientError{fmt.Errorf("GET %s: reading the answer: %w", u, err)}
	case errors.As(err, &se), errors.As(err, &te), errors.As(err, &syn), errors.As(err, &sem), errors.As(err, &fe):
		return fmt.Errorf("GET %s: invalid JSON: %w", u, err)
	default:
		return fmt.Errorf("GET %s: %w", u, err)
	}
}

// getJSON fetches a small JSON document into v, retrying as fetch does.
func (c *Client) getJSON(ctx context.Context, u string, v any) error {
	return c.fetch(ctx, u, "application/json", true, func(r *response) error {
		if err := checkJSON(r); err != nil {
			return err
		}
		dec := json.NewDecoder(newCapReader(r.body, maxJSONDocument, "the answer", 0, ""))
		if err := dec.Decode(v); err != nil {
			return decodeErr(r.url, noEOF(err))
		}
		if _, err := dec.Token(); err != io.EOF {
			return decodeErr(r.url, fmt.Errorf("unexpected data after the document (%v)", err))
		}
		return nil
	})
}
