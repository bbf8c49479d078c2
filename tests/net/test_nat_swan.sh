#!/usr/bin/env bash
# NAT traversal interop: espritd behind a real NAT initiates to strongSwan 5.9.8 (charon,
# kernel-libipsec: tunnel mode, ESP in UDP) on the public side (RFC 7296 2.23, RFC 3948).
#
#   ns C (espritd, initiator)    ns R (router: nft masquerade, conntrack)    ns S (charon, http :8080)
#   10.44.1.2 vc ---------------- rc 10.44.1.1   rs 10.44.0.1 -------------- vs 10.44.0.2
#
# strongSwan knows esprit by its ID (its private address 10.44.1.2, also the tunnel's inner
# address) and accepts it from any address. Checks: the SAs come up, NAT detected by esprit
# (in front of it) and by strongSwan (at the peer), a download is byte-identical, strongSwan's
# IKE SA shows the NAT's public address and a NAT port; S's wire has no raw ESP and no plaintext.
# Mapping change: the router drops its UDP mappings and maps to another range; esprit's
# liveness check (dpd-delay 2s in esprit.conf) comes from the new port, charon moves its IKE SA and
# Child SA there (the port shows in --list-sas; kernel-libipsec cannot update an installed SA,
# so charon 5.9.8 rekeys the Child SA, which esprit takes), and the next download works under
# the same IKE SA.
# shellcheck disable=SC2317 # helpers below run through check
set -uo pipefail
# shellcheck source=tests/net/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/net/ike_lib.sh
source "$(dirname "$0")/ike_lib.sh"
# shellcheck source=tests/net/nat_lib.sh
source "$(dirname "$0")/nat_lib.sh"
# shellcheck source=tests/net/swan/swan.sh
source "$(dirname "$0")/swan/swan.sh"

net_init nsw curl cmp openssl conntrack
swan_available || skip "strongSwan (charon, swanctl, kernel-libipsec, openssl/gcm plugins) not installed"
command -v unshare >/dev/null || skip "unshare not installed"
ESPRIT="$ESPRIT_BUILD/esprit"
nat_topology 44
swan_netns_prep "$S"
swan_psk

swan_esprit_conf "auth psk \"$TMP/psk\"" yes "dpd-delay 2s" >"$TMP/esprit.conf"
SW="$TMP/swan"
swan_dir "$SW"
cat >"$SW/swanctl/swanctl.conf" <<CONF
connections {
	swan {
		version = 2
		local_addrs = $A_S
		remote_addrs = %any
		proposals = aes256gcm16-prfsha384-ecp256
		encap = yes
		local {
			auth = psk
			id = $A_S
		}
		remote {
			auth = psk
			id = $A_C
		}
		children {
			swan {
				mode = tunnel
				local_ts = $A_S
				remote_ts = $A_C
				esp_proposals = aes128gcm16
			}
		}
	}
}
secrets {
	ike-swan {
		id-l = $A_S
		id-r = $A_C
		secret = "$PSK"
	}
}
CONF
swan_start "$SW"
espritd_start "$C" "$TMP/esprit.conf" "$TMP/esprit.log" || ike_start_failed "$TMP/esprit.log"
EPID=$ESPRITD_PID
ESOCK=$TMP/esprit.sock
# swan_http uses namespace S and address A_S, as set by nat_topology
swan_http 1000000

swan_sas() { swanctl_ns "$S" "$SW" --list-sas 2>/dev/null; }
# swan_remote_port: the port of strongSwan's IKE SA peer (remote '...' @ ADDR[PORT])
swan_remote() { swan_sas | sed -n "s/.*remote '[^']*' @ \([0-9.]*\[[0-9]*\]\).*/\1/p" | head -n 1; }
swan_ike_spi() { swan_sas | sed -n 's/^swan: #[0-9]*, ESTABLISHED, IKEv2, \([0-9a-f]*\)_i.*/\1/p'; }
esprit_spis() { ctl "$ESOCK" sa | sed -n 's/^sa \(in\|out\) esp spi \(0x[0-9a-f]*\) .*/\2/p' | sort; }
swan_spis() {
	swan_sas | awk '/^  [^ ]+: #[0-9]+, reqid/ { inst = ($5 == "INSTALLED,") }
		inst && $1 ~ /^(in|out)$/ { sub(",", "", $2); print "0x" $2 }' | sort
}
remote_is() { [[ "$(swan_remote)" =~ $1 ]]; }

