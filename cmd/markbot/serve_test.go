package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nixpkgs-markbot/markbot/internal/config"
	"github.com/nixpkgs-markbot/markbot/internal/githubtest"
	"github.com/nixpkgs-markbot/markbot/internal/hydra/hydratest"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestServeRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	key := writeFile(t, dir, "app.pem", "-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----\n")
	empty := writeFile(t, dir, "empty-secret", "\n")
	blank := writeFile(t, dir, "blank-secret", "  \t\n")
	app := fmt.Sprintf("github:\n  app_id: 1\n  installation_id: 2\n  private_key_file: %s\n", key)
	for _, tc := range []struct {
		name, config string
		args         []string
		code         int
		want         []string
	}{
		{name: "no App", config: "version: 1\n", code: exitError,
			want: []string{"github.app_id", "github.installation_id", "github.private_key_file", "github.webhook_secret_file", "required by markbot serve"}},
		{name: "no webhook secret", config: "version: 1\n" + app, code: exitError, want: []string{"github.webhook_secret_file"}},
		{name: "empty webhook secret", config: "version: 1\n" + app + "  webhook_secret_file: " + empty + "\n", code: exitError,
			want: []string{"is empty"}},
		{name: "blank webhook secret", config: "version: 1\n" + app + "  webhook_secret_file: " + blank + "\n", code: exitError,
			want: []string{"holds only white space", blank}},
		{name: "plain-HTTP API", config: "version: 1\n" + app + "  api_url: http://ghe.example/api/v3/\n", code: exitError,
			want: []string{"github.api_url", "is plain HTTP", "github.insecure_http: true"}},
		{name: "no --config", args: []string{"serve"}, code: exitUsage, want: []string{"--config FILE is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("MARKBOT_GITHUB_TOKEN", "ghp_not_enough") // a token does not replace the App
			args := tc.args
			if args == nil {
				args = []string{"serve", "--config", writeFile(t, t.TempDir(), "markbot.yaml", tc.config)}
			}
			var out, errb bytes.Buffer
			if code := realMain(args, &out, &errb); code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", code, tc.code, errb.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
			if out.Len() > 0 {
				t.Errorf("printed %q", out.String())
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeEndToEnd: markbot serve, wired as in production, against the
// fake Hydra (the run test's history) and the fake GitHub with App
// authentication: the first cycle opens the pull requests, the status page
// shows them, a signed comment command is answered, and cancelling stops it.
func TestServeEndToEnd(t *testing.T) {
	hsrv := httptest.NewServer(frontEnd(hydratest.New(runScenario(t))))
	t.Cleanup(hsrv.Close)
	appCfg, pemBytes, err := githubtest.TestApp()
	if err != nil {
		t.Fatal(err)
	}
	var users []githubtest.User
	for i, login := range []string{"alice-nix", "bob-builds", "carol-dev", "dave-go", "erin-rs", "frank-py", "grace-snake", "heidi-fonts", "ivan-sys"} {
		users = append(users, githubtest.User{Login: login, ID: int64(10001 + i), Collaborator: true})
	}
	users = append(users, githubtest.User{Login: "stv0g", ID: 285829, Collaborator: true})
	gh := githubtest.New(t, githubtest.Options{App: appCfg, SeedDir: filepath.Join(examples, "nixpkgs"), Users: users})
	dir := t.TempDir()
	secret := "s3cret-webhook"
	source, _ := filepath.Abs(filepath.Join(examples, "packages.json"))
	path := writeFile(t, dir, "markbot.yaml", fmt.Sprintf(`version: 1
hydra:
  url: %s
  evaluations: 4
github:
  api_url: %s
  repository: NixOS/nixpkgs
  bot_login: markbot[bot]
  app_id: %d
  installation_id: %d
  private_key_file: %s
  webhook_secret_file: %s
packages:
  source: %s
state:
  path: %s
server:
  listen: 127.0.0.1:0
`, hsrv.URL, gh.URL(), appCfg.ID, appCfg.InstallationID, writeFile(t, dir, "app.pem", string(pemBytes)),
		writeFile(t, dir, "secret", secret+"\n"), source, filepath.Join(dir, "state", "markbot.db")))
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Hydra.RequestsPerSecond = 1000 // the configuration caps it at 2/s

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr, logs syncBuffer
	exited := make(chan int, 1)
	go func() { exited <- serve(ctx, cfg, serverLogger(&logs, false), &stdout, &stderr) }()

	urlRE := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
	var base string
	waitUntil(t, "the listening line", 10*time.Second, func() bool {
		m := urlRE.FindStringSubmatch(stdout.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	})
	get := func(p string) string {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	waitUntil(t, "the first cycle", 60*time.Second, func() bool { return strings.Contains(get("/"), `class="cycle"`) })
	page := get("/")
	if !strings.Contains(page, `<td class="ok">ok`) {
		t.Fatalf("the first cycle did not succeed:\n%s\nlogs:\n%s", page, logs.String())
	}
	prs := gh.PullRequests()
	if len(prs) != 3 {
		t.Fatalf("%d pull requests, want 3", len(prs))
	}
	for _, w := range []string{"cmatrix", fmt.Sprintf(`href="%s/NixOS/nixpkgs/pull/1"`, strings.TrimSuffix(strings.TrimSuffix(gh.URL(), "/"), "/api/v3")), "<td>3</td>"} {
		if !strings.Contains(page, w) {
			t.Errorf("status page lacks %q", w)
		}
	}
	if m := get("/metrics"); !strings.Contains(m, "markbot_prs_opened_total 3") || !strings.Contains(m, `markbot_markers{state="proposed"}`) {
		t.Errorf("metrics:\n%s", m)
	}

	// A comment command, signed as GitHub signs it.
	body, _ := json.Marshal(map[string]any{
		"action":     "created",
		"repository": map[string]any{"name": "nixpkgs", "owner": map[string]any{"login": "NixOS"}},
		"issue":      map[string]any{"number": 1, "pull_request": map[string]any{"url": "x"}},
		"comment":    map[string]any{"id": 1001, "body": "@markbot help", "author_association": "NONE", "user": map[string]any{"login": "someone", "type": "User"}},
	})
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	req, _ := http.NewRequest("POST", base+"/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "issue_comment")
	req.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("webhook: %d", resp.StatusCode)
	}
	waitUntil(t, "the reply", 10*time.Second, func() bool {
		pr, _ := gh.PullRequest(1)
		return len(pr.Comments) == 1 && strings.Contains(pr.Comments[0].Body, "@markbot drop <attr>")
	})

	cancel()
	select {
	case code := <-exited:
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
	case <-time.After(40 * time.Second):
		t.Fatal("serve did not stop")
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if strings.Contains(line, secret) || strings.Contains(line, "PRIVATE KEY") {
			t.Fatalf("log line shows a secret: %q", line)
		}
	}
	if !strings.Contains(logs.String(), `"delivery":"72d3162e-cc78-11e3-81ab-4c9367dc0958"`) {
		t.Error("no log line carries the delivery id")
	}
}
