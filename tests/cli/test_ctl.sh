#!/usr/bin/env bash
# esprit status | sa | stats | export-wireshark | up | down | rekey against a stand-in for
# espritd's control socket (a Python SOCK_SEQPACKET server that records each request and answers
# with a canned reply in the format of lib/ctlmsg.h). Checks the request bytes on the wire, the human and --json
# renderings (JSON parsed by Python), the Wireshark esp_sa lines, and the error paths: no
# daemon, another protocol version, an error reply, a malformed reply, no reply at all.
# The real daemon is exercised end to end by tests/net/test_wireshark*.sh and test_stats*.sh.
source "$(dirname "$0")/lib.sh"

SOCK="$TMP/ctl.sock"
SRV=""
cleanup_ctl() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup_ctl EXIT

cat >"$TMP/srv.py" <<'PY'
import os, socket, sys
path, reply, reqfile = sys.argv[1:4]
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(path)
s.listen(1)
s.settimeout(30)  # a client that never comes must not hang the test
print("ready", flush=True)
c, _ = s.accept()
with open(reqfile, "wb") as f:
    f.write(c.recv(4096))
data = open(reply, "rb").read()
if len(data) > 65536:
    c.setsockopt(socket.SOL_SOCKET, 32, len(data) + 4096)  # SO_SNDBUFFORCE, as espritd does
if data:
    c.send(data)
c.close()
s.close()
os.unlink(path)
PY

# serve REPLY_TEXT: answer the next connection on $SOCK with REPLY_TEXT (printf format).
serve() {
	# shellcheck disable=SC2059
	printf "$1" >"$TMP/reply"
	rm -f "$TMP/req" "$TMP/srv.out" # "ready" must come from this server
	"$PY3" "$TMP/srv.py" "$SOCK" "$TMP/reply" "$TMP/req" >"$TMP/srv.out" &
	SRV=$!
	for _ in $(seq 50); do
		grep -q ready "$TMP/srv.out" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "fake server did not start"
	exit 1
}
served() { wait "$SRV" 2>/dev/null; SRV=""; }
json_get() { # json_get JSON PYEXPR: evaluate PYEXPR on the parsed document `d`
	"$PY3" -c 'import json, sys; d = json.loads(sys.stdin.read()); print(eval(sys.argv[1]))' "$2" <<<"$1"
}

# ---- no daemon ---------------------------------------------------------------------------------
expect_rc "status without a daemon fails" 1 "$ESPRIT" status --control "$TMP/none.sock"
[ "$ERR" = "esprit: cannot reach espritd at $TMP/none.sock: No such file or directory" ] &&
	ok "clear message when the daemon is not running" || bad "message: $ERR"
ESPRIT_CONTROL="$TMP/env.sock" run "$ESPRIT" sa
has "ESPRIT_CONTROL names the socket" "$ERR" "at $TMP/env.sock: No such file"
ESPRIT_CONTROL="$TMP/env.sock" run "$ESPRIT" sa --control "$TMP/opt.sock"
has "--control wins over ESPRIT_CONTROL" "$ERR" "at $TMP/opt.sock: No such file"
env -u ESPRIT_CONTROL "$ESPRIT" stats >/dev/null 2>"$TMP/err" || true
has "default socket path" "$(cat "$TMP/err")" "at /run/esprit/esprit.sock: "
: >"$TMP/plain"
expect_rc "a path that is not a socket fails" 1 "$ESPRIT" status --control "$TMP/plain"
has "...with the reason" "$ERR" "cannot reach espritd at $TMP/plain: Connection refused"

# ---- usage -------------------------------------------------------------------------------------
expect_rc "stats --keys is a usage error" 2 "$ESPRIT" stats --keys
expect_rc "export-wireshark --json is a usage error" 2 "$ESPRIT" export-wireshark --json
expect_rc "sa with an argument is a usage error" 2 "$ESPRIT" sa extra
expect_rc "status --control without a path" 2 "$ESPRIT" status --control
for cmd in status sa stats export-wireshark; do
	expect_rc "help $cmd" 0 "$ESPRIT" help "$cmd"
	has "help $cmd documents --control" "$OUT" "--control PATH"
