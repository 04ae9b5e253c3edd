package hydratest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
)

// EvalsPerPage is how many evaluations one /jobset/{p}/{j}/evals page holds.
const EvalsPerPage = 20

// Fake is a fake Hydra serving one Scenario. Mount it with httptest or
// http.Server; it is safe for concurrent use.
type Fake struct {
	scen Scenario
	// Prefix is the path the fake is mounted under ("" or like "/hydra");
	// requests outside it get 404 and redirects carry it.
	Prefix string
	// LogEncoding forces the Content-Encoding of logs served by the fake
	// binary cache ("br", "zstd", "gzip" or "identity"); by default it
	// depends on the build id (id%3: br, zstd, gzip).
	LogEncoding string

	// Now is the clock of the evaluation page's relative dates ("3h ago");
	// time.Now when nil.
	Now func() time.Time

	mu      sync.Mutex
	faults  map[string][]*Fault
	hits    map[string]int
	agents  map[string]int
	sizes   map[int64]int
	indexes indexCache
}

// New returns a fake Hydra for s.
func New(s Scenario) *Fake {
	return &Fake{scen: s, faults: map[string][]*Fault{}, hits: map[string]int{}, agents: map[string]int{}, sizes: map[int64]int{},
		indexes: indexCache{entries: map[int64]*indexEntry{}, intern: map[string]string{}}}
}

// Inject queues a fault for a path (like "/eval/5/builds", without query
// and without Prefix). Faults queued for the same path apply in order.
func (f *Fake) Inject(path string, ft Fault) {
	if ft.Times <= 0 {
		ft.Times = 1
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[path] = append(f.faults[path], &ft)
}

// Hits is the number of requests the fake received for a path.
func (f *Fake) Hits(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[path]
}

// UserAgents returns how many requests came with each User-Agent.
func (f *Fake) UserAgents() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.agents))
	for k, v := range f.agents {
		out[k] = v
	}
	return out
}

func (f *Fake) take(p string, r *http.Request) *Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hits[p]++
	q := f.faults[p]
	for len(q) > 0 && q[0].Times <= 0 {
		q = q[1:]
	}
	f.faults[p] = q
	if len(q) == 0 || q[0].PageOnly && wantsJSON(r) {
		return nil
	}
	q[0].Times--
	ft := *q[0]
	return &ft
}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := strings.CutPrefix(r.URL.Path, f.Prefix)
	if !ok || r.Method != http.MethodGet && r.Method != http.MethodHead {
		jsonError(w, http.StatusNotFound, "Page not found.")
		return
	}
	f.mu.Lock()
	f.agents[r.UserAgent()]++
	f.mu.Unlock()
	if ft := f.take(p, r); ft != nil {
		var done bool
		if w, done = applyFault(w, r, ft); done {
			return
		}
	}
	// Hydra itself serves any User-Agent: turning some away is the job of
	// hydra.nixos.org's front end (FrontEnd, iocaine's decoy).
	f.route(w, r, p)
}

// fail answers an error as Root.pm's end action does: JSON
// {"error": msg} for a client that asks for JSON, error.tt in the layout
// otherwise (Hydra's REST default is text/html). inJobset says whether the
// controller had found the project and jobset (they then appear in the
// page's menus).
func (f *Fake) fail(w http.ResponseWriter, r *http.Request, code int, msg string, inJobset bool) {
	if wantsJSON(r) {
		jsonError(w, code, msg)
		return
	}
	l := layout{base: f.base(r) + "/", query: r.URL.Query().Get("query")}
	if newest := f.newestIndex(); newest != nil {
		l.queued = newest.queued
	}
	if inJobset {
		l.project, l.jobset = f.scen.Jobset()
	}
	htmlError(w, code, msg, l)
}

func jsonError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// base is the absolute URL the fake is reachable at, as Hydra's uri_for
// builds it from the request.
func (f *Fake) base(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + f.Prefix
}

