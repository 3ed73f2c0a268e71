"""ipyparallel backend (IPython Parallel).

* ``backend``: the Backend class (the client drives; engines hold the row blocks).
* ``cluster``: a private controller and engines on 127.0.0.1 (``EngineCluster``),
  also used by the task farm.
* ``reaper``: the process that stops a cluster whose driver died.
* ``engine``: the functions the engines run.
"""
