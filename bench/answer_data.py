"""Generated small-business knowledge bases with planted facts, and customers' questions.

Each question is paired with the fact its answer must contain (exactly as written in the
knowledge base), or OFFTOPIC (the answer must be "don't know") or SMALLTALK. A dialogue is a list
of turns asked in one conversation (follow-ups refer to the turn before).
"""

from __future__ import annotations

OFF, SMALL = "OFFTOPIC", "SMALLTALK"

PHONES_RU = {
    "name": "phones",
    "faq": (
        "Магазин «Телефон Плюс» — смартфоны и аксессуары в Ташкенте.\n\n"
        "Доставка по Ташкенту стоит 25 000 сум, при заказе от 2 000 000 сум доставка\n"
        "бесплатная. В регионы доставляем за 2–3 дня через BTS.\n\n"
        "Рассрочка: оформляем рассрочку на 6 и 12 месяцев через Uzum Nasiya и Alif,\n"
        "нужен только паспорт.\n\n"
        "Гарантия: на все смартфоны официальная гарантия 12 месяцев, на аксессуары 3 месяца.\n\n"
        "Адрес: ул. Амира Темура, 15, ориентир — метро Минор. Парковка есть во дворе.\n\n"
        "Телефон магазина: +998 71 200 40 50. Работаем ежедневно с 10:00 до 21:00.\n\n"
        "Возврат: товар можно вернуть в течение 10 дней, если сохранена упаковка и чек."
    ),
    "csv": [
        ["Модель", "Цена", "Память", "Цвет"],
        ["iPhone 15", "11 900 000 сум", "128 ГБ", "черный"],
        ["iPhone 15 Pro", "15 400 000 сум", "256 ГБ", "титан"],
        ["Samsung Galaxy A55", "4 350 000 сум", "128 ГБ", "синий"],
        ["Redmi Note 13", "2 690 000 сум", "256 ГБ", "зеленый"],
        ["Чехол силиконовый", "90 000 сум", "-", "разные"],
    ],
    "docx_intro": "Условия trade-in (сдай старый телефон):",
    "table": [
        ["Состояние", "Скидка"],
        ["Отличное", "до 40% стоимости"],
        ["С царапинами", "до 25% стоимости"],
    ],
    "questions": [
        [("skolko stoit dostavka po tashkentu", "25 000 сум")],
        [("Сколько стоит доставка?", "25 000 сум")],
        [("dostavka toshkentga qancha", "25 000 сум")],
        [("rassrochka bormi", "Uzum Nasiya")],
        [("есть рассрочка?", "Uzum Nasiya")],
        [("muddatli tolov bormi", "Uzum Nasiya")],
        [("skolko stoit iphone 15 pro", "15 400 000 сум")],
        [("Цена Samsung A55?", "4 350 000 сум"), ("а доставка?", "25 000 сум")],
        [("redmi note 13 narxi qancha", "2 690 000 сум")],
        [("какая гарантия на телефоны", "12 месяцев")],
        [("garantiya qancha", "12 месяцев")],
        [("где вы находитесь", "Амира Темура, 15")],
        [("adres kakoy", "Амира Темура, 15")],
        [("is there parking?", "Парковка есть")],
        [("parkovka est?", "Парковка есть")],
        [("номер телефона магазина", "+998 71 200 40 50")],
        [("vo skolko otkryvaetes", "10:00 до 21:00")],
        [("можно вернуть телефон?", "10 дней")],
        [("чехол сколько стоит", "90 000 сум")],
        [("trade in skidka", "до 40%")],
        [("В регионы доставляете?", "2–3 дня")],
        [("Здравствуйте", SMALL), ("спасибо", SMALL)],
        [("Assalomu alaykum", SMALL)],
        [("позовите оператора", SMALL)],
        [("Вы продаете холодильники?", OFF)],
        [("есть ли у вас ремонт стиральных машин", OFF)],
        [("Do you sell laptops?", OFF)],
        [("kvartira ijaraga berasizlarmi", OFF)],
    ],
}

