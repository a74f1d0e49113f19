#!/bin/sh
# A single-node Slurm cluster (munge + slurmctld + slurmd from Debian's
# packages) in a folder of its own, on loopback, without systemd: what the
# scale tests run the array job on.  Not for production: a site's Slurm is
# configured by its administrators.
#   scripts/slurm/local-cluster.sh start DIR   prints "export SLURM_CONF=..."
#   scripts/slurm/local-cluster.sh stop DIR
set -eu
cmd=${1:?start|stop}
D=$(mkdir -p "${2:?folder}" && cd "$2" && pwd)
stop() {
    for p in slurmd slurmctld munged; do
        if [ -f "$D/$p.pid" ]; then kill "$(cat "$D/$p.pid")" 2>/dev/null || true; fi
    done
    for p in slurmd slurmctld munged; do # wait for them to go, so DIR can be removed
        i=0
        while [ -f "$D/$p.pid" ] && kill -0 "$(cat "$D/$p.pid")" 2>/dev/null && [ $i -lt 50 ]; do
            sleep 0.1; i=$((i + 1))
        done
        rm -f "$D/$p.pid"
    done
}
if [ "$cmd" = stop ]; then stop; exit 0; fi

port() { # a free loopback TCP port
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
mkdir -p "$D/state" "$D/spool" "$D/log"
[ -f "$D/munge.key" ] || { dd if=/dev/urandom of="$D/munge.key" bs=1024 count=1 2>/dev/null; chmod 400 "$D/munge.key"; }
mkdir -p "$D/munge"; chmod 700 "$D/munge"
/usr/sbin/munged --force --socket="$D/munge/munge.sock" --key-file="$D/munge.key" --pid-file="$D/munged.pid" \
    --log-file="$D/log/munged.log" --seed-file="$D/munge/seed"
node=$(hostname -s)
cpus=$(nproc)
mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
cat > "$D/slurm.conf" <<CONF
ClusterName=chakrawatch
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$(port)
SlurmdPort=$(port)
SlurmUser=$(id -un)
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$D/munge/munge.sock
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
DependencyParameters=kill_invalid_depend
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=2048
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=cw Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$D/slurm.conf"
/usr/sbin/slurmctld -i
/usr/sbin/slurmd
i=0
until sinfo -h -o %T 2>/dev/null | grep -q idle; do
    i=$((i + 1))
    if [ $i -gt 300 ]; then
        echo "local-cluster: slurm did not come up; see $D/log" >&2
        tail -n 20 "$D/log/slurmctld.log" "$D/log/slurmd.log" >&2 || true
        stop; exit 1
    fi
    sleep 0.1
done
echo "export SLURM_CONF=$D/slurm.conf"
