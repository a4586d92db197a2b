"""Where a pull's issues go: the pulled file, its resume state, and ``--since`` merges.

The pulled file is one JSON object: a ``calibrate_pull`` header (source,
format version, when the pull started, the tracker's address, the project
and query) followed by the source's own payload, the API's objects as the
tracker returned them (``{"issues": [...]}`` for Jira and GitLab), so that
the source's reader reads it as it reads a saved API response. It is
written whole or not at all (:func:`calibrate.io._atomic.atomic_path`).

While a download runs, every finished issue, and the position after every
finished page, is appended to a sidecar ``<out>.partial`` (JSON lines: the
header, then ``{"record": ...}`` and ``{"cursor": ...}`` lines, flushed as
they are written). ``--resume`` reads it back: the listing continues after
the last finished page and an issue already stored is not fetched again. A
line cut short by a killed run is ignored. The sidecar is removed when the
file is written.

``--since`` reads the previous pull at ``out``, fetches the issues updated
since its ``pulled_at`` (less :data:`SINCE_MARGIN`, for the clock of the
tracker and ours to differ), and replaces those records, by id, in the
previous file's list; new issues are added at the end.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calibrate.errors import InputError, Problem
from calibrate.io._atomic import atomic_path, output_error
from calibrate.pull._http import Progress, TrackerClient

__all__ = ["FORMAT_VERSION", "HEADER", "SINCE_MARGIN", "PullResult", "PullState",
           "merge_records", "partial_path", "read_pulled"]

#: The key of the header in a pulled file.
HEADER = "calibrate_pull"
#: Version of the pulled file's layout.
FORMAT_VERSION = 1
#: How far before the previous pull's start ``--since`` asks from.
SINCE_MARGIN = dt.timedelta(hours=1)
#: Header fields that must agree for ``--since`` and ``--resume``.
_SAME = ("source", "base_url", "project", "query")


@dataclass(frozen=True)
class PullResult:
    """What a pull did.

    Attributes
    ----------
    path : Path
        The file written.
    issues : int
        Issues in the file.
    requests : int
        HTTP requests sent (retries included).
    pauses : int
        Rate-limit pauses and back-offs waited.
    since : str or None
        With ``--since``: the ``pulled_at`` of the previous pull it updated.
    fetched : int
        Issues fetched by this run (with ``--since``: the updated ones; with
        ``--resume``: those the interrupted run had not stored).
    """

    path: Path
    issues: int
    requests: int
    pauses: int
    since: str | None = None
    fetched: int = 0

    def summary(self) -> str:
        """One line for the terminal.

        Examples
        --------
        >>> from pathlib import Path
        >>> from calibrate.pull._store import PullResult
        >>> PullResult(Path("history.json"), 120, 9, 1).summary()
        'wrote history.json: 120 issues (9 requests, 1 pause)'
        """
        pauses = f"{self.pauses} pause{'' if self.pauses == 1 else 's'}"
        what = f"{self.issues} issues"
        if self.since is not None:
            what += f", {self.fetched} updated since {self.since}"
        return f"wrote {self.path}: {what} ({self.requests} requests, {pauses})"


def partial_path(out: str | Path) -> Path:
    """The resume state of a download to ``out``: ``<out>.partial``."""
    out = Path(out)
    return out.with_name(out.name + ".partial")


def read_pulled(path: str | Path) -> tuple[dict, dict]:
    """A pulled file's header and payload.

    Raises
    ------
    InputError
        If the file is missing, not JSON, or not written by ``calibrate pull``.
    """
    path = Path(path)
    try:
        with path.open(encoding="utf-8") as handle:
            data = json.load(handle)
    except FileNotFoundError:
        raise InputError(f"no previous pull at {path}: --since updates an earlier pull's file",
                         hint="Run the same command without --since first.") from None
    except (OSError, ValueError) as error:
        raise InputError(f"{path} cannot be read as a pulled file: {error}",
                         hint="Pull again without --since to write it anew.") from None
    header = data.get(HEADER) if isinstance(data, dict) else None
    if not isinstance(header, dict):
        raise InputError(f"{path} was not written by `calibrate pull` (no {HEADER!r} header)",
                         hint="--since updates a file written by `calibrate pull`; pull "
                              "without --since to write it.")
    payload = {key: value for key, value in data.items() if key != HEADER}
    return header, payload


def merge_records(previous: Iterable[dict], fresh: Iterable[dict],
                  key: Callable[[dict], Hashable]) -> list[dict]:
    """``previous`` with every record of ``fresh`` in place of the one with
    the same key; records new to it added at the end, in their order.

    Examples
    --------
    >>> from calibrate.pull._store import merge_records
    >>> merge_records([{"id": 1, "v": "a"}, {"id": 2, "v": "b"}],
    ...               [{"id": 2, "v": "B"}, {"id": 3, "v": "c"}], key=lambda r: r["id"])
    [{'id': 1, 'v': 'a'}, {'id': 2, 'v': 'B'}, {'id': 3, 'v': 'c'}]
    """
    merged = {key(record): record for record in previous}
    for record in fresh:
        merged[key(record)] = record  # (a replaced key keeps its place)
    return list(merged.values())


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class PullState:
    """One download to ``out``: the issues stored so far, where the listing
    stands, the resume sidecar, and the previous pull a ``--since`` updates.

    A source module opens one, skips the listing to :attr:`cursor`, calls
    :meth:`add` for each finished issue (after its history is fetched) and
    :meth:`advance` after each finished page, then :meth:`finish`.

    Parameters
    ----------
    out : str or Path
        The pulled file to write.
    source : str
        ``"jira"``, ``"gitlab"``, ``"linear"`` or ``"github"``.
    base_url : str
        The tracker's address (no credentials in it).
    project : str or None
        The project, team or repository pulled.
    query : str, dict or None
        The query that chose the issues (JQL ...), as the user gave it, or
        the options that did (GitHub's points field and in-progress names).
        Stored in the header as JSON stores it (a tuple as a list), so that
        the header read back by ``--since`` and ``--resume`` compares equal.
    key : callable
        ``key(record)``: the issue's id in its tracker (the merge key).
    records_key : str
        The payload's key holding the list of records (``"issues"``).
    since : bool
        Update the previous pull at ``out`` with the issues changed since.
    resume : bool
        Continue the download the sidecar describes, if there is one.
    progress : callable, optional
        ``progress(line)``.

    Attributes
    ----------
    pulled_at : str
        When the download started (UTC, ISO 8601); a resumed download keeps
        the first start, so that a later ``--since`` misses nothing.
    since_time : datetime or None
        With ``since``: the time to ask for changes from (the previous
        ``pulled_at`` less :data:`SINCE_MARGIN`), UTC.
    cursor : object
        Where the listing continues (None: at the start); opaque to the store.
    """

    def __init__(self, out: str | Path, *, source: str, base_url: str, project: str | None,
                 query: str | dict | None, key: Callable[[dict], Hashable],
                 records_key: str = "issues", since: bool = False, resume: bool = False,
                 progress: Progress | None = None) -> None:
        self.out = Path(out)
        self.partial = partial_path(self.out)
        self.key = key
        self.records_key = records_key
        self.progress = progress or (lambda line: None)
        self.header: dict[str, Any] = {
            "source": source, "version": FORMAT_VERSION, "pulled_at": _now(),
            "base_url": base_url, "project": project,
            # (as it reads back: compared with the previous pull's and the sidecar's)
            "query": json.loads(json.dumps(query, ensure_ascii=False)),
        }
        self.previous: dict | None = None
        self.since: str | None = None
        self.since_time: dt.datetime | None = None
        if since:
            self._read_previous()
        self.records: dict[Hashable, dict] = {}
        self.cursor: Any = None
        self.resumed = False
        if resume and self.partial.exists():
            self._load()
        elif self.partial.exists():
            self.progress(f"an unfinished download to {self.out} was found and is started "
                          "afresh (--resume continues one)")
        if not self.resumed:
            self._write_lines([{"header": self.header}], mode="w")

    # -- the previous pull ------------------------------------------------------------------

    def _read_previous(self) -> None:
        header, payload = read_pulled(self.out)
        differ = [Problem(f"the previous pull's {name} differs", file=str(self.out),
                          column=name, value=header.get(name),
                          expected=repr(self.header[name]))
                  for name in _SAME if header.get(name) != self.header[name]]
        if differ:
            raise InputError(f"--since updates the same pull: {self.out} was pulled with "
                             "other settings", differ,
                             hint="Give the options of the previous pull, or pull without "
                                  "--since into a new file.")
        if header.get("version") != FORMAT_VERSION:
            raise InputError(f"{self.out} is a pulled file of version {header.get('version')!r}"
                             f"; this calibrate writes version {FORMAT_VERSION}",
                             hint="Pull again without --since.")
        try:
            pulled_at = dt.datetime.fromisoformat(str(header.get("pulled_at")))
        except ValueError:
            raise InputError(f"{self.out} does not say when it was pulled (pulled_at "
                             f"{header.get('pulled_at')!r})",
                             hint="Pull again without --since.") from None
        if pulled_at.tzinfo is None:
            pulled_at = pulled_at.replace(tzinfo=dt.UTC)
        records = payload.get(self.records_key)
        if not isinstance(records, list):
            raise InputError(f"{self.out} holds no {self.records_key!r} list",
                             hint="Pull again without --since.")
        self.previous = payload
        self.since = str(header["pulled_at"])
        self.since_time = pulled_at.astimezone(dt.UTC) - SINCE_MARGIN
        self.header["since"] = self.since

    # -- the resume sidecar -----------------------------------------------------------------

    def _load(self) -> None:
        """Read the sidecar of an interrupted download (a line cut short
        ignored) and continue it, if it is the same pull."""
        lines = []
        try:
            with self.partial.open(encoding="utf-8") as handle:
                for line in handle:
                    try:
                        lines.append(json.loads(line))
                    except ValueError:
                        break  # the last line, cut short by a killed run
        except OSError as error:
            raise output_error(self.partial, error, doing="read") from error
        header = lines[0].get("header") if lines and isinstance(lines[0], dict) else None
        if not isinstance(header, dict) or any(
                header.get(name) != self.header.get(name) for name in (*_SAME, "since")):
            self.progress(f"{self.partial} is the state of another download: starting afresh")
            return
        self.header["pulled_at"] = header.get("pulled_at", self.header["pulled_at"])
        for line in lines[1:]:
            if "record" in line:
                self.records[self.key(line["record"])] = line["record"]
            elif "cursor" in line:
                self.cursor = line["cursor"]
        self.resumed = True
        self.progress(f"resuming: {len(self.records)} issues already fetched")

    def _write_lines(self, lines: list[dict], mode: str = "a") -> None:
        try:
            with self.partial.open(mode, encoding="utf-8") as handle:
                for line in lines:
                    handle.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")))
                    handle.write("\n")
        except OSError as error:
            raise output_error(self.partial, error) from error

    # -- the download -----------------------------------------------------------------------

    def has(self, record_or_key: Any) -> bool:
        """Whether an issue (a record, or its key) is stored already."""
        key = self.key(record_or_key) if isinstance(record_or_key, dict) else record_or_key
        return key in self.records

    def add(self, record: dict) -> None:
        """Store a finished issue (its history fetched)."""
        self.records[self.key(record)] = record
        self._write_lines([{"record": record}])

    def advance(self, cursor: Any) -> None:
        """The listing is done up to ``cursor`` (JSON: a URL, a token, an offset)."""
        self.cursor = cursor
        self._write_lines([{"cursor": cursor}])

    def finish(self, client: TrackerClient, extra: dict | None = None) -> PullResult:
        """Write the pulled file (merged into the previous one with
        ``since``), remove the sidecar, and say what was done.

        ``extra`` holds payload keys besides the records (Jira's ``names``),
        written before them and, with ``since``, updating the previous ones.
        """
        fetched = list(self.records.values())
        payload: dict[str, Any] = {}
        if self.previous is not None:
            payload.update({k: v for k, v in self.previous.items() if k != self.records_key})
            for name, value in (extra or {}).items():
                if isinstance(value, dict) and isinstance(payload.get(name), dict):
                    payload[name] = {**payload[name], **value}
                else:
                    payload[name] = value
            records = merge_records(self.previous[self.records_key], fetched, self.key)
        else:
            payload.update(extra or {})
            records = fetched
        payload[self.records_key] = records
        with atomic_path(self.out) as partial, partial.open("w", encoding="utf-8") as handle:
            handle.write("{")
            handle.write(json.dumps(HEADER) + ": " + json.dumps(self.header,
                                                                 ensure_ascii=False))
            for name, value in payload.items():
                if name == self.records_key:
                    continue
                handle.write(",\n" + json.dumps(name) + ": "
                             + json.dumps(value, ensure_ascii=False))
            # The records last, one a line: readers stream them.
            handle.write(",\n" + json.dumps(self.records_key) + ": [")
            for number, record in enumerate(records):
                handle.write("\n" if number == 0 else ",\n")
                handle.write(json.dumps(record, ensure_ascii=False))
            handle.write("\n]}\n")
        try:
            os.remove(self.partial)
        except FileNotFoundError:
            pass
        except OSError as error:  # the file is written: a leftover sidecar is harmless
            self.progress(f"{self.partial} could not be removed ({error.strerror}); remove it")
        return PullResult(self.out, len(records), client.requests, client.pauses,
                          since=self.since, fetched=len(fetched))
