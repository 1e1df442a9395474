"""Names of people: staff (surname, given name, patronymic) and textbook authors.

Three naming traditions, as Kyrgyz school staff lists show them:

* Kyrgyz: ``Асанова Гүлнара Бакытовна``, and for some men and women the Kyrgyz form
  ``Бакыт уулу Нурлан`` / ``Бакыт кызы Айгүл`` (father's name, "son/daughter of",
  given name; no surname);
* Russian: ``Иванова Елена Сергеевна``;
* Uzbek: ``Юсупов Шерзод Рахимович``.

Surnames are listed in their male form (``-ов``, ``-ев``, ``-ин``); the female form adds
``-а``. Patronymics are made from the fathers' given names by the Russian rule (``-ович``
/ ``-овна``; after ``й``, ``ь``, a hushing consonant or ``а``: ``-евич`` / ``-евна``;
``-ий``: ``-ьевич``). All names are common, none is a particular person's.
"""

from __future__ import annotations

import numpy as np

from .cells import texts

KYRGYZ, RUSSIAN, UZBEK = 0, 1, 2

SURNAMES = {
    KYRGYZ: ("Асанов", "Токтогулов", "Жумабаев", "Садыков", "Абдыкадыров", "Мамытов",
             "Осмонов", "Бекболотов", "Кадыров", "Турдубаев", "Эсенбаев", "Алиев", "Омурбеков",
             "Маматов", "Ибраимов", "Сыдыков", "Усенов", "Джумалиев", "Бейшеналиев",
             "Чолпонбаев", "Сатыбалдиев", "Бакиров", "Рысбеков", "Токтосунов", "Керимбеков",
             "Мурзалиев", "Ниязбеков", "Сулайманов", "Эшимбеков", "Абдраимов", "Жолдошев",
             "Тологонов", "Калыков", "Орозов", "Мукашев", "Өмүрзаков", "Сүйүнбаев",
             "Түлөбердиев", "Нурманбетов", "Шаршеналиев", "Өскөнбаев", "Дүйшөнбиев",
             "Акматов", "Байтиков", "Султанов", "Арстанбеков", "Карыпбеков", "Темиров",
             "Шамшиев", "Исаков", "Бообеков", "Жээнбеков", "Качкынбаев", "Мамбетов"),
    RUSSIAN: ("Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев",
              "Козлов", "Новиков", "Морозов", "Волков", "Соловьев", "Васильев", "Зайцев",
              "Павлов", "Семенов", "Голубев", "Виноградов", "Богданов", "Воробьев", "Федоров",
              "Михайлов", "Беляев", "Тарасов", "Белов", "Комаров", "Орлов", "Киселев",
              "Макаров", "Ильин", "Никитин", "Захаров"),
    UZBEK: ("Юсупов", "Рахимов", "Каримов", "Абдуллаев", "Исмаилов", "Мирзаев", "Хасанов",
            "Турсунов", "Эргашев", "Назаров", "Холматов", "Шарипов", "Алимов", "Рашидов",
            "Усманов", "Ахмедов", "Мамадалиев", "Юлдашев", "Султанов", "Тухтасинов"),
}
GIVEN_MALE = {
    KYRGYZ: ("Бакыт", "Нурлан", "Талант", "Эрмек", "Азамат", "Марат", "Урмат", "Эркин",
             "Мирлан", "Улан", "Чыңгыз", "Алмаз", "Мелис", "Нурбек", "Бектур", "Айбек",
             "Өмүрбек", "Темирлан", "Жоомарт", "Адилет", "Кубат", "Замир", "Руслан",
             "Канат", "Бактыбек", "Мирбек", "Жаныбек", "Кайрат", "Үсөн", "Эмил"),
    RUSSIAN: ("Александр", "Сергей", "Андрей", "Владимир", "Николай", "Виктор", "Алексей",
              "Дмитрий", "Игорь", "Евгений", "Михаил", "Олег", "Павел", "Иван", "Роман",
              "Максим"),
    UZBEK: ("Шерзод", "Бахтиёр", "Рустам", "Фаррух", "Улугбек", "Ботир", "Дилшод", "Жасур",
            "Анвар", "Равшан", "Акмал", "Шухрат", "Азиз", "Тимур", "Нодир"),
}
GIVEN_FEMALE = {
    KYRGYZ: ("Гүлнара", "Гүлмира", "Айгүл", "Күлүйпа", "Бүбүсара", "Айпери", "Нургүл",
             "Чолпон", "Мээрим", "Жылдыз", "Айжан", "Динара", "Бермет", "Асел", "Назгүл",
             "Айнура", "Жамиля", "Гүлзат", "Салтанат", "Чынара", "Анара", "Айзада", "Эльмира",
             "Нуриза", "Гүлсара", "Толгонай", "Бурул", "Каныкей", "Мөлдүр", "Жазгүл"),
    RUSSIAN: ("Елена", "Ольга", "Татьяна", "Наталья", "Ирина", "Светлана", "Людмила",
              "Галина", "Марина", "Анна", "Юлия", "Валентина", "Надежда", "Екатерина", "Оксана",
              "Лариса", "Вера", "Любовь"),
    UZBEK: ("Дилноза", "Мохира", "Гулчехра", "Зулфия", "Нилуфар", "Феруза", "Шахноза",
            "Малика", "Гулнора", "Дилфуза", "Мунира", "Барно", "Саодат", "Нодира"),
}
FATHERS = {
    KYRGYZ: ("Бакыт", "Асан", "Токтосун", "Жумабек", "Нурлан", "Кубаныч", "Абдыкадыр", "Сагын",
             "Тынчтык", "Эркин", "Мамыт", "Осмон", "Султан", "Жапар", "Керимбек", "Бейшен",
             "Талант", "Урмат", "Сатыбалды", "Алмаз", "Дөөлөт", "Өмүр", "Качкын", "Темир"),
    RUSSIAN: ("Иван", "Сергей", "Николай", "Александр", "Владимир", "Виктор", "Петр",
              "Андрей", "Алексей", "Игорь", "Анатолий", "Геннадий", "Борис"),
    UZBEK: ("Рахим", "Карим", "Абдулла", "Исмаил", "Хасан", "Турсун", "Эргаш", "Назар",
            "Шариф", "Алим", "Рашид", "Ахмед", "Юлдаш", "Анвар"),
}
KYRGYZ_FORM_SHARE = 0.06      # "Бакыт уулу Нурлан" instead of surname + patronymic


