"""FrustrationPolicy: scores the customer's frustration every turn and acts when it rises.

On the first prediction after each user message it re-scores the conversation
(`bot.policies.frustration_score`) and always sets two slots, whether or not it
wins: `frustration` (score, level, turn and the reasons) and
`frustration_level` (calm / elevated / high), plus `was_frustrated` once the
level has been elevated in this session. Then:

- when the level is *elevated* or more and the bot hasn't acknowledged it since the
  customer was last calm, it predicts `action_acknowledge_frustration`.
  That action apologises and offers a person, then undoes itself
  (`ActionReverted`), so the rules and stories carry on with the customer's
  request as if nothing had interrupted them;
- when the level is *high* and the bot hasn't escalated since the customer was last
  calm, it predicts `action_escalate_frustration`, which hands over to people and
  also reverts itself, so the customer still gets the answer to what they asked.

Its priority (5) is above RulePolicy's (4), and its predictions compete with
form (loop) predictions, so it can step in anywhere. Intents whose own flow
already apologises or hands over (`complain`, `request_human`) are left to it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, replace
from typing import Any

from rasa.core.constants import POLICY_PRIORITY
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain, InvalidDomain
from rasa.shared.core.events import (
    ActionExecuted,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.policies.frustration_score import (
    CALM,
    HIGH,
    Assessment,
    FrustrationSettings,
    Turn,
    assess,
)

logger = logging.getLogger(__name__)

PRIORITY = 5
ACKNOWLEDGE_ACTION = "acknowledge_action"
ESCALATE_ACTION = "escalate_action"
SCORE_SLOT = "score_slot"
LEVEL_SLOT = "level_slot"
WAS_FRUSTRATED_SLOT = "was_frustrated_slot"
HANDLED_INTENTS = "handled_intents"
# Reported in the score slot: what the bot has done since the customer was last calm.
ACKNOWLEDGED = "acknowledged"
ESCALATED = "escalated"
FALLBACK_ACTIONS = frozenset({"action_default_fallback", "action_two_stage_fallback"})


def _turn(event: UserUttered) -> Turn:
    intent = event.intent or {}
    sentiment = (event.parse_data or {}).get("sentiment") or {}
    return Turn(
        text=event.text or "",
        intent=intent.get("name"),
        confidence=float(intent.get("confidence") or 0.0),
        sentiment=str(sentiment.get("label", "neutral")),
        sentiment_score=float(sentiment.get("score", 0.0)),
    )


def conversation_turns(events: Iterable[Event]) -> list[Turn]:
    """The user turns of the current session, marking fallbacks and reverted messages."""
    turns: list[Turn] = []
    for event in events:
        if isinstance(event, (SessionStarted, Restarted)):
            turns = []
        elif isinstance(event, UserUttered):
            turns.append(_turn(event))
        elif isinstance(event, UserUtteranceReverted) and turns:
            turns[-1] = replace(turns[-1], reverted=True)
        elif isinstance(event, ActionExecuted) and event.action_name and turns:
            last = turns[-1]
            turns[-1] = replace(
                last,
                actions=(*last.actions, event.action_name),
                fell_back=last.fell_back or event.action_name in FALLBACK_ACTIONS,
            )
    return turns


def awaiting_first_action(tracker: DialogueStateTracker) -> bool:
    """True between a user message and the first action run in reply to it."""
    for event in reversed(tracker.events):
        if isinstance(event, ActionExecuted):
            return False
        if isinstance(event, UserUttered):
            return True
    return False


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True
)
class FrustrationPolicy(Policy):
    """Acknowledges rising frustration and escalates high frustration to people."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        settings = {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in asdict(FrustrationSettings()).items()
            if not key.startswith("_")
        }
        return {
            # Above RulePolicy (4): the policy must be able to interrupt rules and forms.
            POLICY_PRIORITY: PRIORITY,
            # The action that apologises, offers a person and undoes itself.
            ACKNOWLEDGE_ACTION: "action_acknowledge_frustration",
            # The action that hands the conversation to people.
            ESCALATE_ACTION: "action_escalate_frustration",
            # Slots the policy keeps up to date (they must be in the domain).
            SCORE_SLOT: "frustration",
            LEVEL_SLOT: "frustration_level",
            WAS_FRUSTRATED_SLOT: "was_frustrated",
            # Intents whose own responses already apologise or bring in people.
            HANDLED_INTENTS: ["complain", "request_human"],
            # Thresholds, weights and phrases: see FrustrationSettings.
            **settings,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        config = {**self.get_default_config(), **config}
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self.settings = FrustrationSettings.from_config(config)

    def raise_if_incompatible_with_domain(self, domain: Domain) -> None:
        """The actions and slots this policy uses must be in the domain."""
        missing_actions = [
            name
            for name in (self.config[ACKNOWLEDGE_ACTION], self.config[ESCALATE_ACTION])
            if name not in domain.action_names_or_texts
        ]
        slot_names = {slot.name for slot in domain.slots}
        missing_slots = [
            self.config[key]
            for key in (SCORE_SLOT, LEVEL_SLOT, WAS_FRUSTRATED_SLOT)
            if self.config[key] not in slot_names
        ]
        if missing_actions or missing_slots:
            raise InvalidDomain(
                "FrustrationPolicy needs these in domain.yml: "
                f"actions {missing_actions}, slots {missing_slots}."
            )

    def train(
        self,
        training_trackers: list[TrackerWithCachedStates],
        domain: Domain,
        **kwargs: Any,
    ) -> Resource:
        """Nothing to learn: the score is computed from the conversation and the config."""
        self.raise_if_incompatible_with_domain(domain)
        return self._resource

    def _slot_events(self, tracker: DialogueStateTracker, value: dict[str, Any]) -> list[Event]:
        events: list[Event] = [
            SlotSet(self.config[SCORE_SLOT], value),
            SlotSet(self.config[LEVEL_SLOT], value["level"]),
        ]
        if value["level"] != CALM and not tracker.get_slot(self.config[WAS_FRUSTRATED_SLOT]):
            events.append(SlotSet(self.config[WAS_FRUSTRATED_SLOT], True))
        return events

    def _bout(self, turns: list[Turn], assessments: list[Assessment]) -> tuple[bool, bool]:
        """Whether the bot already acknowledged / escalated since the customer was last calm.

        Read from the events themselves (not the slot), so that a fallback rewinding a
        message doesn't make the bot forget it already handed over.
        """
        handled = set(self.config[HANDLED_INTENTS])
        acknowledge, escalate = self.config[ACKNOWLEDGE_ACTION], self.config[ESCALATE_ACTION]
        acknowledged = escalated = False
        for turn, assessment in zip(reversed(turns[:-1]), reversed(assessments[:-1]), strict=True):
            if assessment.level == CALM:
                break
            escalated = escalated or escalate in turn.actions
            acknowledged = (
                acknowledged or escalated or acknowledge in turn.actions or turn.intent in handled
            )
        return acknowledged, escalated

    def _decide(
        self, turns: list[Turn], assessments: list[Assessment]
    ) -> tuple[str | None, dict[str, Any]]:
        """The action to take (if any) and the new slot value, with what the bot has done."""
        current = assessments[-1]
        calm = current.level == CALM
        acknowledged, escalated = self._bout(turns, assessments)
        intent = turns[-1].intent

        action = None
        if intent in set(self.config[HANDLED_INTENTS]):
            acknowledged = acknowledged or not calm  # their own responses apologise
        elif current.level == HIGH and not escalated:
            action, acknowledged, escalated = self.config[ESCALATE_ACTION], True, True
        elif not calm and not acknowledged:
            action, acknowledged = self.config[ACKNOWLEDGE_ACTION], True
        return action, {**current.as_dict(), ACKNOWLEDGED: acknowledged, ESCALATED: escalated}

    def _predict(self, domain: Domain, action: str, events: list[Event]) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities, events=events, is_no_user_prediction=True)

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        """Scores the new message; acknowledges or escalates when the level rises."""
        if not awaiting_first_action(tracker):
            return self._prediction(self._default_predictions(domain))

        turns = conversation_turns(tracker.events)
        assessments = assess(turns, self.settings)
        if not assessments:
            return self._prediction(self._default_predictions(domain))
        action, value = self._decide(turns, assessments)
        events = self._slot_events(tracker, value)
        logger.debug(f"Frustration {value['score']} ({value['level']}); acting with {action}.")
        if action is None:
            return self._prediction(self._default_predictions(domain), events=events)
        return self._predict(domain, action, events)
