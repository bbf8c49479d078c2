# shellcheck shell=bash
# Stopping a tcpdump without losing its last packets. Sourced by lib.sh and by the tests that
# start tcpdump themselves.
#
# tcpdump -U writes each packet as soon as it reads it, but SIGTERM ends its loop at once and
# whatever still sits in the socket's ring is lost. On a loaded machine (CI runs the net tests
# side by side) tcpdump may not run for a while after the last packet was sent, so a fixed
# sleep before the kill dropped the last SYN of a test once. pcap_stop waits until the file
# stops growing (three looks 0.2 s apart, at most 5 s) and only then ends the capture.

# pcap_settle FILE: return once FILE's size stayed the same for three looks.
pcap_settle() {
	local f="$1" last=-1 size same=0 i
	for ((i = 0; i < 25; i++)); do
		size=$(stat -c %s "$f" 2>/dev/null || echo 0)
		if [ "$size" = "$last" ]; then
			same=$((same + 1))
			[ "$same" -ge 3 ] && return 0
		else
			same=0
			last=$size
		fi
		sleep 0.2
	done
	return 0
}

# pcap_stop PID FILE: settle FILE, then end the tcpdump PID and reap it.
pcap_stop() {
	pcap_settle "$2"
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}
