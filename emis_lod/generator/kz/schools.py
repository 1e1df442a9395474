"""Valid Kazakh school records, in the Kyrgyz generator's record keys.

A record uses the keys of the Kyrgyz ``schools.csv`` (``school_type`` etc. as the Kyrgyz
generator's internal values, so that its domain tables and messiness can be reused), with
``name_ky`` holding the Kazakh name, plus ``settlement_kk`` and ``ungraded`` ("1" for a small
ungraded school, шағын жинақты мектеп / малокомплектная школа). :mod:`.export` turns the
records into the national database's cells.
"""

from __future__ import annotations

import random
from collections import defaultdict

from ..geography import District, random_point
from ..model import GRADES, SCHOOL_YEAR
from ..schools import _pupils, apportion  # the Kyrgyz recipes, reused as they are
from .geography import KzGeography

TYPE_WEIGHTS: dict[str, dict[str, float]] = {
    "town":    {"СОШ": 70, "Гимназия": 12, "Лицей": 7, "ООШ": 3, "НОШ": 4, "Спец. школа": 4},
    "village": {"СОШ": 62, "ООШ": 22, "НОШ": 14, "Гимназия": 1, "Лицей": 0.5, "Спец. школа": 0.5},
    "private": {"СОШ": 45, "Гимназия": 20, "Лицей": 30, "НОШ": 5},
}
PRIVATE_SHARE = {"KZ-71": 0.1, "KZ-75": 0.12, "KZ-79": 0.06, "town": 0.03, "village": 0.003}
STATE_SHARE = {"Спец. школа": 0.3, "Лицей": 0.15, "Гимназия": 0.05}   # republican, else communal
STATE_SHARE_DEFAULT = 0.02
TOWN_WEIGHT = 3
UNGRADED_PUPILS = 150      # a village school with fewer pupils is a small ungraded school

# (Kazakh nominative, Russian genitive) of the people schools are named after.
PERSONS = (
    ("Абай", "Абая"), ("Ыбырай Алтынсарин", "Ы. Алтынсарина"), ("Шоқан Уәлиханов", "Ч. Валиханова"),
    ("Мұхтар Әуезов", "М. Ауэзова"), ("Сәкен Сейфуллин", "С. Сейфуллина"),
    ("Мағжан Жұмабаев", "М. Жумабаева"), ("Жамбыл Жабаев", "Жамбыла Жабаева"),
    ("Әл-Фараби", "аль-Фараби"), ("Қаныш Сәтбаев", "К. Сатпаева"),
    ("Бауыржан Момышұлы", "Б. Момышулы"), ("Әлия Молдағұлова", "А. Молдагуловой"),
    ("Мәншүк Мәметова", "М. Маметовой"), ("Ахмет Байтұрсынұлы", "А. Байтурсынова"),
    ("Абылай хан", "Абылай хана"), ("Құрманғазы", "Курмангазы"), ("Міржақып Дулатов", "М. Дулатова"),
    ("Төле би", "Толе би"), ("Қазыбек би", "Казыбек би"), ("Әйтеке би", "Айтеке би"),
    ("Ғабит Мүсірепов", "Г. Мусрепова"), ("Ілияс Жансүгіров", "И. Жансугурова"),
    ("Мұқағали Мақатаев", "М. Макатаева"), ("Сұлтанмахмұт Торайғыров", "С. Торайгырова"),
    ("Әлихан Бөкейханов", "А. Букейханова"), ("А. С. Пушкин", "А. С. Пушкина"),
)
BRANDS = ("Білім", "Зерде", "Ақниет", "Дарын", "Самға", "Өркен", "Мирас", "Шапағат", "Болашақ",
          "Ғылым", "Жарқын", "Нұр")
