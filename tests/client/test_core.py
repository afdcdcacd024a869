"""The client's timing rules: Retry-After wins, within bounds; what is retried and what not."""

from __future__ import annotations

import time
from email.utils import formatdate

import httpx
import pytest
from pydantic import BaseModel

from fvs.client import BadInput, Polling, Retries
from fvs.client._core import file_list, request_body, retry_after


def answer(status: int, *, retry: str | None = None, code: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry} if retry else {}
    body = {"error": {"code": code, "message": "m", "field": None}} if code else {}
    return httpx.Response(status, headers=headers, json=body)


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after(answer(200, retry="2.5")) == 2.5
    in_ten = retry_after(answer(200, retry=formatdate(time.time() + 10, usegmt=True)))
    assert in_ten is not None and 8 <= in_ten <= 10
    assert retry_after(answer(200, retry="soon")) is None and retry_after(answer(200)) is None


def test_polling_takes_retry_after_bounded_and_never_past_the_deadline():
    polling = Polling(interval=1.0, min_interval=0.1, max_interval=30)
    assert polling.next_delay(answer(200), remaining=100) == 1.0
    assert polling.next_delay(answer(200, retry="5"), remaining=100) == 5.0
    assert polling.next_delay(answer(200, retry="0"), remaining=100) == 0.1
    assert polling.next_delay(answer(200, retry="3600"), remaining=100) == 30
    assert polling.next_delay(answer(200, retry="5"), remaining=2) == 2


@pytest.mark.parametrize(
    ("response", "again"),
    [
        (answer(503), True),
        (answer(429, retry="1"), True),
        (answer(409, code="idempotency_key_in_use"), True),
        (answer(409, code="conflict"), False),
        (answer(402, code="insufficient_credits"), False),
        (answer(422, code="invalid_request"), False),
    ],
)
def test_what_is_worth_another_try(response, again):
    assert Retries(attempts=3).again(0, response) is again
    assert Retries(attempts=3).again(2, response) is False  # the last try is the last


def test_a_request_is_a_dict_or_the_fields_a_model_set():
    class Req(BaseModel):
        screenplay: str
        shot_count: int = 3

    assert request_body(Req(screenplay="x")) == {"screenplay": "x"}
    assert request_body({"screenplay": "y"}) == {"screenplay": "y"}
    with pytest.raises(BadInput):
        request_body(["not", "a", "request"])  # type: ignore[arg-type]


def test_files_must_exist_and_not_take_the_request_part(tmp_path):
    with pytest.raises(BadInput, match="is not a file"):
        file_list({"reference_image": tmp_path / "nope.png"})
    with pytest.raises(BadInput, match="request_json"):
        file_list([("request_json", b"{}")])
    assert file_list({"audio": b"RIFF"}) == [("audio", b"RIFF")]
