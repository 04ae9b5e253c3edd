package app

import (
	"container/list"
	"context"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"
)

// job is one accepted webhook delivery, parsed.
type job struct {
	delivery, event string
	payload         any
}

// Webhook outcomes, the "outcome" label of markbot_webhook_deliveries_total.
const (
	outcomeAccepted     = "accepted"
	outcomeIgnored      = "ignored"
	outcomeDuplicate    = "duplicate"
	outcomeBadSignature = "bad_signature"
	outcomeTooLarge     = "too_large"
	outcomeMalformed    = "malformed"
	outcomeQueueFull    = "queue_full"
	outcomeBusy         = "busy"
)

// handledEvents are the event types the worker acts on.
var handledEvents = map[string]bool{
	"pull_request":  true,
	"issue_comment": true,
	"installation":  true,
}

// handleWebhook verifies, deduplicates and queues a delivery, answering
// 202 before any work is done. The body is never logged. What costs
// nothing comes first: a request without a well-formed signature header,
// with the wrong Content-Type, without the event or delivery header or
// declaring a body over the limit is refused before a byte of its body is
// read; then the request must be admitted under the concurrency and
// bytes-in-flight bounds (503 with Retry-After otherwise); its body is
// hashed while read and parsed only once authentic.
func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request) {
	event := github.WebHookType(r)
	delivery := github.DeliveryID(r)
	log := s.log.WithFields(logrus.Fields{"delivery": delivery, "event": event})
	answer := func(code int, outcome, msg string) {
		label := event
		if !handledEvents[event] && event != "ping" {
			label = "other" // bounded label values
		}
		s.metrics.deliveries.WithLabelValues(label, outcome).Inc()
		if code >= 400 {
			log.WithField("status", code).Warn("webhook: " + msg)
		} else {
			log.WithField("outcome", outcome).Debug("webhook: " + msg)
		}
		if code == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", strconv.Itoa(s.o.RetryAfter))
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		w.Write([]byte(msg + "\n"))
	}

	// go-github's ValidatePayload also accepts the SHA-1 signature; only
	// SHA-256 is accepted here.
	want, ok := parseSignature(r.Header.Get(github.SHA256SignatureHeader))
	if !ok {
		refuse(w)
		answer(http.StatusUnauthorized, outcomeBadSignature, "missing or malformed "+github.SHA256SignatureHeader+" (want sha256= and 64 hex digits)")
		return
	}
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (ct != "application/json" && ct != "application/x-www-form-urlencoded") {
		refuse(w)
		answer(http.StatusBadRequest, outcomeMalformed, "unsupported Content-Type (want application/json)")
		return
	}
	if event == "" || delivery == "" {
		refuse(w)
		answer(http.StatusBadRequest, outcomeMalformed, "missing X-GitHub-Event or X-GitHub-Delivery")
		return
	}
	if r.ContentLength > s.o.MaxBodyBytes {
		refuse(w)
		answer(http.StatusRequestEntityTooLarge, outcomeTooLarge, "body too large")
		return
	}
	reserve, large := r.ContentLength, r.ContentLength > s.o.LargeBodyBytes
	if reserve < 0 { // no Content-Length: it may be as large as the limit
		reserve, large = s.o.MaxBodyBytes, true
	}
	if !s.admit.acquire(reserve, large) {
		refuse(w)
		answer(http.StatusServiceUnavailable, outcomeBusy, "too many webhook requests in flight; retry later")
		return
	}
	defer s.admit.release(reserve, large)
	if s.o.BodyTimeout > 0 {
		// GitHub gives up on a delivery after 10 s; a body trickling in
		// for longer holds an admission slot for nothing.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(s.o.BodyTimeout))
	}
	body, err := readVerified(http.MaxBytesReader(w, r.Body, s.o.MaxBodyBytes), s.o.Secret, want)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		answer(http.StatusRequestEntityTooLarge, outcomeTooLarge, "body too large")
		return
	case errors.Is(err, errBadSignature):
		answer(http.StatusUnauthorized, outcomeBadSignature, "signature check failed")
		return
	case err != nil:
		answer(http.StatusBadRequest, outcomeMalformed, "reading the body failed")
		return
	}
	payload := body
	if ct == "application/x-www-form-urlencoded" {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			answer(http.StatusBadRequest, outcomeMalformed, "malformed form body")
			return
		}
		payload = []byte(form.Get("payload"))
	}
	if event == "ping" {
		answer(http.StatusOK, outcomeAccepted, "pong")
		return
	}
	if !handledEvents[event] {
		answer(http.StatusAccepted, outcomeIgnored, "event type not handled; ignored")
		return
	}
	parsed, err := github.ParseWebHook(event, payload)
	if err != nil {
		answer(http.StatusBadRequest, outcomeMalformed, "malformed payload")
		return
	}
	if !s.seen.add(delivery) {
		answer(http.StatusAccepted, outcomeDuplicate, "duplicate delivery; ignored")
		return
	}
	select {
	case s.queue <- job{delivery: delivery, event: event, payload: parsed}:
		answer(http.StatusAccepted, outcomeAccepted, "accepted")
	default:
		s.seen.remove(delivery) // a redelivery may succeed
		answer(http.StatusServiceUnavailable, outcomeQueueFull, "too many events queued; redeliver later")
	}
}

// worker handles queued events one at a time until stop is closed, then
// finishes the events already accepted (ctx bounds how long).
func (s *Server) worker(ctx context.Context, stop <-chan struct{}) {
	for {
		select {
		case j := <-s.queue:
			s.handleJob(ctx, j)
		case <-stop:
			for {
				select {
				case j := <-s.queue:
					if ctx.Err() != nil {
						s.log.WithFields(logrus.Fields{"delivery": j.delivery, "event": j.event}).Warn("shutdown: event dropped")
						continue
					}
					s.handleJob(ctx, j)
				default:
					return
				}
			}
		}
	}
}

// dedup remembers the last n delivery ids (least recently added evicted).
type dedup struct {
	mu    sync.Mutex
	n     int
	order *list.List // of string, newest at the front
	ids   map[string]*list.Element
}

func newDedup(n int) *dedup {
	return &dedup{n: n, order: list.New(), ids: map[string]*list.Element{}}
}

// add records id and reports whether it was new.
func (d *dedup) add(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.ids[id]; ok {
		return false
	}
	d.ids[id] = d.order.PushFront(id)
	for d.order.Len() > d.n {
		old := d.order.Back()
		d.order.Remove(old)
		delete(d.ids, old.Value.(string))
	}
	return true
}

func (d *dedup) remove(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.ids[id]; ok {
		d.order.Remove(e)
		delete(d.ids, id)
	}
}
