package hydra

import "strconv"

// Record is what failure detection needs from one build of an evaluation.
//
// A build id stands for one derivation of one job: hydra-eval-jobset
// reuses the job's existing build when its output path did not change
// (checkBuild in NixOS/hydra's hydra-eval-jobset), so distinct build ids of
// a job are distinct derivations. The evaluation page, which is how markbot
// reads a nixpkgs-scale evaluation, shows no derivation path and no start
// time; the build id is the identity and Seconds is known only when the
// builds endpoint was read (or /build/{id} was asked).
type Record struct {
	Job     string
	System  string
	Build   int64
	Stop    int64  // Unix seconds the build finished, 0 if unknown
	Seconds int32  // how long it built (stoptime − starttime), 0 if unknown
	Status  Status // StatusUnfinished while queued
}

// RecordOf extracts the Record of a build.
func RecordOf(b *Build) Record {
	r := Record{Job: b.Job, System: b.System, Status: b.Status(), Build: b.ID, Stop: b.StopTime}
	if d := b.StopTime - b.StartTime; b.StartTime > 0 && d > 0 && d < 1<<31 {
		r.Seconds = int32(d)
	}
	return r
}

// Derivation is the record's derivation identity as a string, for
// comparing across evaluations and storing (see Record): its build id.
func (r *Record) Derivation() string { return strconv.FormatInt(r.Build, 10) }

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
