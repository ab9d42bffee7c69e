"""`store`: where a run's tables live: the run dir's SQLite file (the default), another SQLite file, or a
PostgreSQL database (`ida.store.db` connects; the URL is parsed and checked here, before any work)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from pydantic import Field, field_validator

from ida.config.section import Section
from ida.errors import IDAError

PG_SCHEMES = ("postgresql", "postgres")


class StoreConfig(Section):
    url: str | None = Field(None, description=(
        "The run's store: unset = <run dir>/ida.sqlite (the embedded default); sqlite:///path/file.sqlite; or "
        "postgresql://user@host:port/database[?schema=name] (one run per database or schema; the password comes "
        "from PGPASSWORD, ~/.pgpass or a libpq service file (PGSERVICE / ?service=), never from this URL)."))

    @field_validator("url")
    @classmethod
    def _parses(cls, url: str | None) -> str | None:
        if url is not None:
            try:
                StoreUrl.parse(url)
            except StoreError as err:
                raise ValueError(str(err).removeprefix("store.url ")) from None
        return url


class StoreError(IDAError):
    """A store URL that is malformed, a server that cannot be reached or refuses us, a schema newer than the code."""


@dataclass(frozen=True)
class StoreUrl:
    """A parsed `store.url`: a SQLite file or a PostgreSQL database (and schema)."""

    dialect: str  # "sqlite" | "postgresql"
    path: Path | None = None  # sqlite
    conninfo: str = ""  # postgresql: the URL without our own `schema` parameter
    schema: str | None = None
    shown: str = ""  # the URL as messages show it (no password)

    @classmethod
    def parse(cls, url: str | Path) -> StoreUrl:
        """A `StoreUrl`, or `StoreError` saying what is wrong with the URL."""
        if isinstance(url, Path) or "://" not in str(url):
            return cls("sqlite", Path(url), shown=str(url))
        text = str(url)
        parts = urlsplit(text)
        if parts.scheme == "sqlite":
            if not parts.path or parts.netloc:
                raise StoreError(f"store.url {text}: a SQLite URL is sqlite:///path/to/file.sqlite")
            return cls("sqlite", Path(unquote(parts.path)), shown=text)
        if parts.scheme not in PG_SCHEMES:
            raise StoreError(f"store.url {redact(text)}: unknown scheme {parts.scheme!r}; use sqlite:///path or "
                             "postgresql://user@host:port/database")
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            raise StoreError(f"store.url {redact(text)}: the port is not a number") from None
        if parts.password is not None:
            raise StoreError(f"store.url {redact(text)}: holds a password; put it in PGPASSWORD, ~/.pgpass or a libpq "
                             "service file (PGSERVICE), never in the run's config")
        query = dict(parse_qsl(parts.query))
        schema = query.pop("schema", None)
        if schema is not None and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
            raise StoreError(f"store.url {redact(text)}: schema {schema!r} must be lower-case letters, digits and _")
        if not parts.path.strip("/") and "service" not in query and "dbname" not in query:
            raise StoreError(f"store.url {redact(text)}: names no database (postgresql://user@host:port/database)")
        rest = "&".join(f"{k}={v}" for k, v in query.items())
        conninfo = parts._replace(query=rest, fragment="").geturl()
        return cls("postgresql", conninfo=conninfo, schema=schema, shown=redact(text))


def redact(url: str) -> str:
    """The URL with any password replaced by ***."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", str(url))


