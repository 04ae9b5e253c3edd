package app

// This file is the handling of comment commands: which comments are
// commands at all (cheap checks, no request), acting on each at most once
// (the comment's id is claimed in the state database), the facts a
// decision needs (the pull request, its maintainers from markbot's state),
// the decision (commands.go), its effects within their budgets, and at
// most one reply.

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/sirupsen/logrus"

	"github.com/nixpkgs-markbot/markbot/internal/bot"
	"github.com/nixpkgs-markbot/markbot/internal/prs"
	"github.com/nixpkgs-markbot/markbot/internal/state"
)

// CommentEventKey is what identifies a comment command in its signed
// payload: the comment's id. A comment is acted on, and answered, once.
func CommentEventKey(c *github.IssueComment) string {
	return fmt.Sprintf("comment:%d", c.GetID())
}

// onIssueComment answers a command on a markbot pull request. Comments by
// bots, on issues, edits, or without a command are ignored without a
// request to GitHub; a comment seen before is ignored too.
func (s *Server) onIssueComment(ctx context.Context, log *logrus.Entry, ev *github.IssueCommentEvent) error {
	issue, c := ev.GetIssue(), ev.GetComment()
	log = log.WithField("pr", issue.GetNumber())
	user := c.GetUser()
	switch {
	case ev.GetAction() != "created", !issue.IsPullRequest(), !s.ours(ev.GetRepo()):
		return nil
	case user.GetType() == "Bot" || strings.EqualFold(user.GetLogin(), s.o.BotLogin):
		return nil
	case c.GetID() <= 0:
		log.Warn("issue_comment: the comment has no id; ignored")
		return nil
	}
	cmd, ok := ParseCommand(c.GetBody(), s.o.Mention)
	if !ok {
		return nil
	}
	name := cmd.Name
	if _, known := map[string]bool{"help": true, "recheck": true, "drop": true}[name]; !known {
		name = "other" // bounded label values
	}
	log = log.WithFields(logrus.Fields{"command": name, "user": user.GetLogin(), "comment": c.GetID()})
	if !s.claim(ctx, log, CommentEventKey(c)) {
		s.metrics.commands.WithLabelValues(name, cmdReplay).Inc()
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
	facts := CommentFacts{Commenter: user.GetLogin(), Association: c.GetAuthorAssociation(), SkipFor: s.o.SkipFor,
		State: prState(pr)}
	if h, ok := prs.ParseHidden(pr.GetBody()); ok {
		facts.Kind, facts.Attrs, facts.HasHidden = h.Kind, h.Attrs, true
	}
	if needsRights(cmd.Name) && !facts.Authorised() {
		// Only then is the state read: its answer changes nothing else.
		facts.Maintainers, err = s.prMaintainers(ctx, pr.GetNumber(), pr.GetHead().GetRef(), facts.Attrs)
		if err != nil {
			log.WithError(err).Warn("issue_comment: reading the PR's maintainers from state; deciding without them")
		}
	}
	act := Decide(cmd, facts, s.o.Mention)
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
	if act.Recheck && !s.rechecks.allow(pr.GetNumber()) {
		act.Recheck, act.Outcome = false, cmdRateLimited
		act.Reply = mentionOf(facts.Commenter) + " a recheck was asked for recently (here or on other pull requests), so I am not starting another now. " +
			"The next scheduled cycle rechecks this pull request's packages; or ask again in an hour."
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
	if !s.replies.allow(pr.GetNumber()) {
		s.metrics.replies.WithLabelValues(replyRateLimited).Inc()
		log.Warn("issue_comment: reply not posted: too many replies lately (on this PR or in all)")
		return nil
	}
	if _, _, err := s.o.Comments.CreateComment(ctx, s.o.Owner, s.o.Repo, pr.GetNumber(), &github.IssueComment{Body: github.String(act.Reply)}); err != nil {
		s.metrics.replies.WithLabelValues(replyFailed).Inc()
		return fmt.Errorf("replying on PR #%d: %w", pr.GetNumber(), err)
	}
	s.metrics.replies.WithLabelValues(replyPosted).Inc()
	return nil
}

// Reply outcomes, the "outcome" label of markbot_replies_total.
const (
	replyPosted      = "posted"
	replyRateLimited = "rate_limited"
	replyFailed      = "failed"
)

// prState is "open", "merged" or "closed".
func prState(pr *github.PullRequest) string {
	switch {
	case pr.GetMerged():
		return "merged"
	case pr.GetState() == "open":
		return "open"
	}
	return "closed"
}

// publishedDetails is what prs logs with a pull request's "pr.published"
// and "pr.branch" events that authorisation reads: the branch and the
// reviewers planned from the packages' maintainers.
type publishedDetails struct {
	Branch    string         `json:"branch"`
	Reviewers *prs.Reviewers `json:"reviewers"`
}

// prMaintainers are the logins of the maintainers markbot planned to ask
// for reviews on pull request number when it published it, whether it
// requested the reviews or only named them (too many, or not pinged by
// policy), from its event log: the PR's "pr.published" event, else the
// "pr.branch" event of its branch (logged before the PR was created).
// GitHub's pending review requests are not it: GitHub removes a reviewer
// from them once they review. Nil when state has no such event (a PR
// published by an older markbot, or not by this state database).
func (s *Server) prMaintainers(ctx context.Context, number int, branch string, attrs []string) ([]string, error) {
	events, err := s.o.Store.Events(ctx, state.EventFilter{PR: number, Kind: "pr.published", Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(attrs) > 0 {
		more, err := s.o.Store.Events(ctx, state.EventFilter{Attr: attrs[0], Kind: "pr.branch"})
		if err != nil {
			return nil, err
		}
		events = append(events, more...)
	}
	for _, e := range events {
		var d publishedDetails
		if json.Unmarshal(e.Details, &d) != nil || d.Reviewers == nil || (e.Kind == "pr.branch" && d.Branch != branch) {
			continue
		}
		return slices.Concat(d.Reviewers.Users, d.Reviewers.Mentioned, d.Reviewers.Refused), nil
	}
	return nil, nil
}