done
expect_rc "--help" 0 "$ESPRIT" --help
for cmd in status sa stats export-wireshark; do
	has "--help lists $cmd" "$OUT" "^  $cmd "
done

# ---- status ------------------------------------------------------------------------------------
ST='esprit-ctl 1\ndaemon espritd 0.1.0\nversion 0.1.0\npid 4242\nuptime 3725\ntun esprit0\nsteering on\nsas 3\nsas_out 2\nsas_in 1\nsas_manual 2\nsas_ike 1\nike off\n'
serve "$ST"
expect_rc "status" 0 "$ESPRIT" status --control "$SOCK"
served
[ "$(cat "$TMP/req")" = "esprit-ctl 1 status" ] && ok "status request on the wire" ||
	bad "request: $(od -c "$TMP/req")"
has "status: version, uptime, pid" "$OUT" '^espritd 0\.1\.0, up 1h 2m 5s \(pid 4242\)$'
has "status: TUN" "$OUT" '^  TUN +esprit0$'
has "status: steering" "$OUT" '^  steering +on$'
has "status: SA counts" "$OUT" '^  SAs +3 \(manual 2, IKE 1; inbound 1, outbound 2\)$'
has "status: IKE off" "$OUT" '^  IKE +off'
serve "$ST"
expect_rc "status --json" 0 "$ESPRIT" status --json --control "$SOCK"
served
[ "$(json_get "$OUT" '(d["uptime"], d["pid"], d["steering"], d["sas"]["manual"], d["sas"]["ike"], d["sas"]["outbound"], d["tun"], d["ike"])')" = \
	"(3725, 4242, True, 2, 1, 2, 'esprit0', False)" ] && ok "status --json values" ||
	bad "status --json: $OUT"

