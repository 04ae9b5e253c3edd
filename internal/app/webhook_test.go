package app

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
)

// countingBody is a request body that records how much of it was read.
type countingBody struct {
	r    io.Reader
	read int
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += n
	return n, err
}

func (b *countingBody) Close() error { return nil }

func TestParseSignature(t *testing.T) {
	good := "sha256=" + strings.Repeat("ab", 32)
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{good, true},
		{"sha256=" + strings.Repeat("AB", 32), true},
		{"", false},
		{"sha256=", false},
		{"sha1=" + strings.Repeat("ab", 20), false},
		{"sha256=" + strings.Repeat("ab", 31), false},
		{"sha256=" + strings.Repeat("ab", 33), false},
		{"sha256=" + strings.Repeat("zz", 32), false},
		{"SHA256=" + strings.Repeat("ab", 32), false},
		{" " + good, false},
		{good + " ", false},
	} {
		mac, ok := parseSignature(tc.in)
		if ok != tc.ok || (ok && len(mac) != sha256.Size) {
			t.Errorf("parseSignature(%q) = %x, %v; want ok %v", tc.in, mac, ok, tc.ok)
		}
	}
}

var signatureRE = regexp.MustCompile(`^sha256=[0-9a-fA-F]{64}$`)

func FuzzParseSignature(f *testing.F) {
	f.Add("sha256=" + strings.Repeat("0f", 32))
	f.Add("sha256=zz")
	f.Add("")
	f.Fuzz(func(t *testing.T, h string) {
		mac, ok := parseSignature(h)
		if ok != signatureRE.MatchString(h) {
			t.Fatalf("parseSignature(%q): ok %v", h, ok)
		}
		if ok && "sha256="+strings.ToLower(h[7:]) != "sha256="+hexString(mac) {
			t.Fatalf("parseSignature(%q) = %x", h, mac)
		}
	})
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// TestReadVerified: bodies of every size around the chunk boundaries, read
// in odd pieces, come back whole when their MAC matches, and not at all
// otherwise.
func TestReadVerified(t *testing.T) {
	for _, n := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 3*chunkSize + 7} {
		body := bytes.Repeat([]byte("0123456789"), n/10+1)[:n]
		m := hmac.New(sha256.New, testSecret)
		m.Write(body)
		want := m.Sum(nil)
		for name, r := range map[string]io.Reader{
			"whole":    bytes.NewReader(body),
			"one byte": iotest.OneByteReader(bytes.NewReader(body)),
			"half":     iotest.HalfReader(bytes.NewReader(body)),
		} {
			got, err := readVerified(r, testSecret, want)
			if err != nil || !bytes.Equal(got, body) {
				t.Errorf("%d bytes, %s: got %d bytes, %v", n, name, len(got), err)
			}
		}
		if got, err := readVerified(bytes.NewReader(body), []byte("other"), want); !errors.Is(err, errBadSignature) || got != nil {
			t.Errorf("%d bytes, wrong secret: %d bytes, %v", n, len(got), err)
		}
	}
	if _, err := readVerified(iotest.ErrReader(io.ErrUnexpectedEOF), testSecret, nil); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read error: %v", err)
	}
}

// TestWebhookRefusesBeforeReading: what the headers already condemn is
// answered without reading a byte of the body, and the connection is not
// kept (its body is never read).
func TestWebhookRefusesBeforeReading(t *testing.T) {
	body := []byte(`{"action":"closed"}`)
	for _, tc := range []struct {
		name    string
		mod     func(*http.Request)
		want    int
		outcome string
	}{
		{"no signature", func(r *http.Request) { r.Header.Del("X-Hub-Signature-256") }, 401, outcomeBadSignature},
		{"SHA-1 signature only", func(r *http.Request) {
			r.Header.Del("X-Hub-Signature-256")
			r.Header.Set("X-Hub-Signature", "sha1="+strings.Repeat("ab", 20))
		}, 401, outcomeBadSignature},
		{"short signature", func(r *http.Request) { r.Header.Set("X-Hub-Signature-256", "sha256=abcd") }, 401, outcomeBadSignature},
		{"not hex", func(r *http.Request) { r.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("g", 64)) }, 401, outcomeBadSignature},
		{"no event", func(r *http.Request) { r.Header.Del("X-GitHub-Event") }, 400, outcomeMalformed},
		{"bad content type", func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, 400, outcomeMalformed},
		{"declared too large", func(r *http.Request) { r.ContentLength = 65<<10 + 1 }, 413, outcomeTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			cb := &countingBody{r: bytes.NewReader(body)}
			req := httptest.NewRequest("POST", "/webhook", nil)
			req.Body, req.ContentLength = cb, int64(len(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-GitHub-Event", "pull_request")
			req.Header.Set("X-GitHub-Delivery", "d")
			req.Header.Set("X-Hub-Signature-256", sign(testSecret, body))
			tc.mod(req)
			rec := httptest.NewRecorder()
			e.s.Handler().ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("status %d (%s), want %d", rec.Code, rec.Body, tc.want)
			}
			if cb.read != 0 {
				t.Errorf("%d bytes of the body read", cb.read)
			}
			if rec.Header().Get("Connection") != "close" {
				t.Error("connection kept open on an unread body")
			}
			if !strings.Contains(scrape(t, e.s), `outcome="`+tc.outcome+`"} 1`) {
				t.Errorf("outcome %s not counted", tc.outcome)
			}
		})
	}
}

