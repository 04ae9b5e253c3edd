package hydra

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// The cache keeps, per finished evaluation, one gzip'd file of Records in a
// small binary format:
//
//	magic "MBHE", version 2, uvarint eval id, varint eval timestamp,
//	uvarint len + nixpkgs revision,
//	per record: 0x01, uvarint len + job, uvarint len + system, varint
//	status, varint build id, varint stop, uvarint seconds;
//	then 0x00 and uvarint record count, then the end of the stream.
//
// Version 1 (up to markbot's switch to the evaluation page) also held a
// derivation hash and the start time per build; its files are named
// <id>.mbhe.gz and are not read: the evaluations are read again once.
//
// Files are written to a temporary name and renamed into place only once
// complete, so a file that exists is whole; gzip's checksum catches damage.
const (
	cacheMagic   = "MBHE"
	cacheVersion = 2
	maxRevLen    = 256
	maxJobLen    = 4096
	maxSystemLen = 256
)

// Cache is the on-disk cache of evaluation records under one state
// directory, separate per Hydra server.
type Cache struct{ dir string }

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// OpenCache opens (creating it if needed) the cache for the Hydra at baseURL
// under stateDir.
func OpenCache(stateDir, baseURL string) (*Cache, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("hydra cache: base URL %q: %w", baseURL, err)
	}
	key := unsafeChars.ReplaceAllString(u.Host+strings.TrimRight(u.Path, "/"), "_")
	if key == "" {
		key = "default"
	}
	dir := filepath.Join(stateDir, "hydra", key, "evals")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("hydra cache: %w", err)
	}
	return &Cache{dir: dir}, nil
}

// Dir is the directory holding the cache files.
func (c *Cache) Dir() string { return c.dir }

func (c *Cache) path(eval int64) string {
	return filepath.Join(c.dir, strconv.FormatInt(eval, 10)+".v2.mbhe.gz")
}

// Has reports whether the evaluation is cached.
func (c *Cache) Has(eval int64) bool {
	_, err := os.Stat(c.path(eval))
	return err == nil
}

// Load reads a cached evaluation, sharing strings through in (may be nil).
func (c *Cache) Load(eval int64, in *Interner) (*EvalRecords, error) {
	return c.LoadKeeping(eval, in, nil)
}

// LoadKeeping is Load keeping only the records whose job keep accepts (nil:
// all), without ever holding the others: the job's bytes are only valid
// during the call.
func (c *Cache) LoadKeeping(eval int64, in *Interner, keep func(job []byte) bool) (*EvalRecords, error) {
	p := c.path(eval)
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("hydra cache: %w", err)
	}
	defer f.Close()
	er, err := readRecords(f, in, keep)
	if err != nil {
		return nil, fmt.Errorf("hydra cache %s: %w", p, err)
	}
	if er.Eval != eval {
		return nil, fmt.Errorf("hydra cache %s: holds evaluation %d", p, er.Eval)
	}
	return er, nil
}

// CacheWriter writes one evaluation's records to a temporary file; Commit
// puts it in place, Abort throws it away. Encoding and compression run on
// their own goroutine, off the caller's (the JSON decoder's) path.
type CacheWriter struct {
	c     *Cache
	eval  int64
	f     *os.File
	batch []Record
	ch    chan []Record
	done  chan error
}

const cacheBatch = 1024

// Create starts writing an evaluation's records.
func (c *Cache) Create(eval, timestamp int64, revision string) (*CacheWriter, error) {
	f, err := os.CreateTemp(c.dir, strconv.FormatInt(eval, 10)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("hydra cache: %w", err)
	}
	enc, err := NewRecordWriter(f, eval, timestamp, revision)
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	w := &CacheWriter{c: c, eval: eval, f: f, batch: make([]Record, 0, cacheBatch),
		ch: make(chan []Record, 4), done: make(chan error, 1)}
	go func() {
		var err error
		for batch := range w.ch {
			for i := 0; i < len(batch) && err == nil; i++ {
				err = enc.Write(&batch[i])
			}
		}
		if err == nil {
			err = enc.Close()
		}
		w.done <- err
	}()
	return w, nil
}

// Add appends a record (copied).
func (w *CacheWriter) Add(r *Record) error {
	w.batch = append(w.batch, *r)
	if len(w.batch) == cacheBatch {
		w.ch <- w.batch
		w.batch = make([]Record, 0, cacheBatch)
	}
	return nil
}

// finish hands over the last batch and waits for the encoder.
func (w *CacheWriter) finish() error {
	if len(w.batch) > 0 {
		w.ch <- w.batch
		w.batch = nil
	}
	close(w.ch)
	return <-w.done
}

// Abort removes the temporary file.
func (w *CacheWriter) Abort() {
	w.finish()
	w.f.Close()
	os.Remove(w.f.Name())
}

// Commit completes the file and renames it into place.
func (w *CacheWriter) Commit() error {
	err := w.finish()
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.f.Name(), w.c.path(w.eval))
	}
	if err != nil {
		os.Remove(w.f.Name())
		return fmt.Errorf("hydra cache: %w", err)
	}
	return nil
}

// RecordWriter encodes records in the cache format.
type RecordWriter struct {
	zw  *gzip.Writer
	bw  *bufio.Writer
	n   uint64
	buf []byte
}

