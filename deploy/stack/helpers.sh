# Shell helpers shared by deploy/stack/*.sh and deploy/cluster/lib.sh (sourced, not
# run). The sourcing script sets HELPERS_NAME (how errors are signed), TIMEOUT, and STACK
# (where apt_install writes apt.log).

say() { printf '%-10s %s\n' "$1" "$2"; }

# cmdline_of PID: the command line of a live process, words joined by spaces; empty when
# it is gone. A process caught in execve reads an empty command line (16 reads in 200 of
# a starting process, 2026-12-03), so an empty read is taken again for up to a second
# while the process lives: a start being watched is never taken for an exit.
cmdline_of() {
    local pid="$1" cmdline=""
    [[ "$pid" =~ ^[0-9]+$ ]] || return 0
    for _ in $(seq 20); do
        kill -0 "$pid" 2>/dev/null || return 0
        cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
        [[ -n "$cmdline" ]] && break
        sleep 0.05
    done
    printf '%s' "$cmdline"
}

# stop_pidfile PART PIDFILE PATTERN: SIGTERM the pid (if its command line
# matches PATTERN, so a recycled pid is never hit), SIGKILL after 10 s.
stop_pidfile() {
    local part="$1" pidfile="$2" pattern="$3" pid
    if [[ ! -f "$pidfile" ]]; then
        say "$part" "not running"
        return 0
    fi
    pid="$(cat "$pidfile")"
    local cmdline
    cmdline="$(cmdline_of "$pid")"
    if [[ "$cmdline" != *"$pattern"* ]]; then
        rm -f "$pidfile"
        say "$part" "not running (stale pid file)"
        return 0
    fi
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null || true
        say "$part" "killed (pid $pid did not exit on SIGTERM)"
    else
        say "$part" "stopped"
    fi
    rm -f "$pidfile"
}

# die PART LOGFILE MESSAGE: print the message plus the tail of the log, exit 1.
die() {
    local part="$1" log="$2" msg="$3"
    echo "${HELPERS_NAME:-stack}: $part: $msg" >&2
    if [[ -n "$log" && -f "$log" ]]; then
        echo "---- last lines of $log ----" >&2
        tail -n 40 "$log" >&2 || true
        echo "----" >&2
    fi
    exit 1
}

# wait_until PART LOGFILE CMD...: retry CMD for $TIMEOUT seconds.
wait_until() {
    local part="$1" log="$2"
    shift 2
    local deadline=$((SECONDS + TIMEOUT))
    until "$@" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            die "$part" "$log" "not ready after ${TIMEOUT}s (check: $*)"
        fi
        sleep 0.3
    done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# banner_ok PORT PREFIX: the server on PORT greets with a line starting PREFIX.
banner_ok() {
    local line
    exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
    IFS= read -r -t 3 line <&3 || { exec 3<&-; return 1; }
    exec 3<&-
    [[ "$line" == "$2"* ]]
}

# sieve_ok PORT: the ManageSieve server on PORT sends its capabilities (the first line names
# the IMPLEMENTATION) and ends its greeting with an OK line (RFC 5804, section 1.7).
sieve_ok() {
    local line first=""
    exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
    for _ in $(seq 1 40); do
        IFS= read -r -t 3 line <&3 || break
        [[ -n "$first" ]] || first="$line"
        if [[ "$line" == OK* ]]; then
            exec 3<&-
            [[ "$first" == '"IMPLEMENTATION"'* ]]
            return
        fi
    done
    exec 3<&-
    return 1
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# apt_install PACKAGE...: install from the current package lists, and after
# one `apt-get update` if that fails (stale lists). Waits for a held apt lock.
apt_install() {
    say packages "installing: $*"
    export DEBIAN_FRONTEND=noninteractive
    local apt=(apt-get -o DPkg::Lock::Timeout=120 install -y --no-install-recommends "$@")
    if ! "${apt[@]}" >"$STACK/apt.log" 2>&1; then
        apt-get -o DPkg::Lock::Timeout=120 update >>"$STACK/apt.log" 2>&1 || true
        "${apt[@]}" >>"$STACK/apt.log" 2>&1 || die packages "$STACK/apt.log" "apt-get install failed"
    fi
}
