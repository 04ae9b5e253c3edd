// Package ghcache makes markbot's GitHub reads conditional. Its one
// concern is an http.RoundTripper, placed under go-github's client, that
// sends each GET it has answered before with If-None-Match and the ETag of
// that answer, and turns GitHub's 304 Not Modified into the stored answer
// (a 200 with the stored body and headers, and the 304's fresh rate-limit
// headers), so every caller benefits without knowing.
//
// Why: "Making a conditional request does not count against your primary
// rate limit if a 304 response is returned and the request was made while
// correctly authorized with an Authorization header" (GitHub, "Best
// practices for using the REST API", Use conditional requests if
// appropriate). A cycle with nothing new then re-reads everything for no
// rate-limit points, as long as GitHub's ETags still match: they are
// specific to the token (eclipse-csi/otterdog#201, GitHub Support), so an
// App's installation token, renewed every hour, pays one point per
// resource for its first read (see docs/prs.md#rate-limits).
//
// What is stored (through Store, the state database in markbot): only
// complete 200 answers with an ETag, at most state.MaxCachedBody bytes; a
// body that ends early (a dropped connection), is longer than its
// Content-Length says or over the cap is handed on to the caller as it came
// and never stored. Keys are the method, URL, media type, API version and
// an identity of the credential: a label the wiring gives (the App and its
// installation) and a short SHA-256 of the Authorization header when one is
// visible here; never the token itself. The store failing never fails a
// request: the request is then sent as it was.
package ghcache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// Store keeps answers by key (*state.Store).
type Store interface {
	CachedResponse(ctx context.Context, key string) (state.CachedResponse, error)
	PutCachedResponse(ctx context.Context, r state.CachedResponse, lim state.CacheLimits) error
	TouchCachedResponse(ctx context.Context, key string) error
	DeleteCachedResponse(ctx context.Context, key string) error
}

// Transport is the conditional-request transport. Set Store before the
// first request; a nil Store passes every request through.
type Transport struct {
	// Base sends the requests (default http.DefaultTransport).
	Base  http.RoundTripper
	Store Store
	// Identity names the credential the requests are made with when the
	// Authorization header is added below this transport (an App's
	// installation: "app 123 installation 456"). Never a secret.
	Identity string
	Limits   state.CacheLimits
	Log      logrus.FieldLogger
}

// Header Transport sets on an answer it made from the store after a 304.
const HeaderRevalidated = "X-Markbot-Cache"

// Headers of a 304 that replace the stored ones: they describe this
// exchange, not the resource.
var fresh = []string{"Date", "ETag", "X-GitHub-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining",
	"X-RateLimit-Used", "X-RateLimit-Reset", "X-RateLimit-Resource", "Cache-Control", "Vary"}

// Headers never stored: per exchange, per connection, or recomputed.
var unstored = map[string]bool{
	"Date": true, "X-Github-Request-Id": true, "X-Ratelimit-Limit": true, "X-Ratelimit-Remaining": true,
	"X-Ratelimit-Used": true, "X-Ratelimit-Reset": true, "X-Ratelimit-Resource": true,
	"Content-Length": true, "Transfer-Encoding": true, "Connection": true, "Keep-Alive": true,
	"Set-Cookie": true, "Content-Encoding": true, HeaderRevalidated: true,
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if t.Store == nil || req.Method != http.MethodGet || req.Header.Get("If-None-Match") != "" ||
		req.Header.Get("If-Modified-Since") != "" || req.Header.Get("Range") != "" {
		return base.RoundTrip(req)
	}
	ctx := req.Context()
	key := t.key(req)
	log := t.logger().WithField("url", req.URL.String())
	var stored *state.CachedResponse
	var storedHeader http.Header
	switch e, err := t.Store.CachedResponse(ctx, key); {
	case errors.Is(err, state.ErrNotFound):
	case err != nil:
		log.WithError(err).Warn("conditional-request cache unreadable; sending the request unconditionally")
	default:
		h, err := decodeHeader(e.Header)
		if err != nil {
			log.WithError(err).Warn("dropping a cached answer whose headers do not decode")
			t.Store.DeleteCachedResponse(ctx, key)
			break
		}
		stored, storedHeader = &e, h
	}
	out := req
	if stored != nil {
		out = req.Clone(ctx)
		out.Header.Set("If-None-Match", stored.ETag)
	}
	resp, err := base.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusNotModified && stored != nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err := t.Store.TouchCachedResponse(ctx, key); err != nil {
			log.WithError(err).Warn("conditional-request cache: recording a 304")
		}
		log.Debug("304 Not Modified: answered from the conditional-request cache")
		return replay(req, resp, storedHeader, stored.Body), nil
	}
	if resp.StatusCode != http.StatusOK {
		return resp, nil
	}
	tag := resp.Header.Get("ETag")
	if tag == "" {
		if stored != nil {
			t.Store.DeleteCachedResponse(ctx, key)
		}
		return resp, nil
	}
	return t.keep(ctx, log, key, tag, resp), nil
}

