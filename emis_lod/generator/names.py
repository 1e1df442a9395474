"""School names in Kyrgyz and Russian, and street addresses, as EMIS registers write them.

Names are built from patterns per school type and place; "honorific" names ("named after")
come from pools of people schools in Kyrgyzstan are commonly named after. Each entry is
(Kyrgyz nominative, Russian genitive), because Kyrgyz writes "X атындагы ..." and Russian
"... им. X-а".
"""

from __future__ import annotations

import random

HONOURS_KYRGYZ: tuple[tuple[str, str], ...] = (
    ("Токтогул", "Токтогула"),
    ("Манас", "Манаса"),
    ("Ч. Айтматов", "Ч. Айтматова"),
    ("Ж. Баласагын", "Ж. Баласагына"),
    ("Т. Сатылганов", "Т. Сатылганова"),
    ("К. Тыныстанов", "К. Тыныстанова"),
    ("А. Осмонов", "А. Осмонова"),
    ("Курманжан Датка", "Курманжан Датки"),
    ("Тоголок Молдо", "Тоголок Молдо"),
    ("Ж. Бөкөнбаев", "Ж. Бокенбаева"),
    ("С. Орозбаков", "С. Орозбакова"),
    ("Барпы Алыкулов", "Барпы Алыкулова"),
    ("Т. Касымбеков", "Т. Касымбекова"),
    ("И. Раззаков", "И. Раззакова"),
    ("К. Маликов", "К. Маликова"),
    ("Кожомкул", "Кожомкула"),
    ("А. Токомбаев", "А. Токомбаева"),
    ("Б. Бейшеналиева", "Б. Бейшеналиевой"),
    ("Ж. Абдрахманов", "Ж. Абдрахманова"),
    ("Шабдан Баатыр", "Шабдана Баатыра"),
)
HONOURS_RUSSIAN: tuple[tuple[str, str], ...] = (
    ("А. С. Пушкин", "А. С. Пушкина"),
    ("Л. Н. Толстой", "Л. Н. Толстого"),
    ("М. Горький", "М. Горького"),
    ("Ю. Гагарин", "Ю. Гагарина"),
    ("А. П. Чехов", "А. П. Чехова"),
    ("М. В. Ломоносов", "М. В. Ломоносова"),
    ("Н. К. Крупская", "Н. К. Крупской"),
)
HONOURS_UZBEK: tuple[tuple[str, str], ...] = (
    ("Алишер Навои", "Алишера Навои"),
    ("Бабур", "Бабура"),
    ("Улугбек", "Улугбека"),
    ("Мукими", "Мукими"),
)
HONOURS_TAJIK: tuple[tuple[str, str], ...] = (
    ("Рудаки", "Рудаки"),
    ("С. Айни", "С. Айни"),
)
PRIVATE_BRANDS = ("Билим", "Илим", "Нур", "Мурас", "Айчурөк", "Эрудит", "Сапат", "Келечек",
                  "Ак-Нур", "Элит", "Данк", "Мээрим")

STREETS = ("ул. Ленина", "ул. Токтогула", "ул. Манаса", "ул. Советская", "ул. Мира",
           "ул. Школьная", "ул. Ч. Айтматова", "ул. Жибек Жолу", "ул. Садовая",
           "ул. Курманжан Датки", "ул. Фрунзе", "ул. Молодёжная", "ул. Кыргызстан",
           "ул. Т. Сатылганова", "ул. Победы", "ул. Центральная")
CITY_STREETS = {
    "г. Бишкек": ("пр. Чуй", "пр. Манаса", "пр. Жибек Жолу", "ул. Киевская", "ул. Московская",
                  "ул. Ахунбаева", "ул. Байтик Баатыра", "ул. Боконбаева", "ул. Исанова",
                  "ул. Тыныстанова", "ул. Абдрахманова", "ул. Токтогула", "ул. Фучика",
                  "ул. Горького", "ул. Панфилова", "ул. Л. Толстого", "ул. Жукеева-Пудовкина"),
    "г. Ош": ("ул. Ленина", "ул. Курманжан Датки", "пр. Масалиева", "ул. Навои", "ул. Монуева",
              "ул. Алымбека Датки", "ул. Кыргызстан", "ул. Н. Исанова", "ул. Аматова",
              "ул. Заир Бекова", "ул. Бабура"),
}
MICRODISTRICTS = {
    "г. Бишкек": ("мкр. Асанбай", "мкр. Джал", "мкр. Восток-5", "мкр. Тунгуч", "мкр. Аламедин-1",
                  "мкр. Кок-Жар", "мкр. Улан"),
    "г. Ош": ("мкр. Анар", "мкр. Черемушки", "мкр. Ак-Тилек", "мкр. Западный"),
}


