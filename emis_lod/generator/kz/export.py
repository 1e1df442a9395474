"""The Kazakh export as the national educational database (НОБД / ҰБДҚ) gives it: its file
names, its headers in Kazakh or Russian (the language of the form the operator filled in),
its encodings, and its cell values.

=============================  ====================================  =========  ==========
file                           encoding, separator, line ends        headers    from
=============================  ====================================  =========  ==========
regions.csv                    UTF-8 with BOM, ``,``, LF             Kazakh     geography
districts.csv                  UTF-8, ``;``, LF                      Russian    geography
organizations.csv              KZ-1048 (Windows Kazakh), ``;``, CRLF Kazakh     schools
finance.csv                    Windows-1251, ``;``, CRLF             Russian    domains
textbooks.csv                  UTF-8, ``,``, LF                      Kazakh     domains
textbook_provision.csv         Windows-1251, ``;``, CRLF             Russian    domains
staff.csv                      KZ-1048, ``;``, CRLF                  Kazakh     domains
training.csv                   UTF-8, ``,``, LF                      Russian    domains
buildings.csv                  KZ-1048, ``;``, CRLF                  Kazakh     domains
safety_assessments.csv         UTF-8 with BOM, ``;``, LF             Russian    domains
per_capita_norms.xlsx          a workbook, one sheet                 both       per_capita
per_capita_funding.csv         UTF-8 with BOM, ``;``, CRLF           Kazakh     per_capita
=============================  ====================================  =========  ==========

KZ-1048 is Windows' Kazakh code page (Python's ``kz1048``): Windows-1251 with the Kazakh
letters in place of the Serbian and Macedonian ones. Read as Windows-1251 its Kazakh letters
would be garbled without a single undecodable byte, so the mappings declare it
(``source.encoding: kz1048``). Russian-only tables (finance, provision) stay Windows-1251.

The domain tables are the Kyrgyz generator's, made for the Kazakh schools; what is national
in their cells (the Kyrgyz language and history, the publishers, course providers and
inspectors, som, personal numbers) is put into its Kazakh counterpart here.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..cells import amount_texts
from ..model import GRADES, MANIFEST, InvalidRow
from ..people import KYRGYZ, SURNAMES
from .geography import ASEISMIC, KzGeography

REGIONS = "regions.csv"
DISTRICTS = "districts.csv"
SCHOOLS = "organizations.csv"
NORMS = "per_capita_norms.xlsx"
FUNDING = "per_capita_funding.csv"
KYRGYZ_NAMES = {"schools.csv": SCHOOLS}       # Kyrgyz file name -> ours (the rest keep theirs)

UTF8_BOM = {"encoding": "utf-8-sig", "separator": ",", "line_terminator": "\n"}
WEB = {"encoding": "utf-8", "separator": ",", "line_terminator": "\n"}
CP1251 = {"encoding": "cp1251", "separator": ";", "line_terminator": "\r\n", "decimal": ","}
KZ1048 = {"encoding": "kz1048", "separator": ";", "line_terminator": "\r\n", "decimal": ","}
FORMATS: dict[str, dict[str, str]] = {
    REGIONS: dict(UTF8_BOM),
    DISTRICTS: {"encoding": "utf-8", "separator": ";", "line_terminator": "\n"},
    SCHOOLS: dict(KZ1048),
    "finance.csv": dict(CP1251),
    "textbooks.csv": dict(WEB),
    "textbook_provision.csv": dict(CP1251),
    "staff.csv": dict(KZ1048),
    "training.csv": dict(WEB),
    "buildings.csv": dict(KZ1048),
    "safety_assessments.csv": {"encoding": "utf-8-sig", "separator": ";", "line_terminator": "\n"},
    NORMS: {"encoding": "xlsx", "sheet": "Нормативтер"},
    FUNDING: {"encoding": "utf-8-sig", "separator": ";", "line_terminator": "\r\n", "decimal": ","},
}

# Canonical column (the mappings' names) -> header, per file.
HEADERS: dict[str, dict[str, str]] = {
    REGIONS: {"region_code": "Облыс коды (ISO 3166-2)", "name_kk": "Атауы (қазақша)",
              "name_ru": "Атауы (орысша)", "name_en": "Атауы (ағылшынша)"},
    DISTRICTS: {"district_code": "Код района", "region_code": "Код области",
                "name_kk": "Наименование (каз.)", "name_ru": "Наименование (рус.)",
                "name_en": "Наименование (англ.)"},
    SCHOOLS: {"school_code": "Ұйым коды", "name_kk": "Ұйымның атауы (қазақша)",
              "name_ru": "Ұйымның атауы (орысша)", "school_type": "Мектеп түрі",
              "ownership": "Меншік нысаны", "languages": "Оқыту тілі",
              "region_code": "Облыс коды", "district_code": "Аудан коды",
              "settlement": "Елді мекен", "locality": "Аумақ түрі",
              "ungraded": "Шағын жинақты мектеп", "address": "Мекенжайы",
              "latitude": "Ендік", "longitude": "Бойлық", "year_opened": "Ашылған жылы",
              "shifts": "Ауысымдар саны", "school_year": "Оқу жылы",
              **{f"g{g}_{sex}": f"{g} сынып {word}" for g in GRADES
                 for sex, word in (("m", "ұлдар"), ("f", "қыздар"))}},
    "finance.csv": {"school_code": "Код организации", "fiscal_year": "Финансовый год",
                    "line": "Код строки", "period": "Период", "direction": "Доход/расход",
                    "source_code": "Источник финансирования", "category_code": "Специфика",
                    "planned": "План", "actual": "Факт", "currency": "Валюта"},
    "textbooks.csv": {"textbook_id": "Каталогтағы нөмірі", "isbn": "ISBN", "title": "Атауы",
                      "subject": "Пән", "grade": "Сынып", "language": "Оқыту тілі",
                      "authors": "Авторлары", "publisher": "Баспа",
                      "year_published": "Шыққан жылы"},
    "textbook_provision.csv": {"school_code": "Код организации", "school_year": "Учебный год",
                               "half_year": "Полугодие", "grade": "Класс",
                               "textbook_id": "Номер в каталоге",
                               "copies_available": "Имеется экземпляров",
                               "copies_needed": "Потребность", "condition": "Состояние",
                               "report_date": "Дата отчёта"},
    "staff.csv": {"personal_id": "ЖСН", "full_name": "Тегі, аты, әкесінің аты",
                  "birth_date": "Туған күні", "school_code": "Ұйым коды",
                  "position": "Лауазымы", "subjects": "Пәндері", "education_level": "Білімі",
                  "qualification_category": "Біліктілік санаты", "diploma_type": "Диплом түрі",
                  "study_mode": "Оқу нысаны", "diploma_number": "Диплом нөмірі",
                  "experience_years": "Педагогикалық өтілі", "workload": "Жүктеме (ставка)"},
    "training.csv": {"personal_id": "ИИН", "course_code": "Код курса", "course": "Курс",
                     "provider": "Организатор", "hours": "Количество часов",
                     "completed": "Дата окончания"},
    "buildings.csv": {"building_id": "Ғимарат коды", "school_code": "Ұйым коды",
                      "year_built": "Салынған жылы", "material": "Қабырға материалы",
                      "storeys": "Қабат саны", "capacity": "Жобалық қуаты",
                      "seismic_zone": "Сейсмикалық аймақ", "hazards": "Табиғи қауіптер",
                      "electricity": "Электрмен жабдықтау", "drinking_water": "Ауыз су",
                      "indoor_toilets": "Ғимарат ішіндегі дәретхана",
                      "central_heating": "Орталық жылыту", "internet": "Интернет",
                      "computers": "Компьютерлер саны"},
    "safety_assessments.csv": {"building_id": "Код здания",
                               "inspection_date": "Дата обследования",
                               "assessment": "Заключение", "inspector": "Организация"},
    NORMS: {"year": "Қаржы жылы / Финансовый год", "norm_code": "Норматив коды / Код норматива",
            "school_type": "Мектеп түрі / Тип школы",
            "category": "Санаты / Категория",
            "norm": "Бір оқушыға норматив, теңге / Норматив на одного учащегося, тенге",
            "currency": "Валюта"},
    FUNDING: {"school_code": "Ұйым коды", "year": "Қаржы жылы", "norm_code": "Норматив коды",
              "pupils": "Оқушылар контингенті", "due": "Норматив бойынша сомасы",
              "received": "Іс жүзінде түскені", "currency": "Валюта"},
}

# ---------------------------------------------------------------- the schools' cells
SCHOOL_TYPE_CELLS = {"СОШ": "Жалпы орта білім беретін мектеп", "ООШ": "Негізгі орта мектеп",
                     "НОШ": "Бастауыш мектеп", "Гимназия": "Гимназия", "Лицей": "Мектеп-лицей",
                     "Спец. школа": "Арнайы (түзету) мектеп"}
TYPE_NOTATION_CELLS = {"primary": "Бастауыш мектеп", "basic": "Негізгі орта мектеп",
                       "secondary": "Жалпы орта білім беретін мектеп", "gymnasium": "Гимназия",
                       "lyceum": "Мектеп-лицей", "special": "Арнайы (түзету) мектеп"}
CATEGORY_CELLS = {"city": "қала / город", "rural": "ауыл / село",
                  "ungraded": "шағын жинақты мектеп / малокомплектная школа"}
OWNERSHIP_CELLS = {"государственная": "республикалық", "муниципальная": "коммуналдық",
                   "частная": "жеке"}
LOCALITY_CELLS = {"город": "қала", "село": "ауыл"}
LANGUAGE_WORDS = (("казахский", "қазақ"), ("русский", "орыс"), ("узбекский", "өзбек"),
                  ("уйгурский", "ұйғыр"), ("таджикский", "тәжік"), ("английский", "ағылшын"))
YES_NO = {"1": "иә", "0": "жоқ"}


def school_rows(records: list[dict[str, str]]) -> list[list[str]]:
    """The cells of ``organizations.csv``: Kazakh words where the form has a list to pick
    from; a cell the faults or the dirt changed is written as it is."""
    rows = []
    for r in records:
        cells = dict(r)
        cells["name_kk"] = r["name_ky"]
        cells["school_type"] = SCHOOL_TYPE_CELLS.get(r["school_type"], r["school_type"])
        cells["ownership"] = OWNERSHIP_CELLS.get(r["ownership"], r["ownership"])
        cells["locality"] = LOCALITY_CELLS.get(r["locality"], r["locality"])
        languages = r["languages"]
        for ru, kk in LANGUAGE_WORDS:
            languages = languages.replace(ru, kk)
        cells["languages"] = languages
        cells["settlement"] = r["settlement_kk"] if r["settlement"] else ""
        cells["ungraded"] = YES_NO[r["ungraded"]]
        rows.append([cells[c] for c in HEADERS[SCHOOLS]])
    return rows


# ---------------------------------------------------------------- the domain tables' cells
# (column, old, new) replaced inside cells, in this order, per table.
REPLACE: dict[str, tuple[tuple[str, str, str], ...]] = {
    "textbooks.csv": (
        ("subject", "kyrgyz-language", "kazakh-language"),
        ("subject", "Кыргызский язык", "Казахский язык"),
        ("language", "кыргызский", "казахский"), ("language", "Кыргызский", "Казахский"),
        ("title", "Кыргызстан тарыхы", "Қазақстан тарихы"), ("title", "Кыргыз тили", "Қазақ тілі"),
        ("title", "Орус тили", "Орыс тілі"), ("title", "Окуу китеби", "Әдебиеттік оқу"),
        ("title", "Адабият", "Әдебиет"), ("title", "Дүйнө тарыхы", "Дүниежүзі тарихы"),
        ("title", "Англис тили", "Ағылшын тілі"), ("title", "Алиппе", "Әліппе"),
        ("title", "-класс", "-сынып"), ("title", "История Кыргызстана", "История Казахстана"),
        ("title", "Кыргызский язык", "Казахский язык"),
        ("title", "Қирғизистон тарихи", "Қозоғистон тарихи"), ("title", "Қирғиз тили", "Қозоқ тили")),
    "staff.csv": (("subjects", "kyrgyz-language", "kazakh-language"),
                  ("subjects", "кыргызский язык", "казахский язык"),
                  ("subjects", "Кыргызский язык", "Казахский язык")),
    "training.csv": (
        ("course", "кыргызского языка", "казахского языка"),
        ("course", "истории Кыргызстана", "истории Казахстана"), ("course", "ОРТ", "ЕНТ"),
        ("course", "«Алиппе»", "«Әліппе»"),
        ("course_code", "KAO-", "ORL-"), ("course_code", "KGU-", "KNP-"),
        ("course_code", "MON-", "MPR-"), ("course_code", "OIP-", "FOR-"),
        ("course_code", "USA-", "NIS-")),
}
# column -> {whole cell (without the spaces around it): its replacement}, per table.
CELLS: dict[str, dict[str, dict[str, str]]] = {
    "finance.csv": {"currency": {"KGS": "KZT", "сом": "тенге"}},
    "textbooks.csv": {"publisher": {
        "Наука и образование": "Арман-ПВ", "Кыргызстан": "Алматыкітап баспасы",
        "Бийиктик": "Жазушы", "Инсанат": "Келешек-2030", "Билим": "Атамұра", "Аркус": "Мектеп",
        "Турар": "Кітап", "Педагогика": "Алматыкітап"}},
    "training.csv": {"provider": {
        "Кыргызская академия образования": "НЦПК «Өрлеу»", "КГУ им. И. Арабаева": "КазНПУ им. Абая",
        "РИПКиПРО": "ИПК ПР", "МОН КР": "МП РК", "Ошский ОИПКиПРО": "Филиал НЦПК «Өрлеу»",
        "USAID «Окуу Керемет!»": "АОО «НИШ»"}},
    "safety_assessments.csv": {"inspector": {
        "МЧС Кыргызской Республики": "МЧС Республики Казахстан", "МЧС КР": "МЧС РК",
        "Госстрой КР": "КДСиЖКХ МПС РК", "Госстрой": "КДСиЖКХ", "ЦАИИЗ": "КазНИИСА",
        "КГУСТА": "КазГАСА", "Управление образования": "Управление образования"}},
    "buildings.csv": {column: {"да": "иә", "нет": "жоқ", "Да": "Иә", "Нет": "Жоқ"}
                      for column in ("electricity", "drinking_water", "indoor_toilets",
                                     "central_heating", "internet")},
}
# The Kyrgyz recipe's amounts, in som, times this: tenge. Not an exchange rate (about 5.7 KZT
# to the som in 2025): Kazakhstan spends more per pupil, and with this factor the spending per
# pupil of the finance tables (some 400,000 KZT a year) is of the order of the per-capita norms.
KGS_TO_KZT = 13
# Textbook authors: the Kyrgyz recipe's Kyrgyz surnames become Kazakh ones (one for one).
KAZAKH_SURNAMES = (
    "Ахметов", "Жумабаев", "Нурланов", "Искаков", "Касымов", "Сейтказиев", "Омаров", "Абенов",
    "Бекмагамбетов", "Тулегенов", "Сарсенбаев", "Кенжебаев", "Мухамеджанов", "Байжанов",
    "Есенов", "Утепов", "Кожахметов", "Смагулов", "Жакупов", "Шаймерденов", "Абдрахманов",
    "Нургалиев", "Сыздыков", "Бейсенов", "Калиев", "Тажибаев", "Ермеков", "Досмухамедов",
    "Аубакиров", "Мусин", "Жанибеков", "Рахимов", "Сагынтаев", "Адилов", "Кудайбергенов",
    "Ибраев", "Муканов", "Токаев", "Оспанов", "Серикбаев", "Алимжанов", "Даулетов",
    "Курманов", "Байтурсынов", "Есимов", "Каримов", "Жусупов", "Мамыров", "Асылбеков",
    "Умбетов", "Тлеубаев", "Шарипов", "Амиров", "Исмаилов")
_SURNAME = {ky: KAZAKH_SURNAMES[i % len(KAZAKH_SURNAMES)] for i, ky in enumerate(SURNAMES[KYRGYZ])}
_KYRGYZ_SURNAME = re.compile(r"\b(" + "|".join(sorted(_SURNAME, key=len, reverse=True)) + r")(а?)\b")
_AMOUNT = re.compile(r"(\s*)(-?)([0-9][0-9 ]*),([0-9]{2})(\s*)")
_ISBN = re.compile(r"978-?9967-?([0-9]{2})-?([0-9]{3})-?[0-9X]")


def _replace(frame: pd.DataFrame, column: str, old: str, new: str) -> None:
    values = frame[column].astype(object)
    hit = values.map(lambda v: isinstance(v, str) and old in v)
    if hit.any():
        frame.loc[hit, column] = values[hit].map(lambda v: v.replace(old, new))


def _kzt(cell: object) -> object:
    """A som amount cell as the tenge amount (same layout); other cells as they are."""
    if not isinstance(cell, str):
        return cell
    m = _AMOUNT.fullmatch(cell)
    if not m:
        return cell
    lead, sign, whole, cents, trail = m.groups()
    value = (int(whole.replace(" ", "")) * 100 + int(cents)) * KGS_TO_KZT
    text = str(amount_texts(np.array([value]), np.array([" " in whole]))[0])
    return f"{lead}{sign}{text}{trail}"


def _isbn(cell: object) -> object:
    """An ISBN of group 9967 (Kyrgyzstan) as one of group 601 (Kazakhstan), check digit new."""
    if not isinstance(cell, str):
        return cell
    m = _ISBN.fullmatch(cell.strip())
    if not m:
        return cell
    first12 = f"9786017{m[1]}{m[2]}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    check = str((10 - total % 10) % 10)
    hyphens = "-" in cell
    return f"978-601-7{m[1]}-{m[2]}-{check}" if hyphens else first12 + check


def personal_numbers(values: Iterable[object], known: dict[str, str] | None = None
                     ) -> dict[str, str]:
    """Kyrgyz personal numbers (sex digit, ddmmyyyy, 5 digits) -> Kazakh IINs (yymmdd, century
    and sex digit, 4 digits, check digit); one IIN per number, the same across tables
    (``known``: the numbers of the tables before, kept)."""
    out = dict(known or {})
    used = set(out.values())
    for pin in sorted({v.strip() for v in values if isinstance(v, str)} - set(out)):
        if not re.fullmatch(r"[12][0-9]{13}", pin):
            continue
        day, month, year = pin[1:3], pin[3:5], int(pin[5:9])
        male = pin[0] == "2"
        century = (3 if male else 4) if year < 2000 else (5 if male else 6)
        serial = int(pin[9:]) % 10_000
        while True:
            first11 = f"{year % 100:02d}{month}{day}{century}{serial:04d}"
            iin = first11 + _iin_check(first11)
            if iin not in used and _iin_check(first11) != "X":
                break
            serial = (serial + 1) % 10_000
        used.add(iin)
        out[pin] = iin
    return out


def _iin_check(first11: str) -> str:
    """The IIN's control digit (weights 1..11, then 3..11,1,2 when the first sum gives 10)."""
    digits = [int(d) for d in first11]
    check = sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11
    if check == 10:
        check = sum(d * w for d, w in zip(digits, (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2),
                                           strict=True)) % 11
    return "X" if check == 10 else str(check)


