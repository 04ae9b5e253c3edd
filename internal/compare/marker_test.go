package compare

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseMarker(t *testing.T) {
	m := Marker{Base: baseJobset, Head: headJobset, Version: 1, HeadEval: 7, Digest: "abc",
		Mentioned: Mentions{IDs: []int64{1, 2}, Logins: []string{"x"}, Teams: []string{"python"}}}
	body := "report\n" + m.String() + "\n"
	got, ok := ParseMarker(body)
	if !ok || !reflect.DeepEqual(got, m) {
		t.Fatalf("round trip: %+v, %v", got, ok)
	}
	for _, tc := range []struct {
		name, body string
		ok         bool
	}{
		{"none", "just text", false},
		{"unterminated", "<!-- markbot compare base=a/b head=c/d {\"version\":1}", false},
		{"no version", "<!-- markbot compare base=a/b head=c/d {} -->", false},
		{"bad jobset", "<!-- markbot compare base=a head=c/d {\"version\":1} -->", false},
		{"swapped keys", "<!-- markbot compare head=a/b base=c/d {\"version\":1} -->", false},
		{"bad JSON", "<!-- markbot compare base=a/b head=c/d {\"version\":1 -->", false},
		{"negative id", `<!-- markbot compare base=a/b head=c/d {"version":1,"mentioned":{"ids":[-1]}} -->`, false},
		{"minimal", "<!-- markbot compare base=a/b head=c/d {\"version\":1} -->", true},
		{"the last one wins", "<!-- markbot compare base=x/x head=y/y {\"version\":1} -->\n" + m.String(), true},
	} {
		got, ok := ParseMarker(tc.body)
		if ok != tc.ok {
			t.Errorf("%s: ok = %v", tc.name, ok)
		}
		if tc.name == "the last one wins" && got.Base != baseJobset {
			t.Errorf("%s: %+v", tc.name, got)
		}
	}
	// Logins and teams are matched case-insensitively.
	got, _ = ParseMarker(`<!-- markbot compare base=a/b head=c/d {"version":1,"mentioned":{"logins":["Bob","bob"],"teams":["Py"]}} -->`)
	if !got.Mentioned.Has("login:bob") || !got.Mentioned.Has("team:py") || len(got.Mentioned.Logins) != 1 {
		t.Errorf("normalised: %+v", got.Mentioned)
	}
}

// FuzzParseMarker: no input panics, and whatever parses renders to a marker
// that parses back to the same value (so a rewritten comment keeps its
// record of mentions).
func FuzzParseMarker(f *testing.F) {
	f.Add(Marker{Base: baseJobset, Head: headJobset, Version: 1, Digest: "d", Mentioned: Mentions{IDs: []int64{3}}}.String())
	f.Add(`<!-- markbot compare base=a/b head=c/d {"version":1,"mentioned":{"logins":["A"],"teams":["t"]}} -->`)
	f.Add(`<!-- markbot compare base=a/b head=c/d {"version":2,"digest":"-->"} -->`)
	f.Add("x <!-- markbot compare base=a/b head=c/d {\"version\":1} --> y <!-- markbot compare ")
	f.Fuzz(func(t *testing.T, body string) {
		m, ok := ParseMarker(body)
		if !ok {
			return
		}
		s := m.String()
		if strings.Count(s, "-->") != 1 || !strings.HasSuffix(s, " -->") {
			t.Fatalf("rendered marker %q ends early", s)
		}
		back, ok := ParseMarker("prefix " + s + "\nsuffix")
		if !ok || !reflect.DeepEqual(back, m) {
			t.Fatalf("round trip of %q: %+v (%v), want %+v", body, back, ok, m)
		}
	})
}
