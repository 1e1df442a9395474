"""``finance.csv``: income and expenditure per school, fiscal year 2024 (whole year) and
2025 (first half-year), planned and actual.

Amounts scale with the school: salaries are its staff times a monthly wage of 18,000-
30,000 KGS times 12, from the republican budget (01), plus 17.25% social fund
contributions; utilities, food (grades 1-4), textbooks, repairs and other costs scale with
pupils and buildings and come from the republican (state schools) or the local budget
(municipal schools). Extra-budgetary money (parents 03, sponsors 04, paid services 05,
development partners 06) comes to a part of the schools, more often and more of it in
towns and Bishkek. Private schools live on fees (03) and paid services (05). Income
lines equal the spending planned from each source (a little more for extra-budgetary
money).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .cells import amount_texts, capitalise, pad, texts
from .faults import Extra, Rows, plan
from .model import FINANCE_COLUMNS, FINANCE_FILE
from .schoolset import SchoolSet

SOURCES = ("01", "02", "03", "04", "05", "06")
REPUBLICAN, LOCAL, PARENTS, SPONSORS, PAID, PARTNERS = range(len(SOURCES))
CATEGORIES = ("2111", "2121", "2215", "2216", "2217", "2218", "3112", "2229")
SALARIES, SOCIAL_FUND, UTILITIES, FOOD, TEXTBOOKS, REPAIRS, EQUIPMENT, OTHER = \
    range(len(CATEGORIES))
# Every possible line, in the order of the report form: incomes, then expenditures.
LINES = tuple(f"I{s}" for s in SOURCES) + tuple(f"E{c}-{s}" for c in CATEGORIES for s in SOURCES)
PERIODS = ((2024, "год"), (2025, "I полугодие"))
DIRECTIONS = ("доход", "расход")
CURRENCIES = ("KGS", "сом")
SOCIAL_FUND_RATE = 0.1725
# Share of the year's plan that falls in the first half-year, per category.
FIRST_HALF = (0.5, 0.5, 0.6, 0.55, 0.5, 0.35, 0.4, 0.5)


def line(category: int | None, source: int) -> int:
    """Index into LINES of an income line (category None) or an expenditure line."""
    return source if category is None else len(SOURCES) + category * len(SOURCES) + source


def _plan_2024(rng: np.random.Generator, schools: SchoolSet, teachers: np.ndarray,
               others: np.ndarray, buildings: np.ndarray, heating: np.ndarray) -> np.ndarray:
    """(schools, LINES) planned expenditure of 2024 in som; incomes are added later."""
    n = len(schools)
    out = np.zeros((n, len(LINES)))
    pupils = schools.total_pupils.astype(float)
    town, private = schools.town, schools.private
    public = ~private
    bishkek = schools.region == "KG-GB"

    def draw(share: float | np.ndarray) -> np.ndarray:
        return rng.random(n) < share

    def put(category: int, source: int | np.ndarray, amount: np.ndarray, where: np.ndarray
            ) -> None:
        idx = len(SOURCES) + category * len(SOURCES) + np.broadcast_to(source, (n,))
        out[np.flatnonzero(where), idx[where]] += amount[where]

    monthly = rng.uniform(18_000, 30_000, n) + np.where(town, 2_000, 0)
    salaries = (teachers + 1.1 * others) * monthly * 12
    own = np.where(schools.state, REPUBLICAN, LOCAL)             # utilities, repairs, other
    put(SALARIES, REPUBLICAN, salaries, public)
    put(SOCIAL_FUND, REPUBLICAN, salaries * SOCIAL_FUND_RATE, public)
    put(UTILITIES, own, (pupils * rng.uniform(600, 1_400, n)
                         + buildings * rng.uniform(40_000, 120_000, n))
        * np.where(heating, 1.5, 1.0), public)
    primary = schools.pupils[:, :4].sum(axis=1)
    put(FOOD, REPUBLICAN, primary * rng.uniform(14, 20, n) * 170, public & (primary > 0))
    put(TEXTBOOKS, REPUBLICAN, pupils * rng.uniform(150, 400, n), public & draw(0.7))
    put(REPAIRS, own, buildings * rng.uniform(50_000, 400_000, n), public & draw(0.6))
    put(EQUIPMENT, REPUBLICAN, rng.uniform(50_000, 600_000, n), public & draw(0.3))
    put(OTHER, own, pupils * rng.uniform(100, 300, n), public & draw(0.7))

    # Extra-budgetary money of public schools.
    parents = public & draw(np.where(bishkek, 0.8, np.where(town, 0.6, 0.3)))
    given = pupils * rng.uniform(500, 3_000, n) * np.where(bishkek, 2.0, 1.0)
    split = given >= 100_000
    put(REPAIRS, PARENTS, 0.6 * given, parents & split)
    put(OTHER, PARENTS, np.where(split, 0.4, 1.0) * given, parents)
    put(EQUIPMENT, SPONSORS, rng.uniform(50_000, 800_000, n),
        public & draw(np.where(town, 0.25, 0.12)))
    put(SALARIES, PAID, rng.uniform(100_000, 1_500_000, n),
        public & draw(np.where(schools.lyceum, 0.4, np.where(town, 0.15, 0.03))))
    partners = public & draw(np.where(town, 0.04, 0.08))
    to_equipment = draw(0.5)
    grant = rng.uniform(200_000, 2_000_000, n)
    put(EQUIPMENT, PARTNERS, grant, partners & to_equipment)
    put(REPAIRS, PARTNERS, grant, partners & ~to_equipment)

    # Private schools: fees, and sometimes paid services.
    fees = pupils * rng.uniform(60_000, 150_000, n)
    fee_salaries = 0.55 * fees
    put(SALARIES, PARENTS, fee_salaries, private)
    put(SOCIAL_FUND, PARENTS, fee_salaries * SOCIAL_FUND_RATE, private)
    put(UTILITIES, PARENTS, 0.08 * fees, private)
    put(REPAIRS, PARENTS, 0.05 * fees, private)
    put(EQUIPMENT, PARENTS, 0.05 * fees, private & draw(0.5))
    put(OTHER, PARENTS, 0.07 * fees, private)
    put(SALARIES, PAID, rng.uniform(100_000, 1_000_000, n), private & draw(0.3))
    return out


def _by_source(spending: np.ndarray) -> np.ndarray:
    """(schools, SOURCES) sums of the expenditure lines."""
    return spending[:, len(SOURCES):].reshape(len(spending), len(CATEGORIES), len(SOURCES)
                                               ).sum(axis=1)


def _with_incomes(rng: np.random.Generator, spending: np.ndarray, margin: tuple[float, float]
                  ) -> np.ndarray:
    """Income lines = spending per source (extra-budgetary: times ``margin`` more)."""
    out = spending.copy()
    sums = _by_source(spending)
    extra = rng.uniform(*margin, sums.shape)
    extra[:, :2] = 1.0
    out[:, :len(SOURCES)] = sums * extra
    return out


def _execution(rng: np.random.Generator, planned: np.ndarray, budget: tuple[float, float],
               extra: tuple[float, float]) -> np.ndarray:
    """Actual amounts: salaries paid almost fully, other budget lines executed a little
    under plan, extra-budgetary lines anywhere around the plan; budget incomes follow
    spending."""
    ratio = rng.uniform(*budget, planned.shape)
    spend = planned[:, len(SOURCES):].reshape(len(planned), len(CATEGORIES), len(SOURCES))
    rate = ratio[:, len(SOURCES):].reshape(spend.shape)
    rate[:, :, PARENTS:] = rng.uniform(*extra, rate[:, :, PARENTS:].shape)
    rate[:, [SALARIES, SOCIAL_FUND], :] = rng.uniform(0.97, 1.0, (len(planned), 2, len(SOURCES)))
    actual = planned.copy()
    actual[:, len(SOURCES):] = (spend * rate).reshape(len(planned), -1)
    sums = _by_source(actual)
    actual[:, :2] = sums[:, :2] * rng.uniform(1.0, 1.005, (len(planned), 2))
    actual[:, 2:len(SOURCES)] = planned[:, 2:len(SOURCES)] * rng.uniform(*extra, (len(planned), 4))
    return actual


def make_finance(rng: np.random.Generator, schools: SchoolSet, teachers: np.ndarray,
                 others: np.ndarray, buildings: np.ndarray, heating: np.ndarray) -> pd.DataFrame:
    """Valid and ghost rows of both periods, with hidden ``_school``, ``_period``,
    ``_line`` and ``_ghost`` columns."""
    n = len(schools)
    year = _plan_2024(rng, schools, teachers, others, buildings, heating)
    planned_year = _with_incomes(rng, np.round(year), (1.0, 1.1))
    actual_year = _execution(rng, planned_year, (0.85, 1.0), (0.7, 1.15))

    growth = np.ones(len(LINES))
    growth[len(SOURCES):] = np.repeat(FIRST_HALF, len(SOURCES))
    raise_2025 = np.ones((n, len(CATEGORIES), len(SOURCES))) * rng.uniform(1.0, 1.08, (n, 1, 1))
    raise_2025[:, SALARIES:SOCIAL_FUND + 1, :] = 1.12 * rng.uniform(0.98, 1.03, (n, 1, 1))
    half = year * growth
    half[:, len(SOURCES):] *= raise_2025.reshape(n, -1)
    # Repairs, equipment and gifts come in lumps: a quarter of them not in the half-year
    # (a private school's fees and costs are its running budget, not gifts).
    lumpy = np.zeros((n, len(CATEGORIES), len(SOURCES)), dtype=bool)
    lumpy[:, [REPAIRS, EQUIPMENT], :] = True
    lumpy[:, :, PARENTS:] |= ~schools.private[:, None, None]
    lumpy_lines = np.concatenate([np.zeros((n, len(SOURCES)), dtype=bool),
                                  lumpy.reshape(n, -1)], axis=1)
    half = np.where(lumpy_lines & (rng.random(half.shape) < 0.25), 0.0, half)
    planned_half = _with_incomes(rng, np.round(half), (1.0, 1.1))
    actual_half = _execution(rng, planned_half, (0.85, 1.02), (0.7, 1.15))

    frames = []
    currency = np.where(rng.random(n) < 0.9, CURRENCIES[0], CURRENCIES[1])
    for period, (planned, actual) in enumerate(((planned_year, actual_year),
                                                (planned_half, actual_half))):
        school, line_index = np.nonzero(planned > 0)
        frames.append(pd.DataFrame({"_school": school, "_line": line_index,
                                    "_period": period,
                                    "_planned": np.round(planned[school, line_index] * 100),
                                    "_actual": np.round(actual[school, line_index] * 100)}))
    rows = pd.concat(frames, ignore_index=True).sort_values(
        ["_school", "_period", "_line"], kind="stable", ignore_index=True)
    return _cells(rng, schools, rows, currency)


def _cells(rng: np.random.Generator, schools: SchoolSet, rows: pd.DataFrame,
           currency: np.ndarray) -> pd.DataFrame:
    school = rows["_school"].to_numpy()
    line_index = rows["_line"].to_numpy()
    period = rows["_period"].to_numpy()
    income = line_index < len(SOURCES)
    category = np.where(income, -1, (line_index - len(SOURCES)) // len(SOURCES))
    source = np.where(income, line_index, (line_index - len(SOURCES)) % len(SOURCES))
    grouped = rng.random(len(rows)) < 0.97
    rows = rows.assign(
        school_code=pad(rng, schools.code[school], 0.01),
        fiscal_year=texts([str(y) for y, _ in PERIODS])[period],
        line=texts(LINES)[line_index],
        period=capitalise(rng, texts([p for _, p in PERIODS])[period], 0.02),
        direction=capitalise(rng, texts(DIRECTIONS)[(~income).astype(np.int64)], 0.03),
        source_code=texts(SOURCES)[source],
        category_code=np.where(income, "", texts(CATEGORIES)[np.maximum(category, 0)]),
        planned=amount_texts(rows["_planned"].to_numpy(), grouped),
        actual=amount_texts(rows["_actual"].to_numpy(), grouped),
        currency=currency[school],
        _ghost=schools.ghost[school],
    )
    return rows


def finance_faults(rng: np.random.Generator, finance: pd.DataFrame
                   ) -> tuple[pd.DataFrame, list[Extra]]:
    """The valid finance rows and the faulty extra rows of ``finance.csv``."""
    valid = finance[~finance["_ghost"]].reset_index(drop=True)
    ghosts = np.flatnonzero(finance["_ghost"].to_numpy())
    kinds = plan(rng, FINANCE_FILE, len(valid), {"unknown_school": len(ghosts)})
    unknown = iter(rng.choice(ghosts, size=kinds.count("unknown_school"), replace=False).tolist())
    taken = set(zip(valid["_school"].tolist(), valid["_period"].tolist(), valid["_line"].tolist(),
                    strict=True))
    # missing_actual goes to public schools (those with budget income lines) in 2024
    year_rows = np.flatnonzero((valid["_period"].to_numpy() == 0)
                               & (valid["_line"].to_numpy() <= LOCAL))
    rows, ghost_rows = Rows(valid), Rows(finance)
    extras = []
    for kind in kinds:
        if kind == "unknown_school":
            extras.append(Extra(int(rng.integers(0, len(valid))),
                                ghost_rows.cells(next(unknown), FINANCE_COLUMNS), "school_code",
                                kind))
            continue
        after = int(rng.choice(year_rows)) if kind == "missing_actual" \
            else int(rng.integers(0, len(valid)))
        school, period = int(rows.value(after, "_school")), int(rows.value(after, "_period"))
        sources = (REPUBLICAN, LOCAL) if kind == "missing_actual" else range(len(SOURCES))
        free = [line(c, s) for c in range(len(CATEGORIES)) for s in sources
                if (school, period, line(c, s)) not in taken]
        chosen = int(rng.choice(free))
        taken.add((school, period, chosen))
        category, source = divmod(chosen - len(SOURCES), len(SOURCES))
        amount = int(rng.integers(5_000, 300_000)) * 100
        cells = rows.cells(after, FINANCE_COLUMNS)
        cells.update(line=LINES[chosen], direction=DIRECTIONS[1], source_code=SOURCES[source],
                     category_code=CATEGORIES[category])
        if kind == "negative_amount":
            cells["planned"] = str(amount_texts(np.array([-amount]), np.array([True]))[0])
            cells["actual"] = str(amount_texts(np.array([amount * 9 // 10]), np.array([True]))[0])
            extras.append(Extra(after, cells, "planned", kind))
        else:       # missing_actual: the year is closed, the actual amount was not entered
            cells["planned"] = str(amount_texts(np.array([amount]), np.array([True]))[0])
            cells["actual"] = ""
            extras.append(Extra(after, cells, "actual", kind))
    return valid, extras
