package ghfile

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestDecodeContent(t *testing.T) {
	hello := "hello\n"
	enc := base64.StdEncoding.EncodeToString([]byte(hello))
	for _, tc := range []struct {
		name, body string
		want       Content
		err        string
	}{
		{"inline", contentsJSON(6, gitSHA(hello), "base64", enc+"\n"), Content{SHA: gitSHA(hello), Size: 6, Content: []byte(hello)}, ""},
		{"wrapped", contentsJSON(6, gitSHA(hello), "base64", enc[:4]+"\n"+enc[4:]+"\n"), Content{SHA: gitSHA(hello), Size: 6, Content: []byte(hello)}, ""},
		{"empty file", contentsJSON(0, gitSHA(""), "base64", ""), Content{SHA: gitSHA(""), Size: 0, Content: []byte{}}, ""},
		{"over the inline limit", contentsJSON(2_000_000, gitSHA(hello), "none", ""), Content{SHA: gitSHA(hello), Size: 2_000_000, Truncated: true}, ""},
		{"directory", `[{"type":"file"}]`, Content{}, "a directory"},
		{"directory after spaces", "  \n[]", Content{}, "a directory"},
		{"symlink", `{"type":"symlink","size":3,"sha":"` + gitSHA("abc") + `","target":"abc"}`, Content{}, "a symbolic link"},
		{"submodule", `{"type":"submodule","size":0,"sha":"` + gitSHA("") + `"}`, Content{}, "a submodule"},
		{"bad sha", contentsJSON(6, "HEAD", "base64", enc), Content{}, "not a SHA-1"},
		{"no size", `{"type":"file","sha":"` + gitSHA(hello) + `","encoding":"base64","content":"` + enc + `"}`, Content{}, "no size"},
		{"negative size", contentsJSON(-1, gitSHA(hello), "none", ""), Content{}, "negative"},
		{"none with content", contentsJSON(6, gitSHA(hello), "none", enc), Content{}, "with content"},
		{"unknown encoding", contentsJSON(6, gitSHA(hello), "utf-8", hello), Content{}, "unknown encoding"},
		{"base64 without content", `{"type":"file","size":6,"sha":"` + gitSHA(hello) + `","encoding":"base64"}`, Content{}, "without content"},
		{"bad base64", contentsJSON(6, gitSHA(hello), "base64", "!!!!"), Content{}, "decoding the content"},
		{"size disagrees", contentsJSON(7, gitSHA(hello), "base64", enc), Content{}, "6 bytes, the contents API said 7"},
		{"much more base64 than size", contentsJSON(1, gitSHA(hello), "base64", strings.Repeat("AAAA", 100)), Content{}, "of base64 for a 1-byte file"},
		{"not JSON", "nope", Content{}, "decoding the answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeContent([]byte(tc.body))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %+v, %v; want an error with %q", got, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.SHA != tc.want.SHA || got.Size != tc.want.Size || got.Truncated != tc.want.Truncated || string(got.Content) != string(tc.want.Content) {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// FuzzDecodeContent: no answer panics, and an accepted one is consistent: a
// SHA-1, a size, and inline content of exactly that size hashing to it.
func FuzzDecodeContent(f *testing.F) {
	hello := "hello\n"
	f.Add([]byte(contentsJSON(6, gitSHA(hello), "base64", base64.StdEncoding.EncodeToString([]byte(hello)))))
	f.Add([]byte(contentsJSON(2_000_000, gitSHA(hello), "none", "")))
	f.Add([]byte(`[{"type":"dir"}]`))
	f.Add([]byte(`{"type":"file","size":0,"sha":"` + gitSHA("") + `","encoding":"base64","content":""}`))
	f.Add([]byte(`{"type":"file","size":1e99}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := DecodeContent(body)
		if err != nil {
			return
		}
		if !isSHA(c.SHA) || c.Size < 0 {
			t.Fatalf("accepted %+v", c)
		}
		if !c.Truncated {
			if int64(len(c.Content)) != c.Size || checkBlob(c.Content, c.Size, c.SHA) != nil {
				t.Fatalf("accepted inline content of %d bytes for size %d, sha %s", len(c.Content), c.Size, c.SHA)
			}
		}
	})
}
