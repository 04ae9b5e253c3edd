package bot

// Tests of the locate step's index selection (IndexSource in cycle.go):
// the evaluation's own packages index, else packages.source with a warning
// naming both revisions.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/nixpkgs-markbot/markbot/internal/failures"
	"github.com/nixpkgs-markbot/markbot/internal/hydra"
	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
)

const (
	evalRev    = "1111111111111111111111111111111111111111"
	channelRev = "2222222222222222222222222222222222222222"
)

// fakeTarball is Hydra's tarball job for evaluation 7.
type fakeTarball struct {
	body  string // the packages.json served ("": err)
	err   error
	read  error // a failure while reading the body
	calls atomic.Int32
}

func (f *fakeTarball) EvalPackagesCached(ctx context.Context, evalID, maxBytes int64, _ hydra.PackagesCache) (io.ReadCloser, *hydra.TarballInfo, error) {
	f.calls.Add(1)
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if f.err != nil {
		return nil, nil, f.err
	}
	var r io.Reader = strings.NewReader(f.body)
	if f.read != nil {
		r = io.MultiReader(strings.NewReader(f.body[:len(f.body)/2]), errReader{f.read})
	}
	return io.NopCloser(r), &hydra.TarballInfo{Eval: evalID, Build: 70, URL: fmt.Sprintf("https://hydra.example/build/70/download/1/packages.json.br?eval=%d", evalID)}, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func packagesJSON(file string) string {
	return fmt.Sprintf(`{"version":"2","packages":{"hello":{"pname":"hello","meta":{"position":"%s:30"}}}}`, file)
}

func TestIndexSource(t *testing.T) {
	noJob := &hydra.TarballError{Eval: 7, Problem: hydra.TarballNoJob, URL: "https://hydra.example/eval/7/job/tarball"}
	for _, tc := range []struct {
		name         string
		hydra        *fakeTarball
		revisionFile bool // git-revision beside packages.source
		newest       *hydra.EvalRecords
		cancel       bool
		wantFile     string // hello's file: evaluation.nix or channel.nix
		wantRev      string
		warn         []string // what the warning says ("": no warning)
		err          string
	}{
		{name: "the evaluation's index", hydra: &fakeTarball{body: packagesJSON("evaluation.nix")},
			newest: &hydra.EvalRecords{Eval: 7, Revision: evalRev}, wantFile: "evaluation.nix", wantRev: evalRev},
		{name: "the evaluation's, its revision unknown", hydra: &fakeTarball{body: packagesJSON("evaluation.nix")},
			newest: &hydra.EvalRecords{Eval: 7}, wantFile: "evaluation.nix", wantRev: ""},
		{name: "no tarball job: the channel's, both revisions named", hydra: &fakeTarball{err: noJob}, revisionFile: true,
			newest: &hydra.EvalRecords{Eval: 7, Revision: evalRev}, wantFile: "channel.nix", wantRev: channelRev,
			warn: []string{"evaluation 7 (revision " + evalRev + ")", "packages.source (revision " + channelRev + ")", "no tarball job"}},
		{name: "the channel's revision unknown", hydra: &fakeTarball{err: noJob},
			newest: &hydra.EvalRecords{Eval: 7, Revision: evalRev}, wantFile: "channel.nix", wantRev: "",
			warn: []string{"evaluation 7 (revision " + evalRev + ")", "packages.source (revision unknown)"}},
		{name: "reading the evaluation's fails (over the cap)", hydra: &fakeTarball{body: packagesJSON("evaluation.nix"), read: hydra.ErrTooLarge},
			revisionFile: true, newest: &hydra.EvalRecords{Eval: 7, Revision: evalRev}, wantFile: "channel.nix", wantRev: channelRev,
			warn: []string{"packages.source (revision " + channelRev + ")", "larger than the cap"}},
		{name: "a download error", hydra: &fakeTarball{err: fmt.Errorf("GET https://hydra.example/build/70/download/1/packages.json.br: %w", hydra.ErrChecksum)},
			revisionFile: true, newest: &hydra.EvalRecords{Eval: 7, Revision: evalRev}, wantFile: "channel.nix", wantRev: channelRev,
			warn: []string{"SHA-256 mismatch"}},
		{name: "no evaluation: the channel's, no warning", hydra: &fakeTarball{body: packagesJSON("evaluation.nix")}, revisionFile: true,
			wantFile: "channel.nix", wantRev: channelRev},
		{name: "cancelled: no fallback", hydra: &fakeTarball{body: packagesJSON("evaluation.nix")}, cancel: true,
			newest: &hydra.EvalRecords{Eval: 7, Revision: evalRev}, err: "context canceled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			source := filepath.Join(dir, "packages.json")
			os.WriteFile(source, []byte(packagesJSON("channel.nix")), 0o644)
			if tc.revisionFile {
				os.WriteFile(filepath.Join(dir, "git-revision"), []byte(channelRev+"\n"), 0o644)
			}
			log, hook := logtest.NewNullLogger()
			src := &IndexSource{Hydra: tc.hydra, Fallback: source, Log: log}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				cancel()
			}
			idx, err := src.Index(ctx, tc.newest)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p, _ := idx.Lookup("hello")
			if p.File != tc.wantFile || idx.Revision() != tc.wantRev {
				t.Errorf("hello in %s, revision %q; want %s, %q", p.File, idx.Revision(), tc.wantFile, tc.wantRev)
			}
			var warnings []string
			for _, e := range hook.AllEntries() {
				if e.Level == logrus.WarnLevel {
					s, _ := e.String()
					warnings = append(warnings, s)
				}
			}
			switch {
			case len(tc.warn) == 0 && len(warnings) > 0:
				t.Errorf("warned: %v", warnings)
			case len(tc.warn) > 0 && len(warnings) != 1:
				t.Errorf("%d warnings, want 1: %v", len(warnings), warnings)
			case len(tc.warn) > 0:
				for _, w := range tc.warn {
					if !strings.Contains(warnings[0], w) {
						t.Errorf("the warning does not say %q:\n%s", w, warnings[0])
					}
				}
			}
			// Loaded once a run, whoever asks.
			calls := tc.hydra.calls.Load()
			again, err := src.Index(ctx, tc.newest)
			if err != nil || again != idx || tc.hydra.calls.Load() != calls {
				t.Errorf("a second call loaded again: %v, %d → %d calls", err, calls, tc.hydra.calls.Load())
			}
		})
	}
}

// TestMarkChangesRevision: changes carry the revision of the index their
// positions are from.
func TestMarkChangesRevision(t *testing.T) {
	idx, err := nixpkgs.ReadContext(context.Background(), strings.NewReader(packagesJSON("pkgs/hello.nix")), "test", nixpkgs.LoadOptions{Revision: evalRev})
	if err != nil {
		t.Fatal(err)
	}
	changes, _ := MarkChanges(failures.Result{Failures: []failures.Failure{failure("hello", "x86_64-linux")}}, newest("hello.x86_64-linux"), idx, url)
	if len(changes) != 1 || changes[0].Revision != evalRev || changes[0].File != "pkgs/hello.nix" || changes[0].Line != 30 {
		t.Fatalf("changes = %+v", changes)
	}
	changes, _ = MarkChanges(failures.Result{Failures: []failures.Failure{failure("hello", "x86_64-linux")}}, newest("hello.x86_64-linux"), idx.WithRevision(""), url)
	if len(changes) != 1 || changes[0].Revision != "" {
		t.Fatalf("without a revision: %+v", changes)
	}
	if !errors.Is(&hydra.TarballError{}, hydra.ErrNoEvalPackages) {
		t.Error("a TarballError is not ErrNoEvalPackages")
	}
}
