package hydra

import (
	"fmt"
	"io"
	"time"
)

// progress shows how a long stream advances: builds read, megabytes, rate.
// It writes nothing unless Options.Progress is set (the CLI sets it only
// when stderr is a terminal).
type progress struct {
	w       io.Writer
	eval    int64
	start   time.Time
	last    time.Time
	builds  int64
	bytes   int64
	printed bool
}

func (c *Client) newProgress(eval int64) *progress {
	now := time.Now()
	return &progress{w: c.opts.Progress, eval: eval, start: now, last: now}
}

// tick is called once per build; it looks at the clock every 1024 builds.
func (p *progress) tick() {
	if p.w == nil || p.builds%1024 != 0 {
		return
	}
	if now := time.Now(); now.Sub(p.last) >= 500*time.Millisecond {
		p.last = now
		p.print(now)
	}
}

func (p *progress) print(now time.Time) {
	secs := now.Sub(p.start).Seconds()
	mb := float64(p.bytes) / 1e6
	fmt.Fprintf(p.w, "\revaluation %d: %d builds, %.1f MB, %.1f MB/s   ", p.eval, p.builds, mb, mb/max(secs, 1e-3))
	p.printed = true
}

func (p *progress) done() {
	if p.w != nil && p.printed {
		p.print(time.Now())
		fmt.Fprintln(p.w)
	}
}

// countingReader adds the bytes read to *n.
type countingReader struct {
	r io.Reader
	n *int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	*c.n += int64(n)
	return n, err
}
