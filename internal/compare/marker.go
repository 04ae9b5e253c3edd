package compare

import (
	"encoding/json"
	"strings"
)

// MarkerVersion is the version of the hidden marker this markbot writes.
const MarkerVersion = 1

const markerPrefix = "<!-- markbot compare "

// Marker is the hidden block ending every compare comment:
//
//	<!-- markbot compare base=nixpkgs/unstable head=nixpkgs/staging-next {"version":1,…} -->
//
// base and head find the comment again; the JSON records the report's
// digest (an unchanged report is not written again) and whom the comment
// has mentioned so far (nobody is pinged twice).
type Marker struct {
	Base, Head Jobset `json:"-"`
	Version    int    `json:"version"`
	// HeadEval is the head evaluation the comment reports on.
	HeadEval int64 `json:"head_eval,omitempty"`
	// Digest identifies the report's content (not its mentions).
	Digest    string   `json:"digest"`
	Mentioned Mentions `json:"mentioned"`
}

// String renders the marker. Jobset names cannot hold "-->" (ParseJobset
// refuses "--") and encoding/json escapes <, > and &, so nothing inside can
// end the HTML comment early.
func (m Marker) String() string {
	b, err := json.Marshal(m)
	if err != nil { // cannot happen for these field types
		panic(err)
	}
	return markerPrefix + "base=" + m.Base.String() + " head=" + m.Head.String() + " " + string(b) + " -->"
}

// ParseMarker reads the last compare marker of a comment body. ok is false
// when there is none or it is malformed; a log line quoting a marker
// earlier in the body cannot override the real one, which comes last.
func ParseMarker(body string) (m Marker, ok bool) {
	i := strings.LastIndex(body, markerPrefix)
	if i < 0 {
		return Marker{}, false
	}
	rest := body[i+len(markerPrefix):]
	j := strings.Index(rest, " -->")
	if j < 0 {
		return Marker{}, false
	}
	rest = rest[:j]
	base, rest, ok1 := strings.Cut(rest, " ")
	head, js, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 {
		return Marker{}, false
	}
	bv, okb := strings.CutPrefix(base, "base=")
	hv, okh := strings.CutPrefix(head, "head=")
	if !okb || !okh {
		return Marker{}, false
	}
	if m.Base, ok = ParseJobset(bv); !ok {
		return Marker{}, false
	}
	if m.Head, ok = ParseJobset(hv); !ok {
		return Marker{}, false
	}
	if err := json.Unmarshal([]byte(js), &m); err != nil || m.Version < 1 {
		return Marker{}, false
	}
	for _, id := range m.Mentioned.IDs {
		if id <= 0 {
			return Marker{}, false
		}
	}
	m.Mentioned = m.Mentioned.normalized()
	return m, true
}
