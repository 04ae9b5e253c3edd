// Step 4, publishing from memory: Handler serves the routes of routes.go
// from the latest Site the caller holds (it never calls Hydra or GitHub
// per request), with the same bytes WriteSite writes, an ETag and
// Last-Modified, 304 answers to If-None-Match and If-Modified-Since, and
// HEAD.

package report

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"path"
	"strings"
	"sync"
)

// HandlerCacheBytes bounds the rendered pages and feeds Handler keeps for
// the current Site (a page not kept is rendered again when asked).
const HandlerCacheBytes = 256 << 20

// pageCSP is the Content-Security-Policy of the pages (also in their
// <meta>, for the static site; frame-ancestors only works as a header).
const pageCSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// Handler serves the site latest returns, as WriteSite would write it.
// latest is called once per request and should return the Site the last
// cycle made (a Site must not change once returned); the pages of one
// Site are rendered once and kept. Mount it anywhere (with
// http.StripPrefix under a prefix): its pages link relatively. An error or
// a nil Site answers 503; an invalid Site 500.
func Handler(latest func() (*Site, error)) http.Handler {
	return &handler{latest: latest, cacheBytes: HandlerCacheBytes}
}

type handler struct {
	latest     func() (*Site, error)
	cacheBytes int
	mu         sync.Mutex
	cur        *prepared
}

// prepared is one Site's view and rendered files.
type prepared struct {
	site  *Site
	once  sync.Once
	view  *view
	err   error
	mu    sync.Mutex
	cache map[string]*rendered
	bytes int
	limit int
}

type rendered struct {
	body []byte
	etag string
}

func (h *handler) prepare(site *Site) *prepared {
	h.mu.Lock()
	p := h.cur
	if p == nil || p.site != site {
		p = &prepared{site: site, cache: map[string]*rendered{}, limit: h.cacheBytes}
		h.cur = p
	}
	h.mu.Unlock()
	p.once.Do(func() {
		if p.err = site.Validate(); p.err == nil {
			p.view = newView(site)
		}
	})
	return p
}

func (p *prepared) get(sf siteFile) (*rendered, error) {
	p.mu.Lock()
	r := p.cache[sf.path]
	p.mu.Unlock()
	if r != nil {
		return r, nil
	}
	body, err := sf.render()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	r = &rendered{body: body, etag: `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`}
	p.mu.Lock()
	if p.bytes+len(body) <= p.limit && p.cache[sf.path] == nil {
		p.cache[sf.path] = r
		p.bytes += len(body)
	}
	p.mu.Unlock()
	return r, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	site, err := h.latest()
	if err != nil || site == nil {
		w.Header().Set("Retry-After", "60")
		http.Error(w, "the report is not available yet", http.StatusServiceUnavailable)
		return
	}
	p := h.prepare(site)
	if p.err != nil {
		http.Error(w, "the report is invalid", http.StatusInternalServerError)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	sf, redirect, found := p.view.lookup(r.URL.Path)
	switch {
	case redirect != "":
		// Relative, so that it holds under any prefix.
		w.Header().Set("Location", redirect)
		w.WriteHeader(http.StatusMovedPermanently)
		return
	case !found:
		w.Header().Set("Content-Type", htmlType)
		w.Header().Set("Content-Security-Policy", "default-src 'none'; base-uri 'none'; frame-ancestors 'none'")
		w.WriteHeader(http.StatusNotFound)
		if r.Method != http.MethodHead {
			w.Write(notFoundPage)
		}
		return
	}
	res, err := p.get(sf)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", sf.ctype)
	hd.Set("ETag", res.etag)
	hd.Set("Cache-Control", "no-cache")
	if sf.ctype == htmlType {
		hd.Set("Content-Security-Policy", pageCSP)
		hd.Set("Referrer-Policy", "no-referrer")
	}
	http.ServeContent(w, r, "", p.view.generated, bytes.NewReader(res.body))
}

// lookup maps a request path to the file it shows, or to a relative
// redirect (a directory without its "/", a login in another case).
func (v *view) lookup(urlPath string) (sf siteFile, redirect string, found bool) {
	rt := parseRoute(urlPath)
	switch rt.kind {
	case routeIndex:
		return v.indexFile(), "", true
	case routeMaintainers, routeTeams:
		return v.listFile(rt.kind == routeTeams), "", true
	case routeDirRedirect:
		return sf, rt.a + "/", false
	case routeAsset:
		return assetFile(rt.a), "", true
	case routeJobset:
		if jv := v.lookupJobset(rt.a, rt.b); jv != nil {
			return v.jobsetFile(jv), "", true
		}
	case routeMaintainer, routeMaintainerFeed:
		o, canonical := v.lookupLogin(rt.a)
		switch {
		case o == nil:
		case canonical != rt.a:
			return sf, canonical + strings.TrimPrefix(path.Base(urlPath), rt.a), false
		case rt.kind == routeMaintainer:
			return v.ownerFile(o), "", true
		default:
			return v.feedFile(o), "", true
		}
	case routeTeam, routeTeamFeed:
		if o := v.bySlug[rt.a]; o != nil {
			if rt.kind == routeTeam {
				return v.ownerFile(o), "", true
			}
			return v.feedFile(o), "", true
		}
	}
	return sf, "", false
}