// keep reads resp's body and stores it when it is complete and within the
// cap; the caller gets the body as it came, error included.
func (t *Transport) keep(ctx context.Context, log logrus.FieldLogger, key, tag string, resp *http.Response) *http.Response {
	body, err := io.ReadAll(io.LimitReader(resp.Body, state.MaxCachedBody+1))
	reason := ""
	switch {
	case err != nil:
		// A truncated answer: hand it on with its error, store nothing.
		resp.Body.Close()
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{err}))
		reason = "the answer ended early: " + err.Error()
	case len(body) > state.MaxCachedBody:
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		reason = fmt.Sprintf("the answer is over %d bytes", state.MaxCachedBody)
	case resp.ContentLength >= 0 && int64(len(body)) != resp.ContentLength:
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		reason = fmt.Sprintf("%d bytes where Content-Length says %d", len(body), resp.ContentLength)
	default:
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	if reason != "" {
		log.WithField("reason", reason).Debug("not stored in the conditional-request cache")
		if err := t.Store.DeleteCachedResponse(ctx, key); err != nil {
			log.WithError(err).Warn("conditional-request cache: forgetting an answer")
		}
		return resp
	}
	h, err := encodeHeader(resp.Header)
	if err == nil {
		err = t.Store.PutCachedResponse(ctx, state.CachedResponse{Key: key, ETag: tag, Header: h, Body: body}, t.Limits)
	}
	if err != nil && !errors.Is(err, state.ErrTooLarge) {
		log.WithError(err).Warn("conditional-request cache: storing an answer")
	}
	return resp
}

// replay is the stored answer as a 200 to req, with the 304's fresh
// headers.
func replay(req *http.Request, notModified *http.Response, stored http.Header, body []byte) *http.Response {
	h := stored.Clone()
	for _, k := range fresh {
		if v := notModified.Header.Values(k); len(v) > 0 {
			h[http.CanonicalHeaderKey(k)] = append([]string(nil), v...)
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set(HeaderRevalidated, "revalidated")
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK,
		Proto: notModified.Proto, ProtoMajor: notModified.ProtoMajor, ProtoMinor: notModified.ProtoMinor,
		Header: h, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		Request: req, TLS: notModified.TLS,
	}
}

// key is what an answer is stored under.
func (t *Transport) key(req *http.Request) string {
	id := t.Identity
	if a := req.Header.Get("Authorization"); a != "" {
		sum := sha256.Sum256([]byte(a))
		id += " credential " + hex.EncodeToString(sum[:8])
	}
	if id == "" {
		id = "anonymous"
	}
	return strings.Join([]string{req.Method, req.URL.String(), req.Header.Get("Accept"),
		req.Header.Get("X-GitHub-Api-Version"), id}, "\n")
}

func (t *Transport) logger() logrus.FieldLogger {
	if t.Log == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		return l
	}
	return t.Log
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// encodeHeader is the stored form of h: JSON, without the per-exchange
// headers.
func encodeHeader(h http.Header) ([]byte, error) {
	keep := http.Header{}
	for k, v := range h {
		if !unstored[http.CanonicalHeaderKey(k)] {
			keep[http.CanonicalHeaderKey(k)] = v
		}
	}
	return json.Marshal(keep)
}

// Caps on a stored header set: what a decoded entry may hold.
const (
	maxHeaderFields = 200
	maxHeaderValues = 50
)

// decodeHeader reads what encodeHeader wrote (state caps its size): an
// object of header names to lists of values, names and values being what
// a header may hold.
func decodeHeader(b []byte) (http.Header, error) {
	var m map[string][]string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("stored headers: %w", err)
	}
	if m == nil {
		return nil, errors.New("stored headers: not an object")
	}
	if len(m) > maxHeaderFields {
		return nil, fmt.Errorf("stored headers: %d fields (at most %d)", len(m), maxHeaderFields)
	}
	h := make(http.Header, len(m))
	for k, vs := range m {
		if !validName(k) || unstored[http.CanonicalHeaderKey(k)] {
			return nil, fmt.Errorf("stored headers: field name %q", k)
		}
		if len(vs) > maxHeaderValues {
			return nil, fmt.Errorf("stored headers: %s has %d values (at most %d)", k, len(vs), maxHeaderValues)
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n\x00") {
				return nil, fmt.Errorf("stored headers: %s holds a line break or NUL", k)
			}
		}
		h[http.CanonicalHeaderKey(k)] = vs
	}
	return h, nil
}

// validName: an RFC 9110 token.
func validName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}
