// The front end's response compression: nginx with recommendedGzipSettings
// and recommendedBrotliSettings (NixOS/infra build/hydra-proxy.nix; the
// settings are nixpkgs' nixos/modules/services/web-servers/nginx), which
// compresses what Hydra answers when the client accepts it: brotli first,
// else gzip, level 5, for HTML, JSON, plain text and the like of at least
// 256 bytes. This is what makes a 170 MB evaluation page ≈9 MB on the wire.
package hydratest

import (
	"bufio"
	"compress/gzip"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"

	"github.com/andybalholm/brotli"
)

// compressTypes are nginx's gzip_types and brotli_types of the recommended
// settings, with text/html, which nginx always compresses.
var compressTypes = map[string]bool{
	"text/html": true, "text/css": true, "text/javascript": true, "text/xml": true, "text/plain": true,
	"text/x-component": true, "application/javascript": true, "application/x-javascript": true,
	"application/json": true, "application/xml": true, "application/rss+xml": true, "application/atom+xml": true,
	"image/svg+xml": true,
}

// acceptsEncoding reports whether an Accept-Encoding header accepts enc
// (q=0 refuses it).
func acceptsEncoding(h, enc string) bool {
	for _, part := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), enc) {
			continue
		}
		p := strings.ReplaceAll(params, " ", "")
		return !strings.HasPrefix(p, "q=0") || strings.HasPrefix(p, "q=0.") && strings.Trim(p[4:], "0") != ""
	}
	return false
}

// compressingWriter compresses the body when the answer qualifies, decided
// at WriteHeader. It passes flushes (streamed pages stay streamed) and
// hijacks (injected resets) through.
type compressingWriter struct {
	http.ResponseWriter
	accept  string
	decided bool
	enc     io.WriteCloser
}

func (c *compressingWriter) WriteHeader(code int) {
	if !c.decided {
		c.decided = true
		h := c.Header()
		mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
		small := h.Get("Content-Length") != "" && len(h.Get("Content-Length")) < 3 // under 100 bytes: below min_length 256
		if code == http.StatusOK && compressTypes[mt] && h.Get("Content-Encoding") == "" && !small {
			switch {
			case acceptsEncoding(c.accept, "br"):
				c.enc = brotli.NewWriterLevel(c.ResponseWriter, 5)
				h.Set("Content-Encoding", "br")
			case acceptsEncoding(c.accept, "gzip"):
				c.enc, _ = gzip.NewWriterLevel(c.ResponseWriter, 5)
				h.Set("Content-Encoding", "gzip")
			}
			if c.enc != nil {
				h.Del("Content-Length")
				h.Add("Vary", "Accept-Encoding")
			}
		}
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *compressingWriter) Write(p []byte) (int, error) {
	if !c.decided {
		if c.Header().Get("Content-Type") == "" {
			c.Header().Set("Content-Type", http.DetectContentType(p))
		}
		c.WriteHeader(http.StatusOK)
	}
	if c.enc != nil {
		return c.enc.Write(p)
	}
	return c.ResponseWriter.Write(p)
}

// close ends the compressed stream.
func (c *compressingWriter) close() {
	if c.enc != nil {
		c.enc.Close()
	}
}

func (c *compressingWriter) Flush() {
	if f, ok := c.enc.(interface{ Flush() error }); ok {
		f.Flush()
	}
	if fl, ok := c.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
}

func (c *compressingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := c.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	return hj.Hijack()
}

// Unwrap lets http.ResponseController reach the real writer.
func (c *compressingWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