# ---- sa ----------------------------------------------------------------------------------------
SA='esprit-ctl 1\n'
SA+='sa out esp spi 0x00001001 transport 10.9.0.1 -> 10.9.0.2 alg aes-gcm-128/icv16 packets 7 bytes 700 drops 0 seq 7\n'
SA+='spi 0x00001001\ndir out\nproto esp\nmode transport\nfamily ipv4\nsrc 10.9.0.1\ndst 10.9.0.2\nencap none\nesn no\n'
SA+='alg aes-gcm-128/icv16\nencr aes-gcm-128/icv16\nencr_id 20\nencr_bits 128\nicv_len 16\ninteg none\ninteg_id 0\n'
SA+='origin manual\nchild_id 0\nselector 10.9.0.1/32 10.9.0.2/32 proto 6 lport 0 rport 80\npackets 7\nbytes 700\ndrops 0\nseq 7\n'
SA+='replay_window -\nreplay_drops 0\nage 12\nsoft_seconds_left -\nsoft_bytes_left -\nsoft_packets_left -\n'
SA+='hard_seconds_left 88\nhard_bytes_left -\nhard_packets_left 93\nstate ok\n'
SA+='sa in esp spi 0x00001002 transport 2001:db8::2 -> 2001:db8::1 encap udp alg aes-cbc-128+hmac-sha256-128 packets 9 bytes 900 drops 3 seq 0\n'
SA+='spi 0x00001002\ndir in\nproto esp\nmode transport\nfamily ipv6\nsrc 2001:db8::2\ndst 2001:db8::1\nencap udp 4500 4500\nesn yes\n'
SA+='alg aes-cbc-128+hmac-sha256-128\nencr aes-cbc-128\nencr_id 12\nencr_bits 128\nicv_len 16\ninteg hmac-sha256-128\ninteg_id 12\n'
SA+='origin web\nchild_id 5\nselector any\npackets 9\nbytes 900\ndrops 3\ndrop 2 replay\ndrop 1 ICV failure\nseq 0\n'
SA+='replay_window 64\nreplay_top 11\nreplay_drops 2\nage 12\nsoft_seconds_left -\nsoft_bytes_left -\nsoft_packets_left -\n'
SA+='hard_seconds_left -\nhard_bytes_left -\nhard_packets_left -\nstate ok\n'
SA+='sa in ah spi 0x00002002 tunnel 10.0.0.2 -> 10.0.0.1 alg hmac-sha256-128 packets 0 bytes 0 drops 0 seq 0\n'
SA+='spi 0x00002002\ndir in\nproto ah\nmode tunnel\nfamily ipv4\nsrc 10.0.0.2\ndst 10.0.0.1\nencap none\nesn no\n'
SA+='alg hmac-sha256-128\nencr none\nencr_id 0\nencr_bits 0\nicv_len 16\ninteg hmac-sha256-128\ninteg_id 12\norigin manual\nchild_id 0\n'
SA_KEYS="${SA}"
# IKE SA records follow the SA records in espritd's `sa` reply (not in sa-keys): one
# established over NAT-T (IPv6 peer on 4500), one half-open responder without transforms.
IKE1='ike_sa 0123456789abcdef:fedcba9876543210 ESTABLISHED initiator web 10.9.0.1:4500 [2001:db8::2]:4500 AES_GCM_16_256/PRF_HMAC_SHA2_384/ECP_384 2\n'
IKE1+='ike_spi_i 0x0123456789abcdef\nike_spi_r 0xfedcba9876543210\nike_state ESTABLISHED\nike_role initiator\nike_rule web\n'
IKE1+='ike_local 10.9.0.1:4500\nike_remote [2001:db8::2]:4500\nike_encr AES_GCM_16_256\nike_prf PRF_HMAC_SHA2_384\nike_integ -\n'
IKE1+='ike_ke ECP_384\nike_age 42\nike_rekey_left 3100\nike_expire_left 3558\nike_children 5 7\n'
SA+="$IKE1"
SA+='ike_sa 1111111111111111:0000000000000000 INIT_DONE responder - 10.9.0.1:500 10.9.0.3:500 - 0\n'
SA+='ike_spi_i 0x1111111111111111\nike_spi_r 0x0000000000000000\nike_state INIT_DONE\nike_role responder\nike_rule -\n'
SA+='ike_local 10.9.0.1:500\nike_remote 10.9.0.3:500\nike_encr -\nike_prf -\nike_integ -\nike_ke -\nike_age -\n'
SA+='ike_rekey_left -\nike_expire_left -\nike_children -\n'
serve "$SA"
expect_rc "sa" 0 "$ESPRIT" sa --control "$SOCK"
served
[ "$(cat "$TMP/req")" = "esprit-ctl 1 sa" ] && ok "sa request on the wire" || bad "request: $(cat "$TMP/req")"
has "sa: first SA header" "$OUT" '^SA 0x00001001  esp transport outbound  10\.9\.0\.1 -> 10\.9\.0\.2$'
has "sa: algorithms" "$OUT" '^  algorithms +aes-gcm-128/icv16 \(encryption aes-gcm-128/icv16, integrity none\)$'
has "sa: selector" "$OUT" '^  selector +10\.9\.0\.1/32 10\.9\.0\.2/32 proto 6 lport 0 rport 80$'
has "sa: traffic" "$OUT" '^  traffic +7 packets, 700 bytes, 0 drops$'
has "sa: lifetime left" "$OUT" '^  life left +soft - s, - bytes, - packets; hard 88 s, - bytes, 93 packets$'
has "sa: inbound with drop reasons" "$OUT" '^  traffic +9 packets, 900 bytes, 3 drops \(replay 2, ICV failure 1\)$'
has "sa: replay window" "$OUT" '^  replay +window 64, highest 11, 2 replayed packets dropped$'
has "sa: IKE origin" "$OUT" '^  origin +web$'
[ "$(grep -E -A1 '^  origin +web$' <<<"$OUT" | tail -1)" = "  child id    5" ] &&
	ok "sa: IKE SA shows its child id under origin" || bad "sa: child id: $OUT"
