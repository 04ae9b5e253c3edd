package hydratest

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
)

// The front end compresses Hydra's answers as nginx's recommended settings
// do: brotli when accepted, else gzip, never when the client refuses both,
// and not error pages.
func TestFrontEndCompresses(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1770000000, 0)}
	fe := HydraNixosOrg(New(comparedScenario()), FrontEndOptions{Now: clock.Now, Sleep: clock.Sleep})
	srv := httptest.NewServer(fe)
	defer srv.Close()
	get := func(path, accept, enc string) (*http.Response, []byte) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("User-Agent", descriptiveUA)
		req.Header.Set("Accept-Encoding", enc)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	_, plain := get("/eval/101", "", "identity")
	for _, tt := range []struct{ accept, want string }{
		{"br, zstd, gzip", "br"}, {"gzip", "gzip"}, {"gzip;q=0, br;q=0", ""}, {"zstd", ""}, {"identity", ""},
	} {
		resp, body := get("/eval/101", "", tt.accept)
		if got := resp.Header.Get("Content-Encoding"); got != tt.want {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", tt.accept, got, tt.want)
			continue
		}
		var r io.Reader = bytes.NewReader(body)
		switch tt.want {
		case "br":
			r = brotli.NewReader(r)
		case "gzip":
			zr, err := gzip.NewReader(r)
			if err != nil {
				t.Fatal(err)
			}
			r = zr
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, plain) {
			t.Errorf("Accept-Encoding %q: the body does not decode to the page (%v)", tt.accept, err)
		}
		if tt.want != "" && (len(body) >= len(plain) || resp.Header.Get("Content-Length") != "" || !slices.Contains(resp.Header.Values("Vary"), "Accept-Encoding")) {
			t.Errorf("Accept-Encoding %q: %d bytes for a %d-byte page, Content-Length %q, Vary %q", tt.accept, len(body), len(plain),
				resp.Header.Get("Content-Length"), resp.Header.Values("Vary"))
		}
	}
	// JSON is compressed too; errors are not.
	if resp, _ := get("/eval/101", "application/json", "br"); resp.Header.Get("Content-Encoding") != "br" {
		t.Errorf("JSON: Content-Encoding %q", resp.Header.Get("Content-Encoding"))
	}
	if resp, _ := get("/build/999999", "application/json", "br"); resp.StatusCode != 404 || resp.Header.Get("Content-Encoding") != "" {
		t.Errorf("404: %d, Content-Encoding %q", resp.StatusCode, resp.Header.Get("Content-Encoding"))
	}
}
