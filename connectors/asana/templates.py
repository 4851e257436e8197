"""Delivery projects made from a template, and the deal ID written onto a project.

A mixin of `AsanaConnector` (connector.py), which provides the Runner, the SDK client and the
workspace. Instantiating a template answers with a job at once; the project fills in
asynchronously, and a custom field can be set on a project only once the field is on it
(`addCustomFieldSetting` first: templates often lack the deal field).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Final

import asana

from connectors.errors import ConnectorError, NotFoundError

if TYPE_CHECKING:
    from connectors.runtime import Runner

NOT_ON_OBJECT: Final = "is not on given object"
ALREADY_ON: Final = "already on given object"
TEMPLATE_FIELDS: Final = "name,team.name,requested_dates.name,requested_roles.name"
START_DATE_NAMES: Final = ("start date", "start")


@dataclass(frozen=True)
class Template:
    """A project template: its name, team and the dates it asks for when instantiated."""

    gid: str
    name: str
    team: str | None
    requested_dates: tuple[tuple[str, str], ...]  # (gid, name)

    @property
    def start_date_gid(self) -> str | None:
        """The requested date that is the project's start (Asana numbers it "1")."""
        for gid, name in self.requested_dates:
            if gid == "1" or name.strip().lower() in START_DATE_NAMES:
                return gid
        return None


@dataclass(frozen=True)
class Job:
    """An instantiation job: in_progress, succeeded or failed, and the project it makes."""

    gid: str
    status: str
    project_gid: str | None


class AsanaTemplates:
    """`template`, `instantiate`, `job`, `deal_field_gid`, `put_deal_id` (mixed into AsanaConnector)."""

    if TYPE_CHECKING:  # provided by AsanaConnector
        runner: Runner
        workspace_gid: str
        deal_field: str
        _client: Any
        _timeout: tuple[float, float]

        async def _call(self, method: Any, *args: Any, opts: dict[str, Any]) -> dict[str, Any]: ...

        async def _list(self, method: Any, *args: Any, fields: str) -> list[dict[str, Any]]: ...

    _field_gid: str | None = None

    def _api(self, name: str) -> Any:
        api = getattr(self, f"_sdk_{name}", None)
        if api is None:
            api = getattr(asana, name)(self._client)
            setattr(self, f"_sdk_{name}", api)
        return api

    async def template(self, template_gid: str) -> Template:
        """The template (NotFoundError when it doesn't exist or this token can't see it)."""
        page = await self._call(
            self._api("ProjectTemplatesApi").get_project_template, template_gid, opts={"opt_fields": TEMPLATE_FIELDS}
        )
        data = page.get("data") or {}
        return Template(
            str(data.get("gid") or template_gid),
            str(data.get("name") or ""),
            (data.get("team") or {}).get("gid"),
            tuple((str(d.get("gid")), str(d.get("name") or "")) for d in data.get("requested_dates") or ()),
        )

    async def instantiate(self, template: Template, name: str, team_gid: str, start: date) -> Job:
        """Start making a project from the template: named, in the team, starting `start` (other dates: defaults)."""
        body: dict[str, Any] = {"name": name, "team": team_gid, "public": False, "is_strict": False}
        if template.start_date_gid:
            body["requested_dates"] = [{"gid": template.start_date_gid, "value": start.isoformat()}]
        # asana 5's instantiate_project puts its whole `opts` (body included) into the query string: call it directly.
        answer = await self.runner.call(
            self._client.call_api,
            "/project_templates/{project_template_gid}/instantiateProject",
            "POST",
            {"project_template_gid": template.gid},
            [],
            {"Accept": "application/json", "Content-Type": "application/json"},
            body={"data": body},
            response_type=object,
            auth_settings=["personalAccessToken"],
            _return_http_data_only=True,
            _request_timeout=self._timeout,
        )
        return _job(answer.get("data") or {})

    async def projects_named(self, name: str, *, created_after: float) -> list[str]:
        """Projects of the workspace with exactly this name, made after a moment (adopting one after a crash)."""
        found = await self._list(
            self._api("ProjectsApi").get_projects_for_workspace, self.workspace_gid, fields="name,created_at"
        )
        out = []
        for project in found:
            made = _epoch(project.get("created_at"))
            if project.get("name") == name and made is not None and made >= created_after - 5:
                out.append(str(project["gid"]))
        return out

    async def job(self, job_gid: str) -> Job:
        """Where an instantiation job stands."""
        page = await self._call(self._api("JobsApi").get_job, job_gid, opts={"opt_fields": "status,new_project"})
        return _job(page.get("data") or {})

    async def deal_field_gid(self) -> str:
        """The gid of the workspace's custom field named ASANA_DEAL_FIELD (ConnectorError when there is none)."""
        if self._field_gid is None:
            fields = await self._list(
                self._api("CustomFieldsApi").get_custom_fields_for_workspace,
                self.workspace_gid,
                fields="name,resource_subtype",
            )
            wanted = self.deal_field.strip().lower()
            found = [f for f in fields if str(f.get("name") or "").strip().lower() == wanted]
            if not found:
                raise ConnectorError(
                    "asana",
                    f"the workspace has no custom field named {self.deal_field!r}: create "
                    "it (a text field) or set ASANA_DEAL_FIELD to the field you use",
                )
            self._field_gid = str(found[0]["gid"])
        return self._field_gid

    async def put_deal_id(self, project_gid: str, deal_id: str) -> bool:
        """Write the deal ID into the project's deal field, adding the field first when the project lacks it.

        True when the field had to be added.
        """
        field = await self.deal_field_gid()
        projects = self._api("ProjectsApi")
        body = {"data": {"custom_fields": {field: deal_id}}}
        try:
            await self._call(projects.update_project, body, project_gid, opts={})
            return False
        except ConnectorError as exc:
            if NOT_ON_OBJECT not in exc.message or isinstance(exc, NotFoundError):
                raise
        try:
            await self._call(
                projects.add_custom_field_setting_for_project,
                {"data": {"custom_field": field, "is_important": True}},
                project_gid,
                opts={},
            )
        except ConnectorError as exc:
            if ALREADY_ON not in exc.message:
                raise
        await self._call(projects.update_project, body, project_gid, opts={})
        return True


def _job(data: dict[str, Any]) -> Job:
    project = data.get("new_project") or {}
    return Job(
        str(data.get("gid") or ""),
        str(data.get("status") or "in_progress"),
        str(project["gid"]) if project.get("gid") else None,
    )


def _epoch(value: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp() if value else None
    except ValueError:
        return None
