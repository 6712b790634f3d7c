"""De-identification of text a user typed, before it may leave the machine (the assistant's question).

Free text is the one way identifying data could reach the online assistant, so it goes through
:func:`deidentify` first, and the clinician confirms the exact request before it is sent. Three
layers, in this order:

1. **What the record knows** (:class:`ScrubTerms`): the patient's names, record number, birth date,
   phone, e-mail and address; other people's names (relatives on file, every clinician and staff
   member); places (the clinic's and the hospitals' names, cities and addresses). Found in any script,
   ignoring case and Latin accents, inside agglutinated words (Tamil, Telugu) and behind Arabic
   prefixes ("وفاطمة").
2. **Shapes**: e-mail addresses, links, phone numbers of any country (Google's ``phonenumbers``),
   dates (numeric, or written with month names in all eight languages, in any digits: Latin,
   Devanagari, Tamil, Telugu, Arabic-Indic), years, record numbers (labelled or number-like), street
   addresses and postcodes.
3. **Cues**: a word after a title ("Dr", "Frau", "श्री", "திருமதி", "శ్రీమతి", "السيدة"), before an
   honorific ("शर्मा जी", "రాము గారు"), after a kinship word ("my daughter", "meine Tochter",
   "मेरी बेटी", "என் மகள்", "నా కూతురు", "ابنتي"), or after "lives in" / "from" is a name or a place.

Not claimed: a stranger's name typed with no cue and unknown to the record cannot be told from an
ordinary word without a language model; that is why the clinician sees and confirms the exact request.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache

import phonenumbers
from babel.dates import get_month_names

NAME = "[name]"
PLACE = "[place]"
ADDRESS = "[address]"
EMAIL = "[email]"
PHONE = "[phone]"
DATE = "[date]"
NUMBER = "[number]"
LINK = "[link]"
PLACEHOLDERS = (NAME, PLACE, ADDRESS, EMAIL, PHONE, DATE, NUMBER, LINK)

LANGUAGES = ("en", "de", "es", "fr", "hi", "ta", "te", "ar")
# regions whose phone formats are tried when the clinic's own is not known (or the number is foreign)
PHONE_REGIONS = ("GB", "US", "DE", "AT", "CH", "FR", "BE", "ES", "MX", "AR", "IN", "LK", "SG", "MY",
                 "SA", "AE", "EG", "MA", "JO", "LB")


# --- letters of every script: Python's \w leaves out the vowel signs of Indic scripts and Arabic marks --
def _ranges(codes: Iterable[int]) -> str:
    out, run = [], []
    for c in codes:
        if run and c == run[-1] + 1:
            run.append(c)
            continue
        if run:
            out.append(run)
        run = [c]
    if run:
        out.append(run)
    return "".join(re.escape(chr(r[0])) if len(r) == 1 else f"{re.escape(chr(r[0]))}-{re.escape(chr(r[-1]))}"
                   for r in out)


_MARKS = _ranges(c for c in range(0x300, 0x10000) if unicodedata.category(chr(c)).startswith("M")) + "\u200c\u200d"
L = rf"(?:[^\W\d_]|[{_MARKS}])"  # one letter or mark, any script
WORD = re.compile(rf"{L}+(?:['’]{L}+)*")
D = r"\d"  # Unicode decimal digits: Latin, Devanagari, Tamil, Telugu, Arabic-Indic all match

_TO_ASCII_DIGITS = {c: str(unicodedata.decimal(chr(c))) for c in range(0x10000)
                    if unicodedata.decimal(chr(c), None) is not None and c > 0x7F}


def ascii_digits(text: str) -> str:
    """``text`` with every decimal digit as 0-9; one character for one, so positions are kept."""
    return text.translate(_TO_ASCII_DIGITS)


def _latin(ch: str) -> bool:
    return ch < "\u0250"


_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})


def fold(text: str) -> str:
    """The form two spellings of a word share: case- and Latin-accent-insensitive, Arabic without vowel
    marks or letter variants. Indic vowel signs are letters of the word and are kept."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = []
    for ch in decomposed:
        if unicodedata.combining(ch) and kept and _latin(kept[-1]):
            continue
        kept.append(ch)
    out = unicodedata.normalize("NFC", "".join(kept))
    return _ARABIC_MARKS.sub("", out).translate(_ARABIC_LETTERS).replace("ß", "ss")


