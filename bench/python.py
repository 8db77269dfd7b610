"""Child process for CPython's own atexit, mirroring the JavaScript children of bench/run.js.

    python3 bench/python.py register lambda|def
    python3 bench/python.py unregister <registrations> <removals per batch> <batches>
    python3 bench/python.py batch <registrations>
    python3 bench/python.py heap <registrations> same|distinct <number of arguments>
    python3 bench/python.py import
    python3 bench/python.py end floor|atexit <registrations>

Prints one JSON line (times in nanoseconds per call), except `end`, which prints `ran N`.
Calls go through map() drained by a zero-length deque, the cheapest way to call a function
many times from Python, so CPython is measured with as little loop overhead as possible.
"""
import gc
import json
import random
import sys
import time
from collections import deque

now = time.perf_counter_ns


def out(**result):
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def distinct(n):
    return [(lambda i=i: i) for i in range(n)]


def defined(n):
    def make(i):
        def handler():
            return i
        return handler
    return [make(i) for i in range(n)]


def bench_register(kind):
    import atexit
    k = 1000
    anchor = lambda: None
    samples = []
    spent = 0
    warm = 20
    while len(samples) < 200 + warm or spent < 60e6:
        fns = distinct(k) if kind == "lambda" else defined(k)
        atexit.register(anchor)
        t0 = now()
        deque(map(atexit.register, fns), maxlen=0)
        dt = now() - t0
        atexit._clear()
        samples.append(dt / k)
        spent += dt
    out(mode="register", name="cpython", ns=median(samples[warm:]), kind=kind)


def bench_batch(n):
    import atexit
    fns = distinct(n)
    t0 = now()
    deque(map(atexit.register, fns), maxlen=0)
    dt = now() - t0
    out(mode="batch", name="cpython", ns=dt / n, n=n)
    atexit._clear()  # do not spend the exit running them


def bench_unregister(n, s, batches):
    import atexit
    fns = distinct(n)
    deque(map(atexit.register, fns), maxlen=0)
    f = fns[random.randrange(n)]  # the very first removal, alone
    t0 = now()
    atexit.unregister(f)
    first = now() - t0
    atexit.register(f)
    total = 0
    for b in range(batches + 1):  # the first batch warms up and is not counted
        sample = [fns[i] for i in random.sample(range(n), s)]
        t0 = now()
        deque(map(atexit.unregister, sample), maxlen=0)
        dt = now() - t0
        if b:
            total += dt
        deque(map(atexit.register, sample), maxlen=0)
    out(mode="unregister", name="cpython", ns=total / (s * batches), first=first, n=n, s=s, batches=batches)
    atexit._clear()  # do not spend the exit running them


def bench_heap(n, how, argc):
    import atexit
    import tracemalloc
    fns = [lambda: None] if how == "same" else distinct(n)
    args = tuple(range(1, argc + 1))
    atexit.register(lambda: None)
    gc.collect()
    tracemalloc.start()
    m0 = tracemalloc.get_traced_memory()[0]
    if how == "same":
        f = fns[0]
        for _ in range(n):
            atexit.register(f, *args)
    else:
        for f in fns:
            atexit.register(f, *args)
    gc.collect()
    m1 = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    out(mode="heap", name="cpython", bytes=(m1 - m0) / n, n=n, how=how, argc=argc, kept=len(fns))
    atexit._clear()


def bench_import():
    t0 = now()
    import atexit  # noqa: F401  (a builtin module, already loaded by the interpreter)
    out(mode="import", name="cpython", ms=(now() - t0) / 1e6)


def bench_end(what, n):
    ran = [0]

    def handler():
        ran[0] += 1

    fns = [(lambda: handler()) for _ in range(n)]
    if what == "floor":
        print("ran 0", flush=True)
        return
    import atexit
    atexit.register(lambda: print(f"ran {ran[0]}", flush=True))  # LIFO: runs last
    for f in fns:
        atexit.register(f)


mode, *rest = sys.argv[1:]
if mode == "register":
    bench_register(rest[0] if rest else "lambda")
elif mode == "batch":
    bench_batch(int(rest[0]))
elif mode == "unregister":
    bench_unregister(*map(int, rest))
elif mode == "heap":
    bench_heap(int(rest[0]), rest[1], int(rest[2]))
elif mode == "import":
    bench_import()
elif mode == "end":
    bench_end(rest[0], int(rest[1]))
else:
    raise SystemExit(f"unknown mode {mode}")
