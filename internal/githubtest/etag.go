package githubtest

// Conditional requests and rate-limit points, as api.github.com answers
// them (the step serveHTTP runs after a GET's handler):
//
//   - A 200 to a GET carries an ETag, weak (W/"<64 hex>") as GitHub's JSON
//     answers are in "Getting started with the REST API"
//     (github/docs content/rest/using-the-rest-api/getting-started-with-the-rest-api.md),
//     with GitHub's Vary and Cache-Control: "Accept, Authorization, Cookie,
//     X-GitHub-OTP" and "private, max-age=60, s-maxage=60" when
//     authenticated, "Accept" and "public, …" when not.
//   - The ETag is specific to the credential: the same body read with
//     another token has another ETag, so an installation token's ETags stop
//     matching when it is renewed (every hour). GitHub Support confirmed
//     this ("It's currently expected for ETags to be auth token specific",
//     eclipse-csi/otterdog#201; github/docs#34689 asks the docs to say so).
//     How GitHub derives it is not documented (it is not the SHA-256 of the
//     body alone); the fake hashes the credential and the body.
//   - A GET whose If-None-Match (RFC 9110 §13.1.2: "*" or a list of entity
//     tags, compared weakly) matches the current ETag is answered 304 with
//     no body, the ETag, Vary, Cache-Control and the rate-limit headers.
//   - Points: every answer costs one point of its resource (core, search)
//     except a 304 to a request "correctly authorized with an Authorization
//     header" ("Best practices for using the REST API", Use conditional
//     requests if appropriate; content/rest/using-the-rest-api/
//     best-practices-for-using-the-rest-api.md): its X-RateLimit-Remaining
//     does not move. An anonymous 304 costs a point, as the third parties
//     who measured it report.

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// etagState counts what conditional requests saved.
type etagState struct {
	mu          sync.Mutex
	points      map[string]int
	notModified int
}

// Stats is what the fake counted since it started or since ResetStats.
type Stats struct {
	// Requests is every request served, faulted ones included.
	Requests int
	// Points are the rate-limit points spent per resource ("core",
	// "search"): one per answer but an authorized 304.
	Points map[string]int
	// NotModified is the number of 304 answers.
	NotModified int
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.etags.mu.Lock()
	pts := make(map[string]int, len(s.etags.points))
	for k, v := range s.etags.points {
		pts[k] = v
	}
	nm := s.etags.notModified
	s.etags.mu.Unlock()
	return Stats{Requests: s.Requests(), Points: pts, NotModified: nm}
}

// PointsSpent is the total of Stats().Points.
func (s *Server) PointsSpent() int {
	n := 0
	for _, v := range s.Stats().Points {
		n += v
	}
	return n
}

func (s *Server) resetETagStats() {
	s.etags.mu.Lock()
	defer s.etags.mu.Unlock()
	s.etags.points = map[string]int{}
	s.etags.notModified = 0
}

// charge counts one point of resource and sets the X-RateLimit-* headers.
func (s *Server) charge(h http.Header, resource string) {
	s.rate.headers(h, resource, s.now())
	s.etags.mu.Lock()
	defer s.etags.mu.Unlock()
	if s.etags.points == nil {
		s.etags.points = map[string]int{}
	}
	s.etags.points[resource]++
}

