package state

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestProbes(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "markbot.db"))
	m, err := s.AddMarker(ctx, Marker{Attr: "p312.r", Attrs: []string{"p312.r", "p313.r"}, File: "r.nix", Line: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.LatestProbes(ctx, m.ID); err != nil || len(got) != 0 {
		t.Fatalf("before any probe: %v %v", got, err)
	}
	rec := func(ps ...Probe) {
		t.Helper()
		for i := range ps {
			ps[i].Marker = m.ID
		}
		if _, err := s.RecordProbes(ctx, ps); err != nil {
			t.Fatal(err)
		}
	}
	rec(Probe{Attr: "p312.r", System: "x86_64-linux", Source: ProbeHydra, Drv: "aaa", Eval: 7, Build: 70, URL: "u/70", Detail: "Hydra status 1"},
		Probe{Attr: "p313.r", System: "x86_64-linux", Source: ProbeHydra, Drv: "bbb", OK: true, Eval: 7, Build: 71})
	rec(Probe{Attr: "p312.r", System: "x86_64-linux", Source: ProbeLocal, Drv: "ccc", OK: true, Log: "/l/1.log", Detail: "exit status 0"})
	got, err := s.LatestProbes(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Attr != "p312.r" || got[0].Source != ProbeLocal || !got[0].OK || got[0].Drv != "ccc" || got[0].Log != "/l/1.log" ||
		got[1].Attr != "p313.r" || got[1].Build != 71 || !got[1].OK || got[1].At.IsZero() {
		t.Fatalf("latest = %+v", got)
	}
	// Another marker's probes are not mixed in.
	if other, err := s.LatestProbes(ctx, m.ID+1); err != nil || len(other) != 0 {
		t.Fatalf("other marker: %v %v", other, err)
	}
	for _, tc := range []struct {
		p    Probe
		want string
	}{
		{Probe{Marker: m.ID, System: "x", Source: ProbeLocal}, "needs a marker, an attribute and a system"},
		{Probe{Marker: m.ID, Attr: "a", System: "x", Source: "ci"}, `unknown source "ci"`},
		{Probe{Marker: 99, Attr: "a", System: "x", Source: ProbeLocal}, "FOREIGN KEY"},
	} {
		if _, err := s.RecordProbes(ctx, []Probe{{Marker: m.ID, Attr: "ok", System: "x", Source: ProbeLocal}, tc.p}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.p, err, tc.want)
		}
	}
	// A refused batch leaves nothing behind.
	if got, _ := s.LatestProbes(ctx, m.ID); len(got) != 2 {
		t.Errorf("a failed batch was partly recorded: %+v", got)
	}
}
