"""Demo accounts whose story is the delivery: on track, slipped, a new PM, escalated."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from sandbox.book.records import Account, Engagement, Invoice, Project, Story, Task, Ticket
from sandbox.book.template import STD_SECTIONS, phase_tasks

D = Decimal

DELIVERY_ACCOUNTS: Final[tuple[Account, ...]] = (
    Account(
        key="acme",
        deal_id="18340012001",
        deal_name="Acme Logistics – Fleet Portal Rebuild",
        company="Acme Logistics Inc.",
        stage="closedwon",
        amount=D("148000.00"),
        close_days_ago=92,
        owner="maya",
        state="on track",
        project=Project(
            "ACME Fleet Portal (delivery)",
            "sam",
            STD_SECTIONS,
            phase_tasks(
                "Build",
                (
                    Task("Driver app: route screen", "Build", completed=True, due=-6, assignee="raj"),
                    Task("Driver app: proof of delivery", "Build", completed=True, due=-2, assignee="raj"),
                    Task("Dispatcher dashboard", "Build", due=5, assignee="raj"),
                    Task("Beta release to 20 drivers", "Build", due=9, assignee="sam", milestone=True),
                    Task("Load test", "Build", due=12, assignee="raj"),
                ),
                2,
                "sam",
                "raj",
            ),
        ),
        qbo_customer="Acme Logistics, Inc.",
        invoices=(
            Invoice("1001", 85, 30, (("Deposit 30%", D("44400.00")),), ((60, D("44400.00")),)),
            Invoice("1019", 20, 30, (("Milestone: design sign-off", D("29600.00")),)),
        ),
        engagements=(
            Engagement("email", 3, "Sent beta release plan and driver onboarding checklist", "sam"),
            Engagement("meeting", 10, "Fortnightly steering: design approved, beta date agreed", "maya"),
        ),
    ),
    Account(
        key="acme-robotics",
        deal_id="18340012014",
        deal_name="Acme Robotics – Warehouse Pilot",
        company="Acme Robotics GmbH",
        stage="closedwon",
        amount=D("36500.00"),
        close_days_ago=40,
        owner="priya",
        state="on track (second Acme, for the picker)",
        currency="EUR",
        project=Project(
            "Warehouse pilot – AR",
            "lena",
            ("Discovery", "Pilot", "Review"),
            (
                Task("Site survey", "Discovery", completed=True, due=-20, assignee="lena"),
                Task("Pilot kickoff", "Discovery", completed=True, due=-14, assignee="lena", milestone=True),
                Task("Pick-path tuning", "Pilot", due=6, assignee="raj"),
                Task("Pilot readout", "Review", due=30, assignee="lena", milestone=True),
            ),
        ),
        qbo_customer="ACME Robotics",
        invoices=(Invoice("1024", 38, 14, (("Pilot fee", D("18250.00")),), ((27, D("18250.00")),), currency="EUR"),),
        engagements=(Engagement("call", 8, "Pilot week 1 review with ops lead", "lena"),),
    ),
    Account(
        key="globex",
        deal_id="18340012002",
        deal_name="Globex – Customer Data Platform",
        company="Globex Corporation",
        stage="closedwon",
        amount=D("212500.00"),
        close_days_ago=130,
        owner="jordan",
        state="delivery slipped",
        project=Project(
            "Globex CDP implementation",
            "ava",
            STD_SECTIONS,
            phase_tasks(
                "Build",
                (
                    Task("Ingestion pipelines", "Build", completed=True, due=-15, assignee="raj"),
                    Task("Identity resolution", "Build", due=-4, assignee="raj"),
                    Task(
                        "UAT environment handover",
                        "Build",
                        due=-3,
                        assignee="ava",
                        milestone=True,
                        stories=(
                            Story("due_date_changed", 21, "ava", old_due=-10, new_due=-7),
                            Story("due_date_changed", 9, "ava", old_due=-7, new_due=-3),
                            Story("comment_added", 9, "ava", text="Client data export delayed by their IT"),
                        ),
                    ),
                    Task(
                        "Segment builder",
                        "Build",
                        due=10,
                        assignee="raj",
                        stories=(Story("due_date_changed", 9, "raj", old_due=2, new_due=10),),
                    ),
                ),
                2,
                "ava",
                "raj",
            ),
        ),
        qbo_customer="Globex Corp",
        invoices=(
            Invoice("1003", 120, 30, (("Deposit", D("63750.00")),), ((95, D("63750.00")),)),
            Invoice("1015", 45, 30, (("Phase 2: design", D("42500.00")),), ((12, D("20000.00")),)),
        ),
        tickets=(Ticket("Data export from legacy CRM is incomplete", "MEDIUM", "5", 25),),
        engagements=(Engagement("email", 6, "Explained UAT slip: waiting on their CRM export", "ava"),),
    ),
    Account(
        key="initech",
        deal_id="18340012003",
        deal_name="Initech – TPS Automation",
        company="Initech",
        stage="closedwon",
        amount=D("87300.00"),
        close_days_ago=70,
        owner="maya",
        state="milestones reassigned to the new PM",
        project=Project(
            "TPS automation – Initech",
            "lena",
            STD_SECTIONS,
            phase_tasks(
                "Design",
                (
                    Task("Workflow mapping", "Design", completed=True, due=-8, assignee="lena"),
                    Task(
                        "Prototype review",
                        "Design",
                        due=4,
                        assignee="lena",
                        milestone=True,
                        stories=(Story("assigned", 6, "tom", assignee="lena"),),
                    ),
                    Task(
                        "Integration spec",
                        "Design",
                        due=8,
                        assignee="lena",
                        stories=(Story("assigned", 6, "tom", assignee="lena"),),
                    ),
                ),
                3,
                "lena",
                "raj",
            ),
        ),
        qbo_customer="Initech LLC",
        invoices=(Invoice("1008", 65, 30, (("Deposit", D("26190.00")),), ((40, D("26190.00")),)),),
        engagements=(Engagement("meeting", 5, "Introduced Lena Fischer as new PM; agreed weekly check-in", "lena"),),
    ),
    Account(
        key="umbrella",
        deal_id="18340012004",
        deal_name="Umbrella Health – Patient Portal",
        company="Umbrella Health Group",
        stage="closedwon",
        amount=D("164000.00"),
        close_days_ago=150,
        owner="jordan",
        state="escalated",
        project=Project(
            "Patient portal v2 (UHG)",
            "tom",
            STD_SECTIONS,
            phase_tasks(
                "Launch",
                (
                    Task("Accessibility audit fixes", "Launch", due=2, assignee="raj"),
                    Task("Go-live", "Launch", due=7, assignee="tom", milestone=True),
                ),
                1,
                "tom",
                "raj",
            ),
        ),
        qbo_customer="UHG – Umbrella Health",
        invoices=(
            Invoice("1002", 140, 30, (("Deposit", D("49200.00")),), ((118, D("49200.00")),)),
            Invoice("1011", 60, 30, (("Build milestone", D("65600.00")),), ((25, D("65600.00")),)),
        ),
        tickets=(
            Ticket("Login fails for patients on iOS 17", "HIGH", "2", 2.2),
            Ticket("Appointment reminders sent twice", "MEDIUM", "3", 9),
            Ticket("Logo wrong on staging", "LOW", "4", 20),
        ),
        engagements=(
            Engagement("call", 1.5, "Client CTO upset about iOS login bug; promised fix ETA by Friday", "tom"),
            Engagement("note", 0.5, "Internal: check with Raj on iOS fix", "tom"),
        ),
    ),
)
