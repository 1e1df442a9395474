"""``textbooks.csv`` (the catalogue) and ``textbook_provision.csv`` (copies per school).

The catalogue depends on the seed only, never on the number of schools: one edition per
subject, grade and language of print for Kyrgyz and Russian (a few with a second edition,
grades 7-11 of mathematics as *Алгебра* and sometimes also *Геометрия*), and a part of
them in Uzbek (mathematics and Kyrgyz language in every grade).

Provision is reported twice in school year 2025-2026 (half-years 1 and 2): for every grade
a school teaches, mathematics, the language subject (Kyrgyz language in Kyrgyz- and
Uzbek-language schools, Russian language in Russian-language ones) and, from grade 5, in
about 30% of cases a third subject; one edition each in the school's language. Copies
needed are the grade's pupils; copies available cover them less well in villages, and
least in rural Batken and Naryn.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from .cells import (
    capitalise,
    choose_rows,
    day_number,
    dmy,
    number_texts,
    pad,
    texts,
)
from .curriculum import (
    HISTORY,
    KYRGYZ_LANGUAGE,
    LITERATURE,
    MATH,
    RUSSIAN_LANGUAGE,
    SUBJECT_NAMES,
    SUBJECTS,
    taught,
)
from .faults import Extra, Rows, plan
from .model import (
    GRADES,
    PROVISION_COLUMNS,
    PROVISION_FILE,
    SCHOOL_YEAR,
    TEXTBOOK_COLUMNS,
    TEXTBOOKS_FILE,
)
from .people import author
from .schoolset import TEXTBOOK_LANGUAGES, SchoolSet

KY, RU, UZ = range(len(TEXTBOOK_LANGUAGES))
CONDITIONS = ("хорошее", "удовлетворительное", "плохое")
GOOD, FAIR, POOR = range(len(CONDITIONS))
# Publishers and their (synthetic) registrant numbers in ISBN group 9967 (Kyrgyzstan).
PUBLISHERS = (("Билим", "10"), ("Аркус", "31"), ("Педагогика", "24"),
              ("Наука и образование", "47"), ("Бийиктик", "13"), ("Турар", "58"),
              ("Мектеп", "02"), ("Кыргызстан", "05"), ("Инсанат", "62"))
ISBN_SHARE = 0.7
SECOND_EDITION_SHARE = 0.03
GEOMETRY_SHARE = 0.3
WORLD_HISTORY_SHARE = 0.2
UZBEK_SHARE = 0.25             # of the subjects and grades beyond maths and Kyrgyz language
THIRD_SUBJECT_SHARE = 0.3
REPORT_DAYS = ((date(2025, 10, 1), date(2025, 10, 15), date(2025, 10, 25)),
               (date(2026, 3, 1), date(2026, 3, 15), date(2026, 3, 25)))
# Mean share of need covered: (town, village), and the villages of Batken and Naryn.
COVERAGE = (0.93, 0.82)
COVERAGE_REMOTE = 0.66
REMOTE_REGIONS = ("KG-B", "KG-N")

# Titles: grade word per language, and per subject the title's words per language.
GRADE_WORD = {KY: "{g}-класс", RU: "{g} класс", UZ: "{g}-синф"}
TITLE_WORDS = {
    "math": ("Математика", "Математика", "Математика"),
    "algebra": ("Алгебра", "Алгебра", "Алгебра"),
    "geometry": ("Геометрия", "Геометрия", "Геометрия"),
    "kyrgyz-language": ("Кыргыз тили", "Кыргызский язык", "Қирғиз тили"),
    "russian-language": ("Орус тили", "Русский язык", "Рус тили"),
    "reading": ("Окуу китеби", "Литературное чтение", "Ўқиш китоби"),
    "literature": ("Адабият", "Литература", "Адабиёт"),
    "history": ("Кыргызстан тарыхы", "История Кыргызстана", "Қирғизистон тарихи"),
    "world-history": ("Дүйнө тарыхы", "Всемирная история", "Жаҳон тарихи"),
    "geography": ("География", "География", "География"),
    "biology": ("Биология", "Биология", "Биология"),
    "physics": ("Физика", "Физика", "Физика"),
    "chemistry": ("Химия", "Химия", "Кимё"),
    "english": ("Англис тили", "Английский язык", "Инглиз тили"),
    "informatics": ("Информатика", "Информатика", "Информатика"),
}
PRIMERS = {("kyrgyz-language", KY): "Алиппе", ("russian-language", RU): "Букварь"}


def isbn13(first12: str) -> str:
    """The 13 digits with the check digit (weights 1, 3, 1, 3, ...)."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def _title(rng: np.random.Generator, words: str, grade: int, language: int) -> str:
    primer = PRIMERS.get((words, language))
    if primer and grade == 1:
        return primer
    sep = " " if language == KY and rng.random() < 0.3 else ". "
    return f"{TITLE_WORDS[words][language]}{sep}{GRADE_WORD[language].format(g=grade)}"