def nationalise(name: str, table: pd.DataFrame, kz: KzGeography, school_district: dict[str, str],
                iin: dict[str, str]) -> pd.DataFrame:
    """A Kyrgyz domain table's cells put into their Kazakh counterparts (a copy)."""
    table = table.copy()
    for column, old, new in REPLACE.get(name, ()):
        _replace(table, column, old, new)
    for column, cells in CELLS.get(name, {}).items():
        table[column] = table[column].map(
            lambda v, c=cells: v.replace(v.strip(), c[v.strip()]) if isinstance(v, str)
            and v.strip() in c else v)
    if name == "finance.csv":
        for column in ("planned", "actual"):
            table[column] = table[column].map(_kzt)
    if name == "textbooks.csv":
        table["isbn"] = table["isbn"].map(_isbn)
        table["authors"] = table["authors"].map(
            lambda v: _KYRGYZ_SURNAME.sub(lambda m: _SURNAME[m[1]] + m[2], v) if isinstance(v, str) else v)
    if name in ("staff.csv", "training.csv"):
        table["personal_id"] = table["personal_id"].map(
            lambda v: v.replace(v.strip(), iin[v.strip()]) if isinstance(v, str) and v.strip() in iin
            else v)
    if name == "buildings.csv":
        # aseismic districts: no zone (the shared code list starts at 7)
        aseismic = {d for d, zone in kz.seismic_zone.items() if zone == ASEISMIC}
        district = table["school_code"].map(lambda v: school_district.get(str(v).strip(), ""))
        table.loc[district.isin(aseismic), "seismic_zone"] = ""
    return table