capture_start "$S" vs "$TMP/wire.pcap" not arp
check "download through the NAT to strongSwan is byte-identical (first SYN held during IKE)" \
	nat_download "$C" "http://$A_S:8080/data.bin" "$TMP/www/data.bin"
capture_stop
check "esprit logs the NAT in front of it" grep -q "NAT detected (in front of us" "$TMP/esprit.log"
check "strongSwan detected the NAT at esprit" grep -q "remote host is behind NAT" "$SW/charon.log"
echo "strongSwan's peer: $(swan_remote)"
check "strongSwan's IKE SA peer is the NAT's public address and a NAT port" \
	remote_is "^$A_PUB\\[20[0-9]{3}\\]$"
check "strongSwan: Child SA INSTALLED, TUNNEL-in-UDP" \
	bash -c "$(declare -f swanctl_ns swan_sas); S=$S SW=$SW; swan_sas | grep -q 'INSTALLED, TUNNEL-in-UDP'"
spis_agree() { [ -n "$(esprit_spis)" ] && [ "$(esprit_spis)" = "$(swan_spis)" ]; }
check "esprit's SPIs are strongSwan's" spis_agree
n_enc=$(nat_espinudp "$TMP/wire.pcap" "$A_PUB")
n_bad=$(pcap_count "$TMP/wire.pcap" "ip proto 50 or tcp or host $A_C")
echo "S's wire: $n_enc ESP in UDP from $A_PUB, $n_bad raw ESP/TCP/private-address packets"
# espritd's ACKs of the download: it acks about once per coalesced TUN write (189 seen here,
# 64 in test_nat), so the bound only proves the path was used.
check "the download came as ESP in UDP from the NAT" [ "$n_enc" -ge 20 ]
check "no raw ESP, no plaintext, no private address on S's wire" [ "$n_bad" -eq 0 ]

# ---- the NAT forgets the mapping ---------------------------------------------------------
spis0=$(esprit_spis)
ike0=$(swan_ike_spi)
nat_ports 30000 30999
nat_forget
check "download after the NAT mapping changed is byte-identical" \
	nat_download "$C" "http://$A_S:8080/data.bin" "$TMP/www/data.bin"
echo "strongSwan's peer: $(swan_remote)"
check "strongSwan moved its IKE SA to the NAT's new port" remote_is "^$A_PUB\\[30[0-9]{3}\\]$"
check "charon logs the move of the remote endpoint to the new port" \
	grep -Eq "remote endpoint changed from $A_PUB\[20[0-9]{3}\] to $A_PUB\[30[0-9]{3}\]" \
	"$SW/charon.log"
same_ike() { [ -n "$ike0" ] && [ "$(swan_ike_spi)" = "$ike0" ]; }
check "same IKE SA on strongSwan (no new negotiation)" same_ike
# kernel-libipsec cannot re-point an installed SA: charon rekeys the Child SA instead (seen
# on 5.9.8), which esprit must take; either way both ends must agree on the SPIs.
if [ "$(esprit_spis)" = "$spis0" ]; then
	ok "Child SA kept its SPIs"
else
	check "charon rekeyed the Child SA after the move and esprit installed the rekey" \
		grep -q "installed: .* (rekey)" "$TMP/esprit.log"
fi
check "esprit's SPIs are strongSwan's after the move" spis_agree

espritd_stop_all "$C:$EPID"
net_finish "$TMP/esprit.log" "$SW/charon.log"
