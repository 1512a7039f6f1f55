"""The demo's fake names, businesses, questions, answers and knowledge-base lines (uz, ru, en)."""

from __future__ import annotations

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - public on purpose: printed for demos

# First names by gender; surnames in the masculine form (feminine_surname makes the
# woman's): "Andrey Smirnov", "Anna Smirnova", never "Андрей Смирнова".
FIRST_NAMES = {
    "uz": {
        "m": [
            "Aziz",
            "Jasur",
            "Sardor",
            "Bekzod",
            "Otabek",
            "Ulug‘bek",
            "Sherzod",
            "Javohir",
            "Islom",
            "Rustam",
        ],
        "f": [
            "Dilnoza",
            "Nodira",
            "Malika",
            "Gulnora",
            "Shahnoza",
            "Madina",
            "Zarina",
            "Feruza",
            "Kamola",
            "Lobar",
        ],
    },
    "ru": {
        "m": ["Алексей", "Дмитрий", "Сергей", "Игорь", "Андрей", "Виктор"],
        "f": ["Наталья", "Ольга", "Елена", "Татьяна", "Марина", "Анна"],
    },
    "en": {"m": ["John", "Michael", "David", "James"], "f": ["Emily", "Sarah", "Laura", "Anna"]},
}
LAST_NAMES = {
    "uz": [
        "Karimov",
        "Rahimov",
        "Toshmatov",
        "Ergashev",
        "Yusupov",
        "Abdullayev",
        "Aliyev",
        "Nazarov",
        "Qodirov",
        "Saidov",
        "Xolmatov",
        "Mirzayev",
        "O‘rinboyev",
        "Sobirov",
    ],
    "ru": ["Иванов", "Петров", "Ким", "Смирнов", "Пак", "Кузнецов", "Цой", "Попов", "Никитин"],
    "en": ["Smith", "Brown", "Taylor", "Wilson", "Clark", "Walker"],
}


def feminine_surname(surname: str, lang: str) -> str:
    """Karimov → Karimova, Смирнов → Смирнова, Никитин → Никитина; Ким, Smith unchanged."""
    if lang == "uz" and surname.endswith(("ov", "ev")):
        return surname + "a"
    if lang == "ru" and surname.endswith(("ов", "ев", "ин")):
        return surname + "а"
    return surname


BUSINESSES = [
    "Market",
    "Shop",
    "Store",
    "Savdo",
    "Textile",
    "Mebel",
    "Pharm",
    "Auto",
    "Travel",
    "Stroy",
    "Tech",
    "Food",
    "Kids",
    "Moda",
    "Beauty",
    "Print",
]
# What customers ask and what the demo bot answered, in pairs: the answer matches its question.
FAQ = {
    "uz": [
        (
            "Yetkazib berish narxi qancha?",
            "Toshkent bo‘ylab yetkazib berish 15 000 so‘m, "
            "300 000 so‘mdan yuqori buyurtmalar uchun bepul.",
        ),
        ("Do‘kon soat nechida ochiladi?", "Biz har kuni 9:00 dan 21:00 gacha ishlaymiz."),
        ("Payme orqali to‘lasa bo‘ladimi?", "Ha, Payme, Click va Uzcard orqali to‘lash mumkin."),
        (
            "Bu mahsulot omborda bormi?",
            "Ha, mahsulot omborda bor. Buyurtma berish uchun ismingiz va manzilingizni yozing.",
        ),
        ("Kafolat muddati qancha?", "Barcha telefonlarga 12 oy rasmiy kafolat beriladi."),
        ("Toshkent bo‘ylab necha kunda yetkazasiz?", "Toshkent bo‘ylab 1-2 kun ichida yetkazamiz."),
        ("Manzilingiz qayerda?", "Toshkent, Chilonzor tumani, Bunyodkor ko‘chasi 12."),
        (
            "Qaytarish shartlari qanday?",
            "Mahsulot ishlatilmagan bo‘lsa, 14 kun ichida qaytarib olamiz.",
        ),
        ("Samarqandga yetkazib berasizmi?", "Ha, viloyatlarga BTS orqali 2-4 kunda yetkazamiz."),
    ],
    "ru": [
        (
            "Сколько стоит доставка?",
            "Доставка по Ташкенту 15 000 сумов, бесплатно при заказе от 300 000 сумов.",
        ),
        ("Во сколько открывается магазин?", "Мы работаем ежедневно с 9:00 до 21:00."),
        ("Можно оплатить через Click?", "Да, можно оплатить через Payme и Click."),
        ("Есть ли этот товар в наличии?", "Да, товар в наличии. Напишите имя и адрес для заказа."),
        ("Какая гарантия?", "На все телефоны официальная гарантия 12 месяцев."),
        ("Сколько дней доставка по Ташкенту?", "По Ташкенту доставляем за 1–2 дня."),
        ("Где вы находитесь?", "Ташкент, Чиланзарский район, улица Бунёдкор, 12."),
    ],
    "en": [
        (
            "How much is delivery?",
            "Delivery in Tashkent costs 15,000 soum and is free for orders over 300,000 soum.",
        ),
        ("What time do you open?", "We are open every day from 9:00 to 21:00."),
        ("Can I pay with a card?", "Yes, you can pay with Payme, Click, Uzcard or Humo."),
        ("Is this item in stock?", "Yes, it is in stock. Send your name and address to order."),
        ("How long is the warranty?", "All phones come with a 12-month official warranty."),
        ("Do you deliver to Samarkand?", "Yes, we deliver to the regions with BTS in 2-4 days."),
    ],
}
KB_LINES = [
    "Yetkazib berish: Toshkent bo‘ylab 15 000 so‘m, 300 000 so‘mdan yuqori buyurtmalarga bepul.",
    "Ish vaqti: har kuni 9:00 dan 21:00 gacha, dam olish kunlarisiz.",
    "To‘lov: Payme, Click, Uzcard, Humo va naqd pul.",
    "Kafolat: barcha telefonlarga 12 oy, aksessuarlarga 3 oy.",
    "Qaytarish: 14 kun ichida, mahsulot ishlatilmagan bo‘lsa.",
    "Доставка по Ташкенту 15 000 сумов; в регионы — 2–4 дня через BTS.",
    "Оплата: Payme, Click, наличные при получении.",
    "Returns are accepted within 14 days if the item is unused.",
    "Manzil: Toshkent, Chilonzor tumani, Bunyodkor ko‘chasi 12.",
]
PHONE_PREFIXES = ["90", "91", "93", "94", "95", "97", "98", "99", "33", "88", "77", "50"]
PROVIDERS = [
    ("gemini", "gemini-3.5-flash-lite", 0.7),
    ("openai", "gpt-6-luna", 0.2),
    ("offline", None, 0.1),
]
PLATFORM_CHANCE = {"telegram": 0.7, "whatsapp": 0.4, "instagram": 0.3}
