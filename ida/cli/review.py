"""`ida users ...` and `ida review RUN_DIR`: accounts of the oversight app and starting it on loopback.

    ida users add NAME --role overseer|admin [--email E] [--password-stdin] [--run-dir runs]
    ida users list [--run-dir runs]
    ida review RUN_DIR [--port 8501]
    ida review --store postgresql://user@host:5432/db [--port 8501]     # a run from its store alone (any host)

Accounts live in `<runs root>/users.sqlite` (`--run-dir`, as for `ida run`), so `ida review runs/<id>` finds
them in `runs/users.sqlite`; `--users-db` names another file or a store URL. With `--store` the app needs no run
dir: it reads the run's config from the store (written to a folder of its own, with `store.url` set to the URL
given), and the accounts default to the same store. The app itself is `oversight_ui/app.py`; `ida` only finds its
path and starts `streamlit run` (it never imports streamlit).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from ida.store import Store
from ida.accounts.users import ROLES, UserError, Users, default_users_db

users_app = typer.Typer(add_completion=False, no_args_is_help=True, help="Accounts of the oversight app.")
console = Console(soft_wrap=True)  # paths in messages stay on one line

RunsRoot = Annotated[Path, typer.Option("--run-dir", help=(
    "Folder that holds the runs; accounts go in its users.sqlite."))]
UsersDb = Annotated[Optional[str], typer.Option("--users-db", help=(
    "The accounts file or store URL (default: RUN_DIR's parent / users.sqlite; with --store, that store)."))]


@contextmanager
def _accounts(path: str | Path) -> Iterator[tuple[Store, Users]]:
    """The accounts store at `path`, closed after; a `UserError` (unknown account, weak password, ...) is one red
    line and exit 2."""
    store = Store(path)
    try:
        yield store, Users(store)
    except UserError as err:
        console.print(f"[red]{err}[/red]")
        raise typer.Exit(2) from None
    finally:
        store.close()


def _users_store(users_db: str | None, runs_root: Path) -> str | Path:
    """Where the accounts are: a store URL as given, else a file (`runs_root/users.sqlite` by default)."""
    if users_db is not None and "://" in users_db:
        return users_db
    return Path(users_db) if users_db else default_users_db(runs_root)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="Login name (letters, digits, _.@+-).")],
    role: Annotated[str, typer.Option("--role", help=f"One of: {', '.join(ROLES)}.")] = "overseer",
    email: Annotated[Optional[str], typer.Option("--email", help=(
        "E-mail for an OIDC login (when the app has [auth])."))] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help=(
        "Read the password from stdin (scripts)."))] = False,
    no_password: Annotated[bool, typer.Option("--no-password", help="An OIDC-only account (needs --email).")] = False,
    run_dir: RunsRoot = Path("runs"),
    users_db: UsersDb = None,
) -> None:
    """Create an account; the password is asked twice (hidden) and stored as a salted scrypt hash."""
    if no_password:
        password = None
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    path = _users_store(users_db, run_dir)
    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    with _accounts(path) as (_, users):
        user = users.add(name, role, password, email)
    console.print(f"added {user.role} [bold]{user.name}[/bold] to {path}")


@users_app.command("passwd")
def users_passwd(
    name: Annotated[str, typer.Argument(help="The account.")],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help=(
        "Read the new password from stdin (scripts)."))] = False,
    run_dir: RunsRoot = Path("runs"),
    users_db: UsersDb = None,
) -> None:
    """Set a new password; every open session of the account in the app ends at once."""
    path = users_db or default_users_db(run_dir)
    if not path.exists():
        console.print(f"[red]no accounts in {path}[/red]")
        raise typer.Exit(2)
    password = (sys.stdin.readline().rstrip("\n") if password_stdin
                else typer.prompt("New password", hide_input=True, confirmation_prompt=True))
    with _accounts(path) as (store, users):
        users.set_password(name, password, audit=store, run_id=None, by="cli")
    console.print(f"new password for [bold]{name}[/bold]; their app sessions are revoked")


@users_app.command("list")
def users_list(run_dir: RunsRoot = Path("runs"), users_db: UsersDb = None) -> None:
    """Show the accounts (never their hashes)."""
    path = _users_store(users_db, run_dir)
    if isinstance(path, Path) and not path.exists():
        console.print(f"no accounts yet ({path} does not exist)")
        return
    store = Store(path)
    try:
        users = Users(store).list()
    finally:
        store.close()
    table = Table("name", "role", "e-mail")
    for u in users:
        table.add_row(u.name, u.role, u.email or "")
    console.print(table)


def review(
    run_dir: Annotated[Optional[Path], typer.Argument(help="The run's folder (not needed with --store).")] = None,
    port: Annotated[int, typer.Option("--port", help="Loopback port of the app.")] = 8501,
    users_db: UsersDb = None,
    store: Annotated[Optional[str], typer.Option("--store", help=(
        "Serve the run held by this store URL (postgresql://user@host:port/db[?schema=name]) without its run "
        "dir; the password from PGPASSWORD or a libpq service file."))] = None,
) -> None:
    """Start the oversight app for a run on http://127.0.0.1:PORT (log in with an `ida users` account)."""
    if store is not None:
        run_dir = _store_view(store)
        users: str | Path = users_db if users_db is not None else store
    elif run_dir is None:
        console.print("[red]give the run's folder (ida review RUN_DIR) or its store (ida review --store URL)[/red]")
        raise typer.Exit(2)
    else:
        run_dir = run_dir.resolve()
        from ida.run import run_file

        # a RunDirError: one line, exit 2 (ida.cli.errors); a run on PostgreSQL has a config but no ida.sqlite
        run_file(run_dir, "config.yaml" if (run_dir / "config.yaml").is_file() else "ida.sqlite")
        users = _users_store(users_db, run_dir.parent)
        if isinstance(users, Path):
            users = users.resolve()
    if isinstance(users, Path) and not users.exists():
        console.print(f"[red]no accounts in {users}: first `ida users add NAME --role admin "
                      f"--run-dir {run_dir.parent}`[/red]")
        raise typer.Exit(2)
    spec = importlib.util.find_spec("oversight_ui")
    if spec is None or not spec.submodule_search_locations:
        console.print("[red]the oversight app is not installed: pip install -e '.[ui]'[/red]")
        raise typer.Exit(2)
    app_path = Path(list(spec.submodule_search_locations)[0]) / "app.py"
    argv = [sys.executable, "-m", "streamlit", "run", str(app_path), "--server.address=127.0.0.1",
            f"--server.port={port}", "--server.headless=true", "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none", "--client.toolbarMode=minimal"]
    env = {**os.environ, "IDA_RUN_DIR": str(run_dir), "IDA_USERS_DB": str(users)}  # a URL: no password in it
    console.print(f"oversight app for {run_dir.name}: http://127.0.0.1:{port}")
    sys.stdout.flush()
    os.execve(sys.executable, argv, env)  # the app replaces this process: stopping `ida review` stops it


def _store_view(url: str) -> Path:
    """A folder of this app process holding the run's config as stored, its `store.url` set to `url` (which may
    name the server differently from the host that started the run); StoreError/RunDirError: one line."""
    import tempfile

    import yaml

    from ida.config import StoreUrl, validate

    StoreUrl.parse(url)
    held = Store(url)
    try:
        row = held.run_row()
    finally:
        held.close()
    data = yaml.safe_load(row["config"]) or {}
    data["store"] = {**(data.get("store") or {}), "url": url}
    view = Path(tempfile.mkdtemp(prefix=f"ida-review-{row['id']}-"))
    (view / "config.yaml").write_text(yaml.safe_dump(validate(data).model_dump(mode="json"), sort_keys=False))
    return view