func (f *Fake) route(w http.ResponseWriter, r *http.Request, p string) {
	seg := strings.Split(strings.Trim(p, "/"), "/")
	project, jobset := f.scen.Jobset()
	switch {
	case len(seg) == 4 && seg[0] == "jobset" && seg[3] == "evals",
		len(seg) == 4 && seg[0] == "jobset" && seg[3] == "latest-eval":
		if seg[1] != project || seg[2] != jobset {
			jsonError(w, http.StatusNotFound, fmt.Sprintf("Jobset ‘%s:%s’ doesn't exist.", seg[1], seg[2]))
			return
		}
		if seg[3] == "latest-eval" {
			f.latestEval(w, r)
			return
		}
		if !wantsJSON(r) {
			html(w)
			return
		}
		f.evals(w, r)
	case len(seg) >= 2 && seg[0] == "eval":
		id, err := strconv.ParseInt(seg[1], 10, 64)
		var info *EvalInfo
		for _, e := range f.scen.Evals() {
			if err == nil && e.ID == id {
				info = &e
				break
			}
		}
		if info == nil {
			f.fail(w, r, http.StatusNotFound, fmt.Sprintf("Evaluation %s doesn't exist.", seg[1]), false)
			return
		}
		switch {
		case len(seg) == 2 && wantsJSON(r):
			// view_GET chooses the evaluation to compare with before it
			// answers, JSON or not: a bad compare= is a 404 either way.
			q := r.URL.Query()
			if _, perr := f.otherEval(info, q.Get("compare"), q.Has("compare")); perr != nil {
				jsonError(w, perr.code, perr.msg)
				return
			}
			f.eval(w, info)
		case len(seg) == 2:
			f.evalPage(w, r, info)
		case len(seg) == 3 && seg[2] == "builds":
			f.evalBuilds(w, id)
		case len(seg) >= 3 && seg[2] == "job":
			job := ""
			if len(seg) > 3 {
				job = seg[3]
			}
			f.evalJob(w, r, id, job, seg[min(len(seg), 4):])
		default:
			jsonError(w, http.StatusNotFound, "Page not found.")
		}
	case len(seg) >= 2 && seg[0] == "build":
		id, err := strconv.ParseInt(seg[1], 10, 64)
		b, ok := f.scen.Build(id)
		if err != nil || !ok {
			jsonError(w, http.StatusNotFound, fmt.Sprintf("Build with ID %s doesn't exist.", seg[1]))
			return
		}
		switch {
		case len(seg) == 2 && wantsJSON(r):
			w.Header().Set("Content-Type", "application/json")
			bw := bufio.NewWriter(w)
			var enc wireEncoder
			enc.write(bw, b)
			bw.WriteByte('\n')
			bw.Flush()
		case len(seg) == 2:
			f.buildPage(w, r, b)
		case seg[2] == "eval":
			f.buildEval(w, r, b, seg[3:])
		case seg[2] == "download":
			f.download(w, r, b, seg[3:])
		case seg[2] == "download-by-type":
			f.downloadByType(w, r, b, seg[3:])
		case len(seg) == 4 && seg[2] == "log" && seg[3] == "raw":
			if _, ok := f.scen.Log(id); !ok {
				jsonError(w, http.StatusNotFound, fmt.Sprintf("The build log of derivation ‘%s’ is not available.", b.DrvPath))
				return
			}
			http.Redirect(w, r, f.base(r)+"/log/"+url.PathEscape(path.Base(b.DrvPath)), http.StatusFound)
		default:
			jsonError(w, http.StatusNotFound, "Page not found.")
		}
	case len(seg) >= 5 && seg[0] == "job" && seg[4] == "latest":
		f.jobLatest(w, r, seg[1], seg[2], seg[3], seg[5:])
	case len(seg) == 2 && seg[0] == "log":
		if _, ok := f.scen.BuildOfDrv(seg[1]); !ok {
			jsonError(w, http.StatusNotFound, fmt.Sprintf("Log of %s is not available.", seg[1]))
			return
		}
		http.Redirect(w, r, f.base(r)+"/cache/log/"+url.PathEscape(seg[1]), http.StatusFound)
	case len(seg) == 3 && seg[0] == "cache" && seg[1] == "log":
		f.cacheLog(w, seg[2])
	default:
		jsonError(w, http.StatusNotFound, "Page not found.")
	}
}

func html(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	io.WriteString(w, "<!DOCTYPE html>\n<html><head><title>Hydra</title></head><body>…</body></html>\n")
}

// latestEval redirects to the newest finished evaluation.
func (f *Fake) latestEval(w http.ResponseWriter, r *http.Request) {
	for _, e := range f.scen.Evals() {
		if e.Finished {
			http.Redirect(w, r, f.base(r)+"/eval/"+strconv.FormatInt(e.ID, 10), http.StatusFound)
			return
		}
	}
	jsonError(w, http.StatusNotFound, "No evaluation found.")
}

type wireEval struct {
	ID           int64                      `json:"id"`
	Timestamp    int64                      `json:"timestamp"`
	CheckoutTime int64                      `json:"checkouttime"`
	EvalTime     int64                      `json:"evaltime"`
	HasNewBuilds int                        `json:"hasnewbuilds"`
	Flake        *string                    `json:"flake"`
	Inputs       map[string]json.RawMessage `json:"jobsetevalinputs"`
}

// writeEval writes one evaluation with its member build ids, streamed.
func (f *Fake) writeEval(w *bufio.Writer, e *EvalInfo) {
	we := wireEval{ID: e.ID, Timestamp: e.Timestamp, CheckoutTime: e.CheckoutTime, EvalTime: e.EvalTime, Flake: e.Flake,
		Inputs: map[string]json.RawMessage{}}
	if e.HasNewBuilds {
		we.HasNewBuilds = 1
	}
	for name, in := range e.Inputs {
		b, _ := json.Marshal(map[string]any{"type": in.Type, "uri": in.URI, "revision": in.Revision, "value": in.Value, "dependency": nil})
		we.Inputs[name] = b
	}
	b, _ := json.Marshal(we)
	w.Write(b[:len(b)-1])
	w.WriteString(`,"builds":[`)
	first := true
	var num []byte
	f.scen.BuildIDs(e.ID, func(id int64) {
		if !first {
			w.WriteByte(',')
		}
		first = false
		num = strconv.AppendInt(num[:0], id, 10)
		w.Write(num)
	})
	w.WriteString("]}")
}

func (f *Fake) eval(w http.ResponseWriter, e *EvalInfo) {
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriterSize(w, 64<<10)
	f.writeEval(bw, e)
	bw.WriteByte('\n')
	bw.Flush()
}

func (f *Fake) evals(w http.ResponseWriter, r *http.Request) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page < 1 {
		page = 1
	}
	all := f.scen.Evals()
	last := (len(all) + EvalsPerPage - 1) / EvalsPerPage
	lo := min((page-1)*EvalsPerPage, len(all))
	hi := min(lo+EvalsPerPage, len(all))
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(`{"evals":[`)
	for i := lo; i < hi; i++ {
		if i > lo {
			bw.WriteByte(',')
		}
		f.writeEval(bw, &all[i])
	}
	fmt.Fprintf(bw, `],"first":"?page=1","last":"?page=%d"`, last)
	if page > 1 {
		fmt.Fprintf(bw, `,"previous":"?page=%d"`, page-1)
	}
	if page < last {
		fmt.Fprintf(bw, `,"next":"?page=%d"`, page+1)
	}
	bw.WriteString("}\n")
	bw.Flush()
}

func (f *Fake) evalBuilds(w http.ResponseWriter, id int64) {
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriterSize(w, 256<<10)
	WriteBuilds(bw, f.scen, id)
	bw.Flush()
}

// WriteBuilds writes the JSON array /eval/{id}/builds answers, one build at
// a time. It is how benchmarks put a generated evaluation in a file.
func WriteBuilds(w io.Writer, s Scenario, eval int64) error {
	bw, ok := w.(*bufio.Writer)
	if !ok {
		bw = bufio.NewWriterSize(w, 256<<10)
	}
	bw.WriteByte('[')
	first := true
	var enc wireEncoder
	found, err := s.EachBuild(eval, func(b *Build) error {
		if !first {
			bw.WriteByte(',')
		}
		first = false
		enc.write(bw, b)
		return nil
	})
	bw.WriteString("]\n")
	if err == nil && !found {
		err = fmt.Errorf("hydratest: no evaluation %d", eval)
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return err
}

type wireOutput struct {
	Path string `json:"path"`
}

type wireProduct struct {
	FileSize    *int64  `json:"filesize"`
	DefaultPath string  `json:"defaultpath"`
	Type        string  `json:"type"`
	SHA256      *string `json:"sha256hash"`
	Subtype     string  `json:"subtype"`
	Name        string  `json:"name"`
	Path        string  `json:"path"`
}

// wireBuild is Build as Hydra's JSON has it.
type wireBuild struct {
	ID            int64                  `json:"id"`
	Project       string                 `json:"project"`
	Jobset        string                 `json:"jobset"`
	Job           string                 `json:"job"`
	NixName       string                 `json:"nixname"`
	System        string                 `json:"system"`
	Finished      int                    `json:"finished"`
	BuildStatus   *int                   `json:"buildstatus"`
	Priority      int                    `json:"priority"`
	Timestamp     int64                  `json:"timestamp"`
	StartTime     *int64                 `json:"starttime"`
	StopTime      *int64                 `json:"stoptime"`
	ReleaseName   *string                `json:"releasename"`
	DrvPath       string                 `json:"drvpath"`
	JobsetEvals   []int64                `json:"jobsetevals"`
	BuildOutputs  map[string]wireOutput  `json:"buildoutputs"`
	BuildProducts map[string]wireProduct `json:"buildproducts"`
	BuildMetrics  struct{}               `json:"buildmetrics"`
}

// wireEncoder reuses its buffers across builds.
type wireEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
	wb  wireBuild
}

