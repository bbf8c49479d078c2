#!/usr/bin/env bash
# test_ike_swan.sh with strongSwan initiating and esprit rekeying the Child SA itself (lifetime
# 4s: a rekey every ~3.6 s) during a slow download, while strongSwan rekeys the IKE SA; both
# sides want PFS (a KE payload in every Child SA rekey) with ECP-256, the IKE SA's group (with
# another group, esprit cannot rekey yet: see docs/interop.md).
ESPRIT_SWAN_INIT=swan ESPRIT_SWAN_LIFETIME=4s ESPRIT_SWAN_PFS=ecp256 \
	exec bash "$(dirname "$0")/test_ike_swan.sh"