has "sa: ESN shown" "$OUT" 'integrity hmac-sha256-128, ESN\)$'
has "sa: encapsulation" "$OUT" '^  encap +udp 4500 4500$'
[ "$(grep -c '^SA ' <<<"$OUT")" = 3 ] && ok "sa: three SAs" || bad "sa: $(grep -c '^SA ' <<<"$OUT") SAs"
has "sa: IKE SA header" "$OUT" '^IKE SA 0x0123456789abcdef:0xfedcba9876543210  ESTABLISHED initiator  rule web$'
has "sa: IKE SA endpoints with NAT-T ports" "$OUT" '^  endpoints +10\.9\.0\.1:4500 -> \[2001:db8::2\]:4500$'
has "sa: IKE SA transforms" "$OUT" '^  transforms +ENCR AES_GCM_16_256, PRF PRF_HMAC_SHA2_384, INTEG -, KE ECP_384$'
has "sa: IKE SA child ids" "$OUT" '^  child ids +5 7$'
has "sa: IKE SA age, rekey and hard lifetime" "$OUT" '^  life +age 42 s, rekey in 3100 s, expires in 3558 s$'
has "sa: half-open IKE SA" "$OUT" '^IKE SA 0x1111111111111111:0x0000000000000000  INIT_DONE responder  rule -$'
has "sa: half-open IKE SA has no transforms yet" "$OUT" '^  transforms +ENCR -, PRF -, INTEG -, KE -$'
has "sa: half-open IKE SA has no lifetimes yet" "$OUT" '^  life +age - s, rekey in - s, expires in - s$'
[ "$(grep -c '^IKE SA ' <<<"$OUT")" = 2 ] && ok "sa: two IKE SAs" || bad "sa: $(grep -c '^IKE SA ' <<<"$OUT") IKE SAs"
[ "$(grep -B1 '^IKE SA 0x0123' <<<"$OUT" | head -1)" = "" ] && ok "sa: a blank line before the first IKE SA" ||
	bad "sa: no blank line before the IKE SAs: $OUT"
[ "$(grep -c '^  child id ' <<<"$OUT")" = 1 ] && ok "sa: manual SAs show no child id" ||
	bad "sa: child id lines: $(grep -c '^  child id ' <<<"$OUT")"
serve "$SA"
expect_rc "sa --json" 0 "$ESPRIT" sa --json --control "$SOCK"
served
[ "$(json_get "$OUT" '(sorted(d), len(d["sas"]), d["sas"][0]["spi"], d["sas"][0]["packets"], d["sas"][0]["hard_seconds_left"], d["sas"][0]["soft_bytes_left"], d["sas"][0]["selectors"], d["sas"][1]["drop_reasons"], d["sas"][1]["replay_window"], d["sas"][2]["proto"], d["sas"][2].get("age"))')" = \
	"(['ike_sas', 'sas'], 3, '0x00001001', 7, 88, None, ['10.9.0.1/32 10.9.0.2/32 proto 6 lport 0 rport 80'], [{'reason': 'replay', 'count': 2}, {'reason': 'ICV failure', 'count': 1}], 64, 'ah', None)" ] &&
	ok "sa --json values" || bad "sa --json: $OUT"
[ "$(json_get "$OUT" 'd["ike_sas"][0]')" = \
	"{'spi_i': '0x0123456789abcdef', 'spi_r': '0xfedcba9876543210', 'state': 'ESTABLISHED', 'role': 'initiator', 'rule': 'web', 'local': '10.9.0.1:4500', 'remote': '[2001:db8::2]:4500', 'encr': 'AES_GCM_16_256', 'prf': 'PRF_HMAC_SHA2_384', 'integ': None, 'ke': 'ECP_384', 'age': 42, 'rekey_seconds_left': 3100, 'expire_seconds_left': 3558, 'child_ids': [5, 7]}" ] &&
	ok "sa --json: the IKE SA" || bad "sa --json IKE SA: $OUT"
[ "$(json_get "$OUT" '(len(d["ike_sas"]), d["ike_sas"][1]["rule"], d["ike_sas"][1]["encr"], d["ike_sas"][1]["age"], d["ike_sas"][1]["rekey_seconds_left"], d["ike_sas"][1]["expire_seconds_left"], d["ike_sas"][1]["child_ids"])')" = \
	"(2, None, None, None, None, None, [])" ] && ok "sa --json: the half-open IKE SA" || bad "sa --json half-open: $OUT"
serve "esprit-ctl 1\\n$IKE1"
expect_rc "sa with IKE SAs only" 0 "$ESPRIT" sa --control "$SOCK"
served
has "sa: an IKE SA without Child SAs listed" "$OUT" '^  child ids +5 7$'
hasnt "sa: no 'none installed' line with an IKE SA" "$OUT" '^no SAs installed$'
serve "esprit-ctl 1\\n$IKE1"
expect_rc "sa --json with IKE SAs only" 0 "$ESPRIT" sa --json --control "$SOCK"
served
[ "$(json_get "$OUT" '(d["sas"], [s["child_ids"] for s in d["ike_sas"]])')" = "([], [[5, 7]])" ] &&
	ok "sa --json: an IKE SA alone" || bad "sa --json IKE only: $OUT"
