package githubtest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

// bigText is n bytes of nixpkgs-looking text.
func bigText(n int) string {
	line := "  foo = callPackage ../foo { }; # padding padding padding\n"
	s := strings.Repeat(line, n/len(line)+1)
	return s[:n]
}

// TestContentsAtTheInlineLimit reads files at GitHub's true 1 MB limit
// (default Options): one byte under, at and over it.
func TestContentsAtTheInlineLimit(t *testing.T) {
	RequireGit(t)
	files := map[string]string{
		"under.nix": bigText(DefaultInlineLimit - 1),
		"at.nix":    bigText(DefaultInlineLimit),
		"over.nix":  bigText(DefaultInlineLimit + 1),
	}
	s := New(t, Options{SeedFiles: files})
	gh := s.Client()
	for _, tc := range []struct {
		file   string
		inline bool
	}{{"under.nix", true}, {"at.nix", true}, {"over.nix", false}} {
		t.Run(tc.file, func(t *testing.T) {
			fc, _, _, err := gh.Repositories.GetContents(ctx, s.Owner(), s.Repo(), tc.file, &github.RepositoryContentGetOptions{Ref: "master"})
			if err != nil {
				t.Fatal(err)
			}
			if fc.GetSize() != len(files[tc.file]) {
				t.Errorf("size %d, want %d", fc.GetSize(), len(files[tc.file]))
			}
			if !tc.inline {
				if fc.GetEncoding() != "none" || fc.Content == nil || *fc.Content != "" {
					t.Fatalf("over the limit: encoding %q content %v, want \"none\" and \"\"", fc.GetEncoding(), fc.Content)
				}
				if _, err := fc.GetContent(); err == nil {
					t.Error("go-github decoded an encoding \"none\" answer")
				}
				// The blob the answer names holds it.
				raw, _, err := gh.Git.GetBlobRaw(ctx, s.Owner(), s.Repo(), fc.GetSHA())
				if err != nil || string(raw) != files[tc.file] {
					t.Fatalf("GetBlobRaw: %d bytes, %v", len(raw), err)
				}
				return
			}
			got, err := fc.GetContent()
			if err != nil || got != files[tc.file] {
				t.Fatalf("content %d bytes, %v; want the file", len(got), err)
			}
		})
	}
}

// TestContentsRawMediaType: the raw media type gives a file's bytes up to
// FileLimit, directories stay JSON listings, errors stay JSON.
func TestContentsRawMediaType(t *testing.T) {
	RequireGit(t)
	s := New(t, Options{InlineLimit: 100, FileLimit: 1000, SeedFiles: map[string]string{
		"pkgs/top-level/small.nix": "{ }\n",
		"pkgs/top-level/big.nix":   bigText(500),
		"pkgs/top-level/huge.nix":  bigText(1001),
	}})
	gh := s.Client()
	get := func(p, accept string) (*http.Response, []byte) {
		t.Helper()
		req, err := gh.NewRequest("GET", "repos/NixOS/nixpkgs/contents/"+p+"?ref=master", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", accept)
		var buf bytes.Buffer
		resp, err := gh.Do(ctx, req, &buf)
		if resp == nil {
			t.Fatal(err)
		}
		return resp.Response, buf.Bytes()
	}
	for _, accept := range []string{"application/vnd.github.raw+json", "application/vnd.github.v3.raw", "application/vnd.github.raw"} {
		resp, body := get("pkgs/top-level/big.nix", accept)
		if resp.StatusCode != 200 || string(body) != bigText(500) {
			t.Errorf("%s: status %d, %d bytes; want the file", accept, resp.StatusCode, len(body))
		}
	}
	if resp, body := get("pkgs/top-level", "application/vnd.github.raw+json"); resp.StatusCode != 200 || !bytes.HasPrefix(body, []byte("[")) {
		t.Errorf("directory with raw: status %d, %.40q; want the JSON listing", resp.StatusCode, body)
	}
	if resp, _ := get("pkgs/top-level/huge.nix", "application/vnd.github.raw+json"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("over FileLimit with raw: status %d, want 403", resp.StatusCode)
	}
	if resp, _ := get("pkgs/top-level/missing.nix", "application/vnd.github.raw+json"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing file with raw: status %d, want 404", resp.StatusCode)
	}
}

// TestTooLarge: over FileLimit the contents and blobs APIs refuse with 403
// and a too_large error, which go-github leaves a plain *ErrorResponse (not a
// rate limit).
func TestTooLarge(t *testing.T) {
	RequireGit(t)
	huge := bigText(2049)
	s := New(t, Options{InlineLimit: 1024, FileLimit: 2048, SeedFiles: map[string]string{"huge.nix": huge, "ok.nix": bigText(2048)}})
	gh := s.Client()
	check := func(what string, err error) {
		t.Helper()
		var er *github.ErrorResponse
		var rl *github.RateLimitError
		var ab *github.AbuseRateLimitError
		switch {
		case errors.As(err, &rl), errors.As(err, &ab):
			t.Errorf("%s: a rate limit error: %v", what, err)
		case !errors.As(err, &er):
			t.Errorf("%s: %v, want an *ErrorResponse", what, err)
		case er.Response.StatusCode != http.StatusForbidden || len(er.Errors) != 1 || er.Errors[0].Code != "too_large":
			t.Errorf("%s: %d %v, want 403 too_large", what, er.Response.StatusCode, er.Errors)
		}
	}
	_, _, _, err := gh.Repositories.GetContents(ctx, s.Owner(), s.Repo(), "huge.nix", nil)
	check("contents", err)
	sha, err := s.upstream.git.hashBlob([]byte(huge))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = gh.Git.GetBlobRaw(ctx, s.Owner(), s.Repo(), sha)
	check("raw blob", err)
	_, _, err = gh.Git.GetBlob(ctx, s.Owner(), s.Repo(), sha)
	check("blob", err)

	// At FileLimit: the JSON has no content, the blob has it.
	fc, _, _, err := gh.Repositories.GetContents(ctx, s.Owner(), s.Repo(), "ok.nix", nil)
	if err != nil || fc.GetEncoding() != "none" {
		t.Fatalf("at FileLimit: %v, encoding %q", err, fc.GetEncoding())
	}
	b, _, err := gh.Git.GetBlob(ctx, s.Owner(), s.Repo(), fc.GetSHA())
	if err != nil || b.GetEncoding() != "base64" || b.GetSize() != 2048 || b.GetSHA() != fc.GetSHA() {
		t.Fatalf("GetBlob: %v %+v", err, b)
	}
	dec, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(b.GetContent(), "\n", ""))
	if err != nil || string(dec) != bigText(2048) {
		t.Fatalf("GetBlob content: %d bytes, %v", len(dec), err)
	}
}

// TestBlobNotFound: a SHA that is no blob of the repository is 404.
func TestBlobNotFound(t *testing.T) {
	RequireGit(t)
	s := New(t, sampleOptions())
	gh := s.Client()
	master, _ := s.Ref("master")
	for _, sha := range []string{strings.Repeat("0", 40), master, "not-a-sha"} {
		_, resp, err := gh.Git.GetBlobRaw(ctx, s.Owner(), s.Repo(), sha)
		if err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
			t.Errorf("blob %s: %v, want 404", sha, err)
		}
	}
	if n := s.RequestCount("GET /repos/{owner}/{repo}/git/blobs/{sha}"); n != 3 {
		t.Errorf("blob route counted %d requests, want 3", n)
	}
}