def _script(word: str) -> str:
    for ch in word:
        if ch.isalpha():
            if _latin(ch):
                return "latin"
            return unicodedata.name(ch, "x").split()[0].lower()  # devanagari, tamil, telugu, arabic, ...
    return ""


# --- what the record knows -------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class ScrubTerms:
    """Identifiers known from the record, to be removed wherever they are typed (never sent themselves)."""

    names: tuple[str, ...] = ()  # the patient's given and family names, any script
    record_number: str = ""
    date_of_birth: date | None = None
    phone: str = ""
    email: str = ""
    extra: tuple[str, ...] = ()  # other literal identifiers (insurance number, a second record number)
    people: tuple[str, ...] = ()  # other people: relatives on file, clinicians and staff
    places: tuple[str, ...] = ()  # addresses and cities (patient, clinic, hospitals): each word is found
    institutions: tuple[str, ...] = ()  # clinic and hospital names: found as whole names only ("Mohs Surgery
    # Clinic" must not hide the words "Mohs surgery" in a question)
    region: str = ""  # the clinic's country (ISO 3166 alpha-2) for phone numbers written nationally

    def __repr__(self) -> str:  # identifiers must not reach a log line through a repr
        return "ScrubTerms(<hidden>)"


@dataclass(frozen=True)
class Scrubbed:
    """De-identified text and how many identifiers were replaced."""

    text: str
    replacements: int

    @property
    def changed(self) -> bool:
        return self.replacements > 0


# Words that are part of many names of places or institutions but identify nothing on their own.
_GENERIC = frozenset(fold(w) for w in ["the", "of", "and", "de", "del", "la", "le", "les", "los", "las", "der", "die", "das", "und", "et", "y", "von", "van", "al", "el", "hospital", "clinic", "clinics", "klinik", "klinikum", "krankenhaus", "universitätsklinikum", "hôpital", "hopital", "chu", "clínica", "clinica", "centre", "center", "centro", "zentrum", "university", "universität", "universidad", "université", "medical", "medizinisches", "médical", "médico", "health", "santé", "salud", "department", "abteilung", "servicio", "service", "dermatology", "dermatologie", "dermatología", "skin", "haut", "piel", "peau", "road", "rd", "street", "st", "lane", "way", "avenue", "ave", "drive", "close", "court", "place", "square", "straße", "strasse", "str", "weg", "gasse", "platz", "allee", "calle", "avenida", "plaza", "paseo", "rue", "boulevard", "chemin", "allée", "impasse", "north", "south", "east", "west", "new", "old", "saint", "sankt", "san", "santa", "mount", "general", "royal", "city", "county", "district", "kingdom", "united", "states", "republic", "dr", "mr", "mrs", "ms", "children", "children's", "childrens", "women", "women's", "memorial", "infirmary", "community", "teaching", "regional", "national", "institute", "foundation", "trust", "nhs", "cancer", "surgery", "plastic", "mohs", "paediatric", "pediatric", "kids", "care", "specialist", "royal", "queen", "king", "princess", "prince", "अस्पताल", "क्लिनिक", "रोड", "मार्ग", "नगर", "மருத்துவமனை", "சாலை", "தெரு", "நகர்", "ఆసుపత్రి", "రోడ్డు", "వీధి", "నగర్", "مستشفى", "شارع", "عيادة", "مدينة", "طريق", "حي"])


def _words(text: str) -> list[str]:
    return WORD.findall(unicodedata.normalize("NFC", text or ""))


_TITLE_WORDS = frozenset({"dr", "prof", "mr", "mrs", "ms", "miss", "herr", "frau", "sr", "sra", "mme", "mlle"})


def _name_words(names: Iterable[str], minimum: int, skip: frozenset[str] = _TITLE_WORDS) -> set[str]:
    """The folded words of ``names``: "Müller-Lüdenscheidt" gives the whole and each part."""
    out: set[str] = set()
    for name in names:
        for word in _words(name):
            for part in {word, *re.split(r"['’-]", word)}:
                folded = fold(part)
                if len(folded) >= minimum and folded not in skip:
                    out.add(folded)
    return out


