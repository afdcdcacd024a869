"""What strangers' bad input costs the server now, each against a baseline from the same run.

Prints: the in-process server's memory growth for a 120 MB chunked body to an
authenticated route sent without credentials, against a 1 kB one; the time to
refuse 40,000-character adversarial emails, against an ordinary address; and the
time to decode a 4000x3000 JPEG for a 64x64 palette, reduced against whole.
Usage: python bench/bench_strangers.py
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil
from PIL import Image

from fvs.accounts.emails import normalise_email
from fvs.config import Settings
from fvs.errors import ValidationFailed
from fvs.media.images import load_rgb
from tests.ops.stream_upload import stream_upload
from tests.threaded_server import serve_in_thread

MB = 1024 * 1024
ADVERSARIAL = ["a" * 40_000 + "@x.com", "a@" + "a." * 20_000, "a." * 20_000 + "@b.c"]


def body_growth(url: str, total: int) -> tuple[int, int]:
    before = psutil.Process().memory_info().rss
    answer = stream_upload(
        url, "/api/account/keys", total=total, headers={"Content-Type": "application/json"}
    )
    return psutil.Process().memory_info().rss - before, answer.status


def seconds(work: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        with contextlib.suppress(ValidationFailed):
            work()
    return (time.perf_counter() - start) / repeat


def main() -> None:
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data), secret_key="bench", executor="none")
        with serve_in_thread(settings) as url:
            small, _ = body_growth(url, 1024)
            big, status = body_growth(url, 120 * MB)
    print(f"120 MB chunked body: answered {status}, server grew {big / MB:.1f} MB "
          f"(1 kB body: {small / MB:.1f} MB)")  # fmt: skip
    ordinary = seconds(lambda: normalise_email("maker@example.com"), 2000)
    for email in ADVERSARIAL:
        cost = seconds(lambda email=email: normalise_email(email), 200)
        print(f"refusing a {len(email)}-char email: {cost * 1e6:.1f} us, "
              f"{cost / ordinary:.1f}x an ordinary address")  # fmt: skip
    jpeg = io.BytesIO()
    Image.new("RGB", (4000, 3000), (200, 30, 30)).save(jpeg, "JPEG")
    whole = seconds(lambda: load_rgb(jpeg.getvalue()), 5)
    reduced = seconds(lambda: load_rgb(jpeg.getvalue(), reduce_to=(64, 64)), 5)
    print(f"4000x3000 JPEG for a palette: reduced {reduced * 1e3:.1f} ms, "
          f"whole {whole * 1e3:.1f} ms ({whole / reduced:.1f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