STREETS = (
    ("Абай көшесі", "ул. Абая"), ("Төле би көшесі", "ул. Толе би"), ("Жамбыл көшесі", "ул. Жамбыла"),
    ("Қабанбай батыр көшесі", "ул. Кабанбай батыра"), ("Бейбітшілік көшесі", "ул. Бейбитшилик"),
    ("Тәуелсіздік көшесі", "ул. Тауелсиздик"), ("Мектеп көшесі", "ул. Мектеп"),
    ("Орталық көшесі", "ул. Центральная"), ("Достық көшесі", "ул. Достык"),
    ("Жастар көшесі", "ул. Жастар"), ("Наурыз көшесі", "ул. Наурыз"),
    ("Сәтбаев көшесі", "ул. Сатпаева"), ("Әуезов көшесі", "ул. Ауэзова"),
    ("Желтоқсан көшесі", "ул. Желтоксан"),
)
# (Kazakh, Russian) of each internal type: numbered in towns, named after a settlement or a
# person in villages.
TYPE_NAMES = {
    "СОШ": ("жалпы орта білім беретін мектеп", "Средняя общеобразовательная школа"),
    "ООШ": ("негізгі орта мектеп", "Основная средняя школа"),
    "НОШ": ("бастауыш мектеп", "Начальная школа"),
    "Гимназия": ("гимназия", "Гимназия"),
    "Лицей": ("мектеп-лицей", "Школа-лицей"),
    "Спец. школа": ("арнайы (түзету) мектеп", "Специальная (коррекционная) школа"),
}
GENITIVE = (("ауылы", "ауылының"), ("қаласы", "қаласының"), ("кенті", "кентінің"))


def _of_settlement(kk: str) -> str:
    """"Бурабай ауылы" -> "Бурабай ауылының" (the school *of* the village)."""
    for word, genitive in GENITIVE:
        if kk.endswith(word):
            return kk[: -len(word)] + genitive
    return kk


def _choose(rnd: random.Random, weights: dict[str, float] | tuple[tuple[str, float], ...]) -> str:
    items = list(weights.items()) if isinstance(weights, dict) else list(weights)
    return rnd.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def school_names(rnd: random.Random, school_type: str, settlement: tuple[str, str], number: int,
                 town: bool, private: bool, communal: bool) -> tuple[str, str]:
    """(Kazakh, Russian) name of a school."""
    kind_kk, kind_ru = TYPE_NAMES[school_type]
    if private:
        brand = rnd.choice(BRANDS)
        if school_type == "Лицей":
            return f"«{brand}» жеке лицейі", f"Частный лицей «{brand}»"
        return f"«{brand}» жеке мектебі", f"Частная школа «{brand}»"
    how = rnd.random()
    if town or school_type in ("Гимназия", "Лицей", "Спец. школа"):
        if how < 0.2 and school_type != "Спец. школа":
            kk_person, ru_person = rnd.choice(PERSONS)
            kk, ru = f"{kk_person} атындағы {kind_kk}", f"{kind_ru} имени {ru_person}"
        else:
            kk, ru = f"№{number} {kind_kk}", f"{kind_ru} №{number}"
    elif how < 0.45:
        kk_person, ru_person = rnd.choice(PERSONS)
        kk, ru = f"{kk_person} атындағы {kind_kk}", f"{kind_ru} имени {ru_person}"
    else:
        kk = f"{_of_settlement(settlement[0])} {_possessive(kind_kk)}"
        ru = f"{kind_ru} {settlement[1]}"
        if number > 1:
            kk, ru = f"{kk} №{number}", f"{ru} №{number}"
    if communal and rnd.random() < 0.3:
        # the registered name of a communal state institution
        kk, ru = f"«{kk}» КММ", f"КГУ «{ru}»"
    return kk, ru


def _possessive(kind_kk: str) -> str:
    """"жалпы орта білім беретін мектеп" -> "... мектебі", "гимназия" -> "гимназиясы"."""
    if kind_kk.endswith("мектеп"):
        return kind_kk[:-1] + "бі"
    if kind_kk.endswith("я"):
        return kind_kk + "сы"
    return kind_kk