# --- shapes ----------------------------------------------------------------------------------------
@cache
def _month_alternation() -> str:
    names: set[str] = set()
    for language in LANGUAGES:
        for width in ("wide", "abbreviated"):
            for context in ("format", "stand-alone"):
                names.update(get_month_names(width, context, locale=language).values())
    # Levantine and Iraqi month names are common in Arabic writing; sept/jun... forms Babel does not list
    names.update(["كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول", "تشرين الأول", "تشرين الثاني", "كانون الأول", "sept", "maerz", "fevrier", "aout", "decembre", "setiembre", "फरवरी", "सितम्बर", "नवम्बर", "दिसम्बर"])
    cleaned = {n.rstrip(".॰") for n in names if len(n.rstrip(".॰")) >= 2}
    return "|".join(re.escape(n) for n in sorted(cleaned, key=len, reverse=True))


_TITLES = (
    # Latin script (en, de, es, fr)
    r"mr|mrs|ms|miss|mx|dr|prof|sir|dame|herr|frau|fräulein|sr|sra|srta|don|doña|dña|mme|mlle|m|monsieur|madame|"
    r"mademoiselle|señor|señora|señorita|doctor|doktor|docteur|doctora|professor|professeur|profesor|nurse|sister|"
    # Devanagari, Tamil, Telugu, Arabic
    r"श्री|श्रीमती|सुश्री|कुमारी|डॉ|डा|डॉक्टर|डाक्टर|प्रो|"
    r"திரு|திருமதி|செல்வி|டாக்டர்|டா|மருத்துவர்|பேராசிரியர்|"
    r"శ్రీ|శ్రీమతి|కుమారి|డాక్టర్|డా|ప్రొ|ప్రొఫెసర్|"
    r"السيد|السيدة|الآنسة|الانسة|الدكتور|الدكتورة|د|أ|الأستاذ|الأستاذة|الاستاذ|الشيخ|الحاج|الحاجة"
)
_KIN_LATIN = (
    r"husband|wife|partner|son|daughter|mother|mum|mom|father|dad|brother|sister|grandmother|grandfather|grandson|"
    r"granddaughter|aunt|uncle|cousin|niece|nephew|child|friend|neighbour|neighbor|colleague|"
    r"mann|ehemann|frau|ehefrau|sohn|tochter|mutter|vater|bruder|schwester|oma|opa|tante|onkel|kind|freund|freundin|"
    r"marido|esposo|esposa|mujer|hijo|hija|madre|padre|hermano|hermana|abuela|abuelo|tía|tío|amigo|amiga|"
    r"mari|époux|épouse|femme|fils|fille|mère|père|frère|sœur|soeur|grand-mère|grand-père|tante|oncle|ami|amie"
)
_KIN_OTHER = (
    r"पति|पत्नी|बेटा|बेटी|पुत्र|पुत्री|माँ|मां|माता|पिता|पापा|भाई|बहन|दादी|दादा|नानी|नाना|चाचा|चाची|मामा|मामी|दोस्त|"
    r"கணவர்|கணவன்|மனைவி|மகன்|மகள்|அம்மா|அப்பா|தாய்|தந்தை|அண்ணன்|தம்பி|அக்கா|தங்கை|பாட்டி|தாத்தா|நண்பர்|"
    r"భర్త|భార్య|కొడుకు|కూతురు|కుమారుడు|కుమార్తె|అమ్మ|నాన్న|తల్లి|తండ్రి|అన్న|తమ్ముడు|అక్క|చెల్లి|అమ్మమ్మ|తాత|స్నేహితుడు|"
    r"زوجي|زوجتي|ابني|ابنتي|بنتي|أمي|امي|والدتي|أبي|ابي|والدي|أخي|اخي|أختي|اختي|جدتي|جدي|صديقي|صديقتي|زوج|زوجة|ابن|ابنة"
)
_HONORIFIC_AFTER = r"जी|साहब|साहिबा|அவர்கள்|அவர்களின்|గారు|గారి"
# function words that follow a kinship word in Indic writing and are not names
_NOT_A_NAME = frozenset(fold(w) for w in ["को", "का", "की", "के", "ने", "से", "में", "पर", "भी", "है", "था", "थी", "हैं", "ஒரு", "இந்த", "அந்த", "க்கு", "உள்ள", "ఒక", "ఈ", "ఆ", "కి", "కు", "ఉంది", "లో", "و", "في", "من", "على", "has", "had", "is", "was", "and", "or", "the", "a", "an", "with", "who", "hat", "ist", "war", "und", "tiene", "tenía", "es", "era", "y", "con", "a", "est", "était", "et", "avec"])
# words that end a name after a title or a kinship word: function words, honorifics, words for a skin spot
_SECOND_NOT = (r"को|का|की|के|ने|से|में|पर|भी|है|था|थी|हैं|जी|साहब|मस्सा|तिल|दाग|"
               r"அவர்கள்|அவர்களின்|மச்சம்|மச்சத்தை|ஒரு|இந்த|"
               r"గారు|గారి|మచ్చ|పుట్టుమచ్చ|ఒక|ఈ|"
               r"من|في|على|عن|الى|إلى|و|شامة|الشامة|تسأل|يسأل")
