"""The `fvs` command: serve, worker, demo, render, accounts, keys, credits, ledger."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import signal
import socket
import sys
import threading
import time
import uuid
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, NoReturn

import anyio
import typer
import uvicorn
from fastapi import FastAPI
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError

from fvs import client, logs, metrics, migrate
from fvs.accounts import service as accounts
from fvs.app import build_studio, create_app, start_executor, start_webhook_sender
from fvs.billing import audit as ledger_audit
from fvs.billing import service as billing
from fvs.client import inputs
from fvs.client.progress import render_to_file
from fvs.config import Settings
from fvs.db import Database
from fvs.errors import AppError, ValidationFailed
from fvs.keys import service as keys
from fvs.mcp.stdio import serve_stdio
from fvs.ops import health, serving
from fvs.providers.factory import Providers
from fvs.storage.base import StorageUnavailable
from fvs.storage.factory import open_storage
from fvs.storage.local import LocalStorage
from fvs.studio import Studio

PR_SET_PDEATHSIG = 1  # linux/prctl.h
app = typer.Typer(help="Future Video Studio", no_args_is_help=True, add_completion=False)
accounts_app = typer.Typer(help="People who own keys and wallets.", no_args_is_help=True)
keys_app = typer.Typer(help="Managed agent keys.", no_args_is_help=True)
credits_app = typer.Typer(help="Wallet credits.", no_args_is_help=True)
ledger_app = typer.Typer(help="The credits ledger.", no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
app.add_typer(keys_app, name="keys")
app.add_typer(credits_app, name="credits")
app.add_typer(ledger_app, name="ledger")
console = Console()
# Errors stay on one line, however narrow the terminal.
err = Console(stderr=True, soft_wrap=True)

DEMO_EMAIL = "demo@studio.example"
DEMO_TOP_UP = 10_000


def _studio() -> Studio:
    try:
        return build_studio(Settings())
    except migrate.NotMigrated as exc:
        _fail(str(exc), code=1)
    except StorageUnavailable as exc:
        _fail(exc.message, code=1)


def _run(fn: Any) -> Any:
    """Run a service call in one transaction; domain errors become a clean exit."""
    studio = _studio()
    try:
        return studio.db.transact(lambda session: fn(session, studio))
    except AppError as exc:
        field = exc.field if isinstance(exc, ValidationFailed) and exc.field else None
        _fail(f"{field}: {exc.message}" if field else exc.message, code=1)
    finally:
        studio.db.dispose()


def _fail(message: str, *, code: int) -> NoReturn:
    """Print one plain line on stderr and exit: 2 for a bad command line, 1 for a refusal."""
    err.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code)


def _check_storage(settings: Settings) -> None:
    """Stop at once, in one sentence, when media storage is misnamed or cannot be reached."""
    try:
        open_storage(settings).check()
    except StorageUnavailable as exc:
        _fail(exc.message, code=1)


def _login_url(settings: Settings) -> str:
    return f"{(settings.public_base_url or client.DEFAULT_BASE_URL).rstrip('/')}/login"


EmailArg = Annotated[str, typer.Argument(help="The account's email address.", show_default=False)]
OutOption = Annotated[
    Path | None,
    typer.Option(
        help="Where to write the MP4 (default: the render's name, in this folder).",
        show_default=False,
    ),
]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Server processes; default FVS_SERVE_WORKERS (CPUs)."),
    ] = None,
) -> None:
    """Run the API (and, with FVS_EXECUTOR=threads, the worker threads)."""
    settings = Settings()
    _check_storage(settings)
    if not settings.auto_migrate:
        try:
            migrate.check(settings.resolved_database_url)
        except migrate.NotMigrated as exc:
            _fail(str(exc), code=1)
    logs.configure(settings.log_format)
    count = workers or settings.serve_workers
    # proxy_headers off: uvicorn would trust 127.0.0.1's X-Forwarded-* itself; only
    # FVS_TRUSTED_PROXIES decides (fvs.ops.proxies).
    if count == 1:
        uvicorn.run(
            create_app(settings), host=host, port=port, log_config=None, proxy_headers=False
        )
        return
    if settings.auto_migrate:  # once, here, rather than N processes queueing on the lock
        migrate.upgrade(settings.resolved_database_url)
    try:
        serving.run_processes("fvs.cli:worker_app", workers=count, host=host, port=port)
    finally:
        _executor_lock(settings, os.getpid()).unlink(missing_ok=True)


def worker_app() -> FastAPI:
    """One process of `fvs serve --workers N`: it dies with the parent and shares one executor."""
    _die_with_parent()
    settings = Settings()
    logs.configure(settings.log_format)
    return create_app(settings, executor_lock=_executor_lock(settings, os.getppid()))


def _executor_lock(settings: Settings, server_pid: int) -> Path:
    # One lock per `fvs serve`: its processes share one executor, and two servers on one
    # data folder still run one executor each (their leases keep them apart).
    return settings.data_dir / f"serve-{server_pid}.executor.lock"


def _die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent dies: a killed server leaves no orphan."""
    if sys.platform != "linux":
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGKILL)


