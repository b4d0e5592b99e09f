#!/usr/bin/env python3
"""Prints the rows recorded by the benchmarks (JSON lines) as one Markdown table."""
import json
import sys


def fmt(value, unit):
    if value is None:
        return "—"
    if abs(value) >= 1000:
        return f"{value:,.0f} {unit}"
    return f"{value:.2f} {unit}"


rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
print()
print("| figure | value | ceiling (same work, no service) | ratio | aim |")
print("|---|---|---|---|---|")
for r in rows:
    ratio = "—" if r["ratio"] is None else f"{r['ratio'] * 100:.0f} %"
    print(f"| {r['figure']} | {fmt(r['value'], r['unit'])} | {fmt(r['ceiling'], r['unit'])} | {ratio} | {r['aim'] or '—'} |")
