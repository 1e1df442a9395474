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
    # indicators (endpoint/indicator_tables.py)
    "indicators": {"ky": "Көрсөткүчтөр", "ru": "Показатели", "en": "Indicators"},
    "indicators_caption": {
        "ky": "Маани = аймактын мектептериндеги алымдардын суммасы ÷ бөлүмдөрдүн суммасы; "
              "кийинки мамычалар район жана облус менен салыштырат.",
        "ru": "Значение = сумма числителей ÷ сумма знаменателей по школам территории; "
              "следующие столбцы сравнивают с районом и областью.",
        "en": "Value = sum of numerators ÷ sum of denominators over the area's schools; "
              "the next columns compare it with the district and the region."},
    "indicator": {"ky": "Көрсөткүч", "ru": "Показатель", "en": "Indicator"},
    "period": {"ky": "Мезгил", "ru": "Период", "en": "Period"},
    "this_school": {"ky": "Бул мектеп", "ru": "Эта школа", "en": "This school"},
    "this_district": {"ky": "Бул район", "ru": "Этот район", "en": "This district"},
    "this_region": {"ky": "Бул облус", "ru": "Эта область", "en": "This region"},
    "district": {"ky": "Район", "ru": "Район", "en": "District"},
    "region": {"ky": "Облус", "ru": "Область", "en": "Region"},
    "indicator_by_region": {"ky": "Облустар боюнча", "ru": "По областям", "en": "By region"},
    "indicator_chart_caption": {
        "ky": "Акыркы мезгилдин маанилери; тилкенин узундугу эң чоң мааниге салыштырмалуу "
              "(үлүштөр үчүн 100 %).",
        "ru": "Значения за последний период; длина полосы относительно наибольшего значения "
              "(для долей 100 %).",
        "en": "Values of the latest period; a bar's length is relative to the largest value "
              "(100 % for shares)."},
    "districts": {"ky": "Райондор", "ru": "Районы", "en": "Districts"},
    "area": {"ky": "Аймак", "ru": "Территория", "en": "Area"},
    "indicator_value": {"ky": "Мааниси", "ru": "Значение", "en": "Value"},
    "schools_counted": {"ky": "Мектептер", "ru": "Школ учтено", "en": "Schools counted"},
    # the release summary (/release/)
    "release_summary": {"ky": "Релиздин жыйынтыгы", "ru": "Сводка выпуска данных",
                        "en": "Release summary"},
    "built_at": {"ky": "Курулган убакыт", "ru": "Время сборки", "en": "Built"},
    "software_version": {"ky": "Программанын версиясы", "ru": "Версия программы",
                         "en": "Software version"},
    "release_data": {"ky": "Бул релиз байланышкан маалымат катары (PROV, DCAT)",
                     "ru": "Этот выпуск как связанные данные (PROV, DCAT)",
                     "en": "This release as linked data (PROV, DCAT)"},
    "tables": {"ky": "Таблицалар", "ru": "Таблицы", "en": "Tables"},
    "table": {"ky": "таблица", "ru": "таблица", "en": "table"},
    "file": {"ky": "файл", "ru": "файл", "en": "file"},
    "encoding": {"ky": "коддолушу", "ru": "кодировка", "en": "encoding"},
    "rows_read": {"ky": "окулду", "ru": "прочитано", "en": "read"},
    "rows_loaded": {"ky": "жүктөлдү", "ru": "загружено", "en": "loaded"},
    "rows_rejected": {"ky": "четке кагылды", "ru": "отклонено", "en": "rejected"},
    "accounting": {"ky": "эсеп туура", "ru": "учёт сходится", "en": "accounting closes"},
    "triples": {"ky": "триплеттер", "ru": "триплеты", "en": "triples"},
    "reporting_period": {"ky": "отчеттук мезгил", "ru": "отчётный период",
                         "en": "reporting period"},
    "graph": {"ky": "граф", "ru": "граф", "en": "graph"},
    "total": {"ky": "Бардыгы", "ru": "Итого", "en": "Total"},
    "rejected_rows": {"ky": "Четке кагылган саптар", "ru": "Отклонённые строки",
                      "en": "Rejected rows"},
    "no_rejections": {"ky": "Бардык саптар жүктөлдү.", "ru": "Все строки загружены.",
                      "en": "Every row was loaded."},
    "row": {"ky": "сап", "ru": "строка", "en": "row"},
    "column": {"ky": "мамыча", "ru": "столбец", "en": "column"},
    "value": {"ky": "маани", "ru": "значение", "en": "value"},
    "reason": {"ky": "себеби", "ru": "причина", "en": "reason"},
    "all_tables": {"ky": "бардык таблицалар", "ru": "все таблицы", "en": "all tables"},
    "page": {"ky": "барак", "ru": "страница", "en": "page"},
    "previous": {"ky": "мурунку", "ru": "предыдущая", "en": "previous"},
    "next": {"ky": "кийинки", "ru": "следующая", "en": "next"},
    "downloads": {"ky": "Жүктөп алуу", "ru": "Скачать", "en": "Downloads"},
    "rejections_csv": {"ky": "Четке кагылган саптардын отчету (CSV)",
                       "ru": "Отчёт об отклонённых строках (CSV)",
                       "en": "Rejection report (CSV)"},
    "validation_report": {"ky": "SHACL текшерүү отчету (Turtle)",
                          "ru": "Отчёт проверки SHACL (Turtle)",
                          "en": "SHACL validation report (Turtle)"},
    "manifest": {"ky": "Релиздин манифести (JSON)", "ru": "Манифест выпуска (JSON)",
                 "en": "Release manifest (JSON)"},
    # what changed since the release before (loaders/changes.py, endpoint/ldes.py)
    "what_changed": {"ky": "Эмне өзгөрдү", "ru": "Что изменилось", "en": "What changed"},
    "compared_with": {"ky": "Мурунку релиз менен салыштырылды:", "ru": "По сравнению с выпуском",
                      "en": "Compared with release"},
    "not_compared": {"ky": "Бул биринчи релиз: салыштыра турган мурунку релиз жок.",
                     "ru": "Это первый выпуск: сравнивать не с чем.",
                     "en": "This is the first release: there is none before it to compare with."},
    "resource_type": {"ky": "Ресурстун түрү", "ru": "Тип ресурса", "en": "Resource type"},
    "added": {"ky": "кошулду", "ru": "добавлено", "en": "added"},
    "removed": {"ky": "өчүрүлдү", "ru": "удалено", "en": "removed"},
    "changed": {"ky": "өзгөрдү", "ru": "изменено", "en": "changed"},
    "event_stream": {"ky": "Өзгөрүүлөр агымы (LDES)", "ru": "Поток изменений (LDES)",
                     "en": "Event stream of changes (LDES)"},
    "changeset_added": {"ky": "Кошулган квадтар (N-Quads, gzip)",
                        "ru": "Добавленные квады (N-Quads, gzip)",
                        "en": "Quads added (N-Quads, gzip)"},
    "changeset_removed": {"ky": "Өчүрүлгөн квадтар (N-Quads, gzip)",
                          "ru": "Удалённые квады (N-Quads, gzip)",
                          "en": "Quads removed (N-Quads, gzip)"},
}


def message(key: str, lang: str) -> str:
    """The text of ``key`` in ``lang`` (English when that language has none)."""
    texts = MESSAGES[key]
    return texts.get(lang) or texts["en"]
