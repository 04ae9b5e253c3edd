package state

import (
	"bytes"
	"errors"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// manualClock moves only when told.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func openManual(t *testing.T) (*Store, *manualClock) {
	t.Helper()
	c := &manualClock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	s, err := Open(ctx, filepath.Join(t.TempDir(), "markbot.db"), Options{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, c
}

func cachedKeys(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.db.QueryContext(ctx, `SELECT key FROM etags`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestCachedResponseRoundTrip: what is stored comes back byte for byte,
// also after reopening; a second store replaces the first; Touch moves
// UsedAt only.
func TestCachedResponseRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "markbot.db")
	s := open(t, path)
	if _, err := s.CachedResponse(ctx, "GET x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing key: %v, want ErrNotFound", err)
	}
	in := CachedResponse{Key: "GET x", ETag: `W/"abc"`, Header: []byte(`{"Link":["<u>; rel=\"next\""]}`), Body: []byte{0, 1, 2, 0xff}}
	if err := s.PutCachedResponse(ctx, in, CacheLimits{}); err != nil {
		t.Fatal(err)
	}
	got, err := s.CachedResponse(ctx, "GET x")
	if err != nil || got.ETag != in.ETag || !bytes.Equal(got.Header, in.Header) || !bytes.Equal(got.Body, in.Body) || got.StoredAt.IsZero() || !got.StoredAt.Equal(got.UsedAt) {
		t.Fatalf("got %+v, %v; want %+v", got, err, in)
	}
	if err := s.TouchCachedResponse(ctx, "GET x"); err != nil {
		t.Fatal(err)
	}
	touched, _ := s.CachedResponse(ctx, "GET x")
	if !touched.StoredAt.Equal(got.StoredAt) || !touched.UsedAt.After(got.UsedAt) {
		t.Errorf("touch: stored %v→%v, used %v→%v", got.StoredAt, touched.StoredAt, got.UsedAt, touched.UsedAt)
	}
	if err := s.TouchCachedResponse(ctx, "GET missing"); err != nil {
		t.Errorf("touching a missing key: %v", err)
	}
	in2 := CachedResponse{Key: "GET x", ETag: `"def"`, Body: []byte("new")}
	if err := s.PutCachedResponse(ctx, in2, CacheLimits{}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2 := open(t, path)
	got, err = s2.CachedResponse(ctx, "GET x")
	if err != nil || got.ETag != `"def"` || string(got.Body) != "new" || len(got.Header) != 0 {
		t.Fatalf("after replace and reopen: %+v, %v", got, err)
	}
	if n, size, err := s2.CachedResponses(ctx); err != nil || n != 1 || size != 3 {
		t.Errorf("CachedResponses = %d, %d, %v; want 1, 3", n, size, err)
	}
	if err := s2.DeleteCachedResponse(ctx, "GET x"); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.CachedResponse(ctx, "GET x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
}

// TestCachedResponseCaps: an answer over a cap is refused and forgets what
// its key held; invalid entries are refused.
func TestCachedResponseCaps(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "markbot.db"))
	for _, tc := range []struct {
		name string
		r    CachedResponse
		want string
	}{
		{"body", CachedResponse{ETag: `"e"`, Body: make([]byte, MaxCachedBody+1)}, "body 1048577 bytes"},
		{"header", CachedResponse{ETag: `"e"`, Header: make([]byte, MaxCachedHeader+1)}, "headers 65537"},
		{"etag", CachedResponse{ETag: strings.Repeat("e", MaxCachedETag+1)}, "ETag 1025"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := "GET " + tc.name
			if err := s.PutCachedResponse(ctx, CachedResponse{Key: key, ETag: `"old"`, Body: []byte("old")}, CacheLimits{}); err != nil {
				t.Fatal(err)
			}
			tc.r.Key = key
			err := s.PutCachedResponse(ctx, tc.r, CacheLimits{})
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrTooLarge naming %q", err, tc.want)
			}
			if _, err := s.CachedResponse(ctx, key); !errors.Is(err, ErrNotFound) {
				t.Errorf("the old answer is still stored: %v", err)
			}
		})
	}
	if err := s.PutCachedResponse(ctx, CachedResponse{Key: strings.Repeat("k", MaxCachedKey+1), ETag: `"e"`}, CacheLimits{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("long key: %v", err)
	}
	// Exactly at the cap is stored.
	if err := s.PutCachedResponse(ctx, CachedResponse{Key: "GET max", ETag: `"e"`, Body: make([]byte, MaxCachedBody)}, CacheLimits{}); err != nil {
		t.Errorf("body at the cap: %v", err)
	}
	for _, r := range []CachedResponse{{ETag: `"e"`}, {Key: "GET k"}} {
		if err := s.PutCachedResponse(ctx, r, CacheLimits{}); err == nil || errors.Is(err, ErrTooLarge) {
			t.Errorf("PutCachedResponse(%+v) = %v, want a refusal", r, err)
		}
	}
}

// TestCachedResponseEviction: by age since last use, by count and by total
// size, least recently used first; a touch keeps an entry.
func TestCachedResponseEviction(t *testing.T) {
	for _, tc := range []struct {
		name string
		lim  CacheLimits
		// put a, b, c (one second apart, 10 bytes each), touch a, wait, put d
		wait time.Duration
		want []string
	}{
		{"within limits", CacheLimits{}, time.Second, []string{"a", "b", "c", "d"}},
		// a was touched after c was put: it is newer than b and c.
		{"count", CacheLimits{MaxEntries: 3}, time.Second, []string{"a", "c", "d"}},
		// Every write evicts: putting c already dropped a, before the touch.
		{"count, evicted before the touch", CacheLimits{MaxEntries: 2}, time.Second, []string{"c", "d"}},
		{"bytes", CacheLimits{MaxBytes: 25}, time.Second, []string{"c", "d"}},
		{"bytes exact", CacheLimits{MaxBytes: 30}, time.Second, []string{"a", "c", "d"}},
		{"age", CacheLimits{MaxAge: time.Hour}, time.Hour, []string{"a", "d"}},
		{"age: all old but the new one", CacheLimits{MaxAge: time.Minute}, 2 * time.Minute, []string{"d"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c := openManual(t)
			put := func(k string) {
				t.Helper()
				if err := s.PutCachedResponse(ctx, CachedResponse{Key: k, ETag: `"` + k + `"`, Body: []byte("0123456789")}, tc.lim); err != nil {
					t.Fatal(err)
				}
			}
			for _, k := range []string{"a", "b", "c"} {
				put(k)
				c.advance(time.Second)
			}
			if err := s.TouchCachedResponse(ctx, "a"); err != nil {
				t.Fatal(err)
			}
			c.advance(tc.wait)
			put("d")
			if got := cachedKeys(t, s); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("kept %v, want %v", got, tc.want)
			}
		})
	}
}
