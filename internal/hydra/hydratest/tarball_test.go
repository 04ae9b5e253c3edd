package hydratest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"

	"github.com/nixpkgs-markbot/markbot/internal/nixpkgs"
)

const smallPackagesJSON = `{"packages":{"hello":{"meta":{"description":"Says hello","maintainers":[],"position":"pkgs/by-name/he/hello/package.nix:45"},"name":"hello-2.12.2","outputName":"out","outputs":["out"],"pname":"hello","system":"x86_64-linux","version":"2.12.2"}},"version":"2"}`

func tarballScenario() *Static {
	s := NewStatic("nixpkgs", "unstable")
	s.AddEval(10, 1767225600, bs(1, "hello.x86_64-linux", 0, 100))
	s.SetPackages(10, []byte(smallPackagesJSON))
	s.AddEval(11, 1767312000, bs(1, "hello.x86_64-linux", 0, 100))
	s.AddTarball(11, 51, 1, []byte(smallPackagesJSON))
	s.AddEval(12, 1767398400, bs(1, "hello.x86_64-linux", 0, 100))
	s.AddTarball(12, 52, -1, nil)
	return s
}

func TestTarballRoutes(t *testing.T) {
	srv := httptest.NewServer(New(tarballScenario()))
	defer srv.Close()
	u := srv.URL
	for _, c := range []struct {
		path, accept string
		code         int
		location     string // for redirects
		body         string // a substring of the body
	}{
		{"/eval/10/job/tarball", "application/json", 302, u + "/build/2", ""},
		{"/eval/10/job/tarball/download-by-type/file/json-br", "", 302, u + "/build/2/download-by-type/file/json-br", ""},
		{"/eval/10/job/hello.x86_64-linux", "application/json", 302, u + "/build/1", ""},
		{"/eval/10/job/nope", "application/json", 404, "", `{"error":"This evaluation has no job with the specified name."}`},
		{"/eval/10/job/nope", "", 404, "", `<div class="alert alert-error">This evaluation has no job with the specified name.</div>`},
		{"/eval/10/job", "application/json", 404, "", "no job with the specified name"},
		{"/eval/99/job/tarball", "application/json", 404, "", `{"error":"Evaluation 99 doesn't exist."}`},
		{"/eval/11/job/tarball", "application/json", 302, u + "/build/51", ""},
		{"/build/2/download", "", 302, u + "/build/2/download/1/packages.json.br", ""},
		{"/build/2/download/1", "", 302, u + "/build/2/download/1/packages.json.br", ""},
		{"/build/2/download/2", "", 302, u + "/build/2/download/2/nixpkgs-26.05pre20251231.0000000.tar.xz", ""},
		{"/build/2/download/1/packages.json.br/inside", "application/json", 404, "", "does not exist."},
		{"/build/2/download/1/bad%20name", "", 200, "", ""}, // the name is not checked, it is dropped
		{"/build/2/download/1/packages.json.br/bad%20name", "application/json", 500, "", `Invalid filename 'bad name'.`},
		{"/build/2/download/3", "application/json", 404, "", `{"error":"Build doesn't have a product 3."}`},
		{"/build/2/download/3", "", 404, "", `Build doesn&#39;t have a product 3.`},
		{"/build/2/download/nixexprs.tar.xz", "application/json", 404, "", `Build doesn't have a product nixexprs.tar.xz.`},
		{"/build/2/download-by-type/file/json-br", "", 302, u + "/build/2/download/1/packages.json.br", ""},
		{"/build/2/download-by-type/file/source-dist", "", 302, u + "/build/2/download/2/nixpkgs-26.05pre20251231.0000000.tar.xz", ""},
		{"/build/2/download-by-type/file/json", "application/json", 404, "", `{"error":"Build doesn't have a build product with type file/json."}`},
		{"/build/2/download-by-type/file", "application/json", 404, "", "You need to specify a type and a subtype in the URI."},
		{"/build/51/download/1", "application/json", 404, "", "Build doesn't have a product 1."},
		{"/build/52/download-by-type/file/json-br", "application/json", 404, "", "Build doesn't have a build product with type file/json-br."},
		{"/build/2/products", "application/json", 404, "", "Page not found."},
		{"/build/1/download/1", "", 302, u + "/build/1/download/1/hello-1.0", ""},
		{"/build/1/download/1/hello-1.0", "", 302, u + "/build/1/download/1/hello-1.0/", ""},
	} {
		resp, body := get(t, u+c.path, c.accept)
		if resp.StatusCode != c.code {
			t.Errorf("%s: %d, want %d (%s)", c.path, resp.StatusCode, c.code, body)
			continue
		}
		if c.location != "" && resp.Header.Get("Location") != c.location {
			t.Errorf("%s: Location %q, want %q", c.path, resp.Header.Get("Location"), c.location)
		}
		if !strings.Contains(string(body), c.body) {
			t.Errorf("%s: body %.300s lacks %q", c.path, body, c.body)
		}
	}
}

