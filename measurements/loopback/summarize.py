import json, sys
for fn in sys.argv[1:]:
    try:
        d = json.load(open(fn))
    except Exception as e:
        print(fn, "NOT JSON:", open(fn).read()[-1500:]); continue
    print(f"== {d['label']} env={d['env']} wrapper={d['wrapper']} pmargs={d['pmargs']!r} info={d['info']}")
    print("   open_s", d.get("open_s"), "reduce_ok", d.get("reduce_ok"), "rank_gone", d.get("rank_gone"),
          {k: d[k] for k in d if k.endswith("median")})
    for s in ("open", "after_close", "after_kill", "reopen"):
        if s in d:
            print(f"   [{s}] procs:", "; ".join(d[s]["procs"]))
            for r in d[s]["sockets"]:
                print("      ", "EXPOSED" if r in d[s]["exposed"] else "ok     ", r)
    for k in ("shm_new_while_open", "shm_after_close", "shm_after_kill"):
        if k in d: print("  ", k, d[k])
