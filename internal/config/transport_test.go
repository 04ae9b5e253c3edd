package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// TestPlainHTTP: hydra.url and github.api_url refuse plain HTTP but to a
// loopback address written literally, unless insecure_http is set; the
// error says so.
func TestPlainHTTP(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		section, yaml, want string // want: "" for valid
	}{
		{"github", "api_url: https://ghe.example/api/v3/", ""},
		{"github", "api_url: http://127.0.0.1:8080/", ""},
		{"github", "api_url: http://127.9.9.9/api/", ""},
		{"github", "api_url: 'http://[::1]:8080/'", ""},
		{"github", "api_url: 'http://[::ffff:127.0.0.1]:8080/'", ""},
		{"github", "api_url: http://ghe.example/api/v3/",
			`github.api_url: "http://ghe.example/api/v3/" is plain HTTP: the GitHub token (or the App's installation tokens) would travel in clear text. Use https://, or a loopback address written literally (http://127.0.0.1:PORT/, http://[::1]:PORT/; not localhost), or set github.insecure_http: true to accept the risk`},
		{"github", "api_url: HTTP://ghe.example/", "github.api_url: \"HTTP://ghe.example/\" is plain HTTP"},
		{"github", "api_url: http://localhost:8080/", "github.api_url: \"http://localhost:8080/\" is plain HTTP"},
		{"github", "api_url: http://0.0.0.0:8080/", "is plain HTTP"},
		{"github", "api_url: http://10.0.0.1/", "is plain HTTP"},
		{"github", "api_url: http://127.0.0.1.example/", "is plain HTTP"},
		{"github", "api_url: http://ghe.example/\n  insecure_http: true", ""},
		{"hydra", "url: http://127.0.0.1:3000", ""},
		{"hydra", "url: http://hydra.example",
			`hydra.url: "http://hydra.example" is plain HTTP: anyone on the path could change Hydra's answers, from which markbot marks packages broken. Use https://, or a loopback address written literally (http://127.0.0.1:PORT/, http://[::1]:PORT/; not localhost), or set hydra.insecure_http: true to accept the risk`},
		{"hydra", "url: http://hydra.example\n  insecure_http: true", ""},
		{"hydra", "url: http://hydra.example\ngithub:\n  insecure_http: true", "hydra.url:"}, // each key its own
		{"hydra", "insecure_http: maybe", `hydra.insecure_http: want true or false, got "maybe"`},
	} {
		_, err := Parse("m.yaml", []byte("version: 1\n"+tc.section+":\n  "+tc.yaml+"\n"))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %s: %v", tc.section, tc.yaml, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %s: got %v, want %q", tc.section, tc.yaml, err, tc.want)
		case tc.want != "" && !strings.Contains(err.Error(), "m.yaml:"):
			t.Errorf("%s: %s: the error does not name the file: %v", tc.section, tc.yaml, err)
		}
	}
	// From the environment, the error names the variable.
	env := map[string]string{"MARKBOT_HYDRA_URL": "http://hydra.example/"}
	_, err := parse("m.yaml", []byte("version: 1\n"), func(k string) (string, bool) { v, ok := env[k]; return v, ok }, "")
	if err == nil || !strings.Contains(err.Error(), `MARKBOT_HYDRA_URL: hydra.url: "http://hydra.example/" is plain HTTP`) {
		t.Errorf("from the environment: %v", err)
	}
}

func TestLoopbackLiteral(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{
		"127.0.0.1": true, "127.255.0.9": true, "::1": true, "[::1]": true, "::ffff:127.0.0.1": true,
		"localhost": false, "128.0.0.1": false, "0.0.0.0": false, "::": false, "": false, "127.0.0.1.nip.io": false,
	} {
		if got := LoopbackLiteral(host); got != want {
			t.Errorf("LoopbackLiteral(%q) = %v", host, got)
		}
	}
}

// TestSecretFileChecks: a secret file others may read is read with a
// warning naming it; a blank webhook secret is refused.
func TestSecretFileChecks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		name    string
		key     bool // the private key, else the webhook secret
		content string
		mode    os.FileMode
		warn    bool
		err     string
	}{
		{"key 0600", true, testKey, 0o600, false, ""},
		{"key 0400", true, testKey, 0o400, false, ""},
		{"key 0640", true, testKey, 0o640, true, ""},
		{"key 0604", true, testKey, 0o604, true, ""},
		{"secret 0600", false, "s3cret\n", 0o600, false, ""},
		{"secret 0644", false, "s3cret\n", 0o644, true, ""},
		{"secret blank", false, " \t \n", 0o600, false, "holds only white space"},
		{"secret spaces", false, "   ", 0o600, false, "holds only white space"},
		{"secret empty", false, "\n", 0o600, false, "is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logger, hook := logtest.NewNullLogger()
			c := Default()
			c.SetLogger(logger)
			path := write(strings.ReplaceAll(tc.name, " ", "-"), tc.content, tc.mode)
			var err error
			if tc.key {
				c.GitHub.PrivateKeyFile = path
				_, err = c.ReadPrivateKey()
			} else {
				c.GitHub.WebhookSecretFile = path
				_, err = c.ReadWebhookSecret()
			}
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), path)) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
			warned := false
			for _, e := range hook.AllEntries() {
				if e.Level == logrus.WarnLevel && e.Data["file"] == path && strings.Contains(e.Message, "readable by its group or by others") {
					warned = true
				}
				if s, _ := e.String(); strings.Contains(s, "s3cret") || strings.Contains(s, "zq9") {
					t.Errorf("the warning shows the secret: %s", s)
				}
			}
			if warned != tc.warn {
				t.Errorf("warned %v, want %v (%d entries)", warned, tc.warn, len(hook.AllEntries()))
			}
		})
	}
}