func TestTarballProducts(t *testing.T) {
	s := tarballScenario()
	srv := httptest.NewServer(New(s))
	defer srv.Close()
	_, body := get(t, srv.URL+"/build/2", "application/json")
	var b struct {
		Job, NixName string
		ReleaseName  *string `json:"releasename"`
		Priority     int
		Products     map[string]struct {
			Type, Subtype, Name, Path string
			DefaultPath               string `json:"defaultpath"`
			FileSize                  int64  `json:"filesize"`
			SHA256                    string `json:"sha256hash"`
		} `json:"buildproducts"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatal(err)
	}
	if b.Job != "tarball" || b.NixName != "nixpkgs-tarball-26.05pre20251231.0000000" || b.Priority != 200 ||
		b.ReleaseName == nil || *b.ReleaseName != "nixpkgs-26.05pre20251231.0000000" {
		t.Errorf("build: %s", body)
	}
	p1, p2 := b.Products["1"], b.Products["2"]
	if len(b.Products) != 2 || p1.Type != "file" || p1.Subtype != "json-br" || p1.Name != "packages.json.br" ||
		!strings.HasSuffix(p1.Path, "-nixpkgs-tarball-26.05pre20251231.0000000/packages.json.br") || p1.DefaultPath != "" ||
		p2.Subtype != "source-dist" || p2.Name != "nixpkgs-26.05pre20251231.0000000.tar.xz" || !strings.Contains(p2.Path, "/tarballs/") {
		t.Fatalf("products: %s", body)
	}

	resp, br := get(t, srv.URL+"/build/2/download/1/packages.json.br", "")
	h := resp.Header
	if resp.StatusCode != 200 || h.Get("Content-Security-Policy") != "sandbox allow-scripts" ||
		h.Get("Content-Type") != "text/plain; charset=utf-8" || h.Get("Content-Encoding") != "" ||
		h.Get("Last-Modified") != "Wed, 31 Dec 2025 23:35:00 GMT" {
		t.Errorf("headers: %d %v", resp.StatusCode, h)
	}
	if sum := sha256.Sum256(br); hex.EncodeToString(sum[:]) != p1.SHA256 || int64(len(br)) != p1.FileSize {
		t.Errorf("body does not match filesize %d and sha256hash %s", p1.FileSize, p1.SHA256)
	}
	plain, err := io.ReadAll(brotli.NewReader(bytes.NewReader(br)))
	if want, _ := s.Packages(10); err != nil || !bytes.Equal(plain, want) {
		t.Errorf("packages.json.br decodes to %.100q, %v", plain, err)
	}
	// The name in the URL is for information only; a product can be named.
	for _, p := range []string{"/build/2/download/1/anything", "/build/2/download/packages.json.br"} {
		if resp, got := get(t, srv.URL+p, ""); resp.StatusCode != 200 || !bytes.Equal(got, br) {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}

	resp, xz := get(t, srv.URL+"/build/2/download/2/nixpkgs-26.05pre20251231.0000000.tar.xz", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-xz" || int64(len(xz)) != p2.FileSize {
		t.Errorf("tarball: %d %v", resp.StatusCode, resp.Header)
	}
	if _, err := exec.LookPath("xz"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, "xz", "-dc")
		cmd.Stdin = bytes.NewReader(xz)
		out, err := cmd.Output()
		if err != nil || !bytes.Contains(out, []byte("nixpkgs-26.05pre20251231.0000000/.git-revision")) {
			t.Errorf("xz -dc: %v (%d bytes)", err, len(out))
		}
	}

	// A failed tarball has no products and no release name; a queued one
	// leaves its evaluation unfinished.
	_, body = get(t, srv.URL+"/build/51", "application/json")
	if !strings.Contains(string(body), `"buildproducts":{}`) || !strings.Contains(string(body), `"releasename":null`) {
		t.Errorf("failed tarball: %s", body)
	}
	if evals := s.Evals(); evals[0].ID != 12 || evals[0].Finished || !evals[1].Finished {
		t.Errorf("evaluations: %+v", evals)
	}
}

func TestSedReleaseName(t *testing.T) {
	for in, want := range map[string]string{
		"nixpkgs-26.05pre20260101.abc1234.tar.xz": "nixpkgs-26.05pre20260101",
		"nixpkgs-26.05pre20260101.1bc1234.tar.xz": "nixpkgs-26.05pre20260101.1bc1234",
	} {
		if got := sedReleaseName(in); got != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}

func TestGeneratedTarball(t *testing.T) {
	for _, c := range []struct {
		mode   TarballMode
		newest int // status of the newest evaluation's tarball; -2: none
		older  int
	}{
		{TarballBuilt, 0, 0}, {TarballNone, -2, -2}, {TarballAbsentNewest, -2, 0},
		{TarballFailedNewest, 1, 0}, {TarballQueuedNewest, -1, 0},
	} {
		cfg := small()
		cfg.Packages, cfg.Evals, cfg.Tarball = 300, 3, c.mode
		g := Generate(cfg)
		srv := httptest.NewServer(New(g))
		evals := g.Evals()
		for i, want := range []int{c.newest, c.older} {
			e := evals[i]
			resp, _ := get(t, srv.URL+"/eval/"+strconv.FormatInt(e.ID, 10)+"/job/tarball", "application/json")
			if want == -2 {
				if resp.StatusCode != 404 {
					t.Errorf("mode %d eval %d: %d, want no tarball job", c.mode, e.ID, resp.StatusCode)
				}
				continue
			}
			loc := resp.Header.Get("Location")
			resp, body := get(t, loc, "application/json")
			var b Build
			json.Unmarshal(body, &b)
			st := -1
			if b.BuildStatus != nil {
				st = *b.BuildStatus
			}
			if resp.StatusCode != 200 || b.Job != "tarball" || st != want || bool(b.Finished) != (want >= 0) {
				t.Errorf("mode %d eval %d: %s", c.mode, e.ID, body)
			}
			if want != 0 {
				continue
			}
			resp, br := get(t, loc+"/download-by-type/file/json-br", "")
			resp, br = get(t, resp.Header.Get("Location"), "")
			ix, err := nixpkgs.Read(brotli.NewReader(bytes.NewReader(br)), "packages.json.br")
			want, _ := g.Packages(e.ID)
			plain, _ := io.ReadAll(brotli.NewReader(bytes.NewReader(br)))
			if err != nil {
				t.Fatalf("mode %d eval %d: %d, %v", c.mode, e.ID, resp.StatusCode, err)
			}
			if !bytes.Equal(plain, want) || ix.Len() < 250 || ix.Version() != 2 {
				t.Fatalf("mode %d eval %d: %d packages, version %d", c.mode, e.ID, ix.Len(), ix.Version())
			}
			withMaint := 0
			for _, a := range ix.Attrs() {
				p, _ := ix.Lookup(a)
				if p.File == "" || p.Line == 0 || p.Name == "" || p.Description == "" {
					t.Fatalf("package %s: %+v", a, p)
				}
				if len(p.Maintainers) > 0 && p.Maintainers[0].GitHub != "" && p.Maintainers[0].GitHubID > 0 {
					withMaint++
				}
			}
			if withMaint < ix.Len()/2 {
				t.Errorf("only %d of %d packages have maintainers", withMaint, ix.Len())
			}
		}
		if e := evals[0]; e.Finished == (c.mode == TarballQueuedNewest) {
			t.Errorf("mode %d: newest evaluation finished = %v", c.mode, e.Finished)
		}
		srv.Close()
	}
}
