"""The first stage of the two-stage fallback: offer the best guesses as buttons."""

from __future__ import annotations

import json

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import text

MAX_GUESSES = 3
# Intents that make poor guesses: answers to questions, and the fallback itself.
NOT_GUESSES = {"nlu_fallback", "affirm", "deny", "inform", "out_of_scope", "greet", "goodbye"}


class ActionDefaultAskAffirmation(Action):
    """Replaces Rasa's one-guess question with up to three topic buttons."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        message = tracker.latest_message or {}
        ranking = message.get("intent_ranking") or []
        entities = {
            entity["entity"]: entity["value"]
            for entity in message.get("entities") or []
            if "entity" in entity and "value" in entity
        }
        suffix = json.dumps(entities) if entities else ""
        guesses = [
            intent["name"]
            for intent in ranking
            if intent.get("name") not in NOT_GUESSES
            and f"utter_topic_{intent.get('name')}" in domain.get("responses", {})
        ][:MAX_GUESSES]
        buttons = [
            {"title": text.template(domain, f"utter_topic_{name}"), "payload": f"/{name}{suffix}"}
            for name in guesses
        ]
        buttons.append(
            {
                "title": text.template(domain, "utter_affirmation_something_else"),
                "payload": "/out_of_scope",
            }
        )
        dispatcher.utter_message(response="utter_ask_affirmation", buttons=buttons)
        return []
