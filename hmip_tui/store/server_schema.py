"""The team server's schema on PostgreSQL: tables from store/tables.py, and the rules only the
database can hold whoever connects (docs/team-server.md).

- Each inspector logs in with a role of their own (`hmip server add`), mapped to their code in
  `hmip.login`; row-level security asks `hmip.current_code()` who is asking.
- Entries, batches and texts are append-only: the inspectors' group role may insert and read,
  never update or delete, and triggers refuse both even to an administrator's mistake.
- An inspector's login inserts only entries and batches of its own code; a lead's may relay
  anyone's (and the entries of unsigned or older histories, which have no author). Only a lead's
  login changes the team and the list of limited-access cases and their readers.
- The notes and reasons of a limited-access case reach only the roles that may open it: its
  own inspector and those the lead assigned (the lead too only when assigned, as on a laptop).
- The analysts' role reads two views only: answers as they stand, and their counts.

Only the server commands import this module (it imports sqlmodel, SQLAlchemy and psycopg).
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from ..errors import HmipError

INSPECTORS_ROLE = "hmip_inspector"
ANALYSTS_ROLE = "hmip_analyst"
LOGIN_PREFIX = "hmip_"
_SCHEME = re.compile(r"^postgres(ql)?(\+psycopg)?://")


def is_server_url(target: str) -> bool:
    return bool(_SCHEME.match(target))


def where(url: str) -> str:
    """The server as it may be printed: host, port and database, never the login or password."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    try:
        port = parts.port or 5432
    except ValueError:  # a port that is not a number: libpq refuses it, in its own words
        port = "?"
    return f"{host}:{port} database {parts.path.lstrip('/') or 'postgres'}"


def connect(url: str):
    """A psycopg connection; a refusal becomes one sentence that never quotes the password."""
    import psycopg

    _require_url(url)
    try:
        return psycopg.connect(_SCHEME.sub("postgresql://", url), connect_timeout=15)
    except psycopg.Error as exc:
        raise HmipError(f"cannot connect to the team server at {where(url)}: {said(exc, url)}") from None


def _require_url(url: str) -> None:
    if not is_server_url(url):
        raise HmipError("a team server is given as a URL: postgresql://LOGIN:PASSWORD@HOST:PORT/DATABASE"
                        "?sslmode=verify-full")


def said(exc: Exception, url: str = "") -> str:
    """The first line of a driver's message, with anything of the URL's secret taken out."""
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    parts = urlsplit(url) if url else None
    password = parts.password if parts else None
    # A password of a few letters would blot out words of the message: libpq never quotes one.
    if password and len(password) >= 6:
        text = text.replace(password, "***")
    # libpq names the login ("password authentication failed for user ..."): the docs promise
    # never to print a URL's login, so it is said as "the URL's login".
    login = unquote(parts.username) if parts and parts.username else None
    return text.replace(f'user "{login}"', "the URL's login").replace(login, "the URL's login") \
        if login and len(login) >= 3 else text


def login_name(code: str, database: str) -> str:
    """The PostgreSQL login of an inspector code in this database. Roles belong to the whole
    cluster, and one cluster may hold several teams' stores (with an LF each): the database's
    name (its first 20 characters) keeps their logins apart. Codes are letters, digits, `.`,
    `_`, `-` (at most 32), so a name is at most 58 characters (PostgreSQL allows 63); it is
    always quoted as an identifier."""
    from ..identity import check_code

    return f"{LOGIN_PREFIX}{database[:20]}_{check_code(code)}"


