"""``staff.csv`` and ``training.csv``: the people of each school and their courses.

A school of P pupils has about P/16 + 3 teachers (P/12 + 3 in private schools; never fewer
than 4), a director, one to three deputies, and sometimes a librarian, a psychologist and
a *педагог-организатор*. Each person gets a sex, a birth date, a Kyrgyz-style personal
number (PIN: ``1`` woman / ``2`` man, the birth date as ``ddmmyyyy``, five more digits),
a name of a naming tradition that fits the school's languages, an education, a diploma,
experience, a qualification category and a workload. Teachers, directors and deputies take
0-3 advanced training courses of 2022-2025.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from .cells import (
    capitalise,
    choose,
    choose_rows,
    day_number,
    days_in_year,
    ddmmyyyy,
    dmy,
    excel_serial,
    number_texts,
    pad,
    texts,
    year_of,
)
from .curriculum import (
    BIOLOGY,
    CHEMISTRY,
    ENGLISH,
    GEOGRAPHY,
    HISTORY,
    INFORMATICS,
    KYRGYZ_LANGUAGE,
    LITERATURE,
    MATH,
    PHYSICS,
    RUSSIAN_LANGUAGE,
    SUBJECT_NAMES,
    SUBJECTS,
)
from .faults import Extra, Rows, plan
from .model import STAFF_COLUMNS, STAFF_FILE, TRAINING_COLUMNS, TRAINING_FILE
from .people import KYRGYZ, RUSSIAN, UZBEK, full_names
from .schoolset import SchoolSet

POSITIONS = ("директор", "заместитель директора", "учитель", "библиотекарь", "психолог",
             "педагог-организатор")
DIRECTOR, DEPUTY, TEACHER, LIBRARIAN, PSYCHOLOGIST, ORGANISER = range(len(POSITIONS))
EDUCATION_LEVELS = ("высшее педагогическое", "высшее непедагогическое",
                    "среднее специальное педагогическое", "среднее общее")
HIGHER_PED, HIGHER_OTHER, COLLEGE_PED, SCHOOL_ONLY = range(len(EDUCATION_LEVELS))
QUALIFICATIONS = ("высшая", "первая", "вторая", "без категории")
DIPLOMA_TYPES = ("бакалавр", "специалист", "магистр", "колледж")
BACHELOR, SPECIALIST, MASTER, COLLEGE = range(len(DIPLOMA_TYPES))
STUDY_MODES = ("очная", "заочная", "дистанционная")
WORKLOADS = (0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0)
WORKLOAD_TEXTS = (("0,5", "0,75", "1", "1,25", "1,5", "1,75", "2"),
                  ("0,50", "0,75", "1,00", "1,25", "1,50", "1,75", "2,00"))
DIPLOMA_SERIES = {BACHELOR: ("ДБ", "ВБ", "БК"), SPECIALIST: ("ДВС", "ЭВ", "ТВ", "ВСА", "ДС"),
                  MASTER: ("ДМ", "ММ"), COLLEGE: ("СПО", "СБ", "УТ")}

AGE_OF_STAFF = date(2025, 9, 1)          # ages and experience as at the school year's start
# Per position: share of women; age (low, mode, high); education levels; workloads.
FEMALE = (0.6, 0.75, 0.82, 0.95, 0.85, 0.7)
AGE = ((32, 50, 66), (28, 45, 64), (21, 42, 68), (24, 50, 66), (22, 30, 55), (21, 30, 60))
EDUCATION = ((92, 8, 0, 0), (88, 10, 2, 0), (75, 9, 14, 2), (40, 25, 25, 10), (45, 55, 0, 0),
             (60, 20, 18, 2))
WORKLOAD = ((0, 0, 60, 30, 10, 0, 0), (0, 0, 50, 35, 15, 0, 0), (5, 5, 30, 20, 22, 10, 8),
            (30, 10, 60, 0, 0, 0, 0), (30, 10, 60, 0, 0, 0, 0), (35, 10, 55, 0, 0, 0, 0))
# Qualification category by experience (< 3, 3-9, 10-19, 20+ years), QUALIFICATIONS order.
CATEGORY = ((0, 0, 5, 95), (3, 22, 40, 35), (20, 40, 25, 15), (40, 35, 15, 10))
# Subjects of teachers (SUBJECTS order): in schools with grades 5+, and in primary schools.
TEACHES = (19, 15, 12, 9, 8, 5, 5, 5, 4, 11, 5)
TEACHES_PRIMARY = (35, 25, 18, 8, 0, 0, 0, 0, 0, 14, 0)
SECOND_SUBJECT_SHARE = 0.3
PARTNERS = {MATH: (PHYSICS, INFORMATICS), KYRGYZ_LANGUAGE: (LITERATURE, LITERATURE),
            RUSSIAN_LANGUAGE: (LITERATURE, LITERATURE), LITERATURE: (RUSSIAN_LANGUAGE,
                                                                     KYRGYZ_LANGUAGE),
            HISTORY: (GEOGRAPHY, GEOGRAPHY), GEOGRAPHY: (HISTORY, BIOLOGY),
            BIOLOGY: (CHEMISTRY, GEOGRAPHY), PHYSICS: (MATH, INFORMATICS),
            CHEMISTRY: (BIOLOGY, BIOLOGY), ENGLISH: (RUSSIAN_LANGUAGE, RUSSIAN_LANGUAGE),
            INFORMATICS: (MATH, PHYSICS)}

# Advanced training: providers (course-code prefix, name, weight) and course topics.
PROVIDERS = (("KAO", "Кыргызская академия образования", 25), ("KGU", "КГУ им. И. Арабаева", 10),
             ("RIP", "РИПКиПРО", 25), ("MON", "МОН КР", 12), ("OIP", "Ошский ОИПКиПРО", 10),
             ("USA", "USAID «Окуу Керемет!»", 10), ("UNC", "ЮНИСЕФ", 8))
TOPICS = (
    "Формирующее оценивание в начальной школе",
    "Предметные стандарты нового поколения: математика",
    "Методика преподавания кыргызского языка как второго",
    "Обучение русскому языку как второму",
    "Инклюзивное образование: дети с ОВЗ в обычном классе",
    "ИКТ в учебном процессе",
    "Цифровая грамотность учителя",
    "Читательская грамотность: стратегии PIRLS",
    "Математическая грамотность: задания PISA",
    "Подготовка к ОРТ: математика",
    "Безопасная школа: действия при землетрясении",
    "Первая помощь в школе",
    "Профилактика буллинга",
    "Современный урок истории Кыргызстана",
    "Лабораторный практикум по физике",
    "Естественнонаучная грамотность: биология и химия",
    "Английский язык: коммуникативная методика",
    "Информатика: основы программирования на Python",
    "Школьный менеджмент для руководителей",
    "Внутришкольный мониторинг качества образования",
    "Работа с одарёнными детьми",
    "Многоязычное образование",
    "Психолого-педагогическое сопровождение учащихся",
    "Классное руководство и воспитательная работа",
    "Гендерное равенство в образовании",
    "Дистанционное обучение: платформы и методика",
    "Оценивание учебных достижений учащихся",
    "Обучение грамоте по «Алиппе»",
)
COURSES = 40
COURSE_YEARS = (2022, 2025)
COURSE_HOURS = ((18, 30), (36, 45), (72, 25))
COURSES_PER_PERSON = (25, 35, 27, 13)        # weights of 0, 1, 2, 3 courses
EXCEL_DATE_SHARE = 0.10
FUTURE_YEARS = (2030, 2034)


@dataclass(frozen=True)
class Staff:
    frame: pd.DataFrame        # STAFF_COLUMNS + _school, _position, _ghost; valid and ghosts
    teachers: np.ndarray       # per school: rows with position учитель
    others: np.ndarray         # per school: all other staff


def _counts(rng: np.random.Generator, schools: SchoolSet) -> tuple[np.ndarray, ...]:
    n = len(schools)
    pupils = schools.total_pupils
    ratio = np.where(schools.private, 12.0, 16.0)
    teachers = np.maximum(4, np.round((pupils / ratio + 3) * rng.lognormal(0.0, 0.08, n)))
    deputies = 1 + (pupils >= 400) + (pupils >= 1200) \
        + rng.integers(-1, 2, n) * (rng.random(n) < 0.3)
    librarian = rng.random(n) < np.where(pupils > 150, 0.7, 0.2)
    psychologist = rng.random(n) < np.where(schools.town, 0.5, 0.2)
    organiser = rng.random(n) < 0.4
    return (teachers.astype(np.int64), np.clip(deputies, 1, 3).astype(np.int64),
            np.stack([librarian, psychologist, organiser], axis=1))


def _positions(teachers: np.ndarray, deputies: np.ndarray, extras: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """(school index, position) per staff row, school by school: director, deputies,
    teachers, then librarian, psychologist and organiser where the school has them."""
    total = 1 + deputies + teachers + extras.sum(axis=1)
    school = np.repeat(np.arange(len(total)), total)
    within = np.arange(len(school)) - np.repeat(np.cumsum(total) - total, total)
    position = np.full(len(school), TEACHER)
    position[within == 0] = DIRECTOR
    position[(within >= 1) & (within <= deputies[school])] = DEPUTY
    rel = within - 1 - deputies[school] - teachers[school]
    kinds = np.sort(np.where(extras, np.array([[LIBRARIAN, PSYCHOLOGIST, ORGANISER]]), 99),
                    axis=1)
    tail = rel >= 0
    position[tail] = kinds[school[tail], rel[tail]]
    return school, position


def _traditions(schools: SchoolSet) -> np.ndarray:
    """Per school: weights of the Kyrgyz, Russian and Uzbek naming traditions."""
    weights = np.zeros((len(schools), 3))
    north = np.isin(schools.region, ["KG-GB", "KG-C"])
    for i, cell in enumerate(schools.languages.tolist()):
        items = [s.strip() for s in cell.split(",")]
        if items[0] == "узбекский":
            w = (12, 3, 85)
        elif "узбекский" in items or "таджикский" in items:
            w = (55, 2, 43) if items[0] == "кыргызский" else (60, 5, 35)
        elif items == ["русский"]:
            w = (45, 50, 5) if north[i] else (65, 20, 15)
        elif "русский" in items:
            w = (80, 17, 3)
        else:
            w = (96, 1, 3)
        weights[i] = w
    return weights


def _pins(rng: np.random.Generator, female: np.ndarray, birth: np.ndarray) -> np.ndarray:
    """Unique 14-digit personal numbers: sex digit, ``ddmmyyyy``, five digits."""
    born = np.array([int(s) for s in ddmmyyyy(birth)], dtype=np.int64)
    base = np.where(female, 1, 2).astype(np.int64) * 10**13 + born * 10**5
    pin = base + rng.integers(0, 100_000, len(base))
    while True:
        order = np.argsort(pin, kind="stable")
        ordered = pin[order]
        again = order[1:][ordered[1:] == ordered[:-1]]
        if not len(again):
            return pin
        pin[again] = base[again] + rng.integers(0, 100_000, len(again))


def _subjects(rng: np.random.Generator, schools: SchoolSet, school: np.ndarray,
              position: np.ndarray) -> np.ndarray:
    """The subjects cell: 1-2 subjects of teachers, one of some directors and deputies;
    written per school as Russian names, codes or lower-case names, ``, `` or ``,``."""
    n = len(school)
    primary = schools.top_grade[school] <= 4
    first = np.where(primary, choose(rng, n, TEACHES_PRIMARY), choose(rng, n, TEACHES))
    partners = np.array([PARTNERS[s] for s in range(len(SUBJECTS))])
    second = partners[first, rng.integers(0, 2, n)]
    has_second = (position == TEACHER) & ~primary & (rng.random(n) < SECOND_SUBJECT_SHARE)
    second = np.where(has_second, second, -1)
    teaches = (position == TEACHER) | ((position == DIRECTOR) & (rng.random(n) < 0.4)) \
        | ((position == DEPUTY) & (rng.random(n) < 0.6))

    styles = (SUBJECT_NAMES, SUBJECTS, tuple(s.lower() for s in SUBJECT_NAMES))
    table = [f"{style[a]}{sep}{style[b]}" if b >= 0 else style[a]
             for style in styles for sep in (", ", ",")
             for a in range(len(SUBJECTS)) for b in range(-1, len(SUBJECTS))]
    style = choose(rng, len(schools), (60, 30, 10))[school]
    sep = (rng.random(len(schools)) < 0.2)[school].astype(np.int64)
    index = ((style * 2 + sep) * len(SUBJECTS) + first) * (len(SUBJECTS) + 1) + second + 1
    return np.where(teaches, texts(table)[index], "")


def _diploma_numbers(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    n = len(kind)
    out = np.full(n, "", dtype=object)
    digits = rng.integers(0, 10_000_000, n)
    form = rng.random(n)
    for k, series in DIPLOMA_SERIES.items():
        rows = np.flatnonzero(kind == k)
        picked = rng.integers(0, len(series), len(rows))
        out[rows] = [f"{series[s]} {d:07d}" if f < 0.85 else f"{series[s]}{d:07d}" if f < 0.95
                     else f"{series[s]} № {d:07d}"
                     for s, d, f in zip(picked.tolist(), digits[rows].tolist(),
                                        form[rows].tolist(), strict=True)]
    return out


def make_staff(rng: np.random.Generator, schools: SchoolSet) -> Staff:
    teachers, deputies, extras = _counts(rng, schools)
    school, position = _positions(teachers, deputies, extras)
    n = len(school)

    female = rng.random(n) < np.array(FEMALE)[position]
    ages = np.array(AGE, dtype=float)[position]
    age = rng.triangular(ages[:, 0], ages[:, 1], ages[:, 2])
    birth = day_number(AGE_OF_STAFF) - np.round(age * 365.25).astype(np.int64)
    born_year = year_of(birth)
    pin = _pins(rng, female, birth)

    tradition = choose_rows(rng, _traditions(schools)[school])
    assert set(np.unique(tradition).tolist()) <= {KYRGYZ, RUSSIAN, UZBEK}
    names = full_names(rng, tradition, female)

    education = choose_rows(rng, np.array(EDUCATION, dtype=float)[position])
    higher = education <= HIGHER_OTHER
    graduated_at = np.where(higher, 22, np.where(education == COLLEGE_PED, 19, 18)) \
        + np.floor(rng.exponential(1.2, n)).astype(np.int64)
    graduated_at = np.minimum(graduated_at, np.floor(age).astype(np.int64) - 1)
    graduated = born_year + graduated_at
    breaks = np.where(rng.random(n) < 0.3, np.floor(rng.exponential(2.0, n)), 0)
    experience = np.clip(np.floor(age - graduated_at - breaks), 0, None).astype(np.int64)

    kind = np.where(higher, np.where(graduated < 2012, choose(rng, n, (8, 85, 7)),
                                     choose(rng, n, (70, 8, 22))),
                    np.where(education == COLLEGE_PED, COLLEGE, -1))
    mode = choose(rng, n, (73, 25, 2))
    mode = np.where((mode == 2) & (graduated < 2015), 1, mode)
    band = np.digitize(experience, [3, 10, 20])
    category = choose_rows(rng, np.array(CATEGORY, dtype=float)[band])
    category = np.where(position == LIBRARIAN, len(QUALIFICATIONS) - 1, category)
    workload = choose_rows(rng, np.array(WORKLOAD, dtype=float)[position])
    workload_style = (rng.random(len(schools)) < 0.1)[school].astype(np.int64)

    diploma = kind >= 0
    diploma_number = _diploma_numbers(rng, kind)
    diploma_number[diploma & (rng.random(n) < 0.02)] = ""       # not entered
    frame = pd.DataFrame({
        "personal_id": pad(rng, texts([str(p) for p in pin.tolist()]), 0.003),
        "full_name": _messy_names(rng, names),
        "birth_date": dmy(birth),
        "school_code": pad(rng, schools.code[school], 0.01),
        "position": capitalise(rng, texts(POSITIONS)[position], 0.03),
        "subjects": _subjects(rng, schools, school, position),
        "education_level": capitalise(rng, texts(EDUCATION_LEVELS)[education], 0.02),
        "qualification_category": capitalise(rng, texts(QUALIFICATIONS)[category], 0.02),
        "diploma_type": np.where(diploma, texts(DIPLOMA_TYPES)[np.maximum(kind, 0)], ""),
        "study_mode": np.where(diploma, texts(STUDY_MODES)[mode], ""),
        "diploma_number": diploma_number,
        "experience_years": number_texts(experience),
        "workload": texts(WORKLOAD_TEXTS[0] + WORKLOAD_TEXTS[1])[
            workload + len(WORKLOADS) * workload_style],
        "_school": school,
        "_position": position,
        "_ghost": schools.ghost[school],
        "_pin": pin,
    })
    counts = np.bincount(school, minlength=len(schools))
    taught = np.bincount(school[position == TEACHER], minlength=len(schools))
    return Staff(frame=frame, teachers=taught, others=counts - taught)


def _messy_names(rng: np.random.Generator, names: np.ndarray) -> np.ndarray:
    names = names.copy()
    for i in np.flatnonzero(rng.random(len(names)) < 0.02).tolist():
        names[i] = names[i].replace(" ", "  ", 1)
    return pad(rng, names, 0.01)


def staff_faults(rng: np.random.Generator, staff: Staff) -> tuple[pd.DataFrame, list[Extra]]:
    """The valid staff rows and the faulty extra rows of ``staff.csv``."""
    frame = staff.frame
    valid = frame[~frame["_ghost"]].reset_index(drop=True)
    ghosts = np.flatnonzero(frame["_ghost"].to_numpy())
    kinds = plan(rng, STAFF_FILE, len(valid), {"unknown_school": len(ghosts)})
    unknown = iter(rng.choice(ghosts, size=kinds.count("unknown_school"), replace=False).tolist())
    schools = valid["_school"].to_numpy()
    rows, ghost_rows = Rows(valid), Rows(frame)
    extras = []
    for kind in kinds:
        if kind == "unknown_school":
            extras.append(Extra(int(rng.integers(0, len(valid))),
                                ghost_rows.cells(next(unknown), STAFF_COLUMNS), "school_code",
                                kind))
        else:       # duplicate_personal_id: a person already listed, again at another school
            after = int(rng.integers(1, len(valid))) if len(valid) > 1 else 0
            original = int(rng.integers(0, max(after, 1)))
            for _ in range(20):
                if schools[original] != schools[after]:
                    break
                original = int(rng.integers(0, max(after, 1)))
            cells = rows.cells(after, STAFF_COLUMNS)
            cells.update(rows.cells(original, (
                "personal_id", "full_name", "birth_date", "education_level", "diploma_type",
                "study_mode", "diploma_number", "experience_years")))
            extras.append(Extra(after, cells, "personal_id", kind))
    return valid, extras


# --- training --------------------------------------------------------------------------------

def course_catalogue(rng: np.random.Generator) -> pd.DataFrame:
    """About 40 courses of 2022-2025: code (``KAO-2024-017``), title, provider, hours, year."""
    provider = choose(rng, COURSES, [w for _, _, w in PROVIDERS])
    year = rng.integers(COURSE_YEARS[0], COURSE_YEARS[1] + 1, COURSES)
    topic = rng.integers(0, len(TOPICS), COURSES)
    hours = choose(rng, COURSES, [w for _, w in COURSE_HOURS])
    codes, seen = [], set()
    for p, y in zip(provider.tolist(), year.tolist(), strict=True):
        while True:
            code = f"{PROVIDERS[p][0]}-{y}-{int(rng.integers(1, 121)):03d}"
            if code not in seen:
                break
        seen.add(code)
        codes.append(code)
    return pd.DataFrame({
        "course_code": codes,
        "course": [TOPICS[t] for t in topic.tolist()],
        "provider": [PROVIDERS[p][1] for p in provider.tolist()],
        "hours": [str(COURSE_HOURS[h][0]) for h in hours.tolist()],
        "year": year,
    })


def make_training(rng: np.random.Generator, staff: Staff, courses: pd.DataFrame
                  ) -> pd.DataFrame:
    """Completed courses of teachers, directors and deputies (all of ``staff.frame``)."""
    frame = staff.frame
    people = np.flatnonzero(np.isin(frame["_position"].to_numpy(), [TEACHER, DIRECTOR, DEPUTY]))
    k = choose(rng, len(people), COURSES_PER_PERSON)
    m = len(courses)
    first = rng.integers(0, m, len(people))
    second = (first + 1 + rng.integers(0, m - 1, len(people))) % m
    third = rng.integers(0, m, len(people))
    while (clash := (third == first) | (third == second)).any():
        third[clash] = rng.integers(0, m, int(clash.sum()))
    picks = np.stack([first, second, third], axis=1)

    person = np.repeat(people, k)
    slot = np.arange(len(person)) - np.repeat(np.cumsum(k) - k, k)
    course = picks[np.repeat(np.arange(len(people)), k), slot]
    day = days_in_year(rng, courses["year"].to_numpy()[course], (1, 20), (12, 20))
    order = np.lexsort((day, person))
    person, course, day = person[order], course[order], day[order]
    excel = rng.random(len(day)) < EXCEL_DATE_SHARE
    completed = np.where(excel, excel_serial(day), dmy(day))
    table = pd.DataFrame({
        "personal_id": frame["personal_id"].to_numpy()[person],
        "course_code": courses["course_code"].to_numpy()[course],
        "course": courses["course"].to_numpy()[course],
        "provider": courses["provider"].to_numpy()[course],
        "hours": courses["hours"].to_numpy()[course],
        "completed": completed,
        "_person": person,
        "_course": course,
        "_ghost": frame["_ghost"].to_numpy()[person],
    })
    return table


def training_faults(rng: np.random.Generator, training: pd.DataFrame, courses: pd.DataFrame,
                    listed_ghosts: set[str]) -> tuple[pd.DataFrame, list[Extra]]:
    """The valid training rows and the faulty extra rows of ``training.csv``.

    ``listed_ghosts``: personal numbers of ghost staff written into ``staff.csv`` (as
    rows with an unknown school); their courses are not "unknown person" faults.
    """
    valid = training[~training["_ghost"]].reset_index(drop=True)
    ids = training["personal_id"].str.strip()
    unlisted = np.flatnonzero(training["_ghost"].to_numpy() & ~ids.isin(listed_ghosts).to_numpy())
    kinds = plan(rng, TRAINING_FILE, len(valid), {"unknown_personal_id": len(unlisted)})
    unknown = iter(rng.choice(unlisted, size=kinds.count("unknown_personal_id"),
                              replace=False).tolist())
    persons = valid["_person"].to_numpy()          # sorted: rows go person by person
    taken_courses = valid["_course"].to_numpy()
    rows, ghost_rows = Rows(valid), Rows(training)
    extras = []
    for kind in kinds:
        after = int(rng.integers(0, len(valid)))
        if kind == "unknown_personal_id":
            cells = ghost_rows.cells(next(unknown), TRAINING_COLUMNS)
            extras.append(Extra(after, cells, "personal_id", kind))
            continue
        # future_date: the same person, a course they have not taken, a date years ahead
        person = persons[after]
        lo, hi = np.searchsorted(persons, [person, person + 1])
        taken = set(taken_courses[lo:hi].tolist())
        course = int(rng.choice([c for c in range(len(courses)) if c not in taken]))
        day = days_in_year(rng, rng.integers(FUTURE_YEARS[0], FUTURE_YEARS[1] + 1, 1))
        cells = {"personal_id": str(rows.value(after, "personal_id")),
                 **{c: str(courses.at[course, c]) for c in TRAINING_COLUMNS[1:-1]},
                 "completed": str(dmy(day)[0])}
        extras.append(Extra(after, cells, "completed", kind))
    return valid, extras
