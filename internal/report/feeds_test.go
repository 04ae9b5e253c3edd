package report

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
)

// parseAtom reads a feed with gofeed's Atom parser, the oracle: a feed
// reader's view of the document.
func parseAtom(t *testing.T, name string, b []byte) *atom.Feed {
	t.Helper()
	f, err := (&atom.Parser{}).Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: not Atom to gofeed: %v", name, err)
	}
	if typ := gofeed.DetectFeedType(bytes.NewReader(b)); typ != gofeed.FeedTypeAtom {
		t.Fatalf("%s: gofeed detects %v, not Atom", name, typ)
	}
	return f
}

func link(links []*atom.Link, rel string) string {
	for _, l := range links {
		if l.Rel == rel || (rel == "alternate" && l.Rel == "") {
			return l.Href
		}
	}
	return ""
}

// TestFeedsParse reads every feed of the sample site as a reader would
// and checks ids, dates, links and what the entries say.
func TestFeedsParse(t *testing.T) {
	site := sampleSite(t)
	_, files := writeSample(t)
	byID := map[string]Tracked{}
	for _, tr := range site.Feed {
		byID[tr.ID] = tr
	}
	seen := 0
	for name, b := range files {
		kind, key, ok := strings.Cut(strings.TrimSuffix(name, ".atom"), "/")
		if !strings.HasSuffix(name, ".atom") || !ok {
			continue
		}
		seen++
		f := parseAtom(t, name, b)
		if want := "tag:" + TagAuthority + ":" + kind + "/" + key; f.ID != want {
			t.Errorf("%s: id %s, want %s", name, f.ID, want)
		}
		if got, want := link(f.Links, "self"), site.BaseURL+name; got != want {
			t.Errorf("%s: self %s, want %s", name, got, want)
		}
		if got, want := link(f.Links, "alternate"), site.BaseURL+kind+"/"+key+".html"; got != want {
			t.Errorf("%s: alternate %s, want %s", name, got, want)
		}
		if f.UpdatedParsed == nil || len(f.Authors) == 0 || f.Title == "" {
			t.Errorf("%s: lacks updated, author or title", name)
		}
		newest := time.Time{}
		ids := map[string]bool{}
		page := string(files[kind+"/"+key+".html"])
		for _, e := range f.Entries {
			tr, ok := byID[e.ID]
			switch {
			case !ok:
				t.Errorf("%s: entry %s is not a tracked failure", name, e.ID)
				continue
			case ids[e.ID]:
				t.Errorf("%s: entry %s twice", name, e.ID)
			case !strings.HasPrefix(e.ID, "tag:"+TagAuthority+":failure/"):
				t.Errorf("%s: id %s is not a tag: URI of markbot's", name, e.ID)
			}
			ids[e.ID] = true
			if e.UpdatedParsed == nil || !e.UpdatedParsed.Equal(tr.Updated) {
				t.Errorf("%s: %s updated %v, want %v", name, e.ID, e.UpdatedParsed, tr.Updated)
			}
			if e.PublishedParsed == nil || !e.PublishedParsed.Equal(tr.Published) {
				t.Errorf("%s: %s published %v, want %v", name, e.ID, e.PublishedParsed, tr.Published)
			}
			if e.UpdatedParsed != nil && e.UpdatedParsed.After(newest) {
				newest = *e.UpdatedParsed
			}
			alt := link(e.Links, "alternate")
			frag, ok := strings.CutPrefix(alt, site.BaseURL+kind+"/"+key+".html#")
			if !ok || !strings.Contains(page, `id="`+frag+`"`) {
				t.Errorf("%s: %s links to %s, which is not a row of its page", name, e.ID, alt)
			}
			if e.Content == nil || e.Content.Type != "html" {
				t.Errorf("%s: %s has no HTML content", name, e.ID)
			} else if strings.Contains(e.Content.Value, "<script") || strings.Contains(e.Content.Value, "<img") {
				t.Errorf("%s: %s content holds markup from the data:\n%s", name, e.ID, e.Content.Value)
			}
			// The title is text: a reader shows the attribute as it is.
			if !strings.HasPrefix(e.Title, tr.Attr+" ") {
				t.Errorf("%s: title %q does not start with the attribute %q", name, e.Title, tr.Attr)
			}
			wantWord := " fails on "
			if !tr.Fails() {
				wantWord = " builds again on "
			}
			if !strings.Contains(e.Title, wantWord) {
				t.Errorf("%s: title %q lacks %q", name, e.Title, wantWord)
			}
		}
		if len(f.Entries) > 0 && !f.UpdatedParsed.Equal(newest) {
			t.Errorf("%s: feed updated %v, newest entry %v", name, f.UpdatedParsed, newest)
		}
		if len(f.Entries) == 0 && !f.UpdatedParsed.Equal(site.Generated) {
			t.Errorf("%s: empty feed updated %v, want the site's time", name, f.UpdatedParsed)
		}
	}
	if seen != 7 {
		t.Errorf("%d feeds, want 7", seen)
	}

	alice := parseAtom(t, "alice", files["maintainers/alice.atom"])
	want := map[string]string{
		EntryID(hydraURL, "nixpkgs/unstable", "hello", t0):                                            "failing",
		EntryID(hydraURL, "nixpkgs/unstable", "python313Packages.requests", t0.Add(-10*24*time.Hour)): "failing",
		EntryID(hydraURL, "nixpkgs/staging-next", hostileAttr, t0):                                    "failing",
		EntryID(hydraURL, "nixpkgs/staging-next", "hello", t0):                                        "failing",
		EntryID(hydraURL, "nixpkgs/unstable", "gone", t0.Add(-20*24*time.Hour)):                       "builds-again",
	}
	if len(alice.Entries) != len(want) {
		t.Errorf("alice's feed has %d entries, want %d", len(alice.Entries), len(want))
	}
	for _, e := range alice.Entries {
		state, ok := want[e.ID]
		if !ok {
			t.Errorf("alice's feed: unexpected %s", e.ID)
			continue
		}
		var terms []string
		for _, c := range e.Categories {
			terms = append(terms, c.Term)
		}
		if !strings.Contains(strings.Join(terms, " "), state) {
			t.Errorf("%s: categories %v, want %s", e.ID, terms, state)
		}
		if strings.Contains(e.ID, "evil") {
			if e.Title != hostileAttr+" fails on nixpkgs/staging-next (x86_64-linux)" {
				t.Errorf("hostile title read back as %q", e.Title)
			}
			if !strings.Contains(e.Content.Value, "evil&lt;script&gt;") {
				t.Errorf("hostile content read back as %q", e.Content.Value)
			}
		}
		if strings.Contains(e.ID, "/gone/") && !strings.Contains(e.Content.Value, "builds again on nixpkgs/unstable since 2026-11-04") {
			t.Errorf("the fixed entry says %q", e.Content.Value)
		}
	}
	// The entries come newest update first.
	for i := 1; i < len(alice.Entries); i++ {
		if alice.Entries[i].UpdatedParsed.After(*alice.Entries[i-1].UpdatedParsed) {
			t.Error("entries not newest first")
		}
	}
}

