package nixedit

import (
	"bytes"
	"fmt"
	"io"
)

// Print writes the file back from its syntax tree: every token the tree
// holds, each with its leading trivia, in tree order, then the trailing
// trivia. For a tree produced by Parse this gives back the input byte for
// byte; it fails if the tree does not cover the file's tokens exactly once
// and in order (which would be a bug in the parser).
func Print(w io.Writer, f *File) error {
	pr := &printer{f: f, w: w}
	if f.Root != nil {
		pr.expr(f.Root)
	}
	if pr.err == nil {
		pr.tok(int32(len(f.Toks) - 1)) // EOF and its leading trivia
	}
	return pr.err
}

// Bytes returns the printed file.
func (f *File) Bytes() ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(f.Src))
	if err := Print(&buf, f); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type printer struct {
	f    *File
	w    io.Writer
	next int32 // index of the token expected next
	err  error
}

func (pr *printer) tok(i int32) {
	if pr.err != nil {
		return
	}
	if i != pr.next {
		pr.err = fmt.Errorf("nixedit: printer: tree visits token %d where token %d was expected", i, pr.next)
		return
	}
	pr.next++
	t := pr.f.Toks[i]
	if _, err := pr.w.Write(pr.f.Src[t.Pos:t.End]); err != nil {
		pr.err = err
	}
}

func (pr *printer) expr(e Expr) {
	if pr.err == nil {
		e.walk(pr)
	}
}