func (e *wireEncoder) write(w *bufio.Writer, b *Build) {
	if e.enc == nil {
		e.enc = json.NewEncoder(&e.buf)
		e.enc.SetEscapeHTML(false)
	}
	e.buf.Reset()
	e.wb = wireBuild{
		ID: b.ID, Project: b.Project, Jobset: b.Jobset, Job: b.Job, NixName: b.NixName, System: b.System,
		BuildStatus: b.BuildStatus, Priority: b.Priority, Timestamp: b.Timestamp,
		DrvPath: b.DrvPath, JobsetEvals: b.JobsetEvals,
		BuildOutputs: map[string]wireOutput{}, BuildProducts: map[string]wireProduct{},
	}
	if e.wb.JobsetEvals == nil {
		e.wb.JobsetEvals = []int64{}
	}
	if b.Finished {
		e.wb.Finished = 1
		e.wb.StartTime, e.wb.StopTime = &b.StartTime, &b.StopTime
	}
	outs := b.Outputs
	if len(outs) == 0 {
		outs = []string{"out"}
	}
	for i, o := range outs {
		p := outPath(b.DrvPath, b.NixName, o)
		e.wb.BuildOutputs[o] = wireOutput{Path: p}
		if i == 0 && b.Products == nil && b.BuildStatus != nil && *b.BuildStatus == 0 {
			e.wb.BuildProducts["1"] = wireProduct{Type: "nix-build", Name: b.NixName, Path: p}
		}
	}
	wireProducts(b, e.wb.BuildProducts)
	if b.ReleaseName != "" {
		e.wb.ReleaseName = &b.ReleaseName
	}
	e.enc.Encode(&e.wb)
	w.Write(bytes.TrimSuffix(e.buf.Bytes(), []byte("\n")))
}

// outPath derives a plausible output path from a derivation path.
func outPath(drv, name, output string) string {
	sum := sha256.Sum256([]byte(drv + "!" + output))
	var h [32]byte
	for i := range h {
		h[i] = nixBase32[sum[i]&31]
	}
	p := "/nix/store/" + string(h[:]) + "-" + name
	if output != "out" {
		p += "-" + output
	}
	return p
}

// cacheLog is the binary cache: it serves a log compressed, saying so in
// Content-Encoding, whatever the client asked for (as cache.nixos.org does).
func (f *Fake) cacheLog(w http.ResponseWriter, basename string) {
	id, ok := f.scen.BuildOfDrv(basename)
	text, ok2 := f.scen.Log(id)
	if !ok || !ok2 {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, "<Error><Code>NoSuchKey</Code></Error>\n")
		return
	}
	enc := f.LogEncoding
	if enc == "" {
		enc = []string{"br", "zstd", "gzip"}[id%3]
	}
	var body bytes.Buffer
	switch enc {
	case "br":
		zw := brotli.NewWriter(&body)
		io.WriteString(zw, text)
		zw.Close()
	case "zstd":
		zw, _ := zstd.NewWriter(&body)
		io.WriteString(zw, text)
		zw.Close()
	case "gzip":
		zw := gzip.NewWriter(&body)
		io.WriteString(zw, text)
		zw.Close()
	default:
		enc = ""
		body.WriteString(text)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if enc != "" {
		w.Header().Set("Content-Encoding", enc)
	}
	w.Header().Set("Content-Length", strconv.Itoa(body.Len()))
	w.Write(body.Bytes())
}