@app.command("migrate")
def migrate_cmd() -> None:
    """Bring the database to this studio's schema, once, however many replicas run it at once."""
    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    before, after = migrate.upgrade(settings.resolved_database_url)
    if before == after:
        console.print(f"the database is already at revision {after}")
    else:
        console.print(f"migrated the database from revision {before or 'none'} to {after}")


@app.command()
def doctor() -> None:
    """Check that the database, broker, storage and ffmpeg are reachable and writable."""
    settings = Settings()
    checks = dict(health.DOCTOR)
    try:
        storage = open_storage(settings)
    except StorageUnavailable as exc:  # report it with the rest, on the default folder
        checks["storage"] = functools.partial(_known_problem, exc.message)
        storage = LocalStorage(settings.media_dir, secret=settings.resolved_secret)
    studio = Studio(
        settings=settings,
        db=Database(settings.resolved_database_url),
        storage=storage,
        providers=Providers(settings),
    )
    try:
        results = health.run_checks(studio, checks)
    finally:
        studio.db.dispose()
    for result in results:
        mark = "[red]✗[/red]" if result.problem else "[green]✓[/green]"
        console.print(f"{mark} {result.name}: {escape(result.problem or 'ok')}", soft_wrap=True)
    if any(r.problem for r in results):
        raise typer.Exit(1)


def _known_problem(problem: str, _studio: Studio) -> str:
    return problem


QueuesOption = Annotated[
    str | None,
    typer.Option(
        help="Celery queues to consume: media, provider or media,provider (the default).",
        show_default=False,
    ),
]
ConcurrencyOption = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Celery jobs at once (default: one per core with media, else threads for "
        "every Google model's cap).",
        show_default=False,
    ),
]
PoolOption = Annotated[
    str | None,
    typer.Option(
        help="Celery pool: prefork, threads or solo (default: prefork with media, else threads).",
        show_default=False,
    ),
]


MetricsPortOption = Annotated[
    int | None,
    typer.Option(
        min=1,
        max=65535,
        help="Serve this worker's Prometheus metrics on this port (all its processes with "
        "PROMETHEUS_MULTIPROC_DIR).",
        show_default=False,
    ),
]


@app.command()
def worker(
    queues: QueuesOption = None,
    concurrency: ConcurrencyOption = None,
    pool: PoolOption = None,
    metrics_port: MetricsPortOption = None,
) -> None:
    """Run pipeline steps without the API: threads, or a Celery worker with FVS_EXECUTOR=celery."""
    _check_storage(Settings())
    if metrics_port is not None:
        metrics.serve_http(metrics_port)
    if Settings().executor == "celery":
        _celery_worker(queues=queues, concurrency=concurrency, pool=pool)
        return
    if queues or concurrency or pool:
        _fail("--queues, --concurrency and --pool need FVS_EXECUTOR=celery", code=2)
    studio = _studio()
    logs.configure(studio.settings.log_format)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    executor = start_executor(studio)
    sender = start_webhook_sender(studio)
    console.print(f"worker {executor.owner}: {studio.settings.worker_threads} threads")
    stopping.wait()
    executor.stop()
    sender.stop()
    studio.db.dispose()


