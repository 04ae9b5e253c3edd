package state

// The conditional-request cache (schema version 4): GitHub answers that
// carried an ETag, kept so that the next read of the same resource can be
// sent with If-None-Match and a 304 answered from here (internal/ghcache).
// Bounded: one entry's body is at most MaxCachedBody, and every write
// evicts what is older than the limits' age, beyond their count, or beyond
// their total size (least recently used first).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

var etagsSchema = []string{
	// key is the caller's (method, URL, media type, credential identity);
	// header is the caller's encoding of the answer's headers, opaque here.
	`CREATE TABLE etags (
		key       TEXT    PRIMARY KEY CHECK (key <> ''),
		etag      TEXT    NOT NULL CHECK (etag <> ''),
		header    BLOB    NOT NULL,
		body      BLOB    NOT NULL,
		size      INTEGER NOT NULL CHECK (size >= 0),
		stored_at INTEGER NOT NULL,
		used_at   INTEGER NOT NULL
	)`,
	`CREATE INDEX etags_used ON etags(used_at)`,
}

// Caps on one cached answer. An answer over them is not stored
// (ErrTooLarge): the next read is unconditional, as without a cache.
const (
	MaxCachedBody   = 1 << 20  // bytes of body
	MaxCachedHeader = 64 << 10 // bytes of encoded headers
	MaxCachedKey    = 4 << 10  // bytes of key
	MaxCachedETag   = 1 << 10  // bytes of ETag
)

// ErrTooLarge is returned by PutCachedResponse for an answer over the caps.
var ErrTooLarge = errors.New("state: cached answer over the size caps")

// CachedResponse is one stored answer.
type CachedResponse struct {
	Key    string
	ETag   string
	Header []byte
	Body   []byte
	// StoredAt is when the answer was last stored (a 200); UsedAt when it
	// was last stored or confirmed by a 304.
	StoredAt, UsedAt time.Time
}

// CacheLimits bound the whole cache; zero fields take the defaults.
type CacheLimits struct {
	MaxEntries int           // default 5000
	MaxBytes   int64         // bodies and headers, default 64 MiB
	MaxAge     time.Duration // since last use, default 30 days
}

func (l CacheLimits) withDefaults() CacheLimits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = 5000
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = 64 << 20
	}
	if l.MaxAge <= 0 {
		l.MaxAge = 30 * 24 * time.Hour
	}
	return l
}

// CachedResponse returns the answer stored under key, or ErrNotFound.
func (s *Store) CachedResponse(ctx context.Context, key string) (CachedResponse, error) {
	r := CachedResponse{Key: key}
	var stored, used int64
	err := s.db.QueryRowContext(ctx, `SELECT etag, header, body, stored_at, used_at FROM etags WHERE key = ?`, key).
		Scan(&r.ETag, &r.Header, &r.Body, &stored, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return CachedResponse{}, ErrNotFound
	}
	if err != nil {
		return CachedResponse{}, s.errf("reading cached answer: %w", err)
	}
	if r.Header == nil {
		r.Header = []byte{}
	}
	if r.Body == nil {
		r.Body = []byte{}
	}
	r.StoredAt, r.UsedAt = fromTS(stored), fromTS(used)
	return r, nil
}

// PutCachedResponse stores r under r.Key (replacing what was there), then
// evicts beyond lim. An answer over the caps is not stored, and what was
// stored under its key is deleted (it no longer describes the resource):
// ErrTooLarge.
func (s *Store) PutCachedResponse(ctx context.Context, r CachedResponse, lim CacheLimits) error {
	if r.Key == "" || r.ETag == "" {
		return errors.New("state: a cached answer needs a key and an ETag")
	}
	if len(r.Key) > MaxCachedKey || len(r.ETag) > MaxCachedETag || len(r.Header) > MaxCachedHeader || len(r.Body) > MaxCachedBody {
		if err := s.DeleteCachedResponse(ctx, r.Key); err != nil {
			return err
		}
		return fmt.Errorf("%w: key %d, ETag %d, headers %d, body %d bytes (caps %d, %d, %d, %d)", ErrTooLarge,
			len(r.Key), len(r.ETag), len(r.Header), len(r.Body), MaxCachedKey, MaxCachedETag, MaxCachedHeader, MaxCachedBody)
	}
	lim = lim.withDefaults()
	now := ts(s.now())
	header, body := r.Header, r.Body
	if header == nil {
		header = []byte{}
	}
	if body == nil {
		body = []byte{}
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO etags (key, etag, header, body, size, stored_at, used_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET etag = excluded.etag, header = excluded.header, body = excluded.body,
				size = excluded.size, stored_at = excluded.stored_at, used_at = excluded.used_at`,
			r.Key, r.ETag, header, body, len(header)+len(body), now, now); err != nil {
			return s.errf("storing cached answer: %w", err)
		}
		return s.evictCache(ctx, tx, lim, now)
	})
}

// evictCache deletes entries unused for lim.MaxAge, then the least
// recently used beyond lim.MaxEntries or lim.MaxBytes.
func (s *Store) evictCache(ctx context.Context, tx *sql.Tx, lim CacheLimits, now int64) error {
	stmts := []struct {
		q    string
		args []any
	}{
		{`DELETE FROM etags WHERE used_at < ?`, []any{now - lim.MaxAge.Nanoseconds()}},
		{`DELETE FROM etags WHERE key IN (SELECT key FROM etags ORDER BY used_at DESC, key LIMIT -1 OFFSET ?)`, []any{lim.MaxEntries}},
		{`DELETE FROM etags WHERE key IN (SELECT key FROM
			(SELECT key, sum(size) OVER (ORDER BY used_at DESC, key ROWS UNBOUNDED PRECEDING) AS total FROM etags)
			WHERE total > ?)`, []any{lim.MaxBytes}},
	}
	for _, st := range stmts {
		if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
			return s.errf("evicting cached answers: %w", err)
		}
	}
	return nil
}

// TouchCachedResponse records that the answer under key was confirmed (a
// 304), so eviction keeps it. A missing key is not an error.
func (s *Store) TouchCachedResponse(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE etags SET used_at = ? WHERE key = ?`, ts(s.now()), key); err != nil {
		return s.errf("touching cached answer: %w", err)
	}
	return nil
}

// DeleteCachedResponse forgets the answer under key (missing: no error).
func (s *Store) DeleteCachedResponse(ctx context.Context, key string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM etags WHERE key = ?`, key); err != nil {
		return s.errf("deleting cached answer: %w", err)
	}
	return nil
}

// CachedResponses is the number of stored answers and their total size.
func (s *Store) CachedResponses(ctx context.Context) (n int, bytes int64, err error) {
	if err := s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(size), 0) FROM etags`).Scan(&n, &bytes); err != nil {
		return 0, 0, s.errf("counting cached answers: %w", err)
	}
	return n, bytes, nil
}
