"""The control store's SQL text means the same on both backends (run on each: ``--control-backend``): ``?`` is a
parameter, while a ``?`` or a ``%`` inside quoted text is that character (psycopg reads ``%`` everywhere in a
statement, quotes or not, with parameters or without)."""

from __future__ import annotations

from saleshome.warehouse.control import ControlDB

MESSAGES = [("k1", "gave up after 5 attempts"), ("k2", "100% sure? no"), ("k3", "is_archived")]


def test_percent_and_question_marks_in_quoted_text_are_characters(control_url: str) -> None:
    control = ControlDB(control_url)
    with control.transaction() as db:
        db.executemany("INSERT INTO dm_channels (user_id, channel_id) VALUES (?, ?)", MESSAGES)
        db.execute("UPDATE dm_channels SET team_id = 'T%' WHERE channel_id LIKE 'gave up after%' OR user_id = ?",
                   ["k3"])
    rows = control.rows("SELECT user_id, team_id, channel_id LIKE '%?%' AS asks, '50%' AS literal FROM dm_channels "
                        "WHERE channel_id <> '?' AND user_id LIKE ? ORDER BY user_id", ["k%"], kinds={"asks": "bool"})
    assert [(r["user_id"], r["team_id"], r["asks"], r["literal"]) for r in rows] == [
        ("k1", "T%", False, "50%"), ("k2", None, True, "50%"), ("k3", "T%", False, "50%")]
    with control.transaction() as db:  # no parameters: the same text (psycopg is given an empty tuple)
        db.execute("UPDATE dm_channels SET team_id = '100%' WHERE channel_id LIKE '%sure?%'")
    assert control.rows("SELECT user_id FROM dm_channels WHERE team_id LIKE '100%'") == [{"user_id": "k2"}]