def _celery_worker(*, queues: str | None, concurrency: int | None, pool: str | None) -> None:
    """Run a Celery worker on these queues until it is stopped (SIGTERM: a warm shutdown)."""
    # Celery is imported only where it is configured.
    from fvs import worker as celery_worker
    from fvs.jobs.celery_app import BrokerUnavailable

    settings = Settings()
    try:
        argv = celery_worker.worker_argv(
            settings, queues=queues, concurrency=concurrency, pool=pool
        )
        app = celery_worker.create_worker_app(settings)
    except (ValueError, BrokerUnavailable) as exc:
        _fail(str(exc), code=2)
    logs.configure(settings.log_format)
    app.conf.worker_hijack_root_logger = False  # keep our format, ids and masking
    app.worker_main(argv)


@accounts_app.command("create")
def accounts_create(
    email: EmailArg,
    password: Annotated[
        str | None,
        typer.Option(
            help="Set a password now (it stays in your shell history; "
            "`fvs accounts set-password` asks for one instead).",
            show_default=False,
        ),
    ] = None,
    credits: Annotated[int, typer.Option(min=0, help="Credits to grant the new wallet.")] = 0,
) -> None:
    """Create an account (and optionally grant it credits); says how its owner signs in."""

    def create(session: Any, studio: Studio) -> tuple[str, str, str]:
        account = accounts.create_account(session, email=email, password=password)
        if credits:
            billing.grant(
                session,
                account_id=account.id,
                amount=credits,
                transfer_id=f"grant:{uuid.uuid4().hex}",
                memo="initial credits",
            )
        return account.id, account.email, _login_url(studio.settings)

    account_id, address, login = _run(create)
    print(f"{account_id} {address}")
    # Hints go to stderr: stdout stays the one line a script reads.
    if password is None:
        err.print(
            f"No password yet: `fvs accounts set-password {escape(address)}` sets one, "
            "so its owner can sign in and manage keys."
        )
    err.print(f"Sign in at {login} while `fvs serve` runs; keys are on /settings.")


@accounts_app.command("set-password")
def accounts_set_password(
    email: EmailArg,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password from the first line of standard input instead of asking "
            "(for scripts).",
        ),
    ] = False,
) -> None:
    """Set or reset an account's password (asked twice, never shown); signs out its browsers."""
    address, login = _run(
        lambda session, studio: (
            accounts.get_by_email(session, email).email,
            _login_url(studio.settings),
        )
    )
    if password_stdin:
        new = sys.stdin.readline().rstrip("\r\n")
    else:
        new = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    _run(
        lambda session, _studio: accounts.set_password(
            session, account_id=accounts.get_by_email(session, address).id, new=new
        )
    )
    console.print(f"Password set for {escape(address)}; sign in at {login}")


@accounts_app.command("list")
def accounts_list() -> None:
    """One account per line: id, email, created, password or not, available credits."""

    def listing(session: Any, _studio: Studio) -> list[str]:
        return [
            f"{a.id}\t{a.email}\t{a.created_at:%Y-%m-%d %H:%M}\t"
            f"{'password' if accounts.has_password(a) else 'no password'}\t"
            f"{billing.wallet_balance(session, account_id=a.id).available} credits"
            for a in accounts.list_accounts(session)
        ]

    lines = _run(listing)
    for line in lines:
        print(line)
    if not lines:
        err.print("No accounts yet; `fvs accounts create EMAIL` makes one.")


@keys_app.command("create")
def keys_create(
    email: EmailArg,
    name: Annotated[str, typer.Option(help="A label to tell your keys apart.")] = "agent key",
) -> None:
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
def keys_list(email: EmailArg) -> None:
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
def keys_revoke(
    key_id: Annotated[
        str,
        typer.Argument(help="The key's id (key_..., from `fvs keys list`).", show_default=False),
    ],
) -> None:
    """Revoke a key; its next request gets 401."""
    _run(lambda session, _s: keys.revoke_key(session, key_id=key_id))
    console.print(f"revoked {key_id}")