_FUNCTIONS = """
CREATE OR REPLACE FUNCTION hmip.current_code() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, hmip AS
    $$ SELECT code FROM hmip.login WHERE login = session_user $$;
CREATE OR REPLACE FUNCTION hmip.is_member(uid text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, hmip AS
    $$ SELECT EXISTS (SELECT 1 FROM hmip.inspector i WHERE i.inspection = uid
                      AND i.code = hmip.current_code()) $$;
CREATE OR REPLACE FUNCTION hmip.is_lead(uid text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, hmip AS
    $$ SELECT EXISTS (SELECT 1 FROM hmip.inspector i WHERE i.inspection = uid
                      AND i.code = hmip.current_code() AND i.role = 'lead') $$;
CREATE OR REPLACE FUNCTION hmip.has_team(uid text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, hmip AS
    $$ SELECT EXISTS (SELECT 1 FROM hmip.inspector i WHERE i.inspection = uid) $$;
-- The inspections this login is on, and leads: policies call them as (SELECT ...), which
-- PostgreSQL evaluates once a statement, not once a row.
CREATE OR REPLACE FUNCTION hmip.my_inspections() RETURNS text[]
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, hmip AS
    $$ SELECT coalesce(array_agg(i.inspection), '{}') FROM hmip.inspector i WHERE i.code = hmip.current_code() $$;
CREATE OR REPLACE FUNCTION hmip.led_inspections() RETURNS text[]
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, hmip AS
    $$ SELECT coalesce(array_agg(i.inspection), '{}') FROM hmip.inspector i
       WHERE i.code = hmip.current_code() AND i.role = 'lead' $$;
CREATE OR REPLACE FUNCTION hmip.may_read_text(uid text, ref text, is_limited boolean) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, hmip AS
    $$ SELECT (
         hmip.is_member(uid) AND CASE
           WHEN EXISTS (SELECT 1 FROM hmip.limited_case l WHERE l.inspection = uid AND l.case_ref = ref)
             THEN hmip.current_code() = ANY (string_to_array(
                    (SELECT l.readers FROM hmip.limited_case l WHERE l.inspection = uid AND l.case_ref = ref), ','))
           ELSE NOT is_limited END) $$;
CREATE OR REPLACE FUNCTION hmip.append_only() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'the history is append-only (%)', TG_TABLE_NAME; END $$;
-- When a signed batch arrives (after its entries, in the same push): its entries are signed,
-- and the entries they replace are replaced. The analysts' views read only signed entries, so
-- a row inserted without a batch (no laptop pulls it) changes nothing they see.
CREATE OR REPLACE FUNCTION hmip.note_signed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, hmip AS
    $$ BEGIN
         INSERT INTO hmip.signed (inspection, id)
           SELECT b.inspection, substring(b.entries FROM j FOR 32)
           FROM arriving b, generate_series(1, length(b.entries), 32) AS j
           ON CONFLICT DO NOTHING;
         INSERT INTO hmip.replaced (inspection, id)
           SELECT e.inspection, substring(e.parents FROM i FOR 32)
           FROM arriving b
           CROSS JOIN LATERAL generate_series(1, length(b.entries), 32) AS j
           JOIN hmip.entry e ON e.inspection = b.inspection AND e.id = substring(b.entries FROM j FOR 32)
           CROSS JOIN LATERAL generate_series(1, length(e.parents), 32) AS i
           WHERE e.parents IS NOT NULL
           ON CONFLICT DO NOTHING;
         RETURN NULL;
       END $$;
DROP FUNCTION IF EXISTS hmip.note_replaced() CASCADE;
"""

_DERIVED = """
CREATE TABLE IF NOT EXISTS hmip.replaced (
    inspection text NOT NULL, id bytea NOT NULL, PRIMARY KEY (inspection, id));
CREATE TABLE IF NOT EXISTS hmip.signed (
    inspection text NOT NULL, id bytea NOT NULL, PRIMARY KEY (inspection, id));
CREATE INDEX IF NOT EXISTS entry_register ON hmip.entry (inspection, kind, case_ref, field)
"""

_TRIGGERS = """
DROP TRIGGER IF EXISTS entry_append_only ON hmip.entry;
CREATE TRIGGER entry_append_only BEFORE UPDATE OR DELETE ON hmip.entry
    FOR EACH ROW EXECUTE FUNCTION hmip.append_only();
DROP TRIGGER IF EXISTS batch_append_only ON hmip.batch;
CREATE TRIGGER batch_append_only BEFORE UPDATE OR DELETE ON hmip.batch
    FOR EACH ROW EXECUTE FUNCTION hmip.append_only();
DROP TRIGGER IF EXISTS text_append_only ON hmip.text;
CREATE TRIGGER text_append_only BEFORE UPDATE ON hmip.text
    FOR EACH ROW EXECUTE FUNCTION hmip.append_only();
DROP TRIGGER IF EXISTS batch_signs ON hmip.batch;
CREATE TRIGGER batch_signs AFTER INSERT ON hmip.batch REFERENCING NEW TABLE AS arriving
    FOR EACH STATEMENT EXECUTE FUNCTION hmip.note_signed()
"""

