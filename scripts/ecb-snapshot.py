#!/usr/bin/env python3
"""Write the stand-in ECB reference-rate snapshot shipped in relais-domain.

The build machine that made this snapshot had no internet, so the European Central Bank's own
`eurofxref-hist-90d.xml` could not be downloaded. This script writes a file in the ECB's exact
format instead: TARGET working days only (no weekends, no 1 January, Good Friday, Easter
Monday, 1 May, 25 and 26 December), newest day first, the ECB's list of currencies with the
number of decimals the ECB prints for each. The figures are NOT the ECB's: they are a seeded
random walk (a few tenths of a percent a day) that ends on the last day at plausible late-2025
levels. The server is meant to replace them with the ECB's published figures by merging a
freshly fetched file over this one.

Deterministic: the same arguments always write the same bytes (Python's `random` with a fixed
seed, decimal arithmetic for the printed figures).

    scripts/ecb-snapshot.py                    # writes crates/domain/src/rates/eurofxref-hist-90d.xml
    scripts/ecb-snapshot.py --end 2026-11-30 --days 90 --out /tmp/x.xml
"""

import argparse
import datetime as dt
import random
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

# (code, level on the last day, decimals as the ECB prints them, daily volatility).
# BGN is absent: Bulgaria adopted the euro on 1 January 2026 and the ECB no longer publishes a
# lev rate after that (as with HRK in 2023). RUB has been suspended since March 2022.
CURRENCIES = [
    ("USD", "1.1600", 4, 0.004),
    ("JPY", "180.25", 2, 0.005),
    ("CZK", "24.210", 3, 0.002),
    ("DKK", "7.4690", 4, 0.0002),  # ERM II: held close to the central rate 7.46038
    ("GBP", "0.88050", 5, 0.003),
    ("HUF", "385.40", 2, 0.004),
    ("PLN", "4.2415", 4, 0.002),
    ("RON", "5.0870", 4, 0.001),
    ("SEK", "10.9850", 4, 0.003),
    ("CHF", "0.9315", 4, 0.003),
    ("ISK", "147.10", 2, 0.003),
    ("NOK", "11.7240", 4, 0.004),
    ("TRY", "49.3120", 4, 0.003),
    ("AUD", "1.7810", 4, 0.005),
    ("BRL", "6.1950", 4, 0.006),
    ("CAD", "1.6290", 4, 0.003),
    ("CNY", "8.2470", 4, 0.003),
    ("HKD", "9.0310", 4, 0.0003),  # pegged to USD (7.75 to 7.85 HKD a dollar): see PEGS
    ("IDR", "19385.40", 2, 0.004),
    ("ILS", "3.7830", 4, 0.005),
    ("INR", "103.0850", 4, 0.004),
    ("KRW", "1702.35", 2, 0.005),
    ("MXN", "21.3180", 4, 0.005),
    ("MYR", "4.8210", 4, 0.003),
    ("NZD", "2.0470", 4, 0.005),
    ("PHP", "68.470", 3, 0.004),
    ("SGD", "1.5095", 4, 0.002),
    ("THB", "37.620", 3, 0.004),
    ("ZAR", "20.0150", 4, 0.006),
]

# Currencies that follow another one: their walk is the other's times their own small walk.
PEGS = {"HKD": "USD"}

SEED = 20261130

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<!--
  STAND-IN SNAPSHOT, NOT THE ECB'S PUBLISHED FIGURES.
  This file has the exact format of the European Central Bank's eurofxref-hist-90d.xml
  (TARGET working days {first} to {last}, newest first, the ECB's currencies and decimals),
  but its rates are a seeded random walk around plausible late-2025 levels, written by
  scripts/ecb-snapshot.py because the machine that built this release had no internet.
  relais ships it so that conversion works offline; the server is meant to refresh the rates
  from the configured source (default https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml)
  and merge them over these whenever it can.
-->
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
\t<gesmes:subject>Reference rates</gesmes:subject>
\t<gesmes:Sender>
\t\t<gesmes:name>European Central Bank</gesmes:name>
\t</gesmes:Sender>
\t<Cube>
"""

FOOTER = """\t</Cube>
</gesmes:Envelope>
"""


def easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def is_target_day(day: dt.date) -> bool:
    """Whether TARGET (and so the ECB's reference-rate fixing) is open on `day`."""
    if day.weekday() >= 5:
        return False
    if (day.month, day.day) in {(1, 1), (5, 1), (12, 25), (12, 26)}:
        return False
    sunday = easter(day.year)
    return day not in {sunday - dt.timedelta(days=2), sunday + dt.timedelta(days=1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--end", default="2026-11-30", help="last day (YYYY-MM-DD)")
    parser.add_argument("--days", type=int, default=90, help="calendar days covered")
    default_out = (
        Path(__file__).resolve().parent.parent
        / "crates/domain/src/rates/eurofxref-hist-90d.xml"
    )
    parser.add_argument("--out", type=Path, default=default_out)
    args = parser.parse_args()

    end = dt.date.fromisoformat(args.end)
    calendar = [end - dt.timedelta(days=n) for n in range(args.days)]
    days = [day for day in calendar if is_target_day(day)]  # newest first

    rng = random.Random(SEED)
    # Walk backwards from the last day, so that the last day sits at the stated levels.
    levels = {code: Decimal(level) for code, level, _, _ in CURRENCIES}
    rows = []
    for day in days:
        cubes = []
        for code, _, decimals, vol in CURRENCIES:
            quantum = Decimal(1).scaleb(-decimals)
            printed = levels[code].quantize(quantum, rounding=ROUND_HALF_EVEN)
            cubes.append(f'\t\t\t<Cube currency="{code}" rate="{printed}"/>\n')
        steps = {}
        for code, _, _, vol in CURRENCIES:
            steps[code] = Decimal(repr(round((rng.random() * 2 - 1) * vol, 8)))
        for code, _, _, _ in CURRENCIES:
            factor = 1 + steps[code]
            if code in PEGS:
                factor *= 1 + steps[PEGS[code]]
            levels[code] = levels[code] * factor
        rows.append(f'\t\t<Cube time="{day.isoformat()}">\n' + "".join(cubes) + "\t\t</Cube>\n")

    text = HEADER.format(first=days[-1].isoformat(), last=days[0].isoformat())
    text += "".join(rows) + FOOTER
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"{args.out}: {len(days)} TARGET days, {days[-1]} to {days[0]}, {len(CURRENCIES)} currencies")


if __name__ == "__main__":
    main()
