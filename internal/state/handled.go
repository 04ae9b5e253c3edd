package state

import (
	"context"
	"errors"
)

// ClaimEvent records that the webhook event identified by key is being
// acted on, and reports whether it was new: false means it was claimed
// before (by this process or an earlier one), and must not be acted on
// again. The claim is one INSERT, so two claims of one key never both
// succeed. Keys are kept for good: a payload replayed a year later is still
// refused.
func (s *Store) ClaimEvent(ctx context.Context, key string) (bool, error) {
	if key == "" {
		return false, errors.New("state: claiming an event needs a key")
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO handled_events (key, at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`,
		key, ts(s.now()))
	if err != nil {
		return false, s.errf("claiming event %q: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, s.errf("claiming event %q: %w", key, err)
	}
	return n == 1, nil
}
