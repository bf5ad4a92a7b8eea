"""The right monthly bill of exercise 7h, and the bills that known mistakes give (the knobs).

Grading-only when graded (lab.toml ``[grading_only] when_graded = ["keys"]``): a self-study check loads it from here,
a graded kernel does not see this folder, and ``import labs.aws.checks`` gives no bill calculator to hand back.
"""
from __future__ import annotations


def monthly_bill_of(architecture: dict, prices: dict, *, hours: float | None = None, first_year_free: bool = True,
                    free_after_year: bool = False, always_free: bool = True, free_per_server: bool = False,
                    free_any_type: bool = False, floor: bool = True, region: str | None = None,
                    per_request: bool = False) -> float:
    """The right bill, or (with a knob turned) the bill a known mistake gives."""
    price = prices["regions"][region or architecture["region"]]
    hours = prices["hours_per_month"] if hours is None else hours
    yearly, always = prices["free_tier"]["first_12_months"], prices["free_tier"]["always_free"]
    first_year = (architecture["first_year"] and first_year_free) or free_after_year

    def paid(used, free):
        return max(0, used - free) if floor else used - free

    total = 0.0
    for server_type, count in architecture["servers"].items():
        used = count * hours
        if first_year and (server_type == yearly["server_type"] or free_any_type):
            used = paid(used, yearly["server_hours"] * (count if free_per_server else 1))
        total += used * price["server_per_hour"][server_type]
    storage = architecture["storage_gb"]
    if first_year:
        storage = paid(storage, yearly["storage_gb"])
    total += storage * price["storage_per_gb_month"]
    requests = architecture["function_requests"]
    if always_free:
        requests = paid(requests, always["function_requests"])
    total += requests / (1 if per_request else 1_000_000) * price["function_per_million_requests"]
    transfer = architecture["transfer_out_gb"]
    if always_free:
        transfer = paid(transfer, always["transfer_out_gb"])
    total += transfer * price["transfer_out_per_gb"]
    return total
