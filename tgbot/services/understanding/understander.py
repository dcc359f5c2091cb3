"""What a typed message needs: the rules (explainable floor) and the semantic tier together.

* A red-flag rule that fires is shown, unless the message also denies something and the
  encoder, reading it without the denied part, sees an ordinary question: then one yes/no
  question checks (the call-now line already visible), and nothing is silenced.
* The semantic tier may only add caution: when it sees a red flag above what the rules found,
  the bot asks one confirming question (Yes → the red-flag screen, No → the rules' answer).
  A see-a-doctor resemblance answers directly only when the rules had no answer at all.

No Telegram, no I/O: ``understand`` is pure given the catalogue's matcher and tier.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from functools import lru_cache

from tgbot.content import Catalog
from tgbot.services.understanding.matching import Analysis, Matcher, MatchKind, MatchResult
from tgbot.services.understanding.semantic import SemanticTier, Thresholds, Verdict, semantic_tier


class Level(enum.IntEnum):
    """What the person is told to do, least to most urgent."""

    NONE = 0
    SELF_CARE = 1
    SEE_DOCTOR = 2
    URGENT = 3
    EMERGENCY = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def of(cls, label: str | None) -> Level:
        return cls[label.upper()] if label else cls.SELF_CARE


class Kind(enum.Enum):
    RED_FLAG = "red_flag"
    CONFIRM = "confirm"
    ANSWER = "answer"
    UNSURE = "unsure"
    GREETING = "greeting"
    THANKS = "thanks"
    OFF_TOPIC = "off_topic"


_KIND_OF_MATCH = {
    MatchKind.RED_FLAG: Kind.RED_FLAG,
    MatchKind.ANSWER: Kind.ANSWER,
    MatchKind.UNSURE: Kind.UNSURE,
    MatchKind.GREETING: Kind.GREETING,
    MatchKind.THANKS: Kind.THANKS,
    MatchKind.OFF_TOPIC: Kind.OFF_TOPIC,
}


@dataclass(frozen=True)
class Understanding:
    kind: Kind
    level: Level  # of what is shown; a confirming question carries the level it checks for
    screen: str | None  # the screen shown; for CONFIRM, the red-flag screen "Yes" opens
    otherwise: MatchResult  # CONFIRM: what "No" shows (the answer without that red flag)
    question: str | None = None  # CONFIRM: the yes/no question
    reason: str = ""  # which rule or exemplar decided (for logs and tuning, never shown)
    concepts: frozenset[str] = frozenset()  # what the rules saw in the message


def level_of(result: MatchResult) -> Level:
    if result.kind in (MatchKind.RED_FLAG, MatchKind.ANSWER):
        return Level.of(result.level)
    return Level.NONE


class Understander:
    def __init__(self, matcher: Matcher, tier: SemanticTier | None) -> None:
        self.matcher = matcher
        self.tier = tier

    @property
    def tier_thresholds(self) -> Thresholds:
        assert self.tier is not None
        return self.tier.thresholds

    def understand(self, text: str) -> Understanding:
        return self.decide(self.matcher.analyse(text))

    def decide(self, analysis: Analysis) -> Understanding:
        """What a message the rules have already read (``matcher.analyse``) needs."""
        return replace(self._decide(analysis), concepts=analysis.concepts)

    def _decide(self, analysis: Analysis) -> Understanding:
        rules = analysis.result
        # Without an answer from the rules, a resemblance need not beat the answers by a
        # margin; if they found no word they know, the message may be another language, and
        # the encoder reads it whole (its "no" is not an English negation).
        unread = rules.kind in (MatchKind.UNSURE, MatchKind.OFF_TOPIC)
        segments = analysis.segments if analysis.concepts else analysis.unmasked
        verdict = (
            self.tier.verdict(
                segments,
                need_margin=not unread,
                agreed=rules.screen_id,
                ruled_out=analysis.ruled_out,
            )
            if self.tier is not None
            else None
        )
        if rules.kind is MatchKind.RED_FLAG:
            return self._red_flag(analysis, verdict)
        if verdict is None or not self._raises(verdict, level_of(rules)):
            return _plain(rules)
        if verdict.level == "see_doctor":
            # Not urgent, so no question: the see-a-doctor screen answers instead of a
            # self-care one (or of "did you mean"); greetings and thanks stay as they are.
            if self._see_doctor_replaces(rules, verdict.score):
                return Understanding(
                    Kind.ANSWER, Level.SEE_DOCTOR, verdict.screen, rules, None, _why(verdict)
                )
            return _plain(rules)
        return self._ask_about(verdict, rules)

    def _see_doctor_replaces(self, rules: MatchResult, score: float) -> bool:
        if rules.kind in (MatchKind.UNSURE, MatchKind.OFF_TOPIC):
            return True
        return rules.kind is MatchKind.ANSWER and score >= self.tier_thresholds.replace_answer

    def _ask_about(self, verdict: Verdict, rules: MatchResult) -> Understanding:
        """A question about the flag the message resembles. "No" leaves the closest lesser
        flag it also resembles, where that is more than the rules found: "not a seizure" does
        not make wasted, twitching hands a matter for stretches."""
        return self._confirm(
            verdict.screen, Level.of(verdict.level), self._after_no(verdict, rules), _why(verdict)
        )

    def _after_no(self, verdict: Verdict, rules: MatchResult) -> MatchResult:
        lesser = verdict.lesser
        if lesser is None or Level.of(lesser.level) <= level_of(rules):
            return rules
        if lesser.margin < self.tier_thresholds.margin:  # as near to some answer: that answer
            return rules
        if lesser.level == "see_doctor" and not self._see_doctor_replaces(rules, lesser.score):
            return rules
        return MatchResult(
            MatchKind.RED_FLAG, lesser.screen, lesser.level, score=lesser.score, rule=_why(lesser)
        )

    def _red_flag(self, analysis: Analysis, verdict: Verdict | None) -> Understanding:
        rules = analysis.result
        rule_level = level_of(rules)
        if verdict is not None and self._raises(verdict, rule_level):
            # The rules found a same-day sign, the encoder something worse: ask about that.
            return self._ask_about(verdict, rules)
        if analysis.negated and verdict is None and self._reads_ordinary(analysis):
            # "no chest pain, my calf just hurts": a rule and a negation disagree. Check.
            reason = f"negation:{rules.rule}"
            return self._confirm(rules.screen_id, rule_level, analysis.answer, reason)
        return _plain(rules)

    def _raises(self, verdict: Verdict, shown: Level) -> bool:
        """The resemblance is above what the rules show; above a same-day red flag the rules
        already named, it must be clearer (asked about one level up, it is mostly a second
        guess at the same story)."""
        level = Level.of(verdict.level)
        if level <= shown:
            return False
        if shown < Level.URGENT:
            return True
        thresholds = self.tier_thresholds
        return verdict.score >= thresholds.by_level[verdict.level] + thresholds.raise_extra

    def _reads_ordinary(self, analysis: Analysis) -> bool:
        """Without its denied parts, the message is nearest to an answer, not a red flag."""
        if self.tier is None or not analysis.segments:
            return False
        screen, _ = self.tier.closest(analysis.segments[0])
        return screen not in self.tier.exemplars.red_flags

    def _confirm(
        self, screen: str | None, level: Level, otherwise: MatchResult, reason: str
    ) -> Understanding:
        flags = self.tier.exemplars.red_flags if self.tier is not None else {}
        flag = flags.get(screen or "")
        if flag is None:  # no question written for this screen: show the red flag itself
            return Understanding(Kind.RED_FLAG, level, screen, otherwise, None, reason)
        return Understanding(Kind.CONFIRM, level, screen, otherwise, flag.confirm, reason)


def _plain(rules: MatchResult) -> Understanding:
    return Understanding(
        _KIND_OF_MATCH[rules.kind], level_of(rules), rules.screen_id, rules, None, rules.rule or ""
    )


def _why(verdict: Verdict) -> str:
    return f"semantic:{verdict.screen}:{verdict.score:.2f}/{verdict.margin:+.2f}"


@lru_cache(maxsize=64)
def understander_for(catalog: Catalog, encoder: str) -> Understander | None:
    """The catalogue's understander (None without a matcher); ``encoder`` "off" = rules only.
    Built once per catalogue: embedding the exemplars is the costly part."""
    if catalog.matcher is None:
        return None
    tier = None
    if encoder != "off" and catalog.semantic is not None:
        tier = semantic_tier(catalog.semantic, encoder)
    return Understander(catalog.matcher, tier)
