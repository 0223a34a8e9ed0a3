"""Running reports through the pipeline: a run keeps the report, is cut into
chunks, and each chunk is processed (in this process without a broker, on
Celery workers with one) and stored in its own transaction. A run can be
resumed: pending chunks are processed again, done chunks are not."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import shutil
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from baobab.core.models import Team, User
from baobab.directory.index import get_index
from baobab.pipeline.choices import ChunkStatus, RunStatus
from baobab.pipeline.chunks import ChunkSpan, read_head, read_lines, split
from baobab.pipeline.enrichment import enrich, enrich_rdap, load_enrichment, rdap_client
from baobab.pipeline.event_rows import PreparedEvents, prepare_events
from baobab.pipeline.fields import moment_text
from baobab.pipeline.models import Feed, FeedRun, RunChunk
from baobab.pipeline.parsers import get_parser
from baobab.pipeline.parsers.base import Parser, ReportError, Setup, UnknownReportError
from baobab.pipeline.process import ChunkResult, Enricher, FeedDefaults, process_lines
from baobab.pipeline.store import StoredCounts, store_chunk
from baobab.pipeline.wal_checkpoints import checkpoints_aside

logger = logging.getLogger(__name__)
_T = TypeVar("_T")
_R = TypeVar("_R")


def runs_folder() -> Path:
    """Where runs keep their reports."""
    folder = Path(settings.DATA_DIR) / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def parser_options(parser: Parser, options: Mapping[str, Any]) -> dict[str, Any]:
    """The feed's parser options, with the data files the operator put in the
    enrichment folder for options the feed leaves unset (ShadowServer's schema)."""
    merged = dict(options)
    folder = Path(settings.DATA_DIR) / "enrichment"
    for option, file_name in parser.data_file_options.items():
        if option not in merged and (folder / file_name).is_file():
            merged[option] = str(folder / file_name)
    return merged


def feed_defaults(feed: Feed) -> FeedDefaults:
    return FeedDefaults(
        name=feed.name,
        provider=feed.provider,
        taxonomy=feed.classification_taxonomy,
        type=feed.classification_type,
        identifier=feed.classification_identifier,
        dedup_fields=tuple(feed.dedup_fields or ()),
        dedup_window_hours=feed.dedup_window_hours,
    )


def _keep_report(feed: Feed, path: Path, name: str, move: bool) -> tuple[Path, str, int]:
    """Copy (or move) the report into the runs folder; its SHA-256 and size."""
    folder = runs_folder() / str(feed.pk)
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)[-120:]
    target = folder / f"{timezone.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}-{safe}"
    if move:
        shutil.move(path, target)
    else:
        shutil.copyfile(path, target)
    digest = hashlib.sha256()
    with target.open("rb") as report:
        for block in iter(lambda: report.read(1 << 20), b""):
            digest.update(block)
    return target, digest.hexdigest(), target.stat().st_size


def start_run(
    feed: Feed,
    path: Path,
    *,
    source: str,
    file_name: str | None = None,
    acting_user: User | None = None,
    move: bool = False,
) -> FeedRun:
    """Start a run of ``feed`` on the report at ``path`` and process it (at
    once without a broker; on the workers with one).

    A report the parser cannot read at all gives a run marked failed, with the
    reason in its errors; nothing of it is stored.
    """
    name = file_name or path.name
    kept, sha256, size = _keep_report(feed, path, name, move)
    run = FeedRun.objects.create(
        feed=feed,
        source=source[:500],
        input_path=str(kept),
        input_sha256=sha256,
        input_size=size,
        status=RunStatus.QUEUED,
    )
    try:
        parser = get_parser(feed.parser)
        setup = parser.setup(
            read_head(kept),
            file_name=name,
            report=feed.report,
            options=parser_options(parser, feed.parser_options),
        )
    except (ReportError, UnknownReportError, ValueError) as error:
        _fail(run, str(error))
        return run
    spans = split(
        kept,
        skip_lines=setup.skip_lines,
        chunk_bytes=settings.PIPELINE_CHUNK_BYTES,
        whole=not parser.line_based,
    )
    with transaction.atomic():
        run.setup = setup.as_json()
        run.report = setup.report
        run.chunk_count = len(spans)
        run.status = RunStatus.RUNNING
        run.started_at = timezone.now()
        run.save()
        RunChunk.objects.bulk_create(
            RunChunk(
                run=run,
                index=index,
                start_offset=span.start,
                end_offset=span.end,
                first_line=span.first_line,
            )
            for index, span in enumerate(spans)
        )
        if not spans:
            run.status, run.finished_at, run.duration_seconds = RunStatus.DONE, timezone.now(), 0.0
            run.save()
        elif not settings.CELERY_TASK_ALWAYS_EAGER:
            # Workers must find the run and its chunks committed.
            transaction.on_commit(lambda: dispatch(run))
    if spans and settings.CELERY_TASK_ALWAYS_EAGER:
        dispatch(run)
    run.refresh_from_db()
    return run


