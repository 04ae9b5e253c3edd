package deploy

// TestWorkflow: the scheduled GitHub Actions workflow, read as YAML and
// checked strictly (secrets, permissions, the state cache, the Pages
// deploy).

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/nixpkgs-markbot/markbot/internal/testutil"
)

type workflow struct {
	Name string `yaml:"name"`
	On   struct {
		Schedule         []struct{ Cron string } `yaml:"schedule"`
		WorkflowDispatch *struct {
			Inputs map[string]struct {
				Description string `yaml:"description"`
				Type        string `yaml:"type"`
				Default     any    `yaml:"default"`
			} `yaml:"inputs"`
		} `yaml:"workflow_dispatch"`
	} `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Concurrency struct {
		Group            string `yaml:"group"`
		CancelInProgress bool   `yaml:"cancel-in-progress"`
	} `yaml:"concurrency"`
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		RunsOn      string            `yaml:"runs-on"`
		Timeout     int               `yaml:"timeout-minutes"`
		Needs       string            `yaml:"needs"`
		If          string            `yaml:"if"`
		Outputs     map[string]string `yaml:"outputs"`
		Environment struct {
			Name string `yaml:"name"`
			URL  string `yaml:"url"`
		} `yaml:"environment"`
		Permissions map[string]string `yaml:"permissions"`
		Env         map[string]string `yaml:"env"`
		Steps       []struct {
			Name string            `yaml:"name"`
			ID   string            `yaml:"id"`
			If   string            `yaml:"if"`
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			Env  map[string]string `yaml:"env"`
			With map[string]any    `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

var (
	secretRef   = regexp.MustCompile(`\$\{\{\s*secrets\.([A-Za-z0-9_]+)\s*\}\}`)
	markbotVar  = regexp.MustCompile(`\bMARKBOT_[A-Z0-9_]+`)
	markbotRun  = regexp.MustCompile(`/markbot"?\s+run\b`)
	shellTraced = regexp.MustCompile(`(?m)^\s*set\s+(-[a-z]*x|-o\s+xtrace)`)
)

func TestWorkflow(t *testing.T) {
	root := testutil.RepoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, ".github/workflows/markbot.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&w); err != nil {
		// KnownFields also catches keys this test does not model: extend
		// the struct rather than loosen the decoder.
		t.Fatalf("markbot.yml: %v", err)
	}

	if len(w.On.Schedule) == 0 || w.On.Schedule[0].Cron == "" {
		t.Error("no on.schedule cron")
	}
	if w.On.WorkflowDispatch == nil {
		t.Error("no on.workflow_dispatch")
	} else if in, ok := w.On.WorkflowDispatch.Inputs["dry_run"]; !ok || in.Type != "boolean" {
		t.Errorf("workflow_dispatch input dry_run = %+v (present: %v), want a boolean", in, ok)
	}
	if w.Concurrency.Group == "" || w.Concurrency.CancelInProgress {
		t.Errorf("concurrency = %+v, want a group and no cancelling of a run in progress", w.Concurrency)
	}
	if len(w.Permissions) == 0 {
		t.Error("no top-level permissions: the token would get the repository's defaults")
	}
	perms := []map[string]string{w.Permissions}

	// Every environment variable set anywhere, and which hold secrets.
	envs := []map[string]string{w.Env}
	secretVars := map[string]string{} // env name -> secret
	var runs []string
	var statePath, cacheRestore, cacheSave, goVersion string
	for jobName, job := range w.Jobs {
		perms = append(perms, job.Permissions)
		envs = append(envs, job.Env)
		for i, s := range job.Steps {
			where := fmt.Sprintf("job %s, step %d (%s%s)", jobName, i+1, s.Name, s.Uses)
			envs = append(envs, s.Env)
			if secretRef.MatchString(s.Run) {
				t.Errorf("%s: a secret is interpolated into the script; pass it through env", where)
			}
			for k, v := range s.With {
				if str, ok := v.(string); ok && secretRef.MatchString(str) {
					t.Errorf("%s: secret passed to with.%s", where, k)
				}
			}
			if s.Run != "" {
				runs = append(runs, s.Run)
			}
			if v, ok := s.Env["MARKBOT_STATE_PATH"]; ok {
				statePath = v
			}
			switch {
			case strings.HasPrefix(s.Uses, "actions/cache/restore@"):
				cacheRestore, _ = s.With["path"].(string)
			case strings.HasPrefix(s.Uses, "actions/cache/save@"):
				cacheSave, _ = s.With["path"].(string)
			case strings.HasPrefix(s.Uses, "actions/setup-go@"):
				goVersion, _ = s.With["go-version"].(string)
			}
		}
	}
	for _, p := range perms {
		for scope, access := range p {
			if access != "read" && access != "none" && !pagesDeploy(p) {
				t.Errorf("permissions: %s: %s; the workflow's token needs no writes (the App's token makes them)", scope, access)
			}
		}
	}
	checkPagesJobs(t, &w)
	var envNames []string
	for _, env := range envs {
		for k, v := range env {
			envNames = append(envNames, k)
			if m := secretRef.FindStringSubmatch(v); m != nil {
				secretVars[k] = m[1]
			}
		}
	}
	if len(secretVars) == 0 {
		t.Fatal("no secrets passed to any step")
	}

	// The key is written to a file under umask 077, never printed.
	var keyWritten bool
	for _, run := range runs {
		if shellTraced.MatchString(run) {
			t.Errorf("a script turns on set -x, which prints every expanded command:\n%s", run)
		}
		umask := false
		for _, line := range strings.Split(run, "\n") {
			if strings.Contains(line, "umask 077") {
				umask = true
			}
			for name := range secretVars {
				if !regexp.MustCompile(`\$\{?` + name + `\b`).MatchString(line) {
					continue
				}
				if strings.Contains(line, "echo") || !strings.Contains(line, ">") {
					t.Errorf("secret variable %s used in a line that is not a write to a file: %q", name, strings.TrimSpace(line))
					continue
				}
				if !umask {
					t.Errorf("secret variable %s written before umask 077: %q", name, strings.TrimSpace(line))
				}
				keyWritten = true
			}
		}
	}
	if !keyWritten {
		t.Error("no step writes the private key secret to a file")
	}
	if !slices.Contains(envNames, "MARKBOT_GITHUB_APP_ID") || !slices.Contains(envNames, "MARKBOT_GITHUB_INSTALLATION_ID") {
		t.Errorf("the App id and installation id are not passed (env: %v)", envNames)
	}

	// markbot run is always given --config, and the key file by variable.
	var invocations int
	var allRuns string
	for _, run := range runs {
		allRuns += run + "\n"
		for _, line := range strings.Split(run, "\n") {
			if markbotRun.MatchString(line) {
				invocations++
				if !strings.Contains(line, "--config") {
					t.Errorf("markbot run without --config: %q", strings.TrimSpace(line))
				}
			}
		}
	}
	if invocations == 0 {
		t.Error("no step runs markbot run")
	}
	if !strings.Contains(allRuns, "MARKBOT_GITHUB_PRIVATE_KEY_FILE=") {
		t.Error("the key file is not passed through MARKBOT_GITHUB_PRIVATE_KEY_FILE")
	}

	// The cache holds exactly the state directory: the database's directory,
	// where the Hydra evaluation cache lives too.
	if statePath == "" {
		t.Error("MARKBOT_STATE_PATH is not set: the default /var/lib/markbot is not writable on a runner")
	} else if cacheRestore != path.Dir(statePath) || cacheSave != path.Dir(statePath) {
		t.Errorf("cache restore/save paths %q/%q, want the state directory %q", cacheRestore, cacheSave, path.Dir(statePath))
	}

	// setup-go's version is go.mod's language version.
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	if m == nil || goVersion != string(m[1]) {
		t.Errorf("setup-go go-version = %q, go.mod says %s", goVersion, m)
	}

	// Every MARKBOT_* variable is one markbot reads (secret names, which
	// are not variables, are left out).
	checkKnownEnv(t, "markbot.yml env", envNames)
	checkKnownEnv(t, "markbot.yml scripts", markbotVar.FindAllString(secretRef.ReplaceAllString(allRuns, ""), -1))

	// The documentation names every secret the workflow reads.
	docs, err := os.ReadFile(filepath.Join(root, "docs/deployment.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range secretVars {
		if !bytes.Contains(docs, []byte(secret)) {
			t.Errorf("docs/deployment.md does not mention the secret %s", secret)
		}
	}
}

// pagesDeploy reports whether p is exactly what deploying to GitHub Pages
// needs (actions/deploy-pages' README: pages: write, id-token: write).
func pagesDeploy(p map[string]string) bool {
	return len(p) == 2 && p["pages"] == "write" && p["id-token"] == "write"
}

// checkPagesJobs: a job that may write to Pages does nothing but deploy
// what the run job uploaded (no checkout, no script, no secret, no
// environment variable); the site is written by markbot site into the
// cached state directory (its feeds' history must survive), with no
// secret, and the uploaded path is that output.
func checkPagesJobs(t *testing.T, w *workflow) {
	t.Helper()
	var deploys int
	for name, job := range w.Jobs {
		if !pagesDeploy(job.Permissions) {
			continue
		}
		deploys++
		if job.Needs != "run" || !strings.Contains(job.If, "needs.run.outputs.site") {
			t.Errorf("job %s: deploys without waiting for the run job's site (needs %q, if %q)", name, job.Needs, job.If)
		}
		if job.Environment.Name != "github-pages" {
			t.Errorf("job %s: environment %q, want github-pages", name, job.Environment.Name)
		}
		if len(job.Env) > 0 {
			t.Errorf("job %s: environment variables %v in the job that can write", name, job.Env)
		}
		for _, st := range job.Steps {
			if !strings.HasPrefix(st.Uses, "actions/deploy-pages@") || st.Run != "" || len(st.Env) > 0 || len(st.With) > 0 {
				t.Errorf("job %s: step %q (%s) in the job that can write: only actions/deploy-pages belongs there", name, st.Name, st.Uses)
			}
		}
	}
	run, ok := w.Jobs["run"]
	if !ok {
		t.Fatal("no run job")
	}
	var siteOut, uploaded string
	for _, st := range run.Steps {
		if regexp.MustCompile(`/markbot"?\s+site\b`).MatchString(st.Run) {
			if secretRef.MatchString(fmt.Sprint(st.Env)) {
				t.Errorf("step %q: markbot site is given a secret; it reads Hydra and the state database only", st.Name)
			}
			if m := regexp.MustCompile(`--out\s+"?([^"\s]+)"?`).FindStringSubmatch(st.Run); m != nil {
				siteOut = m[1]
			}
			if !strings.Contains(st.Run, "--config") || !strings.Contains(st.Run, "--base-url") {
				t.Errorf("step %q: markbot site without --config or --base-url", st.Name)
			}
			if st.Env["MARKBOT_STATE_PATH"] == "" {
				t.Errorf("step %q: markbot site does not read the run's state database (MARKBOT_STATE_PATH)", st.Name)
			}
		}
		if strings.HasPrefix(st.Uses, "actions/upload-pages-artifact@") {
			uploaded, _ = st.With["path"].(string)
		}
	}
	if deploys == 0 {
		t.Fatal("no job deploys the site to GitHub Pages")
	}
	if siteOut == "" || uploaded == "" {
		t.Fatalf("markbot site --out %q, uploaded %q: the site is not written or not uploaded", siteOut, uploaded)
	}
	// The --out of the script uses $RUNNER_TEMP, the upload ${{ runner.temp }}.
	if strings.Replace(siteOut, "$RUNNER_TEMP", "${{ runner.temp }}", 1) != uploaded {
		t.Errorf("markbot site writes %q but %q is uploaded", siteOut, uploaded)
	}
	if !strings.HasPrefix(uploaded, "${{ runner.temp }}/markbot-state/") {
		t.Errorf("the site %q is not in the cached state directory: its feeds' history would be lost between runs", uploaded)
	}
	if run.Outputs["site"] == "" {
		t.Error("the run job has no site output for the deploy job to wait on")
	}
}
