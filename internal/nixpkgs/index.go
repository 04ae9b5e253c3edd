// Package nixpkgs knows the shape of nixpkgs as seen from outside: its single
// concern is mapping between names. It reads the packages index
// (packages.json or the channels' brotli packages.json.br) into a compact
// in-memory Index that maps an attribute path to its meta.position (file and
// line), maintainers (GitHub login and id), teams, broken flag and platforms;
// it turns Hydra job names into attribute paths; and it groups attributes
// that share one derivation position.
package nixpkgs

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/andybalholm/brotli"

	"github.com/nixpkgs-markbot/markbot/internal/limits"
)

// Maintainer is one entry of meta.maintainers. Old indexes give plain
// "Name <email>" strings: then only Name and Email are set.
type Maintainer struct {
	Name   string
	Email  string
	GitHub string // login; "" if unknown
	// GitHubID is the stable account id (logins change, ids do not); 0 if unknown.
	GitHubID int64
}

// Team is one entry of meta.teams. A team backed by a GitHub team
// (maintainers/team-list.nix's github attribute) has its slug, its id and
// its members synced from GitHub (maintainers/computed-team-list.nix);
// others list their members by hand.
type Team struct {
	ShortName string
	// GitHub is the team slug in the NixOS organisation ("" if none).
	GitHub string
	// GitHubID is the GitHub team's id (0 if unknown).
	GitHubID int64
	Members  []Maintainer
}

// Package is what the index knows about one attribute path.
type Package struct {
	Attr                 string
	Name, PName, Version string
	System               string
	// Position is meta.position normalised to a repository path
	// ("pkgs/by-name/he/hello/package.nix:45"); "" if the index has none.
	Position string
	// File and Line are Position parsed (File "" and Line 0 if unparsable).
	File        string
	Line        int
	Description string
	// Maintainers is meta.maintainers: in current nixpkgs every person
	// listed directly and every member of every team in Teams
	// (pkgs/stdenv/generic/check-meta.nix merges them).
	Maintainers []Maintainer
	// NonTeamMaintainers is meta.nonTeamMaintainers, the people listed
	// directly (check-meta.nix: the package's nonTeamMaintainers, else its
	// maintainers), when HasNonTeamMaintainers says the index has the
	// field; older releases do not (see DirectMaintainers).
	NonTeamMaintainers    []Maintainer
	HasNonTeamMaintainers bool
	Teams                 []Team
	Broken                bool
	Platforms             []string
}

// DirectMaintainers are the people a package names itself, not through a
// team: meta.nonTeamMaintainers when the index has it (what nixpkgs' CI,
// ci/eval/compare/maintainers.nix, pings as users). An index without the
// field (an older release) gives meta.maintainers less the members of the
// package's GitHub-backed teams, who are reached through their team; the
// members of a team without a GitHub team stay, as the CI pings them one
// by one.
func (p Package) DirectMaintainers() []Maintainer {
	if p.HasNonTeamMaintainers {
		return p.NonTeamMaintainers
	}
	var out []Maintainer
	for _, m := range p.Maintainers {
		if !p.inGitHubTeam(m) {
			out = append(out, m)
		}
	}
	return out
}

// inGitHubTeam reports whether m is a member of one of p's teams that has
// a GitHub team (by id, else by login).
func (p Package) inGitHubTeam(m Maintainer) bool {
	for _, t := range p.Teams {
		if t.GitHub == "" {
			continue
		}
		for _, x := range t.Members {
			switch {
			case m.GitHubID > 0 && x.GitHubID > 0:
				if m.GitHubID == x.GitHubID {
					return true
				}
			case m.GitHub != "" && strings.EqualFold(m.GitHub, x.GitHub):
				return true
			}
		}
	}
	return false
}

// pkg is the compact stored form; slices are interned and shared.
type pkg struct {
	name, pname, version, system string
	file                         string
	line                         int32
	position                     string
	description                  string
	maintainers                  []*Maintainer
	// nonTeam is meta.nonTeamMaintainers (hasNonTeam: present); it shares
	// maintainers' backing array when it is a prefix of it, as it is for
	// every package check-meta.nix builds.
	nonTeam    []*Maintainer
	teams      []*Team
	platforms  []string
	broken     bool
	hasNonTeam bool
}

