package app

import (
	"container/list"
	"context"
	"errors"
	"mime"
	"net/http"
	"sync"

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
)

// handledEvents are the event types the worker acts on.
var handledEvents = map[string]bool{
	"pull_request":  true,
	"issue_comment": true,
	"installation":  true,
}

// handleWebhook verifies, deduplicates and queues a delivery, answering
// 202 before any work is done. The body is never logged.
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
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		w.Write([]byte(msg + "\n"))
	}

	r.Body = http.MaxBytesReader(w, r.Body, s.o.MaxBodyBytes)
	// go-github's ValidatePayload also accepts the SHA-1 signature; only
	// SHA-256 is accepted here.
	if r.Header.Get(github.SHA256SignatureHeader) == "" {
		answer(http.StatusUnauthorized, outcomeBadSignature, "missing "+github.SHA256SignatureHeader)
		return
	}
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || (ct != "application/json" && ct != "application/x-www-form-urlencoded") {
		answer(http.StatusBadRequest, outcomeMalformed, "unsupported Content-Type (want application/json)")
		return
	}
	payload, err := github.ValidatePayload(r, s.o.Secret)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			answer(http.StatusRequestEntityTooLarge, outcomeTooLarge, "body too large")
			return
		}
		answer(http.StatusUnauthorized, outcomeBadSignature, "signature check failed")
		return
	}
	if event == "" || delivery == "" {
		answer(http.StatusBadRequest, outcomeMalformed, "missing X-GitHub-Event or X-GitHub-Delivery")
		return
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
