#!/usr/bin/env bash
# bench/net/veth.sh: the baseline, iperf3 straight over the veth pair (no tunnel). See lib.sh.
BN_KIND=veth
BN_NAME=${BN_NAME:-veth}
# shellcheck source=bench/net/lib.sh
. "$(dirname "$0")/lib.sh"

bn_up() { :; }

bn_main