CLINIC_UZ = {
    "name": "clinic",
    "faq": (
        "\u201cSog\u2018lom Hayot\u201d klinikasi \u2014 oilaviy tibbiyot markazi.\n\n"
        "Ish vaqti: dushanbadan shanbagacha soat 8:00 dan 18:00 gacha, "
        "yakshanba dam olish kuni.\n\n"
        "Qabulga yozilish: +998 90 123 45 67 raqamiga qo\u2018ng\u2018iroq qiling yoki Telegram\n"
        "orqali @soglom_bot ga yozing.\n\n"
        "Manzil: Yunusobod tumani, Bog\u2018ishamol ko\u2018chasi, 21-uy. "
        "Mashina qo\u2018yish uchun "
        "joy bor.\n\n"
        "Tahlil natijalari 24 soat ichida tayyor bo\u2018ladi va SMS orqali yuboriladi.\n\n"
        "To\u2018lov: naqd pul, Uzcard, Humo, Click va Payme qabul qilinadi."
    ),
    "csv": [
        ["Xizmat", "Narx", "Davomiyligi"],
        ["Terapevt ko\u2018rigi", "120 000 so\u2018m", "30 daqiqa"],
        ["Kardiolog ko\u2018rigi", "180 000 so\u2018m", "40 daqiqa"],
        ["UZI (qorin bo\u2018shlig\u2018i)", "150 000 so\u2018m", "20 daqiqa"],
        ["Umumiy qon tahlili", "45 000 so\u2018m", "1 kun"],
        ["EKG", "60 000 so\u2018m", "15 daqiqa"],
    ],
    "docx_intro": "Shifokorlar jadvali:",
    "table": [
        ["Shifokor", "Mutaxassislik", "Qabul kunlari"],
        ["Karimova Dilnoza", "Pediatr", "dushanba, chorshanba, juma"],
        ["Rahimov Aziz", "Kardiolog", "seshanba, payshanba"],
    ],
    "questions": [
        [("ish vaqtingiz qanday", "8:00 dan 18:00 gacha")],
        [("yakshanba kuni ishlaysizlarmi", "yakshanba dam olish")],
        [("qabulga qanday yozilsa boladi", "+998 90 123 45 67")],
        [("manzilingiz qayerda", "Bog\u2018ishamol")],
        [("UZI narxi qancha", "150 000 so\u2018m")],
        [("kardiolog korigi necha pul", "180 000 so\u2018m")],
        [("терапевт сколько стоит", "120 000 so\u2018m")],
        [
            ("qon tahlili qancha turadi", "45 000 so\u2018m"),
            ("natijasi qachon tayyor boladi", "24 soat"),
        ],
        [("tahlil natijalari qachon", "24 soat")],
        [("pediatr qaysi kunlari qabul qiladi", "dushanba, chorshanba, juma")],
        [("kardiolog qachon qabul qiladi", "seshanba, payshanba")],
        [("payme orqali tolasa boladimi", "Payme")],
        [("EKG qancha", "60 000 so\u2018m")],
        [("mashina qoyish joyi bormi", "Mashina qo\u2018yish")],
        [("Ассалому алайкум", SMALL), ("раҳмат", SMALL)],
        [("rahmat", SMALL)],
        [("siz botmisiz?", SMALL)],
        [("tish plombasi qoyasizlarmi", OFF)],
        [("Do you sell cars?", OFF)],
        [("pizza yetkazib berasizmi", OFF)],
    ],
}

