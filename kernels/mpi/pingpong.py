"""Ping-pong between two MPI ranks: one-way time of a message, pickled object vs numpy buffer.

What it measures (OMB's ``osu_latency`` scheme, the convention of OMB-Py):
rank 0 sends a message of ``nbytes`` bytes to rank 1, rank 1 sends it back,
``iterations`` times after ``warmup`` untimed round trips; the one-way time is
the elapsed wall clock (``time.perf_counter`` on rank 0) / (2 * iterations), in
seconds.  Bandwidth is ``nbytes`` / one-way time (bytes/s; the ping-pong
definition of Intel's IMB PingPong: OMB's ``osu_bw`` streams a window of
messages instead, which hides latency, so the figures here are a lower bound
on what a stream gets).  Two transports of the same bytes (seed 002's choice):

* ``pickle``: ``comm.send(obj)`` / ``comm.recv()`` of a numpy uint8 array of
  ``nbytes`` (mpi4py pickles it into a new bytes object, sends that, and the
  receiver unpickles a new array: two copies and an allocation per message);
* ``buffer``: ``comm.Send`` / ``comm.Recv`` of preallocated numpy buffers (no copy
  by Python; MPI moves the bytes).

Each (size, transport) is checked before it is timed: the echoed message must
equal the one sent (``ValueError`` otherwise).

Ranks: any intracommunicator of 2 ranks.  Rank 0 drives: it broadcasts an int64
header ``[op, nbytes, transport, iterations, warmup]`` and both ranks run the
command (rank 1 in ``serve``).  Two ways to start them:

* placed by a launcher, on one or two hosts (the multi-host run, ``cluster``)::

      mpiexec -n 2 [-hosts h1,h2] python -m kernels.mpi.pingpong --out FILE.json

  rank 0 writes the series and where both ranks ran (JSON) to FILE.json;
* spawned from a plain Python process on this host (the asv benchmarks):
  ``SpawnedPeer()`` spawns rank 1 running ``python -m kernels.mpi.pingpong``
  through ``kernels.mpi.spawn`` (single-host process manager, ``UCX_TLS=sm,self``).
"""

import argparse
import json
import pickle
import statistics
import sys
import time

import numpy as np

TRANSPORTS = ("pickle", "buffer")
MEASURE, CHECK, STOP = range(1, 4)
HEADER_LEN = 5
#: Message sizes of the full series: 8 B .. 64 MiB, powers of two (bytes).
SIZES = [2**k for k in range(3, 27)]


def _message(nbytes):
    """The payload: ``nbytes`` bytes, a pattern that depends on the size."""
    pattern = ((np.arange(251) * 7 + nbytes) % 256).astype(np.uint8)  # 251: prime
    return np.resize(pattern, nbytes)


def _pingpong(comm, nbytes, transport, iterations, warmup, keep=None):
    """Run the round trips on both ranks; elapsed seconds of the timed ones on rank 0.

    ``keep``: a list that receives the last message rank 0 got back (for CHECK).
    """
    rank, peer = comm.Get_rank(), 1 - comm.Get_rank()
    if transport == "buffer":
        send = _message(nbytes) if rank == 0 else np.empty(nbytes, np.uint8)
        recv = send if rank == 1 else np.empty(nbytes, np.uint8)
    else:
        obj = _message(nbytes) if rank == 0 else None
    start = 0.0
    for i in range(warmup + iterations):
        if i == warmup:
            start = time.perf_counter()
        if transport == "buffer":
            if rank == 0:
                comm.Send(send, dest=peer)
                comm.Recv(recv, source=peer)
            else:
                comm.Recv(recv, source=peer)
                comm.Send(recv, dest=peer)
        elif rank == 0:
            comm.send(obj, dest=peer)
            back = comm.recv(source=peer)
        else:
            comm.send(comm.recv(source=peer), dest=peer)
    elapsed = time.perf_counter() - start
    if keep is not None and rank == 0:
        keep.append(recv if transport == "buffer" else back)
    return elapsed


def serve(comm):
    """Rank 1's loop: run the commands rank 0 broadcasts until STOP."""
    header = np.empty(HEADER_LEN, np.int64)
    while True:
        comm.Bcast(header, root=0)
        op, nbytes, code, iterations, warmup = (int(v) for v in header)
        if op == STOP:
            return
        _pingpong(comm, nbytes, TRANSPORTS[code], iterations, warmup)


