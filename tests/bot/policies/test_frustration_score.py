from __future__ import annotations

from bot.policies.frustration_score import (
    CALM,
    ELEVATED,
    HIGH,
    FrustrationSettings,
    Turn,
    assess,
)

SETTINGS = FrustrationSettings(phrases=("third time", "ridiculous", "how many times", "don't"))


def calm(text: str, intent: str) -> Turn:
    return Turn(text=text, intent=intent, confidence=0.95)


def negative(text: str, intent: str, score: float = -0.8) -> Turn:
    return Turn(text, intent, 0.95, "negative", score)


def codes(turns: list[Turn]) -> list[str]:
    return [reason.code for reason in assess(turns, SETTINGS)[-1].reasons]


def test_a_calm_message_scores_zero() -> None:
    [only] = assess([calm("I'd like to cancel my order please", "cancel_order")], SETTINGS)
    assert only.score == 0.0 and only.level == CALM and only.reasons == ()


def test_shouting_an_explicit_phrase_with_negative_sentiment_is_high_at_once() -> None:
    turn = negative("WHERE IS MY ORDER?!? This is the THIRD TIME", "order_status", -0.9)
    [only] = assess([turn], SETTINGS)
    assert only.level == HIGH
    assert {"negative_sentiment", "shouting", "emphatic_punctuation", "frustration_phrase"} == {
        reason.code for reason in only.reasons
    }


def test_asking_the_same_thing_again_and_again_rises_to_elevated() -> None:
    turns = [
        calm("where is my order", "order_status"),
        calm("is there any news on my parcel", "order_status"),
        calm("when will my order come", "order_status"),
    ]
    levels = [assessment.level for assessment in assess(turns, SETTINGS)]
    assert levels == [CALM, CALM, ELEVATED]
    assert codes(turns)[0] == "repeated_request"


def test_nearly_the_same_words_count_as_a_repeat_whatever_the_intent() -> None:
    turns = [
        calm("i need the tracking link", "inform"),
        calm("i need the tracking link!", "inform"),
    ]
    assert "repeated_request" in codes(turns)


def test_two_messages_not_understood_in_a_row_are_elevated() -> None:
    turns = [
        Turn("blorp the flange", "nlu_fallback", 0.3, fell_back=True),
        Turn("flange blorp, you know", "nlu_fallback", 0.3, fell_back=True),
    ]
    assert assess(turns, SETTINGS)[-1].level == ELEVATED
    assert codes(turns)[0] == "not_understood"


def test_a_long_calm_conversation_with_different_questions_stays_calm() -> None:
    intents = [
        "order_status",
        "shipping_info",
        "payment_methods",
        "opening_hours",
        "store_location",
        "loyalty_points",
        "return_item",
        "refund_status",
        "product_availability",
        "manage_subscription",
        "reset_password",
        "change_address",
    ]
    turns = [calm(f"a question about {intent}", intent) for intent in intents]
    final = assess(turns, SETTINGS)[-1]
    assert final.level == CALM
    assert "long_conversation" in {reason.code for reason in final.reasons}


def test_one_negative_message_is_noted_but_not_acted_on() -> None:
    [only] = assess([negative("my parcel is late and I'm not pleased", "order_status")], SETTINGS)
    assert 0 < only.score < SETTINGS.acknowledge_threshold


def test_frustration_carries_over_and_fades() -> None:
    turns = [
        negative("this is ridiculous", "complain", -0.9),
        calm("what are your opening hours", "opening_hours"),
        calm("and where is your shop", "store_location"),
    ]
    scores = [assessment.score for assessment in assess(turns, SETTINGS)]
    assert scores[0] > scores[1] > scores[2] > 0
    assert codes(turns) == ["earlier_frustration"]


def test_thanks_with_positive_sentiment_brings_it_down() -> None:
    angry = negative("this is ridiculous", "complain", -0.9)
    thanked = Turn("oh great, thank you so much", "thank_you", 0.95, "positive", 0.9)
    neutral = calm("ok", "affirm")
    after_thanks = assess([angry, thanked], SETTINGS)[-1].score
    after_neutral = assess([angry, neutral], SETTINGS)[-1].score
    assert after_thanks < after_neutral


def test_reverted_turns_are_not_repeats() -> None:
    turns = [
        Turn("whr is ordr", "order_status", 0.4, reverted=True, fell_back=True),
        calm("whr is ordr", "order_status"),
    ]
    assert "repeated_request" not in codes(turns)


def test_phrases_match_whole_words_and_curly_apostrophes() -> None:
    assert SETTINGS.phrases_in("Ridiculous. How many times?") == ["ridiculous", "how many times"]
    assert SETTINGS.phrases_in("I don\u2019t know") == ["don't"]
    assert SETTINGS.phrases_in("the third timer") == []


def test_settings_from_config_ignore_other_keys_and_accept_lists() -> None:
    settings = FrustrationSettings.from_config(
        {"name": "x", "priority": 5, "phrases": ["fed up"], "escalate_threshold": 0.9}
    )
    assert settings.phrases == ("fed up",) and settings.escalate_threshold == 0.9
    assert settings.level(0.85) == ELEVATED and settings.level(0.95) == HIGH


def test_assessment_as_dict_is_what_the_slot_holds() -> None:
    [only] = assess([negative("this is ridiculous", "complain")], SETTINGS)
    slot = only.as_dict()
    assert set(slot) == {"score", "level", "turn", "reasons"}
    assert slot["turn"] == 1
    assert set(slot["reasons"][0]) == {"code", "detail", "weight"}