serve 'esprit-ctl 1\n'
expect_rc "sa with no SAs" 0 "$ESPRIT" sa --control "$SOCK"
served
has "sa: says when there are none" "$OUT" '^no SAs installed$'
serve 'esprit-ctl 1\n'
expect_rc "sa --json with no SAs" 0 "$ESPRIT" sa --json --control "$SOCK"
served
[ "$(json_get "$OUT" 'd')" = "{'sas': [], 'ike_sas': []}" ] && ok "sa --json: empty lists" || bad "sa --json: $OUT"

# ---- stats -------------------------------------------------------------------------------------
STATS='esprit-ctl 1\nactive_sas 4\nactive_tunnels 1\nbad_spi_packets 2\npackets_not_decrypted 0\npackets_not_authenticated 3\n'
STATS+='packets_replay_detected 5\nconfidential_bytes_sent 1000\nconfidential_bytes_received 2000\nauthenticated_bytes_sent 1100\n'
STATS+='authenticated_bytes_received 2200\ntransport_bytes_sent 1100\ntransport_bytes_received 2200\ntunnel_bytes_sent 0\n'
STATS+='tunnel_bytes_received 0\nkey_additions 4\nkey_deletions 0\nrekeys 0\ntun_rx 11\ntun_tx 12\nnet_rx 13\nnet_tx 14\n'
STATS+='drop dp 1 outbound: no SA for the packet\ndrop in 5 replay\n'
serve "$STATS"
expect_rc "stats" 0 "$ESPRIT" stats --control "$SOCK"
served
has "stats: Windows names" "$OUT" '^  Confidential Bytes Sent +1000$'
has "stats: Packets With Replay Detection" "$OUT" '^  Packets With Replay Detection +5$'
has "stats: Bytes Received In Tunnels" "$OUT" '^  Bytes Received In Tunnels +0$'
hasnt "stats: no Main Mode section without IKE" "$OUT" 'Main Mode'
has "stats: inbound drop reason" "$OUT" '^  inbound: replay +5$'
has "stats: data path drop reason" "$OUT" '^  outbound: no SA for the packet +1$'
has "stats: data path counters" "$OUT" '^  Protected Packets Sent +14$'
serve "${STATS}ike_active 1\nike_main_mode 2\nike_quick_mode 3\nike_total_acquire 0\nike_acquire_failures 0\nike_negotiation_failures 0\nike_authentication_failures 1\nike_invalid_packets 0\nike_cookies_sent 0\nike_retransmissions 0\nike_rekeys 0\n"
expect_rc "stats --json" 0 "$ESPRIT" stats --json --control "$SOCK"
served
[ "$(json_get "$OUT" '(d["quick_mode"]["confidential_bytes_received"], d["quick_mode"]["bad_spi_packets"], d["main_mode"]["ike_authentication_failures"], d["datapath"]["net_rx"], d["drops"])')" = \
	"(2000, 2, 1, 13, [{'where': 'data path', 'reason': 'outbound: no SA for the packet', 'count': 1}, {'where': 'inbound', 'reason': 'replay', 'count': 5}])" ] &&
	ok "stats --json values" || bad "stats --json: $OUT"

# ---- export-wireshark --------------------------------------------------------------------------
serve "$SA"
expect_rc "export-wireshark" 0 "$ESPRIT" export-wireshark --control "$SOCK"
served
[ "$(cat "$TMP/req")" = "esprit-ctl 1 sa" ] && ok "export without --keys asks for sa" || bad "request: $(cat "$TMP/req")"
has "export: GCM line, keys empty" "$OUT" \
	'^"IPv4","10\.9\.0\.1","10\.9\.0\.2","0x00001001","AES-GCM with 16 octet ICV \[RFC4106\]","","NULL",""$'
has "export: CBC+HMAC over IPv6" "$OUT" \
	'^"IPv6","2001:db8::2","2001:db8::1","0x00001002","AES-CBC \[RFC3602\]","","HMAC-SHA-256-128 \[RFC4868\]",""$'
