package hydra

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// decodeBody undoes a Content-Encoding. The returned close function (may be
// nil) releases the decoder.
func decodeBody(encoding string, r io.Reader) (io.Reader, func(), error) {
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "", "identity":
		return r, nil, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip body: %w", err)
		}
		return zr, func() { zr.Close() }, nil
	case "br":
		return brotli.NewReader(r), nil, nil
	case "zstd":
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(64<<20))
		if err != nil {
			return nil, nil, fmt.Errorf("zstd body: %w", err)
		}
		return zr, zr.Close, nil
	default:
		return nil, nil, fmt.Errorf("unsupported Content-Encoding %q", encoding)
	}
}

// ErrLogTooLarge is returned by LogTail for a log longer than
// Options.MaxLogBytes.
var ErrLogTooLarge = errors.New("build log larger than the read limit")

// maxLineLen caps each line LogTail keeps; longer lines are cut.
const maxLineLen = 4096

// LogTail returns the last n lines of a build's log. It follows Hydra's
// redirects to the raw log (on hydra.nixos.org: to the binary cache, which
// serves it brotli- or zstd-compressed), decompresses it, and reads at most
// Options.MaxLogBytes while keeping only the last n lines in memory.
func (c *Client) LogTail(ctx context.Context, buildID int64, n int) ([]string, error) {
	if n <= 0 {
		return nil, nil
	}
	u := c.URL("build/" + strconv.FormatInt(buildID, 10) + "/log/raw")
	var lines []string
	err := c.fetch(ctx, u, "text/plain, */*;q=0.5", true, func(r *response) error {
		mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type"))
		if mt == "text/html" {
			return fmt.Errorf("GET %s (from %s): answered an HTML page, not a log", r.url, u)
		}
		var err error
		lines, err = tailLines(r.body, n, c.opts.MaxLogBytes)
		if err != nil {
			if isTransient(err) {
				return &transientError{fmt.Errorf("GET %s (from %s): reading the log: %w", r.url, u, err)}
			}
			return fmt.Errorf("GET %s (from %s): reading the log: %w", r.url, u, err)
		}
		return nil
	})
	return lines, err
}

// tailLines returns the last n lines of r (without their newlines), reading
// at most limit bytes.
func tailLines(r io.Reader, n int, limit int64) ([]string, error) {
	lr := &io.LimitedReader{R: r, N: limit + 1}
	br := bufio.NewReaderSize(lr, 64<<10)
	ring := make([]string, n)
	count := 0
	var line []byte
	for {
		frag, isPrefix, err := br.ReadLine()
		if len(line) < maxLineLen {
			line = append(line, frag[:min(len(frag), maxLineLen-len(line))]...)
		}
		if err == nil && !isPrefix {
			ring[count%n] = string(bytes.TrimSuffix(line, []byte("\r")))
			count++
			line = line[:0]
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if lr.N <= 0 {
		return nil, fmt.Errorf("%w (%d bytes)", ErrLogTooLarge, limit)
	}
	k := min(count, n)
	out := make([]string, 0, k)
	for i := count - k; i < count; i++ {
		out = append(out, ring[i%n])
	}
	return out, nil
}
