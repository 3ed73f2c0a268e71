"""multiprocessing backend: ``backend`` (driver side) and ``worker`` (the spawned program)."""