// peek sets the X-RateLimit-* headers without counting a request.
func (r *rateState) peek(h http.Header, resource string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := rateLimits[resource]
	if reset, ok := r.reset[resource]; !ok || !now.Before(reset) {
		r.reset[resource] = now.Add(l.window)
		r.used[resource] = 0
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(l.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(l.limit-r.used[resource], 1)))
	h.Set("X-RateLimit-Used", strconv.Itoa(min(r.used[resource], l.limit-1)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(r.reset[resource].Unix(), 10))
	h.Set("X-RateLimit-Resource", resource)
}

// conditional reports whether serveHTTP buffers r's answer to give it an
// ETag (and charges it after the handler, in answerConditional).
func conditional(r *http.Request) bool { return r.Method == http.MethodGet }

// answerConditional gives buf, the handler's answer to the GET r, its
// ETag, turns it into a 304 when r's If-None-Match matches, and charges
// it unless it is an authorized 304.
func (s *Server) answerConditional(buf *bufferWriter, r *http.Request, resource string) {
	status := buf.status
	if status == 0 {
		status = http.StatusOK
	}
	auth := r.Header.Get("Authorization")
	if status == http.StatusOK {
		tag := entityTag(auth, buf.body.Bytes())
		h := buf.header
		h.Set("ETag", tag)
		if auth != "" {
			h.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
			h.Set("Cache-Control", "private, max-age=60, s-maxage=60")
		} else {
			h.Set("Vary", "Accept")
			h.Set("Cache-Control", "public, max-age=60, s-maxage=60")
		}
		if ifNoneMatch(r.Header.Values("If-None-Match"), tag) {
			buf.status = http.StatusNotModified
			buf.body.Reset()
			for _, k := range []string{"Content-Type", "Content-Length", "Link"} {
				h.Del(k)
			}
			s.etags.mu.Lock()
			s.etags.notModified++
			s.etags.mu.Unlock()
			// In App mode authorized() has checked the token already; the
			// fake has no user tokens to check otherwise.
			if auth != "" {
				s.rate.peek(h, resource, s.now())
				return
			}
		}
	}
	s.charge(buf.header, resource)
}

// entityTag is the fake's weak ETag of body as read with credential auth.
func entityTag(auth string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(auth))
	h.Write([]byte{0})
	h.Write(body)
	return `W/"` + hex.EncodeToString(h.Sum(nil)) + `"`
}

// ifNoneMatch reports whether the If-None-Match field values match tag by
// the weak comparison (RFC 9110 §13.1.2 and §8.8.3.2): "*", or a listed
// entity tag with the same opaque value, W/ or not. A malformed element
// ends the list (what came before it still counts); a field that is not a
// list of entity tags matches nothing.
func ifNoneMatch(values []string, tag string) bool {
	_, want, ok := parseEntityTag(tag)
	if !ok {
		return false
	}
	for _, v := range values {
		if strings.TrimSpace(v) == "*" {
			return true
		}
		for rest := v; ; {
			rest = strings.TrimLeft(rest, " \t,")
			if rest == "" {
				break
			}
			n, opaque, ok := scanEntityTag(rest)
			if !ok {
				break
			}
			if opaque == want {
				return true
			}
			rest = rest[n:]
		}
	}
	return false
}

// parseEntityTag splits a whole entity-tag into weakness and opaque value.
func parseEntityTag(s string) (weak bool, opaque string, ok bool) {
	n, opaque, ok := scanEntityTag(s)
	if !ok || n != len(s) {
		return false, "", false
	}
	return strings.HasPrefix(s, "W/"), opaque, true
}

// scanEntityTag reads one entity-tag ([W/] DQUOTE *etagc DQUOTE, etagc
// being %x21 / %x23-7E / obs-text) at the start of s and returns its length
// and its opaque-tag (quotes included).
func scanEntityTag(s string) (n int, opaque string, ok bool) {
	i := 0
	if strings.HasPrefix(s, "W/") {
		i = 2
	}
	if i >= len(s) || s[i] != '"' {
		return 0, "", false
	}
	for j := i + 1; j < len(s); j++ {
		c := s[j]
		switch {
		case c == '"':
			return j + 1, s[i : j+1], true
		case c == 0x21 || (c >= 0x23 && c <= 0x7e) || c >= 0x80:
		default:
			return 0, "", false
		}
	}
	return 0, "", false
}

// flush sends a buffered answer (not a fault) to w and returns its status.
func (b *bufferWriter) flush(w http.ResponseWriter) int {
	status := b.status
	if status == 0 {
		status = http.StatusOK
	}
	h := w.Header()
	for k, v := range b.header {
		h[k] = v
	}
	w.WriteHeader(status)
	if status != http.StatusNotModified {
		w.Write(b.body.Bytes())
	}
	return status
}