BAKERY_UZ_CYRL = {
    "name": "bakery",
    "faq": (
        "\u201cШирин Нон\u201d новвойхонаси \u2014 ҳар куни янги нон ва тортлар.\n\n"
        "Иш вақти: ҳар куни соат 7:00 дан 22:00 гача.\n\n"
        "Буюртма тортлар камида 2 кун олдин қабул қилинади, олдиндан тўлов 50%.\n\n"
        "Етказиб бериш Чилонзор туманида бепул, бошқа туманларга 20 000 сўм.\n\n"
        "Манзил: Чилонзор, Бунёдкор шоҳ кўчаси, 5. Телефон: +998 97 555 11 22."
    ),
    "csv": [
        ["Маҳсулот", "Нарх", "Оғирлиги"],
        ["Самарқанд нони", "6 000 сўм", "400 г"],
        ["Наполеон торти", "180 000 сўм", "1,5 кг"],
        ["Медовик", "150 000 сўм", "1,2 кг"],
        ["Сомса", "8 000 сўм", "1 дона"],
    ],
    "docx_intro": "Тўйлар учун тўпламлар:",
    "table": [
        ["Тўплам", "Таркиби", "Нархи"],
        ["Кичик", "50 та сомса, 20 та нон", "650 000 сўм"],
        ["Катта", "100 та сомса, 50 та нон", "1 200 000 сўм"],
    ],
    "questions": [
        [("soat nechada ochilasizlar", "7:00 дан 22:00 гача")],
        [("Иш вақтингиз қандай?", "7:00 дан 22:00 гача")],
        [("napoleon torti narxi", "180 000 сўм")],
        [("Медовик қанча туради?", "150 000 сўм")],
        [("сколько стоит медовик", "150 000 сўм")],
        [("somsa qancha", "8 000 сўм")],
        [("tort buyurtma qilsa boladimi", "2 кун олдин")],
        [("yetkazib berish bormi", "20 000 сўм")],
        [("доставка есть?", "20 000 сўм")],
        [("manzil qayerda", "Бунёдкор")],
        [("telefon raqamingiz", "+998 97 555 11 22")],
        [("toy uchun katta toplam narxi", "1 200 000 сўм")],
        [("Samarqand noni bormi", "6 000 сўм")],
        [("Салом", SMALL), ("хайр", SMALL)],
        [("operator bilan gaplashmoqchiman", SMALL)],
        [("телефон таъмирлайсизларми", OFF)],
        [("Do you have vegan sushi?", OFF)],
        [("avtomobil ijarasi bormi", OFF)],
    ],
}

COURIER_MIXED = {
    "name": "courier",
    "faq": (
        "Express Kuryer \u2014 доставка посылок по Узбекистану.\n\n"
        "Доставка по городу в течение 3 часов, стоимость от 15 000 сум.\n"
        "Shahar ichida yetkazib berish 3 soat ichida, narxi 15 000 so\u2018mdan.\n\n"
        "Посылки до 30 кг принимаем в любом филиале. Страховка груза \u2014 1% от стоимости.\n\n"
        "Call center: +998 78 150 00 00, every day 9:00\u201320:00.\n\n"
        "Kuzatish: buyurtma raqamini saytimizga kiriting \u2014 expresskuryer.uz/track."
    ),
    "csv": [
        ["Shahar", "Narx", "Muddat"],
        ["Samarqand", "35 000 so\u2018m", "1 kun"],
        ["Buxoro", "40 000 so\u2018m", "1-2 kun"],
        ["Farg\u2018ona", "38 000 so\u2018m", "1 kun"],
        ["Nukus", "55 000 so\u2018m", "2-3 kun"],
    ],
    "docx_intro": "Tariffs for businesses:",
    "table": [
        ["Plan", "Parcels per month", "Discount"],
        ["Start", "up to 100", "5%"],
        ["Business", "100 to 500", "12%"],
    ],
    "questions": [
        [("samarqandga yetkazish qancha", "35 000 so\u2018m")],
        [("сколько стоит доставка в Бухару", "40 000 so\u2018m")],
        [("nukusga necha kunda boradi", "2-3 kun")],
        [("do you have a business discount?", "12%")],
        [("скидки для бизнеса", "12%")],
        [("какой максимальный вес посылки", "30 кг")],
        [("posilka qanday kuzatiladi", "expresskuryer.uz/track")],
        [("how can I track my parcel", "expresskuryer.uz/track")],
        [("call center number", "+998 78 150 00 00")],
        [("страховка есть?", "1% от стоимости")],
        [("po gorodu za skolko dostavite", "3 часов")],
        [("Farg\u2018onaga", "38 000 so\u2018m")],
        [("hello", SMALL), ("thanks!", SMALL)],
        [("can I talk to a person?", SMALL)],
        [("вы бот?", SMALL)],
        [("do you sell flowers?", OFF)],
        [("xalqaro yuk tashish samolyotda", OFF)],
        [("Можно заказать такси?", OFF)],
    ],
}

BUSINESSES = [PHONES_RU, CLINIC_UZ, BAKERY_UZ_CYRL, COURIER_MIXED]
