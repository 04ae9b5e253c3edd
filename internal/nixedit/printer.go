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
	if _, err := pr.w.Write(pr.f.Src[pr.f.triviaStart(i):t.End]); err != nil {
		pr.err = err
	}
}

func (pr *printer) expr(e Expr) {
	if pr.err == nil {
		e.walk(pr)
	}
}

// RoundTrips reports whether printing the tree gives back the file's
// bytes exactly, without building a copy of the file.
func (f *File) RoundTrips() (bool, error) {
	w := &compareWriter{want: f.Src}
	if err := Print(w, f); err != nil {
		return false, err
	}
	return !w.differ && len(w.want) == 0, nil
}

// compareWriter compares what is written with want, consuming it.
type compareWriter struct {
	want   []byte
	differ bool
}

func (w *compareWriter) Write(p []byte) (int, error) {
	if !w.differ && (len(p) > len(w.want) || !bytes.Equal(p, w.want[:len(p)])) {
		w.differ = true
	}
	if !w.differ {
		w.want = w.want[len(p):]
	}
	return len(p), nil
}
