#!/usr/bin/env bash
# System calls and heap allocations per request of bench figure b's load (single heartbeats
# from keep-alive sessions, closed loop), for the release aggregator with the heartbeat journal
# off and on, and for the bare axum handler (`usage-bench bare-server`), the reference.
# Counts, not times: they do not move with the neighbours' load the way b's rates do.
#
#   cargo build --release -p usage-aggregator -p usage-bench
#   bash scripts/count-per-request.sh            # all three; ~3 min
#   ONLY="off" N=2000 CONNS=100 bash scripts/count-per-request.sh
#   TOP=20 ONLY=off bash scripts/count-per-request.sh   # and where the allocations are
#
# Needs strace and valgrind (Debian: apt-get install strace valgrind) and the MariaDB at
# COUNT_DB (default mysql://root@127.0.0.1:3306), where it makes and drops a database of its own.
# How (BENCHMARKS.md, "Counts per request"):
# - system calls: `strace -f -c` attached to the running server for exactly N requests, after a
#   warm-up of 10 per session (connections open, sessions stored, caches warm). Tracing slows
#   each call, so the server batches a little more per wake-up than untraced: read the figures
#   as "about", comparable between binaries run the same way.
# - allocations: valgrind's DHAT, two runs of the server (warm-up only, and warm-up then N
#   requests); (blocks of the second - blocks of the first) / N. DHAT counts every malloc,
#   calloc and realloc (a realloc counts as one block).
# - writer flushes over the N requests, from the aggregator's /metrics (requests per flush set
#   how much of the writer's per-flush work each request carries).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-target/release}
# The aggregator measured (another build beside this one: AGG=path/to/usage-aggregator).
AGG=${AGG:-$BIN/usage-aggregator}
N=${N:-2000}
CONNS=${CONNS:-100}
ONLY=${ONLY:-"bare off on"}
COUNT_DB=${COUNT_DB:-mysql://root@127.0.0.1:3306}
WARM=$((CONNS * 10))
work=$(mktemp -d)
db="count_$$"
server=""

cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    mysql -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS $db" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

for tool in strace valgrind mysql; do
    command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
for binary in "$AGG" "$BIN/usage-bench"; do
    [ -x "$binary" ] || { echo "$binary missing: build the release first" >&2; exit 1; }
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_listening() { # port pid
    for _ in $(seq 600); do
        kill -0 "$2" 2>/dev/null || { echo "server exited early" >&2; return 1; }
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.2
    done
    echo "server did not listen" >&2
    return 1
}

# start KIND PORT [WRAP...]: the server of KIND (bare, off, on) on PORT, pid in $server.
start() {
    local kind=$1 port=$2
    shift 2
    if [ "$kind" = bare ]; then
        "$@" "$BIN/usage-bench" bare-server "$port" >/dev/null 2>"$work/server.log" &
    else
        mysql -h127.0.0.1 -uroot -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db"
        USAGE_DATABASE_URL="$COUNT_DB/$db" USAGE_LOG=error "$AGG" migrate >/dev/null
        local journal=false
        [ "$kind" = on ] && journal=true
        USAGE_DATABASE_URL="$COUNT_DB/$db" USAGE_LISTEN="127.0.0.1:$port" USAGE_LOG=warn \
            USAGE_RATE_LIMITS=false USAGE_MAX_CONNECTIONS=8192 USAGE_MAX_CONNECTIONS_PER_CLIENT=8192 \
            USAGE_HEARTBEAT_JOURNAL=$journal "$@" "$AGG" serve >/dev/null 2>"$work/server.log" &
    fi
    server=$!
    wait_listening "$port" "$server"
}

stop() {
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
}

# Under valgrind an answer can take far longer than the bench's 5 s.
send() { BENCH_REQUEST_TIMEOUT_SECS=600 "$BIN/usage-bench" send "$1" "$2" "$CONNS" "$3" >/dev/null; }

flushes() { # port: writer flushes so far (0 for the bare handler)
    curl -s "http://127.0.0.1:$1/metrics" | awk '/^usage_flush_requests_count/ {print $2; f=1} END {if (!f) print 0}'
}

syscalls() { # kind: "total per request; the kinds above 0.1 per request"
    local kind=$1 port
    port=$(free_port)
    start "$kind" "$port"
    send "$port" "$WARM" 1
    local before
    before=$(flushes "$port")
    strace -f -c -o "$work/strace" -p "$server" 2>/dev/null &
    local tracer=$!
    sleep 2
    send "$port" "$N" 11
    sleep 0.5
    kill -INT "$tracer"
    wait "$tracer" 2>/dev/null || true
    local after
    after=$(flushes "$port")
    stop
    local made=$((after - before))
    [ "$kind" = bare ] || printf '  %s flushes (%.1f requests each)\n' "$made" "$(echo "$N / ($made + 0.0001)" | bc -l)"
    awk -v n="$N" '$1 ~ /^[0-9.]+$/ && $4 ~ /^[0-9]+$/ {
            if ($NF == "total") { total = $4; next }
            per = $4 / n; if (per >= 0.1) line = line sprintf(" %s %.2f,", $NF, per)
        }
        END { printf "  syscalls per request: %.2f (%s)\n", total / n, line }' "$work/strace"
}

blocks() { # kind requests: heap blocks allocated by a whole run (DHAT)
    local kind=$1 requests=$2 port
    port=$(free_port)
    start "$kind" "$port" valgrind --tool=dhat --dhat-out-file="$work/dhat.$requests.json" --log-file="$work/dhat"
    send "$port" "$WARM" 1
    [ "$requests" -gt 0 ] && send "$port" "$requests" 11
    stop
    # "Total:     1,234 bytes in 56 blocks"
    awk '/Total:/ {gsub(",", ""); for (i = 1; i < NF; i++) if ($(i + 1) == "blocks") print $i; exit}' "$work/dhat"
}

echo "per request of figure b's load: $N heartbeats from $CONNS keep-alive sessions (closed loop), after $WARM of warm-up"
for kind in $ONLY; do
    case $kind in
        bare) echo "bare axum handler (usage-bench bare-server):" ;;
        off) echo "aggregator, heartbeat journal off:" ;;
        on) echo "aggregator, heartbeat journal on:" ;;
        *) echo "ONLY: bare, off or on" >&2; exit 1 ;;
    esac
    syscalls "$kind"
    base=$(blocks "$kind" 0)
    with=$(blocks "$kind" "$N")
    printf '  heap allocations per request: %.1f (DHAT: %s blocks with, %s without the %s requests)\n' \
        "$(echo "($with - $base) / $N" | bc -l)" "$with" "$base" "$N"
    if [ "${TOP:-0}" -gt 0 ]; then
        echo "  allocation sites per request (the $TOP largest differences):"
        python3 scripts/dhat-sites.py "$work/dhat.0.json" "$work/dhat.$N.json" "$N" "$TOP"
    fi
done
