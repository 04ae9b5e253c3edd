package hydra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

func ingestTestClient(t *testing.T, base string, read ReadMode) *Client {
	t.Helper()
	l := logrus.New()
	l.SetOutput(io.Discard)
	c, err := New(Options{BaseURL: base, Read: read, Rate: 1000, Burst: 10, MinBackoff: time.Millisecond,
		MaxBackoff: 5 * time.Millisecond, MaxAttempts: 4, Logger: l})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// buildsJSON writes n builds as /eval/{id}/builds does.
func buildsJSON(n int) string {
	var parts []string
	for i := 1; i <= n; i++ {
		parts = append(parts, fmt.Sprintf(`{"id":%d,"job":"p%d.x86_64-linux","system":"x86_64-linux","finished":1,"buildstatus":1,"starttime":100,"stoptime":160,"drvpath":"/nix/store/x.drv"}`, i, i))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// A short answer (half the builds, or none) is never cached as the
// evaluation's truth: the evaluation lists its member builds, and a run
// against the honest server afterwards reads everything.
func TestIngestShortAnswerIsNotCached(t *testing.T) {
	for _, short := range []int{0, 2} {
		t.Run(fmt.Sprint(short), func(t *testing.T) {
			honest := false
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				n := short
				if honest {
					n = 4
				}
				io.WriteString(w, buildsJSON(n))
			}))
			defer srv.Close()
			c := ingestTestClient(t, srv.URL, ReadBuilds)
			cache, err := OpenCache(t.TempDir(), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			var e Eval
			if err := json.Unmarshal([]byte(`{"id":7,"timestamp":50,"builds":[1,2,3,4]}`), &e); err != nil || e.Members != 4 {
				t.Fatalf("eval %+v, %v", e, err)
			}
			_, err = c.Ingest(context.Background(), cache, e)
			var ie *IncompleteError
			if !errors.As(err, &ie) || ie.Read != short || ie.Members != 4 || cache.Has(7) {
				t.Fatalf("short answer: err %v, cached %v", err, cache.Has(7))
			}
			honest = true
			if cached, err := c.Ingest(context.Background(), cache, e); err != nil || cached {
				t.Fatalf("honest answer: cached %v, %v", cached, err)
			}
			er, err := cache.Load(7, nil)
			if err != nil || len(er.Records) != 4 || er.Records[3].Seconds != 60 {
				t.Fatalf("loaded %+v, %v", er, err)
			}
		})
	}
}

// One 504 from /eval/{id}/builds means the front end already waited its
// proxy timeout: it is not asked again, and the error says what to do.
func TestBuilds504IsFinal(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusGatewayTimeout)
		io.WriteString(w, "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center><hr><center>nginx</center></body></html>\n")
	}))
	defer srv.Close()
	c := ingestTestClient(t, srv.URL, ReadBuilds)
	cache, _ := OpenCache(t.TempDir(), srv.URL)
	_, err := c.Ingest(context.Background(), cache, Eval{ID: 9})
	if err == nil || !strings.Contains(err.Error(), "504") || !strings.Contains(err.Error(), "hydra.read: page") || hits.Load() != 1 {
		t.Fatalf("err %v after %d requests; want one request and advice", err, hits.Load())
	}
	// Other endpoints still retry a 504 (a proxy hiccup).
	hits.Store(0)
	if _, err := c.Build(context.Background(), 5); err == nil || hits.Load() != 4 {
		t.Errorf("GET /build/5: %v after %d requests, want 4 attempts", err, hits.Load())
	}
}

func TestContactRequiredForHydraNixosOrg(t *testing.T) {
	for _, u := range []string{"https://hydra.nixos.org", "https://HYDRA.nixos.org:443/", "https://hydra.nixos.org./"} {
		if _, err := New(Options{BaseURL: u}); err == nil || !strings.Contains(err.Error(), "hydra.contact") {
			t.Errorf("%s without contact: %v", u, err)
		}
	}
	c, err := New(Options{BaseURL: "https://hydra.nixos.org", Contact: "ops@example.org"})
	if err != nil || !strings.HasSuffix(c.opts.UserAgent, "; ops@example.org)") || !strings.HasPrefix(c.opts.UserAgent, "markbot/") {
		t.Errorf("with contact: %v, UA %q", err, c.opts.UserAgent)
	}
	if _, err := New(Options{BaseURL: "https://hydra.example.org"}); err != nil {
		t.Errorf("another Hydra needs no contact: %v", err)
	}
	if _, err := New(Options{BaseURL: "https://hydra.example.org", Read: "all"}); err == nil {
		t.Error("read mode all accepted")
	}
}

// Requests to one host never run in parallel, also from several clients.
func TestOneRequestAtATimePerHost(t *testing.T) {
	var inFlight, most atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":1,"finished":1,"buildstatus":0}`)
	}))
	defer srv.Close()
	a, b := ingestTestClient(t, srv.URL, ReadPage), ingestTestClient(t, srv.URL, ReadPage)
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Build(context.Background(), 1); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if most.Load() != 1 {
		t.Errorf("%d requests ran at once", most.Load())
	}
}

func TestEvalMembersAreCounted(t *testing.T) {
	p, err := DecodeEvalsPage(strings.NewReader(`{"evals":[{"id":2,"builds":[5,6,7],"jobsetevalinputs":{"nixpkgs":{"revision":"abc"}}},{"id":1,"BUILDS":[],"extra":{"builds":[1]}}],"next":"?page=2"}`))
	if err != nil || len(p.Evals) != 2 || p.Evals[0].Members != 3 || p.Evals[1].Members != 0 || p.Evals[0].NixpkgsRevision() != "abc" {
		t.Fatalf("page %+v, %v", p, err)
	}
	var e Eval
	if err := json.Unmarshal([]byte(`{"id":3,"timestamp":9,"builds":[1,2]}`), &e); err != nil || e.ID != 3 || e.Timestamp != 9 || e.Members != 2 {
		t.Errorf("eval %+v, %v", e, err)
	}
	for _, bad := range []string{`{"id":3,"builds":["x"]}`, `{"id":3,"builds":[1,`, `[1]`} {
		if err := json.Unmarshal([]byte(bad), &e); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// A cached build is final only when it succeeded: a failed or unfinished
// one is asked for again, since a restart changes it in place.
func TestBuildDetailCache(t *testing.T) {
	hits := map[string]int{}
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/build/5":
			io.WriteString(w, `{"id":5,"finished":1,"buildstatus":0,"starttime":10,"stoptime":70}`)
		case "/build/6":
			io.WriteString(w, `{"id":6,"finished":1,"buildstatus":1,"starttime":10,"stoptime":90}`)
		case "/build/7":
			io.WriteString(w, `{"id":7,"finished":0,"buildstatus":null}`)
		}
	}))
	defer srv.Close()
	c := ingestTestClient(t, srv.URL, ReadPage)
	cache, _ := OpenCache(t.TempDir(), srv.URL)
	for i := 0; i < 2; i++ {
		for _, id := range []int64{5, 6, 7} {
			b, err := c.BuildDetail(context.Background(), cache, id)
			if err != nil || b.ID != id {
				t.Fatalf("build %d: %+v, %v", id, b, err)
			}
		}
	}
	if hits["/build/5"] != 1 || hits["/build/6"] != 2 || hits["/build/7"] != 2 {
		t.Errorf("requests %v; want build 5 once (succeeded: cached), 6 and 7 twice", hits)
	}
}
