package config

import (
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Error is one problem with the configuration. Key is the dotted key path
// ("policy.evaluations", "policy.statuses[1]"); Where is "file:line:col"
// for a value read from the file, the variable's name for one read from
// the environment, and "" otherwise.
type Error struct {
	Where string
	Key   string
	Msg   string
	// unknown marks an unknown key; its message names the key itself.
	unknown bool
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Where != "" {
		b.WriteString(e.Where)
		b.WriteString(": ")
	}
	if e.unknown {
		fmt.Fprintf(&b, "unknown key %q", e.Key)
		if e.Msg != "" {
			b.WriteString(" (" + e.Msg + ")")
		}
		return b.String()
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// joinErrors is errors.Join that returns a plain nil for no errors.
func joinErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}

// unjoin undoes errors.Join so that errors can be joined again flat.
func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// decoder walks the YAML node tree against the Config struct (its yaml
// tags are the schema), so that every error can name the dotted key and
// its position. It records the position of every key it sets.
type decoder struct {
	name string
	pos  map[string]string
	errs []error
}

func (d *decoder) where(n *yaml.Node) string {
	return fmt.Sprintf("%s:%d:%d", d.name, n.Line, n.Column)
}

func (d *decoder) fail(n *yaml.Node, key, format string, args ...any) {
	d.errs = append(d.errs, &Error{Where: d.where(n), Key: key, Msg: fmt.Sprintf(format, args...)})
}

// decodeFile decodes data into c. It returns true when decoding must stop
// before validation (not YAML, or a version this markbot cannot read);
// otherwise its errors are in d.errs.
func (d *decoder) decodeFile(data []byte, c *Config) (stop bool) {
	root, err := parseYAML(data)
	if err != nil {
		d.errs = append(d.errs, fmt.Errorf("%s: %w", d.name, err))
		return true
	}
	if root == nil { // empty file
		d.errs = append(d.errs, &Error{Where: d.name, Key: "version",
			Msg: fmt.Sprintf("missing; the file must start with version: %d", CurrentVersion)})
		return true
	}
	top := resolveAlias(root)
	if top.Kind != yaml.MappingNode {
		d.fail(top, "", "want a mapping of sections (hydra:, github:, …) at the top level, got %s", describe(top))
		return true
	}
	// The version decides how to read the rest: check it first.
	var vnode *yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "version" {
			vnode = resolveAlias(top.Content[i+1])
		}
	}
	switch {
	case vnode == nil:
		d.errs = append(d.errs, &Error{Where: d.name, Key: "version",
			Msg: fmt.Sprintf("missing; the file must start with version: %d", CurrentVersion)})
		return true
	case vnode.Kind != yaml.ScalarNode || vnode.Value != strconv.Itoa(CurrentVersion) || vnode.ShortTag() != "!!int":
		d.fail(vnode, "version", "unsupported version %s; this markbot reads version %d", quote(vnode.Value), CurrentVersion)
		return true
	}
	d.mapping(top, "", reflect.ValueOf(c).Elem())
	return false
}

// parseYAML parses exactly one YAML document; nil means an empty file.
func parseYAML(data []byte) (root *yaml.Node, err error) {
	defer func() {
		// yaml.v3 turns its own failures into errors; anything else it
		// panics with is a bug on malformed input: report, don't crash.
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("malformed YAML (%v)", r)
		}
	}()
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, nil
		}
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("line %d: a second YAML document; markbot.yaml holds one", extra.Line)
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil, nil
		}
		return doc.Content[0], nil
	}
	return &doc, nil
}

// resolveAlias returns the node an alias names, placed where the alias is
// so that errors point at the use.
func resolveAlias(n *yaml.Node) *yaml.Node {
	if n.Kind != yaml.AliasNode {
		return n
	}
	line, col := n.Line, n.Column
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	r := *n
	r.Line, r.Column = line, col
	return &r
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// describe names what a node is, for "want X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if strings.ContainsAny(n.Value, "\n\r") {
			return "a multi-line string"
		}
		return quote(n.Value)
	}
	return "an alias"
}

// yamlFields maps the yaml keys of a struct type to field indexes.
func yamlFields(t reflect.Type) (names []string, index map[string]int) {
	index = map[string]int{}
	for i := range t.NumField() {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if !f.IsExported() || name == "" || name == "-" {
			continue
		}
		names = append(names, name)
		index[name] = i
	}
	return names, index
}

// inlineSecretHints answer the keys people try for inline secrets.
var inlineSecretHints = map[string]string{
	"github.token":          "secrets are never inline: set MARKBOT_GITHUB_TOKEN",
	"github.private_key":    "secrets are never inline: use github.private_key_file or MARKBOT_GITHUB_PRIVATE_KEY_FILE",
	"github.webhook_secret": "secrets are never inline: use github.webhook_secret_file or MARKBOT_GITHUB_WEBHOOK_SECRET_FILE",
}

// movedKeyHints answer keys that an earlier markbot read, naming where
// they went.
var movedKeyHints = map[string]string{
	"hydra.probe_jobset": "moved to probe.hydra_jobset",
	"policy.probe_every": "moved to probe.every",
}