_STREET_LATIN = (
    r"street|st|road|rd|lane|ln|avenue|ave|way|drive|close|court|ct|place|pl|square|sq|crescent|terrace|gardens|"
    r"grove|row|walk|mews|park|hill|straße|strasse|str|weg|gasse|platz|allee|ring|damm|ufer|chaussee|"
    r"calle|avenida|avda|av|plaza|pza|paseo|pº|camino|carretera|ronda|travesía|"
    r"rue|avenue|bd|boulevard|chemin|allée|impasse|quai|cours|route"
)
_STREET_OTHER = r"मार्ग|रोड|गली|सड़क|नगर|कॉलोनी|कालोनी|मोहल्ला|सेक्टर|தெரு|சாலை|நகர்|வீதி|தெருவில்|வీధి|రోడ్డు|రోడ్|నగర్|కాలనీ|వీధిలో"
_STREET_ARABIC = r"شارع|طريق|حي|زقاق|ص\.?\s?ب|صندوق بريد"
_PLACE_CUE = (r"lives in|living in|lives at|from|born in|moved to|wohnt in|wohnhaft in|aus|geboren in|vive en|"
              r"viviendo en|de|nacido en|nacida en|habite à|habite a|vit à|vit a|né à|née à|originaire de")
# Hindi, Tamil and Telugu say where someone lives after the place ("दिल्ली में रहती है", "சென்னையில் வசிக்கிறார்")
_PLACE_CUE_OTHER = (r"में रहती|में रहता|में रहते|में रहती हैं|வசிக்கிறார்|வசிக்கிறாள்|வசிக்கிறான்|வசிக்கின்றனர்|"
                    r"ఉంటున్నారు|ఉంటుంది|ఉంటాడు|నివసిస్తున్నారు|నివసిస్తుంది")
_LABEL = (r"mrn|id|nr|no|núm|num|number|record|patient|dossier|expediente|akte|versichertennummer|"
          r"nhs|aadhaar|pan|insurance|passport|pass|"
          r"क्रमांक|संख्या|नंबर|रिकॉर्ड|आईडी|எண்|பதிவு|ஐடி|సంఖ్య|నంబర్|రికార్డ్|ఐడి|رقم|ملف|الملف|الرقم|هوية")