def dispatch(run: FeedRun) -> None:
    """Hand the run's pending chunks to the workers (or process them here)."""
    from baobab.pipeline.tasks import process_chunk_task  # noqa: PLC0415 - tasks import us

    if settings.CELERY_TASK_ALWAYS_EAGER:
        process_here(run)
        return
    pending = list(run.chunks.filter(status=ChunkStatus.PENDING).values_list("pk", flat=True))
    for chunk_id in pending:
        process_chunk_task.delay(chunk_id)


def resume_run(run: FeedRun) -> FeedRun:
    """Process the chunks a run has not finished (after a crash, say)."""
    if run.status == RunStatus.FAILED and not run.chunk_count:
        return run
    if not run.chunks.filter(status=ChunkStatus.PENDING).exists():
        return run  # nothing left to do
    FeedRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    dispatch(run)
    run.refresh_from_db()
    return run


def _fail(run: FeedRun, message: str) -> None:
    run.status = RunStatus.FAILED
    run.errors = [*run.errors, message]
    run.finished_at = timezone.now()
    run.save()


def team_names() -> dict[int, str]:
    return dict(Team.objects.values_list("id", "short_name"))


def enricher() -> Enricher | None:
    """The enrichment stage with this process's data files, when there are any."""
    data = load_enrichment()
    client = rdap_client()
    if client is None:
        return lambda frame: enrich(frame, data)
    return lambda frame: enrich_rdap(enrich(frame, data), client, data.as_names)


def process_chunk(chunk_id: int) -> StoredCounts:
    """Parse, normalise, enrich, route and store one chunk (idempotent)."""
    chunk = RunChunk.objects.select_related("run__feed").get(pk=chunk_id)
    if chunk.status == ChunkStatus.DONE:
        return StoredCounts(skipped=True)
    run = chunk.run
    feed = run.feed
    try:
        result = chain_for(feed).run_chunk(chunk)
        return store_chunk(chunk, result.events, result.rejected, result.read)
    except Exception as error:
        _record_failure(run, chunk, error)
        raise


def _record_failure(run: FeedRun, chunk: RunChunk, error: Exception) -> None:
    """Log a chunk's failure and mark its run failed, with the reason."""
    logger.exception("chunk %s of run %s failed", chunk.index, run.pk, exc_info=error)
    with transaction.atomic():
        locked = FeedRun.objects.select_for_update().get(pk=run.pk)
        message = f"chunk {chunk.index}: {type(error).__name__}: {error}"
        locked.errors = [*locked.errors, message][-50:]
        locked.status = RunStatus.FAILED
        locked.save()
    logger.debug("%s", "".join(traceback.format_exception(error)))


@dataclass(frozen=True, slots=True)
class Chain:
    """The whole chain for one feed, with what it needs from the database (the
    directory index, team names) and the enrichment data read beforehand:
    running it touches no database, so another thread can run it."""

    feed: FeedDefaults
    parser: Parser
    index: Any
    teams: dict[int, str]
    enrich: Enricher | None

    def __call__(
        self, setup: Setup, lines: list[bytes], first_line: int, observed: dt.datetime
    ) -> ChunkResult:
        return process_lines(
            self.parser,
            setup,
            lines,
            first_line,
            feed=self.feed,
            observed_at=moment_text(observed),
            index=self.index,
            teams=self.teams,
            enrich=self.enrich,
        )

    def run_chunk(self, chunk: RunChunk) -> ChunkResult:
        """The chain over one chunk of its run's report."""
        run = chunk.run
        span = ChunkSpan(chunk.start_offset, chunk.end_offset, chunk.first_line)
        lines = read_lines(Path(run.input_path), span)
        return self(
            Setup.from_json(run.setup), lines, chunk.first_line, run.started_at or run.created_at
        )


