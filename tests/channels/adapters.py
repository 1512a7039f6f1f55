"""Constants and helpers the channel adapter tests share."""

from __future__ import annotations

from channels.types import InboundEvent

BOT_TOKEN = "7012345678:AAHsecretPartOfTheTokenXYZ_abc-123"
BOT_ID = 7012345678
WA_TOKEN = "EAAGwaTokenForTests"
WA_PHONE_ID = "106540352242922"
IG_TOKEN = "EAAGigPageTokenForTests"
IG_ACCOUNT = "17841400000000001"
IG_PAGE = "110000000000001"
APP_SECRET = "0123456789abcdef0123456789abcdef"

TEXTS = {
    "uz": "Assalomu alaykum! Yetkazib berish narxi qancha? O‘zbekiston bo‘ylab bormi?",
    "ru": "Здравствуйте! Сколько стоит доставка по Ташкенту?",
    "en": "Hello, do you deliver to Samarkand on weekends?",
}


class Sleeps(list):
    """An injectable sleep that records the waits instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _one(events: list[InboundEvent]) -> InboundEvent:
    assert len(events) == 1, events
    return events[0]


MALFORMED = [
    None,
    [],
    "update",
    42,
    {},
    {"entry": "x"},
    {"entry": [None, 1, "x", []]},
    {"entry": [{"changes": "x", "messaging": 5}]},
    {"entry": [{"changes": [None, {"value": []}, {"value": {"metadata": 5}}]}]},
    {"entry": [{"changes": [{"value": {"metadata": {"phone_number_id": "1"}, "messages": "x"}}]}]},
    {
        "entry": [
            {
                "changes": [
                    {
                        "value": {
                            "metadata": {"phone_number_id": "1"},
                            "messages": [None, 1, {"from": [], "id": {}}],
                            "statuses": [{"id": 5}],
                        }
                    }
                ]
            }
        ]
    },
    {"entry": [{"id": "1", "messaging": [None, {"sender": "x"}, {"sender": {"id": []}}]}]},
    {"entry": [{"id": "1", "messaging": [{"sender": {"id": "2"}, "message": "hi"}]}]},
    {"entry": [{"id": "1", "messaging": [{"sender": {"id": "2"}, "message": {"text": "no mid"}}]}]},
    {"entry": [{"id": ["1"], "messaging": [{"sender": {"id": "2"}, "message": {"mid": "m"}}]}]},
]


def _one_dict(items: list[dict]) -> dict:
    assert len(items) == 1, items
    return items[0]
