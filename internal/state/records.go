package state

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MarkerState is where a marker is in its life cycle.
type MarkerState string

const (
	// Proposed: in an open mark PR.
	Proposed MarkerState = "proposed"
	// Merged: on the base branch; waiting for the package to build again.
	Merged MarkerState = "merged"
	// Probing: a probe (allowBroken jobset or local build) is running.
	Probing MarkerState = "probing"
	// Reverting: in an open unmark PR.
	Reverting MarkerState = "reverting"
	// Reverted: the unmark PR was merged (final).
	Reverted MarkerState = "reverted"
	// Dropped: the mark PR was closed without merging (final).
	Dropped MarkerState = "dropped"
	// HumanOwned: a human edited or removed the marker; the bot lets go (final).
	HumanOwned MarkerState = "human-owned"
)

// markerTransitions lists the legal moves.
var markerTransitions = map[MarkerState][]MarkerState{
	Proposed:  {Merged, Dropped, HumanOwned},
	Merged:    {Probing, Reverting, HumanOwned},
	Probing:   {Merged, Reverting, HumanOwned},
	Reverting: {Reverted, Merged, HumanOwned},
}

// Final reports whether no transition leaves s.
func (s MarkerState) Final() bool { return s == Reverted || s == Dropped || s == HumanOwned }

// Valid reports whether s is a known state.
func (s MarkerState) Valid() bool {
	_, live := markerTransitions[s]
	return live || s.Final()
}

// CanTransition reports whether a marker may move from one state to another.
func CanTransition(from, to MarkerState) bool {
	for _, t := range markerTransitions[from] {
		if t == to {
			return true
		}
	}
	return false
}

// TransitionError is an illegal state change.
type TransitionError struct {
	What     string // "marker 3", "PR #12"
	From, To string
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("state: %s: illegal transition %s → %s", e.What, e.From, e.To)
}

// Marker is one broken-marker the bot inserted (or proposed) in nixpkgs.
type Marker struct {
	ID int64
	// Attr is the attribute the marker is tracked by; Attrs every attribute
	// sharing the derivation (including Attr).
	Attr  string
	Attrs []string
	File  string
	Line  int
	// Systems the marker covers (empty: all).
	Systems []string
	// BuildID and BuildURL are the Hydra build given as evidence.
	BuildID  int64
	BuildURL string
	// Since is when the package started failing.
	Since    time.Time
	State    MarkerState
	PR       int // the mark PR (0: none yet)
	RevertPR int // the unmark PR (0: none)
	Created  time.Time
	Updated  time.Time
}

// ErrLiveMarker is returned by AddMarker when the attribute already has a
// marker that is not final.
var ErrLiveMarker = errors.New("state: attribute already has a live marker")

