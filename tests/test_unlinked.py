"""/account unlinked end to end: signed requests to the bot, real connectors against the sandbox emulators."""

from __future__ import annotations

import json
from typing import Any

import pytest

from blocks import ids
from blocks.messages import REFUSAL
from blocks.unlinked import parse_link_value
from bot.models.unlinked import LinkAction
from sandbox.book import BOOK_BY_DEAL, PEOPLE
from sandbox.harness import Bot, block_texts
from sandbox.slack import EXTERNAL_ID, GUEST_ID, SALES, SINGLE_GUEST_ID

MAYA = PEOPLE[0].slack_id
ACME, GLOBEX, INITECH, UMBRELLA, VANDELAY = "18340012001", "18340012002", "18340012003", "18340012004", "18340012009"


async def unlinked(bot: Bot, **fields: Any) -> dict[str, Any]:
    """/account unlinked: the list in the ack (ready within CARD_WAIT_SECONDS), else through the response_url."""
    status, body, url = await bot.command("unlinked", **fields)
    assert status == 200, body
    [reply] = await bot.delivered(url, timeout=60)
    return reply


def items(reply: dict[str, Any]) -> list[str]:
    """The text of each listed item, in order."""
    return [
        b["text"]["text"]
        for b in reply["blocks"]
        if str(b.get("block_id", "")).startswith("unlinked_") and b["type"] == "section"
    ]


