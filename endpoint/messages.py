"""The words of the HTML pages that do not come from the data, in Kyrgyz, Russian and English.

Column headers and values are named by the ontology and the code lists (their labels are in
the store in every language); only the headings and the few words around them live here.
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "money": {"ky": "Каржы", "ru": "Финансы", "en": "Money"},
    "textbooks": {"ky": "Окуу китептери", "ru": "Учебники", "en": "Textbooks"},
    "staff": {"ky": "Кадрлар", "ru": "Кадры", "en": "Staff"},
    "buildings": {"ky": "Имараттар жана коопсуздук", "ru": "Здания и безопасность",
                  "en": "Buildings and safety"},
    "no_data": {"ky": "Бул релизде маалымат жок.", "ru": "В этом выпуске данных нет.",
                "en": "No data in this release."},
    "latest_year": {"ky": "Акыркы бюджеттик жыл", "ru": "Последний финансовый год",
                    "en": "Latest fiscal year"},
    "latest_half": {"ky": "Акыркы отчет", "ru": "Последний отчёт", "en": "Latest report"},
    "finance_lines": {"ky": "Каржы отчетунун саптары", "ru": "Строки финансового отчёта",
                      "en": "Lines of the finance report"},
    "earlier": {"ky": "Мурунку мезгилдер", "ru": "Предыдущие периоды", "en": "Earlier periods"},
    "share_of_teachers": {"ky": "мугалимдердин үлүшү", "ru": "доля учителей",
                          "en": "share of teachers"},
    "services": {"ky": "Негизги кызматтар", "ru": "Базовые услуги", "en": "Basic services"},
    "staff_note": {"ky": "Жыйынды көрсөткүчтөр гана; кызматкерлер өзүнчө көрсөтүлбөйт.",
                   "ru": "Только сводные показатели; сотрудники по отдельности не показываются.",
                   "en": "Aggregates only; staff members are not listed one by one."},
    "yes": {"ky": "бар", "ru": "есть", "en": "yes"},
    "no": {"ky": "жок", "ru": "нет", "en": "no"},
    "none": {"ky": "жок", "ru": "нет", "en": "none"},
    "map": {"ky": "Картада", "ru": "На карте", "en": "On the map"},
    "coordinates": {"ky": "Координаттар", "ru": "Координаты", "en": "Coordinates"},
    "schools_on_map": {"ky": "Координаттары бар мектептер", "ru": "Школы с координатами",
                       "en": "Schools with coordinates"},
}


def message(key: str, lang: str) -> str:
    """The text of ``key`` in ``lang`` (English when that language has none)."""
    texts = MESSAGES[key]
    return texts.get(lang) or texts["en"]
