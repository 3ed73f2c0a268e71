import json, os, subprocess, sys, time, psutil
P = "/work/main/.venv/bin/python"; HERE = os.path.dirname(os.path.abspath(__file__))
for kill_pm in ("0", "1"):
    for unlink in ("0", "1"):
        out = f"{HERE}/kill2_{kill_pm}{unlink}.json"; s0 = set(os.listdir("/dev/shm"))
        pr = subprocess.Popen([P, f"{HERE}/kill2_child.py", kill_pm, unlink, out], cwd=HERE,
                              env=dict(os.environ, UCX_TLS="sm,self"), stdout=open(out + ".log", "w"), stderr=subprocess.STDOUT)
        try: rc = pr.wait(30)
        except subprocess.TimeoutExpired:
            rc = "hung >30s (killed)"; pr.kill(); pr.wait()
        time.sleep(1.5)
        rep = json.load(open(out)) if os.path.exists(out) else None
        left = sorted(set(os.listdir("/dev/shm")) - s0)
        print(json.dumps({"kill_pm": kill_pm, "unlink_early": unlink, "rc": rc, "child": rep,
                          "shm_left_after_exit": left, "log_tail": open(out + ".log").read()[-300:]}))
        sys.stdout.flush()