def buttons(reply: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Link / Create button of the list."""
    return [
        e
        for b in reply["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"].startswith(ids.UNLINKED_LINK)
    ]


def button_for(reply: dict[str, Any], action: LinkAction, deal_id: str) -> dict[str, Any]:
    """The button that makes this kind of link to this deal."""
    for button in buttons(reply):
        kind, deal, _, _ = parse_link_value(button["value"])
        if kind is action and deal == deal_id:
            return button
    raise AssertionError(f"no {action} button for {deal_id} in {block_texts(reply)}")


async def click(bot: Bot, button: dict[str, Any], reply: dict[str, Any], user_id: str = MAYA) -> dict[str, Any]:
    """Press a button (Slack showed its confirm dialog and the user confirmed); the bot's answer."""
    url = bot.slack.new_response_url(SALES, user_id)
    status, _ = await bot.click(button, message=reply, response_url=url, user_id=user_id)
    assert status == 200
    [answer] = await bot.delivered(url, timeout=60)
    return answer


async def card(bot: Bot, query: str) -> str:
    """The card's text for a query."""
    _, _, url = await bot.command(query)
    [shown] = await bot.delivered(url)
    return block_texts(shown)


async def test_demo_book_lists_loose_invoices_with_the_customers_deal_and_the_won_deal_without_project(
    bot: Bot,
) -> None:
    """Globex Corp's loose invoices get Globex's deal (its other invoices carry it); Vandelay has no project."""
    reply = await unlinked(bot)
    text = items(reply)
    assert reply.get("response_type") == "ephemeral"
    globex = next(t for t in text if "invoices of Globex Corp carry no deal ID" in t)
    assert f"other invoices of Globex Corp carry deal {GLOBEX}" in globex
    assert any(f"No Asana project carries deal {VANDELAY}" in t for t in text)
    link = button_for(reply, LinkAction.LINK_INVOICES, GLOBEX)
    assert link["confirm"]["confirm"]["text"] == "Link"
    assert "Write deal ID 18340012002" in link["confirm"]["text"]["text"]
    assert button_for(reply, LinkAction.CREATE_PROJECT, VANDELAY)["text"]["text"] == "Create from template"
    assert "Walk-in Training" in block_texts(reply)  # no deal resembles it: listed, without a button
    assert len(reply["blocks"]) <= 50


async def test_a_project_without_its_deal_id_is_suggested_both_ways_and_link_writes_once(bot: Bot) -> None:
    """Initech's project lost its deal ID: the won deal gets it as candidate; Link writes it once, the card shows it."""
    gid = bot.sandbox.asana.project_gid(INITECH)
    bot.sandbox.asana.set_deal_field(gid, None)
    await bot.services.asana.refresh_index()
    assert f"No Asana project carries deal {INITECH}" in await card(bot, INITECH)
    reply = await unlinked(bot)
    text = "\n".join(items(reply))
    project = BOOK_BY_DEAL[INITECH].project
    assert project is not None
    assert f"No Asana project carries deal {INITECH}" in text
    assert f"Asana project “{project.name}” carries no deal ID" in text
    loose = next(t for t in items(reply) if f"Asana project “{project.name}” carries no deal ID" in t)
    assert f"deal {INITECH} (Initech – TPS Automation) — “{project.name}” resembles" in loose
    link = next(
        b for b in buttons(reply) if parse_link_value(b["value"])[:3] == (LinkAction.LINK_PROJECT, INITECH, (gid,))
    )
    writes = bot.sandbox.asana.count(f"/projects/{gid}", "PUT")
    answer = await click(bot, link, reply)
    assert "Linked the Asana project" in block_texts(answer) and INITECH in block_texts(answer)
    assert bot.sandbox.asana.count(f"/projects/{gid}", "PUT") == writes + 1
    assert bot.sandbox.asana.deal_of(bot.sandbox.asana.projects[gid]) == INITECH
    shown = await card(bot, INITECH)
    assert "No Asana project carries" not in shown and "Phase" in shown
    again = await click(bot, link, reply)
    assert "already linked" in block_texts(again)
    assert bot.sandbox.asana.count(f"/projects/{gid}", "PUT") == writes + 1  # the second click wrote nothing
    after = await unlinked(bot)
    assert f"No Asana project carries deal {INITECH}" not in "\n".join(items(after))
    assert f"<@{MAYA}> linked Asana project “{project.name}” to deal {INITECH}" in block_texts(after)


async def test_linking_invoices_updates_the_card_and_a_stale_sync_token_is_retried(bot: Bot) -> None:
    """Globex Corp's loose invoices linked: a save elsewhere (5010) is re-read and retried; the money grows."""
    before = await card(bot, GLOBEX)
    assert "$106,250.00" in before
    reply = await unlinked(bot)
    link = button_for(reply, LinkAction.LINK_INVOICES, GLOBEX)
    _, _, targets, _ = parse_link_value(link["value"])
    qbo = bot.sandbox.quickbooks
    qbo.edited_before_next_updates = 1
    updates = qbo.count("/invoice", "POST")
    answer = await click(bot, link, reply)
    assert f"Linked {len(targets)} QuickBooks invoices" in block_texts(answer)
    assert qbo.count("/invoice", "POST") == updates + len(targets) + 1  # one 5010, retried after a re-read
    assert all(qbo.deal_of(t) == GLOBEX for t in targets)
    assert "$106,250.00" not in await card(bot, GLOBEX)  # the card counts the linked invoices now
    history = block_texts(await unlinked(bot))
    assert f"<@{MAYA}> linked {len(targets)} QuickBooks invoices of Globex Corp to deal {GLOBEX}" in history
    again = await click(bot, link, reply)
    assert "already linked" in block_texts(again)
    assert qbo.count("/invoice", "POST") == updates + len(targets) + 1


async def test_a_customer_without_linked_invoices_gets_the_deal_whose_names_resemble(bot: Bot) -> None:
    """Vandelay Imports' only invoice lost its deal ID: no other invoice says which deal, the names do."""
    qbo = bot.sandbox.quickbooks
    invoice_id = qbo.find_invoice(BOOK_BY_DEAL[VANDELAY].invoices[0].doc)
    qbo.set_deal(invoice_id, None)
    reply = await unlinked(bot)
    loose = next(t for t in items(reply) if "invoice of Vandelay Imports carries no deal ID" in t)
    assert f"deal {VANDELAY} (Vandelay Imports – ERP Connector) — “Vandelay Imports” resembles" in loose
    link = button_for(reply, LinkAction.LINK_INVOICES, VANDELAY)
    assert parse_link_value(link["value"])[2] == (invoice_id,)
    await click(bot, link, reply)
    assert qbo.deal_of(invoice_id) == VANDELAY


async def test_enhanced_field_invoices_are_linked_in_their_own_shape(tmp_path) -> None:
    """In a company whose deal field is an enhanced custom field, Link writes that field (DefinitionId 1000000001)."""
    from sandbox.harness import start_bot, stop_bot
    from sandbox.quickbooks.fields import ENHANCED_DEAL

    bot = await start_bot(tmp_path, qbo_custom_fields="enhanced")
    try:
        reply = await unlinked(bot)
        link = button_for(reply, LinkAction.LINK_INVOICES, GLOBEX)
        _, _, targets, _ = parse_link_value(link["value"])
        await click(bot, link, reply)
        stored = bot.sandbox.quickbooks.invoices[targets[0]]["CustomField"]
        assert {
            "DefinitionId": ENHANCED_DEAL.definition_id,
            "Name": "Deal ID",
            "Type": "StringType",
            "StringValue": GLOBEX,
        } in stored
    finally:
        await stop_bot(bot)


async def test_typo_and_shared_deal_ids_are_found_worst_first(bot: Bot) -> None:
    """A deal ID HubSpot does not know (one digit off Globex's) and one deal ID on two projects lead the list."""
    asana = bot.sandbox.asana
    typo = "18340012092"
    asana.set_deal_field(asana.project_gid(GLOBEX), typo)
    asana.set_deal_field(asana.project_gid(UMBRELLA), ACME)
    reply = await unlinked(bot)
    text = items(reply)
    assert f"Deal ID {typo} is not a HubSpot deal" in text[0]
    assert f"deal {GLOBEX} (Globex – Customer Data Platform) — {typo} is one character away from it" in text[0]
    assert f"Deal {ACME} (Acme Logistics – Fleet Portal Rebuild) is carried by 2 projects" in text[1]
    fix = next(b for b in buttons(reply) if parse_link_value(b["value"])[:2] == (LinkAction.LINK_PROJECT, GLOBEX))
    await click(bot, fix, reply)
    assert asana.deal_of(asana.projects[asana.project_gid(GLOBEX)]) == GLOBEX
    assert f"Deal ID {typo}" not in block_texts(await unlinked(bot))
    assert any(f"No Asana project carries deal {UMBRELLA}" in t for t in text)


async def test_a_typo_on_invoices_is_corrected_to_the_deal_one_digit_away(bot: Bot) -> None:
    """An invoice carrying 18340012092 (not a deal): Link writes Globex's 18340012002 instead; the index follows."""
    qbo = bot.sandbox.quickbooks
    typo = "18340012092"
    invoice_id = qbo.find_invoice(BOOK_BY_DEAL[GLOBEX].invoices[0].doc)
    qbo.set_deal(invoice_id, typo)
    reply = await unlinked(bot)
    first = items(reply)[0]
    assert f"Deal ID {typo} is not a HubSpot deal" in first and "1 QuickBooks invoice" in first
    fix = button_for(reply, LinkAction.LINK_INVOICES, GLOBEX)
    assert parse_link_value(fix["value"])[2] == (invoice_id,)
    await click(bot, fix, reply)
    assert qbo.deal_of(invoice_id) == GLOBEX
    assert f"Deal ID {typo}" not in block_texts(await unlinked(bot))
    assert "$106,250.00" in await card(bot, GLOBEX)


async def test_link_adds_the_deal_field_to_a_project_that_lacks_it(bot: Bot) -> None:
    """A new project without the deal field resembles Vandelay's deal: Link adds the field, then writes the ID."""
    asana = bot.sandbox.asana
    gid = asana.add_project("Vandelay ERP connector", has_deal_field=False, created_days_ago=2)
    reply = await unlinked(bot)
    vandelay = next(t for t in items(reply) if f"No Asana project carries deal {VANDELAY}" in t)
    assert "“Vandelay ERP connector”" in vandelay and "resembles" in vandelay
    link = next(
        b for b in buttons(reply) if parse_link_value(b["value"])[:3] == (LinkAction.LINK_PROJECT, VANDELAY, (gid,))
    )
    assert link["text"]["text"] == "Link “Vandelay ERP connector”"
    await click(bot, link, reply)
    assert asana.count(f"/projects/{gid}/addCustomFieldSetting", "POST") == 1
    assert asana.deal_of(asana.projects[gid]) == VANDELAY
    assert "No Asana project carries" not in await card(bot, VANDELAY)


async def test_create_from_template_makes_the_project_once(bot: Bot) -> None:
    """Vandelay won without a project: Create from template makes it with the deal ID; a second click makes none."""
    reply = await unlinked(bot)
    create = button_for(reply, LinkAction.CREATE_PROJECT, VANDELAY)
    answer = await click(bot, create, reply)
    assert "made from the template" in block_texts(answer)
    assert len(bot.sandbox.asana.projects_carrying(VANDELAY)) == 1
    again = await click(bot, create, reply)
    assert "asked for already" in block_texts(again)
    assert len(bot.sandbox.asana.projects_carrying(VANDELAY)) == 1


async def test_pages_stay_inside_slacks_limits(bot: Bot) -> None:
    """Many loose projects: the list is paged (≤ 50 blocks a page) and Next shows the following page."""
    asana = bot.sandbox.asana
    for n in range(20):
        asana.add_project(f"Internal initiative {n:02d}", owner="sam")
    reply = await unlinked(bot)
    assert len(reply["blocks"]) <= 50 and "Page 1 of" in block_texts(reply)
    nxt = next(e for b in reply["blocks"] if b.get("block_id") == "unlinked_pages" for e in b["elements"])
    url = bot.slack.new_response_url(SALES, MAYA)
    await bot.click(nxt, message=reply, response_url=url)
    [page2] = await bot.delivered(url)
    assert "Page 2 of" in block_texts(page2) and page2["replace_original"] is True


@pytest.mark.parametrize("user", [GUEST_ID, SINGLE_GUEST_ID, EXTERNAL_ID])
async def test_guests_and_outsiders_are_refused(bot: Bot, user: str) -> None:
    """A guest or a Slack Connect user gets the refusal, for the list and for a Link button."""
    reply = await unlinked(bot, user_id=user)
    assert reply["text"] == REFUSAL and "Globex" not in json.dumps(reply)
    member = await unlinked(bot)
    link = button_for(member, LinkAction.LINK_INVOICES, GLOBEX)
    posts = bot.sandbox.quickbooks.count("/invoice", "POST")
    answer = await click(bot, link, member, user_id=user)
    assert answer["text"] == REFUSAL
    assert bot.sandbox.quickbooks.count("/invoice", "POST") == posts


async def test_doctor_says_when_no_invoice_carries_the_deal_field(bot: Bot) -> None:
    """No invoice carries 'Deal ID': doctor says so (and what to check); after a list it shows the counts."""
    qbo = bot.sandbox.quickbooks
    for invoice_id in list(qbo.invoices):
        qbo.set_deal(invoice_id, None)
    await bot.services.accounting.sync_index()
    _, _, url = await bot.command("doctor")
    [report] = await bot.delivered(url)
    assert "no invoice carries the field &#39;Deal ID&#39;" in block_texts(report) or (
        "no invoice carries the field 'Deal ID'" in block_texts(report)
    )
    assert "Not joined yet: not checked" in block_texts(report)
    await unlinked(bot)
    _, _, url = await bot.command("doctor")
    [report] = await bot.delivered(url)
    assert "won deals without a project" in block_texts(report)
