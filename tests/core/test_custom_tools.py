"""The custom_tools store and the live catalog (built-in + published imported tools), on
SQLite and MariaDB."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from studio_core.catalog.tools import Catalog
from studio_core.custom_tools import store
from studio_core.custom_tools.live import LiveCatalog
from studio_core.db.tables import users
from studio_core.errors import Conflict, InvalidInput, NotFound, UnknownTool
from tests.core.helpers import add_user
from tests.imported_tools import copy_of, invert_graph, invert_manifest


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def builtin():
    return Catalog.load()


def _create(db, tool_id="invert", manifest=None, by=None):
    return store.create(
        db,
        tool_id,
        manifest=manifest or invert_manifest(tool_id),
        workflow=invert_graph(),
        problems=[],
        checked_against="bundled",
        created_by=by,
    )


# ---- ids ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("My Flow (v2).json", "my_flow_v2"),
        ("ComfyUI_00012_.png", "comfyui_00012"),
        ("face.studio-tool.json", "face"),
        ("C:\\flows\\Up-Scale.WEBP", "up_scale"),
        ("2024 portrait.json", "tool_2024_portrait"),
        ("貓.json", "tool"),
        ("a" * 80 + ".json", "a" * 48),
    ],
)
def test_slugify_makes_a_valid_tool_id(name, slug):
    assert store.slugify(name) == slug
    assert store.check_tool_id(slug) == slug


def test_unique_id_appends_a_number():
    assert store.unique_id("flow", set()) == "flow"
    assert store.unique_id("flow", {"flow", "flow_2"}) == "flow_3"
    long = "x" * 48
    assert store.unique_id(long, {long}) == "x" * 46 + "_2"


@pytest.mark.parametrize("bad", ["", "Flow", "1flow", "flow-x", "a" * 49, "../x", None, 5])
def test_bad_tool_ids_are_refused(bad):
    with pytest.raises(InvalidInput):
        store.check_tool_id(bad)


# ---- the store -----------------------------------------------------------------------------
def test_create_get_list_update_delete(db_engine):
    admin = add_user(db_engine, "boss", role="admin")
    row = _create(db_engine, by=admin)
    assert (row["status"], row["revision"], row["created_by"]) == ("draft", 1, admin)
    assert row["manifest"] == invert_manifest() and row["workflow"] == invert_graph()
    assert row["created_at"].utcoffset().total_seconds() == 0
    _create(db_engine, "second")
    assert [r["id"] for r in store.list_tools(db_engine)] == ["second", "invert"]
    assert [r["id"] for r in store.list_tools(db_engine, status="draft")] == ["second", "invert"]

    changed = store.update(db_engine, "invert", problems=[{"code": "x"}], checked_against="live")
    assert (changed["revision"], changed["checked_against"]) == (2, "live")
    assert changed["updated_at"] >= row["updated_at"]
    published = store.set_status(db_engine, "invert", store.PUBLISHED)
    assert (published["status"], published["revision"]) == ("published", 3)
    assert store.published_revisions(db_engine) == {"invert": 3}
    assert store.ids(db_engine) == {"invert", "second"}

    store.delete(db_engine, "invert")
    with pytest.raises(NotFound):
        store.get(db_engine, "invert")
    with pytest.raises(NotFound):
        store.delete(db_engine, "invert")
    with pytest.raises(NotFound):
        store.update(db_engine, "invert", status="disabled")


def test_a_taken_id_is_a_conflict(db_engine):
    _create(db_engine)
    with pytest.raises(Conflict) as caught:
        _create(db_engine)
    assert caught.value.code == "tool_exists"


def test_an_unknown_status_or_column_is_a_programming_error(db_engine):
    _create(db_engine)
    with pytest.raises(ValueError):
        store.set_status(db_engine, "invert", "live")
    with pytest.raises(ValueError):
        store.update(db_engine, "invert", workflow={})


def test_deleting_the_creator_keeps_the_tool(db_engine):
    admin = add_user(db_engine, "boss", role="admin")
    _create(db_engine, by=admin)
    with db_engine.begin() as conn:
        conn.execute(sa.delete(users).where(users.c.id == admin))
    assert store.get(db_engine, "invert")["created_by"] is None


# ---- the live catalog ----------------------------------------------------------------------
def test_published_tools_join_the_builtin_ones(db_engine, builtin):
    catalog = LiveCatalog(builtin, db_engine)
    assert [t.id for t in catalog.tools] == [t.id for t in builtin.tools]
    _create(db_engine)
    assert "invert" not in catalog  # a draft is not a tool yet
    with pytest.raises(UnknownTool, match="draft, not published"):
        catalog.get("invert")
    store.set_status(db_engine, "invert", store.PUBLISHED)
    tool = catalog.get("invert")  # a miss looks again at once, whatever the TTL
    assert tool.outputs == ["3"] and [s.id for s in tool.slots] == ["image"]
    assert [t.id for t in catalog.tools][-1] == "invert"  # order 500: after the built-ins
    assert tool.public_dict()["imported"] is True
    assert "imported" not in catalog.get("text_to_image").public_dict()


def test_another_process_sees_an_edit_within_the_ttl(db_engine, builtin):
    clock = Clock()
    _create(db_engine)
    store.set_status(db_engine, "invert", store.PUBLISHED)
    backend = LiveCatalog(builtin, db_engine, ttl_s=1.0, clock=clock)
    worker = LiveCatalog(builtin, db_engine, ttl_s=1.0, clock=clock)
    assert worker.get("invert").name["en"] == "Invert"
    manifest = copy_of(invert_manifest())
    manifest["name"]["en"] = "Negative"
    store.update(db_engine, "invert", manifest=manifest)
    backend.invalidate()
    assert backend.get("invert").name["en"] == "Negative"  # the process that changed it: at once
    assert worker.get("invert").name["en"] == "Invert"  # the other: its snapshot, for now
    clock.now += 1.01
    assert worker.get("invert").name["en"] == "Negative"
    store.set_status(db_engine, "invert", store.DISABLED)
    clock.now += 1.01
    assert "invert" not in [t.id for t in worker.tools]
    with pytest.raises(UnknownTool, match="disabled"):
        worker.get("invert")
    store.delete(db_engine, "invert")
    with pytest.raises(UnknownTool, match="unknown tool 'invert'"):
        worker.get("invert")


def test_a_broken_or_clashing_tool_is_logged_and_left_out(db_engine, builtin, caplog):
    broken = invert_manifest("broken")
    broken["slots"][0]["node"] = "99"  # no such node
    _create(db_engine, "broken", manifest=broken)
    _create(db_engine, "text_to_image", manifest=invert_manifest("text_to_image"))
    _create(db_engine, "nameless", manifest={**invert_manifest("nameless"), "name": "x"})
    _create(db_engine, "invert")
    for tool_id in ("broken", "text_to_image", "nameless", "invert"):
        store.set_status(db_engine, tool_id, store.PUBLISHED)
    catalog = LiveCatalog(builtin, db_engine)
    with caplog.at_level(logging.ERROR, logger="studio_core.custom_tools.live"):
        ids = [t.id for t in catalog.tools]
    assert ids.count("text_to_image") == 1 and "invert" in ids
    assert "broken" not in ids and "nameless" not in ids
    assert catalog.get("text_to_image") is builtin.get("text_to_image")
    logged = caplog.text
    assert "tool=broken" in logged and "tool=nameless" in logged and "built-in" in logged
    with pytest.raises(UnknownTool, match="manifest is broken"):
        catalog.get("broken")


def test_a_database_outage_keeps_the_last_tools(db_engine, builtin, monkeypatch):
    clock = Clock()
    _create(db_engine)
    store.set_status(db_engine, "invert", store.PUBLISHED)
    catalog = LiveCatalog(builtin, db_engine, clock=clock)
    assert "invert" in [t.id for t in catalog.tools]

    def down(_db):
        raise OperationalError("SELECT", {}, Exception("gone"))

    monkeypatch.setattr(store, "published_revisions", down)
    clock.now += 5
    assert "invert" in [t.id for t in catalog.tools]  # the timed refresh keeps the snapshot
    with pytest.raises(OperationalError):
        catalog.get("not_there")  # a forced look-up says the database is down (503 / outage)
