package app

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// metrics are the server's Prometheus metrics, in a registry of its own
// (nothing registers into the global one).
//
//	markbot_cycles_total{outcome}                    cycles by outcome (ok, failed, mass_breakage, cancelled)
//	markbot_cycle_duration_seconds                   histogram of cycle durations
//	markbot_last_cycle_end_timestamp_seconds         when the last cycle ended
//	markbot_prs_opened_total                         pull requests opened by cycles
//	markbot_markers{state}                           markers by state, read from the state database at scrape
//	markbot_webhook_deliveries_total{event,outcome}  deliveries by event type and outcome
//	markbot_commands_total{command,outcome}          comment commands by command and outcome
//	markbot_event_queue_length                       accepted events waiting for the worker
//	markbot_webhook_events_handled_total{event}      events the worker finished handling
//	markbot_webhook_bytes_in_flight                  bytes reserved by webhook bodies being read
//	markbot_webhook_replays_total                    signed events handled before, seen again (ignored)
//	markbot_replies_total{outcome}                   replies to comments: posted, rate_limited, failed
//
// plus the Go runtime and process collectors.
type metrics struct {
	reg           *prometheus.Registry
	cycles        *prometheus.CounterVec
	cycleDuration prometheus.Histogram
	lastCycle     prometheus.Gauge
	prsOpened     prometheus.Counter
	deliveries    *prometheus.CounterVec
	commands      *prometheus.CounterVec
	handled       *prometheus.CounterVec
	replays       prometheus.Counter
	replies       *prometheus.CounterVec
}

func newMetrics(s *Server) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		cycles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markbot_cycles_total", Help: "Reconcile cycles run, by outcome (ok, failed, mass_breakage, cancelled).",
		}, []string{"outcome"}),
		cycleDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "markbot_cycle_duration_seconds", Help: "Duration of reconcile cycles.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200},
		}),
		lastCycle: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "markbot_last_cycle_end_timestamp_seconds", Help: "Unix time the last reconcile cycle ended.",
		}),
		prsOpened: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "markbot_prs_opened_total", Help: "Pull requests opened by reconcile cycles.",
		}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markbot_webhook_deliveries_total", Help: "Webhook deliveries, by event type and outcome.",
		}, []string{"event", "outcome"}),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markbot_commands_total", Help: "Comment commands, by command and outcome.",
		}, []string{"command", "outcome"}),
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markbot_webhook_events_handled_total", Help: "Webhook events the worker finished handling, by event type.",
		}, []string{"event"}),
		replays: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "markbot_webhook_replays_total", Help: "Signed webhook events handled before and seen again, under any delivery id (ignored).",
		}),
		replies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "markbot_replies_total", Help: "Replies to comment commands, by outcome (posted, rate_limited, failed).",
		}, []string{"outcome"}),
	}
	m.reg.MustRegister(m.cycles, m.cycleDuration, m.lastCycle, m.prsOpened, m.deliveries, m.commands, m.handled, m.replays, m.replies,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "markbot_webhook_bytes_in_flight", Help: "Bytes reserved by webhook bodies being read and verified.",
		}, func() float64 { return float64(s.admit.inFlight()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "markbot_event_queue_length", Help: "Accepted webhook events waiting for the worker.",
		}, func() float64 { return float64(len(s.queue)) }),
		&markerCollector{s: s, desc: prometheus.NewDesc("markbot_markers",
			"Markers in the state database, by state.", []string{"state"}, nil)},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// markerStates are every state a marker can be in.
var markerStates = []state.MarkerState{state.Proposed, state.Merged, state.Probing, state.Reverting,
	state.Reverted, state.Dropped, state.HumanOwned}

// markerCollector reads the markers from the state database at each scrape,
// so the gauge is never stale; a failed read reports the error to the
// scraper (promhttp answers 500) rather than zeros.
type markerCollector struct {
	s    *Server
	desc *prometheus.Desc
}

func (c *markerCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *markerCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	markers, err := c.s.o.Store.Markers(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.desc, err)
		return
	}
	counts := map[state.MarkerState]int{}
	for _, m := range markers {
		counts[m.State]++
	}
	for _, st := range markerStates {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}
