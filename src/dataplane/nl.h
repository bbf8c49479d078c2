/* rtnetlink requests over libmnl: one socket, one request at a time, acknowledged. */
#ifndef ESPRIT_DATAPLANE_NL_H
#define ESPRIT_DATAPLANE_NL_H

#include <libmnl/libmnl.h>
#include <stdint.h>

/* MNL_SOCKET_BUFFER_SIZE is a run-time value (page size); a constant avoids VLAs. */
#define NL_BUF_SIZE 8192

struct nl {
	struct mnl_socket *sk;
	uint32_t portid;
	uint32_t seq;
};

int nl_open(struct nl *nl);
void nl_close(struct nl *nl);
/* Start a request of type/flags in buf (NL_BUF_SIZE bytes); NLM_F_REQUEST|ACK are
 * added. */
struct nlmsghdr *nl_msg(struct nl *nl, void *buf, uint16_t type, uint16_t flags);
/* Send and read replies until the ack (or the end of a dump); cb sees every data message.
 * 0 or the kernel's -errno. */
int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *arg);

#endif
