package hydratest

import (
	"net/http"
	"net/http/httptest"
)

// Multi serves several fakes (one jobset each) at one URL, as one Hydra
// serves many jobsets: a request goes to the first fake that knows it
// (answers anything but 404), else to the last. The fakes' evaluation and
// build ids must not overlap. Answers of all but the last fake are
// buffered, which suits test- and demo-sized scenarios.
func Multi(fakes ...http.Handler) http.Handler {
	return multi(fakes)
}

type multi []http.Handler

func (m multi) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for _, h := range m[:len(m)-1] {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code == http.StatusNotFound {
			continue
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
		return
	}
	m[len(m)-1].ServeHTTP(w, r)
}
