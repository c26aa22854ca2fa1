#!/usr/bin/env bash
# A one-node Slurm cluster on this host, for the tests: Debian 12's slurmctld, slurmd and
# munge (scripts/setup.sh installs them), started as root with every file of theirs under
# one directory, so nothing of the system's (/etc/slurm, /etc/munge, /run/munge) is used
# or changed.
#
#   tests/slurm_cluster.sh start DIR   writes DIR/slurm.conf, a munge key, starts munged,
#                                      slurmctld and slurmd on free ports, waits until sinfo
#                                      shows the node idle; prints `export SLURM_CONF=...`
#   tests/slurm_cluster.sh stop DIR    stops them (each by the pid it wrote), waits for them
#
# Clients (sbatch, squeue, scontrol, scancel) find the cluster through $SLURM_CONF; the
# jobs inherit it. Exit 77 when the packages are missing (for a caller to say so), 1 when
# the cluster does not come up (its logs on stderr).
set -u
cmd=${1:-}
D=${2:-}
[ -n "$cmd" ] && [ -n "$D" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

stop_pid() { # FILE: the daemon whose pid FILE holds, TERM then KILL after 10 s
    local f=$1 pid
    [ -f "$f" ] || return 0
    pid=$(cat "$f" 2>/dev/null)
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || { rm -f "$f"; return 0; }
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    rm -f "$f"
}

if [ "$cmd" = stop ]; then
    stop_pid "$D/slurmd.pid"
    stop_pid "$D/slurmctld.pid"
    stop_pid "$D/munged.pid"
    exit 0
fi
[ "$cmd" = start ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }

for b in munged slurmctld slurmd sbatch sinfo; do
    command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] ||
        { echo "$b is not installed (scripts/setup.sh installs slurmctld slurmd slurm-client munge)" >&2; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "the test cluster's daemons run as root" >&2; exit 77; }
export PATH=$PATH:/usr/sbin
mkdir -p "$D"/state "$D"/spool "$D"/munge && chmod 700 "$D" "$D"/munge || exit 1
D=$(cd "$D" && pwd)

port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
node=$(hostname -s)
cpus=$(nproc)
mem_mb=$(awk '/^MemTotal:/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
ctl_port=$(port)
d_port=$(port)
while [ "$d_port" = "$ctl_port" ]; do d_port=$(port); done

# munge: a key of this cluster's own, its own socket
dd if=/dev/urandom of="$D/munge/munge.key" bs=1024 count=1 status=none && chmod 400 "$D/munge/munge.key" || exit 1
munged --force --socket="$D/munge/munge.socket" --key-file="$D/munge/munge.key" \
    --pid-file="$D/munged.pid" --log-file="$D/munged.log" --seed-file="$D/munge/munged.seed" ||
    { cat "$D/munged.log" >&2; exit 1; }

cat >"$D/slurm.conf" <<CONF
# a one-node test cluster (tests/slurm_cluster.sh)
ClusterName=qbtest
SlurmctldHost=$node
SlurmctldPort=$ctl_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$D/munge/munge.socket
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobRequeue=1
MinJobAge=600
KillWait=5
InactiveLimit=0
SchedulerParameters=sched_interval=2
NodeName=$node CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$D/slurm.conf
slurmctld -f "$SLURM_CONF" || { cat "$D/slurmctld.log" >&2; exit 1; }
slurmd -f "$SLURM_CONF" || { cat "$D/slurmd.log" >&2; exit 1; }
for _ in $(seq 300); do
    st=$(sinfo -h -n "$node" -o '%T' 2>/dev/null)
    [ "$st" = idle ] && { echo "export SLURM_CONF='$SLURM_CONF'"; exit 0; }
    sleep 0.1
done
echo "the test cluster did not come up (node state '${st:-none}'):" >&2
tail -20 "$D/slurmctld.log" "$D/slurmd.log" >&2
exit 1