# Row-level security: every table the inspectors' role touches.
_POLICIES = """
ALTER TABLE hmip.inspection ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS members_read ON hmip.inspection;
CREATE POLICY members_read ON hmip.inspection FOR SELECT USING (hmip.is_member(uid));
DROP POLICY IF EXISTS anyone_founds ON hmip.inspection;
CREATE POLICY anyone_founds ON hmip.inspection FOR INSERT WITH CHECK (hmip.current_code() IS NOT NULL);

ALTER TABLE hmip.inspector ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS members_read ON hmip.inspector;
CREATE POLICY members_read ON hmip.inspector FOR SELECT USING (hmip.is_member(inspection));
DROP POLICY IF EXISTS lead_writes ON hmip.inspector;
CREATE POLICY lead_writes ON hmip.inspector FOR ALL USING (hmip.is_lead(inspection))
    WITH CHECK (hmip.is_lead(inspection) OR (NOT hmip.has_team(inspection)
                AND code = hmip.current_code() AND role = 'lead'));

ALTER TABLE hmip.limited_case ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS members_read ON hmip.limited_case;
CREATE POLICY members_read ON hmip.limited_case FOR SELECT USING (hmip.is_member(inspection));
DROP POLICY IF EXISTS lead_writes ON hmip.limited_case;
CREATE POLICY lead_writes ON hmip.limited_case FOR ALL USING (hmip.is_lead(inspection))
    WITH CHECK (hmip.is_lead(inspection));

ALTER TABLE hmip.entry ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS members_read ON hmip.entry;
CREATE POLICY members_read ON hmip.entry FOR SELECT USING (inspection = ANY ((SELECT hmip.my_inspections())::text[]));
DROP POLICY IF EXISTS own_entries ON hmip.entry;
CREATE POLICY own_entries ON hmip.entry FOR INSERT WITH CHECK (
    inspection = ANY ((SELECT hmip.my_inspections())::text[])
    AND (author = (SELECT hmip.current_code()) OR inspection = ANY ((SELECT hmip.led_inspections())::text[])));

ALTER TABLE hmip.batch ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS members_read ON hmip.batch;
CREATE POLICY members_read ON hmip.batch FOR SELECT USING (inspection = ANY ((SELECT hmip.my_inspections())::text[]));
DROP POLICY IF EXISTS own_batches ON hmip.batch;
CREATE POLICY own_batches ON hmip.batch FOR INSERT WITH CHECK (
    inspection = ANY ((SELECT hmip.my_inspections())::text[])
    AND (signer = (SELECT hmip.current_code()) OR inspection = ANY ((SELECT hmip.led_inspections())::text[])));

ALTER TABLE hmip.text ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS who_may_open ON hmip.text;
CREATE POLICY who_may_open ON hmip.text FOR SELECT USING (hmip.may_read_text(inspection, case_ref, limited));
DROP POLICY IF EXISTS members_write ON hmip.text;
CREATE POLICY members_write ON hmip.text FOR INSERT WITH CHECK (inspection = ANY ((SELECT hmip.my_inspections())::text[]));

ALTER TABLE hmip.login ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS own_login ON hmip.login;
CREATE POLICY own_login ON hmip.login FOR SELECT USING (login = session_user)
"""

# The analysts' views (docs/team-server.md). Owned by the administrator, so they read every row;
# they leave out the notes of every limited-access case themselves.
_VIEWS = """
CREATE OR REPLACE VIEW hmip.answers_now AS
SELECT e.inspection, e.case_ref, e.field AS question, e.value, e.author AS answered_by,
       e.at AS answered_at,
       CASE WHEN l.case_ref IS NULL AND NOT coalesce(t.limited, false) THEN t.body END AS note,
       count(*) OVER (PARTITION BY e.inspection, e.case_ref, e.field) > 1 AS in_conflict
FROM hmip.entry e
LEFT JOIN hmip.limited_case l ON l.inspection = e.inspection AND l.case_ref = e.case_ref
LEFT JOIN hmip.text t ON t.inspection = e.inspection AND t.hash = e.note
WHERE e.kind = 'answer' AND e.value <> ''
  AND EXISTS (SELECT 1 FROM hmip.signed s WHERE s.inspection = e.inspection AND s.id = e.id)
  AND NOT EXISTS (SELECT 1 FROM hmip.replaced r WHERE r.inspection = e.inspection AND r.id = e.id);
COMMENT ON VIEW hmip.answers_now IS
  'Each answer as it stands (the heads of its register, two rows and in_conflict while a conflict is open), without the notes of limited-access cases';
CREATE OR REPLACE VIEW hmip.answer_counts AS
SELECT inspection, question, value, count(*) AS cases
FROM hmip.answers_now WHERE NOT in_conflict GROUP BY inspection, question, value;
COMMENT ON VIEW hmip.answer_counts IS
  'How many cases give each answer to each question, as they stand: the counts the ratings are made from (conflicts left out until settled)'
"""


