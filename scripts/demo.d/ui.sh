# shellcheck shell=bash
# Output helpers for scripts/demo: one line per step, ✓ or ✗, and the counts at the end.
# DEMO_BRIEF=1 (--brief) prints only the check lines and the summary.

PASSED=0
FAILED=0
if [ -t 1 ]; then
	C_OK=$'\e[32m' C_BAD=$'\e[31m' C_DIM=$'\e[2m' C_HEAD=$'\e[1m' C_OFF=$'\e[0m'
else
	C_OK="" C_BAD="" C_DIM="" C_HEAD="" C_OFF=""
fi

ok() {
	PASSED=$((PASSED + 1))
	echo "  ${C_OK}✓${C_OFF} $*"
}
bad() {
	FAILED=$((FAILED + 1))
	echo "  ${C_BAD}✗${C_OFF} $*"
}
# check TEXT CMD...: one step; CMD's success decides ✓ or ✗.
check() {
	local text="$1"
	shift
	if "$@"; then ok "$text"; else bad "$text"; fi
}
# say TEXT: explanation for newcomers (not in --brief).
say() {
	[ "${DEMO_BRIEF:-0}" = 1 ] || echo "${C_DIM}$*${C_OFF}"
}
heading() {
	if [ "${DEMO_BRIEF:-0}" = 1 ]; then
		echo "$*"
	else
		echo
		echo "${C_HEAD}$*${C_OFF}"
	fi
}
# show CMD...: the output of CMD, indented (not in --brief).
show() {
	[ "${DEMO_BRIEF:-0}" = 1 ] && return 0
	"$@" 2>&1 | sed 's/^/      /'
}