// TestFeedCapped: a feed holds the MaxFeedEntries newest updates.
func TestFeedCapped(t *testing.T) {
	site := &Site{Generated: t0, BaseURL: "https://example.org/", Jobsets: sampleJobsets()[:1]}
	for i := range MaxFeedEntries + 20 {
		site.Failures = append(site.Failures, Failure{Jobset: "nixpkgs/unstable", Attr: "p" + itoa(int64(i)),
			Systems: []string{"x86_64-linux"}, Since: t0.Add(-time.Duration(i) * time.Hour), Maintainers: []string{"busy"}})
	}
	v := newView(site)
	b, err := v.feedDoc(v.byLogin["busy"])
	if want := encodeXML(t, ptr(v.feedStruct(v.byLogin["busy"]))); string(b) != want {
		t.Error("feedDoc differs from encoding/xml's")
	}
	if err != nil {
		t.Fatal(err)
	}
	if f := parseAtom(t, "busy", b); len(f.Entries) != MaxFeedEntries {
		t.Errorf("%d entries, want %d", len(f.Entries), MaxFeedEntries)
	}
}

// encodeXML is the feed as encoding/xml writes it: writeAtom's oracle.
func encodeXML(t testing.TB, f *atomFeed) string {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", " ")
	if err := enc.Encode(f); err != nil {
		t.Fatal(err)
	}
	return buf.String() + "\n"
}

// FuzzAtom: writeAtom writes what encoding/xml writes, for any strings,
// and what it writes decodes back to them (with what XML cannot hold
// replaced).
func FuzzAtom(f *testing.F) {
	for _, s := range []string{"", "hello", hostileAttr, hostileName, "]]>", "\x00\x01\t\r\n", "\xff\xfe", "\ufffd", "é😀"} {
		f.Add(s, s, s)
	}
	f.Fuzz(func(t *testing.T, a, b, c string) {
		feed := &atomFeed{ID: a, Title: atomText{Type: "text", Body: b}, Subtitle: atomText{Body: c}, Updated: a,
			Links:     []atomLink{{Rel: a, Href: b}, {Rel: "self", Type: c, Href: a, Title: b}},
			Author:    atomPerson{Name: a, URI: c},
			Generator: atomGenerator{URI: b, Body: c},
			Entries: []atomEntry{{ID: b, Title: atomText{Type: a, Body: c}, Published: a, Updated: b,
				Links:      []atomLink{{Rel: "alternate", Href: c}},
				Categories: []atomCategory{{Term: a, Label: b}, {Term: c}},
				Content:    atomText{Type: "html", Body: a + "\n" + b}}},
		}
		var buf bytes.Buffer
		writeAtom(&buf, feed)
		if want := encodeXML(t, feed); buf.String() != want {
			t.Fatalf("writeAtom:\n%s\nencoding/xml:\n%s", buf.String(), want)
		}
		var back atomFeed
		if err := xml.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatalf("%v:\n%s", err, buf.String())
		}
		if back.Entries[0].Content.Body != xmlClean(a+"\n"+b) || back.Title.Body != xmlClean(b) {
			t.Fatalf("read back %q, %q", back.Entries[0].Content.Body, back.Title.Body)
		}
	})
}

// xmlClean is s as an XML reader gets it back: characters XML cannot hold
// become U+FFFD, and a carriage return a line feed (\r is escaped, so it
// stays).
func xmlClean(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 || !(r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			r = '\uFFFD'
		}
		b.WriteRune(r)
		i += w
	}
	return b.String()
}

func ptr[T any](v T) *T { return &v }

// TestFeedDocMatchesEncodingXML: every feed of the sample site, written
// from the cached entries, is what encoding/xml writes of its value.
func TestFeedDocMatchesEncodingXML(t *testing.T) {
	v := newView(sampleSite(t))
	for _, o := range append(v.people, v.teams...) {
		for range 2 { // the second time from the cache
			got, err := v.feedDoc(o)
			if err != nil {
				t.Fatal(err)
			}
			if want := encodeXML(t, ptr(v.feedStruct(o))); string(got) != want {
				t.Errorf("%s:\n%s\nencoding/xml:\n%s", o.Key, got, want)
			}
		}
	}
}
