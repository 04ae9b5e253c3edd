package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseDuration parses a Go duration ("90m", "6h", "1h30m") or one with a
// leading day count ("14d", "1d12h", "1.5d"); a day is 24 hours.
func ParseDuration(s string) (time.Duration, error) {
	bad := func() (time.Duration, error) {
		return 0, fmt.Errorf("want a duration like 90m, 6h or 14d, got %s", quote(s))
	}
	body, neg := s, false
	if body != "" && (body[0] == '-' || body[0] == '+') {
		neg, body = body[0] == '-', body[1:]
	}
	i := strings.IndexByte(body, 'd')
	if i < 0 {
		if d, err := time.ParseDuration(s); err == nil {
			return d, nil
		}
		return bad()
	}
	num, rest := body[:i], body[i+1:]
	if num == "" || strings.Trim(num, "0123456789.") != "" || strings.Count(num, ".") > 1 ||
		num[0] == '.' || num[len(num)-1] == '.' {
		return bad()
	}
	days, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return bad()
	}
	var r time.Duration
	if rest != "" {
		if rest[0] == '-' || rest[0] == '+' {
			return bad()
		}
		if r, err = time.ParseDuration(rest); err != nil {
			return bad()
		}
	}
	total := days*float64(24*time.Hour) + float64(r)
	if total >= math.MaxInt64 {
		return 0, fmt.Errorf("duration %s is too long", quote(s))
	}
	d := time.Duration(total)
	if neg {
		d = -d
	}
	return d, nil
}

// FormatDuration formats d so that ParseDuration reads it back: whole days
// as "14d", anything else as Go does without zero units ("6h", "1h30m").
func FormatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d != 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// ByteSize is a size in bytes. In markbot.yaml it is an integer or a number
// with a binary unit: 26214400, "25MiB", "512 KiB", "1GiB".
type ByteSize int64

var byteUnits = []struct {
	suffix string
	n      int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

// ParseByteSize parses a ByteSize.
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.n
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || t == "" || t[0] == '+' {
		return 0, fmt.Errorf("want a size in bytes like 26214400 or 25MiB, got %s", quote(s))
	}
	if n > math.MaxInt64/mult || n < math.MinInt64/mult {
		return 0, fmt.Errorf("size %s is too large", quote(s))
	}
	return ByteSize(n * mult), nil
}

// String formats the size with the largest unit that divides it.
func (b ByteSize) String() string {
	for _, u := range byteUnits {
		if u.n > 1 && b != 0 && int64(b)%u.n == 0 {
			return strconv.FormatInt(int64(b)/u.n, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// Secret holds a secret value (the GitHub token). It formats as
// "[redacted]" with every fmt verb and in JSON, text and YAML encodings, so
// that printing or logging a Config never shows it. Reveal returns the value.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret itself, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether the secret is non-empty.
func (s Secret) IsSet() bool { return s != "" }

func (s Secret) mask() string {
	if s == "" {
		return ""
	}
	return redacted
}

// String returns "[redacted]", or "" for an empty secret.
func (s Secret) String() string { return s.mask() }

// GoString returns "[redacted]", or "" for an empty secret.
func (s Secret) GoString() string { return strconv.Quote(s.mask()) }

// Format writes "[redacted]" whatever the verb (%s, %q, %x, %v, %#v, …).
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' || f.Flag('#') {
		fmt.Fprint(f, strconv.Quote(s.mask()))
		return
	}
	fmt.Fprint(f, s.mask())
}

// MarshalText returns "[redacted]"; JSON and YAML encoders use it.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.mask()), nil }

// MarshalYAML returns "[redacted]".
func (s Secret) MarshalYAML() (any, error) { return s.mask(), nil }

// errSecretUnmarshal keeps a Secret from being decoded from a file.
var errSecretUnmarshal = errors.New("secrets are never read from markbot.yaml: use a file path or the environment")

// UnmarshalText refuses: secrets come from files or the environment only.
func (s *Secret) UnmarshalText([]byte) error { return errSecretUnmarshal }

// quote quotes a value for an error message, shortened if long.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "…"
	}
	return strconv.Quote(s)
}
