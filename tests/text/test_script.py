"""Uzbek Latin → Cyrillic for the bot's fixed texts."""

import pytest

from text.script import latin_to_cyrillic


@pytest.mark.parametrize(
    "latin,cyrillic",
    [
        ("Mana, topgan ma’lumotlarim:", "Мана, топган маълумотларим:"),
        ("javobim yo‘q", "жавобим йўқ"),  # y + o‘, not yo + ‘
        ("bog'laning", "боғланинг"),  # a plain apostrophe is an o‘/g‘ sign too
        ("so`ng ko‘ring", "сўнг кўринг"),
        ("yordam yuboring yaxshi yetkazib", "ёрдам юборинг яхши етказиб"),
        ("eslatma e’lon sun’iy", "эслатма эълон сунъий"),
        ("aeroport", "аэропорт"),
        ("shahar choy hozir qayta xabar", "шаҳар чой ҳозир қайта хабар"),
        ("Toshkent O‘ZBEKISTON Shahar", "Тошкент ЎЗБЕКИСТОН Шаҳар"),
        ("15 000 so‘m — 9:00!", "15 000 сўм — 9:00!"),
    ],
)
def test_latin_to_cyrillic(latin, cyrillic):
    assert latin_to_cyrillic(latin) == cyrillic


def test_text_that_is_already_cyrillic_is_left_alone():
    assert latin_to_cyrillic("Доставка 15 000") == "Доставка 15 000"
