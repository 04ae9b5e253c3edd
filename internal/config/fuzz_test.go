package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse: no input panics; whatever parses is valid, maps onto a valid
// failures.Policy, and prints as text that parses back to the same values.
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join("..", "..", "config", "markbot.example.yaml")); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"version: 1\n",
		"version: 2\n",
		"version: 1\nhydra: {url: 'https://h.example', evaluations: 9}\npolicy: {statuses: [1, 10, 11], skip_after_close: 1d2h}\n",
		"version: 1\npolicy:\n  allow: &a [\"x.*\"]\n  deny: *a\n",
		"version: 1\nserver: {max_body_bytes: 1GiB, listen: '[::1]:0'}\n",
		"version: 1\ngithub: {labels: [\"null\", '~', true], fork: x/y}\n",
		"version: 1\n<<: {a: 1}\n",
		"a: &a [*a]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid config: %v", err)
		}
		if err := c.FailuresPolicy().Validate(); err != nil {
			t.Fatalf("valid config, invalid failures.Policy: %v", err)
		}
		back, err := Parse("string", []byte(c.String()))
		if err != nil {
			t.Fatalf("String() does not parse: %v\n%s", err, c)
		}
		if !reflect.DeepEqual(plain(back), plain(c)) {
			t.Fatalf("String() round trip differs:\n%s\n%s", c, back)
		}
	})
}