_CAP = r"[A-ZÀ-ÖØ-Þ][\w'’-]*"


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    months = _month_alternation()
    return (
        (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE), EMAIL),
        (re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE), LINK),
        # numeric dates in any digits: 1980-02-01, 01/02/1980, 1.2.80, ०१-०२-१९८०
        (re.compile(rf"(?<!\w){D}{{4}}[-/.]{D}{{1,2}}[-/.]{D}{{1,2}}(?!\w)"), DATE),
        (re.compile(rf"(?<!\w){D}{{1,2}}\s?[-/.]\s?{D}{{1,2}}\s?[-/.]\s?(?:{D}{{4}}|{D}{{2}})(?!\w)"), DATE),
        # written dates: 12 March 1980, 12. März 1980, March 12, 1980, 12 de marzo de 1980, 12 मार्च 1980,
        # ١٢ مارس ١٩٨٠, March 1980, 12 March
        (re.compile(rf"(?<!\w)(?:{D}{{1,2}}(?:st|nd|rd|th|er|\.)?\s*(?:de\s+)?)?(?:{months})\.?"
                    rf"(?:\s+{D}{{1,2}}(?:st|nd|rd|th)?,?)?(?:\s*(?:de\s+|,\s*)?{D}{{4}})(?!\w)", re.IGNORECASE), DATE),
        (re.compile(rf"(?<!\w){D}{{1,2}}(?:st|nd|rd|th|er|\.)?\s*(?:de\s+)?(?:{months})(?!{L})", re.IGNORECASE), DATE),
        (re.compile(rf"(?<!{L})(?:{months})\s+{D}{{1,2}}(?:st|nd|rd|th)?(?!\w)", re.IGNORECASE), DATE),
        # a label followed by an identifier: "MRN 12-345", "ID: AB12", "रिकॉर्ड नंबर 4711", "رقم الملف ٤٧١١"
        (re.compile(rf"(?:(?<!{L})(?:{_LABEL})(?!{L})\.?(?:\s*(?:{_LABEL})(?!{L}))*\s*[:#.]?\s*|#\s*)"
                    rf"(?=[\w/-]*{D})[\w/-]+", re.IGNORECASE), NUMBER),
        # street addresses: "12 Mill Lane", "Hauptstraße 5", "Calle Mayor 3", "12 rue de la Paix", "गांधी मार्ग",
        # "شارع الملك فهد" (a bare street word is not an address: see _address)
        (re.compile(rf"(?<!\w)(?:{D}+[a-zA-Z]?,?\s+)?(?:{_CAP}\s+){{0,3}}(?i:{_STREET_LATIN})\.?(?!{L})"
                    rf"(?:\s+(?:(?i:de\s+la|de|del|des|du|la|le|of)\s+)?{_CAP}){{0,3}}(?:,?\s+{D}+[a-zA-Z]?(?!\w))?"),
         ADDRESS),
        (re.compile(rf"(?<!\w){_CAP}(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm)(?:\s+{D}+[a-z]?)?"),
         ADDRESS),
        (re.compile(rf"(?:{D}+[/-]?{D}*,?\s*)?(?:{L}+\s+){{0,2}}(?:{_STREET_OTHER})(?!{L})(?:,?\s*{D}+)?"), ADDRESS),
        (re.compile(rf"(?:{_STREET_ARABIC})(?!{L})(?:\s+{L}+){{1,3}}(?:\s*{D}+)?"), ADDRESS),
        # a postcode and its town: "20095 Hamburg", "75001 Paris", "28013 Madrid"
        (re.compile(rf"(?<!\w){D}{{4,5}}\s+{_CAP}(?:[\s-]+{_CAP})?"), ADDRESS),
        # postcodes: UK "CB2 1RX", Canada "K1A 0B1", Dutch "1012 AB" (five- and six-digit ones are numbers below)
        (re.compile(r"(?<!\w)[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}(?!\w)"), ADDRESS),
        (re.compile(r"(?<!\w)[A-Z]\d[A-Z]\s?\d[A-Z]\d(?!\w)"), ADDRESS),
        # phone-like runs of seven or more digits that phonenumbers did not claim
        (re.compile(rf"(?<!\w)\+?\(?{D}[{D}\s().-]{{5,}}{D}(?!\w)"), PHONE),
        # years (1900-2099) in any digits: part of a date of birth
        (re.compile(rf"(?<!\w)[1١۱१௧౧][9٩۹९௯౯]{D}{{2}}(?!\w)|(?<!\w)[2٢۲२௨౨][0٠۰०௦౦]{D}{{2}}(?!\w)"), DATE),
        # record-number-like tokens: letters and three or more digits mixed, or five or more digits
        (re.compile(rf"(?<!\w)(?=(?:[A-Za-z-]*{D}){{3}})(?=[\w-]*[A-Za-z])[A-Za-z0-9][\w-]*(?!\w)"), NUMBER),
        (re.compile(rf"(?<!\w){D}{{5,}}(?!\w)"), NUMBER),
    )