@credits_app.command("grant")
def credits_grant(
    email: EmailArg,
    amount: Annotated[int, typer.Argument(help="Credits to add.", show_default=False)],
) -> None:
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


@credits_app.command("balance")
def credits_balance(email: EmailArg) -> None:
    """Credits available to spend, held by unfinished renders, and posted (the balance)."""

    def balance(session: Any, _studio: Studio) -> str:
        account = accounts.get_by_email(session, email)
        wallet = billing.wallet_balance(session, account_id=account.id)
        return (
            f"{account.email}: {wallet.available} available, "
            f"{wallet.debits_pending} held, {wallet.balance} balance"
        )

    print(_run(balance))


@ledger_app.command("check")
def ledger_check(
    database_url: Annotated[
        str | None,
        typer.Option(help="The database to audit (default: this studio's).", show_default=False),
    ] = None,
) -> None:
    """Audit the ledger read-only: print every breach and exit 1, or one line and exit 0."""
    url = database_url or Settings().resolved_database_url
    try:
        report = ledger_audit.audit_database(url)
    except SQLAlchemyError as exc:
        # A missing file, a refused connection or an unmigrated schema: one plain line.
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        _fail(f"cannot read the ledger: {reason}", code=1)
    if report.ok:
        print(report.summary())
        return
    for breach in report.breaches:
        print(breach)
    _fail(f"{len(report.breaches)} ledger breaches", code=1)


BaseUrlOption = Annotated[
    str, typer.Option(envvar="FVS_BASE_URL", help="The running studio (`fvs serve`).")
]
KeyOption = Annotated[
    str | None,
    typer.Option(
        envvar="FVS_AGENT_KEY",
        help="Your managed agent key (from /settings or `fvs keys create`).",
        show_default=False,
    ),
]


@app.command("render")
def render_cmd(
    request_file: Annotated[
        Path,
        typer.Argument(
            help="The request body as the agent API takes it: a JSON object, e.g. "
            '{"screenplay": "...", "shot_count": 2}.',
            show_default=False,
        ),
    ],
    base_url: BaseUrlOption = client.DEFAULT_BASE_URL,
    key: KeyOption = None,
    out: OutOption = None,
    file: Annotated[
        list[str] | None,
        typer.Option(
            "--file",
            metavar="PART=PATH",
            help="Attach a file as the upload part PART, e.g. reference_image=./mara.png "
            "(repeat for more files).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Submit a request body to a running studio, show progress, download the result."""
    if not key:
        _fail("pass --key or set FVS_AGENT_KEY", code=2)
    try:
        request = inputs.load_request(request_file)
        files = [inputs.upload_part(value) for value in file or ()]
    except client.BadInput as exc:
        _fail(str(exc), code=2)
    _render_and_report(base_url=base_url, key=key, request=request, out=out, files=files)


def _render_and_report(
    *,
    base_url: str,
    key: str,
    request: dict[str, Any],
    out: Path | None,
    files: list[tuple[str, Path]] | None = None,
) -> None:
    try:
        # Uploads of big reference files get a generous request timeout.
        with client.Studio(base_url, key, timeout=300) as studio:
            path = render_to_file(studio, request, out=out, console=console, files=files or ())
    except client.RenderFailed as exc:
        err.print(f"[red]render failed:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from None
    except client.StudioUnreachable as exc:
        _fail(f"{exc}; start it with `fvs serve`, or pass --base-url", code=1)
    except client.ClientError as exc:
        _fail(str(exc), code=1)
    console.print("Video ready:")
    print(path.resolve())


@app.command("mcp")
def mcp_cmd(
    base_url: BaseUrlOption = client.DEFAULT_BASE_URL,
    key: KeyOption = None,
) -> None:
    """Serve the studio's MCP tools over stdio, for an agent on this machine."""
    if not key:
        _fail("set FVS_AGENT_KEY (or pass --key): the MCP server acts with that key", code=2)
    anyio.run(functools.partial(serve_stdio, base_url=base_url, key=key))


@app.command()
def demo(
    out: OutOption = None,
) -> None:
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