// Index maps attribute paths to packages. It is read-only once loaded and
// safe for concurrent use.
type Index struct {
	version  int
	source   string
	location string
	revision string
	pkgs     map[string]*pkg
}

// Version is the index file's "version" field (0 if absent).
func (ix *Index) Version() int { return ix.version }

// Source names where the index was read from.
func (ix *Index) Source() string { return ix.source }

// Location is where the index was read from after redirects: the path,
// or the final URL (a channel's packages.json.br redirects to its
// release's).
func (ix *Index) Location() string {
	if ix.location == "" {
		return ix.source
	}
	return ix.location
}

// Revision is the nixpkgs commit the index was generated from (its
// positions are that commit's lines); "" when unknown.
func (ix *Index) Revision() string { return ix.revision }

// WithRevision returns the index with its revision set to rev; the
// packages are shared (an Index is read-only).
func (ix *Index) WithRevision(rev string) *Index {
	cp := *ix
	cp.revision = rev
	return &cp
}

// Len is the number of attribute paths.
func (ix *Index) Len() int { return len(ix.pkgs) }

// Attrs returns every attribute path, sorted.
func (ix *Index) Attrs() []string {
	out := make([]string, 0, len(ix.pkgs))
	for a := range ix.pkgs {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the package at attribute path attr.
func (ix *Index) Lookup(attr string) (Package, bool) {
	p, ok := ix.pkgs[attr]
	if !ok {
		return Package{}, false
	}
	out := Package{
		Attr: attr, Name: p.name, PName: p.pname, Version: p.version, System: p.system,
		Position: p.position, File: p.file, Line: int(p.line), Description: p.description,
		Broken: p.broken, Platforms: append([]string(nil), p.platforms...),
	}
	for _, m := range p.maintainers {
		out.Maintainers = append(out.Maintainers, *m)
	}
	out.HasNonTeamMaintainers = p.hasNonTeam
	for _, m := range p.nonTeam {
		out.NonTeamMaintainers = append(out.NonTeamMaintainers, *m)
	}
	for _, t := range p.teams {
		tc := *t
		tc.Members = append([]Maintainer(nil), t.Members...)
		out.Teams = append(out.Teams, tc)
	}
	return out, true
}

// LoadOptions configure Load.
type LoadOptions struct {
	// Client fetches http(s) sources (default http.DefaultClient).
	Client *http.Client
	// UserAgent is sent with http(s) requests.
	UserAgent string
	// StripPrefixes are removed from positions in addition to /nix/store
	// paths (e.g. the absolute path of a local checkout, with a final "/").
	StripPrefixes []string
	// Revision, if known, is the nixpkgs commit the index was generated
	// from (Index.Revision).
	Revision string
}

// Load reads an index from a local path or an http(s) URL. Brotli is
// recognised by a ".br" suffix, a "Content-Encoding: br" answer, or content
// that does not start like JSON.
func Load(ctx context.Context, source string, opts LoadOptions) (*Index, error) {
	var body io.ReadCloser
	location := source
	brotliHint := strings.HasSuffix(source, ".br")
	if u, err := url.Parse(source); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		brotliHint = strings.HasSuffix(u.Path, ".br")
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, source, nil)
		if err != nil {
			return nil, fmt.Errorf("nixpkgs: %s: %w", source, err)
		}
		if opts.UserAgent != "" {
			req.Header.Set("User-Agent", opts.UserAgent)
		}
		client := opts.Client
		if client == nil {
			client = http.DefaultClient
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("nixpkgs: fetching %s: %w", source, err)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("nixpkgs: fetching %s: %s", source, resp.Status)
		}
		if strings.EqualFold(strings.TrimSpace(resp.Header.Get("Content-Encoding")), "br") {
			brotliHint = true
		}
		location = resp.Request.URL.String()
		body = resp.Body
	} else {
		f, err := os.Open(source)
		if err != nil {
			return nil, fmt.Errorf("nixpkgs: %w", err)
		}
		body = f
	}
	defer body.Close()
	r := io.Reader(body)
	if brotliHint {
		r = brotliReader(body)
	}
	ix, err := read(ctx, r, source, !brotliHint, opts)
	if err != nil {
		return nil, err
	}
	ix.location = location
	return ix, nil
}

