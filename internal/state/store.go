// Package state is markbot's memory: its single concern is persisting what
// the bot did and saw, in an embedded SQLite database (modernc.org/sqlite,
// pure Go) — markers and their life cycle, the pull requests that carry
// them, Hydra evaluations already read, attributes not to propose again for
// a while, and an append-only event log. Callers use typed methods; no SQL
// leaves the package. The schema is versioned (PRAGMA user_version), each
// migration runs in its own transaction, and a database this markbot does
// not understand is refused with an error naming the file.
package state

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// applicationID marks a SQLite file as markbot's ("mkbt").
const applicationID = 0x6d6b6274

// ErrNotFound is returned when a marker, pull request or skip does not exist.
var ErrNotFound = errors.New("state: not found")

// Options configure Open.
type Options struct {
	// BusyTimeout is how long a write waits for another writer (default 5s).
	BusyTimeout time.Duration
	// Now replaces the clock (default time.Now).
	Now func() time.Time
	// Init allows an existing empty (zero-length) file to become a new
	// database. Without it such a file is refused: it is what a truncated
	// copy, a full disk or a failed restore leaves, and taking it for a
	// fresh database would silently forget every marker and pull request.
	// A missing file is created either way; a non-empty one is never reset.
	Init bool
}

// ErrEmptyFile is wrapped by Open's error for a zero-length database file
// without Options.Init.
var ErrEmptyFile = errors.New("the file is empty (0 bytes), not a markbot state database")

// Store is an open state database. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
	now  func() time.Time
}

// Open opens (creating it and its parent directories if needed) the state
// database at path and brings its schema up to date. An existing empty file
// is refused unless opts.Init (ErrEmptyFile).
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("state: no database path configured")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("state: %s: path must not contain '?' or '#'", path)
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("state: %s: %w", path, err)
	}
	switch fi, err := os.Stat(path); {
	case err == nil && fi.IsDir():
		return nil, fmt.Errorf("state: %s: is a directory", path)
	case err == nil && fi.Size() == 0 && !opts.Init:
		// A database markbot made is never empty: Open writes its header
		// before anything else.
		return nil, fmt.Errorf("state: %s: %w: a truncated copy, a full disk or a failed restore leaves one, and starting afresh would forget every marker and pull request markbot tracks; restore the file, or delete it (or pass --init where the command offers it) to start with an empty state", path, ErrEmptyFile)
	}
	dsn := fmt.Sprintf("%s?_busy_timeout=%d&_txlock=immediate&_pragma=foreign_keys(1)", path, opts.BusyTimeout.Milliseconds())
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("state: %s: %w", path, err)
	}
	s := &Store{db: db, path: path, now: opts.Now}
	if err := s.init(ctx, migrations); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) errf(format string, args ...any) error {
	return fmt.Errorf("state: %s: "+format, append([]any{s.path}, args...)...)
}

// init checks that the file is a SQLite database markbot can use, switches
// it to WAL, and migrates it.
func (s *Store) init(ctx context.Context, migs []migration) error {
	var version, appID int64
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return s.errf("not a readable SQLite database (corrupt or not a markbot state file?): %w", err)
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&appID); err != nil {
		return s.errf("reading application id: %w", err)
	}
	if appID != 0 && appID != applicationID {
		return s.errf("not a markbot state database (application id %#x)", appID)
	}
	if version > int64(len(migs)) {
		return s.errf("schema version %d is newer than this markbot (%d): upgrade markbot", version, len(migs))
	}
	if version == 0 {
		var tables int
		if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table'").Scan(&tables); err != nil {
			return s.errf("not a readable SQLite database (corrupt?): %w", err)
		}
		if tables > 0 {
			return s.errf("database has tables but no markbot schema version: refusing to touch it")
		}
	}
	var check string
	if err := s.db.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&check); err != nil || check != "ok" {
		if err == nil {
			err = errors.New(check)
		}
		return s.errf("database is corrupt: %w", err)
	}
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return s.errf("enabling WAL: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return s.errf("enabling WAL: journal mode is %q", mode)
	}
	return s.migrate(ctx, migs)
}

// SchemaVersion is the database's schema version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, s.errf("reading schema version: %w", err)
	}
	return v, nil
}

// tx runs fn in a transaction (BEGIN IMMEDIATE, see the DSN).
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.errf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.errf("commit: %w", err)
	}
	return nil
}

// ts and fromTS store times as Unix nanoseconds (UTC), exact on round trip.
func ts(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromTS(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}
