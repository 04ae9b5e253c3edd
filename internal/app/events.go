package app

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/bot"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
	"github.com/nixpkgs-markbot/markbot/internal/state"
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
		s.onPullRequest(log, ev)
	case *github.InstallationEvent:
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

func (s *Server) onPullRequest(log *logrus.Entry, ev *github.PullRequestEvent) {
	pr := ev.GetPullRequest()
	log = log.WithFields(logrus.Fields{"pr": pr.GetNumber(), "action": ev.GetAction()})
	if !s.ours(ev.GetRepo()) {
		log.Debug("pull_request: another repository; ignored")
		return
	}
	if !PRClosedTrigger(ev, s.o.BranchPrefix) {
		log.Debug("pull_request: nothing to do")
		return
	}
	queued := s.TriggerCycle(fmt.Sprintf("#%d closed", pr.GetNumber()))
	log.WithFields(logrus.Fields{"merged": pr.GetMerged(), "queued": queued}).Info("pull_request: markbot PR closed; reconciling")
}

// onIssueComment answers a command on a markbot pull request. Comments by
// bots, on issues, on other pull requests or without a command are ignored
// without a request to GitHub.
func (s *Server) onIssueComment(ctx context.Context, log *logrus.Entry, ev *github.IssueCommentEvent) error {
	issue, c := ev.GetIssue(), ev.GetComment()
	log = log.WithField("pr", issue.GetNumber())
	user := c.GetUser()
	switch {
	case ev.GetAction() != "created", !issue.IsPullRequest(), !s.ours(ev.GetRepo()):
		return nil
	case user.GetType() == "Bot" || strings.EqualFold(user.GetLogin(), s.o.BotLogin):
		return nil
	}
	cmd, ok := ParseCommand(c.GetBody(), s.o.Mention)
	if !ok {
		return nil
	}
	pr, _, err := s.o.PullRequests.Get(ctx, s.o.Owner, s.o.Repo, issue.GetNumber())
	if err != nil {
		return fmt.Errorf("reading PR #%d: %w", issue.GetNumber(), err)
	}
	if !strings.HasPrefix(pr.GetHead().GetRef(), s.o.BranchPrefix) {
		log.Debug("issue_comment: not a markbot PR; ignored")
		return nil
	}
	facts := CommentFacts{Commenter: user.GetLogin(), Association: c.GetAuthorAssociation(), SkipFor: s.o.SkipFor}
	for _, r := range pr.RequestedReviewers {
		facts.Reviewers = append(facts.Reviewers, r.GetLogin())
	}
	if h, ok := prs.ParseHidden(pr.GetBody()); ok {
		facts.Kind, facts.Attrs, facts.HasHidden = h.Kind, h.Attrs, true
	}
	act := Decide(cmd, facts, s.o.Mention)
	name := cmd.Name
	if _, known := map[string]bool{"help": true, "recheck": true, "drop": true}[name]; !known {
		name = "other" // bounded label values
	}
	log = log.WithFields(logrus.Fields{"command": name, "user": facts.Commenter})
	if act.Skip != "" {
		log = log.WithField("attr", act.Skip)
		reason := fmt.Sprintf("dropped by @%s on PR #%d", facts.Commenter, pr.GetNumber())
		if err := s.o.Store.AddSkip(ctx, act.Skip, reason, s.now().Add(s.o.SkipFor)); err != nil {
			// Do not claim what was not done.
			act.Reply = mentionOf(facts.Commenter) + " sorry, I could not record that (an error on my side); please try again later."
			act.Outcome = "error"
			log.WithError(err).Error("issue_comment: recording the skip")
		} else if s.o.Drop != nil {
			// Out of the PR for real: branch, body, state, a comment.
			res, err := s.o.Drop(ctx, pr.GetNumber(), []prs.Drop{{Attr: act.Skip,
				Reason: fmt.Sprintf("dropped by @%s (`%s drop`)", facts.Commenter, s.o.Mention)}})
			act.Reply = DropReply(facts.Commenter, act.Skip, s.o.SkipFor, res, err)
			if err != nil {
				act.Outcome = "error"
				log.WithError(err).Error("issue_comment: dropping from the PR")
			} else {
				log.WithFields(logrus.Fields{"closed": res.Closed, "branch_update": res.BranchUpdate}).Info("issue_comment: dropped from the PR")
			}
		}
	}
	s.metrics.commands.WithLabelValues(name, act.Outcome).Inc()
	log = log.WithField("outcome", act.Outcome)
	if act.Recheck {
		// The PR's markers are probed at the next cycle, however recently
		// they were (the revert loop reads these events).
		for _, attr := range facts.Attrs {
			if _, err := s.o.Store.Log(ctx, state.Event{Kind: bot.ProbeRequestedEvent, Attr: attr, PR: pr.GetNumber(),
				Message: fmt.Sprintf("recheck asked by @%s on #%d", facts.Commenter, pr.GetNumber())}); err != nil {
				log.WithError(err).Warn("issue_comment: recording the recheck request")
			}
		}
		s.TriggerCycle(fmt.Sprintf("recheck by @%s on #%d", facts.Commenter, pr.GetNumber()))
	}
	log.Info("issue_comment: command")
	if act.Reply == "" {
		return nil
	}
	if _, _, err := s.o.Comments.CreateComment(ctx, s.o.Owner, s.o.Repo, pr.GetNumber(), &github.IssueComment{Body: github.String(act.Reply)}); err != nil {
		return fmt.Errorf("replying on PR #%d: %w", pr.GetNumber(), err)
	}
	return nil
}