// Read reads an index (plain JSON, or brotli detected from the content) from
// r; source names it in errors.
func Read(r io.Reader, source string) (*Index, error) {
	return read(context.Background(), r, source, true, LoadOptions{})
}

// ReadContext is Read with a context (which ends the parse) and options
// (StripPrefixes, Revision; Client and UserAgent are not used).
func ReadContext(ctx context.Context, r io.Reader, source string, opts LoadOptions) (*Index, error) {
	return read(ctx, r, source, true, opts)
}

func read(ctx context.Context, r io.Reader, source string, sniff bool, opts LoadOptions) (*Index, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if sniff {
		// JSON starts with '{' after optional whitespace or a BOM; anything
		// else is tried as brotli (which has no magic number).
		peek, _ := br.Peek(512)
		s := strings.TrimLeft(strings.TrimPrefix(string(peek), "\ufeff"), " \t\r\n")
		if len(s) > 0 && !strings.ContainsRune(`{["-0123456789tfn`, rune(s[0])) {
			br = bufio.NewReaderSize(brotliReader(br), 64<<10)
		} else if strings.HasPrefix(string(peek), "\ufeff") {
			br.Discard(len("\ufeff"))
		}
	}
	// One package's entry is a few kB (its meta); the whole nixpkgs index
	// is a few hundred MB uncompressed. A value beyond either is an error,
	// not memory spent (internal/limits).
	lim := limits.NewReader(br, maxIndexBytes, "the packages index", maxPackageBytes, "one package's entry")
	p := &parser{source: source, dec: json.NewDecoder(lim), lim: lim, in: newInterner(), strip: opts.StripPrefixes, ctx: ctx}
	ix, err := p.parse()
	if err != nil {
		return nil, err
	}
	ix.source, ix.revision = source, opts.Revision
	return ix, nil
}

// brotliReader decompresses r, labelling decompression errors as such.
func brotliReader(r io.Reader) io.Reader { return &labelled{r: brotli.NewReader(r)} }

type labelled struct{ r io.Reader }

func (l *labelled) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("brotli: %w", err)
	}
	return n, err
}

// ParseError is a malformed index, located by byte offset (of the
// uncompressed JSON) and, when known, the attribute being read.
type ParseError struct {
	Source string
	Offset int64
	Attr   string
	Err    error
}