class Driver:
    """Rank 0's side of a 2-rank communicator ``comm`` (rank 1 runs ``serve``)."""

    def __init__(self, comm):
        if comm.Get_size() != 2 or comm.Get_rank() != 0:
            raise ValueError("the ping-pong driver is rank 0 of a 2-rank communicator")
        self.comm = comm
        #: round trips run so far (checks, probes, warm-ups and timed ones)
        self.round_trips = 0

    def _command(self, op, nbytes=0, transport="buffer", iterations=0, warmup=0, keep=None):
        header = np.array([op, nbytes, TRANSPORTS.index(transport), iterations, warmup], np.int64)
        self.comm.Bcast(header, root=0)
        self.round_trips += iterations + warmup
        if op != STOP:
            return _pingpong(self.comm, nbytes, transport, iterations, warmup, keep)
        return None

    def check(self, nbytes, transport):
        """One round trip; ValueError unless the message came back unchanged."""
        keep = []
        self._command(CHECK, nbytes, transport, 1, 0, keep)
        back = np.asarray(keep[0])
        if back.dtype != np.uint8 or not np.array_equal(back, _message(nbytes)):
            raise ValueError(f"ping-pong {transport} {nbytes} B: the echoed message differs")

    def one_way_times(self, nbytes, transport, budget=0.3, samples=3, max_iterations=10000):
        """Checked, then timed: ``samples`` one-way times (seconds) of ``nbytes``-byte messages.

        Iterations per sample: enough for ``budget / samples`` seconds, judged
        from a probe (one warm-up and one timed round trip), at least 1, at most
        ``max_iterations``; 10 warm-up round trips before each sample below
        64 KiB (above, the check and the probe have warmed the path).
        """
        self.check(nbytes, transport)
        probe = self._command(MEASURE, nbytes, transport, 1, 1)  # one round trip, s
        iterations = int(min(max(budget / samples / max(probe, 1e-7), 1), max_iterations))
        warmup = 10 if nbytes < 65536 else 0
        return [
            self._command(MEASURE, nbytes, transport, iterations, warmup) / (2 * iterations)
            for _ in range(samples)
        ]

    def series(self, sizes=SIZES, transports=TRANSPORTS, budget=0.3, samples=3):
        """Every size and transport: [{"bytes", "transport", "one_way_s" (median), "samples_s",
        "bandwidth_GBps" (1e9 bytes/s), "round_trips" (all, untimed ones included)}],
        sizes ascending, transports interleaved per size."""
        rows = []
        for nbytes in sizes:
            for transport in transports:
                before = self.round_trips
                times = self.one_way_times(nbytes, transport, budget, samples)
                t = statistics.median(times)
                rows.append(
                    {
                        "bytes": nbytes,
                        "transport": transport,
                        "one_way_s": t,
                        "samples_s": times,
                        "bandwidth_GBps": nbytes / t / 1e9,
                        "round_trips": self.round_trips - before,
                    }
                )
        return rows

    def stop(self):
        """Release rank 1 from ``serve``."""
        self._command(STOP)


class SpawnedPeer(Driver):
    """This process as rank 0 and one spawned rank on this host (shared memory only).

    Raises kernels.base.BackendUnavailable where MPI cannot spawn here (see
    ``kernels.mpi.spawn.spawn_ranks``).  ``close()`` (or the with-block) ends
    the rank.
    """

    def __init__(self):
        from ..base import BackendUnavailable
        from . import spawn

        spawn.use_local_transport()  # before MPI starts
        try:
            from mpi4py import MPI
        except (ImportError, RuntimeError, OSError) as exc:
            raise BackendUnavailable(f"ping-pong needs mpi4py and an MPI library: {exc}") from exc
        self._inter = spawn.spawn_ranks(MPI, 1, "kernels.mpi.pingpong")
        super().__init__(self._inter.Merge(high=False))

    def close(self):
        if self._inter is not None:
            self.stop()
            self.comm.Free()
            self._inter.Disconnect()
            self._inter = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _spawned_main(MPI):
    from .process_manager import die_with_parent

    die_with_parent()
    parent = MPI.Comm.Get_parent()
    comm = parent.Merge(high=True)
    serve(comm)
    comm.Free()
    parent.Disconnect()


def _launched_main(MPI, argv):
    parser = argparse.ArgumentParser(prog="mpiexec -n 2 python -m kernels.mpi.pingpong")
    parser.add_argument("--out", required=True, help="JSON file rank 0 writes")
    parser.add_argument("--sizes", help="comma-separated message sizes, bytes (default 8..64Mi)")
    parser.add_argument("--budget", type=float, default=0.3, help="seconds per size and transport")
    parser.add_argument("--samples", type=int, default=3, help="samples per size and transport")
    ns = parser.parse_args(argv)
    from .world import host_identity

    comm = MPI.COMM_WORLD
    if comm.Get_size() != 2:
        sys.exit(f"ping-pong runs on exactly 2 ranks, not {comm.Get_size()}")
    layout = comm.gather(host_identity(), root=0)
    if comm.Get_rank() != 0:
        serve(comm)
        return
    sizes = [int(s) for s in ns.sizes.split(",")] if ns.sizes else SIZES
    driver = Driver(comm)
    try:
        rows = driver.series(sizes, budget=ns.budget, samples=ns.samples)
    finally:
        driver.stop()
    out = {"layout": layout, "mpi": MPI.Get_library_version().splitlines()[0].strip()}
    out.update(pickle_protocol=pickle.HIGHEST_PROTOCOL, rows=rows)
    with open(ns.out, "w") as f:
        json.dump(out, f, indent=1)


def main(argv=None):
    """Entry point: ``--check`` returns at once (spawn pre-flight); spawned rank; or launched."""
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--check"]:
        return
    from mpi4py import MPI

    if MPI.Comm.Get_parent() != MPI.COMM_NULL:
        _spawned_main(MPI)
    else:
        _launched_main(MPI, argv)


if __name__ == "__main__":
    main()
