# scripts/pin.sh — sourced by the timing scripts that compare builds or
# engines (counting-overhead, ablation): where their runs go. A VM's
# virtual CPUs can differ by half in speed, so every run of a comparison
# goes to one CPU: by default the last this process may use.

# The last CPU this process may use.
pin_default() {
    awk '/^Cpus_allowed_list/ { n = split($2, c, /[-,]/); print c[n] }' /proc/self/status
}

# pin_prefix SCRIPT PIN: sets ON, the prefix that runs a command on CPU PIN
# (empty for 'none'); one line on stderr and exit 2 where PIN cannot be used.
pin_prefix() {
    ON=
    [ "$2" = none ] && return 0
    taskset -c "$2" true 2>/dev/null || { echo "$1: cannot pin to CPU '$2'" >&2; exit 2; }
    ON="taskset -c $2"
}