# ---------------------------------------------------------------- writing
def _encode(text: str, fmt: dict[str, str]) -> bytes:
    return text.encode(fmt["encoding"])      # strict: a stray character fails loudly


def write_csv(out: Path, name: str, rows: Iterable[Sequence[str]]) -> Path:
    fmt = FORMATS[name]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=fmt["separator"], lineterminator=fmt["line_terminator"],
                        quoting=csv.QUOTE_MINIMAL)
    writer.writerow(list(HEADERS[name].values()))
    writer.writerows(rows)
    path = out / name
    path.write_bytes(_encode(buffer.getvalue(), fmt))
    return path


def write_frame(out: Path, name: str, table: pd.DataFrame) -> Path:
    columns = list(HEADERS[name])
    values = [table[c].to_numpy(dtype=object) for c in columns]
    return write_csv(out, name, zip(*values, strict=True))


EXPORT_TIME = datetime(2026, 3, 31, 9, 0, 0)


def write_xlsx(out: Path, name: str, table: pd.DataFrame) -> Path:
    """A one-sheet workbook, byte-identical for the same cells: its document properties and
    every zip entry's time are the export's time, not the clock's."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = FORMATS[name]["sheet"]
    sheet.append(list(HEADERS[name].values()))
    numeric = {"year"}
    for row in table[list(HEADERS[name])].itertuples(index=False):
        sheet.append([int(v) if c in numeric and str(v).isdigit() else str(v)
                      for c, v in zip(HEADERS[name], row, strict=True)])
    book.properties.creator = "НОБД"
    book.properties.created = book.properties.modified = EXPORT_TIME
    raw = io.BytesIO()
    book.save(raw)
    fixed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as source, \
            zipfile.ZipFile(fixed, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" +
                              EXPORT_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode(), data)
            entry = zipfile.ZipInfo(info.filename, date_time=EXPORT_TIME.timetuple()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, data)
    path = out / name
    path.write_bytes(fixed.getvalue())
    return path


def write_manifest(out: Path, seed: int, valid_schools: int, rows: dict[str, int],
                   invalid: Sequence[InvalidRow], personal: dict[str, tuple[str, ...]]) -> Path:
    """``generator-manifest.json``, as the Kyrgyz generator writes it (with this export's
    formats and the header of each canonical column)."""
    bad = Counter(r.file for r in invalid)
    kinds: dict[str, Counter[str]] = {name: Counter() for name in rows}
    for r in invalid:
        kinds[r.file][r.kind] += 1
    manifest = {
        "generator": "emis_lod.generator.kz",
        "seed": seed,
        "schools_requested": valid_schools,
        "row_numbering": "spreadsheet: header = row 1, first data row = row 2",
        "tables": {
            name: {**FORMATS[name], "rows": n, "valid_rows": n - bad[name],
                   "invalid_rows": bad[name], "invalid_kinds": dict(sorted(kinds[name].items())),
                   "headers": HEADERS[name]}
            for name, n in rows.items()
        },
        "invalid_kinds": dict(sorted(Counter(r.kind for r in invalid).items())),
        "invalid": [{"file": r.file, "row": r.row, "column": r.column, "kind": r.kind,
                     "value": r.value} for r in invalid],
        "personal": {name: list(columns) for name, columns in personal.items()},
    }
    path = out / MANIFEST
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
