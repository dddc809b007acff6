"""The OGC API Processes job manager: asynchronous jobs of the processes that offer them.

pygeoapi's TinyDB manager, with three differences:
- only a request with `Prefer: respond-async`, to a process whose jobControlOptions include
  async-execute, makes a job (status at /ogc/jobs/{id}, result at /ogc/jobs/{id}/results);
  everything else runs synchronously and leaves no trace, as before. A zoning lookup names the
  parcel a citizen looked at: it must never be kept, nor listed at /ogc/jobs.
- no callbacks (`subscriber`): they would make the server POST wherever a client asks.
- the job file and the results live under EU_OGC_DIR/jobs (one machine: every worker process
  shares them, under TinyDB's file lock). A job running when its process stops stays `running`.
A job holds its process id, status, times and result (aggregates of the public views), never its
inputs. The PostgreSQL manager of pygeoapi needs psycopg2 and a role that can write a table; the
OGC API's only role reads `publish`, so the jobs stay in files.
"""

from __future__ import annotations

from pathlib import Path

from pygeoapi.process.manager.dummy import DummyManager
from pygeoapi.process.manager.tinydb_ import TinyDBManager
from pygeoapi.util import ProcessExecutionMode, RequestedProcessExecutionMode

NAME = "publish.ogc.jobs.JobManager"


class JobManager(TinyDBManager):
    """TinyDB jobs for asynchronous requests only; synchronous ones are kept nowhere."""

    def __init__(self, manager_def: dict):
        """Create the job directory if needed."""
        Path(manager_def["output_dir"]).mkdir(parents=True, exist_ok=True)
        super().__init__(manager_def)
        self.supports_subscribing = False

    def execute_process(self, process_id, data_dict, execution_mode=None, **kwargs):
        """A job for an asynchronous request to a process that offers it; else run it now."""
        kwargs.pop("subscriber", None)
        options = self.get_processor(process_id).metadata.get("jobControlOptions", [])
        if (
            execution_mode == RequestedProcessExecutionMode.respond_async
            and ProcessExecutionMode.async_execute.value in options
        ):
            return super().execute_process(process_id, data_dict, execution_mode, **kwargs)
        return DummyManager.execute_process(self, process_id, data_dict, execution_mode, **kwargs)

    def __repr__(self):
        return f"<JobManager> {self.connection}"
