#!/usr/bin/env bash
# docs/esprit.8: it formats without warnings, documents every command and option the binary
# has and the exit status, and its EXAMPLES really work: each "$ command" line inside .EX/.EE
# runs from the source tree (with this build's esprit first on PATH) and the lines shown
# after it appear in its output, in order ("..." marks lines left out).
source "$(dirname "$0")/lib.sh"

MAN="$SRC_DIR/docs/esprit.8"
[ -f "$MAN" ] || { bad "no $MAN"; finish; }

# --- it formats cleanly ----------------------------------------------------------------------
if command -v groff >/dev/null; then
	warn="$(groff -man -ww -z "$MAN" 2>&1)"
	[ -z "$warn" ] && ok "groff -ww: no warnings" || bad "groff warnings: $warn"
fi

# Plain text of the page without roff escapes, for the checks below.
unroff() { sed -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/\\&//g' -e 's/\\e/\\/g' "$@"; }
TEXT="$(unroff "$MAN")"

# --- every command and every long option of the binary is documented -------------------------
cmds="$("$ESPRIT" --help | sed -n 's/^  \([a-z][a-z-]*\( [a-z]*\)\?\)  .*/\1/p' | sed 's/ *$//')"
[ -n "$cmds" ] && ok "commands listed by --help" || bad "no commands in --help"
while read -r c; do
	[ -n "$c" ] || continue
	# shellcheck disable=SC2086
	has "man: command $c" "$TEXT" "^\.(TP|B|BR|BI) .*${c}"
	# shellcheck disable=SC2086
	for o in $("$ESPRIT" help $c | grep -oE -- '--[a-z-]+' | sort -u); do
		has "man: $c option $o" "$TEXT" -- "$o"
	done
done <<<"$cmds"
for code in 0 1 2; do
	has "man: exit status $code" "$(sed -n '/^\.SH EXIT STATUS/,/^\.SH FILES/p' "$MAN")" "^\.B $code\$"
done
has "man: EXAMPLES section" "$TEXT" '^\.SH EXAMPLES$'

# --- EXAMPLES run --------------------------------------------------------------------------
# Collect blocks: "C<command>" and "O<expected line>" records.
sed -n '/^\.SH EXAMPLES/,/^\.SH /p' "$MAN" | unroff | awk '
	/^\.EX/ { inex = 1; next }
	/^\.EE/ { inex = 0; next }
	inex && /^\$ / { print "C" substr($0, 3); next }
	inex && /^# / { next }
	inex { print "O" $0 }
' >"$TMP/examples"
nex="$(grep -c '^C' "$TMP/examples")"
[ "$nex" -ge 8 ] && ok "$nex runnable examples" || bad "only $nex runnable examples"

# check_example CMD EXPECTED-FILE
check_example() {
	local cmd="$1" out pos=0 line n
	out="$(cd "$SRC_DIR" && PATH="$ESPRIT_BUILD:$PATH" bash -o pipefail -c "$cmd" 2>&1)" || {
		# A failing command is fine only if the example shows its exit status.
		grep -q '^exit [1-9]' "$2" || { bad "example fails: $cmd: $out"; return; }
	}
	# Each expected line must appear after the previous one.
	while IFS= read -r line; do
		[ "$line" = "..." ] && continue
		n="$(tail -n +"$((pos + 1))" <<<"$out" | { grep -nxF -- "$line" || true; } | head -n1 | cut -d: -f1)"
		if [ -z "$n" ]; then
			bad "example '$cmd': line not found (in order): '$line'"
			return
		fi
		pos=$((pos + n))
	done <"$2"
	ok "example: $cmd"
}

cmd=""
: >"$TMP/expect"
while IFS= read -r rec; do
	case "$rec" in
	C*)
		[ -n "$cmd" ] && check_example "$cmd" "$TMP/expect"
		cmd="${rec#C}"
		: >"$TMP/expect"
		;;
	O*) printf '%s\n' "${rec#O}" >>"$TMP/expect" ;;
	esac
done <"$TMP/examples"
[ -n "$cmd" ] && check_example "$cmd" "$TMP/expect"
rm -f /tmp/esprit-broken.conf

finish
