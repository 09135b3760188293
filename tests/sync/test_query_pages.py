"""REST query pages split into their head and their records, which DuckDB reads as written."""

from __future__ import annotations

import json

import pytest

from saleshome.errors import FatalError
from saleshome.salesforce.client import split_page

RECORDS = [{"attributes": {"type": "Account", "url": "/x/001"}, "Id": "001", "Name": "Café \"Ré\"", "Amount": 1.50}]


def test_salesforce_order_cuts_the_records_out_undecoded() -> None:
    body = ('{"totalSize": 3, "done": false, "nextRecordsUrl": "/services/data/v62.0/query/01gX-2000", '
            f'"records": {json.dumps(RECORDS, ensure_ascii=False)}}}\n').encode()
    head, records = split_page(body)
    assert head == {"totalSize": 3, "done": False, "nextRecordsUrl": "/services/data/v62.0/query/01gX-2000"}
    assert records == json.dumps(RECORDS, ensure_ascii=False).encode()  # the very bytes received
    assert json.loads(records) == RECORDS


@pytest.mark.parametrize("page", [
    {"records": RECORDS, "done": True, "totalSize": 1},  # records first: the page is decoded
    {"done": False, "records": RECORDS, "nextRecordsUrl": "/n"},  # the next page named after the records
    {"done": True, "records": RECORDS, "extra": 5},  # a key after the records
])
def test_any_other_order_is_decoded(page: dict[str, object]) -> None:
    head, records = split_page(json.dumps(page).encode())
    assert head == {k: v for k, v in page.items() if k != "records"}
    assert json.loads(records) == RECORDS


@pytest.mark.parametrize("body", [b"[1, 2]", b'{"done": true}', b'{"done": true, "records": 5}'])
def test_a_page_without_records_is_refused(body: bytes) -> None:
    with pytest.raises(FatalError, match="not an object with records"):
        split_page(body)