def _coordinate(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}".replace(".", ",")


def _school(rnd: random.Random, kz: KzGeography, district: District, code: str,
            numbers: dict[tuple[str, str], int]) -> dict[str, str]:
    places = kz.settlements[district.code]
    if district.urban:
        settlement = places[0]
    else:
        settlement = rnd.choices(places, weights=[TOWN_WEIGHT if ru.startswith("г.") else 1
                                                  for _, ru in places])[0]
    town = district.urban or settlement[1].startswith("г.")
    place = "town" if town else "village"
    private = rnd.random() < PRIVATE_SHARE.get(district.region_code, PRIVATE_SHARE[place])
    school_type = _choose(rnd, TYPE_WEIGHTS["private" if private else place])
    if private:
        ownership = "частная"
    elif rnd.random() < STATE_SHARE.get(school_type, STATE_SHARE_DEFAULT):
        ownership = "государственная"
    else:
        ownership = "муниципальная"
    languages = _choose(rnd, kz.geo.language_profiles[district.languages][place])
    key = (district.region_code if district.urban else district.code, settlement[1])
    numbers[key] += 1
    name_kk, name_ru = school_names(rnd, school_type, settlement, numbers[key], town, private,
                                    ownership == "муниципальная")
    lat, lon = random_point(rnd, district)
    decimals = rnd.randint(4, 6)
    if private:
        year = rnd.randint(1992, 2024)
    elif town:
        year = int(rnd.triangular(1905, 2024, 1970))
    else:
        year = int(rnd.triangular(1925, 2024, 1968))
    pupils = _pupils(rnd, school_type, place, private)
    total = sum(pupils)
    if private or total < 300:
        shifts = 1
    elif total < 900:
        shifts = rnd.choice((1, 2))
    else:
        shifts = rnd.choices((1, 2, 3), weights=(20, 65, 15))[0]
    street_kk, street_ru = rnd.choice(STREETS)
    house = rnd.randint(1, 180 if town else 60)
    record = {
        "school_code": code, "name_ky": name_kk, "name_ru": name_ru,
        "school_type": school_type, "ownership": ownership, "languages": languages,
        "region_code": district.region_code, "district_code": district.code,
        "settlement": settlement[1], "settlement_kk": settlement[0],
        "locality": "город" if town else "село",
        "ungraded": "1" if not town and not private and total < UNGRADED_PUPILS else "0",
        "address": f"{street_kk}, {house}", "address_ru": f"{street_ru}, {house}",
        "latitude": _coordinate(lat, decimals), "longitude": _coordinate(lon, decimals),
        "year_opened": str(year), "shifts": str(shifts), "school_year": SCHOOL_YEAR,
    }
    for grade in GRADES:
        record[f"g{grade}_m"] = str(pupils[2 * grade - 2])
        record[f"g{grade}_f"] = str(pupils[2 * grade - 1])
    return record


def build_schools(rnd: random.Random, kz: KzGeography, count: int) -> list[dict[str, str]]:
    """``count`` valid schools spread over the districts by weight, in school-code order.

    School codes (synthetic, 8 digits): the region's two digits (its ISO 3166-2:KZ number)
    + the district's number (2 digits) + a sequence within the district (4 digits, with gaps).
    """
    districts = kz.districts
    regions = {r.code: r for r in kz.regions}
    counts = apportion(count, [d.weight for d in districts])
    numbers: dict[tuple[str, str], int] = defaultdict(int)
    records: list[dict[str, str]] = []
    for district, n in zip(districts, counts, strict=True):
        prefix = f"{regions[district.region_code].index:02d}{district.number:02d}"
        max_gap = max(1, min(7, 9_998 // (n + 1)))
        seq = 0
        for _ in range(n):
            seq += rnd.randint(1, max_gap)
            records.append(_school(rnd, kz, district, f"{prefix}{seq:04d}", numbers))
    return records