def honour(rnd: random.Random, languages: str) -> tuple[str, str]:
    """Whom a school is named after, fitting its languages of instruction."""
    if "узбекский" in languages and rnd.random() < 0.5:
        return rnd.choice(HONOURS_UZBEK)
    if "таджикский" in languages and rnd.random() < 0.6:
        return rnd.choice(HONOURS_TAJIK)
    if languages == "русский" and rnd.random() < 0.6:
        return rnd.choice(HONOURS_RUSSIAN)
    return rnd.choice(HONOURS_KYRGYZ)


def place_name(settlement: str) -> str:
    """``"с. Кызыл-Суу"`` -> ``"Кызыл-Суу"``."""
    return settlement.split(". ", 1)[1] if ". " in settlement else settlement


def school_names(rnd: random.Random, kind: str, settlement: str, number: int, town: bool,
                 languages: str, private: bool) -> tuple[str, str]:
    """(name_ky, name_ru) of a school of source type ``kind`` (``СОШ``, ``ООШ``, ...).

    ``number`` is the school's number within its settlement (1 for the first school).
    """
    if private:
        brand = rnd.choice(PRIVATE_BRANDS)
        if kind == "Лицей":
            return f"«{brand}» лицейи", f"Лицей «{brand}»"
        if kind == "Гимназия":
            return f"«{brand}» гимназиясы", f"Гимназия «{brand}»"
        return f"«{brand}» жеке мектеби", f"Частная школа «{brand}»"

    place = place_name(settlement)
    named = rnd.random()
    h_ky, h_ru = honour(rnd, languages)
    if town:
        n = f"№{number}"
        if kind == "СОШ":
            if named < 0.5:
                return (f"{h_ky} атындагы {n} орто мектеби",
                        f"Средняя общеобразовательная школа {n} им. {h_ru}")
            return f"{n} орто мектеби", f"Средняя общеобразовательная школа {n}"
        if kind == "Гимназия":
            if named < 0.35:
                return f"{h_ky} атындагы {n} гимназия-мектеби", f"Гимназия {n} им. {h_ru}"
            return f"{n} гимназия-мектеби", f"Гимназия {n}"
        if kind == "Лицей":
            if named < 0.25:
                return f"{n} физика-математика лицейи", f"Физико-математический лицей {n}"
            return f"{n} лицей-мектеби", f"Лицей {n}"
        if kind == "ООШ":
            return f"{n} негизги мектеби", f"Основная общеобразовательная школа {n}"
        if kind == "НОШ":
            if named < 0.4:
                return (f"{n} башталгыч мектеп-бала бакчасы",
                        f"Учебно-воспитательный комплекс «Школа-детский сад» {n}")
            return f"{n} башталгыч мектеби", f"Начальная школа {n}"
        return f"{n} атайын мектеп-интернаты", f"Специальная школа-интернат {n}"

    # Villages: the first school takes the village's (or a person's) name, later ones a number.
    if number > 1:
        n = f"№{number}"
        if kind == "СОШ":
            return (f"{place} айылындагы {n} орто мектеби",
                    f"Средняя общеобразовательная школа {n} с. {place}")
        if kind == "ООШ":
            return (f"{place} айылындагы {n} негизги мектеби",
                    f"Основная общеобразовательная школа {n} с. {place}")
        if kind == "НОШ":
            return f"{place} айылындагы {n} башталгыч мектеби", f"Начальная школа {n} с. {place}"
    if kind == "СОШ":
        if named < 0.5:
            return (f"{h_ky} атындагы орто мектеби",
                    f"Средняя общеобразовательная школа им. {h_ru}")
        return f"{place} орто мектеби", f"Средняя общеобразовательная школа с. {place}"
    if kind == "ООШ":
        if named < 0.3:
            return (f"{h_ky} атындагы негизги мектеби",
                    f"Основная общеобразовательная школа им. {h_ru}")
        return f"{place} негизги мектеби", f"Основная общеобразовательная школа с. {place}"
    if kind == "НОШ":
        return f"{place} башталгыч мектеби", f"Начальная школа с. {place}"
    if kind == "Гимназия":
        if named < 0.5:
            return f"{h_ky} атындагы гимназия-мектеби", f"Гимназия им. {h_ru} с. {place}"
        return f"{place} гимназия-мектеби", f"Гимназия с. {place}"
    if kind == "Лицей":
        return f"{place} лицей-мектеби", f"Лицей с. {place}"
    return f"{place} атайын мектеп-интернаты", f"Специальная школа-интернат с. {place}"


def address(rnd: random.Random, settlement: str, town: bool) -> str:
    """``"ул. Ленина, 12"`` style; villages sometimes have no house number (``б/н``)."""
    if settlement in MICRODISTRICTS and rnd.random() < 0.2:
        return f"{rnd.choice(MICRODISTRICTS[settlement])}, {rnd.randint(1, 60)}"
    street = rnd.choice(CITY_STREETS.get(settlement, STREETS))
    if not town and rnd.random() < 0.15:
        return f"{street}, б/н"
    house = rnd.randint(1, 250 if town else 90)
    suffix = "а" if rnd.random() < 0.06 else ""
    return f"{street}, {house}{suffix}"