def chain_for(feed: Feed) -> Chain:
    """The chain for ``feed`` with this process's index and enrichment data."""
    return Chain(
        feed=feed_defaults(feed),
        parser=get_parser(feed.parser),
        index=get_index().lookup,
        teams=team_names(),
        enrich=enricher(),
    )


def run_chain(
    feed: Feed, setup: Setup, lines: list[bytes], first_line: int, observed: dt.datetime
) -> ChunkResult:
    """The whole chain over ``lines`` of a report of ``feed``, with this
    process's directory index and enrichment data."""
    return chain_for(feed)(setup, lines, first_line, observed)


def _transactions(chunks: list[RunChunk]) -> Iterator[list[RunChunk]]:
    """``chunks`` in groups of about ``PIPELINE_TRANSACTION_BYTES`` of report."""
    group: list[RunChunk] = []
    size = 0
    for chunk in chunks:
        group.append(chunk)
        size += chunk.end_offset - chunk.start_offset
        if size >= settings.PIPELINE_TRANSACTION_BYTES:
            yield group
            group, size = [], 0
    if group:
        yield group


def _one_ahead(
    pool: ThreadPoolExecutor, work: Callable[[_T], _R], items: list[_T]
) -> Iterator[tuple[_T, Future[_R]]]:
    """Each item with the future of its ``work``, the next item's work
    already handed to ``pool`` when an item is yielded."""
    if not items:
        return
    ahead = pool.submit(work, items[0])
    for at, item in enumerate(items):
        current = ahead
        if at + 1 < len(items):
            ahead = pool.submit(work, items[at + 1])
        yield item, current


def process_here(run: FeedRun) -> None:
    """Process the run's pending chunks in this process (no broker).

    While chunk N is written, chunk N+1 goes through the chain in a second
    thread (the chain touches no database; polars and the database driver let
    go of the interpreter lock). Chunks are written several to a transaction
    (``PIPELINE_TRANSACTION_BYTES``): each commit rewrites the pages of the
    indexes the events touched, fewer commits write far less. Each chunk is
    still all or nothing (a savepoint) and one chunk's failure, recorded on the
    run, does not stop the others.
    """
    chunks = list(
        run.chunks.filter(status=ChunkStatus.PENDING).select_related("run").order_by("index")
    )
    if not chunks:
        return
    chain = chain_for(run.feed)
    vendor = connection.vendor

    def prepared(chunk: RunChunk) -> tuple[ChunkResult, PreparedEvents]:
        result = chain.run_chunk(chunk)
        return result, prepare_events(result.events, run.feed, run, vendor=vendor)

    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="baobab-chain") as pool,
        checkpoints_aside() as committed,
    ):
        processed = _one_ahead(pool, prepared, chunks)
        for number, group in enumerate(_transactions(chunks)):
            if number:
                committed()
            with transaction.atomic():
                for chunk, future in islice(processed, len(group)):
                    try:
                        result, rows = future.result()
                        store_chunk(chunk, rows, result.rejected, result.read)
                    except Exception as error:  # recorded; the other chunks go on
                        _record_failure(run, chunk, error)


@dataclass(slots=True)
class ParsedChunk:
    """One chunk of ``baobab parse``: its events and what it rejected."""

    result: ChunkResult
    span: ChunkSpan


def parse_file(
    path: Path,
    *,
    parser_name: str,
    report: str = "",
    options: dict[str, object] | None = None,
    feed_name: str = "",
    route_events: bool = False,
) -> Iterator[ParsedChunk]:
    """Read a report chunk by chunk without writing anything (``baobab parse``).

    Raises UnknownParserError, UnknownReportError or ReportError.
    """
    parser = get_parser(parser_name)
    setup = parser.setup(
        read_head(path),
        file_name=path.name,
        report=report,
        options=parser_options(parser, options or {}),
    )
    spans = split(
        path,
        skip_lines=setup.skip_lines,
        chunk_bytes=settings.PIPELINE_CHUNK_BYTES,
        whole=not parser.line_based,
    )
    observed = moment_text(timezone.now())
    index = get_index().lookup if route_events else None
    teams = team_names() if route_events else {}
    for span in spans:
        yield ParsedChunk(
            process_lines(
                parser,
                setup,
                read_lines(path, span),
                span.first_line,
                feed=FeedDefaults(name=feed_name or parser_name),
                observed_at=observed,
                index=index,
                teams=teams,
            ),
            span,
        )
