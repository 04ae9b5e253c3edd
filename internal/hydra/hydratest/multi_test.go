package hydratest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/nixpkgs-markbot/markbot/internal/version"
)

func TestMulti(t *testing.T) {
	a := NewStatic("nixpkgs", "unstable").AddEval(100, 1000, B(1, "a.x86_64-linux", "x86_64-linux", 0, "00000000000000000000000000000001-a", 1, 2))
	b := NewStatic("nixpkgs", "staging").AddEval(200, 1000, B(2, "b.x86_64-linux", "x86_64-linux", 1, "00000000000000000000000000000002-b", 1, 2))
	srv := httptest.NewServer(Multi(New(a), New(b)))
	defer srv.Close()
	get := func(path string) (int, map[string]any) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", version.UserAgent())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var v map[string]any
		json.Unmarshal(body, &v)
		return resp.StatusCode, v
	}
	for path, wantJob := range map[string]string{"/build/1": "a.x86_64-linux", "/build/2": "b.x86_64-linux"} {
		code, v := get(path)
		if code != 200 || v["job"] != wantJob {
			t.Errorf("%s: %d %v, want the build of %s", path, code, v, wantJob)
		}
	}
	if code, _ := get("/build/3"); code != http.StatusNotFound {
		t.Errorf("unknown build: %d, want 404", code)
	}
}