@cache
def _cue_patterns() -> tuple[tuple[re.Pattern[str], str, int], ...]:
    """(pattern, placeholder, group): the group is the part replaced (the cue word itself stays)."""
    other = rf"(?:[^\W\d_A-Za-zÀ-ÿ]|[{_MARKS}])+"  # a word in a non-Latin script
    second = rf"(?:\s+(?!(?:{_SECOND_NOT})(?!{L})){other})?"
    return (
        # a place after "lives in", "from", "wohnt in", "يسكن في"
        (re.compile(rf"(?<!{L})(?i:{_PLACE_CUE})\s+({_CAP}(?:[\s-]+{_CAP})*)"), PLACE, 1),
        # "in Berlin", "nach Köln", "à Lyon": a capitalised word (not an acronym) after a lower-case preposition
        (re.compile(rf"(?<!{L})(?:in|nach|bei|en|à|au|near|from)\s+([A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ][\w'’-]*"
                    rf"(?:[\s-]+[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ][\w'’-]*)?)"), PLACE, 1),
        (re.compile(rf"({L}+)\s*(?:{_PLACE_CUE_OTHER})"), PLACE, 1),
        (re.compile(rf"(?:يسكن في|تسكن في|يعيش في|تعيش في|من مدينة|في مدينة)\s+({L}+(?:\s+{L}+)?)"), PLACE, 1),
        # a name after a title: "Mrs Smith", "Frau Dr. Müller", "Sra. García", "श्री राम", "السيدة فاطمة"
        (re.compile(rf"(?<!{L})(?:(?i:{_TITLES})\.?\s+)+({_CAP}(?:\s+{_CAP})?)"), NAME, 1),
        (re.compile(rf"(?<!{L})(?:(?:{_TITLES})(?!{L})\.?\s*)+({other}{second})"), NAME, 1),
        # a name before an honorific: "शर्मा जी", "రాము గారు", "ராமன் அவர்கள்"
        (re.compile(rf"({L}+)(?=\s+(?:{_HONORIFIC_AFTER})(?!{L}))"), NAME, 1),
        # a name after a kinship word: "my daughter Lena", "ma fille Chloé", "मेरी बेटी सीमा", "ابنتي فاطمة"
        (re.compile(rf"(?<!{L})(?i:{_KIN_LATIN})(?!{L}),?\s+(?!(?i:{_TITLES})(?!{L}))({_CAP}(?:\s+{_CAP})?)"),
         NAME, 1),
        (re.compile(rf"(?<!{L})(?:{_KIN_OTHER})(?!{L}),?\s+({other})"), NAME, 1),
    )


def _replace_phones(text: str, region: str) -> tuple[str, int]:
    """Phone numbers of any country, written in any digits (Google's libphonenumber)."""
    latin = ascii_digits(text)
    spans: list[tuple[int, int]] = []
    regions = ((region.upper(),) if region else ()) + PHONE_REGIONS
    for code in dict.fromkeys(regions):
        for match in phonenumbers.PhoneNumberMatcher(latin, code, leniency=phonenumbers.Leniency.VALID):
            spans.append((match.start, match.end))
    if not spans:
        return text, 0
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        text = text[:start] + PHONE + text[end:]
    return text, len(merged)


def _date_forms(born: date) -> set[str]:
    forms = {born.strftime(fmt) for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y",
                                            "%d/%m/%y", "%d.%m.%y", "%B %d, %Y", "%d %B %Y", "%b %d, %Y", "%d %b %Y")}
    forms |= {f"{born.day}.{born.month}.{born.year}", f"{born.day}/{born.month}/{born.year}",
              f"{born.month}/{born.day}/{born.year}", f"{born.day}-{born.month}-{born.year}"}
    return forms


def _placeholder_safe(pattern: re.Pattern[str], placeholder: str, text: str, group: int = 0,
                      found: list[str] | None = None) -> tuple[str, int]:
    """Replace ``pattern`` (or its ``group``) by ``placeholder``, leaving existing placeholders alone;
    what a group matched is appended to ``found`` (so a second mention of it is found too)."""
    count = 0

    def sub(match: re.Match[str]) -> str:
        nonlocal count
        whole = match.group(0)
        if group == 0:
            if whole.strip("[] ") in {p.strip("[]") for p in PLACEHOLDERS}:
                return whole
            if placeholder == ADDRESS and not any(c.isdigit() for c in whole) and len(WORD.findall(whole)) < 2:
                return whole  # "Road" or "شارع" alone is a word, not an address
            count += 1
            return placeholder
        part = match.group(group)
        if not part or fold(part) in _NOT_A_NAME or f"[{part.strip('[]')}]" in PLACEHOLDERS or "[" in part:
            return whole
        count += 1
        if found is not None:
            found.append(part)
        start, end = match.span(group)
        offset = match.start(0)
        return whole[: start - offset] + placeholder + whole[end - offset:]

    return pattern.sub(sub, text), count


_ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ب", "ل", "ف", "ك")