func (e *ParseError) Error() string {
	where := fmt.Sprintf("byte %d", e.Offset)
	if e.Attr != "" {
		where += fmt.Sprintf(" (package %q)", e.Attr)
	}
	return fmt.Sprintf("nixpkgs: %s: %s: %v", e.Source, where, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Caps on the packages index (uncompressed).
const (
	maxIndexBytes   = 2 << 30
	maxPackageBytes = 1 << 20
)

type parser struct {
	ctx    context.Context
	source string
	dec    *json.Decoder
	lim    *limits.Reader
	in     *interner
	strip  []string
	attr   string
}

func (p *parser) fail(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return &ParseError{Source: p.source, Offset: p.dec.InputOffset(), Attr: p.attr, Err: err}
}

func (p *parser) delim(want json.Delim, what string) error {
	tok, err := p.dec.Token()
	if err != nil {
		return p.fail(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return p.fail(fmt.Errorf("%s: expected %q, found %v", what, want, tok))
	}
	return nil
}

func (p *parser) parse() (*Index, error) {
	ix := &Index{pkgs: map[string]*pkg{}}
	if err := p.delim('{', "top level"); err != nil {
		return nil, err
	}
	sawPackages := false
	for p.dec.More() {
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		switch key {
		case "version":
			// A number in nix-env's index, a string ("2") in the one
			// pkgs/top-level/packages-info.nix writes for the channels.
			var raw json.RawMessage
			if err := p.dec.Decode(&raw); err != nil {
				return nil, p.fail(fmt.Errorf("version: %w", err))
			}
			v := strings.Trim(string(raw), `"`)
			n, err := strconv.Atoi(v)
			if err != nil {
				return nil, p.fail(fmt.Errorf("version %s is not an integer", raw))
			}
			ix.version = n
		case "packages":
			if sawPackages {
				return nil, p.fail(errors.New(`duplicate "packages"`))
			}
			sawPackages = true
			if err := p.packages(ix); err != nil {
				return nil, err
			}
		default:
			var skip json.RawMessage
			if err := p.dec.Decode(&skip); err != nil {
				return nil, p.fail(fmt.Errorf("%s: %w", key, err))
			}
		}
	}
	if err := p.delim('}', "top level"); err != nil {
		return nil, err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		if err == nil {
			err = errors.New("data after the top-level object")
		}
		return nil, p.fail(err)
	}
	if !sawPackages {
		return nil, p.fail(errors.New(`no "packages" object`))
	}
	return ix, nil
}

func (p *parser) key() (string, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return "", p.fail(err)
	}
	k, ok := tok.(string)
	if !ok {
		return "", p.fail(fmt.Errorf("expected a key, found %v", tok))
	}
	return k, nil
}

// rawPackage holds one package while it is converted; every field is raw so
// that a field of an unexpected type is ignored rather than fatal.
type rawPackage struct {
	Name    json.RawMessage `json:"name"`
	PName   json.RawMessage `json:"pname"`
	Version json.RawMessage `json:"version"`
	System  json.RawMessage `json:"system"`
	Meta    json.RawMessage `json:"meta"`
}

type rawMeta struct {
	Position    json.RawMessage `json:"position"`
	Description json.RawMessage `json:"description"`
	Maintainers json.RawMessage `json:"maintainers"`
	NonTeam     json.RawMessage `json:"nonTeamMaintainers"`
	Teams       json.RawMessage `json:"teams"`
	Broken      json.RawMessage `json:"broken"`
	Platforms   json.RawMessage `json:"platforms"`
}

func (p *parser) packages(ix *Index) error {
	if err := p.delim('{', `"packages"`); err != nil {
		return err
	}
	n := 0
	for p.dec.More() {
		p.lim.Mark()
		attr, err := p.key()
		if err != nil {
			return err
		}
		p.attr = attr
		if n++; n%4096 == 0 && p.ctx.Err() != nil {
			return p.ctx.Err()
		}
		var raw json.RawMessage
		if err := p.dec.Decode(&raw); err != nil {
			return p.fail(err)
		}
		var rp rawPackage
		if err := json.Unmarshal(raw, &rp); err != nil {
			return p.fail(fmt.Errorf("package is not an object: %w", err))
		}
		if _, dup := ix.pkgs[attr]; dup {
			return p.fail(errors.New("duplicate attribute path"))
		}
		ix.pkgs[attr] = p.convert(&rp)
	}
	p.attr = ""
	return p.delim('}', `"packages"`)
}

func str(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

func (p *parser) convert(rp *rawPackage) *pkg {
	out := &pkg{
		name:    str(rp.Name),
		pname:   p.in.str(str(rp.PName)),
		version: str(rp.Version),
		system:  p.in.str(str(rp.System)),
	}
	var meta rawMeta
	if len(rp.Meta) == 0 || json.Unmarshal(rp.Meta, &meta) != nil {
		return out
	}
	if pos := str(meta.Position); pos != "" {
		out.position = NormalizePosition(pos, p.strip...)
		if f, l, ok := ParsePosition(out.position); ok {
			out.file = p.in.str(f)
			out.line = int32(l)
		}
		out.position = p.in.str(out.position)
	}
	out.description = str(meta.Description)
	_ = json.Unmarshal(meta.Broken, &out.broken)
	out.maintainers = p.maintainers(meta.Maintainers)
	if len(meta.NonTeam) > 0 && string(meta.NonTeam) != "null" {
		// A list of another type is ignored as the other fields are, but
		// the field counts as present: the package then names nobody
		// directly rather than everyone.
		out.hasNonTeam = true
		out.nonTeam = shareIfPrefix(p.maintainers(meta.NonTeam), out.maintainers)
	}
	out.teams = p.teams(meta.Teams)
	out.platforms = p.platforms(meta.Platforms)
	return out
}

type rawMaintainer struct {
	Name     json.RawMessage `json:"name"`
	Email    json.RawMessage `json:"email"`
	GitHub   json.RawMessage `json:"github"`
	GitHubID json.RawMessage `json:"githubId"`
}

// parseMaintainer accepts the object form or an old "Name <email>" string.
func parseMaintainer(raw json.RawMessage) (Maintainer, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		s = strings.TrimSpace(s)
		if s == "" {
			return Maintainer{}, false
		}
		m := Maintainer{Name: s}
		if lt := strings.LastIndex(s, "<"); lt >= 0 && strings.HasSuffix(s, ">") {
			m.Name = strings.TrimSpace(s[:lt])
			m.Email = s[lt+1 : len(s)-1]
		}
		return m, true
	}
	var rm rawMaintainer
	if json.Unmarshal(raw, &rm) != nil {
		return Maintainer{}, false
	}
	m := Maintainer{Name: str(rm.Name), Email: str(rm.Email), GitHub: str(rm.GitHub), GitHubID: githubID(rm.GitHubID)}
	return m, m != Maintainer{}
}

// githubID reads a githubId given as a number or a string; 0 if it is
// neither or not positive.
func githubID(raw json.RawMessage) int64 {
	var id json.Number
	var n int64
	if json.Unmarshal(raw, &id) == nil {
		n, _ = strconv.ParseInt(id.String(), 10, 64)
	} else if v, err := strconv.ParseInt(str(raw), 10, 64); err == nil {
		n = v
	}
	return max(n, 0)
}

// shareIfPrefix returns list, or the same elements as a prefix of all's
// backing array when list is one (interned pointers compare equal), so
// that nonTeamMaintainers costs no array of its own.
func shareIfPrefix(list, all []*Maintainer) []*Maintainer {
	if len(list) == 0 {
		return nil
	}
	if len(list) > len(all) {
		return list
	}
	for i, m := range list {
		if all[i] != m {
			return list
		}
	}
	return all[:len(list):len(list)]
}

func (p *parser) maintainers(raw json.RawMessage) []*Maintainer {
	var list []json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &list) != nil {
		return nil
	}
	var out []*Maintainer
	for _, r := range list {
		if m, ok := parseMaintainer(r); ok {
			out = append(out, p.in.maintainer(m))
		}
	}
	return out
}

func (p *parser) teams(raw json.RawMessage) []*Team {
	var list []struct {
		ShortName json.RawMessage   `json:"shortName"`
		GitHub    json.RawMessage   `json:"github"`
		GitHubID  json.RawMessage   `json:"githubId"`
		Members   []json.RawMessage `json:"members"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &list) != nil {
		return nil
	}
	var out []*Team
	for _, t := range list {
		team := Team{ShortName: str(t.ShortName), GitHub: str(t.GitHub), GitHubID: githubID(t.GitHubID)}
		for _, m := range t.Members {
			if mm, ok := parseMaintainer(m); ok {
				team.Members = append(team.Members, mm)
			}
		}
		if team.ShortName == "" && team.GitHub == "" && len(team.Members) == 0 {
			continue
		}
		out = append(out, p.in.team(team))
	}
	return out
}

// platforms keeps the system strings (pattern objects are skipped).
func (p *parser) platforms(raw json.RawMessage) []string {
	var list []json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &list) != nil {
		return nil
	}
	var out []string
	for _, r := range list {
		if s := str(r); s != "" {
			out = append(out, s)
		}
	}
	return p.in.strs(out)
}

// interner shares equal strings, maintainers, teams and platform lists.
type interner struct {
	s  map[string]string
	m  map[Maintainer]*Maintainer
	t  map[string]*Team
	sl map[string][]string
}

func newInterner() *interner {
	return &interner{s: map[string]string{}, m: map[Maintainer]*Maintainer{}, t: map[string]*Team{}, sl: map[string][]string{}}
}

func (in *interner) str(s string) string {
	if v, ok := in.s[s]; ok {
		return v
	}
	in.s[s] = s
	return s
}

func (in *interner) maintainer(m Maintainer) *Maintainer {
	if v, ok := in.m[m]; ok {
		return v
	}
	v := &m
	in.m[m] = v
	return v
}

func (in *interner) team(t Team) *Team {
	key, _ := json.Marshal(t)
	if v, ok := in.t[string(key)]; ok {
		return v
	}
	in.t[string(key)] = &t
	return &t
}

func (in *interner) strs(list []string) []string {
	if len(list) == 0 {
		return nil
	}
	key := strings.Join(list, "\x00")
	if v, ok := in.sl[key]; ok {
		return v
	}
	for i, s := range list {
		list[i] = in.str(s)
	}
	in.sl[key] = list
	return list
}
