"""Link repair in Asana: every project of the workspace with the deal ID it carries, if any.

A mixin of `AsanaConnector` (connector.py), which provides `_list`, the store and the settings.
One paged listing (100 a page) serves both link repair and the project index, which it refreshes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from connectors.asana.derive import deal_value, parse_time
from connectors.ports import IndexedProject
from connectors.types import ProjectRef

if TYPE_CHECKING:
    from collections.abc import Callable

    from connectors.ports import AsanaStore

REVIEW_FIELDS: Final = (
    "name,archived,modified_at,custom_fields.name,custom_fields.text_value,custom_fields.display_value"
)
PROJECT_URL: Final = "https://app.asana.com/0/{gid}/list"


class AsanaProjectReview:
    """`project_refs()` (mixed into AsanaConnector)."""

    if TYPE_CHECKING:  # provided by AsanaConnector
        workspace_gid: str
        store: AsanaStore
        deal_field: str
        _projects: Any

        async def _list(self, method: Callable[..., Any], *args: Any, fields: str) -> list[dict[str, Any]]: ...

    async def project_refs(self) -> list[ProjectRef]:
        """Every project the token can see (archived too), with its deal ID; the project index is refreshed."""
        projects = await self._list(self._projects.get_projects_for_workspace, self.workspace_gid, fields=REVIEW_FIELDS)
        refs = [
            ProjectRef(
                gid=str(p["gid"]),
                name=str(p.get("name") or ""),
                deal_id=deal_value(p, self.deal_field),
                archived=bool(p.get("archived")),
                modified_at=parse_time(p.get("modified_at")),
                url=PROJECT_URL.format(gid=p["gid"]),
            )
            for p in projects
        ]
        await self.store.replace_asana_index(
            self.workspace_gid,
            [IndexedProject(r.gid, r.deal_id, r.name, r.archived, 0.0) for r in refs if r.deal_id],
        )
        return refs
