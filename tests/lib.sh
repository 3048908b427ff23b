# tests/lib.sh — what the shell tests share, sourced after they set $T (a
# scratch directory): cases that count their failures, and the check that
# bad input gets exactly one line on stderr and a non-zero exit.
case_fail=0
note() { echo "  # $*"; case_fail=$((case_fail + 1)); }
begin() { case_fail=0; }
end() { if [ "$case_fail" -eq 0 ]; then echo "ok $*"; else echo "FAIL $* ($case_fail failures)"; fi; }

# Exactly one line on stderr, non-zero exit (not a crash), matching a pattern.
expect_error() { # pattern, command...
    pat=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    n=$(wc -l <"$T/err")
    if [ "$rc" -eq 0 ]; then note "'$*' exited 0"; return; fi
    if [ "$rc" -gt 125 ]; then note "'$*' crashed (status $rc)"; return; fi
    if [ "$n" -ne 1 ]; then note "'$*' printed $n lines on stderr: $(head -c 300 "$T/err")"; return; fi
    grep -q -- "$pat" "$T/err" || note "'$*': '$(cat "$T/err")' does not match '$pat'"
}
