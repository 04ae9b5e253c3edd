package state

import (
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

// TestClaimEvent: a key is claimed once, also by concurrent claimers and
// after the database is reopened.
func TestClaimEvent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "markbot.db")
	s := open(t, path)
	for _, tc := range []struct {
		key  string
		want bool
	}{
		{"comment:1", true},
		{"comment:1", false},
		{"comment:2", true},
		{"pull_request:5:closed:2026-11-26T10:00:00Z", true},
		{"pull_request:5:closed:2026-11-26T10:00:00Z", false},
		{"pull_request:5:closed:2026-11-26T10:00:01Z", true},
	} {
		if got, err := s.ClaimEvent(ctx, tc.key); err != nil || got != tc.want {
			t.Errorf("ClaimEvent(%q) = %v, %v; want %v", tc.key, got, err, tc.want)
		}
	}
	if _, err := s.ClaimEvent(ctx, ""); err == nil {
		t.Error("an empty key was claimed")
	}
	var won atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := s.ClaimEvent(ctx, "comment:3"); err != nil {
				t.Error(err)
			} else if ok {
				won.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := won.Load(); n != 1 {
		t.Errorf("%d concurrent claims of one key won, want 1", n)
	}
	s.Close()
	s = open(t, path)
	if got, err := s.ClaimEvent(ctx, "comment:1"); err != nil || got {
		t.Errorf("after reopening: ClaimEvent = %v, %v; want false", got, err)
	}
}