has "export: AH is a comment" "$OUT" '^# SA 0x00002002 .*not an ESP SA'
has "export: says how to get the keys" "$OUT" "^# Keys left out: run 'esprit export-wireshark --keys'"
SA_KEYS=${SA_KEYS/origin manual\\nchild_id 0\\nselector/encr_key 0x00112233445566778899aabbccddeeff01020304\\ninteg_key -\\norigin manual\\nchild_id 0\\nselector}
serve "$SA_KEYS"
expect_rc "export-wireshark --keys" 0 "$ESPRIT" export-wireshark --keys --control "$SOCK"
served
[ "$(cat "$TMP/req")" = "esprit-ctl 1 sa-keys" ] && ok "--keys asks for sa-keys" || bad "request: $(cat "$TMP/req")"
has "export --keys: key in the line" "$OUT" \
	'^"IPv4","10\.9\.0\.1","10\.9\.0\.2","0x00001001","AES-GCM with 16 octet ICV \[RFC4106\]","0x00112233445566778899aabbccddeeff01020304","NULL",""$'
hasnt "export --keys: no note about missing keys" "$OUT" 'Keys left out'

# ---- a large reply: 1,200 SAs (a full IKE child table is 1,024) in one datagram -------------------
if [ "$(id -u)" -eq 0 ]; then
	"$PY3" - "$TMP/big" <<'PY'
import sys
rec = ("sa out esp spi 0x%08x transport 10.0.0.1 -> 10.0.0.2 alg aes-gcm-128/icv16 packets 1 bytes 1 drops 0 seq 1\n"
       "spi 0x%08x\ndir out\nproto esp\nmode transport\nfamily ipv4\nsrc 10.0.0.1\ndst 10.0.0.2\nencap none\nesn no\n"
       "alg aes-gcm-128/icv16\nencr aes-gcm-128/icv16\nencr_id 20\nencr_bits 128\nicv_len 16\ninteg none\ninteg_id 0\n"
       "origin some-rule\nchild_id %d\nselector 10.0.0.1/32 10.0.0.2/32 proto 6 lport 0 rport 80\npackets %d\nbytes 1\n"
       "drops 0\nseq 1\nreplay_window -\nreplay_drops 0\nage 1\nstate ok\n")
text = "esprit-ctl 1\n" + "".join(rec % (0x1000 + i, 0x1000 + i, i + 1, i) for i in range(1200))
open(sys.argv[1], "w").write(text.replace("%", "%%"))
PY
	echo "large reply: $(wc -c <"$TMP/big") octets"
	serve "$(cat "$TMP/big")"
	expect_rc "sa --json with a large reply" 0 "$ESPRIT" sa --json --control "$SOCK"
	served
	[ "$(json_get "$OUT" '(len(d["sas"]), d["sas"][1199]["spi"], d["sas"][1199]["packets"], d["sas"][0]["child_id"])')" = "(1200, '0x000014af', 1199, 1)" ] &&
		ok "all 1200 SAs read" || bad "large reply: ${OUT:0:200}"
fi

# ---- protocol errors ---------------------------------------------------------------------------
serve 'esprit-ctl 2\nsas 1\n'
expect_rc "another protocol version" 1 "$ESPRIT" status --control "$SOCK"
served
has "...named" "$ERR" "speaks control protocol 2, this esprit speaks 1"
serve 'esprit-ctl 1\nerror sa-keys: permission denied\n'
expect_rc "an error reply" 1 "$ESPRIT" export-wireshark --keys --control "$SOCK"
served
[ "$ERR" = "esprit: espritd: sa-keys: permission denied" ] && ok "...printed" || bad "error: $ERR"
serve 'esprit-ctl 1\nBAD KEY\n'
expect_rc "a malformed reply" 1 "$ESPRIT" stats --control "$SOCK"
served
has "...reported" "$ERR" "malformed reply"
serve ''
expect_rc "no reply at all" 1 "$ESPRIT" status --control "$SOCK"
served
has "...reported" "$ERR" "cannot reach espritd at $SOCK: Connection reset by peer"