def _editions() -> list[tuple[int, int, int, str]]:
    """(subject, grade, language, title words) of every possible first edition."""
    out = []
    for subject, code in enumerate(SUBJECTS):
        for grade in GRADES:
            if not taught(subject, grade):
                continue
            words = code
            if subject == MATH and grade >= 7:
                words = "algebra"
            elif subject == LITERATURE and grade <= 4:
                words = "reading"
            for language in (KY, RU, UZ):
                out.append((subject, grade, language, words))
    return out


def make_catalogue(rng: np.random.Generator) -> pd.DataFrame:
    """The valid catalogue rows, with hidden ``_subject``, ``_grade``, ``_language``,
    ``_year`` columns."""
    rows: list[tuple[int, int, int, str]] = []
    for subject, grade, language, words in _editions():
        if language == UZ and subject not in (MATH, KYRGYZ_LANGUAGE) \
                and rng.random() >= UZBEK_SHARE:
            continue
        rows.append((subject, grade, language, words))
        if subject == MATH and grade >= 7 and rng.random() < GEOMETRY_SHARE:
            rows.append((subject, grade, language, "geometry"))
        if subject == HISTORY and language != UZ and rng.random() < WORLD_HISTORY_SHARE:
            rows.append((subject, grade, language, "world-history"))
        if rng.random() < SECOND_EDITION_SHARE:
            rows.append((subject, grade, language, words))
    used_numbers: set[str] = set()
    records = []
    for i, (subject, grade, language, words) in enumerate(rows, start=1):
        publisher, registrant = PUBLISHERS[int(rng.integers(0, len(PUBLISHERS)))]
        isbn = ""
        if rng.random() < ISBN_SHARE:
            while True:
                number = f"{int(rng.integers(0, 1000)):03d}"
                if registrant + number not in used_numbers:
                    break
            used_numbers.add(registrant + number)
            digits = isbn13(f"9789967{registrant}{number}")
            isbn = digits if rng.random() < 0.4 else \
                f"{digits[:3]}-{digits[3:7]}-{digits[7:9]}-{digits[9:12]}-{digits[12]}"
        authors = [author(rng) for _ in range(int(rng.choice([1, 2, 3], p=[0.35, 0.45, 0.2])))]
        joiner = "; " if rng.random() < 0.8 else ";"
        subject_cell = SUBJECTS[subject] if rng.random() < 0.5 else SUBJECT_NAMES[subject]
        if rng.random() < 0.03:
            subject_cell = subject_cell.lower()
        language_cell = TEXTBOOK_LANGUAGES[language]
        if rng.random() < 0.05:
            language_cell = language_cell.capitalize()
        year = int(rng.triangular(2008, 2020, 2024.999))
        records.append({
            "textbook_id": f"TB-{i:04d}", "isbn": isbn,
            "title": _title(rng, words, grade, language), "subject": subject_cell,
            "grade": str(grade), "language": language_cell, "authors": joiner.join(authors),
            "publisher": publisher, "year_published": str(year),
            "_subject": subject, "_grade": grade, "_language": language, "_year": year,
        })
    return pd.DataFrame.from_records(records)


