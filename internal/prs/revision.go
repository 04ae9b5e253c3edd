package prs

// The locate step, continued at publishing: a change's position comes from
// the packages index of the evaluation that failed (Change.Revision, the
// evaluation's nixpkgs commit), while the edit applies to the base
// branch's head. carry reads each file at that revision, locates the
// derivation there (nixedit's Locate at the index's line), and carries the
// position to the base commit: unchanged when the file is byte-identical,
// else through the line diff between the two (mapLine, edit.go), checking
// that the base commit's derivation there is the same one (the same pname
// or name binding). Anything else is skipped as moved, with the reason.

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/ghfile"
	"github.com/nixpkgs-markbot/markbot/internal/nixedit"
)

// OutcomeMoved: the derivation's file changed between the evaluated
// revision and the base commit so that markbot cannot tell where the
// derivation is now (the file deleted, the position's line changed, or
// another derivation there). A later evaluation's index settles it.
const OutcomeMoved Outcome = "moved"

// OutcomeUnreadable: the change's file is too large to read (over
// markbot's 64 MiB, nixedit.MaxFileSize, or GitHub's 100 MB): the change is
// skipped with the reason (ghfile.TooLargeError's, naming the file, the
// revision and the size), the rest of its batch goes on.
const OutcomeUnreadable Outcome = "unreadable"

// errUnknownRef is a ref GitHub has no commit for.
type errUnknownRef struct{ ref string }

func (e *errUnknownRef) Error() string { return "GitHub has no commit " + e.ref }

// carry returns the batch's changes with their positions at the base
// commit (base holds the files there, by path), origin[i] being the index
// in b.Changes of the carried change i, and the outcomes of the changes
// that could not be carried, by their index in b.Changes. A change whose
// Revision is "" or the base commit is as it was. An error (reading a file
// at the revision) fails the batch; the next run retries it.
func (r *run) carry(ctx context.Context, b Batch, base map[string]string) (Batch, []int, map[int]ChangeResult, error) {
	out := Batch{Kind: b.Kind, Key: b.Key, Branch: b.Branch}
	var origin []int
	pre := map[int]ChangeResult{}
	for i, c := range b.Changes {
		if why, ok := tooLarge(r.unreadable[r.baseSHA+":"+c.File]); ok {
			pre[i] = changeResult(c, OutcomeUnreadable, why)
			continue
		}
		if c.Revision != "" && c.Revision != r.baseSHA {
			atRev, err := r.contentAt(ctx, c.Revision, c.File)
			var unknown *errUnknownRef
			if why, ok := tooLarge(err); ok {
				pre[i] = changeResult(c, OutcomeUnreadable, why)
				continue
			}
			if errors.As(err, &unknown) {
				// Not a commit of this repository (a jobset of another
				// one?): the index's positions are taken as the base
				// commit's, as before positions had revisions.
				r.log.WithFields(logrus.Fields{"attr": c.Attr(), "revision": c.Revision, "file": c.File}).
					Warn("the evaluated revision is not on GitHub: taking the index's position as the base commit's")
				c.Revision = ""
			} else if err != nil {
				return Batch{}, nil, nil, err
			} else {
				var cur *string
				if s, ok := base[c.File]; ok {
					cur = &s
				}
				line, outcome, reason := carryPosition(c.File, atRev, cur, c.Line, c.Revision)
				if outcome != OutcomeIncluded {
					pre[i] = changeResult(c, outcome, reason)
					continue
				}
				if line != c.Line {
					r.log.WithFields(logrus.Fields{"attr": c.Attr(), "file": c.File, "revision": c.Revision, "line": c.Line, "base_line": line}).
						Info("position carried to the base commit")
				}
				c.Line, c.Revision = line, r.baseSHA
			}
		}
		out.Changes = append(out.Changes, c)
		origin = append(origin, i)
	}
	return out, origin, pre, nil
}

// carryPosition says where the derivation at line of file at revision rev
// (its content atRev; nil: not there) is in the file at the base commit
// (atBase; nil: not there): the line, or the outcome and reason it cannot
// be carried.
func carryPosition(file string, atRev, atBase *string, line int, rev string) (int, Outcome, string) {
	moved := func(format string, args ...any) (int, Outcome, string) {
		return 0, OutcomeMoved, fmt.Sprintf("moved between evaluation %s and base: ", shortRev(rev)) + fmt.Sprintf(format, args...)
	}
	switch {
	case atRev == nil:
		return 0, OutcomeFailed, fmt.Sprintf("%s is not in the evaluated revision %s (the packages index is from it)", file, shortRev(rev))
	case atBase == nil:
		return moved("%s is not on the base branch any more", file)
	case *atRev == *atBase:
		return line, OutcomeIncluded, ""
	}
	fr, err := nixedit.Parse(file, []byte(*atRev))
	if err != nil {
		return 0, OutcomeFailed, fmt.Sprintf("at the evaluated revision %s: %v", shortRev(rev), err)
	}
	tr, err := fr.Locate(line)
	if err != nil {
		return 0, OutcomeFailed, fmt.Sprintf("at the evaluated revision %s: %v", shortRev(rev), err)
	}
	want := drvIdentity(fr, tr)
	to, ok := mapLine(*atRev, *atBase, line)
	if !ok {
		return moved("line %d (%s) was changed on the base branch", line, lineText(*atRev, line))
	}
	fb, err := nixedit.Parse(file, []byte(*atBase))
	if err != nil {
		return 0, OutcomeFailed, fmt.Sprintf("at the base commit: %v", err)
	}
	tb, err := fb.Locate(to)
	if err != nil {
		return moved("line %d is line %d on the base branch, where %v", line, to, err)
	}
	switch got := drvIdentity(fb, tb); {
	case want == "":
		return moved("the derivation at line %d has no pname or name binding to tell it is the same at line %d", line, to)
	case got != want:
		if got == "" {
			got = "no pname or name"
		}
		return moved("the derivation at line %d has %s, the one at line %d on the base branch %s", line, want, to, got)
	}
	return to, OutcomeIncluded, ""
}

