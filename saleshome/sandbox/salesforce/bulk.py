"""Bulk API 2.0 query jobs: create, poll, page through CSV results with locators, abort, delete.

Shapes follow the Bulk API 2.0 Developer Guide ("Create a Query Job", "Get Information
About a Query Job", "Get Results for a Query Job"): a job moves UploadComplete →
InProgress → JobComplete (or Failed / Aborted); results are CSV with a header line, every
value quoted; ``Sforce-Locator`` names the next set (the string ``null`` on the last) and
``Sforce-NumberOfRecords`` counts the rows of this set.  Locators are base64 offsets
(``MTAwMDA`` is 10000), stable for as long as the job exists.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .errors import ApiError, not_found
from .records import csv_page, format_datetime

if TYPE_CHECKING:
    from .soql import CompiledQuery

DEFAULT_MAX_RECORDS = 100_000


@dataclass
class QueryJob:
    id: str
    operation: str
    query_text: str
    query: CompiledQuery
    created_by: str
    created: datetime
    api_version: str
    state: str = "UploadComplete"
    error_message: str | None = None
    result: pa.Table | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None

    def info(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.query.object.name,
            "createdById": self.created_by,
            "createdDate": format_datetime(self.created),
            "systemModstamp": format_datetime(self.created),
            "state": self.state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": float(self.api_version),
            "lineEnding": "LF",
            "columnDelimiter": "COMMA",
        }
        if self.state in ("JobComplete", "Failed", "Aborted", "InProgress"):
            body.update({
                "jobType": "V2Query",
                "numberRecordsProcessed": self.result.num_rows if self.result is not None else 0,
                "retries": 0,
                "totalProcessingTime": int(((self.finished or time.time()) - self.started) * 1000),
                "isPkChunkingSupported": True,
            })
        if self.error_message:
            body["errorMessage"] = self.error_message
        return body


def encode_locator(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def decode_locator(locator: str) -> int:
    try:
        text = base64.b64decode(locator + "=" * (-len(locator) % 4), validate=True).decode()
        return int(text)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "INVALIDLOCATOR", f"Invalid locator: {locator}") from None


class BulkJobs:
    """The org's query jobs; ``run`` executes one in the background (the "InProgress" phase)."""

    def __init__(self) -> None:
        self._jobs: dict[str, QueryJob] = {}
        self._lock = threading.Lock()

    def create(self, job: QueryJob, run: Callable[[], pa.Table], fail_with: str | None = None) -> QueryJob:
        with self._lock:
            self._jobs[job.id] = job
        threading.Thread(target=self._execute, args=(job, run, fail_with), daemon=True).start()
        return job

    @staticmethod
    def new_id() -> str:
        return "7508d" + secrets.token_hex(5).upper() + "AAQ"

    def _execute(self, job: QueryJob, run: Callable[[], pa.Table], fail_with: str | None) -> None:
        time.sleep(0.05)  # clients see UploadComplete, then InProgress, as on a real org
        with self._lock:
            if job.state == "Aborted":
                return
            job.state = "InProgress"
        try:
            if fail_with:
                raise ApiError(400, "QUERY_TIMEOUT", fail_with)
            table = run()
        except ApiError as exc:
            with self._lock:
                job.state, job.error_message, job.finished = "Failed", f"{exc.error_code}: {exc.message}", time.time()
            return
        except Exception as exc:  # a job never stays InProgress forever: it fails, as on a real org
            with self._lock:
                job.state, job.finished = "Failed", time.time()
                job.error_message = f"UNKNOWN_EXCEPTION: An unexpected error occurred ({type(exc).__name__})"
            return
        time.sleep(0.05)
        with self._lock:
            if job.state != "Aborted":
                job.result, job.state, job.finished = table, "JobComplete", time.time()

    def get(self, job_id: str) -> QueryJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise not_found()
        return job

    def all(self) -> list[QueryJob]:
        with self._lock:
            return list(self._jobs.values())

    def abort(self, job_id: str) -> QueryJob:
        job = self.get(job_id)
        with self._lock:
            if job.state in ("JobComplete", "Failed", "Aborted"):
                raise ApiError(400, "INVALIDJOBSTATE", f"Job state {job.state} can not be changed to Aborted")
            job.state, job.finished = "Aborted", time.time()
        return job

    def delete(self, job_id: str) -> None:
        job = self.get(job_id)
        if job.state in ("UploadComplete", "InProgress"):
            raise ApiError(400, "INVALIDJOBSTATE", "Job can not be deleted while it is in progress; abort it first")
        with self._lock:
            self._jobs.pop(job_id, None)

    def results(self, job_id: str, locator: str | None, max_records: int | None) -> tuple[bytes, dict[str, str]]:
        """One set of results and its headers."""
        job = self.get(job_id)
        if job.state != "JobComplete" or job.result is None:
            raise ApiError(400, "INVALIDJOBSTATE", f"Job {job_id} is not complete (state {job.state})")
        if max_records is not None and max_records <= 0:
            raise ApiError(400, "INVALIDPARAMETER", "maxRecords must be a positive integer")
        start = decode_locator(locator) if locator else 0
        total = job.result.num_rows
        if start > total:
            raise ApiError(400, "INVALIDLOCATOR", f"Invalid locator: {locator}")
        size = max_records or DEFAULT_MAX_RECORDS
        page = job.result.slice(start, size)
        end = start + page.num_rows
        headers = {
            "Sforce-Locator": encode_locator(end) if end < total else "null",
            "Sforce-NumberOfRecords": str(page.num_rows),
        }
        return csv_page(page, job.query), headers
