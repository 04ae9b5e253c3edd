package ghauth

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/config"
	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
)

func loadConfig(t *testing.T, body string) *config.Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "markbot.yaml")
	if err := os.WriteFile(path, []byte("version: 1\n"+body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestApp: the App's installation token is fetched from the API URL and
// sent with every request (the fake rejects requests without it).
func TestApp(t *testing.T) {
	app, pemBytes, err := githubtest.TestApp()
	if err != nil {
		t.Fatal(err)
	}
	gh := githubtest.New(t, githubtest.Options{App: app, SeedFiles: map[string]string{"README.md": "hi\n"}})
	defer gh.Close()
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	os.WriteFile(keyFile, pemBytes, 0o600)
	cfg := loadConfig(t, fmt.Sprintf("github:\n  api_url: %s\n  app_id: %d\n  installation_id: %d\n  private_key_file: %s\n",
		gh.URL(), app.ID, app.InstallationID, keyFile))
	c, err := Client(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ref, _, err := c.Git.GetRef(context.Background(), "NixOS", "nixpkgs", "heads/master")
	if err != nil || ref.GetObject().GetSHA() == "" {
		t.Fatalf("authenticated read failed: %v", err)
	}

	// A wrong key is refused by the fake, and the error does not carry it.
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(other)}), 0o600)
	c, err = Client(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Git.GetRef(context.Background(), "NixOS", "nixpkgs", "heads/master")
	if err == nil {
		t.Fatal("a wrong App key was accepted")
	}
	if strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Fatal("the error shows the key")
	}
}

// TestTokenAndDryRun: a token is sent as such; the dry-run wrapper lets
// reads through and refuses writes before they are sent.
func TestTokenAndDryRun(t *testing.T) {
	gh := githubtest.New(t, githubtest.Options{SeedFiles: map[string]string{"README.md": "hi\n"}})
	defer gh.Close()
	t.Setenv("MARKBOT_GITHUB_TOKEN", "ghp_secret")
	cfg := loadConfig(t, fmt.Sprintf("github:\n  api_url: %s\n", gh.URL()))
	c, err := Client(cfg, prs.ReadOnlyTransport)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := c.Git.GetRef(ctx, "NixOS", "nixpkgs", "heads/master"); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Issues.AddLabelsToIssue(ctx, "NixOS", "nixpkgs", 1, []string{"x"})
	if !errors.Is(err, prs.ErrWriteRefused) {
		t.Fatalf("write in a dry run: %v", err)
	}
	if len(gh.Mutations()) != 0 {
		t.Fatal("the write reached GitHub")
	}
}

// github.timeout bounds each request: a server that does not answer
// fails the request after it, rather than holding the cycle.
func TestTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer srv.Close()
	cfg := loadConfig(t, fmt.Sprintf("github:\n  api_url: %s/\n  timeout: 1s\n", srv.URL))
	c, err := Client(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, _, err = c.Git.GetRef(context.Background(), "NixOS", "nixpkgs", "heads/master")
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("GetRef against a silent server: %v after %s, want a timeout after about 1s", err, time.Since(start))
	}
}

func TestBadAPIURL(t *testing.T) {
	for _, tc := range []struct {
		url      string
		insecure bool
		want     string // "" for accepted
	}{
		{"https://api.github.com", false, "want an http(s) URL ending in /"}, // no final slash
		{"ftp://api.github.com/", false, "want an http(s) URL ending in /"},
		{"http://ghe.example/api/v3/", false, `github.api_url: "http://ghe.example/api/v3/" is plain HTTP`},
		{"http://localhost:8080/", false, "is plain HTTP"},
		{"http://ghe.example/api/v3/", true, ""},
		{"http://127.0.0.1:8080/", false, ""},
	} {
		// Set after Validate, as markbot compare --github-api does; with a
		// token, which must not go out.
		cfg := config.Default()
		cfg.GitHub.APIURL, cfg.GitHub.InsecureHTTP, cfg.GitHub.Token = tc.url, tc.insecure, config.Secret("ghp_x")
		_, err := Client(cfg, nil)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s (insecure %v): err = %v, want %q", tc.url, tc.insecure, err, tc.want)
		}
	}
}
