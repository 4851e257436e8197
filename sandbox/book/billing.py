"""Demo accounts whose story is the money or the stage: overdue, paid, no project or invoices yet, open deals."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from sandbox.book.records import Account, Engagement, Invoice, Project, Task, Ticket
from sandbox.book.template import STD_SECTIONS, phase_tasks

D = Decimal

MONEY_ACCOUNTS: Final[tuple[Account, ...]] = (
    Account(
        key="stark",
        deal_id="18340012005",
        deal_name="Stark Manufacturing – MES Integration",
        company="Stark Industries",
        stage="closedwon",
        amount=D("98750.00"),
        close_days_ago=110,
        owner="priya",
        state="invoice overdue",
        project=Project(
            "Stark MES integration",
            "sam",
            STD_SECTIONS,
            phase_tasks(
                "Build",
                (
                    Task("OPC-UA connector", "Build", completed=True, due=-9, assignee="raj"),
                    Task("Line 3 data validation", "Build", due=3, assignee="sam", milestone=True),
                ),
                2,
                "sam",
                "raj",
            ),
        ),
        qbo_customer="Stark Industries (Manufacturing)",
        invoices=(
            Invoice("1004", 100, 30, (("Deposit", D("29625.00")),), ((80, D("29625.00")),)),
            Invoice("1009", 64, 30, (("Design phase", D("24687.50")),)),
        ),
        engagements=(Engagement("email", 12, "Sent reminder for invoice 1009", "priya"),),
    ),
    Account(
        key="wayne",
        deal_id="18340012006",
        deal_name="Wayne Foundation – Grants Platform",
        company="Wayne Foundation",
        stage="closedwon",
        amount=D("124800.00"),
        close_days_ago=80,
        owner="maya",
        state="partly paid",
        project=Project(
            "Grants platform – WF",
            "ava",
            STD_SECTIONS,
            phase_tasks(
                "Build",
                (
                    Task("Applicant portal", "Build", due=11, assignee="raj"),
                    Task("Reviewer workflow demo", "Build", due=15, assignee="ava", milestone=True),
                ),
                2,
                "ava",
                "raj",
            ),
        ),
        qbo_customer="The Wayne Foundation",
        invoices=(
            Invoice(
                "1006",
                75,
                45,
                (("Deposit", D("37440.00")), ("Discovery workshop", D("4960.50"))),
                ((50, D("20000.00")), (18, D("10000.00"))),
            ),
        ),
        engagements=(Engagement("call", 4, "Finance confirmed the rest of the deposit goes out next week", "maya"),),
    ),
    Account(
        key="hooli",
        deal_id="18340012007",
        deal_name="Hooli – Nucleus Migration",
        company="Hooli XYZ",
        stage="closedwon",
        amount=D("56000.00"),
        close_days_ago=120,
        owner="jordan",
        state="paid in full",
        project=Project(
            "Nucleus migration",
            "tom",
            STD_SECTIONS,
            phase_tasks(
                "Hypercare",
                (
                    Task("Hypercare week 1", "Hypercare", completed=True, due=-10, assignee="tom"),
                    Task("Hypercare week 2", "Hypercare", completed=True, due=-3, assignee="tom"),
                    Task("Project close-out", "Hypercare", completed=True, due=-1, assignee="tom", milestone=True),
                ),
                0,
                "tom",
                "raj",
            ),
        ),
        qbo_customer="Hooli",
        invoices=(
            Invoice("1005", 115, 30, (("Deposit", D("16800.00")),), ((100, D("16800.00")),)),
            Invoice("1012", 50, 30, (("Completion", D("39200.00")),), ((8, D("39200.00")),)),
        ),
        engagements=(Engagement("meeting", 2, "Close-out meeting; client asked about a phase 2 quote", "jordan"),),
    ),
    Account(
        key="soylent",
        deal_id="18340012008",
        deal_name="Soylent Foods – Supplier Portal",
        company="Soylent Foods",
        stage="closedwon",
        amount=D("73400.00"),
        close_days_ago=160,
        owner="priya",
        state="project wrapping up",
        project=Project(
            "Supplier portal (Soylent)",
            "lena",
            STD_SECTIONS,
            phase_tasks(
                "Hypercare",
                (
                    Task("Hypercare week 1", "Hypercare", completed=True, due=-5, assignee="lena"),
                    Task("Handover documentation", "Hypercare", due=4, assignee="lena", milestone=True),
                ),
                0,
                "lena",
                "raj",
            ),
        ),
        qbo_customer="Soylent Foods Co",
        invoices=(
            Invoice("1007", 150, 30, (("Deposit", D("22020.00")),), ((130, D("22020.00")),)),
            Invoice("1013", 40, 30, (("Launch", D("36700.00")),), ((10, D("36700.00")),)),
        ),
        engagements=(Engagement("email", 7, "Shared hypercare report, 2 minor issues left", "lena"),),
    ),
    Account(
        key="vandelay",
        deal_id="18340012009",
        deal_name="Vandelay Imports – ERP Connector",
        company="Vandelay Industries",
        stage="closedwon",
        amount=D("42000.00"),
        close_days_ago=5,
        owner="maya",
        state="no project yet",
        qbo_customer="Vandelay Imports",
        invoices=(Invoice("1025", 4, 30, (("Deposit 50%", D("21000.00")),)),),
        engagements=(Engagement("email", 5, "Signed SOW received, kickoff to be scheduled", "maya"),),
    ),
    Account(
        key="piedpiper",
        deal_id="18340012010",
        deal_name="Pied Piper – Compression API Docs Site",
        company="Pied Piper",
        stage="closedwon",
        amount=D("18900.00"),
        close_days_ago=21,
        owner="jordan",
        state="no invoices yet",
        project=Project(
            "PP docs site",
            "sam",
            ("Discovery", "Build", "Launch"),
            (
                Task("Content inventory", "Discovery", completed=True, due=-7, assignee="sam"),
                Task("Kickoff", "Discovery", completed=True, due=-12, assignee="sam", milestone=True),
                Task("Docs theme", "Build", due=8, assignee="raj"),
                Task("Site live", "Launch", due=25, assignee="sam", milestone=True),
            ),
        ),
    ),
    Account(
        key="cyberdyne",
        deal_id="18340012011",
        deal_name="Cyberdyne Systems – Managed Analytics Retainer",
        company="Cyberdyne Systems",
        stage="closedwon",
        amount=D("288000.00"),
        close_days_ago=400,
        owner="priya",
        state="large retainer: many tasks and invoices",
        project=Project(
            "CYB analytics retainer",
            "ava",
            ("Backlog", "Sprint", "Done"),
            tuple(
                [Task(f"Report #{n}", "Done", completed=True, due=-300 + n * 2, assignee="raj") for n in range(1, 121)]
                + [
                    Task(f"Sprint item {n}", "Sprint", completed=n % 3 == 0, due=n, assignee="raj")
                    for n in range(1, 19)
                ]
                + [Task("Quarterly business review", "Sprint", due=12, assignee="ava", milestone=True)]
            ),
        ),
        qbo_customer="Cyberdyne Sys.",
        invoices=tuple(
            Invoice(
                f"R{n:03d}",
                395 - n * 30,
                30,
                (("Monthly retainer", D("12000.00")),),
                ((395 - n * 30 - 20, D("12000.00")),) if n < 12 else (),
            )
            for n in range(0, 13)
        ),
        tickets=(Ticket("Dashboard refresh slow", "LOW", "1", 1),),
        engagements=(Engagement("meeting", 14, "Monthly retainer review", "ava"),),
    ),
    Account(
        key="oscorp",
        deal_id="18340012012",
        deal_name="Oscorp – Lab Scheduling Renewal",
        company="Oscorp",
        stage="renewal-signed",
        pipeline="renewals",
        amount=D("31250.00"),
        close_days_ago=30,
        owner="priya",
        state="renewal, in euros",
        currency="EUR",
        project=Project(
            "Lab scheduling – year 2",
            "lena",
            ("Plan", "Run"),
            (
                Task("Renewal kickoff", "Plan", completed=True, due=-20, assignee="lena", milestone=True),
                Task("Quarterly release", "Run", due=20, assignee="lena", milestone=True),
                Task("Monthly support", "Run", due=3, assignee="raj"),
            ),
        ),
        qbo_customer="OSCORP Industries",
        invoices=(Invoice("1021", 28, 30, (("Annual licence & support", D("31250.00")),), currency="EUR"),),
        engagements=(
            Engagement("note", 3, "Client asked for an invoice in euros — re-issued", "priya", logged_by_bot=True),
        ),
    ),
    Account(
        key="tyrell",
        deal_id="18340012013",
        deal_name="Tyrell Corp – Replicant Registry",
        company="Tyrell Corporation",
        stage="contractsent",
        amount=D("190000.00"),
        close_days_ago=-14,
        owner="maya",
        state="open deal, not yet won",
        engagements=(Engagement("email", 2, "Sent revised contract with new payment terms", "maya"),),
    ),
    Account(
        key="massive",
        deal_id="18340012015",
        deal_name="Massive Dynamic – Lab Automation Rollout",
        company="Massive Dynamic",
        stage="75001004",
        pipeline="75001001",
        amount=D("64500.00"),
        close_days_ago=-10,
        owner="priya",
        state="open deal — win it in the sandbox to see its delivery project appear",
        engagements=(Engagement("call", 1, "Walked their CFO through the commercials; signature expected", "priya"),),
    ),
)
