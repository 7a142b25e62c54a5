#!/usr/bin/env python3
"""The results table of one bench/run, and its insertion into doc/benchmarks.md.

    report.py FIGURES.tsv --date D --machine M --commit C --command CMD   > table rows
    report.py --insert ROWS.md doc/benchmarks.md

Each row: date, machine, command, figure, Almanac's value, the peer and its value, and the
ratio Almanac / peer with which way is better (time, memory and requests: lower; pages and
requests per second: higher).
"""
import argparse
import csv
import sys

MARKER = "<!-- bench/run adds each run's rows below this line, newest first -->"
HIGHER_IS_BETTER = {"pages/s", "req/s"}


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def rows(figures, date, machine, commit, command):
    out = []
    with open(figures, newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            unit = row["unit"]
            almanac = f"{row['almanac']} {unit}".strip()
            peer = "—"
            ratio = "—"
            if row["peer"] not in ("", "-") and row["peer_value"] == "":
                peer = row["peer"]  # a peer that could not run, and why
            elif row["peer"] not in ("", "-"):
                peer = f"{row['peer']}: {row['peer_value']} {unit}".strip()
                a, p = number(row["almanac"]), number(row["peer_value"])
                if a is not None and p not in (None, 0.0):
                    value = a / p
                    if unit in ("pages", "MB") and "RSS" not in row["figure"]:
                        verdict = ""  # a size to compare, not a race
                    elif abs(value - 1) < 0.05:
                        verdict = " (even)"
                    elif (value > 1) == (unit in HIGHER_IS_BETTER):
                        verdict = " (Almanac better)"
                    else:
                        verdict = " (peer better)"
                    ratio = f"{value:.2f}{verdict}"
            out.append(
                f"| {date} | {machine} | `{command}` @ {commit} | {row['section']}: {row['figure']}"
                f" | {almanac} | {peer} | {ratio} |"
            )
    return out


def insert(rows_file, document):
    with open(rows_file) as handle:
        new_rows = handle.read().rstrip("\n")
    with open(document) as handle:
        text = handle.read()
    if MARKER not in text:
        sys.exit(f"{document} has no line “{MARKER}”: add it under the results table's header")
    text = text.replace(MARKER, f"{MARKER}\n{new_rows}", 1)
    with open(document, "w") as handle:
        handle.write(text)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("figures", nargs="?")
    parser.add_argument("document", nargs="?")
    parser.add_argument("--insert", metavar="ROWS")
    parser.add_argument("--date")
    parser.add_argument("--machine")
    parser.add_argument("--commit")
    parser.add_argument("--command")
    args = parser.parse_args()
    if args.insert:
        insert(args.insert, args.figures)
    else:
        print("\n".join(rows(args.figures, args.date, args.machine, args.commit, args.command)))


if __name__ == "__main__":
    main()
