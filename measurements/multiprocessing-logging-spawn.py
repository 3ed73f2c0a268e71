"""Q1: can multiprocessing-logging 0.4.0 forward records from *spawn* children?"""
import logging, logging.handlers, multiprocessing as mp, pickle, sys, time, traceback
import multiprocessing_logging as mpl

class Collect(logging.Handler):
    def __init__(self):
        super().__init__(); self.got = []
    def emit(self, r): self.got.append((r.processName, r.levelname, r.getMessage()))

def child_plain():                      # relies on inherited handlers (fork semantics)
    logging.getLogger("t").warning("child plain warning")

def child_with_handler(h):              # handler object handed over
    logging.getLogger().addHandler(h)
    logging.getLogger("t").warning("child handed handler")

def child_with_queue(q):                # the handler's internal queue handed over
    logging.getLogger().addHandler(logging.handlers.QueueHandler(q))
    logging.getLogger("t").warning("child via handler.queue")

def fresh_root():
    root = logging.getLogger()
    for h in list(root.handlers): root.removeHandler(h)
    c = Collect(); root.addHandler(c); root.setLevel(logging.DEBUG)
    return root, c

def run(name, fn):
    print(f"--- {name}")
    try:
        fn()
    except Exception as e:
        print(f"    FAIL: {type(e).__name__}: {e}")

def case_A():   # documented API, global start method spawn
    mp.set_start_method("spawn", force=True)
    try:
        root, c = fresh_root(); mpl.install_mp_handler()
    finally:
        mp.set_start_method("fork", force=True)

def case_B():   # global method fork (passes the assert), children from a spawn context
    root, c = fresh_root(); mpl.install_mp_handler()
    p = mp.get_context("spawn").Process(target=child_plain); p.start(); p.join()
    time.sleep(0.5); mpl.uninstall_mp_handler()
    print("    parent collected:", c.got, "exitcode", p.exitcode)

def case_C():   # hand the MultiProcessingHandler itself to a spawn child
    root, c = fresh_root(); mpl.install_mp_handler()
    h = root.handlers[0]
    try:
        p = mp.get_context("spawn").Process(target=child_with_handler, args=(h,)); p.start(); p.join()
    finally:
        mpl.uninstall_mp_handler()
    print("    parent collected:", c.got)

def case_C2():  # plain pickle of the handler
    root, c = fresh_root(); mpl.install_mp_handler()
    try: pickle.dumps(root.handlers[0])
    finally: mpl.uninstall_mp_handler()

def case_D():   # hand handler.queue (a default-context = fork Queue) to a spawn child
    root, c = fresh_root(); mpl.install_mp_handler()
    h = root.handlers[0]
    try:
        p = mp.get_context("spawn").Process(target=child_with_queue, args=(h.queue,)); p.start(); p.join()
        time.sleep(0.5)
        print("    exitcode", p.exitcode, "parent collected:", c.got)
    finally:
        mpl.uninstall_mp_handler()

def case_E():   # same as D with default method spawn: MultiProcessingHandler built directly
    mp.set_start_method("spawn", force=True)
    root, c = fresh_root()
    h = mpl.MultiProcessingHandler("x", sub_handler=c)   # queue now from spawn ctx
    root.removeHandler(c); root.addHandler(h)
    p = mp.Process(target=child_with_queue, args=(h.queue,)); p.start(); p.join()
    time.sleep(0.5); h.close()
    print("    exitcode", p.exitcode, "parent collected:", c.got)
    mp.set_start_method("fork", force=True)

if __name__ == "__main__":
    print("python", sys.version.split()[0], "module __version__", mpl.__version__,
          "default start method", mp.get_start_method())
    for n, f in [("A install_mp_handler, start method spawn", case_A),
                 ("B install_mp_handler (global fork), child via get_context('spawn')", case_B),
                 ("C pass MultiProcessingHandler to spawn child", case_C),
                 ("C2 pickle.dumps(MultiProcessingHandler)", case_C2),
                 ("D pass handler.queue (fork-ctx Queue) to spawn child + QueueHandler", case_D),
                 ("E undocumented: MultiProcessingHandler built under global spawn, child QueueHandler(h.queue)", case_E)]:
        run(n, f)