func marshalList(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func unmarshalList(s string) ([]string, error) {
	var v []string
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

// AddMarker records a new marker in state Proposed (m.State must be empty
// or Proposed) and returns it with its ID and timestamps.
func (s *Store) AddMarker(ctx context.Context, m Marker) (Marker, error) {
	if m.State == "" {
		m.State = Proposed
	}
	switch {
	case m.State != Proposed:
		return Marker{}, fmt.Errorf("state: new marker for %s must start as %s, not %s", m.Attr, Proposed, m.State)
	case m.Attr == "" || m.File == "":
		return Marker{}, fmt.Errorf("state: new marker needs an attribute and a file (got %q, %q)", m.Attr, m.File)
	case m.Line < 0:
		return Marker{}, fmt.Errorf("state: marker for %s: negative line %d", m.Attr, m.Line)
	}
	if !contains(m.Attrs, m.Attr) {
		m.Attrs = append([]string{m.Attr}, m.Attrs...)
	}
	now := s.now().UTC()
	m.Created, m.Updated = now, now
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM markers WHERE attr = ? AND state NOT IN ('reverted','dropped','human-owned')`, m.Attr).Scan(&n); err != nil {
			return s.errf("adding marker for %s: %w", m.Attr, err)
		}
		if n > 0 {
			return fmt.Errorf("%w: %s", ErrLiveMarker, m.Attr)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO markers (attr, attrs, file, line, systems, build_id, build_url, since, state, pr, revert_pr, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.Attr, marshalList(m.Attrs), m.File, m.Line, marshalList(m.Systems), m.BuildID, m.BuildURL, ts(m.Since),
			string(m.State), m.PR, m.RevertPR, ts(now), ts(now))
		if err != nil {
			return s.errf("adding marker for %s: %w", m.Attr, err)
		}
		m.ID, err = res.LastInsertId()
		if err != nil {
			return err
		}
		return logEvent(ctx, tx, Event{At: now, Kind: "marker.proposed", Attr: m.Attr, PR: m.PR,
			Message: fmt.Sprintf("marker %d proposed in %s:%d", m.ID, m.File, m.Line)})
	})
	if err != nil {
		return Marker{}, err
	}
	return m, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

const markerCols = `id, attr, attrs, file, line, systems, build_id, build_url, since, state, pr, revert_pr, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanMarker(r scanner) (Marker, error) {
	var m Marker
	var attrs, systems, st string
	var since, created, updated int64
	if err := r.Scan(&m.ID, &m.Attr, &attrs, &m.File, &m.Line, &systems, &m.BuildID, &m.BuildURL, &since, &st, &m.PR, &m.RevertPR, &created, &updated); err != nil {
		return Marker{}, err
	}
	var err error
	if m.Attrs, err = unmarshalList(attrs); err != nil {
		return Marker{}, fmt.Errorf("marker %d attrs: %w", m.ID, err)
	}
	if m.Systems, err = unmarshalList(systems); err != nil {
		return Marker{}, fmt.Errorf("marker %d systems: %w", m.ID, err)
	}
	m.State = MarkerState(st)
	m.Since, m.Created, m.Updated = fromTS(since), fromTS(created), fromTS(updated)
	return m, nil
}

// Marker returns the marker with id (ErrNotFound if none).
func (s *Store) Marker(ctx context.Context, id int64) (Marker, error) {
	m, err := scanMarker(s.db.QueryRowContext(ctx, `SELECT `+markerCols+` FROM markers WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Marker{}, fmt.Errorf("marker %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Marker{}, s.errf("reading marker %d: %w", id, err)
	}
	return m, nil
}

// LiveMarker returns the attribute's marker that is not final, if any.
func (s *Store) LiveMarker(ctx context.Context, attr string) (Marker, bool, error) {
	m, err := scanMarker(s.db.QueryRowContext(ctx, `SELECT `+markerCols+` FROM markers
		WHERE attr = ? AND state NOT IN ('reverted','dropped','human-owned')`, attr))
	if errors.Is(err, sql.ErrNoRows) {
		return Marker{}, false, nil
	}
	if err != nil {
		return Marker{}, false, s.errf("reading marker for %s: %w", attr, err)
	}
	return m, true, nil
}

// Markers lists markers in the given states (all when none), by ID.
func (s *Store) Markers(ctx context.Context, states ...MarkerState) ([]Marker, error) {
	q := `SELECT ` + markerCols + ` FROM markers`
	var args []any
	if len(states) > 0 {
		q += ` WHERE state IN (` + strings.TrimSuffix(strings.Repeat("?,", len(states)), ",") + `)`
		for _, st := range states {
			args = append(args, string(st))
		}
	}
	return queryList(ctx, s, q+` ORDER BY id`, args, scanMarker)
}

// MarkersForPR lists the markers whose mark or revert PR is number.
func (s *Store) MarkersForPR(ctx context.Context, number int) ([]Marker, error) {
	return queryList(ctx, s, `SELECT `+markerCols+` FROM markers WHERE pr = ? OR revert_pr = ? ORDER BY id`, []any{number, number}, scanMarker)
}

func queryList[T any](ctx context.Context, s *Store, q string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.errf("query: %w", err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.errf("scan: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.errf("query: %w", err)
	}
	return out, nil
}

// TransitionMarker moves marker id to state to, validating the move, and
// logs a "marker.<to>" event with message, in one transaction.
func (s *Store) TransitionMarker(ctx context.Context, id int64, to MarkerState, message string) (Marker, error) {
	var out Marker
	err := s.tx(ctx, func(tx *sql.Tx) error {
		m, err := scanMarker(tx.QueryRowContext(ctx, `SELECT `+markerCols+` FROM markers WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("marker %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return s.errf("reading marker %d: %w", id, err)
		}
		if !CanTransition(m.State, to) {
			return &TransitionError{What: fmt.Sprintf("marker %d (%s)", id, m.Attr), From: string(m.State), To: string(to)}
		}
		now := s.now().UTC()
		if _, err := tx.ExecContext(ctx, `UPDATE markers SET state = ?, updated_at = ? WHERE id = ?`, string(to), ts(now), id); err != nil {
			return s.errf("updating marker %d: %w", id, err)
		}
		m.State, m.Updated = to, now
		out = m
		pr := m.PR
		if to == Reverting || to == Reverted {
			pr = m.RevertPR
		}
		return logEvent(ctx, tx, Event{At: now, Kind: "marker." + string(to), Attr: m.Attr, PR: pr, Message: message})
	})
	return out, err
}

// SetMarkerPR records the marker's mark PR (revert=false) or unmark PR.
func (s *Store) SetMarkerPR(ctx context.Context, id int64, number int, revert bool) error {
	col := "pr"
	if revert {
		col = "revert_pr"
	}
	return s.updateMarker(ctx, id, col+` = ?`, number)
}

// SetMarkerPosition updates where the marker sits (files move, lines shift).
func (s *Store) SetMarkerPosition(ctx context.Context, id int64, file string, line int) error {
	if file == "" || line < 0 {
		return fmt.Errorf("state: marker %d: invalid position %q:%d", id, file, line)
	}
	return s.updateMarker(ctx, id, `file = ?, line = ?`, file, line)
}

// SetMarkerEvidence updates the systems and evidence build of a marker.
func (s *Store) SetMarkerEvidence(ctx context.Context, id int64, systems []string, buildID int64, buildURL string) error {
	return s.updateMarker(ctx, id, `systems = ?, build_id = ?, build_url = ?`, marshalList(systems), buildID, buildURL)
}

func (s *Store) updateMarker(ctx context.Context, id int64, set string, args ...any) error {
	args = append(args, ts(s.now()), id)
	res, err := s.db.ExecContext(ctx, `UPDATE markers SET `+set+`, updated_at = ? WHERE id = ?`, args...)
	if err != nil {
		return s.errf("updating marker %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("marker %d: %w", id, ErrNotFound)
	}
	return nil
}

// --- pull requests ---

// PRKind says what a PR does.
type PRKind string

const (
	MarkPR   PRKind = "mark"
	UnmarkPR PRKind = "unmark"
)

// PRState mirrors GitHub's.
type PRState string

const (
	PROpen   PRState = "open"
	PRMerged PRState = "merged"
	PRClosed PRState = "closed"
)

var prTransitions = map[PRState][]PRState{
	PROpen:   {PRMerged, PRClosed},
	PRClosed: {PROpen, PRMerged}, // reopened; or merged outside (commits landed on base)
}

// PR is a pull request the bot opened.
type PR struct {
	Number  int
	Kind    PRKind
	Branch  string
	HeadSHA string
	Attrs   []string
	State   PRState
	Created time.Time
	Updated time.Time
}

const prCols = `number, kind, branch, head_sha, attrs, state, created_at, updated_at`

func scanPR(r scanner) (PR, error) {
	var p PR
	var kind, st, attrs string
	var created, updated int64
	if err := r.Scan(&p.Number, &kind, &p.Branch, &p.HeadSHA, &attrs, &st, &created, &updated); err != nil {
		return PR{}, err
	}
	var err error
	if p.Attrs, err = unmarshalList(attrs); err != nil {
		return PR{}, fmt.Errorf("PR #%d attrs: %w", p.Number, err)
	}
	p.Kind, p.State = PRKind(kind), PRState(st)
	p.Created, p.Updated = fromTS(created), fromTS(updated)
	return p, nil
}

// RecordPR stores a PR the bot opened (state Open if empty). Recording the
// same number again updates branch, head and attributes (idempotent after
// a crash) but never its kind or state.
func (s *Store) RecordPR(ctx context.Context, p PR) (PR, error) {
	if p.State == "" {
		p.State = PROpen
	}
	switch {
	case p.Number <= 0:
		return PR{}, fmt.Errorf("state: PR number %d is not positive", p.Number)
	case p.Kind != MarkPR && p.Kind != UnmarkPR:
		return PR{}, fmt.Errorf("state: PR #%d: unknown kind %q", p.Number, p.Kind)
	case p.State != PROpen && p.State != PRMerged && p.State != PRClosed:
		return PR{}, fmt.Errorf("state: PR #%d: unknown state %q", p.Number, p.State)
	}
	now := s.now().UTC()
	var out PR
	err := s.tx(ctx, func(tx *sql.Tx) error {
		old, err := scanPR(tx.QueryRowContext(ctx, `SELECT `+prCols+` FROM prs WHERE number = ?`, p.Number))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			p.Created, p.Updated = now, now
			if _, err := tx.ExecContext(ctx, `INSERT INTO prs (`+prCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				p.Number, string(p.Kind), p.Branch, p.HeadSHA, marshalList(p.Attrs), string(p.State), ts(now), ts(now)); err != nil {
				return s.errf("recording PR #%d: %w", p.Number, err)
			}
			out = p
			return logEvent(ctx, tx, Event{At: now, Kind: "pr.opened", PR: p.Number,
				Message: fmt.Sprintf("%s PR #%d on %s for %s", p.Kind, p.Number, p.Branch, strings.Join(p.Attrs, ", "))})
		case err != nil:
			return s.errf("reading PR #%d: %w", p.Number, err)
		}
		if old.Kind != p.Kind {
			return fmt.Errorf("state: PR #%d is recorded as a %s PR, not %s", p.Number, old.Kind, p.Kind)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE prs SET branch = ?, head_sha = ?, attrs = ?, updated_at = ? WHERE number = ?`,
			p.Branch, p.HeadSHA, marshalList(p.Attrs), ts(now), p.Number); err != nil {
			return s.errf("updating PR #%d: %w", p.Number, err)
		}
		old.Branch, old.HeadSHA, old.Attrs, old.Updated = p.Branch, p.HeadSHA, p.Attrs, now
		if len(old.Attrs) == 0 {
			old.Attrs = nil
		}
		out = old
		return nil
	})
	return out, err
}

// PR returns PR number (ErrNotFound if unknown).
func (s *Store) PR(ctx context.Context, number int) (PR, error) {
	p, err := scanPR(s.db.QueryRowContext(ctx, `SELECT `+prCols+` FROM prs WHERE number = ?`, number))
	if errors.Is(err, sql.ErrNoRows) {
		return PR{}, fmt.Errorf("PR #%d: %w", number, ErrNotFound)
	}
	if err != nil {
		return PR{}, s.errf("reading PR #%d: %w", number, err)
	}
	return p, nil
}

// PRs lists PRs in the given states (all when none), by number.
func (s *Store) PRs(ctx context.Context, states ...PRState) ([]PR, error) {
	q := `SELECT ` + prCols + ` FROM prs`
	var args []any
	if len(states) > 0 {
		q += ` WHERE state IN (` + strings.TrimSuffix(strings.Repeat("?,", len(states)), ",") + `)`
		for _, st := range states {
			args = append(args, string(st))
		}
	}
	return queryList(ctx, s, q+` ORDER BY number`, args, scanPR)
}

// SetPRState moves PR number to state to (validated) and logs "pr.<to>".
// Setting the state it already has is a no-op.
func (s *Store) SetPRState(ctx context.Context, number int, to PRState, message string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		p, err := scanPR(tx.QueryRowContext(ctx, `SELECT `+prCols+` FROM prs WHERE number = ?`, number))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("PR #%d: %w", number, ErrNotFound)
		}
		if err != nil {
			return s.errf("reading PR #%d: %w", number, err)
		}
		if p.State == to {
			return nil
		}
		legal := false
		for _, t := range prTransitions[p.State] {
			legal = legal || t == to
		}
		if !legal {
			return &TransitionError{What: fmt.Sprintf("PR #%d", number), From: string(p.State), To: string(to)}
		}
		now := s.now().UTC()
		if _, err := tx.ExecContext(ctx, `UPDATE prs SET state = ?, updated_at = ? WHERE number = ?`, string(to), ts(now), number); err != nil {
			return s.errf("updating PR #%d: %w", number, err)
		}
		return logEvent(ctx, tx, Event{At: now, Kind: "pr." + string(to), PR: number, Message: message})
	})
}

// --- evaluations ---

// Evaluation is a Hydra evaluation the bot has read.
type Evaluation struct {
	ID          int64
	Jobset      string // "nixpkgs/trunk"
	EvaluatedAt time.Time
	FetchedAt   time.Time
}

// RecordEvaluation remembers that an evaluation was read (finished
// evaluations never change). Recording it again is a no-op; it reports
// whether it was new. FetchedAt defaults to now.
func (s *Store) RecordEvaluation(ctx context.Context, e Evaluation) (bool, error) {
	if e.ID <= 0 || e.Jobset == "" {
		return false, fmt.Errorf("state: evaluation needs an id and a jobset (got %d, %q)", e.ID, e.Jobset)
	}
	if e.FetchedAt.IsZero() {
		e.FetchedAt = s.now()
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO evaluations (id, jobset, evaluated_at, fetched_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		e.ID, e.Jobset, ts(e.EvaluatedAt), ts(e.FetchedAt))
	if err != nil {
		return false, s.errf("recording evaluation %d: %w", e.ID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// EvaluationSeen reports whether evaluation id was recorded.
func (s *Store) EvaluationSeen(ctx context.Context, id int64) (bool, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM evaluations WHERE id = ?`, id).Scan(&n); err != nil {
		return false, s.errf("reading evaluation %d: %w", id, err)
	}
	return n > 0, nil
}

// Evaluations returns the newest limit evaluations of jobset (by id,
// newest first; limit <= 0: all).
func (s *Store) Evaluations(ctx context.Context, jobset string, limit int) ([]Evaluation, error) {
	if limit <= 0 {
		limit = -1
	}
	return queryList(ctx, s, `SELECT id, jobset, evaluated_at, fetched_at FROM evaluations WHERE jobset = ? ORDER BY id DESC LIMIT ?`,
		[]any{jobset, limit}, func(r scanner) (Evaluation, error) {
			var e Evaluation
			var ev, f int64
			err := r.Scan(&e.ID, &e.Jobset, &ev, &f)
			e.EvaluatedAt, e.FetchedAt = fromTS(ev), fromTS(f)
			return e, err
		})
}

// --- skips ---

// Skip keeps the bot from proposing a marker for Attr until Until.
type Skip struct {
	Attr    string
	Reason  string
	Until   time.Time
	Created time.Time
}

// AddSkip records (or replaces) a skip and logs "skip".
func (s *Store) AddSkip(ctx context.Context, attr, reason string, until time.Time) error {
	if attr == "" || until.IsZero() {
		return fmt.Errorf("state: skip needs an attribute and an end time (got %q, %v)", attr, until)
	}
	now := s.now().UTC()
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO skips (attr, reason, until, created_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (attr) DO UPDATE SET reason = excluded.reason, until = excluded.until, created_at = excluded.created_at`,
			attr, reason, ts(until), ts(now)); err != nil {
			return s.errf("recording skip for %s: %w", attr, err)
		}
		return logEvent(ctx, tx, Event{At: now, Kind: "skip", Attr: attr,
			Message: fmt.Sprintf("not proposing %s until %s: %s", attr, until.UTC().Format(time.RFC3339), reason)})
	})
}

// ActiveSkip returns attr's skip if it lasts beyond now.
func (s *Store) ActiveSkip(ctx context.Context, attr string, now time.Time) (Skip, bool, error) {
	var sk Skip
	var until, created int64
	err := s.db.QueryRowContext(ctx, `SELECT attr, reason, until, created_at FROM skips WHERE attr = ? AND until > ?`, attr, ts(now)).
		Scan(&sk.Attr, &sk.Reason, &until, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Skip{}, false, nil
	}
	if err != nil {
		return Skip{}, false, s.errf("reading skip for %s: %w", attr, err)
	}
	sk.Until, sk.Created = fromTS(until), fromTS(created)
	return sk, true, nil
}

// ActiveSkips lists skips lasting beyond now, by attribute.
func (s *Store) ActiveSkips(ctx context.Context, now time.Time) ([]Skip, error) {
	return queryList(ctx, s, `SELECT attr, reason, until, created_at FROM skips WHERE until > ? ORDER BY attr`, []any{ts(now)},
		func(r scanner) (Skip, error) {
			var sk Skip
			var until, created int64
			err := r.Scan(&sk.Attr, &sk.Reason, &until, &created)
			sk.Until, sk.Created = fromTS(until), fromTS(created)
			return sk, err
		})
}

// RemoveSkip deletes attr's skip (no error if there is none).
func (s *Store) RemoveSkip(ctx context.Context, attr string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM skips WHERE attr = ?`, attr); err != nil {
		return s.errf("removing skip for %s: %w", attr, err)
	}
	return nil
}

// --- events ---

// Event is one entry of the append-only log.
type Event struct {
	ID      int64
	At      time.Time // defaults to now
	Kind    string    // "marker.merged", "pr.opened", "cycle", ...
	Attr    string
	PR      int
	Message string
	// Details is a JSON object (default {}).
	Details json.RawMessage
}

// Log appends an event and returns its id.
func (s *Store) Log(ctx context.Context, e Event) (int64, error) {
	if e.At.IsZero() {
		e.At = s.now()
	}
	var id int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := logEvent(ctx, tx, e); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT last_insert_rowid()`).Scan(&id)
	})
	return id, err
}

func logEvent(ctx context.Context, tx *sql.Tx, e Event) error {
	if e.Kind == "" {
		return errors.New("state: event needs a kind")
	}
	details := "{}"
	if len(e.Details) > 0 {
		if !json.Valid(e.Details) {
			return fmt.Errorf("state: event %s: details are not valid JSON", e.Kind)
		}
		details = string(e.Details)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO events (at, kind, attr, pr, message, details) VALUES (?, ?, ?, ?, ?, ?)`,
		ts(e.At), e.Kind, e.Attr, e.PR, e.Message, details)
	if err != nil {
		return fmt.Errorf("state: logging %s event: %w", e.Kind, err)
	}
	return nil
}

// EventFilter selects events; zero fields match everything.
type EventFilter struct {
	Attr  string
	PR    int
	Kind  string // exact, or a prefix ending in "." ("marker.")
	Since time.Time
	Limit int // default 100
}

// Events returns matching events, newest first.
func (s *Store) Events(ctx context.Context, f EventFilter) ([]Event, error) {
	q := `SELECT id, at, kind, attr, pr, message, details FROM events WHERE 1=1`
	var args []any
	if f.Attr != "" {
		q += ` AND attr = ?`
		args = append(args, f.Attr)
	}
	if f.PR != 0 {
		q += ` AND pr = ?`
		args = append(args, f.PR)
	}
	if f.Kind != "" {
		if strings.HasSuffix(f.Kind, ".") {
			q += ` AND substr(kind, 1, ?) = ?`
			args = append(args, len(f.Kind), f.Kind)
		} else {
			q += ` AND kind = ?`
			args = append(args, f.Kind)
		}
	}
	if !f.Since.IsZero() {
		q += ` AND at >= ?`
		args = append(args, ts(f.Since))
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	return queryList(ctx, s, q, args, func(r scanner) (Event, error) {
		var e Event
		var at int64
		var details string
		err := r.Scan(&e.ID, &at, &e.Kind, &e.Attr, &e.PR, &e.Message, &details)
		e.At, e.Details = fromTS(at), json.RawMessage(details)
		return e, err
	})
}
