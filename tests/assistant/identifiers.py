"""A multilingual list of identifiers and questions that type them, for the de-identification tests.

Each case is a question as a clinician might type it (in the patient's language or their own), the
record's known identifiers, and the fragments that must not survive. Scripts: Latin (en, de, es, fr),
Devanagari (hi), Tamil (ta), Telugu (te), Arabic (ar); digits in Latin and native forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dermstation.assistant.deidentify import ScrubTerms

# What the record knows (the service fills these from the patient, the users and the hospitals).
TERMS = ScrubTerms(
    names=("Adaeze", "Okonkwo-Whitfield"),
    record_number="MRN-004711",
    date_of_birth=date(1979, 4, 23),
    phone="+44 7700 900123",
    email="adaeze.okonkwo@example.org",
    people=("Dr Derma Smith", "Rita Reception", "प्रिया शर्मा", "செல்வி முருகன்", "లక్ష్మి రెడ్డి", "فاطمة الزهراء",
            "Zofia Wiśniewska"),
    places=("4 Orchard Way, Cambridge CB1 2AB", "12 Mill Lane, Cambridge CB2 1RX", "Hills Road", "Cambridge",
            "Luisenstraße 64", "Berlin"),
    institutions=("Riverside Dermatology Clinic", "Addenbrooke's Hospital", "Spree Skin Cancer Centre (sample)"),
    region="GB",
)


@dataclass(frozen=True)
class Case:
    question: str
    gone: tuple[str, ...]  # fragments (as typed) that must not be in the request
    kept: tuple[str, ...] = ()  # clinical words that must survive


CASES: tuple[Case, ...] = (
    # --- English ---------------------------------------------------------------------------------
    Case("Is Adaeze Okonkwo-Whitfield's lesion dangerous? Dr Smith saw her on 12 March 2026.",
         ("Adaeze", "Okonkwo", "Whitfield", "Smith", "12 March 2026"), ("lesion", "dangerous")),
    Case("ADAEZE asks whether MRN-004711 (born 23/04/1979) needs surgery", ("ADAEZE", "004711", "1979", "23/04"),
         ("surgery",)),
    Case("Call her on +44 7700 900123 or 01223 555010, or mail adaeze.okonkwo@example.org",
         ("7700", "900123", "555010", "01223", "example.org", "adaeze")),
    Case("She lives at 4 Orchard Way, Cambridge CB1 2AB; her daughter Chioma drove her.",
         ("Orchard", "Cambridge", "CB1", "Chioma")),
    Case("Her husband Emeka Obi is worried about the melanoma.", ("Emeka", "Obi"), ("melanoma", "worried")),
    Case("Will Mrs Nkem Eze at Addenbrooke's Hospital on Hills Road see her?", ("Nkem", "Eze", "Addenbrooke", "Hills")),
    Case("Her NHS number is 943 476 5919 and insurance ID AB-99812.", ("943 476 5919", "5919", "99812")),
    Case("Does Mohs surgery leave a scar? She will see Rita Reception first.", ("Rita",), ("Mohs surgery", "scar")),
    # --- German ----------------------------------------------------------------------------------
    Case("Meine Tochter Lena wohnt in Hamburg, Hauptstraße 5, 20095 Hamburg. Frau Dr. Schmidt hat es gesehen.",
         ("Lena", "Hamburg", "Hauptstraße", "20095", "Schmidt"), ("Tochter",)),
    Case("Geboren am 23. April 1979, Tel. 030 12345678, Akte 4711", ("1979", "12345678", "4711")),
    Case("Herr Wiśniewski aus Luisenstraße 64 in Berlin fragt nach dem Melanom.",
         ("Wiśniewski", "Luisenstraße", "Berlin"), ("Melanom",)),
    # --- Spanish ---------------------------------------------------------------------------------
    Case("Mi hija Ana vive en Sevilla, Calle Mayor 3. La Sra. García la vio el 3 de mayo de 2025.",
         ("Ana", "Sevilla", "Mayor", "García", "2025", "3 de mayo")),
    Case("Su teléfono es +34 612 345 678 y su expediente 12345-B.", ("612", "345 678", "12345")),
    # --- French ----------------------------------------------------------------------------------
    Case("Ma fille Chloé habite à Lyon, 12 rue de la Paix. Mme Dupont, tél 01 23 45 67 89, née le 23/04/1979.",
         ("Chloé", "Lyon", "Paix", "Dupont", "01 23 45 67 89", "1979")),
    # --- Hindi (Devanagari, Latin and Devanagari digits) -----------------------------------------
    Case("मेरी बेटी सीमा पूछती है कि क्या यह कैंसर है। प्रिया शर्मा जी ने देखा।",
         ("सीमा", "प्रिया", "शर्मा"), ("कैंसर",)),
    Case("फ़ोन ९८७६५४३२१० पर, जन्म १२ मार्च १९७९, रिकॉर्ड नंबर ४७११, गांधी मार्ग 12, दिल्ली में रहती है",
         ("९८७६५४३२१०", "१९७९", "१२ मार्च", "४७११", "गांधी", "दिल्ली")),
    Case("श्रीमती कमला देवी का फ़ोन +91 98765 43210 है", ("कमला", "देवी", "98765")),
    # --- Tamil -----------------------------------------------------------------------------------
    Case("என் மகள் பிரியா கேட்கிறாள். செல்வி முருகனின் மச்சம் புற்றுநோயா?",
         ("பிரியா", "முருகன"), ("மச்சம்",)),
    Case("திருமதி லதா, 12 மார்ச் 1979 பிறந்தார், காந்தி சாலை 5, சென்னையில் வசிக்கிறார், தொலைபேசி 044 2345 6789",
         ("லதா", "1979", "காந்தி", "சென்னை", "2345")),
    # --- Telugu ----------------------------------------------------------------------------------
    Case("నా కూతురు ప్రియ అడుగుతోంది. లక్ష్మికి మచ్చ ఉంది. డాక్టర్ రెడ్డి గారు చూశారు.",
         ("ప్రియ", "లక్ష్మి", "రెడ్డి"), ("మచ్చ",)),
    Case("శ్రీమతి రాధ, ఫోన్ +91 98765 43210, జననం 23-04-1979, హైదరాబాద్‌లో ఉంటున్నారు",
         ("రాధ", "98765", "1979", "హైదరాబాద్")),
    # --- Arabic (Arabic-Indic digits too) --------------------------------------------------------
    Case("ابنتي فاطمة تسأل عن الشامة. السيدة ليلى من مدينة الرياض، شارع الملك فهد ١٢",
         ("فاطمة", "ليلى", "الرياض", "الملك فهد"), ("الشامة",)),
    Case("هاتف ٠٥٠١٢٣٤٥٦٧، ولد في ١٢ مارس ١٩٧٩، رقم الملف ٤٧١١، وفاطمة الزهراء رأتها",
         ("٠٥٠١٢٣٤٥٦٧", "١٩٧٩", "١٢ مارس", "٤٧١١", "فاطمة", "الزهراء")),
    Case("الدكتور أحمد العلي فحص السيد خالد، بريده khaled@example.com", ("أحمد", "العلي", "خالد", "khaled")),
)

# Every identifier the fake Perplexity server must never receive, in any test.
EVERY_IDENTIFIER: tuple[str, ...] = tuple(dict.fromkeys(
    fragment for case in CASES for fragment in case.gone
))
