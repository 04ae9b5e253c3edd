package app

// This file is the webhook's first step: admitting a request and reading
// its body. Nothing of a request is read before its signature header is
// well formed and it is admitted under the bounds below; the body is
// hashed (HMAC-SHA256) while it is read, into pooled chunks, and only an
// authentic body is ever joined into one slice.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Defaults of the webhook's bounds (Options).
const (
	// DefaultMaxConcurrentWebhooks bounds the webhook requests being read
	// and verified at once.
	DefaultMaxConcurrentWebhooks = 32
	// DefaultMaxLargeWebhooks bounds, among those, the ones whose body is
	// larger than DefaultLargeBodyBytes (or of unknown length), so that
	// large posts never take the slots and bytes small deliveries need:
	// GitHub's comment and pull request deliveries are tens of KiB.
	DefaultMaxLargeWebhooks = 2
	DefaultLargeBodyBytes   = 1 << 20
	// DefaultRetryAfter is what a refused request is told to wait, in
	// seconds.
	DefaultRetryAfter = 5
)

// signatureHeaderLen is the length of "sha256=" and 64 hex digits.
const signatureHeaderLen = len("sha256=") + 2*sha256.Size

// parseSignature reads an X-Hub-Signature-256 header: "sha256=" and 64 hex
// digits, nothing else. ok is false for anything else, which is refused
// before a byte of the body is read.
func parseSignature(h string) (mac []byte, ok bool) {
	if len(h) != signatureHeaderLen || !strings.HasPrefix(h, "sha256=") {
		return nil, false
	}
	mac, err := hex.DecodeString(h[len("sha256="):])
	if err != nil {
		return nil, false
	}
	return mac, true
}

// admission bounds the webhook requests reading a body at once: their
// number, the number of large ones, and the bytes they may hold (each
// request reserves its Content-Length, or the body limit when it has
// none). A request over a bound is refused at once, never queued: waiting
// requests would hold their connections and buffers all the same.
type admission struct {
	mu                    sync.Mutex
	maxRequests, maxLarge int
	maxBytes              int64
	requests, large       int
	bytes                 int64
}

// acquire reserves one request of n bytes; it reports false (reserving
// nothing) when that would exceed a bound.
func (a *admission) acquire(n int64, large bool) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.requests >= a.maxRequests || (large && a.large >= a.maxLarge) || a.bytes+n > a.maxBytes {
		return false
	}
	a.requests++
	if large {
		a.large++
	}
	a.bytes += n
	return true
}

func (a *admission) release(n int64, large bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests--
	if large {
		a.large--
	}
	a.bytes -= n
}

// inFlight is the bytes reserved now (a metric).
func (a *admission) inFlight() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.bytes
}

// chunkSize is the unit bodies are read in. Chunks are pooled: a flood of
// large bodies reuses the same few megabytes instead of allocating (and
// leaving to the garbage collector) one slice per request, and the pool
// lets go of them once the flood is over.
const chunkSize = 32 << 10

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// errBadSignature is a body whose HMAC does not match its header.
var errBadSignature = errors.New("signature mismatch")

// readVerified reads r to its end (r enforces the size limit), hashing it
// with HMAC-SHA256 under secret as it goes, and returns the body if its
// MAC is want. Until the MAC matches, the bytes sit in pooled chunks; only
// an authentic body is copied into the slice returned.
func readVerified(r io.Reader, secret, want []byte) ([]byte, error) {
	mac := hmac.New(sha256.New, secret)
	var chunks []*[]byte
	defer func() {
		for _, c := range chunks {
			chunkPool.Put(c)
		}
	}()
	total, last := 0, 0 // bytes read; bytes in the last chunk
	for {
		if len(chunks) == 0 || last == chunkSize {
			chunks = append(chunks, chunkPool.Get().(*[]byte))
			last = 0
		}
		buf := (*chunks[len(chunks)-1])[last:]
		n, err := r.Read(buf)
		if n > 0 {
			mac.Write(buf[:n])
			last += n
			total += n
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if !verify(mac, want) {
		return nil, errBadSignature
	}
	body := make([]byte, 0, total)
	for i, c := range chunks {
		if i == len(chunks)-1 {
			body = append(body, (*c)[:last]...)
		} else {
			body = append(body, *c...)
		}
	}
	return body, nil
}

func verify(mac hash.Hash, want []byte) bool {
	return hmac.Equal(mac.Sum(nil), want)
}

// refuse answers a request whose body is not read: the connection is
// closed afterwards, so that the server does not read the rest of the body
// to keep the connection alive.
func refuse(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
}
