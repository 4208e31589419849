"""The parameter store: append-only versions in a database, read "at an instant".

Stored versions are never updated in place. A correction is a new version that supersedes the
old one; a withdrawal is a new record that supersedes it and carries no values in force. Readers
work on an immutable in-memory snapshot, rebuilt whenever the database holds a newer record, so
every process sharing the database sees a publication at its next calculation.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import sqlite3
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from rates import audit
from rates.audit import audit_target, audit_view
from rates.families import FAMILIES
from rates.interface import NotConfigured as NotConfigured  # re-exported: calc's interface, defined there
from rates.interface import Resolved as Resolved
from rates.model import NATIONAL, Region, Version
from rates.months import Month

# The tables, re-exported: callers (the service, migrations, tests) have always found them here.
from rates.rows import Base as Base
from rates.rows import RegionRow as RegionRow
from rates.rows import VersionRow as VersionRow
from rates.rows import active_rows as active_rows
from rates.rows import check_years, first_day
from rates.rows import row_to_version as row_to_version
from rates.rows import same_content as same_content
from rates.rows import version_to_row as version_to_row


class Snapshot:
    """Every stored version at one revision of the database; pure reads, safe to share."""

    def __init__(self, regions: dict[str, Region], versions: Sequence[Version], revision: int):
        self.regions = regions
        self.revision = revision
        self.all_versions = sorted(versions, key=lambda v: (v.region, v.family, v.effective_from, v.id or 0))
        superseded = {v.supersedes for v in versions if v.supersedes is not None}
        self._superseded = frozenset(superseded)
        self._active: dict[tuple[str, str], list[Version]] = {}
        for version in self.all_versions:
            if version.id not in superseded and not version.withdrawn:
                self._active.setdefault((version.region, version.family), []).append(version)
        # The snapshot never changes, so its resolutions can be remembered (bounded: any month may be asked;
        # every entry is objects the garbage collector walks). Every month of an answer asks it a few times:
        # the load benchmark's varied mix asks some 7,000 different resolutions, and a smaller bound than
        # that made the engine resolve anew most of the time (2.5 x the time of a calculation).
        self._changes: dict[tuple[str, str, str | None], tuple[int, ...]] = {}  # see _steady_before
        self.at = functools.lru_cache(maxsize=16384)(self._resolve)  # type: ignore[method-assign]

    def chain(self, region: str) -> list[str]:
        """The region and its ancestors, nearest first, ending at the national level."""
        codes: list[str] = []
        code: str | None = region
        while code is not None and code not in codes:
            codes.append(code)
            code = self.regions[code].parent if code in self.regions else None
        if NATIONAL not in codes:
            codes.append(NATIONAL)
        return codes

    def active(self, region: str, family: str) -> list[Version]:
        return self._active.get((region, family), [])

    def at(self, region: str, family: str, month: Month, scheme: str | None = None) -> Resolved:
        """The version of ``family`` in force for ``region`` in ``month`` (nearest level wins)."""
        return self._resolve(region, family, month, scheme)

    def _resolve(self, region: str, family: str, month: Month, scheme: str | None = None) -> Resolved:
        for level in self.chain(region):
            versions = self.active(level, family)
            candidates = [v for v in versions if v.in_force(month, scheme)]
            if not candidates:
                continue
            chosen = max(candidates, key=lambda v: (v.effective_for(scheme), v.effective_from))
            provisional = (
                FAMILIES[family].yearly
                and chosen.contribution_year is not None
                and chosen.contribution_year < month.year
                and not any((v.contribution_year or 0) >= month.year for v in versions)
            )
            declared = provisional and next(
                (r for r in chosen.references if r.carries_over is not None and r.carries_over <= month), None
            )
            return Resolved(
                chosen, level, provisional, declared or None, self._steady_before(region, family, month, scheme)
            )
        raise NotConfigured(region, family, month)

    def _steady_before(self, region: str, family: str, month: Month, scheme: str | None) -> int:
        """The index of the first month after ``month`` in which ``at`` may find otherwise: the next start, end or
        carry-over of a version of the family at any level of the region, or the next year for a yearly family
        (whether a month is provisional depends on its year)."""
        changes = self._changes.get((region, family, scheme))
        if changes is None:
            found: set[int] = set()
            for level in self.chain(region):
                for version in self.active(level, family):
                    found.add(version.effective_for(scheme).index())
                    if version.effective_to is not None:
                        found.add(version.effective_to.index() + 1)
                    found.update(r.carries_over.index() for r in version.references if r.carries_over is not None)
            changes = self._changes[(region, family, scheme)] = tuple(sorted(found))
        index = month.index()
        after = bisect.bisect_right(changes, index)
        steady = changes[after] if after < len(changes) else sys.maxsize
        return min(steady, (month.year + 1) * 12) if FAMILIES[family].yearly else steady

    def history(self, region: str) -> list[Version]:
        """Every record, superseded and withdrawn ones included, of the region and its ancestors."""
        levels = set(self.chain(region))
        return [v for v in self.all_versions if v.region in levels]

    def is_superseded(self, version: Version) -> bool:
        return version.id is not None and version.id in self._superseded

    def with_versions(self, extra: Sequence[Version]) -> Snapshot:
        """This snapshot plus unsaved versions, numbered after the revision: a preview of a publication."""
        added = [dataclasses.replace(v, id=self.revision + i) for i, v in enumerate(extra, start=1)]
        return Snapshot(self.regions, [*self.all_versions, *added], self.revision)


@dataclass
class LoadReport:
    inserted: int = 0
    superseded: int = 0
    unchanged: int = 0


# Plain SQL through the pool's DBAPI connection: a third of the cost of a Core statement, and this
# runs before every calculation.
_REVISION = "SELECT (SELECT coalesce(max(id), 0) FROM parameter_version), (SELECT count(*) FROM region)"


def _chains(versions: Iterable[Version]) -> list[tuple[Version, list[Version]]]:
    """Each version with the earlier records of the same region, family and month listed before it."""
    chains: dict[tuple[str, str, Month], list[Version]] = {}
    for version in versions:
        chains.setdefault((version.region, version.family, version.effective_from), []).append(version)
    return [(chain[-1], chain[:-1]) for chain in chains.values()]


class CommitWatch:
    """Whether anything was committed to an SQLite file since this thread last asked, for a few microseconds.

    SQLite's ``PRAGMA data_version`` changes when another connection (of any process) commits; it is
    read on a connection of the thread's own that never writes. It stands in front of the revision
    query, which costs a pool checkout and two sub-selects: most requests find nothing committed.
    Only for a database file: an in-memory database is private to its one connection.
    """

    def __init__(self, path: str):
        self.path = path
        self._local = threading.local()

    @classmethod
    def for_engine(cls, engine: Engine) -> CommitWatch | None:
        url = engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:") or url.query:
            return None
        return cls(url.database)

    def version(self) -> int | None:
        """The file's data_version as this thread's own connection reads it now (None: cannot tell)."""
        local = self._local
        try:
            if getattr(local, "connection", None) is None:
                uri = Path(self.path).resolve().as_uri() + "?mode=ro"  # read only: it never writes
                local.connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            (version,) = local.connection.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error:
            local.connection = None
            return None
        return int(version)

    def still(self, newest: object, version: int | None) -> bool:
        """Whether ``newest`` is what this thread last found newest, and nothing was committed since."""
        local = self._local
        return (
            newest is not None
            and version is not None
            and getattr(local, "newest", None) is newest
            and local.version == version
        )

    def remember(self, newest: object, version: int | None) -> None:
        """``newest`` was read after the file was at ``version`` (read first, so a commit in between is seen)."""
        self._local.newest, self._local.version = newest, version


class ParameterStore:
    """Database-backed store with a snapshot cache refreshed on every new revision."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()
        self._watch = CommitWatch.for_engine(engine)

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)

    def revision(self) -> tuple[int, int]:
        """(newest version id, number of regions): asked before every calculation, so kept cheap."""
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(_REVISION)
            row = cursor.fetchone()
            assert row is not None  # two sub-selects of aggregates: always one row
            newest, regions = row
            cursor.close()
        finally:
            connection.close()  # back to the pool, which rolls the read transaction back
        return int(newest), int(regions)

    def snapshot(self) -> Snapshot:
        """The newest snapshot: rebuilt when the database holds a newer record than the one kept."""
        watch = self._watch
        if watch is None:
            return self._newest()
        version, current = watch.version(), self._snapshot
        if current is not None and watch.still(current, version):
            return current  # nothing committed since this thread checked it
        newest = self._newest()
        watch.remember(newest, version)
        return newest

    def _newest(self) -> Snapshot:
        revision = self.revision()
        current = self._snapshot
        if current is not None and (current.revision, len(current.regions)) == revision:
            return current
        with self._lock:
            with Session(self.engine) as session:
                regions = {r.code: Region(r.code, r.name, r.parent) for r in session.scalars(select(RegionRow))}
                versions = [row_to_version(r) for r in session.scalars(select(VersionRow))]
            snapshot = Snapshot(regions, versions, max((v.id or 0 for v in versions), default=0))
            self._snapshot = snapshot
            return snapshot

    def is_empty(self) -> bool:
        return self.revision() == (0, 0)

    def load(
        self,
        regions: dict[str, Region],
        versions: Iterable[Version],
        recorded_by: str = "bundled files",
        audited: bool = False,
    ) -> LoadReport:
        """Store files' versions in one transaction; loading the same content twice changes nothing.

        ``audited``: each stored version also gets an audit entry ("import") in the same transaction
        (the command line's loads; the first seeding of an empty database is not an administrator's act).
        """
        report = LoadReport()
        with Session(self.engine) as session, session.begin():
            known = {r.code: r for r in session.scalars(select(RegionRow))}
            for region in regions.values():
                if region.code not in known:
                    session.add(RegionRow(code=region.code, name=region.name, parent=region.parent))
            session.flush()
            active = active_rows(session)
            touched: set[tuple[str, str]] = set()
            for version, earlier in _chains(versions):
                touched.add((version.region, version.family))
                key = (version.region, version.family, first_day(version.effective_from))
                current = active.get(key)
                if current is not None and same_content(current, version):
                    report.unchanged += 1 + len(earlier)
                    continue
                # A tree's superseded records (rates.loader.parse_superseded): each is recorded once,
                # as a correction of what is in force, before the version that corrects it in turn.
                same_month = select(VersionRow).filter_by(region=key[0], family=key[1], effective_from=key[2])
                recorded = list(session.scalars(same_month)) if earlier else []
                for old in earlier:
                    if any(same_content(r, old) for r in recorded):
                        report.unchanged += 1
                    else:
                        current = self._record(session, old, current, recorded_by, audited, report)
                self._record(session, version, current, recorded_by, audited, report)
            session.flush()
            check_years(session, touched)  # as publishing does: a file may break the order the store keeps
        return report

    @staticmethod
    def _record(
        session: Session,
        version: Version,
        current: VersionRow | None,
        recorded_by: str,
        audited: bool,
        report: LoadReport,
    ) -> VersionRow:
        """Add ``version`` as new or as the correction of ``current``; the row added."""
        row = version_to_row(version, recorded_by, supersedes=current.id if current else None)
        session.add(row)
        session.flush()  # the new row's id: a later record of the same month may correct it
        if current is None:
            report.inserted += 1
        else:
            report.superseded += 1
        if audited:
            before = audit_view(row_to_version(current)) if current is not None else None
            audit.record(session, recorded_by, "import", audit_target(version), before, audit_view(row_to_version(row)))
        return row