def catalogue_faults(rng: np.random.Generator, catalogue: pd.DataFrame) -> list[Extra]:
    """``bad_grade``: a new edition whose grade is out of 1-11 (its ISBN left empty)."""
    extras = []
    for i, _ in enumerate(plan(rng, TEXTBOOKS_FILE, len(catalogue))):
        after = int(rng.integers(0, len(catalogue)))
        cells = {c: str(catalogue.at[after, c]) for c in TEXTBOOK_COLUMNS}
        cells.update(textbook_id=f"TB-{len(catalogue) + 1 + i:04d}", isbn="",
                     grade=str(int(rng.choice([0, 12, 13]))))
        extras.append(Extra(after, cells, "grade", "bad_grade"))
    return extras


def _edition_table(catalogue: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(editions, counts)``: editions[s, g, l, k] is the k-th catalogue row for subject
    s, grade g (1-based) and language l; a language without one borrows the Kyrgyz ones."""
    s = catalogue["_subject"].to_numpy()
    g = catalogue["_grade"].to_numpy()
    lang = catalogue["_language"].to_numpy()
    shape = (len(SUBJECTS), len(GRADES) + 1, len(TEXTBOOK_LANGUAGES))
    counts = np.zeros(shape, dtype=np.int64)
    editions = np.full(shape + (8,), -1, dtype=np.int64)
    for row, key in enumerate(zip(s.tolist(), g.tolist(), lang.tolist(), strict=True)):
        editions[key + (counts[key],)] = row
        counts[key] += 1
    for language in (RU, UZ):
        empty = counts[:, :, language] == 0
        editions[:, :, language][empty] = editions[:, :, KY][empty]
        counts[:, :, language][empty] = counts[:, :, KY][empty]
    return editions, counts


def make_provision(rng: np.random.Generator, schools: SchoolSet, catalogue: pd.DataFrame
                   ) -> pd.DataFrame:
    """Valid and ghost rows of both half-years, with hidden columns."""
    editions, counts = _edition_table(catalogue)
    school_grade = np.argwhere(schools.pupils > 0)            # (school, grade - 1), ordered
    school, grade = school_grade[:, 0], school_grade[:, 1] + 1
    lang = schools.language[school]
    language_subject = np.where(lang == RU, RUSSIAN_LANGUAGE, KYRGYZ_LANGUAGE)

    # A third subject: any other subject the grade has.
    others = [[s for s in range(len(SUBJECTS)) if taught(s, g) and s not in (MATH, ls)]
              for g in range(len(GRADES) + 1) for ls in (KYRGYZ_LANGUAGE, RUSSIAN_LANGUAGE)]
    width = max(len(o) for o in others)
    other_table = np.array([o + [-1] * (width - len(o)) for o in others]).reshape(
        len(GRADES) + 1, 2, width)
    other_count = np.array([len(o) for o in others]).reshape(len(GRADES) + 1, 2)
    ls_index = (language_subject == RUSSIAN_LANGUAGE).astype(np.int64)
    pick = (rng.random(len(school)) * other_count[grade, ls_index]).astype(np.int64)
    third = other_table[grade, ls_index, pick]
    has_third = (grade >= 5) & (rng.random(len(school)) < THIRD_SUBJECT_SHARE) & (third >= 0)

    n_subjects = 2 + has_third
    row_sg = np.repeat(np.arange(len(school)), n_subjects)
    slot = np.arange(len(row_sg)) - np.repeat(np.cumsum(n_subjects) - n_subjects, n_subjects)
    subject = np.stack([np.full(len(school), MATH), language_subject, third], axis=1)[row_sg, slot]
    school_r, grade_r, lang_r = school[row_sg], grade[row_sg], lang[row_sg]
    available_editions = counts[subject, grade_r, lang_r]
    choice = (rng.random(len(subject)) * available_editions).astype(np.int64)
    edition = editions[subject, grade_r, lang_r, choice]
    assert (edition >= 0).all()

    needed = schools.pupils[school_r, grade_r - 1]
    remote = np.isin(schools.region, REMOTE_REGIONS)
    mean = np.where(schools.town, np.where(remote, COVERAGE[0] - 0.08, COVERAGE[0]),
                    np.where(remote, COVERAGE_REMOTE, COVERAGE[1]))
    school_cover = np.clip(rng.normal(mean, 0.12), 0.25, 1.25)
    cover = np.clip(school_cover[school_r] * rng.lognormal(0.0, 0.12, len(subject)), 0.0, 1.4)
    available1 = np.round(needed * cover).astype(np.int64)
    available2 = np.maximum(0, np.round(available1 * rng.uniform(0.92, 1.06, len(subject)))
                            ).astype(np.int64)

    age = 2025 - catalogue["_year"].to_numpy()[edition]
    good = np.maximum(0.15, 0.75 - 0.04 * age)
    poor = np.minimum(0.45, 0.03 + 0.025 * age)
    condition1 = choose_rows(rng, np.stack([good, 1 - good - poor, poor], axis=1))
    condition2 = np.minimum(POOR, condition1 + (rng.random(len(subject)) < 0.15))

    roman = rng.random(len(schools)) < 0.1
    halves = []
    for half, available, condition in ((1, available1, condition1), (2, available2, condition2)):
        first, usual, last = (day_number(d) for d in REPORT_DAYS[half - 1])
        day = np.where(rng.random(len(schools)) < 0.5, usual,
                       rng.integers(first, last + 1, len(schools)))
        half_text = np.where(roman, "I" * half, str(half))
        halves.append(pd.DataFrame({
            "school_code": pad(rng, schools.code[school_r], 0.01),
            "school_year": SCHOOL_YEAR,
            "half_year": half_text[school_r],
            "grade": number_texts(grade_r),
            "textbook_id": catalogue["textbook_id"].to_numpy()[edition],
            "copies_available": number_texts(available),
            "copies_needed": number_texts(needed),
            "condition": capitalise(rng, texts(CONDITIONS)[condition], 0.03),
            "report_date": dmy(day[school_r]),
            "_school": school_r, "_half": half, "_grade": grade_r, "_edition": edition,
            "_subject": subject, "_ghost": schools.ghost[school_r],
        }))
    return pd.concat(halves, ignore_index=True)


def provision_faults(rng: np.random.Generator, provision: pd.DataFrame, catalogue: pd.DataFrame
                     ) -> tuple[pd.DataFrame, list[Extra]]:
    """The valid provision rows and the faulty extra rows of ``textbook_provision.csv``."""
    valid = provision[~provision["_ghost"]].reset_index(drop=True)
    ghosts = np.flatnonzero(provision["_ghost"].to_numpy())
    kinds = plan(rng, PROVISION_FILE, len(valid), {"unknown_school": len(ghosts)})
    unknown = iter(rng.choice(ghosts, size=kinds.count("unknown_school"), replace=False).tolist())
    by_grade = catalogue.groupby("_grade").groups
    keys = set(zip(valid["_school"].tolist(), valid["_half"].tolist(), valid["_grade"].tolist(),
                   valid["_edition"].tolist(), strict=True))
    missing_ids: set[int] = set()
    rows, ghost_rows = Rows(valid), Rows(provision)
    extras = []
    for kind in kinds:
        after = int(rng.integers(0, len(valid)))
        if kind == "unknown_school":
            extras.append(Extra(after, ghost_rows.cells(next(unknown), PROVISION_COLUMNS),
                                "school_code", kind))
            continue
        cells = rows.cells(after, PROVISION_COLUMNS)
        grade = int(rows.value(after, "_grade"))
        key = (int(rows.value(after, "_school")), int(rows.value(after, "_half")), grade)
        if kind == "unknown_textbook":
            while True:
                number = len(catalogue) + 1000 + int(rng.integers(0, 8000))
                if number not in missing_ids:
                    break
            missing_ids.add(number)
            cells["textbook_id"] = f"TB-{number:04d}"
            extras.append(Extra(after, cells, "textbook_id", kind))
            continue
        # negative_copies: another edition of the same grade, with a negative count
        free = [int(e) for e in by_grade[grade] if key + (int(e),) not in keys]
        edition = int(rng.choice(free))
        keys.add(key + (edition,))
        cells["textbook_id"] = str(catalogue.at[edition, "textbook_id"])
        cells["copies_available"] = f"-{int(rng.integers(1, 40))}"
        extras.append(Extra(after, cells, "copies_available", kind))
    return valid, extras

