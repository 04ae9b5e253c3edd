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
//	magic "MBHE", version 1, uvarint eval id, varint eval timestamp,
//	per record: 0x01, uvarint len + job, uvarint len + system, 32 bytes drv
//	hash, varint status, varint build id, varint start, varint stop;
//	then 0x00 and uvarint record count, then the end of the stream.
//
// Files are written to a temporary name and renamed into place only once
// complete, so a file that exists is whole; gzip's checksum catches damage.
const (
	cacheMagic   = "MBHE"
	cacheVersion = 1
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
	return filepath.Join(c.dir, strconv.FormatInt(eval, 10)+".mbhe.gz")
}

// Has reports whether the evaluation is cached.
func (c *Cache) Has(eval int64) bool {
	_, err := os.Stat(c.path(eval))
	return err == nil
}

// Load reads a cached evaluation, sharing strings through in (may be nil).
func (c *Cache) Load(eval int64, in *Interner) (*EvalRecords, error) {
	p := c.path(eval)
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("hydra cache: %w", err)
	}
	defer f.Close()
	er, err := ReadRecords(f, in)
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
func (c *Cache) Create(eval, timestamp int64) (*CacheWriter, error) {
	f, err := os.CreateTemp(c.dir, strconv.FormatInt(eval, 10)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("hydra cache: %w", err)
	}
	enc, err := NewRecordWriter(f, eval, timestamp)
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
func NewRecordWriter(w io.Writer, eval, timestamp int64) (*RecordWriter, error) {
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	rw := &RecordWriter{zw: zw, bw: bufio.NewWriterSize(zw, 64<<10)}
	b := append([]byte(cacheMagic), cacheVersion)
	b = binary.AppendUvarint(b, uint64(eval))
	b = binary.AppendVarint(b, timestamp)
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
	b = append(b, r.Drv[:]...)
	b = binary.AppendVarint(b, int64(r.Status))
	b = binary.AppendVarint(b, r.Build)
	b = binary.AppendVarint(b, r.Start)
	b = binary.AppendVarint(b, r.Stop)
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

// ReadRecords decodes the cache format. Any damage (bad magic, truncation,
// wrong count, trailing data, checksum) is an error, never a panic.
func ReadRecords(r io.Reader, in *Interner) (*EvalRecords, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	br := bufio.NewReaderSize(zr, 64<<10)
	head := make([]byte, len(cacheMagic)+1)
	if _, err := io.ReadFull(br, head); err != nil || string(head[:len(cacheMagic)]) != cacheMagic {
		return nil, fmt.Errorf("%w: bad header", errCorrupt)
	}
	if head[len(cacheMagic)] != cacheVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", errCorrupt, head[len(cacheMagic)], cacheVersion)
	}
	eval, err := binary.ReadUvarint(br)
	if err != nil {
		return nil, fmt.Errorf("%w: eval id: %v", errCorrupt, err)
	}
	ts, err := binary.ReadVarint(br)
	if err != nil {
		return nil, fmt.Errorf("%w: timestamp: %v", errCorrupt, err)
	}
	er := &EvalRecords{Eval: int64(eval), Timestamp: ts}
	var sbuf []byte
	readString := func(max int) (string, error) {
		n, err := binary.ReadUvarint(br)
		if err != nil {
			return "", err
		}
		if n > uint64(max) {
			return "", fmt.Errorf("string of %d bytes", n)
		}
		if cap(sbuf) < int(n) {
			sbuf = make([]byte, n)
		}
		sbuf = sbuf[:n]
		if _, err := io.ReadFull(br, sbuf); err != nil {
			return "", err
		}
		return in.Bytes(sbuf), nil
	}
	for {
		tag, err := br.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("%w: record %d: %v", errCorrupt, len(er.Records), err)
		}
		if tag == 0 {
			break
		}
		if tag != 1 {
			return nil, fmt.Errorf("%w: record %d: tag %d", errCorrupt, len(er.Records), tag)
		}
		var rec Record
		if rec.Job, err = readString(maxJobLen); err == nil {
			rec.System, err = readString(maxSystemLen)
		}
		if err == nil {
			_, err = io.ReadFull(br, rec.Drv[:])
		}
		var st int64
		if err == nil {
			st, err = binary.ReadVarint(br)
			rec.Status = Status(st)
			if err == nil && (st < -1 || st > 255) {
				err = fmt.Errorf("status %d", st)
			}
		}
		if err == nil {
			rec.Build, err = binary.ReadVarint(br)
		}
		if err == nil {
			rec.Start, err = binary.ReadVarint(br)
		}
		if err == nil {
			rec.Stop, err = binary.ReadVarint(br)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: record %d: %v", errCorrupt, len(er.Records), err)
		}
		er.Records = append(er.Records, rec)
	}
	n, err := binary.ReadUvarint(br)
	if err != nil || n != uint64(len(er.Records)) {
		return nil, fmt.Errorf("%w: trailer says %d records, read %d", errCorrupt, n, len(er.Records))
	}
	// Reading to the end verifies gzip's checksum and length.
	if extra, err := io.Copy(io.Discard, br); err != nil || extra != 0 {
		return nil, fmt.Errorf("%w: after the trailer: %d bytes, %v", errCorrupt, extra, err)
	}
	return er, nil
}
