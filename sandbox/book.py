"""The demo book: accounts seen from HubSpot, Asana and QuickBooks, joined on the deal ID.

Dates are offsets from the sandbox's `today`, so the demo always looks current. Names
differ across systems on purpose: the join is the deal ID, never the name.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final


@dataclass(frozen=True)
class Human:
    """A person of the selling company: HubSpot owner, Asana user and Slack member."""

    key: str
    first: str
    last: str
    email: str
    slack_id: str
    asana_gid: str
    hubspot_owner_id: str
    tz: str = "America/New_York"

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass(frozen=True)
class Story:
    """An Asana task story: `due_date_changed` (old/new are day offsets) or `assigned`."""

    kind: str
    days_ago: int
    by: str  # Human key
    old_due: int | None = None
    new_due: int | None = None
    assignee: str | None = None  # Human key, for `assigned`
    text: str | None = None  # for `comment_added`


@dataclass(frozen=True)
class Task:
    name: str
    section: str
    completed: bool = False
    due: int | None = None  # days from today (negative: past)
    assignee: str | None = None
    milestone: bool = False
    stories: tuple[Story, ...] = ()


@dataclass(frozen=True)
class Project:
    name: str
    owner: str  # Human key: the PM
    sections: tuple[str, ...]
    tasks: tuple[Task, ...]
    archived: bool = False
    deal_field: str | None = None  # override (e.g. whitespace around the ID), else the deal ID


@dataclass(frozen=True)
class Ticket:
    subject: str
    priority: str  # LOW / MEDIUM / HIGH / URGENT
    stage: str  # ticket stage id in TICKET_STAGES
    days_ago: float


@dataclass(frozen=True)
class Engagement:
    kind: str  # email / call / meeting / note
    days_ago: float
    summary: str
    by: str  # Human key
    logged_by_bot: bool = False


@dataclass(frozen=True)
class Invoice:
    doc: str
    days_ago: int  # TxnDate
    terms_days: int  # DueDate = TxnDate + terms
    lines: tuple[tuple[str, Decimal], ...]
    payments: tuple[tuple[int, Decimal], ...] = ()  # (days_ago, amount)
    currency: str = "USD"

    @property
    def total(self) -> Decimal:
        return sum((amount for _, amount in self.lines), Decimal("0"))


@dataclass(frozen=True)
class Account:
    """One sold project as the three systems see it."""

    key: str
    deal_id: str
    deal_name: str
    company: str  # HubSpot company name
    stage: str  # deal stage id in DEAL_STAGES
    amount: Decimal
    close_days_ago: int
    owner: str  # Human key: the rep
    state: str  # what a rep should see: on track, slipped, ...
    pipeline: str = "default"
    currency: str = "USD"
    project: Project | None = None
    qbo_customer: str | None = None  # QuickBooks customer DisplayName
    invoices: tuple[Invoice, ...] = ()
    tickets: tuple[Ticket, ...] = ()
    engagements: tuple[Engagement, ...] = ()


PORTAL_ID: Final = "4471203"
QBO_REALM_ID: Final = "9130357766123458"
ASANA_WORKSPACE_GID: Final = "1201994857362001"

# HubSpot deal pipelines: stage id -> (label, isClosed, probability)
DEAL_PIPELINES: Final = {
    "default": (
        "Sales Pipeline",
        {
            "appointmentscheduled": ("Discovery", False, 0.2),
            "qualifiedtobuy": ("Qualified", False, 0.4),
            "presentationscheduled": ("Proposal", False, 0.6),
            "contractsent": ("Contract sent", False, 0.9),
            "closedwon": ("Closed won", True, 1.0),
            "closedlost": ("Closed lost", True, 0.0),
        },
    ),
    "renewals": (
        "Renewals",
        {
            "renewal-open": ("Renewal due", False, 0.5),
            "renewal-signed": ("Renewed", True, 1.0),
            "renewal-lost": ("Not renewed", True, 0.0),
        },
    ),
    # A pipeline made in the UI: numeric ids, as HubSpot gives them; "won" only by metadata.
    "75001001": (
        "Implementation",
        {
            "75001002": ("Scoping", False, 0.2),
            "75001003": ("Solution design", False, 0.5),
            "75001004": ("Commercials agreed", False, 0.9),
            "75001005": ("Signed", True, 1.0),
            "75001006": ("Walked away", True, 0.0),
        },
    ),
}
# HubSpot ticket pipeline: stage id -> (label, ticketState). "Closed – awaiting client"
# is OPEN in metadata on purpose: the label lies, the metadata decides.
TICKET_STAGES: Final = {
    "1": ("New", "OPEN"),
    "2": ("Waiting on us", "OPEN"),
    "3": ("Closed – awaiting client sign-off", "OPEN"),
    "4": ("Closed", "CLOSED"),
    "5": ("Resolved", "CLOSED"),
}

PEOPLE: Final = (
    Human("maya", "Maya", "Chen", "maya.chen@brightline.example", "U01MAYA0001", "1201994857360011", "51110001"),
    Human(
        "jordan",
        "Jordan",
        "Ellis",
        "jordan.ellis@brightline.example",
        "U01JORD0002",
        "1201994857360012",
        "51110002",
        "America/Chicago",
    ),
    Human(
        "priya",
        "Priya",
        "Raman",
        "priya.raman@brightline.example",
        "U01PRIY0003",
        "1201994857360013",
        "51110003",
        "Europe/London",
    ),
    Human("sam", "Sam", "Okafor", "sam.okafor@brightline.example", "U01SAMO0004", "1201994857360014", "51110004"),
    Human(
        "lena",
        "Lena",
        "Fischer",
        "lena.fischer@brightline.example",
        "U01LENA0005",
        "1201994857360015",
        "51110005",
        "Europe/Berlin",
    ),
    Human("tom", "Tom", "Becker", "tom.becker@brightline.example", "U01TOMB0006", "1201994857360016", "51110006"),
    Human(
        "ava",
        "Ava",
        "Moreno",
        "ava.moreno@brightline.example",
        "U01AVAM0007",
        "1201994857360017",
        "51110007",
        "America/Los_Angeles",
    ),
    Human("raj", "Raj", "Patel", "raj.patel@brightline.example", "U01RAJP0008", "1201994857360018", "51110008"),
)
PEOPLE_BY_KEY: Final = {h.key: h for h in PEOPLE}

STD_SECTIONS: Final = ("Discovery", "Design", "Build", "Launch", "Hypercare")
D = Decimal


def _phase_tasks(done_through: str, current: tuple[Task, ...], later: int, pm: str, dev: str) -> tuple[Task, ...]:
    """Completed tasks for sections before `done_through`, the given current ones, then later ones."""
    tasks: list[Task] = []
    idx = STD_SECTIONS.index(done_through)
    for section in STD_SECTIONS[:idx]:
        for n in range(1, 4):
            tasks.append(Task(f"{section}: step {n}", section, completed=True, due=-60 + n, assignee=dev))
        tasks.append(Task(f"{section} sign-off", section, completed=True, due=-50, assignee=pm, milestone=True))
    tasks.extend(current)
    for section in STD_SECTIONS[idx + 1 : idx + 1 + later]:
        tasks.append(Task(f"{section}: plan", section, due=40, assignee=dev))
        tasks.append(Task(f"{section} sign-off", section, due=60, assignee=pm, milestone=True))
    return tuple(tasks)


DEMO_ACCOUNTS: Final[tuple[Account, ...]] = (
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
            _phase_tasks(
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
            _phase_tasks(
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
        state="PM changed",
        project=Project(
            "TPS automation – Initech",
            "lena",
            STD_SECTIONS,
            _phase_tasks(
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
            _phase_tasks(
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
            _phase_tasks(
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
            _phase_tasks(
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
            _phase_tasks(
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
            _phase_tasks(
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

BOOK_BY_DEAL: Final = {a.deal_id: a for a in DEMO_ACCOUNTS}


from sandbox.generated import FILLER_CUSTOMERS, filler_invoices, generated_book  # noqa: E402,F401  (re-exported)
