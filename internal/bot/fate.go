// The revert loop's fate step: a marker's file read back from the base
// branch, and whether markbot's marker is still there as it wrote it
// (tracked, its line maybe moved), or a human took it over.
package bot

import (
	"context"
	"fmt"

	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/ghfile"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// fates reads each marker's file on the base branch (each file once) and
// decides its fate: tracked (still markbot's, its line maybe moved: the
// new line is recorded), taken over by a human (recorded: markbot never
// touches it again), or unknown this time (the file unreadable). It
// returns the tracked markers, with their current lines.
func fates(ctx context.Context, gh RepoContents, st RevertStore, o RevertOptions, log logrus.FieldLogger, markers []state.Marker, sum *RevertSummary) ([]state.Marker, error) {
	files := map[string]*string{}
	var tracked []state.Marker
	for _, m := range markers {
		l := log.WithFields(logrus.Fields{"attr": m.Attr, "marker": m.ID, "file": m.File})
		src, ok := files[m.File]
		if !ok {
			var err error
			src, err = readFile(ctx, gh, o.Owner, o.Repo, o.Base, m.File)
			if err != nil {
				if ctx.Err() != nil {
					return tracked, ctx.Err()
				}
				l.WithError(err).Warn("revert: cannot read the marker's file; trying again next cycle")
				sum.Unreadable = append(sum.Unreadable, RevertNote{m.Attr, err.Error()})
				continue
			}
			files[m.File] = src
		}
		sum.Checked++
		var f fate
		if src == nil {
			f = fate{kind: fateHuman, reason: fmt.Sprintf("%s no longer exists on %s", m.File, o.Base)}
		} else {
			f = findMarker(m, []byte(*src))
		}
		switch f.kind {
		case fateUnknown:
			l.Warn("revert: " + f.reason + "; trying again next cycle")
			sum.Unreadable = append(sum.Unreadable, RevertNote{m.Attr, f.reason})
		case fateHuman:
			reason := "marker in " + m.File + " taken over by a human: " + f.reason
			l.WithField("reason", f.reason).Info("revert: marker is human-owned now")
			sum.HumanOwned = append(sum.HumanOwned, RevertNote{m.Attr, f.reason})
			if !o.DryRun {
				if _, err := st.TransitionMarker(ctx, m.ID, state.HumanOwned, reason); err != nil {
					return tracked, fmt.Errorf("revert: %w", err)
				}
			}
		case fateTracked:
			if f.line != m.Line {
				l.WithFields(logrus.Fields{"line": m.Line, "now": f.line}).Info("revert: marker's position moved")
				sum.Moved = append(sum.Moved, RevertNote{m.Attr, fmt.Sprintf("line %d → %d", m.Line, f.line)})
				if !o.DryRun {
					if err := st.SetMarkerPosition(ctx, m.ID, m.File, f.line); err != nil {
						return tracked, fmt.Errorf("revert: %w", err)
					}
				}
				m.Line = f.line
			}
			tracked = append(tracked, m)
		}
	}
	return tracked, nil
}

// readFile reads path at ref through internal/ghfile (one request up to
// 1 MB, two above; refused over 64 MiB or GitHub's 100 MB, naming the file
// and its size); nil without error when it does not exist.
func readFile(ctx context.Context, gh RepoContents, owner, repo, ref, path string) (*string, error) {
	f, err := ghfile.Reader{API: gh, Owner: owner, Repo: repo}.Read(ctx, ref, path)
	if err != nil || f == nil {
		return nil, err
	}
	s := string(f.Content)
	return &s, nil
}

type fateKind int

const (
	fateUnknown fateKind = iota // cannot tell this time (the file does not parse)
	fateTracked                 // markbot's marker as written, at line
	fateHuman                   // edited or removed by a human
)

type fate struct {
	kind   fateKind
	line   int
	reason string
}

// findMarker decides a marker's fate from its file at the base branch,
// through prs.FindMarker (the search marking PR drops use too).
func findMarker(m state.Marker, src []byte) fate {
	r := prs.FindMarker(m.File, src, m.Line, m.BuildURL)
	switch r.Status {
	case prs.MarkerFound:
		return fate{kind: fateTracked, line: r.Line}
	case prs.MarkerGone:
		return fate{kind: fateHuman, reason: r.Reason}
	}
	return fate{kind: fateUnknown, reason: r.Reason}
}
