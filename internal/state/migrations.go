package state

import (
	"context"
	"database/sql"
	"fmt"
)

// migration brings the schema from version-1 to version.
type migration struct {
	name  string
	stmts []string
}

// migrations are applied in order; migrations[i] produces version i+1.
// Never edit a released migration: append a new one.
var migrations = []migration{
	{name: "initial schema", stmts: []string{
		`CREATE TABLE markers (
			id         INTEGER PRIMARY KEY,
			attr       TEXT    NOT NULL CHECK (attr <> ''),
			attrs      TEXT    NOT NULL DEFAULT '[]',
			file       TEXT    NOT NULL CHECK (file <> ''),
			line       INTEGER NOT NULL CHECK (line >= 0),
			systems    TEXT    NOT NULL DEFAULT '[]',
			build_id   INTEGER NOT NULL DEFAULT 0,
			build_url  TEXT    NOT NULL DEFAULT '',
			since      INTEGER NOT NULL DEFAULT 0,
			state      TEXT    NOT NULL CHECK (state IN ('proposed','merged','probing','reverting','reverted','dropped','human-owned')),
			pr         INTEGER NOT NULL DEFAULT 0,
			revert_pr  INTEGER NOT NULL DEFAULT 0,
			created_at INTEGER NOT NULL,
			updated_at INTEGER NOT NULL
		)`,
		// One live marker per attribute; finished ones are history.
		`CREATE UNIQUE INDEX markers_live_attr ON markers(attr) WHERE state NOT IN ('reverted','dropped','human-owned')`,
		`CREATE INDEX markers_state ON markers(state)`,
		`CREATE INDEX markers_pr ON markers(pr)`,
		`CREATE TABLE prs (
			number     INTEGER PRIMARY KEY CHECK (number > 0),
			kind       TEXT    NOT NULL CHECK (kind IN ('mark','unmark')),
			branch     TEXT    NOT NULL,
			head_sha   TEXT    NOT NULL DEFAULT '',
			attrs      TEXT    NOT NULL DEFAULT '[]',
			state      TEXT    NOT NULL CHECK (state IN ('open','merged','closed')),
			created_at INTEGER NOT NULL,
			updated_at INTEGER NOT NULL
		)`,
		`CREATE INDEX prs_state ON prs(state)`,
		`CREATE TABLE evaluations (
			id           INTEGER PRIMARY KEY,
			jobset       TEXT    NOT NULL,
			evaluated_at INTEGER NOT NULL,
			fetched_at   INTEGER NOT NULL
		)`,
		`CREATE INDEX evaluations_jobset ON evaluations(jobset, id)`,
		`CREATE TABLE skips (
			attr       TEXT    PRIMARY KEY,
			reason     TEXT    NOT NULL,
			until      INTEGER NOT NULL,
			created_at INTEGER NOT NULL
		)`,
		`CREATE TABLE events (
			id      INTEGER PRIMARY KEY AUTOINCREMENT,
			at      INTEGER NOT NULL,
			kind    TEXT    NOT NULL CHECK (kind <> ''),
			attr    TEXT    NOT NULL DEFAULT '',
			pr      INTEGER NOT NULL DEFAULT 0,
			message TEXT    NOT NULL DEFAULT '',
			details TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(details))
		)`,
		`CREATE INDEX events_attr ON events(attr, id)`,
		`CREATE INDEX events_pr ON events(pr, id)`,
		`CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
			BEGIN SELECT RAISE(ABORT, 'events are append-only'); END`,
		`CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
			BEGIN SELECT RAISE(ABORT, 'events are append-only'); END`,
		fmt.Sprintf(`PRAGMA application_id = %d`, applicationID),
	}},
	{name: "probe results", stmts: []string{
		// One row per attribute and system a probe looked at: a build of the
		// allowBroken Hydra jobset or a local build. The newest row per
		// (marker, attr, system) is what the revert loop knows; drv is the
		// derivation it concerns, so a changed derivation makes the marker due.
		`CREATE TABLE probes (
			id         INTEGER PRIMARY KEY,
			marker_id  INTEGER NOT NULL REFERENCES markers(id),
			attr       TEXT    NOT NULL CHECK (attr <> ''),
			system     TEXT    NOT NULL CHECK (system <> ''),
			source     TEXT    NOT NULL CHECK (source IN ('hydra','local')),
			drv        TEXT    NOT NULL DEFAULT '',
			ok         INTEGER NOT NULL CHECK (ok IN (0, 1)),
			eval_id    INTEGER NOT NULL DEFAULT 0,
			build_id   INTEGER NOT NULL DEFAULT 0,
			build_url  TEXT    NOT NULL DEFAULT '',
			log_path   TEXT    NOT NULL DEFAULT '',
			detail     TEXT    NOT NULL DEFAULT '',
			at         INTEGER NOT NULL
		)`,
		`CREATE INDEX probes_marker ON probes(marker_id, attr, system, id)`,
	}},
	{name: "handled webhook events", stmts: []string{
		// The webhook events markbot acted on, by what their signed payload
		// identifies (a comment's id; a pull request event's number, action
		// and updated_at), so that a replayed payload, even under a fresh
		// delivery id and after a restart, is acted on once (ClaimEvent).
		`CREATE TABLE handled_events (
			key TEXT    PRIMARY KEY CHECK (key <> ''),
			at  INTEGER NOT NULL
		) WITHOUT ROWID`,
	}},
	{name: "conditional request cache", stmts: etagsSchema},
}

// SchemaVersion is the schema version this markbot writes.
func SchemaVersion() int { return len(migrations) }

// migrate applies the migrations the database lacks, each in a transaction
// that also records the new version, so a failure leaves the previous
// version intact.
func (s *Store) migrate(ctx context.Context, migs []migration) error {
	for i, m := range migs {
		version := i + 1
		err := s.tx(ctx, func(tx *sql.Tx) error {
			// Re-read under the write lock: another process may have migrated.
			var current int
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
				return err
			}
			if current >= version {
				return nil
			}
			for _, stmt := range m.stmts {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version))
			return err
		})
		if err != nil {
			return s.errf("migrating to schema version %d (%s): %w", version, m.name, err)
		}
	}
	return nil
}
