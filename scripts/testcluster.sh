#!/usr/bin/env bash
# A test cluster on this one machine: network namespaces as hosts.
#
#   bash scripts/testcluster.sh check        # can it run here? (exit 3 and the reason if not)
#   bash scripts/testcluster.sh up [HOSTS]   # HOSTS namespaces (default 2), network, sshd, SLURM
#   bash scripts/testcluster.sh status       # what is up (exit 1 when down)
#   bash scripts/testcluster.sh exec [HOST] -- CMD...   # run CMD on a host (default pbnode1)
#   bash scripts/testcluster.sh down         # remove all of it
#
# What `up` makes (and `down` removes, every piece; `up` on a healthy cluster does
# nothing, on a broken one it runs `down` first):
#   * namespaces pbc-node1..N (the hosts pbnode1..N, 10.213.7.1..N/24) and pbc-switch,
#     which holds the bridge pbc-br; each host has one veth, pbc0, whose peer nodeK
#     is a port of the bridge.  No address outside 10.213.7.0/24 and no route out:
#     traffic goes only between these namespaces.  `ip netns add` bind-mounts
#     /run/netns; if that mount was not there before, `down` unmounts it.
#   * in STATE (/run/parbench-testcluster, mode 0700): an ed25519 key made for the
#     cluster (ssh/id_ed25519; its public half is the only authorized key), a host
#     key per host, ssh/config (used with `ssh -F`, also by MPICH's hydra through
#     HYDRA_LAUNCHER_EXTRA_ARGS) and ssh/known_hosts; a munge key; slurm.conf.
#   * one sshd per host, listening only on that host's address, public-key login
#     with the cluster key only (no password, no PAM); /run/sshd (its privilege
#     separation directory) if it was missing.
#   * where munge and SLURM are installed: one munged (in pbnode1; its socket, in
#     STATE/munge, serves every host: they share the file system), slurmctld on
#     pbnode1, one slurmd per host, partition `test`.  Otherwise the cluster comes up
#     without SLURM and `status` says why.
#
# Needs root, iproute2 with `ip netns`, openssh-server (Debian: openssh-server,
# munge, slurmd, slurmctld, slurm-client; SLURM 22.05 tested).
set -euo pipefail

STATE=${PARBENCH_CLUSTER_STATE:-/run/parbench-testcluster}
NET=10.213.7
PREFIX=pbc
SWITCH=$PREFIX-switch
CANNOT=3 # exit status of `check` and `up` when the cluster cannot run here

say() { echo "testcluster: $*" >&2; }
node_ns() { echo "$PREFIX-node$1"; }
ns_list() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$PREFIX-(node[0-9]+|switch)$" || true; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# The reason the cluster cannot run here, or nothing.
why_not() {
    [ "$(id -u)" -eq 0 ] || { echo "not root (network namespaces need CAP_SYS_ADMIN)"; return; }
    command -v ip >/dev/null || { echo "no 'ip' (iproute2)"; return; }
    command -v sshd >/dev/null || [ -x /usr/sbin/sshd ] || { echo "no sshd (Debian: openssh-server)"; return; }
    command -v ssh-keygen >/dev/null || { echo "no ssh-keygen (Debian: openssh-client)"; return; }
    local probe=$PREFIX-probe-$$ had_mount=0
    mountpoint -q /run/netns 2>/dev/null && had_mount=1
    if ! ip netns add "$probe" 2>/dev/null; then
        echo "'ip netns add' fails here (no network namespaces)"
        return
    fi
    ip netns del "$probe"
    [ $had_mount -eq 1 ] || unmount_netns_dir
}

# `ip netns add` bind-mounts /run/netns on itself the first time: undo it when empty.
unmount_netns_dir() {
    if mountpoint -q /run/netns 2>/dev/null && [ -z "$(ls -A /run/netns)" ]; then
        umount /run/netns && rmdir /run/netns
    fi
}

