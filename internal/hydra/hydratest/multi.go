package hydratest

import (
	"bufio"
	"net"
	"net/http"
)

// Multi serves several fakes (one jobset each) at one URL, as one Hydra
// serves many jobsets: a request goes to the first fake that knows it
// (answers anything but 404), else to the last. The fakes' evaluation and
// build ids must not overlap.
//
// Only a fake's status and headers are held back until its status is known;
// the body of the fake that answers goes straight to the client (streamed,
// flushed, hijacked: faults that cut or stall a body behave as with one
// fake), and the body of a 404 is discarded.
func Multi(fakes ...http.Handler) http.Handler {
	return multi(fakes)
}

type multi []http.Handler

func (m multi) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, h := range m[:len(m)-1] {
		pw := &probeWriter{w: w, header: http.Header{}}
		h.ServeHTTP(pw, r)
		if pw.state != probeNotFound {
			pw.decide(http.StatusOK) // a handler that wrote nothing answered 200
			return
		}
	}
	m[len(m)-1].ServeHTTP(w, r)
}

type probeState int

const (
	probeUndecided probeState = iota
	probeNotFound             // the answer is a 404, discarded
	probeThrough              // the answer goes to w
)

// probeWriter holds back the status and headers of a fake's answer until
// its status is known: a 404 is discarded, anything else written to w.
type probeWriter struct {
	w      http.ResponseWriter
	header http.Header
	state  probeState
}

func (p *probeWriter) Header() http.Header {
	if p.state == probeThrough {
		return p.w.Header()
	}
	return p.header
}

// decide settles the status of the answer, if not yet done.
func (p *probeWriter) decide(code int) {
	if p.state != probeUndecided {
		return
	}
	if code == http.StatusNotFound {
		p.state = probeNotFound
		return
	}
	p.state = probeThrough
	h := p.w.Header()
	for k, v := range p.header {
		h[k] = v
	}
	p.w.WriteHeader(code)
}

func (p *probeWriter) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		// Informational answers do not decide (as with net/http).
		if p.state == probeThrough {
			p.w.WriteHeader(code)
		}
		return
	}
	p.decide(code)
}

func (p *probeWriter) Write(b []byte) (int, error) {
	p.decide(http.StatusOK)
	if p.state == probeNotFound {
		return len(b), nil
	}
	return p.w.Write(b)
}

// Flush sends the answer so far (deciding it is a 200 if nothing was
// written, as net/http does).
func (p *probeWriter) Flush() {
	p.decide(http.StatusOK)
	if p.state != probeThrough {
		return
	}
	if fl, ok := p.w.(http.Flusher); ok {
		fl.Flush()
	}
}

// Hijack hands the connection over: the fake answers, whatever it does.
func (p *probeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := p.w.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	conn, rw, err := hj.Hijack()
	if err == nil {
		p.state = probeThrough
	}
	return conn, rw, err
}

// Unwrap lets http.ResponseController reach the real writer.
func (p *probeWriter) Unwrap() http.ResponseWriter { return p.w }
