"""The demo company: its account ids in the three systems, its HubSpot pipelines and its people."""

from __future__ import annotations

from typing import Final

from sandbox.book.records import Human

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