why_no_slurm() {
    local p
    for p in munged mungekey slurmctld slurmd sbatch srun; do
        command -v "$p" >/dev/null || [ -x "/usr/sbin/$p" ] || {
            echo "no $p (Debian: munge, slurmctld, slurmd, slurm-client)"
            return
        }
    done
}

cmd_check() {
    local why
    why=$(why_not)
    [ -z "$why" ] || { echo "cannot run: $why"; exit $CANNOT; }
    echo "ok: network namespaces, sshd"
    why=$(why_no_slurm)
    echo "slurm: ${why:-ok}"
}

make_network() {
    local n=$1 k
    ip netns add "$SWITCH"
    ip -n "$SWITCH" link add pbc-br type bridge
    ip -n "$SWITCH" link set pbc-br up
    for k in $(seq 1 "$n"); do
        ip netns add "$(node_ns "$k")"
        ip link add pbc0 netns "$(node_ns "$k")" type veth peer name "node$k" netns "$SWITCH"
        ip -n "$SWITCH" link set "node$k" master pbc-br up
        ip -n "$(node_ns "$k")" addr add "$NET.$k/24" dev pbc0
        ip -n "$(node_ns "$k")" link set pbc0 up
        ip -n "$(node_ns "$k")" link set lo up
    done
}

make_keys() {
    local n=$1 k
    mkdir -p "$STATE/ssh"
    ssh-keygen -q -t ed25519 -N '' -C parbench-testcluster -f "$STATE/ssh/id_ed25519"
    cp "$STATE/ssh/id_ed25519.pub" "$STATE/ssh/authorized_keys"
    : >"$STATE/ssh/known_hosts"
    {
        for k in $(seq 1 "$n"); do
            printf 'Host pbnode%s %s.%s\n    HostName %s.%s\n' "$k" "$NET" "$k" "$NET" "$k"
        done
        printf 'Host *\n    User root\n    IdentityFile %s\n    IdentitiesOnly yes\n' "$STATE/ssh/id_ed25519"
        printf '    UserKnownHostsFile %s\n    GlobalKnownHostsFile /dev/null\n' "$STATE/ssh/known_hosts"
        printf '    StrictHostKeyChecking yes\n    BatchMode yes\n    PasswordAuthentication no\n'
        printf '    ForwardAgent no\n    ForwardX11 no\n    LogLevel ERROR\n'
    } >"$STATE/ssh/config"
    for k in $(seq 1 "$n"); do
        mkdir -p "$STATE/node$k"
        ssh-keygen -q -t ed25519 -N '' -C "pbnode$k" -f "$STATE/node$k/ssh_host_ed25519_key"
        echo "pbnode$k,$NET.$k $(cut -d' ' -f1,2 "$STATE/node$k/ssh_host_ed25519_key.pub")" \
            >>"$STATE/ssh/known_hosts"
    done
    chmod -R go-rwx "$STATE/ssh"
}

start_sshd() {
    local k=$1 d="$STATE/node$1"
    cat >"$d/sshd_config" <<EOF
ListenAddress $NET.$k:22
HostKey $d/ssh_host_ed25519_key
PidFile $d/sshd.pid
AuthorizedKeysFile $STATE/ssh/authorized_keys
AuthorizedKeysCommand none
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowUsers root
UsePAM no
StrictModes yes
X11Forwarding no
AllowTcpForwarding no
AllowAgentForwarding no
PermitTunnel no
PermitUserEnvironment no
MaxStartups 64:30:128
EOF
    in_ns "$(node_ns "$k")" /usr/sbin/sshd -f "$d/sshd_config" -E "$d/sshd.log"
}