def _known_word(token: str, words: set[str]) -> bool:
    """Whether ``token`` is, or (in Tamil, Telugu, Arabic, Devanagari) carries, one of ``words``."""
    folded = fold(token)
    if folded in words:
        return True
    parts = [p for p in re.split(r"['’-]", folded) if len(p) >= 2]
    if any(p in words for p in parts):
        return True
    script = _script(token)
    if script in ("", "latin"):
        return False
    if script == "arabic":
        for prefix in _ARABIC_PREFIXES:
            if folded.startswith(prefix) and folded[len(prefix):] in words:
                return True
    # agglutinated case endings (Tamil "பிரியாவின்", Telugu "ప్రియకు"): the name starts the word
    return any(len(w) >= 3 and folded.startswith(w) and _script(w) == script for w in words) or any(
        len(w) >= 4 and folded.startswith(w[:-1]) and _script(w) == script for w in words)


def _replace_known(text: str, words: set[str], placeholder: str) -> tuple[str, int]:
    if not words:
        return text, 0
    count = 0

    def sub(match: re.Match[str]) -> str:
        nonlocal count
        if _known_word(match.group(0), words):
            count += 1
            return placeholder
        return match.group(0)

    return WORD.sub(sub, text), count


def deidentify(text: str, terms: ScrubTerms | None = None) -> Scrubbed:
    """``text`` with identifiers replaced by placeholders ("[name]", "[date]", ...), and how many."""
    text = unicodedata.normalize("NFC", text or "")
    terms = terms or ScrubTerms()
    count = 0

    # 1. literal identifiers from the record (record number and its parts, phone, e-mail, birth date)
    literals: dict[str, str] = {}
    for value in (terms.record_number, *terms.extra):
        if value and value.strip():
            literals[value.strip()] = NUMBER
            for part in re.split(r"[\W_]+", value):
                if len(part) >= 3 and any(c.isdigit() for c in part):
                    literals.setdefault(part, NUMBER)
    if terms.phone.strip():
        literals[terms.phone.strip()] = PHONE
    if terms.email.strip():
        literals[terms.email.strip()] = EMAIL
    if terms.date_of_birth is not None:
        for form in _date_forms(terms.date_of_birth):
            literals.setdefault(form, DATE)
    for place in (*terms.places, *terms.institutions):  # whole addresses and names as typed in the record
        for line in re.split(r"[\n;]+", place or ""):
            if len(line.strip()) >= 4:
                literals.setdefault(line.strip(" ,"), PLACE)
    latin_digits = ascii_digits(text)
    for literal in sorted(literals, key=len, reverse=True):
        pattern = re.compile(rf"(?<!\w){re.escape(ascii_digits(literal))}(?!\w)", re.IGNORECASE)
        spans = [m.span() for m in pattern.finditer(latin_digits)]
        for start, end in reversed(spans):
            text = text[:start] + literals[literal] + text[end:]
            latin_digits = latin_digits[:start] + literals[literal] + latin_digits[end:]
        count += len(spans)

    # 2. shapes: e-mails and links first (they contain digits and names), then phones, dates, numbers
    for pattern, placeholder in _patterns()[:2]:
        text, n = _placeholder_safe(pattern, placeholder, text)
        count += n
    text, n = _replace_phones(text, terms.region)
    count += n
    for pattern, placeholder in _patterns()[2:]:
        text, n = _placeholder_safe(pattern, placeholder, text)
        count += n

    # 3. cues: titles, honorifics, kinship words, "lives in"
    cued: dict[str, list[str]] = {NAME: [], PLACE: []}
    for pattern, placeholder, group in _cue_patterns():
        text, n = _placeholder_safe(pattern, placeholder, text, group, cued[placeholder])
        count += n

    # 4. every word of a known (or just cued) name or place, in any script and inflection
    text, n = _replace_known(text, _name_words((*terms.names, *terms.people, *cued[NAME]), 2), NAME)
    count += n
    text, n = _replace_known(text, _name_words((*terms.places, *cued[PLACE]), 3, _GENERIC), PLACE)
    count += n
    return Scrubbed(text, count)


__all__ = [
    "ADDRESS", "DATE", "EMAIL", "LINK", "NAME", "NUMBER", "PHONE", "PLACE", "PLACEHOLDERS", "ScrubTerms", "Scrubbed",
    "ascii_digits", "deidentify", "fold",
]