def _statements(sql: str) -> list[str]:
    # Function bodies hold semicolons between $$: split on the semicolons outside them.
    out, current, quoted = [], [], False
    for part in re.split(r"(\$\$|;)", sql):
        if part == "$$":
            quoted = not quoted
        if part == ";" and not quoted:
            out.append("".join(current))
            current = []
        else:
            current.append(part)
    out.append("".join(current))
    return [s.strip() for s in out if s.strip()]


def _engine_url(url: str) -> str:
    return _SCHEME.sub("postgresql+psycopg://", url)


def init(url: str) -> None:
    """Create, or bring up to date, the team store in an existing database. Run twice, the second
    run changes nothing. One transaction, under an advisory lock, so two runs never interleave."""
    from psycopg import sql
    from sqlalchemy import create_engine, text

    from .tables import SERVER_SCHEMA, server_metadata

    _require_url(url)
    engine = create_engine(_engine_url(url), connect_args={"connect_timeout": 15})
    try:
        with engine.begin() as db:
            db.execute(text("SELECT pg_advisory_xact_lock(hashtext('hmip server init'))"))
            db.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SERVER_SCHEMA}"))
            server_metadata.create_all(db)
            raw = db.connection.driver_connection
            for role in (INSPECTORS_ROLE, ANALYSTS_ROLE):
                if not raw.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                    raw.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
            for block in (_DERIVED, _FUNCTIONS, _TRIGGERS, _POLICIES, _VIEWS):
                for statement in _statements(block):
                    raw.execute(statement)
            raw.execute(_GRANTS)
    except HmipError:
        raise
    except Exception as exc:  # SQLAlchemy wraps the driver's error
        cause = getattr(exc, "orig", None) or exc
        raise HmipError(f"the team server at {where(url)} refused to set up its store: {said(cause, url)}") from None
    finally:
        engine.dispose()


_GRANTS = f"""
REVOKE ALL ON ALL TABLES IN SCHEMA hmip FROM PUBLIC;
GRANT USAGE ON SCHEMA hmip TO {INSPECTORS_ROLE}, {ANALYSTS_ROLE};
GRANT SELECT, INSERT ON hmip.inspection, hmip.entry, hmip.batch, hmip.text TO {INSPECTORS_ROLE};
GRANT SELECT, INSERT, UPDATE, DELETE ON hmip.inspector, hmip.limited_case TO {INSPECTORS_ROLE};
GRANT SELECT ON hmip.login TO {INSPECTORS_ROLE};
GRANT SELECT ON hmip.answers_now, hmip.answer_counts TO {ANALYSTS_ROLE}
"""


def add(url: str, code: str, *, analyst: bool = False) -> str:
    """Make (or give a new password to) the login role of `code`, and return the URL that
    inspector's laptop syncs with. The URL holds the password: it is a secret."""
    from psycopg import sql

    password = secrets.token_urlsafe(24)
    group = ANALYSTS_ROLE if analyst else INSPECTORS_ROLE
    with connect(url) as conn:
        try:
            name = login_name(code, conn.execute("SELECT current_database()").fetchone()[0])
            if not conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = 'hmip'").fetchone():
                raise HmipError(f"the team server at {where(url)} has no team store yet: run hmip server init first")
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            conn.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(name), sql.Literal(password)))
            conn.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(group), sql.Identifier(name)))
            conn.execute("INSERT INTO hmip.login (login, code) VALUES (%s, %s) "
                         "ON CONFLICT (login) DO UPDATE SET code = EXCLUDED.code", (name, code))
        except HmipError:
            raise
        except Exception as exc:
            raise HmipError(f"the team server at {where(url)} refused to add {code}: {said(exc, url)}") from None
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{quote(name, safe='')}:{quote(password, safe='')}@" + (f"[{host}]" if ":" in host else host) \
        + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme.split("+")[0], netloc, parts.path, parts.query, ""))
