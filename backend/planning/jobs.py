"""Zone imports from the web, run in the background, with progress a page can poll.

The embedded default runs each job in a thread of the web process: no queue or worker to set
up, and an import holds no request open. The price: a job that is running when the process
stops is lost (it stays `running`; `import_job_fail_stale` marks such jobs failed). A deployment
that needs more can run `import_job_run` from a worker instead; the job row, its states and its
progress stay the same.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import close_old_connections, connection, transaction

from accounts.models import User
from common.db import db_now
from common.errors import Invalid, Refused

from . import transfer
from .models import IMPORT_JOB_TRANSITIONS, ImportJob, ImportJobStatus, PlanVersion
from .services import _check_agency, _check_not_frozen

log = logging.getLogger(__name__)

ERR_JOB_TRANSITION = "An import job that is {current} cannot become {target}."
ERR_CRASHED = "The import stopped unexpectedly ({error}); nothing was written. Try again."
ERR_LOST = "The server stopped during the import; nothing was written. Send the file again."

# How often (seconds) a running job writes its progress: often enough for a progress bar,
# rarely enough to cost nothing next to the import itself.
PROGRESS_INTERVAL_S = 0.3
# A job still `running` after this long was lost with its process.
STALE_AFTER = timedelta(hours=2)


def _move(job: ImportJob, target: str, **fields: Any) -> None:
    """Change a job's status along IMPORT_JOB_TRANSITIONS, with the row locked."""
    with transaction.atomic():
        locked = ImportJob.objects.select_for_update().get(pk=job.pk)
        if target not in IMPORT_JOB_TRANSITIONS[locked.status]:
            raise Refused(
                ERR_JOB_TRANSITION.format(current=locked.status, target=target),
                code="invalid_transition",
                status=409,
            )
        fields["status"] = target
        ImportJob.objects.filter(pk=job.pk).update(**fields)


def import_job_start(
    *, version: PlanVersion, data: bytes, name: str, options: dict[str, Any], by: User | None
) -> ImportJob:
    """Queue an import (refused at once if the planner may not write the version) and start it
    in a background thread once the job row is committed."""
    _check_agency(document=version.document, by=by)
    _check_not_frozen(version)
    job = ImportJob(version=version, created_by=by, filename=name[:255], options=options)
    job.upload.save(name, ContentFile(data), save=False)
    job.save()
    transaction.on_commit(lambda: start_thread(job.pk))
    return job


def start_thread(job_id: int) -> threading.Thread:
    """Run a job in a daemon thread of this process (the embedded default)."""
    thread = threading.Thread(target=_thread_main, args=(job_id,), daemon=True)
    thread.start()
    return thread


def _thread_main(job_id: int) -> None:
    # A thread has its own database connection: open it fresh, and close it when done.
    close_old_connections()
    try:
        import_job_run(job_id)
    finally:
        connection.close()


class JobProgress:
    """A tqdm-like reporter (update, total, set_description) whose state another thread writes
    to the job row: the import's own connection is inside its transaction, where a poller
    could not see it."""

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
        self.total: int | None = None
        self.done = 0
        self.phase = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._report, daemon=True)

    def update(self, n: int = 1) -> None:
        self.done += n

    def set_description(self, phase: str) -> None:
        self.phase = phase

    def __enter__(self) -> JobProgress:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _report(self) -> None:
        try:
            while not self._stop.wait(PROGRESS_INTERVAL_S):
                self._write()
            self._write()
        finally:
            connection.close()

    def _write(self) -> None:
        ImportJob.objects.filter(pk=self.job_id).update(
            phase=self.phase, done=self.done, total=self.total
        )


def _refusal(exc: Refused) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
    if isinstance(exc, Invalid):
        body["problems"] = exc.problems
    return body


def import_job_run(job_id: int) -> ImportJob:
    """Run a queued job to its end: `succeeded` with the import's result, or `failed` with the
    refusal (message, code, problems) a planner can act on. Never raises for a bad file."""
    job = ImportJob.objects.select_related("version", "created_by").get(pk=job_id)
    try:
        _move(job, ImportJobStatus.RUNNING, started_at=db_now())
    except Refused:
        # Already run (or running) elsewhere: a job runs once.
        log.warning("import job %s is %s: not run again", job_id, job.status)
        return job
    options = job.options
    try:
        with JobProgress(job.pk) as progress:
            result = transfer.zones_import(
                version=job.version,
                data=job.upload.read(),
                name=job.filename,
                by=job.created_by,
                crs=options.get("crs"),
                mapping=options.get("mapping") or {},
                replace=options.get("replace", True),
                dry_run=options.get("dry_run", False),
                progress=progress,
            )
    except Refused as exc:
        _move(job, ImportJobStatus.FAILED, error=_refusal(exc), finished_at=db_now())
    except Exception as exc:  # noqa: BLE001 - a job must end in a state, whatever happened
        log.exception("import job %s crashed", job_id)
        error = {"detail": ERR_CRASHED.format(error=type(exc).__name__), "code": "crashed"}
        _move(job, ImportJobStatus.FAILED, error=error, finished_at=db_now())
    else:
        _move(
            job,
            ImportJobStatus.SUCCEEDED,
            result=asdict(result),
            done=result.features,
            total=result.features,
            phase="done",
            finished_at=db_now(),
        )
    finally:
        # The upload served its purpose: the result, or the refusal, is what is kept.
        job.upload.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(upload="")
    job.refresh_from_db()
    return job


def import_job_fail_stale() -> int:
    """Mark as failed the jobs lost with a stopped process; returns how many."""
    cutoff = db_now() - STALE_AFTER
    stale = ImportJob.objects.filter(status=ImportJobStatus.RUNNING, started_at__lt=cutoff)
    return stale.update(
        status=ImportJobStatus.FAILED,
        error={"detail": ERR_LOST, "code": "lost"},
        finished_at=db_now(),
    )


def job_as_dict(job: ImportJob) -> dict[str, Any]:
    """A job as the API shows it, with its progress in percent when the total is known."""
    percent = None
    if job.status == ImportJobStatus.SUCCEEDED:
        percent = 100
    elif job.total:
        percent = min(99, round(100 * job.done / job.total))
    return {
        "id": job.pk,
        "version": job.version_id,
        "file": job.filename,
        "status": job.status,
        "phase": job.phase,
        "done": job.done,
        "total": job.total,
        "percent": percent,
        "options": job.options,
        "result": job.result,
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }
