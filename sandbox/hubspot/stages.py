"""Deal stages: which stage belongs to which pipeline, and moving deals as a person in HubSpot would.

"Won" and "lost" are read from the stage metadata (isClosed, probability 1.0 / 0.0), never
from a stage id such as `closedwon`: custom pipelines have numeric stage ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from sandbox.book import DEAL_PIPELINES
from sandbox.hubspot.data import iso
from sandbox.hubspot.values import Invalid
from sandbox.hubspot.webhooks import OTHER_APP_ID

if TYPE_CHECKING:
    from sandbox.hubspot.data import Crm, CrmObject

Source = tuple[str, str]


def pipeline_of(stage_id: str) -> str | None:
    """The pipeline a deal stage belongs to (stage ids are unique in a portal)."""
    return next((pid for pid, (_, stages) in DEAL_PIPELINES.items() if stage_id in stages), None)


def closing_stage(pipeline: str, probability: float) -> str:
    """The closed stage of `pipeline` with that probability (1.0: won, 0.0: lost); ValueError if none."""
    stages = DEAL_PIPELINES[pipeline][1]
    for stage_id, (_, closed, prob) in stages.items():
        if closed and prob == probability:
            return stage_id
    raise ValueError(f"pipeline {pipeline} has no closed stage with probability {probability}")


def stage_problem(pipeline: str | None, stage: str | None, *, touched: Mapping[str, object]) -> Invalid | None:
    """A deal's stage must be one of its pipeline's (checked when either is written; wording *unconfirmed*)."""
    if not ({"pipeline", "dealstage"} & touched.keys()) or not pipeline or not stage:
        return None
    stages = DEAL_PIPELINES.get(pipeline, ("", {}))[1]
    if stage in stages:
        return None
    return Invalid(
        "dealstage",
        "INVALID_OPTION",
        f"{stage} was not one of the allowed options for pipeline {pipeline}: [{', '.join(stages)}]",
    )


class DealStages:
    """`set_deal_stage`, `win_deal`, `lose_deal`: a deal moved in the CRM (mixed into HubSpotEmulator)."""

    crm: Crm

    if TYPE_CHECKING:

        def write(
            self, type_: str, obj: CrmObject, values: Mapping[str, str | None], source: Source
        ) -> dict[str, str | None]: ...

    def set_deal_stage(
        self, deal_id: str, stage_id: str, *, by_ui: bool = True, extra: Mapping[str, str | None] | None = None
    ) -> dict[str, str | None]:
        """Move a deal to a stage (and its pipeline), as a person in the CRM UI or another integration would.

        `by_ui` reports changeSource CRM_UI (sourceId `userId:` of the deal's owner), otherwise
        INTEGRATION from another app. Returns the properties that changed.
        """
        deal = self._deal(deal_id)
        pipeline = pipeline_of(stage_id)
        if pipeline is None:
            raise ValueError(f"no deal pipeline has a stage {stage_id!r}")
        values = {"dealstage": stage_id, "pipeline": pipeline, **(extra or {})}
        return self.write("deals", deal, values, self._source(deal, by_ui))

    def win_deal(self, deal_id: str, *, by_ui: bool = True) -> str:
        """Move a deal to its pipeline's won stage (isClosed, probability 1.0), closing it now; the stage id."""
        return self._close(deal_id, 1.0, by_ui)

    def lose_deal(self, deal_id: str, *, by_ui: bool = True) -> str:
        """Move a deal to its pipeline's lost stage (isClosed, probability 0.0), closing it now; the stage id."""
        return self._close(deal_id, 0.0, by_ui)

    def _close(self, deal_id: str, probability: float, by_ui: bool) -> str:
        deal = self._deal(deal_id)
        stage = closing_stage(deal.properties.get("pipeline") or "default", probability)
        self.set_deal_stage(deal_id, stage, by_ui=by_ui, extra={"closedate": iso(self.crm.moment())})
        return stage

    def _deal(self, deal_id: str) -> CrmObject:
        deal = self.crm.get("deals", str(deal_id))
        if deal is None:
            raise KeyError(f"no deal {deal_id}")
        return deal

    def _source(self, deal: CrmObject, by_ui: bool) -> Source:
        if not by_ui:
            return "INTEGRATION", str(OTHER_APP_ID)
        owner = self.crm.owners.get(deal.properties.get("hubspot_owner_id") or "")
        user = owner.user_id if owner else next(iter(self.crm.owners.values())).user_id
        return "CRM_UI", f"userId:{user}"
