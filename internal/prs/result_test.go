package prs

import (
	"bytes"
	"strings"
	"testing"
)

// A skipped batch is said to be a batch: its branch name never reads as
// a skipped attribute (as it did after a state reset).
func TestSummaryOfSkippedBatch(t *testing.T) {
	r := &Result{PRs: []PRResult{{Branch: "markbot/mark-abc", Status: StatusSkipped, Attrs: []string{"figlet", "sl"},
		Reason: "a human closed #7 on this branch"}}}
	var b bytes.Buffer
	if err := r.WriteSummary(&b); err != nil {
		t.Fatal(err)
	}
	if s := b.String(); !strings.Contains(s, "no pull request (skipped) on branch markbot/mark-abc for figlet, sl: a human closed #7") ||
		strings.Contains(s, "skipped markbot/") {
		t.Errorf("summary:\n%s", s)
	}
}
