#!/usr/bin/env bash
# make install (Makefile): into a DESTDIR, with PREFIX=/usr and PREFIX=/opt/esprit, from the
# build under test (GCC_DIR, without rebuilding): binaries, every man page in docs/, the
# systemd unit with ExecStart following SBINDIR, example configurations, /etc/esprit 0700.
# The unit must parse (systemd-analyze verify: no unknown or invalid settings).
source "$(dirname "$0")/lib.sh"

# install_to PREFIX: make install into $TMP/PREFIX-root; prints the DESTDIR.
install_to() {
	local d
	d="$TMP/root$(echo "$1" | tr / _)"
	make -s -C "$SRC_DIR" -o build install DESTDIR="$d" PREFIX="$1" GCC_DIR="$ESPRIT_BUILD" \
		>"$TMP/make.log" 2>&1 || { cat "$TMP/make.log"; return 1; }
	echo "$d"
}
mode() { stat -c %a "$1" 2>/dev/null; }

D=$(install_to /usr) && ok "make install DESTDIR=... PREFIX=/usr" || bad "make install failed"
for b in espritd esprit; do
	[ "$(mode "$D/usr/sbin/$b")" = 755 ] && ok "/usr/sbin/$b, mode 755" || bad "/usr/sbin/$b"
done
run "$D/usr/sbin/esprit" --version
[ "$RC" -eq 0 ] && ok "the installed esprit runs: $OUT" || bad "installed esprit --version: $ERR"
for m in "$SRC_DIR"/docs/*.[58]; do
	n=$(basename "$m")
	f="$D/usr/share/man/man${n##*.}/$n"
	cmp -s "$m" "$f" && [ "$(mode "$f")" = 644 ] && ok "man page $n" || bad "man page $n missing"
done
U="$D/usr/lib/systemd/system/espritd.service"
[ "$(mode "$U")" = 644 ] && ok "unit installed, mode 644" || bad "no unit at $U"
grep -qx "ExecStart=/usr/sbin/espritd -f /etc/esprit/esprit.conf --foreground" "$U" &&
	ok "unit: ExecStart runs /usr/sbin/espritd" || bad "unit ExecStart: $(grep ExecStart= "$U")"
for e in README frontend.conf backend.conf firewall.conf; do
	cmp -s "$EXAMPLES/$e" "$D/usr/share/doc/esprit/examples/$e" && ok "example $e" ||
		bad "example $e missing"
done
[ "$(mode "$D/etc/esprit")" = 700 ] && ok "/etc/esprit, mode 700" || bad "/etc/esprit mode"

D=$(install_to /opt/esprit) || bad "make install PREFIX=/opt/esprit failed"
U="$D/opt/esprit/lib/systemd/system/espritd.service"
grep -q "^ExecStart=/opt/esprit/sbin/espritd " "$U" && [ -x "$D/opt/esprit/sbin/espritd" ] &&
	ok "PREFIX=/opt/esprit: binary and ExecStart in /opt/esprit/sbin" ||
	bad "PREFIX=/opt/esprit: $(grep ExecStart= "$U" 2>&1)"

if command -v systemd-analyze >/dev/null; then
	run systemd-analyze verify "$SRC_DIR/packaging/espritd.service"
	bad_lines=$(grep -i "unknown\|invalid\|failed to parse\|ignoring" <<<"$ERR$OUT" || true)
	[ -z "$bad_lines" ] && ok "systemd-analyze verify: every setting understood" ||
		bad "systemd-analyze verify: $bad_lines"
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
