"""The history and team tables, declared once as SQLModel classes.

The laptop's SQLite schema is made by migrations.py (a list of steps, never `create_all`), and
tests/test_tables.py proves it matches the `Laptop*` classes column for column. The team
server's tables (store/server_schema.py) are made from the same field declarations, with the
inspection they belong to added, since one server holds many inspections.

Importing this module imports sqlmodel (about 0.3 s and 50 MB): only the server commands and
the tests do; the hot paths (answer, rate, bundle import, the app) use prebuilt SQL statements.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Identity, Integer, LargeBinary, MetaData, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel


def _text(**kw):
    return Field(sa_type=Text, **kw)


def _blob(**kw):
    return Field(sa_type=LargeBinary, **kw)


# --- the fields, shared by the laptop's tables and the server's -------------------------------


class EntryFields(SQLModel):
    """A signed history entry as its author made it (docs/formats.md: an entry)."""

    id: bytes = _blob(nullable=False)
    kind: str = _text(nullable=False)
    case_ref: str = _text(nullable=False, default="")
    field: str = _text(nullable=False, default="")
    value: str = _text(nullable=False, default="")
    note: bytes | None = _blob(nullable=True, default=None)
    reason: bytes | None = _blob(nullable=True, default=None)
    author: str = _text(nullable=False)
    at: str = _text(nullable=False)
    parents: bytes | None = _blob(nullable=True, default=None)
    flags: str = _text(nullable=False, default="")


class BatchFields(SQLModel):
    """A signature by one inspector over the ids of a batch of entries, kept as received."""

    digest: bytes = _blob(nullable=False)
    signer: str = _text(nullable=False)
    key: bytes = _blob(nullable=False)
    signature: bytes = _blob(nullable=False)
    entries: bytes = _blob(nullable=False)


class TextFields(SQLModel):
    """An evidence note, reason or judgement evidence, known by its salted hash."""

    hash: bytes = _blob(primary_key=True)
    salt: bytes = _blob(nullable=False)
    body: str = _text(nullable=False)


class InspectorFields(SQLModel):
    """A member of the team and their role."""

    code: str = _text(primary_key=True)
    role: str = _text(nullable=False)


# --- the laptop's SQLite tables (made by migrations.py; test_tables.py compares) -------------

class LaptopBase(SQLModel, registry=registry()):
    pass


laptop_metadata = LaptopBase.metadata


class LaptopEntry(EntryFields, LaptopBase, table=True):
    __tablename__ = "entry"
    seq: int | None = Field(default=None, sa_type=Integer, primary_key=True)
    k: int = Field(sa_type=Integer, nullable=False, unique=True)
    batch: int | None = Field(default=None, sa_type=Integer, nullable=True)


class LaptopBatch(BatchFields, LaptopBase, table=True):
    __tablename__ = "batch"
    digest: bytes = _blob(nullable=False, unique=True)
    seq: int | None = Field(default=None, sa_type=Integer, primary_key=True)
    received_at: str = _text(nullable=False)
    via_lead: int = Field(default=0, sa_type=Integer, nullable=False)


class LaptopText(TextFields, LaptopBase, table=True):
    __tablename__ = "text"


class LaptopInspector(InspectorFields, LaptopBase, table=True):
    __tablename__ = "inspector"


class LaptopSigner(LaptopBase, table=True):
    """The key this laptop expects from each inspector code, pinned on first sight."""

    __tablename__ = "signer"
    code: str = _text(primary_key=True)
    key: bytes = _blob(nullable=False)
    pinned_at: str = _text(nullable=False)
    source: str | None = _text(nullable=True, default=None)


# --- the team server's tables, in the PostgreSQL schema `hmip` -------------------------------

SERVER_SCHEMA = "hmip"
class ServerBase(SQLModel, registry=registry(metadata=MetaData(schema=SERVER_SCHEMA))):
    pass


server_metadata = ServerBase.metadata


class ServerInspection(ServerBase, table=True):
    """Each inspection the server holds: what a joining laptop needs to read its history."""

    __tablename__ = "inspection"
    uid: str = _text(primary_key=True)
    pdu: str = _text(nullable=False)
    framework_id: str = _text(nullable=False)
    framework_version: str = _text(nullable=False)


class ServerEntry(EntryFields, ServerBase, table=True):
    __tablename__ = "entry"
    inspection: str = Field(sa_type=Text, primary_key=True, foreign_key="hmip.inspection.uid")
    id: bytes = _blob(primary_key=True)
    # The order the server received entries in: parents always first, as on a laptop.
    seq: int = Field(sa_type=BigInteger, sa_column_kwargs={"server_default": Identity()}, nullable=False,
                     unique=True, default=None)


class ServerBatch(BatchFields, ServerBase, table=True):
    __tablename__ = "batch"
    inspection: str = Field(sa_type=Text, primary_key=True, foreign_key="hmip.inspection.uid")
    digest: bytes = _blob(primary_key=True)
    seq: int = Field(sa_type=BigInteger, sa_column_kwargs={"server_default": Identity()}, nullable=False,
                     unique=True, default=None)


class ServerText(TextFields, ServerBase, table=True):
    __tablename__ = "text"
    inspection: str = Field(sa_type=Text, primary_key=True, foreign_key="hmip.inspection.uid")
    hash: bytes = _blob(primary_key=True)
    # The case the text belongs to, and whether the laptop that sent it held that case as of
    # limited access: row-level security reads both.
    case_ref: str = _text(nullable=False, default="")
    limited: bool = Field(sa_type=Boolean, nullable=False, default=False)


class ServerInspector(InspectorFields, ServerBase, table=True):
    """The team as the lead's laptop holds it: only the lead's login writes it."""

    __tablename__ = "inspector"
    inspection: str = Field(sa_type=Text, primary_key=True, foreign_key="hmip.inspection.uid")
    code: str = _text(primary_key=True)


class ServerLimitedCase(ServerBase, table=True):
    """Each limited-access case and the codes that may open it, as the lead's laptop holds it."""

    __tablename__ = "limited_case"
    inspection: str = Field(sa_type=Text, primary_key=True, foreign_key="hmip.inspection.uid")
    case_ref: str = _text(primary_key=True)
    readers: str = _text(nullable=False, default="")  # codes, comma-separated


class ServerLogin(ServerBase, table=True):
    """Which PostgreSQL login role is which inspector code (written by `hmip server add`)."""

    __tablename__ = "login"
    login: str = _text(primary_key=True)
    code: str = _text(nullable=False)
