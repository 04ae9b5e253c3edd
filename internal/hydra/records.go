package hydra

import (
	"crypto/sha256"
	"path"
	"strings"
)

// DrvHash identifies a derivation: the 32 base32 characters of its store
// path's hash. Two builds with the same DrvHash built the same derivation.
type DrvHash [32]byte

// HashOfDrvPath returns the DrvHash of a store path like
// /nix/store/<32 chars>-name.drv. A path of another shape gets a hash of the
// whole path, so that distinct paths still give distinct hashes.
func HashOfDrvPath(p string) DrvHash {
	var h DrvHash
	base := path.Base(p)
	if len(base) > 33 && base[32] == '-' && strings.HasPrefix(p, "/nix/store/") {
		copy(h[:], base[:32])
		return h
	}
	sum := sha256.Sum256([]byte(p))
	const hexdigits = "0123456789abcdef"
	for i := 0; i < 16; i++ {
		h[2*i] = hexdigits[sum[i]>>4]
		h[2*i+1] = hexdigits[sum[i]&15]
	}
	return h
}

func (h DrvHash) String() string { return string(h[:]) }

// Record is what failure detection needs from one build of an evaluation.
type Record struct {
	Job    string
	System string
	Drv    DrvHash
	Status Status
	Build  int64
	Start  int64 // Unix seconds, 0 if unknown
	Stop   int64 // Unix seconds, 0 if unknown
}

// RecordOf extracts the Record of a build.
func RecordOf(b *Build) Record {
	return Record{
		Job:    b.Job,
		System: b.System,
		Drv:    HashOfDrvPath(b.DrvPath),
		Status: b.Status(),
		Build:  b.ID,
		Start:  b.StartTime,
		Stop:   b.StopTime,
	}
}

// EvalRecords is the cached digest of one finished evaluation.
type EvalRecords struct {
	Eval      int64
	Timestamp int64
	// Revision is the evaluated nixpkgs revision (the "nixpkgs" input's
	// git revision, jobsetevalinputs.nixpkgs.revision); "" when unknown.
	Revision string
	Records  []Record
}

// Interner shares the memory of equal strings (job names and systems repeat
// in every evaluation). The zero value is ready to use; it is not safe for
// concurrent use.
type Interner struct{ m map[string]string }

// Bytes returns a string equal to b, shared with earlier equal strings.
func (in *Interner) Bytes(b []byte) string {
	if in == nil {
		return string(b)
	}
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	if in.m == nil {
		in.m = make(map[string]string)
	}
	s := string(b)
	in.m[s] = s
	return s
}