def patronymic(father: str, female: bool) -> str:
    """``Бакыт`` -> ``Бакытович`` / ``Бакытовна``; ``Сергей`` -> ``Сергеевич``;
    ``Анатолий`` -> ``Анатольевич``; ``Эргаш`` -> ``Эргашевич``; ``Сатыбалды`` ->
    ``Сатыбалдиевич``."""
    if father.endswith("ий"):
        stem, suffix = father[:-2], "ьевна" if female else "ьевич"
    elif father.endswith(("й", "ь")):
        stem, suffix = father[:-1], "евна" if female else "евич"
    elif father.endswith(("ж", "ш", "ч", "щ", "ц", "а")):       # Эргашевич, Абдуллаевич
        stem, suffix = father, "евна" if female else "евич"
    elif father.endswith("ы"):
        stem, suffix = father[:-1] + "и", "евна" if female else "евич"
    else:
        stem, suffix = father, "овна" if female else "ович"
    return stem + suffix


def full_names(rng: np.random.Generator, tradition: np.ndarray, female: np.ndarray
               ) -> np.ndarray:
    """A full name per person, for people of the given naming ``tradition`` and sex."""
    n = len(tradition)
    out = np.empty(n, dtype=object)
    kyrgyz_form = rng.random(n) < KYRGYZ_FORM_SHARE
    for t in (KYRGYZ, RUSSIAN, UZBEK):
        for is_female in (False, True):
            rows = np.flatnonzero((tradition == t) & (female == is_female))
            if not len(rows):
                continue
            surnames = texts([s + "а" if is_female else s for s in SURNAMES[t]])
            given = texts((GIVEN_FEMALE if is_female else GIVEN_MALE)[t])
            fathers = FATHERS[t]
            patronymics = texts([patronymic(f, is_female) for f in fathers])
            s = surnames[rng.integers(0, len(surnames), len(rows))]
            g = given[rng.integers(0, len(given), len(rows))]
            f_index = rng.integers(0, len(fathers), len(rows))
            p = patronymics[f_index]
            out[rows] = [f"{a} {b} {c}" for a, b, c in zip(s, g, p, strict=True)]
            if t == KYRGYZ:
                word = "кызы" if is_female else "уулу"
                local = np.flatnonzero(kyrgyz_form[rows])
                out[rows[local]] = [f"{fathers[f]} {word} {b}"
                                    for f, b in zip(f_index[local].tolist(), g[local],
                                                    strict=True)]
    return out


def author(rng: np.random.Generator) -> str:
    """A textbook author as catalogues print them: ``Асанов К. Т.``."""
    tradition = int(rng.choice(3, p=[0.6, 0.35, 0.05]))
    female = bool(rng.random() < 0.6)
    surname = SURNAMES[tradition][int(rng.integers(0, len(SURNAMES[tradition])))]
    given = (GIVEN_FEMALE if female else GIVEN_MALE)[tradition]
    fathers = FATHERS[tradition]
    first = given[int(rng.integers(0, len(given)))][0]
    middle = fathers[int(rng.integers(0, len(fathers)))][0]
    return f"{surname}{'а' if female else ''} {first}. {middle}."
