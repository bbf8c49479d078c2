#!/usr/bin/env bash
# A firewall between two tunnels (the seed's last bullet, issue 6 scenario 2): the front-end's
# tunnel ends on the firewall, the firewall inspects the decrypted traffic in its own forward
# path (its own nftables table, counted), and re-encrypts it into its tunnel to the back-end.
#
#   ns FE (espritd)                 ns F (espritd, forwarding on)                 ns BE (espritd)
#   10.22.1.1 vfe --------- f1 10.22.1.254        10.22.2.254 f2 ---------- vb 10.22.2.2  nginx :80
#
# FE: tunnel rule to F for HTTP to BE; BE: tunnel rule to F for the answers; F: two tunnel rules
# (examples/firewall.conf, IKEv2 PSK). Checks: curl FE -> BE byte-identical; both wires carry
# ESP only (FE<->F and F<->BE outer addresses), no TCP; F's inspection counter saw the requests
# in clear coming out of its TUN; F routed them back into its TUN (chain pre_tun counter).
set -uo pipefail
# shellcheck source=tests/net/lib.sh
source "$(dirname "$0")/lib.sh"

net_init gwfw curl openssl cmp nginx
FE=gwfwe$$ F=gwfwf$$ BE=gwfwb$$
for n in "$FE" "$F" "$BE"; do
	net_ns "$n"
done
ip link add vfe netns "$FE" type veth peer name f1 netns "$F" || exit 1
ip link add vb netns "$BE" type veth peer name f2 netns "$F" || exit 1
for x in "$FE:vfe:10.22.1.1/24" "$F:f1:10.22.1.254/24" "$F:f2:10.22.2.254/24" "$BE:vb:10.22.2.2/24"; do
	IFS=: read -r ns ifc addr <<<"$x"
	in_ns "$ns" ip addr add "$addr" dev "$ifc"
	in_ns "$ns" ip link set "$ifc" up
done
in_ns "$FE" ip route add 10.22.2.0/24 via 10.22.1.254
in_ns "$BE" ip route add 10.22.1.0/24 via 10.22.2.254
in_ns "$F" sysctl -qw net.ipv4.ip_forward=1

openssl rand -hex 24 >"$TMP/psk"
chmod 600 "$TMP/psk"
ACTION='action tunnel-esp {
	negotiate
	method esp aes-gcm-128 lifetime 100000kb 3600s
	pending hold 16
}'
rule() { # rule NAME FILTER REMOTE LOCAL
	cat <<CONF
filter-list $1 {
	$2
}
CONF
}
cat >"$TMP/fe.conf" <<CONF
$(rule web "10.22.1.1 -> 10.22.2.2 tcp port 80 mirrored")
$ACTION
policy fe {
	rule to-firewall {
		filters web
		action tunnel-esp
		auth psk "$TMP/psk"
		mode tunnel 10.22.1.254 local 10.22.1.1
	}
	default-response yes
}
use policy fe
CONF
cat >"$TMP/be.conf" <<CONF
$(rule web "10.22.2.2 -> 10.22.1.1 tcp sport 80 mirrored")
$ACTION
policy be {
	rule to-firewall {
		filters web
		action tunnel-esp
		auth psk "$TMP/psk"
		mode tunnel 10.22.2.254 local 10.22.2.2
	}
	default-response yes
}
use policy be
CONF
cat >"$TMP/f.conf" <<CONF
$(rule to-backend "10.22.1.1 -> 10.22.2.2 tcp port 80")
$(rule to-frontend "10.22.2.2 -> 10.22.1.1 tcp sport 80")
$ACTION
policy firewall {
	rule tunnel-frontend {
		filters to-frontend
		action tunnel-esp
		auth psk "$TMP/psk"
		mode tunnel 10.22.1.1 local 10.22.1.254
	}
	rule tunnel-backend {
		filters to-backend
		action tunnel-esp
		auth psk "$TMP/psk"
		mode tunnel 10.22.2.2 local 10.22.2.254
	}
	default-response yes
}
use policy firewall
CONF
# The firewall's own inspection, in its forward path (not esprit's table).
in_ns "$F" nft -f - <<NFT || bad "firewall inspection table"
table inet inspect {
	chain fw {
		type filter hook forward priority 10; policy accept;
		iifname "esprit0" ip saddr 10.22.1.1 tcp dport 80 tcp flags syn counter
	}
}
NFT

espritd_start "$BE" "$TMP/be.conf" "$TMP/be.log" || net_finish "$TMP/be.log"
PID_be=$ESPRITD_PID
espritd_start "$F" "$TMP/f.conf" "$TMP/f.log" || net_finish "$TMP/f.log"
PID_f=$ESPRITD_PID
espritd_start "$FE" "$TMP/fe.conf" "$TMP/fe.log" || net_finish "$TMP/fe.log"
PID_fe=$ESPRITD_PID

check "no forwarding warning (F forwards; FE and BE tunnel only their own address)" \
	bash -c "! grep -q 'will not route' '$TMP/fe.log' '$TMP/f.log' '$TMP/be.log'"

nginx_start "$BE" "$TMP/ngx" 10.22.2.2 || bad "nginx on BE"
head -c 1000000 /dev/urandom >"$TMP/ngx/www/data.bin"
capture_start "$F" f1 "$TMP/fe.pcap"
C1=$CAP_PID
capture_start "$F" f2 "$TMP/be.pcap"
C2=$CAP_PID
if in_ns "$FE" curl -sS --max-time 60 -o "$TMP/got.bin" http://10.22.2.2/data.bin; then
	ok "curl FE -> BE through two tunnels and the firewall succeeds"
else
	bad "curl FE -> BE through two tunnels and the firewall"
fi
check "download is byte-identical" cmp -s "$TMP/ngx/www/data.bin" "$TMP/got.bin"
for p in "$C1" "$C2"; do
	CAP_PID=$p capture_stop
done
for w in "fe:10.22.1.1:10.22.1.254" "be:10.22.2.2:10.22.2.254"; do
	IFS=: read -r f a b <<<"$w"
	n_esp=$(pcap_count "$TMP/$f.pcap" "esp and host $a and host $b")
	n_tcp=$(pcap_count "$TMP/$f.pcap" tcp)
	echo "$f wire: $n_esp ESP between $a and $b, $n_tcp TCP"
	check "$f wire carries ESP between the tunnel ends and no TCP" \
		[ "$((n_esp > 10 && n_tcp == 0))" -eq 1 ]
done
n_syn=$(in_ns "$F" nft list chain inet inspect fw | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
echo "firewall inspection: ${n_syn:-none} SYNs seen in clear"
check "the firewall's own filter saw the request in clear in its forward path" \
	[ "${n_syn:-0}" -gt 0 ]
n_re=$(in_ns "$F" nft list chain inet esprit pre_tun |
	sed -n 's/.*counter packets \([0-9]*\) .*0x0e5b0001 accept comment "rule tunnel-backend".*/\1/p')
check "the firewall routed FE's packets from its TUN back into it (pre_tun: ${n_re:-none})" \
	[ "${n_re:-0}" -gt 0 ]

for x in "$FE:$PID_fe" "$F:$PID_f" "$BE:$PID_be"; do
	kill -TERM "${x#*:}"
	rc=0
	wait "${x#*:}" || rc=$?
	check "espritd in ${x%%:*} exits 0 on SIGTERM" [ "$rc" -eq 0 ]
	check "nothing of esprit left in ${x%%:*}" espritd_gone "${x%%:*}"
done
net_finish "$TMP/fe.log" "$TMP/f.log" "$TMP/be.log"
