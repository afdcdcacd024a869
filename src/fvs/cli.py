"""The `fvs` command: serve, worker, demo, render, accounts, keys, credits."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
import uuid
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
import uvicorn
from rich.console import Console

from fvs import client
from fvs.accounts import service as accounts
from fvs.app import build_studio, create_app, start_executor
from fvs.billing import service as billing
from fvs.config import Settings
from fvs.errors import AppError
from fvs.keys import service as keys
from fvs.studio import Studio

app = typer.Typer(help="Future Video Studio", no_args_is_help=True, add_completion=False)
accounts_app = typer.Typer(help="People who own keys and wallets.", no_args_is_help=True)
keys_app = typer.Typer(help="Managed agent keys.", no_args_is_help=True)
credits_app = typer.Typer(help="Wallet credits.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")
app.add_typer(credits_app, name="credits")
console = Console()
err = Console(stderr=True)

DEMO_EMAIL = "demo@studio.example"
DEMO_TOP_UP = 10_000


def _studio() -> Studio:
    return build_studio(Settings())


def _run(fn: Any) -> Any:
    """Run a service call in one transaction; domain errors become a clean exit."""
    studio = _studio()
    try:
        return studio.db.transact(lambda session: fn(session, studio))
    except AppError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from None
    finally:
        studio.db.dispose()


@app.command()
def serve(host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the API and the worker threads."""
    uvicorn.run(create_app(Settings()), host=host, port=port, log_level="info")


@app.command()
def worker() -> None:
    """Run pipeline steps without the API (pair with `FVS_EXECUTOR=none fvs serve`)."""
    studio = _studio()
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    executor = start_executor(studio)
    console.print(f"worker {executor.owner}: {studio.settings.worker_threads} threads")
    stopping.wait()
    executor.stop()
    studio.db.dispose()


@accounts_app.command("create")
def accounts_create(
    email: str,
    password: Annotated[str | None, typer.Option()] = None,
    credits: Annotated[int, typer.Option(min=0)] = 0,
) -> None:
    """Create an account (and optionally grant it credits)."""

    def create(session: Any, _studio: Studio) -> str:
        account = accounts.create_account(session, email=email, password=password)
        if credits:
            billing.grant(
                session,
                account_id=account.id,
                amount=credits,
                transfer_id=f"grant:{uuid.uuid4().hex}",
                memo="initial credits",
            )
        return account.id

    console.print(f"{_run(create)} {email}")


@keys_app.command("create")
def keys_create(email: str, name: Annotated[str, typer.Option()] = "agent key") -> None:
    """Issue a key; it is printed once, alone on the last line."""

    def issue(session: Any, studio: Studio) -> str:
        account = accounts.get_by_email(session, email)
        return keys.issue_key(
            session, account_id=account.id, name=name, secret=studio.settings.resolved_secret
        ).secret

    secret = _run(issue)
    err.print("Store this key now; it is never shown again.")
    print(secret)


@keys_app.command("list")
def keys_list(email: str) -> None:
    """One key per line: id, name, prefix, created, last used, state."""

    def listing(session: Any, _studio: Studio) -> list[str]:
        account = accounts.get_by_email(session, email)
        return [
            f"{k.id}\t{k.name}\t{k.prefix}…\t{k.created_at:%Y-%m-%d %H:%M}\t"
            f"{k.last_used_at.isoformat() if k.last_used_at else 'never'}\t"
            f"{keys.key_state(k)}"
            for k in keys.list_keys(session, account_id=account.id)
        ]

    for line in _run(listing):
        print(line)


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke a key; its next request gets 401."""
    _run(lambda session, _s: keys.revoke_key(session, key_id=key_id))
    console.print(f"revoked {key_id}")


@credits_app.command("grant")
def credits_grant(email: str, amount: int) -> None:
    """Add credits to an account's wallet."""

    def grant(session: Any, _studio: Studio) -> int:
        account = accounts.get_by_email(session, email)
        billing.grant(
            session,
            account_id=account.id,
            amount=amount,
            transfer_id=f"grant:{uuid.uuid4().hex}",
            memo="cli grant",
        )
        return billing.wallet_balance(session, account_id=account.id).available

    console.print(f"{email}: {_run(grant)} credits available")


@app.command("render")
def render_cmd(
    request_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    base_url: Annotated[str, typer.Option(envvar="FVS_BASE_URL")] = "http://127.0.0.1:8000",
    key: Annotated[str | None, typer.Option(envvar="FVS_AGENT_KEY")] = None,
    out: Annotated[Path | None, typer.Option()] = None,
) -> None:
    """Submit a request body to a running studio, show progress, download the result."""
    if not key:
        err.print("[red]error:[/red] pass --key or set FVS_AGENT_KEY")
        raise typer.Exit(2)
    _render_and_report(
        base_url=base_url, key=key, request=json.loads(request_file.read_text()), out=out
    )


def _render_and_report(
    *, base_url: str, key: str, request: dict[str, Any], out: Path | None
) -> None:
    try:
        path = client.render(base_url=base_url, key=key, request=request, out=out, console=console)
    except client.RenderFailed as exc:
        err.print(f"[red]render failed:[/red] {exc}")
        raise typer.Exit(1) from None
    console.print("Video ready:")
    print(path.resolve())


@app.command()
def demo(out: Annotated[Path | None, typer.Option()] = None) -> None:
    """Render the seed's reference payload on the embedded studio, into this folder."""
    settings = Settings()
    key = _demo_key(settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        _wait_started(server)
        request = json.loads(resources.files("fvs").joinpath("reference_request.json").read_text())
        _render_and_report(base_url=f"http://127.0.0.1:{port}", key=key, request=request, out=out)
    finally:
        server.should_exit = True
        thread.join(15)


def _demo_key(settings: Settings) -> str:
    """Create or reuse the demo account, its key (kept in the data dir) and credits."""
    key_file = settings.data_dir / "demo-agent-key"

    def prepare(session: Any, studio: Studio) -> str:
        try:
            account = accounts.get_by_email(session, DEMO_EMAIL)
        except AppError:
            account = accounts.create_account(session, email=DEMO_EMAIL)
        if billing.wallet_balance(session, account_id=account.id).available < DEMO_TOP_UP // 2:
            billing.grant(
                session,
                account_id=account.id,
                amount=DEMO_TOP_UP,
                transfer_id=f"grant:{uuid.uuid4().hex}",
                memo="demo top-up",
            )
        secret = studio.settings.resolved_secret
        if key_file.exists():
            try:
                keys.verify_key(session, clear=key_file.read_text().strip(), secret=secret)
                return key_file.read_text().strip()
            except AppError:
                pass
        issued = keys.issue_key(session, account_id=account.id, name="demo", secret=secret)
        key_file.write_text(issued.secret)
        os.chmod(key_file, 0o600)
        return issued.secret

    return str(_run(prepare))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_started(server: uvicorn.Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the embedded studio did not start")
        time.sleep(0.05)