// NewRecordWriter starts the cache format on w.
func NewRecordWriter(w io.Writer, eval, timestamp int64, revision string) (*RecordWriter, error) {
	if len(revision) > maxRevLen {
		return nil, fmt.Errorf("hydra cache: revision %.80q too long", revision)
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	rw := &RecordWriter{zw: zw, bw: bufio.NewWriterSize(zw, 64<<10)}
	b := append([]byte(cacheMagic), cacheVersion)
	b = binary.AppendUvarint(b, uint64(eval))
	b = binary.AppendVarint(b, timestamp)
	b = binary.AppendUvarint(b, uint64(len(revision)))
	b = append(b, revision...)
	_, err = rw.bw.Write(b)
	return rw, err
}

// Write encodes one record.
func (w *RecordWriter) Write(r *Record) error {
	if len(r.Job) > maxJobLen || len(r.System) > maxSystemLen {
		return fmt.Errorf("hydra cache: job %.80q or system too long", r.Job)
	}
	b := append(w.buf[:0], 1)
	b = binary.AppendUvarint(b, uint64(len(r.Job)))
	b = append(b, r.Job...)
	b = binary.AppendUvarint(b, uint64(len(r.System)))
	b = append(b, r.System...)
	b = binary.AppendVarint(b, int64(r.Status))
	b = binary.AppendVarint(b, r.Build)
	b = binary.AppendVarint(b, r.Stop)
	b = binary.AppendUvarint(b, uint64(max(r.Seconds, 0)))
	w.buf = b
	w.n++
	_, err := w.bw.Write(b)
	return err
}

// Close writes the trailer and flushes the compressor (not the underlying
// writer).
func (w *RecordWriter) Close() error {
	b := binary.AppendUvarint([]byte{0}, w.n)
	if _, err := w.bw.Write(b); err != nil {
		return err
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	return w.zw.Close()
}

var errCorrupt = errors.New("corrupt cache data")

// maxCacheFile bounds the decompressed size ReadRecords accepts.
const maxCacheFile = 4 << 30

// ReadRecords decodes the cache format. Any damage (bad magic, truncation,
// wrong count, trailing data, checksum) is an error, never a panic.
func ReadRecords(r io.Reader, in *Interner) (*EvalRecords, error) { return readRecords(r, in, nil) }

func readRecords(r io.Reader, in *Interner, keep func([]byte) bool) (*EvalRecords, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	// Reading it all (to the end, which verifies gzip's checksum) and
	// parsing from memory is several times faster than byte-wise reads.
	data, err := io.ReadAll(io.LimitReader(zr, maxCacheFile))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	p := cacheParser{data: data, in: in, keep: keep}
	return p.parse()
}

type cacheParser struct {
	data []byte
	off  int
	in   *Interner
	keep func(job []byte) bool
	err  error
}

func (p *cacheParser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("%w: at byte %d: %s", errCorrupt, p.off, fmt.Sprintf(format, args...))
	}
}

func (p *cacheParser) uvarint() uint64 {
	v, n := binary.Uvarint(p.data[p.off:])
	if n <= 0 {
		p.fail("bad number")
		p.off = len(p.data)
		return 0
	}
	p.off += n
	return v
}

func (p *cacheParser) varint() int64 {
	v, n := binary.Varint(p.data[p.off:])
	if n <= 0 {
		p.fail("bad number")
		p.off = len(p.data)
		return 0
	}
	p.off += n
	return v
}

func (p *cacheParser) bytes(n uint64) []byte {
	if n > uint64(len(p.data)-p.off) {
		p.fail("truncated")
		p.off = len(p.data)
		return nil
	}
	b := p.data[p.off : p.off+int(n)]
	p.off += int(n)
	return b
}

func (p *cacheParser) str(max uint64) string {
	n := p.uvarint()
	if n > max {
		p.fail("string of %d bytes", n)
		return ""
	}
	return p.in.Bytes(p.bytes(n))
}

func (p *cacheParser) parse() (*EvalRecords, error) {
	head := p.bytes(uint64(len(cacheMagic) + 1))
	if p.err != nil || string(head[:len(cacheMagic)]) != cacheMagic {
		return nil, fmt.Errorf("%w: bad header", errCorrupt)
	}
	if head[len(cacheMagic)] != cacheVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", errCorrupt, head[len(cacheMagic)], cacheVersion)
	}
	er := &EvalRecords{Eval: int64(p.uvarint()), Timestamp: p.varint()}
	read := 0
	er.Revision = p.str(maxRevLen)
	for p.err == nil {
		tag := p.bytes(1)
		if p.err != nil {
			break
		}
		if tag[0] == 0 {
			if n := p.uvarint(); p.err == nil && n != uint64(read) {
				p.fail("trailer says %d records, read %d", n, read)
			}
			if p.err == nil && p.off != len(p.data) {
				p.fail("%d bytes after the trailer", len(p.data)-p.off)
			}
			break
		}
		if tag[0] != 1 {
			p.fail("record %d: tag %d", read, tag[0])
			break
		}
		read++
		var rec Record
		jn := p.uvarint()
		if jn > maxJobLen {
			p.fail("string of %d bytes", jn)
		}
		job := p.bytes(jn)
		kept := p.keep == nil || p.err == nil && p.keep(job)
		if kept {
			rec.Job = p.in.Bytes(job)
		}
		rec.System = p.str(maxSystemLen)
		st := p.varint()
		if st < -1 || st > 255 {
			p.fail("record %d: status %d", read-1, st)
		}
		rec.Status = Status(st)
		rec.Build = p.varint()
		rec.Stop = p.varint()
		if secs := p.uvarint(); secs < 1<<31 {
			rec.Seconds = int32(secs)
		} else {
			p.fail("record %d: %d seconds", read-1, secs)
		}
		if p.err == nil && kept {
			er.Records = append(er.Records, rec)
		}
	}
	if p.err != nil {
		return nil, p.err
	}
	return er, nil
}