// TestWebhookAdmission: over the concurrency, large-body or bytes bound a
// request is answered 503 with Retry-After at once, unread; what is
// admitted releases its share when done.
func TestWebhookAdmission(t *testing.T) {
	small, _ := json.Marshal(prClosed(7, "markbot/x", true))
	large := append(append([]byte(`{"action":"closed","pad":"`), bytes.Repeat([]byte("x"), 20<<10)...), `"}`...)
	for _, tc := range []struct {
		name string
		mod  func(*Options)
		held func(a *admission) // what other requests hold meanwhile
		body []byte
		want int
	}{
		{"free", nil, func(*admission) {}, small, 202},
		{"all slots taken", func(o *Options) { o.MaxConcurrentWebhooks = 2 },
			func(a *admission) { a.acquire(10, false); a.acquire(10, false) }, small, 503},
		{"large slots taken, a large body", func(o *Options) { o.LargeBodyBytes = 8 << 10 },
			func(a *admission) { a.acquire(10<<10, true); a.acquire(10<<10, true) }, large, 503},
		{"large slots taken, a small body passes", func(o *Options) { o.LargeBodyBytes = 8 << 10 },
			func(a *admission) { a.acquire(10<<10, true); a.acquire(10<<10, true) }, small, 202},
		{"bytes taken", func(o *Options) { o.MaxInFlightBytes = 30 << 10 },
			func(a *admission) { a.acquire(20<<10, false) }, large, 503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.mod)
			tc.held(e.s.admit)
			before := e.s.admit.inFlight()
			cb := &countingBody{r: bytes.NewReader(tc.body)}
			req := httptest.NewRequest("POST", "/webhook", nil)
			req.Body, req.ContentLength = cb, int64(len(tc.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-GitHub-Event", "pull_request")
			req.Header.Set("X-GitHub-Delivery", "d")
			req.Header.Set("X-Hub-Signature-256", sign(testSecret, tc.body))
			rec := httptest.NewRecorder()
			e.s.Handler().ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Fatalf("status %d (%s), want %d", rec.Code, rec.Body, tc.want)
			}
			if tc.want == 503 {
				if rec.Header().Get("Retry-After") != "5" || cb.read != 0 {
					t.Errorf("Retry-After %q, %d bytes read", rec.Header().Get("Retry-After"), cb.read)
				}
				if !strings.Contains(scrape(t, e.s), `outcome="busy"} 1`) {
					t.Error("busy not counted")
				}
			}
			if after := e.s.admit.inFlight(); after != before {
				t.Errorf("bytes in flight %d after the request, %d before", after, before)
			}
		})
	}
}

// TestWebhookChunkedBody: a body without Content-Length is admitted as a
// large one and cut at the limit.
func TestWebhookChunkedBody(t *testing.T) {
	e := newEnv(t, nil)
	body := bytes.Repeat([]byte("x"), 70<<10)
	req := httptest.NewRequest("POST", "/webhook", io.NopCloser(bytes.NewReader(body)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "pull_request")
	req.Header.Set("X-GitHub-Delivery", "d")
	req.Header.Set("X-Hub-Signature-256", sign(testSecret, body))
	rec := httptest.NewRecorder()
	e.s.Handler().ServeHTTP(rec, req)
	if rec.Code != 413 {
		t.Fatalf("status %d, want 413", rec.Code)
	}
	if e.s.admit.inFlight() != 0 {
		t.Error("admission not released")
	}
}

// TestWebhookFormEncoded: GitHub's other content type carries the JSON in
// the payload field; the signature covers the form body.
func TestWebhookFormEncoded(t *testing.T) {
	e := newEnv(t, nil)
	js, _ := json.Marshal(prClosed(7, "markbot/x", true))
	body := []byte(url.Values{"payload": {string(js)}}.Encode())
	req := httptest.NewRequest("POST", "/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-GitHub-Event", "pull_request")
	req.Header.Set("X-GitHub-Delivery", "d")
	req.Header.Set("X-Hub-Signature-256", sign(testSecret, body))
	rec := httptest.NewRecorder()
	e.s.Handler().ServeHTTP(rec, req)
	if rec.Code != 202 || len(e.s.queue) != 1 {
		t.Fatalf("status %d, %d queued", rec.Code, len(e.s.queue))
	}
}