// drvIdentity names a derivation by its pname binding, else its name
// binding, as written (`pname = "figlet"`, `inherit pname`): "" when it
// has neither.
func drvIdentity(f *nixedit.File, t *nixedit.Target) string {
	for _, key := range []string{"pname", "name"} {
		for _, b := range t.Drv.Binds {
			switch b := b.(type) {
			case *nixedit.Attr:
				id, ok := b.Path.Names[0].(*nixedit.Ident)
				if len(b.Path.Names) != 1 || !ok || f.Text(id.Tok) != key {
					continue
				}
				value := string(f.Src[f.Toks[b.Assign].End:f.Toks[b.Semi].Off])
				return key + " = " + strings.Join(strings.Fields(value), " ")
			case *nixedit.Inherit:
				for _, n := range b.Names {
					if id, ok := n.(*nixedit.Ident); ok && f.Text(id.Tok) == key {
						from := ""
						if b.From != nil {
							from = " " + strings.Join(strings.Fields(string(f.Src[f.Toks[b.From.Open].Off:f.Toks[b.From.Close].End])), " ")
						}
						return "inherit" + from + " " + key
					}
				}
			}
		}
	}
	return ""
}

// lineText is line n of s, trimmed and shortened, in a code span.
func lineText(s string, n int) string {
	lines := strings.Split(s, "\n")
	if n < 1 || n > len(lines) {
		return "past the end"
	}
	l := strings.TrimSpace(lines[n-1])
	if r := []rune(l); len(r) > 60 {
		l = string(r[:60]) + "…"
	}
	return "`" + strings.ReplaceAll(l, "`", "'") + "`"
}

func shortRev(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}

// content returns a file at the base commit (nil: it does not exist).
// A file too large to read is nil without an error: carry skips its
// changes as OutcomeUnreadable (r.unreadable says why), the rest of the
// batch goes on.
func (r *run) content(ctx context.Context, file string) (*string, error) {
	c, err := r.contentAt(ctx, r.baseSHA, file)
	if _, ok := tooLarge(err); ok {
		return nil, nil
	}
	return c, err
}

// contentAt returns a file at commit ref (nil: it does not exist there),
// read once per run through readFile. A ref GitHub does not know is an
// *errUnknownRef; a file too large to read (*ghfile.TooLargeError) or not
// a regular file (*ghfile.NotFileError) is remembered in r.unreadable and
// returned as nil with the error, so that
// carry skips the changes in it with the reason and the rest of the batch
// goes on.
func (r *run) contentAt(ctx context.Context, ref, file string) (*string, error) {
	cache := r.contents
	if ref != r.baseSHA {
		if r.revContents == nil {
			r.revContents = map[string]map[string]*string{}
		}
		if r.revContents[ref] == nil {
			r.revContents[ref] = map[string]*string{}
		}
		cache = r.revContents[ref]
	}
	if c, ok := cache[file]; ok {
		return c, nil
	}
	if err := r.unreadable[ref+":"+file]; err != nil {
		return nil, err
	}
	f, err := r.readFile(ctx, r.o.Owner, r.o.Repo, ref, file)
	var unknown *ghfile.UnknownRefError
	var tooLarge *ghfile.TooLargeError
	var notFile *ghfile.NotFileError
	switch {
	case errors.As(err, &unknown):
		return nil, &errUnknownRef{ref}
	case errors.As(err, &tooLarge), errors.As(err, &notFile):
		if r.unreadable == nil {
			r.unreadable = map[string]error{}
		}
		r.unreadable[ref+":"+file] = err
		r.log.WithFields(logrus.Fields{"file": file, "ref": ref}).WithError(err).
			Warn("file markbot cannot edit (too large, or not a regular file): its changes are skipped")
		return nil, err
	case err != nil:
		return nil, err
	case f == nil:
		cache[file] = nil
		return nil, nil
	}
	s := string(f.Content)
	cache[file] = &s
	return &s, nil
}

// readFile reads path at ref in owner's copy of the repository (the
// upstream, or the fork holding a PR's head) through internal/ghfile: one
// request up to GitHub's inline limit (1 MB), two above it (the contents
// answer, then the blob), refused over nixedit's 64 MiB or GitHub's 100 MB.
// Rate limits are waited out (the whole read is retried). nil: no such file.
func (r *run) readFile(ctx context.Context, owner, repo, ref, path string) (*ghfile.File, error) {
	if r.gh.Contents == nil {
		return nil, errors.New("prs: the client has no Contents API")
	}
	rd := ghfile.Reader{API: r.gh.Contents, Owner: owner, Repo: repo, Log: r.log}
	var f *ghfile.File
	err := r.lim.do(ctx, "GET contents "+path+" at "+shortRev(ref), func(ctx context.Context) (*github.Response, error) {
		var err error
		f, err = rd.Read(ctx, ref, path)
		return nil, err
	})
	return f, err
}

// tooLarge says whether err is a file markbot cannot edit (too large to
// read, or not a regular file), and why.
func tooLarge(err error) (string, bool) {
	var tl *ghfile.TooLargeError
	if errors.As(err, &tl) {
		return tl.Error(), true
	}
	// Not a regular file (a symbolic link, a submodule): as permanent, and
	// as much the one package's business.
	var nf *ghfile.NotFileError
	if errors.As(err, &nf) {
		return nf.Error(), true
	}
	return "", false
}