# SLURM 22.05 on these hosts: SlurmctldHost=name(address), MailProg=/bin/true (no
# mail program installed), cgroup/v1 in cgroup.conf (no cgroup file system is
# mounted here, and the plugin loads even with proctrack/linuxproc, task/none).
write_slurm_conf() {
    local n=$1 k cpus
    cpus=$(nproc)
    mkdir -p "$STATE/slurm/state"
    {
        echo "ClusterName=parbench-test"
        echo "SlurmctldHost=$(hostname -s)($NET.1)"
        echo "SlurmUser=root"
        echo "AuthType=auth/munge"
        echo "AuthInfo=socket=$STATE/munge/munge.socket"
        echo "CredType=cred/munge"
        echo "StateSaveLocation=$STATE/slurm/state"
        echo "SlurmdSpoolDir=$STATE/slurm/spool-%n"
        echo "SlurmctldPidFile=$STATE/slurm/slurmctld.pid"
        echo "SlurmdPidFile=$STATE/slurm/slurmd-%n.pid"
        echo "SlurmctldLogFile=$STATE/slurm/slurmctld.log"
        echo "SlurmdLogFile=$STATE/slurm/slurmd-%n.log"
        echo "ProctrackType=proctrack/linuxproc"
        echo "TaskPlugin=task/none"
        echo "JobAcctGatherType=jobacct_gather/none"
        echo "AccountingStorageType=accounting_storage/none"
        echo "JobCompType=jobcomp/none"
        echo "SelectType=select/cons_tres"
        echo "SelectTypeParameters=CR_Core"
        echo "MpiDefault=none"
        echo "ReturnToService=2"
        echo "MailProg=/bin/true"
        echo "SlurmdParameters=config_overrides"
        for k in $(seq 1 "$n"); do
            echo "NodeName=pbnode$k NodeAddr=$NET.$k CPUs=$cpus State=UNKNOWN"
        done
        echo "PartitionName=test Nodes=pbnode[1-$n] Default=YES MaxTime=30 State=UP"
    } >"$STATE/slurm/slurm.conf"
    echo "CgroupPlugin=cgroup/v1" >"$STATE/slurm/cgroup.conf"
}

start_slurm() {
    local n=$1 k m="$STATE/munge"
    mkdir -p "$m"
    chmod 755 "$m" # munge clients (slurmd, srun) must reach the socket
    mungekey --create --keyfile="$m/munge.key" --bits=1024
    chmod 400 "$m/munge.key"
    in_ns "$(node_ns 1)" munged --force --key-file="$m/munge.key" --socket="$m/munge.socket" \
        --pid-file="$m/munged.pid" --log-file="$m/munged.log" --seed-file="$m/munged.seed"
    write_slurm_conf "$n"
    export SLURM_CONF=$STATE/slurm/slurm.conf
    in_ns "$(node_ns 1)" slurmctld -i
    for k in $(seq 1 "$n"); do
        in_ns "$(node_ns "$k")" slurmd -N "pbnode$k"
    done
    for _ in $(seq 1 60); do
        if in_ns "$(node_ns 1)" sinfo -h -o '%T' 2>/dev/null | grep -qx idle &&
            [ "$(in_ns "$(node_ns 1)" sinfo -h -N -o '%T' | grep -cx idle)" -eq "$n" ]; then
            return 0
        fi
        sleep 0.5
    done
    say "SLURM nodes not idle after 30 s:"
    in_ns "$(node_ns 1)" sinfo -N >&2 || true
    return 1
}

wait_ssh() {
    local n=$1 k
    for k in $(seq 1 "$n"); do
        for _ in $(seq 1 50); do
            in_ns "$(node_ns 1)" ssh -F "$STATE/ssh/config" "pbnode$k" true 2>/dev/null && continue 2
            sleep 0.2
        done
        say "ssh to pbnode$k does not answer"
        return 1
    done
}

