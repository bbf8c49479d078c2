#!/usr/bin/env bash
# test_ike_swan.sh with strongSwan initiating and esprit rekeying on its own timers during a slow
# download: the Child SA every ~3.6 s (lifetime 4s) and the IKE SA (ike-lifetime 6s), while
# strongSwan rekeys the IKE SA too; both sides want PFS (a KE payload in every Child SA rekey)
# with ECP-256 (another group than the IKE SA's: test_ike_swan_pfs.sh).
ESPRIT_SWAN_INIT=swan ESPRIT_SWAN_LIFETIME=4s ESPRIT_SWAN_IKE_LIFETIME=6s ESPRIT_SWAN_PFS=ecp256 \
	exec bash "$(dirname "$0")/test_ike_swan.sh"
