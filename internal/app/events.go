package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"
)

// handleJob handles one accepted event. Errors are logged: GitHub already
// has its 202, and the next cycle reconciles whatever an event missed.
func (s *Server) handleJob(ctx context.Context, j job) {
	ctx, cancel := context.WithTimeout(ctx, s.o.EventTimeout)
	defer cancel()
	log := s.log.WithFields(logrus.Fields{"delivery": j.delivery, "event": j.event})
	var err error
	switch ev := j.payload.(type) {
	case *github.PullRequestEvent:
		s.onPullRequest(ctx, log, ev)
	case *github.InstallationEvent:
		s.githubChanged()
		log.WithFields(logrus.Fields{"action": ev.GetAction(), "installation": ev.GetInstallation().GetID(),
			"account": ev.GetInstallation().GetAccount().GetLogin()}).Info("installation event")
	case *github.IssueCommentEvent:
		err = s.onIssueComment(ctx, log, ev)
	default:
		log.Debug("event ignored")
	}
	if err != nil {
		log.WithError(err).Error("event not handled")
	}
	s.metrics.handled.WithLabelValues(j.event).Inc()
}

func (s *Server) githubChanged() {
	if s.o.GitHubChanged != nil {
		s.o.GitHubChanged()
	}
}

// ours reports whether the event is about the configured repository.
func (s *Server) ours(repo *github.Repository) bool {
	return strings.EqualFold(repo.GetOwner().GetLogin(), s.o.Owner) && strings.EqualFold(repo.GetName(), s.o.Repo)
}

// PRClosedTrigger decides whether a pull_request event asks for a cycle: a
// markbot pull request (head branch with the prefix) was closed, merged or
// not; the publisher's sync step then records it in the state database.
func PRClosedTrigger(ev *github.PullRequestEvent, branchPrefix string) bool {
	return ev.GetAction() == "closed" && strings.HasPrefix(ev.GetPullRequest().GetHead().GetRef(), branchPrefix)
}

// PullRequestEventKey is what identifies a pull_request event in its
// signed payload: the pull request, the action and the pull request's
// updated_at. A replay of the payload has the same key, whatever its
// delivery id; closing the same pull request again later has another.
func PullRequestEventKey(ev *github.PullRequestEvent) string {
	pr := ev.GetPullRequest()
	return fmt.Sprintf("pull_request:%d:%s:%s", pr.GetNumber(), ev.GetAction(), pr.GetUpdatedAt().UTC().Format(time.RFC3339Nano))
}

func (s *Server) onPullRequest(ctx context.Context, log *logrus.Entry, ev *github.PullRequestEvent) {
	pr := ev.GetPullRequest()
	log = log.WithFields(logrus.Fields{"pr": pr.GetNumber(), "action": ev.GetAction()})
	if !s.ours(ev.GetRepo()) {
		log.Debug("pull_request: another repository; ignored")
		return
	}
	if strings.HasPrefix(pr.GetHead().GetRef(), s.o.BranchPrefix) {
		// Whatever happened to a markbot PR (closed, reopened, pushed to,
		// edited, labelled): the next cycle reads markbot's PRs again.
		s.githubChanged()
	}
	if !PRClosedTrigger(ev, s.o.BranchPrefix) {
		log.Debug("pull_request: nothing to do")
		return
	}
	if !s.claim(ctx, log, PullRequestEventKey(ev)) {
		return
	}
	queued := s.TriggerCycle(fmt.Sprintf("#%d closed", pr.GetNumber()))
	log.WithFields(logrus.Fields{"merged": pr.GetMerged(), "queued": queued}).Info("pull_request: markbot PR closed; reconciling")
}

// claim records in the state database that the event key names is acted
// on, and reports whether to act: not when it was claimed before (a
// replay: the signed payload came again, under any delivery id, also
// across restarts), nor when the claim cannot be recorded (an event is
// acted on at most once; the next cycle reconciles what one missed).
func (s *Server) claim(ctx context.Context, log *logrus.Entry, key string) bool {
	fresh, err := s.o.Store.ClaimEvent(ctx, key)
	switch {
	case err != nil:
		log.WithError(err).Error("webhook: recording the event failed; not acted on")
		return false
	case !fresh:
		s.metrics.replays.Inc()
		log.WithField("key", key).Warn("webhook: this event was handled before (a replay); ignored")
		return false
	}
	return true
}