healthy() {
    [ -f "$STATE/hosts" ] || return 1
    local pidfile
    for pidfile in "$STATE"/node*/sshd.pid; do
        [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null || return 1
    done
    [ "$(ns_list | wc -l)" -eq $(($(wc -l <"$STATE/hosts") + 1)) ]
}

cmd_up() {
    local n=${1:-2} why k
    why=$(why_not)
    [ -z "$why" ] || { say "cannot run: $why"; exit $CANNOT; }
    if healthy && [ "$(wc -l <"$STATE/hosts")" -eq "$n" ]; then
        say "already up ($STATE/hosts)"
        return 0
    fi
    cmd_down
    mkdir -m 700 -p "$STATE"
    mountpoint -q /run/netns 2>/dev/null || touch "$STATE/made-netns-mount"
    [ -d /run/sshd ] || { mkdir -m 755 /run/sshd && touch "$STATE/made-run-sshd"; }
    make_network "$n"
    make_keys "$n"
    for k in $(seq 1 "$n"); do start_sshd "$k"; done
    wait_ssh "$n"
    why=$(why_no_slurm)
    if [ -z "$why" ]; then
        start_slurm "$n"
        echo "ok" >"$STATE/slurm-status"
    else
        echo "not started: $why" >"$STATE/slurm-status"
    fi
    for k in $(seq 1 "$n"); do echo "pbnode$k $NET.$k $(node_ns "$k")"; done >"$STATE/hosts"
    say "up: $n hosts (${NET}.1-$n), ssh config $STATE/ssh/config, slurm $(cat "$STATE/slurm-status")"
}

# TERM, then KILL after 5 s, the given pids (ours: the processes inside our namespaces).
stop_pids() {
    [ $# -gt 0 ] || return 0
    kill -TERM "$@" 2>/dev/null || true
    for _ in $(seq 1 50); do
        local alive=()
        local p
        for p in "$@"; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
        [ ${#alive[@]} -gt 0 ] || return 0
        sleep 0.1
    done
    kill -KILL "${alive[@]}" 2>/dev/null || true
}

cmd_down() {
    local ns pids=()
    for ns in $(ns_list); do
        # every process in our namespaces: the daemons (all started inside them) and what
        # ran through them (ranks, jobs); no pid file is trusted on its own
        mapfile -t -O "${#pids[@]}" pids < <(ip netns pids "$ns" 2>/dev/null)
    done
    stop_pids "${pids[@]}"
    for ns in $(ns_list); do ip netns del "$ns"; done
    [ ! -f "$STATE/made-netns-mount" ] || unmount_netns_dir
    if [ -f "$STATE/made-run-sshd" ]; then rmdir /run/sshd 2>/dev/null || true; fi
    rm -rf "$STATE"
}

cmd_status() {
    if ! healthy; then
        echo "down"
        return 1
    fi
    echo "up: $STATE"
    cat "$STATE/hosts"
    echo "slurm: $(cat "$STATE/slurm-status")"
}

# exec [HOST] -- CMD: CMD on HOST (default pbnode1) with the cluster's settings:
# SLURM_CONF, and HYDRA_LAUNCHER_EXTRA_ARGS (hydra's ssh launcher uses the cluster's ssh config).
cmd_exec() {
    local host=pbnode1
    [ "${1:-}" = "--" ] || { host=$1; shift; }
    [ "${1:-}" = "--" ] && shift
    healthy || { say "the cluster is down"; exit 1; }
    local ns
    ns=$(awk -v h="$host" '$1 == h {print $3}' "$STATE/hosts")
    [ -n "$ns" ] || { say "no host $host"; exit 2; }
    exec ip netns exec "$ns" env SLURM_CONF="$STATE/slurm/slurm.conf" \
        HYDRA_LAUNCHER_EXTRA_ARGS="-F $STATE/ssh/config" "$@"
}

case "${1:-}" in
    check) cmd_check ;;
    up) cmd_up "${2:-2}" ;;
    down) cmd_down ;;
    status) cmd_status ;;
    exec) shift; cmd_exec "$@" ;;
    *)
        echo "usage: $0 check|up [HOSTS]|status|exec [HOST] -- CMD...|down" >&2
        exit 2
        ;;
esac
