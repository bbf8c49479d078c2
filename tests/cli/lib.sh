# Shared helpers for tests/cli/test_*.sh (sourced, not run by ctest).
# Each test counts passes and failures, prints "N passed, N failed" and exits non-zero on any
# failure.

set -euo pipefail

: "${ESPRIT_BUILD:?ESPRIT_BUILD must point at the build directory}"
ESPRIT="$ESPRIT_BUILD/esprit"
SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
EXAMPLES="$SRC_DIR/examples"
PY3=/usr/bin/python3
PASSED=0
FAILED=0
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

[ -x "$ESPRIT" ] || { echo "no $ESPRIT"; exit 1; }

ok() { PASSED=$((PASSED + 1)); echo "ok   $1"; }
bad() { FAILED=$((FAILED + 1)); echo "FAIL $1"; }

# run CMD...: runs with stdout/stderr captured in $OUT/$ERR and the status in $RC.
run() {
	set +e
	"$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	set -e
	OUT="$(cat "$TMP/out")"
	ERR="$(cat "$TMP/err")"
}

# expect_rc NAME WANT CMD...: exit status of CMD is WANT.
expect_rc() {
	local name="$1" want="$2"
	shift 2
	run "$@"
	if [ "$RC" -eq "$want" ]; then
		ok "$name (exit $RC)"
	else
		bad "$name: exit $RC, want $want; stderr: $ERR"
	fi
}

# has NAME TEXT PATTERN: TEXT matches extended regex PATTERN (one line of it).
has() {
	if grep -Eq -- "$3" <<<"$2"; then ok "$1"; else bad "$1: no /$3/ in: $2"; fi
}
hasnt() {
	if grep -Eq -- "$3" <<<"$2"; then bad "$1: unexpected /$3/ in: $2"; else ok "$1"; fi
}
# field NAME TEXT LABEL WANT: the line "LABEL  value" of a text block has value WANT.
field() {
	local got
	got="$(sed -n "s/^$3  *//p" <<<"$2" | head -n1)"
	if [ "$got" = "$4" ]; then ok "$1"; else bad "$1: $3 is '$got', want '$4'"; fi
}

finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
