"""Synthetic data on top of the demo book: filler invoices, and large books for scale tests."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Final

from sandbox.book.accounts import DEMO_ACCOUNTS
from sandbox.book.people import PEOPLE
from sandbox.book.records import Account, Engagement, Invoice, Project, Task, Ticket
from sandbox.book.template import STD_SECTIONS, phase_tasks

D = Decimal


# Ordinary QuickBooks customers without a deal: they fill the company's invoice list past
# the first page, as a real book does.
FILLER_CUSTOMERS: Final = ("Walk-in Training", "Conference Booth Co", "Misc. Consulting", "Globex Corp")


def filler_invoices(count: int = 140) -> list[tuple[str, Invoice]]:
    """Invoices with no deal field, spread over the last year: (customer, invoice)."""
    rng = random.Random(7)
    out = []
    for n in range(count):
        days = rng.randint(1, 360)
        total = D(rng.randint(300, 9000)) + D(rng.randint(0, 99)) / 100
        paid = ((days - 10, total),) if days > 40 else ()
        out.append(
            (FILLER_CUSTOMERS[n % len(FILLER_CUSTOMERS)], Invoice(f"F{n:04d}", days, 30, (("Services", total),), paid))
        )
    return out


def generated_book(count: int, seed: int = 42) -> tuple[Account, ...]:
    """A large synthetic book (for `--accounts N` and the benchmark), demo accounts first."""
    rng = random.Random(seed)
    accounts = list(DEMO_ACCOUNTS)
    reps = [h.key for h in PEOPLE[:3]]
    pms = [h.key for h in PEOPLE[3:7]]
    n = 0
    while len(accounts) < count:
        n += 1
        deal_id = str(18350000000 + n)
        pm = rng.choice(pms)
        current = rng.choice(STD_SECTIONS[1:4])
        current_tasks = (
            Task(f"{current}: work item", current, due=rng.randint(-10, 20), assignee="raj"),
            Task(f"{current} sign-off", current, due=rng.randint(-5, 30), assignee=pm, milestone=True),
        )
        total = D(rng.randint(20, 300) * 1000)
        accounts.append(
            Account(
                key=f"gen{n}",
                deal_id=deal_id,
                deal_name=f"Client {n:04d} – Project {rng.choice('ABCDEFG')}",
                company=f"Client {n:04d} Ltd",
                stage="closedwon",
                amount=total,
                close_days_ago=rng.randint(10, 500),
                owner=rng.choice(reps),
                state="generated",
                project=Project(
                    f"C{n:04d} delivery", pm, STD_SECTIONS, phase_tasks(current, current_tasks, 1, pm, "raj")
                ),
                qbo_customer=f"Client {n:04d}",
                invoices=(
                    Invoice(
                        f"G{n:05d}",
                        rng.randint(5, 90),
                        30,
                        (("Deposit", total * D("0.3")),),
                        ((2, total * D("0.3")),) if rng.random() < 0.6 else (),
                    ),
                ),
                tickets=(Ticket("Issue reported", rng.choice(["LOW", "MEDIUM", "HIGH"]), "1", rng.randint(1, 9)),)
                if rng.random() < 0.15
                else (),
                engagements=(Engagement("email", rng.randint(1, 40), "Status update", pm),),
            )
        )
    return tuple(accounts[:count]) if count >= len(DEMO_ACCOUNTS) else tuple(accounts)
