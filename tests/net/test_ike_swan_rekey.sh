#!/usr/bin/env bash
# test_ike_swan.sh with strongSwan initiating and esprit rekeying the Child SA itself (lifetime
# 4s: a rekey every ~3.6 s) during a slow download, while strongSwan rekeys the IKE SA.
ESPRIT_SWAN_INIT=swan ESPRIT_SWAN_LIFETIME=4s exec bash "$(dirname "$0")/test_ike_swan.sh"