# ---- up / down / rekey ---------------------------------------------------------------------------
# request_is NAME WANT: the request the stand-in received was exactly WANT (newline included).
request_is() {
	if [ "$(cat "$TMP/req")" = "$2" ] && [ "$(tail -c1 "$TMP/req" | od -An -c | tr -d ' ')" = '\n' ]; then
		ok "$1"
	else
		bad "$1: request was '$(cat "$TMP/req")'"
	fi
}
serve 'esprit-ctl 1\nok rule web: negotiation started\n'
expect_rc "up RULE" 0 "$ESPRIT" up web --control "$SOCK"
served
request_is "...sends 'up web'" "esprit-ctl 1 up web"
[ "$OUT" = "rule web: negotiation started" ] && ok "...prints the answer" || bad "up: $OUT"
serve 'esprit-ctl 1\nok rule web: negotiation started with 2001:db8::2\n'
expect_rc "up RULE --peer ADDR" 0 "$ESPRIT" up --peer 2001:db8::2 web --control "$SOCK"
served
request_is "...sends the peer" "esprit-ctl 1 up web 2001:db8::2"
serve 'esprit-ctl 1\nok child 7 (rule web): Child SA rekey started\n'
expect_rc "rekey SPI" 0 "$ESPRIT" rekey 0x0000c0de --control "$SOCK"
served
request_is "...sends 'rekey 0x0000c0de'" "esprit-ctl 1 rekey 0x0000c0de"
serve 'esprit-ctl 1\nok child 7 (rule web): IKE SA rekey started\n'
expect_rc "rekey CHILD --ike" 0 "$ESPRIT" rekey --ike 7 --control "$SOCK"
served
request_is "...sends 'rekey 7 --ike'" "esprit-ctl 1 rekey 7 --ike"
serve 'esprit-ctl 1\nerror no SA and no rule with IKE SAs named '"'"'mail'"'"'\n'
expect_rc "down of something unknown" 1 "$ESPRIT" down mail --control "$SOCK"
served
request_is "...sends 'down mail'" "esprit-ctl 1 down mail"
[ "$ERR" = "esprit: espritd: no SA and no rule with IKE SAs named 'mail'" ] &&
	ok "...prints the reason" || bad "down error: $ERR"
[ -z "$OUT" ] && ok "...and nothing on stdout" || bad "down error stdout: $OUT"
serve 'esprit-ctl 1\nsas 1\n'
expect_rc "a reply without ok or error" 1 "$ESPRIT" down 7 --control "$SOCK"
served
has "...reported" "$ERR" "reply without an answer"
# Usage errors are found before any connection (there is no server now).
expect_rc "rekey of a rule name" 2 "$ESPRIT" rekey web --control "$SOCK"
has "...says why" "$ERR" "'web' is not an SA: give its child id or its SPI"
expect_rc "rekey of an SPI of 9 digits" 2 "$ESPRIT" rekey 0x123456789 --control "$SOCK"
expect_rc "rekey of child 0" 2 "$ESPRIT" rekey 0 --control "$SOCK"
expect_rc "up with a host name as peer" 2 "$ESPRIT" up web --peer gw.example --control "$SOCK"
expect_rc "up without a rule" 2 "$ESPRIT" up --control "$SOCK"
has "...says what is missing" "$ERR" "missing RULE"
expect_rc "down with two operands" 2 "$ESPRIT" down web mail --control "$SOCK"
expect_rc "down --ike" 2 "$ESPRIT" down --ike 7 --control "$SOCK"
expect_rc "up --ike" 2 "$ESPRIT" up --ike web --control "$SOCK"
expect_rc "rekey --peer" 2 "$ESPRIT" rekey --peer 10.0.0.1 7 --control "$SOCK"
expect_rc "a rule name with a space" 2 "$ESPRIT" down "my rule" --control "$SOCK"
expect_rc "a rule name too long" 2 "$ESPRIT" down "$(head -c 300 /dev/zero | tr '\0' r)" --control "$SOCK"
expect_rc "down without a daemon" 1 "$ESPRIT" down web --control "$TMP/none.sock"
has "...says so" "$ERR" "cannot reach espritd at $TMP/none.sock"
expect_rc "rekey --help" 0 "$ESPRIT" rekey --help
has "...documents --ike" "$OUT" "--ike"

finish
