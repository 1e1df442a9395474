"""School subjects: their codes, names and the grades that teach them.

Codes and Russian names are the values of the ``subject`` code list (the mapping matches
both); the Kyrgyz and Uzbek names only appear inside textbook titles.
"""

from __future__ import annotations

SUBJECTS = ("math", "kyrgyz-language", "russian-language", "literature", "history",
            "geography", "biology", "physics", "chemistry", "english", "informatics")
SUBJECT_NAMES = ("Математика", "Кыргызский язык", "Русский язык", "Литература", "История",
                 "География", "Биология", "Физика", "Химия", "Английский язык", "Информатика")
(MATH, KYRGYZ_LANGUAGE, RUSSIAN_LANGUAGE, LITERATURE, HISTORY, GEOGRAPHY, BIOLOGY, PHYSICS,
 CHEMISTRY, ENGLISH, INFORMATICS) = range(len(SUBJECTS))

# Grades (first, last) that teach each subject, in SUBJECTS order.
GRADE_SPAN = ((1, 11), (1, 11), (1, 11), (2, 11), (5, 11), (6, 11), (6, 11), (7, 11), (8, 11),
              (2, 11), (5, 11))


def taught(subject: int, grade: int) -> bool:
    first, last = GRADE_SPAN[subject]
    return first <= grade <= last
