package state

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ProbeSource is where a probe result comes from.
type ProbeSource string

const (
	// ProbeHydra: a build of the Hydra jobset evaluated with allowBroken.
	ProbeHydra ProbeSource = "hydra"
	// ProbeLocal: the configured local build command.
	ProbeLocal ProbeSource = "local"
)

// Probe is what one probe learnt about one attribute of a marker on one
// system.
type Probe struct {
	ID     int64
	Marker int64
	Attr   string
	System string
	Source ProbeSource
	// Drv is the derivation (hash part of its store path) the result is
	// about, "" when unknown.
	Drv string
	// OK: the attribute built (Hydra status 0, or the command exited 0).
	OK bool
	// Eval, Build and URL are the Hydra probe evaluation and build.
	Eval  int64
	Build int64
	URL   string
	// Log is the local build's log file.
	Log string
	// Detail says what happened, for people ("exit status 1", "timed out
	// after 3h0m0s", "Hydra status 2 (dependency failed)").
	Detail string
	At     time.Time
}

// RecordProbes stores probe results (At defaults to now) in one
// transaction and returns them with their ids.
func (s *Store) RecordProbes(ctx context.Context, ps []Probe) ([]Probe, error) {
	now := s.now().UTC()
	out := make([]Probe, len(ps))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for i, p := range ps {
			switch {
			case p.Marker <= 0 || p.Attr == "" || p.System == "":
				return fmt.Errorf("state: probe needs a marker, an attribute and a system (got %d, %q, %q)", p.Marker, p.Attr, p.System)
			case p.Source != ProbeHydra && p.Source != ProbeLocal:
				return fmt.Errorf("state: probe of %s on %s: unknown source %q", p.Attr, p.System, p.Source)
			}
			if p.At.IsZero() {
				p.At = now
			}
			ok := 0
			if p.OK {
				ok = 1
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO probes (marker_id, attr, system, source, drv, ok, eval_id, build_id, build_url, log_path, detail, at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				p.Marker, p.Attr, p.System, string(p.Source), p.Drv, ok, p.Eval, p.Build, p.URL, p.Log, p.Detail, ts(p.At))
			if err != nil {
				return s.errf("recording the probe of %s on %s: %w", p.Attr, p.System, err)
			}
			if p.ID, err = res.LastInsertId(); err != nil {
				return err
			}
			out[i] = p
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// LatestProbes returns the newest probe result of each attribute and
// system of marker id, by attribute and system.
func (s *Store) LatestProbes(ctx context.Context, id int64) ([]Probe, error) {
	return queryList(ctx, s, `SELECT id, marker_id, attr, system, source, drv, ok, eval_id, build_id, build_url, log_path, detail, at
		FROM probes p WHERE marker_id = ? AND id = (SELECT max(id) FROM probes q WHERE q.marker_id = p.marker_id AND q.attr = p.attr AND q.system = p.system)
		ORDER BY attr, system`, []any{id}, scanProbe)
}

func scanProbe(r scanner) (Probe, error) {
	var p Probe
	var src string
	var ok int
	var at int64
	err := r.Scan(&p.ID, &p.Marker, &p.Attr, &p.System, &src, &p.Drv, &ok, &p.Eval, &p.Build, &p.URL, &p.Log, &p.Detail, &at)
	p.Source, p.OK, p.At = ProbeSource(src), ok == 1, fromTS(at)
	return p, err
}
