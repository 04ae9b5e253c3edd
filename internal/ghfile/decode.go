package ghfile

// The decoding step: a contents API answer (JSON) to the file's size, blob
// SHA and, when GitHub gave it inline, its bytes.

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Content is a decoded contents API answer for a file.
type Content struct {
	SHA  string
	Size int64
	// Content is the file when GitHub gave it inline; Truncated is true when
	// it did not ("encoding": "none", over the inline limit) and the bytes
	// must come from the blob SHA.
	Content   []byte
	Truncated bool
}

// NotFileError is a path that is not a regular file at its ref: a
// directory ("dir"), a symbolic link ("symlink"), a submodule
// ("submodule"), as the contents API's type says. Path and Ref are set by
// Read.
type NotFileError struct{ Path, Ref, Type string }

func (e *NotFileError) Error() string {
	what := "a " + strconv.Quote(e.Type)
	switch e.Type {
	case "dir":
		what = "a directory"
	case "symlink":
		what = "a symbolic link (markbot edits files, never links)"
	case "submodule":
		what = "a submodule"
	}
	if e.Path == "" {
		return what + ", not a file"
	}
	return e.Path + " at " + shortRef(e.Ref) + " is " + what + ", not a file"
}

// DecodeContent decodes a contents API answer. A directory listing (a JSON
// array), a symlink or submodule, a missing or malformed SHA, a negative size,
// an unknown encoding, base64 that does not decode, or content that is not
// the blob SHA of Size bytes are errors.
func DecodeContent(body []byte) (Content, error) {
	if len(body) > MaxJSON {
		return Content{}, fmt.Errorf("answer of %d bytes, over %d", len(body), MaxJSON)
	}
	trimmed := strings.TrimLeft(string(body[:min(len(body), 64)]), " \t\r\n")
	if strings.HasPrefix(trimmed, "[") {
		return Content{}, &NotFileError{Type: "dir"}
	}
	var j struct {
		Type     string  `json:"type"`
		Encoding string  `json:"encoding"`
		Size     *int64  `json:"size"`
		SHA      string  `json:"sha"`
		Content  *string `json:"content"`
	}
	if err := json.Unmarshal(body, &j); err != nil {
		return Content{}, fmt.Errorf("decoding the answer: %w", err)
	}
	switch {
	case j.Type != "file":
		return Content{}, &NotFileError{Type: j.Type}
	case !isSHA(j.SHA):
		return Content{}, fmt.Errorf("blob SHA %q is not a SHA-1", j.SHA)
	case j.Size == nil || *j.Size < 0:
		return Content{}, errors.New("no size, or a negative one")
	}
	c := Content{SHA: j.SHA, Size: *j.Size}
	switch j.Encoding {
	case "none":
		if j.Content != nil && *j.Content != "" {
			return Content{}, errors.New(`"encoding": "none" with content`)
		}
		c.Truncated = true
		return c, nil
	case "base64":
	default:
		return Content{}, fmt.Errorf("unknown encoding %q", j.Encoding)
	}
	if j.Content == nil {
		return Content{}, errors.New("base64 encoding without content")
	}
	// GitHub wraps the base64 in lines; nothing else may be in it.
	s := strings.NewReplacer("\n", "", "\r", "").Replace(*j.Content)
	if int64(base64.StdEncoding.DecodedLen(len(s))) > c.Size+3 {
		return Content{}, fmt.Errorf("%d bytes of base64 for a %d-byte file", len(s), c.Size)
	}
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return Content{}, fmt.Errorf("decoding the content: %w", err)
	}
	if err := checkBlob(data, c.Size, c.SHA); err != nil {
		return Content{}, fmt.Errorf("the content: %w", err)
	}
	c.Content = data
	return c, nil
}

// isSHA reports whether s is a full lower-case hex SHA-1.
func isSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
