"""flows.share_freed_memory: the threads of a process of the product share two allocation arenas."""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import ctypes, os, sys, tempfile, threading
if sys.argv[1] == "flows":
    import flows

barrier = threading.Barrier(12)
def allocate():
    block = bytearray(4096)  # past Python's own small-object allocator: glibc's malloc
    barrier.wait()  # all alive at once, so none takes over an arena another let go
    del block
threads = [threading.Thread(target=allocate) for _ in range(11)]
for thread in threads:
    thread.start()
barrier.wait()
libc = ctypes.CDLL("libc.so.6")
libc.fopen.restype = ctypes.c_void_p
path = tempfile.mktemp()
stream = libc.fopen(path.encode(), b"w")
libc.malloc_info(0, ctypes.c_void_p(stream))  # one <heap> element per arena
libc.fclose(ctypes.c_void_p(stream))
print(open(path).read().count("<heap nr="))
os.remove(path)
for thread in threads:
    thread.join()
"""


def arenas(*args: str) -> int:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True)
    return int(done.stdout.split()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_threads_of_a_process_that_imports_flows_share_two_arenas():
    assert arenas("flows") == 2
    assert arenas("plain") > 2  # glibc's default: an arena per thread, up to 8 per core


COLLECTIONS = """
import gc, sys
if sys.argv[1] == "flows":
    import flows
gc.collect()
before = [generation["collections"] for generation in gc.get_stats()]
rows = [(i, str(i), [i]) for i in range(2_000_000)]  # a bulk write's rows: containers, no cycles
print(*(generation["collections"] - was for generation, was in zip(gc.get_stats(), before)))
"""


def collections(*args: str) -> list[int]:
    done = subprocess.run([sys.executable, "-c", COLLECTIONS, *args], capture_output=True, text=True, check=True)
    return [int(n) for n in done.stdout.split()]


def test_a_process_that_imports_flows_collects_garbage_cycles_less_often():
    young, middle, full = collections("flows")
    default_young, default_middle, default_full = collections("plain")
    # 4 million containers: every 100 000 rather than every 700 of them.
    assert 30 <= young <= 50 and default_young > 5000
    assert full <= 1 and default_full >= 2


def test_the_collector_clock_counts_the_collections_it_saw_and_only_those():
    import gc

    from flows.night_probe import CollectorClock

    with CollectorClock() as clock:
        for _ in range(3):
            cycle: list = []
            cycle.append(cycle)
            del cycle
            gc.collect()
        gc.collect(0)
    assert clock.full_collections == 3 and clock.seconds > 0
    seen = clock.seconds
    gc.collect()
    assert clock not in gc.callbacks and clock.seconds == seen and clock.full_collections == 3
