"""Small talk in Uzbek (Latin and Cyrillic), Russian (also typed in Latin) and English.

`intent(text)` names what a message is when it is only a greeting, thanks, goodbye, a question
whether the customer talks to a bot, or a request for a person; None when the message asks
something else ("Salom, iPhone 15 bormi?" is a question, not a greeting). Messages are read
through text.tokens.normalize, so the four ways of writing one word meet in one Latin form
("спасибо", "spasibo"; "раҳмат", "rahmat").
"""

from __future__ import annotations

import re

from text.alphabet import wordset
from text.tokens import normalize

# Phrases in the normalised reading (Latin, no apostrophes, Russian transliterated the Uzbek way:
# х → x, ц → ts, й → y, ы → i, ь dropped).
_PHRASES = {
    "human": (
        r"operator\w*|menejer\w*|manager|administrator\w*|jonli odam|tirik odam|"
        r"odam bilan|inson bilan|xodim bilan|xodimingiz|mutaxassis bilan|"
        r"(?:s |so )?(?:chelovekom|operatorom|menedzherom|menedjerom|menedjer\w*|menedzher\w*)|"
        r"zhivoy chelovek|jivoy chelovek|zhivim chelovekom|jivim chelovekom|"
        r"(?:real |a )?(?:person|human) (?:please|agent)|(?:talk|speak|chat) (?:to|with) "
        r"(?:a |an |the )?(?:person|human|someone|agent|manager|operator)|human agent|real person"
    ),
    "bot": (
        r"(?:siz|sen|bu) (?:bot|robot)(?:misiz|misan|mi)?|(?:botmisiz|botmisan|botmi|robotmisiz)|"
        r"(?:siz|sen) odammisiz|(?:siz|sen) odammisan|odammisiz|"
        r"(?:ti|vi|eto) (?:bot|robot|chelovek)|are you (?:a |an )?(?:bot|robot|human|real|ai)"
    ),
    "greeting": (
        r"assalomu? ?alay?kum|assalomu? ?aleykum|asalomu? ?alaykum|salom|salam|privet|"
        r"zdravstvuy(?:te)?|zdrastvuyte|zdraste|dobriy (?:den|vecher)|dobroe utro|dobrogo dnya|"
        r"xayrli (?:kun|tong|kech)|hayrli (?:kun|tong|kech)|hello|hi|hey|good (?:morning|"
        r"afternoon|evening)|qalaysiz|yaxshimisiz|kak dela"
    ),
    "thanks": (
        r"katta rahmat|rahmat|raxmat|tashakkur|spasibo|spasibki|blagodaryu|bolshoe spasibo|"
        r"thanks?(?: you)?|thx|ty"
    ),
    "goodbye": (
        r"xayr|hayr|korishguncha|salomat boling|do svidaniya|dosvidaniya|poka|bye|goodbye|"
        r"see you|vsego dobrogo|sau boling"
    ),
}
_PATTERNS = {k: re.compile(rf"\b(?:{v})\b") for k, v in _PHRASES.items()}
# Words that may come with small talk without making it a question.
_ALONG = wordset(
    "va ham juda katta sizga sizlarga senga kop ok okay da ha xop yaxshi bolsin dostim aka "
    "opa brat very much so lot you and a the i ochen vam tebe vsem all i sizni bilan "
    "men mumkin iltimos pozhaluysta please can could want need hochu xochu xotel xotela "
    "bogla boglan boglaning gaplashmoqchiman gaplashsam gaplashish gaplashay soedinite "
    "pozovite dayte nuzhen nuzhno mojno mozhno pogovorit svyazatsya to with talk speak "
    "yes sir real jonli bolshoe bolshoye xorosho ponyatno tushunarli ladno great good nice "
    "super"
)


def intent(text: str) -> str | None:
    """human, bot, greeting, thanks or goodbye when that is all a message is; else None."""
    folded = normalize(text or "")
    if len(folded) > 200:
        return None
    # A request for a person counts even inside a longer message ("iPhone, operator bilan").
    if _PATTERNS["human"].search(folded) and len(folded.split()) <= 12:
        return "human"
    for name in ("bot", "greeting", "thanks", "goodbye"):
        pattern = _PATTERNS[name]
        if pattern.search(folded):
            rest = re.findall(r"\w+", pattern.sub(" ", folded))
            leftover = [w for w in rest if w not in _ALONG and not _only_smalltalk(w)]
            if not leftover:
                return name
            return None  # it greets and asks something: answer the question
    return None


def _only_smalltalk(word: str) -> bool:
    """A second small-talk phrase in the same message ("Salom, rahmat!")."""
    return any(p.fullmatch(word) for p in _PATTERNS.values())
