"""The run stage: one file at a time through the rules (engine, evaluate), in worker processes
(--jobs: parallel), on a Dask cluster (distributed, distributed_worker), or fixing (fix_session)."""
