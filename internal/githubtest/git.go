package githubtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// gitTimeout bounds every git invocation so a wedged git cannot hang a test.
const gitTimeout = 30 * time.Second

// emptyTreeSHA is git's well-known SHA-1 of the empty tree.
const emptyTreeSHA = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

// gitRepo is a bare repository driven through the git command.
type gitRepo struct {
	dir  string // the bare repository
	home string // HOME for git, so no user configuration leaks in
	// pushedAt is when a branch last moved (Unix seconds; 0: never
	// since the fake started), the repository's pushed_at.
	pushedAt atomic.Int64
}

// gitError is a failed git invocation with its stderr.
type gitError struct {
	args   []string
	code   int
	stderr string
}

func (e *gitError) Error() string {
	return fmt.Sprintf("git %s: exit %d: %s", strings.Join(e.args, " "), e.code, strings.TrimSpace(e.stderr))
}

// run runs git with the given stdin and extra environment; it returns stdout.
func (g *gitRepo) run(stdin []byte, env []string, args ...string) (string, error) {
	return g.runIn("", stdin, env, args...)
}

// runIn is run with a working directory.
func (g *gitRepo) runIn(dir string, stdin []byte, env []string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), gitTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append([]string{
		"GIT_DIR=" + g.dir,
		"HOME=" + g.home,
		"XDG_CONFIG_HOME=" + g.home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=" + filepath.Join(g.home, "gitconfig"),
		"GIT_TERMINAL_PROMPT=0",
		"LC_ALL=C",
		"PATH=" + os.Getenv("PATH"),
	}, env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		return stdout.String(), &gitError{args: args, code: code, stderr: stderr.String() + errString(err, ee)}
	}
	return stdout.String(), nil
}

func errString(err error, ee *exec.ExitError) string {
	if ee != nil {
		return ""
	}
	return err.Error()
}

func (g *gitRepo) out(args ...string) (string, error) {
	s, err := g.run(nil, nil, args...)
	return strings.TrimSpace(s), err
}

// initBare creates the bare repository with the given default branch.
func initBare(dir, home, branch string) (*gitRepo, error) {
	g := &gitRepo{dir: dir, home: home}
	if err := os.WriteFile(filepath.Join(home, "gitconfig"), nil, 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command("git", "init", "--quiet", "--bare", "--initial-branch="+branch, dir)
	cmd.Env = []string{"HOME=" + home, "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=" + filepath.Join(home, "gitconfig"), "PATH=" + os.Getenv("PATH")}
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("git init --bare %s: %v: %s", dir, err, out)
	}
	return g, nil
}

// resolve returns the full SHA of rev as an object of the wanted type
// ("commit", "tree", "blob" or "" for any), or ok=false if there is none.
func (g *gitRepo) resolve(rev, typ string) (string, bool) {
	if strings.Contains(rev, ":") {
		// "rev:path" names a tree entry; ^{type} would be read as part of the path.
		sha, err := g.out("rev-parse", "--verify", "--quiet", "--end-of-options", rev)
		if err != nil || sha == "" || (typ != "" && g.objectType(sha) != typ) {
			return "", false
		}
		return sha, true
	}
	spec := rev
	if typ != "" {
		spec = rev + "^{" + typ + "}"
	}
	sha, err := g.out("rev-parse", "--verify", "--quiet", "--end-of-options", spec)
	if err != nil || sha == "" {
		return "", false
	}
	return sha, true
}

// objectType returns the type of the object sha, or "" if it does not exist.
func (g *gitRepo) objectType(sha string) string {
	if !isSHA(sha) {
		return ""
	}
	t, err := g.out("cat-file", "-t", sha)
	if err != nil {
		return ""
	}
	return t
}

// refSHA returns the SHA a full ref name points to.
func (g *gitRepo) refSHA(ref string) (string, bool) {
	sha, err := g.out("rev-parse", "--verify", "--quiet", ref)
	if err != nil || sha == "" {
		return "", false
	}
	return sha, true
}

// listRefs returns full ref names starting with prefix, sorted, with SHAs.
func (g *gitRepo) listRefs(prefix string) ([][2]string, error) {
	out, err := g.out("for-each-ref", "--format=%(refname) %(objectname)")
	if err != nil {
		return nil, err
	}
	var refs [][2]string
	for _, line := range strings.Split(out, "\n") {
		name, sha, ok := strings.Cut(line, " ")
		if !ok || !strings.HasPrefix(name, prefix) {
			continue
		}
		refs = append(refs, [2]string{name, sha})
	}
	return refs, nil
}

// updateRef sets ref to newSHA if it currently is oldSHA ("" = must not exist).
func (g *gitRepo) updateRef(ref, newSHA, oldSHA string) error {
	old := oldSHA
	if old == "" {
		old = strings.Repeat("0", 40)
	}
	_, err := g.out("update-ref", "-m", "githubtest", ref, newSHA, old)
	g.pushed(ref, err)
	return err
}

func (g *gitRepo) deleteRef(ref, oldSHA string) error {
	_, err := g.out("update-ref", "-d", ref, oldSHA)
	g.pushed(ref, err)
	return err
}

// pushed records a branch's move in pushedAt.
func (g *gitRepo) pushed(ref string, err error) {
	if err == nil && strings.HasPrefix(ref, "refs/heads/") {
		g.pushedAt.Store(time.Now().Unix())
	}
}

func (g *gitRepo) isAncestor(a, b string) bool {
	_, err := g.out("merge-base", "--is-ancestor", a, b)
	return err == nil
}

func (g *gitRepo) hashBlob(content []byte) (string, error) {
	s, err := g.run(content, nil, "hash-object", "-w", "--stdin")
	return strings.TrimSpace(s), err
}

// blob reads the blob at rev:path (or a blob SHA when path is "").
func (g *gitRepo) blob(spec string) ([]byte, error) {
	s, err := g.run(nil, nil, "cat-file", "blob", spec)
	return []byte(s), err
}

// treeEntry is one line of git ls-tree -l.
type treeEntry struct {
	Mode, Type, SHA, Path string
	Size                  int64
}

// lsTree lists a tree (recursively when recursive is set).
func (g *gitRepo) lsTree(tree string, recursive bool, paths ...string) ([]treeEntry, error) {
	args := []string{"ls-tree", "-l", "-z"}
	if recursive {
		args = append(args, "-r", "-t")
	}
	args = append(args, "--end-of-options", tree)
	if len(paths) > 0 {
		args = append(args, "--")
		args = append(args, paths...)
	}
	out, err := g.run(nil, nil, args...)
	if err != nil {
		return nil, err
	}
	var entries []treeEntry
	for _, rec := range strings.Split(out, "\x00") {
		if rec == "" {
			continue
		}
		meta, p, ok := strings.Cut(rec, "\t")
		if !ok {
			return nil, fmt.Errorf("git ls-tree: odd line %q", rec)
		}
		f := strings.Fields(meta)
		if len(f) != 4 {
			return nil, fmt.Errorf("git ls-tree: odd line %q", rec)
		}
		e := treeEntry{Mode: f[0], Type: f[1], SHA: f[2], Path: p}
		if f[3] != "-" {
			e.Size, _ = strconv.ParseInt(f[3], 10, 64)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// commitInfo is a parsed commit object.
type commitInfo struct {
	SHA, Tree                string
	Parents                  []string
	AuthorName, AuthorEmail  string
	AuthorDate               time.Time
	CommitterName, CommEmail string
	CommitterDate            time.Time
	Message                  string
}

func (g *gitRepo) commit(sha string) (*commitInfo, error) {
	raw, err := g.run(nil, nil, "cat-file", "commit", sha)
	if err != nil {
		return nil, err
	}
	c := &commitInfo{SHA: sha}
	header, msg, _ := strings.Cut(raw, "\n\n")
	c.Message = msg
	for _, line := range strings.Split(header, "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "tree":
			c.Tree = v
		case "parent":
			c.Parents = append(c.Parents, v)
		case "author":
			c.AuthorName, c.AuthorEmail, c.AuthorDate = parseIdent(v)
		case "committer":
			c.CommitterName, c.CommEmail, c.CommitterDate = parseIdent(v)
		}
	}
	return c, nil
}

// parseIdent parses "Name <email> 1700000000 +0100".
func parseIdent(s string) (name, email string, when time.Time) {
	lt := strings.LastIndex(s, "<")
	gt := strings.LastIndex(s, ">")
	if lt < 0 || gt < lt {
		return s, "", time.Time{}
	}
	name = strings.TrimSpace(s[:lt])
	email = s[lt+1 : gt]
	f := strings.Fields(s[gt+1:])
	if len(f) >= 1 {
		if secs, err := strconv.ParseInt(f[0], 10, 64); err == nil {
			when = time.Unix(secs, 0).UTC()
		}
	}
	return name, email, when
}

// ident is an author or committer for commitTree.
type ident struct {
	Name, Email string
	When        time.Time
}

func (g *gitRepo) commitTree(tree string, parents []string, message string, author, committer ident) (string, error) {
	args := []string{"commit-tree", tree}
	for _, p := range parents {
		args = append(args, "-p", p)
	}
	env := []string{
		"GIT_AUTHOR_NAME=" + author.Name,
		"GIT_AUTHOR_EMAIL=" + author.Email,
		"GIT_AUTHOR_DATE=" + gitDate(author.When),
		"GIT_COMMITTER_NAME=" + committer.Name,
		"GIT_COMMITTER_EMAIL=" + committer.Email,
		"GIT_COMMITTER_DATE=" + gitDate(committer.When),
	}
	// The message goes through stdin so that it is taken verbatim.
	s, err := g.run([]byte(message), env, args...)
	return strings.TrimSpace(s), err
}

func gitDate(t time.Time) string {
	return fmt.Sprintf("%d +0000", t.Unix())
}

// index is a temporary index file used to build trees.
type index struct {
	g    *gitRepo
	file string
}

func (g *gitRepo) newIndex() (*index, error) {
	f, err := os.CreateTemp(g.home, "index-*")
	if err != nil {
		return nil, err
	}
	name := f.Name()
	f.Close()
	os.Remove(name) // git wants to create it itself
	return &index{g: g, file: name}, nil
}

func (ix *index) close() { os.Remove(ix.file); os.Remove(ix.file + ".lock") }

// run runs git on the index. Some index operations insist on a work tree;
// an empty directory serves, as nothing is ever checked out.
func (ix *index) run(stdin []byte, args ...string) (string, error) {
	wt := filepath.Join(ix.g.home, "empty-worktree")
	if err := os.MkdirAll(wt, 0o755); err != nil {
		return "", err
	}
	return ix.g.run(stdin, []string{"GIT_INDEX_FILE=" + ix.file, "GIT_WORK_TREE=" + wt}, args...)
}

// writeTreeFromDir writes the files of dir (skipping .git) into a tree.
func (g *gitRepo) writeTreeFromDir(dir string) (string, error) {
	ix, err := g.newIndex()
	if err != nil {
		return "", err
	}
	defer ix.close()
	if _, err := ix.g.runIn(dir, nil, []string{"GIT_INDEX_FILE=" + ix.file, "GIT_WORK_TREE=" + dir}, "add", "--all", "--force", "."); err != nil {
		return "", err
	}
	s, err := ix.run(nil, "write-tree")
	return strings.TrimSpace(s), err
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
