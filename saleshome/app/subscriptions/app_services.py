"""The app's side of a member's notifications: :class:`AppSubsServices` implements :class:`.handlers.SubsServices`
over the core's :class:`~saleshome.app.services.Services` and the Home tab's entry (its metadata cache, its Sales
tab), one per app process."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from saleshome.salesforce.ui_api import MemberSessionExpired, UiApi
from saleshome.salesforce.ui_api_types import ObjectInfo, PicklistValues
from saleshome.settings.member_schema import UiSchema
from saleshome.settings.store import load_org_settings

from ..home import publish_home
from ..home.cache import MetadataCache
from ..home.state import decode
from ..services import NotConnectedError, Services
from .form import OrgOption

if TYPE_CHECKING:
    from saleshome.warehouse.control import ControlDB

    from ..entry import Entry

__all__ = ["AppSubsServices"]


class CachedSubsApi:
    """The member's UI API with object infos and stage values kept in the app's metadata cache (a minute)."""

    def __init__(self, api: UiApi, cache: MetadataCache, user_id: str, alias: str) -> None:
        self.api, self.cache, self.key = api, cache, (user_id, alias)

    def object_info(self, obj: str) -> ObjectInfo:
        return self.cache.get((*self.key, "object-info", obj), lambda: self.api.object_info(obj))

    def field_picklist_values(self, obj: str, field_name: str) -> PicklistValues:
        return self.cache.get((*self.key, "picklist", obj, field_name),
                              lambda: self.api.field_picklist_values(obj, field_name))


class AppSubsServices:
    """:class:`.handlers.SubsServices` of the app process."""

    def __init__(self, services: Services, entry: Entry) -> None:
        self.services = services
        self.entry = entry

    @property
    def control(self) -> ControlDB:
        return self.services.control

    def locale(self, user_id: str) -> tuple[str, str | None]:
        member = self.services.member(user_id)
        return member.locale, member.tz

    def orgs(self, user_id: str) -> Sequence[OrgOption]:
        return [OrgOption(o.alias, o.org_name or o.alias) for o in self.services.member(user_id).connected_orgs]

    def objects(self, alias: str) -> Sequence[str]:
        return list(load_org_settings(self.services.control, alias).objects)

    def _api(self, user_id: str, alias: str) -> UiApi:
        try:
            return self.services.session(user_id, alias).ui_api()
        except NotConnectedError as exc:
            raise MemberSessionExpired(exc.message, hint=exc.hint) from None

    def ui_api(self, user_id: str, alias: str) -> CachedSubsApi:
        return CachedSubsApi(self._api(user_id, alias), self.entry.cache, user_id, alias)

    def schema(self, user_id: str, alias: str) -> UiSchema:
        return UiSchema(self._api(user_id, alias))

    def publish_sales_tab(self, user_id: str, back: str | None) -> None:
        if self.entry.tab is None:
            self.entry.publish(user_id)
            return
        publish_home(self.services.slack, self.entry.tab, user_id, decode(back), cache=self.entry.cache,
                     readers=self.entry.readers)
