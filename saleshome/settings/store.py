"""Reading and writing the settings state in the control database (no check here: see ``apply.py``).

Readers take a :class:`ControlDB` (their own short transaction) or, with the ``_in`` suffix,
a connection inside the caller's transaction.  Writers always run inside the caller's
transaction, so that a whole change (and its audit entries) commits at once.
"""

from __future__ import annotations

from datetime import UTC, datetime

from saleshome.errors import ConfigurationError
from saleshome.warehouse.control import ControlDB, Tx

from .locales import locale_in
from .model import CelebrationSettings, Layout, ListViewRef, ObjectLists, OrgSettings, SettingsState
from .restrictions import Restrictions, write_restrictions


def org_aliases_in(db: Tx, workspace: str) -> list[str]:
    return [r["alias"] for r in db.rows("SELECT alias FROM orgs WHERE workspace = ? ORDER BY alias", [workspace])]


def restrictions_in(db: Tx, workspace: str) -> Restrictions:
    rows = db.rows("SELECT * FROM notification_restrictions WHERE workspace = ?", [workspace])
    if not rows:
        return Restrictions()
    r = rows[0]
    return Restrictions(allow_public=r["allow_public"], allow_private=r["allow_private"],
                        allow_direct=r["allow_direct"], include_external=r["include_external"],
                        allowed_teams=None if r["allowed_teams"] is None else list(r["allowed_teams"]))


def celebrations_in(db: Tx, workspace: str) -> CelebrationSettings:
    rows = db.rows("SELECT * FROM celebration_settings WHERE workspace = ?", [workspace])
    if not rows:
        return CelebrationSettings()
    r = rows[0]
    return CelebrationSettings(enabled=r["enabled"], message=r["message"], channels=list(r["channels"]))


def org_settings_in(db: Tx, alias: str) -> OrgSettings:
    rows = db.rows("SELECT objects, won_stage FROM org_settings WHERE alias = ?", [alias])
    layouts = {
        r["object"]: Layout(fields=list(r["fields"]), editable=list(r["editable"]))
        for r in db.rows("SELECT object, fields, editable FROM record_layouts WHERE alias = ? ORDER BY object",
                       [alias])
    }
    if not rows:
        return OrgSettings(layouts=layouts)
    objects = {name: ObjectLists() for name in rows[0]["objects"]}
    for r in db.rows("SELECT object, list_view_id, developer_name, label FROM default_list_views "
                       "WHERE alias = ? ORDER BY object, position", [alias]):
        if r["object"] in objects:
            objects[r["object"]].default_lists.append(
                ListViewRef(id=r["list_view_id"], developer_name=r["developer_name"], label=r["label"]))
    return OrgSettings(objects=objects, layouts=layouts, won_stage=rows[0]["won_stage"])


def state_in(db: Tx, workspace: str) -> SettingsState:
    return SettingsState(
        locale=locale_in(db, workspace),
        restrictions=restrictions_in(db, workspace),
        celebrations=celebrations_in(db, workspace),
        orgs={alias: org_settings_in(db, alias) for alias in org_aliases_in(db, workspace)},
    )


def load_state(control: ControlDB, workspace: str) -> SettingsState:
    """Every setting of the workspace (defaults where nothing was set)."""
    with control.transaction() as db:
        return state_in(db, workspace)


def load_org_settings(control: ControlDB, alias: str) -> OrgSettings:
    """The lists, explicit layouts and won stage of one org (defaults where nothing was set)."""
    with control.transaction() as db:
        return org_settings_in(db, alias)


# ---------------------------------------------------------------------- writers (caller's transaction)
def write_celebrations(db: Tx, workspace: str, c: CelebrationSettings) -> None:
    db.upsert("celebration_settings", {"workspace": workspace, "enabled": c.enabled, "message": c.message,
                                       "channels": list(c.channels), "updated_at": datetime.now(UTC)})


def write_lists(db: Tx, alias: str, org: OrgSettings) -> None:
    """The org's objects, default list views and won stage (one ``org_settings`` row)."""
    db.upsert("org_settings", {"alias": alias, "objects": list(org.objects), "won_stage": org.won_stage,
                               "updated_at": datetime.now(UTC)})
    db.execute("DELETE FROM default_list_views WHERE alias = ?", [alias])
    for obj, lists in org.objects.items():
        for position, view in enumerate(lists.default_lists):
            db.execute("INSERT INTO default_list_views VALUES (?, ?, ?, ?, ?, ?)",
                       [alias, obj, position, view.id, view.developer_name, view.label])


def write_layout(db: Tx, alias: str, obj: str, layout: Layout | None) -> None:
    """Set the object's layout (None: back to the default layout)."""
    db.execute("DELETE FROM record_layouts WHERE alias = ? AND object = ?", [alias, obj])
    if layout is not None:
        db.execute("INSERT INTO record_layouts VALUES (?, ?, ?, ?, ?)",
                   [alias, obj, list(layout.fields), list(layout.editable), datetime.now(UTC)])


def write_locale(db: Tx, workspace: str, locale: str) -> None:
    """The channels' locale (``workspaces.default_locale``), on the workspace's row (the plan declared it)."""
    found = db.execute("UPDATE workspaces SET default_locale = ? WHERE workspace = ? RETURNING workspace",
                       [locale, workspace]).fetchall()
    if not found:
        raise ConfigurationError(f"no Slack plan is set for workspace {workspace!r}: its locale cannot be stored",
                                 hint="the Slack primary owner sets the plan first: `saleshome workspace set-plan`")


def write_restrictions_in(db: Tx, workspace: str, r: Restrictions) -> None:
    write_restrictions(db, workspace, r)


def delete_org_settings(db: Tx, alias: str) -> None:
    """Forget an org's settings (when the org is removed)."""
    for table in ("org_settings", "default_list_views", "record_layouts"):
        db.execute(f"DELETE FROM {table} WHERE alias = ?", [alias])