func (d *decoder) mapping(n *yaml.Node, path string, v reflect.Value) {
	n = resolveAlias(n)
	if isNull(n) {
		return // an empty section: all defaults
	}
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "want a mapping of keys, got %s", describe(n))
		return
	}
	names, index := yamlFields(v.Type())
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := resolveAlias(n.Content[i]), n.Content[i+1]
		full := joinKey(path, k.Value)
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "keys must be plain names, got %s", describe(k))
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			d.fail(k, full, "given twice (first at line %d)", prev.Line)
			continue
		}
		seen[k.Value] = k
		fi, ok := index[k.Value]
		if !ok {
			hint := inlineSecretHints[full]
			if hint == "" {
				hint = movedKeyHints[full]
			}
			if hint == "" {
				if s := suggest(k.Value, names); s != "" {
					hint = fmt.Sprintf("did you mean %q?", joinKey(path, s))
				}
			}
			d.errs = append(d.errs, &Error{Where: d.where(k), Key: full, Msg: hint, unknown: true})
			continue
		}
		d.value(val, full, v.Field(fi))
	}
}

func joinKey(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	byteSizeType = reflect.TypeFor[ByteSize]()
)

// value decodes one node into v; a null node leaves the default.
func (d *decoder) value(n *yaml.Node, key string, v reflect.Value) {
	n = resolveAlias(n)
	if isNull(n) {
		return
	}
	if v.Kind() == reflect.Struct {
		d.mapping(n, key, v)
		return
	}
	if v.Kind() == reflect.Slice {
		if n.Kind != yaml.SequenceNode {
			d.fail(n, key, "want a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		ok := true
		for i, item := range n.Content {
			item = resolveAlias(item)
			ikey := fmt.Sprintf("%s[%d]", key, i)
			if isNull(item) {
				d.fail(item, ikey, "empty list item")
				ok = false
				continue
			}
			if s.Index(i).Kind() == reflect.Struct {
				// A list of mappings (compare:): each item's keys are
				// named like compare[0].head.
				before := len(d.errs)
				d.mapping(item, ikey, s.Index(i))
				if len(d.errs) > before {
					ok = false
				} else {
					d.pos[ikey] = d.where(item)
				}
				continue
			}
			ok = d.scalar(item, ikey, s.Index(i)) && ok
		}
		if ok {
			v.Set(s)
			d.pos[key] = d.where(n)
		}
		return
	}
	if d.scalar(n, key, v) {
		d.pos[key] = d.where(n)
	}
}

// scalar decodes a scalar node into a string, bool, integer, float,
// duration or byte size.
func (d *decoder) scalar(n *yaml.Node, key string, v reflect.Value) bool {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, key, "want %s, got %s", want(v.Type()), describe(n))
		return false
	}
	d.pos[key] = d.where(n)
	tag := n.ShortTag()
	switch {
	case v.Type() == durationType:
		dur, err := ParseDuration(n.Value)
		if err != nil || tag != "!!str" {
			d.fail(n, key, "want a duration like 90m, 6h or 14d, got %s", quote(n.Value))
			return false
		}
		v.SetInt(int64(dur))
	case v.Type() == byteSizeType:
		size, err := ParseByteSize(n.Value)
		if err != nil || (tag != "!!int" && tag != "!!str") {
			d.fail(n, key, "want a size in bytes like 26214400 or 25MiB, got %s", quote(n.Value))
			return false
		}
		v.SetInt(int64(size))
	case v.Kind() == reflect.String:
		if tag != "!!str" && tag != "!!int" && tag != "!!float" && tag != "!!bool" {
			d.fail(n, key, "want a string, got %s", describe(n))
			return false
		}
		v.SetString(n.Value)
	case v.Kind() == reflect.Bool:
		var b bool
		if tag != "!!bool" || n.Decode(&b) != nil {
			d.fail(n, key, "want true or false, got %s", describe(n))
			return false
		}
		v.SetBool(b)
	case v.CanInt():
		var i int64
		if tag != "!!int" || n.Decode(&i) != nil {
			d.fail(n, key, "want an integer, got %s", describe(n))
			return false
		}
		if v.OverflowInt(i) {
			d.fail(n, key, "%d is out of range", i)
			return false
		}
		v.SetInt(i)
	case v.Kind() == reflect.Float64:
		var f float64
		if (tag != "!!int" && tag != "!!float") || n.Decode(&f) != nil {
			d.fail(n, key, "want a number, got %s", describe(n))
			return false
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			d.fail(n, key, "want a finite number, got %s", quote(n.Value))
			return false
		}
		v.SetFloat(f)
	default:
		panic("config: no decoding for " + v.Type().String())
	}
	return true
}

// want describes the values a field takes.
func want(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration like 90m, 6h or 14d"
	case t == byteSizeType:
		return "a size in bytes"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() == reflect.Float64:
		return "a number"
	}
	return "an integer"
}

// suggest returns the known key closest to an unknown one, if close.
func suggest(key string, known []string) string {
	best, bestDist := "", 3
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	for _, k := range sorted {
		if d := editDistance(strings.ToLower(key), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return math.MaxInt
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
