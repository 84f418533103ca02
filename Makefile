# sockgate: `make` builds build/sockgate and build/sockgatectl.
# Outputs go to build/ (build/asan/ for the sanitizer build); quiet unless V=1.

BUILD     ?= build
CC        ?= gcc
PKGS      := libssl libcrypto libcares libbpf libsystemd libmicrohttpd libcurl json-c
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	     -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wvla \
	     -Wno-missing-field-initializers
OPTFLAGS  ?= -O2 -g
# -MMD -MP: each object's header dependencies, in build/**/*.d
CFLAGS    := $(OPTFLAGS) -std=gnu11 -D_GNU_SOURCE $(WARN) -Iinclude -Iuser -I$(BUILD) \
	     -MMD -MP $(shell pkg-config --cflags $(PKGS))
LDLIBS    += $(shell pkg-config --libs $(PKGS)) -lwslay -lpthread -lm
SAN       := -fsanitize=address,undefined -fno-omit-frame-pointer \
	     -fno-sanitize-recover=undefined

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

# user/ by layer (docs/design.md): core/ under everything, auth/ and
# session/ and fwd/ in between, ctl/ and daemon/ on top; sockgatectl/
# is the operator's tool, which shares core/, auth/ and ctl/'s etcd client.
LAYERS      := core auth edge session fwd fwd/sockmap ctl daemon
DAEMON_SRCS := $(foreach l,$(LAYERS),$(wildcard user/$(l)/*.c))
CTL_SRCS    := $(wildcard user/sockgatectl/*.c) user/core/log.c \
	       user/core/addr.c user/core/opt.c user/auth/secret.c \
	       user/auth/token_legacy.c user/auth/token_v2.c \
	       user/auth/allow.c user/auth/claims.c user/auth/revoke.c \
	       user/core/lines.c user/ctl/etcd_client.c \
	       user/fwd/sockmap/bpffs.c
BPF_CFLAGS  := -O2 -g -target bpf -Wall -Werror -Iinclude -MMD -MP \
	       -I/usr/include/$(shell $(CC) -dumpmachine)
TEST_SRCS   := $(wildcard tests/*.c)
UNIT_SRCS   := $(wildcard tests/unit/*.c)
# what the unit tier links: the parts that need no daemon around them
UNIT_LIBS   := core/addr core/log core/loop core/opt core/sock core/lines \
	       auth/allow auth/claims auth/revoke auth/uses \
	       auth/secret auth/token_legacy auth/token_v2 session/srv \
	       session/proxy fwd/stream fwd/promote fwd/mode daemon/conf \
	       edge/edge edge/io edge/ws edge/wsreq edge/tls \
	       daemon/reload daemon/conffile

DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(BUILD)/%.o)
CTL_OBJS    := $(CTL_SRCS:%.c=$(BUILD)/%.o)
TEST_OBJS   := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%.o)
UNIT_OBJS   := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%.o) \
	       $(UNIT_LIBS:%=$(BUILD)/user/%.o)

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all clean deps test-deps systemd-test run unit test test-asan vmtest check bench bench-discovery bench-edge deb \
	bench-edge-vm \
	format lint \
	install uninstall

all: $(BUILD)/sockgate $(BUILD)/sockgatectl $(BUILD)/sg-echo

# The daemon the tests run: the same objects but for the files that read
# the test hooks (SOCKGATE_TEST_*), built again with -DSG_TEST_HOOKS. The
# installed build/sockgate has none.
HOOK_SRCS := user/daemon/main.c user/daemon/conf.c
HOOK_OBJS := $(HOOK_SRCS:%.c=$(BUILD)/%.hooks.o)
TESTD_OBJS := $(filter-out $(HOOK_SRCS:%.c=$(BUILD)/%.o),$(DAEMON_OBJS)) \
	      $(HOOK_OBJS)

# kernel side: %.bpf.c -> %.bpf.o -> %.skel.h
$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)clang $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)bpftool gen skeleton $< name $(subst .,_,$*)_bpf > $@

$(BUILD)/user/fwd/sockmap/sockmap.o: $(BUILD)/sockmap.skel.h
$(BUILD)/user/ctl/http.o: $(BUILD)/status_page.h
$(BUILD)/user/daemon/reuseport.o: $(BUILD)/reuseport.skel.h

# the status page, as a C string literal
$(BUILD)/status_page.h: user/ctl/status.html | $(BUILD)/bpf
	$(call msg,GEN,$@)
	$(Q)sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $< >$@

$(BUILD)/user/%.o: user/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/user/%.hooks.o: user/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -DSG_TEST_HOOKS -c $< -o $@

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -Itests/unit -c $< -o $@

$(BUILD)/unit: $(UNIT_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -lcriterion -o $@

$(BUILD)/tests/%.o: tests/%.c | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests -c $< -o $@

# the C client library (clients/c), for its tests
$(BUILD)/clients/%.o: clients/c/%.c | $(BUILD)/clients
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/sockgate: $(DAEMON_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/sockgate-test: $(TESTD_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/sockgatectl: $(CTL_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/sg-echo: $(addprefix $(BUILD)/tests/,echo_main.o servers.o sock.o gwproc.o \
		  tokens.o)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/test-gateway: $(filter-out $(BUILD)/tests/echo_main.o,$(TEST_OBJS)) \
		       $(BUILD)/user/auth/token_legacy.o \
		       $(BUILD)/user/auth/token_v2.o \
		       $(BUILD)/user/auth/claims.o \
		       $(BUILD)/user/core/lines.o \
		       $(BUILD)/user/auth/secret.o $(BUILD)/user/session/srv.o \
		       $(BUILD)/user/auth/allow.o $(BUILD)/user/core/addr.o \
		       $(BUILD)/user/daemon/pidfile.o \
		       $(BUILD)/clients/sockgate_client.o \
		       $(BUILD)/clients/sockgate_tls.o \
		       $(BUILD)/clients/sockgate_issuer.o
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $^ $(LDLIBS) -lcriterion -o $@

# the unit's SystemCallFilter= without systemd (service tests)
$(BUILD)/sg-seccomp: tests/tools/seccomp_wrap.c | $(BUILD)/bpf
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -lseccomp -o $@

$(BUILD)/sg-loadgen: bench/loadgen.c | $(BUILD)/bpf
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -o $@

$(BUILD)/sg-bench-backend: bench/backend.c | $(BUILD)/bpf
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $< -lpthread -o $@

# TLS and WebSocket load on the tests' client (tests/conn.c)
$(BUILD)/sg-edgeload: bench/edgeload.c $(addprefix $(BUILD)/tests/,conn.o gwproc.o \
		      sock.o) | $(BUILD)/bpf
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -Itests $^ $(LDLIBS) -o $@

$(BUILD)/tests $(BUILD)/bpf $(BUILD)/clients:
	$(Q)mkdir -p $@

deps:
	$(Q)sh scripts/deps.sh

# what the tests and benchmarks run besides (servers, emulators, tools)
test-deps:
	$(Q)sh scripts/deps.sh test

# A demo: an echo backend, a generated secret, the gateway on 127.0.0.1:8000.
run: deps all
	$(Q)sh scripts/demo.sh $(BUILD)

# The unit tier: parsers, tables and the pump, linked against the
# objects; no root, no daemon, a few seconds.
unit: test-deps all $(BUILD)/unit
	$(Q)SG_BUILD=$(abspath $(BUILD)) SG_REPO=$(CURDIR) $(BUILD)/unit -j2 $(TEST_ARGS)

# The suite runs the real daemon; TEST_ARGS go to Criterion (e.g. --filter).
test: unit $(BUILD)/sockgate-test $(BUILD)/test-gateway $(BUILD)/sg-seccomp
	$(Q)SG_BUILD=$(abspath $(BUILD)) $(BUILD)/test-gateway -j2 $(TEST_ARGS)

test-asan: test-deps
	$(Q)LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp) \
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	$(MAKE) --no-print-directory BUILD=build/asan \
		OPTFLAGS="-O1 -g $(SAN)" test

# The suite inside QEMU on the pinned Debian kernels (vmtest/kernels);
# KERNELS=latest (the newest of 6.1 and 6.12), all, a series ("6.1") or
# package names; VMTEST_TEST_ARGS go to Criterion inside the guest.
vmtest: test-deps all $(BUILD)/sockgate-test $(BUILD)/test-gateway
	$(Q)bash vmtest/run.sh $(BUILD) $(KERNELS)

# The Debian package under a real systemd (PID 1), booted in QEMU from a
# root mmdebstrap builds (vmtest/systemd.sh); skipped, saying so, where
# there is no emulator.
systemd-test: test-deps deb all $(BUILD)/sg-echo
	$(Q)bash vmtest/systemd.sh $(BUILD)

# Everything CI runs: the unit tier, lint, the host suite (which runs the
# unit tier first too), then the suite on the LTS kernels.
check: unit lint test vmtest systemd-test

# Benchmarks against HAProxy, nginx stream and direct loopback; QUICK=1
# for a short profile. Results in bench/results/.
bench: test-deps all $(BUILD)/sg-loadgen $(BUILD)/sg-bench-backend $(BUILD)/sg-edgeload
	$(Q)QUICK=$(QUICK) bash bench/run.sh $(BUILD)
	$(Q)bash bench/edge.sh $(BUILD)

# kernel TLS beside HAProxy and nginx in a 6.12 guest (ratios only)
bench-edge-vm: test-deps all $(BUILD)/sg-bench-backend $(BUILD)/sg-edgeload
	$(Q)bash bench/vm-edge.sh $(BUILD)

# the TLS and WebSocket rows alone
bench-edge: test-deps all $(BUILD)/sg-bench-backend $(BUILD)/sg-edgeload
	$(Q)bash bench/edge.sh $(BUILD)

# handshakes per second by what the token names (literal, name, SRV)
bench-discovery: test-deps all $(BUILD)/sg-loadgen $(BUILD)/sg-bench-backend
	$(Q)bash bench/discovery.sh $(BUILD)

# The C tree in the repo's .clang-format (the kernel's style); the shell
# scripts through shellcheck; the daemon's module calls free of cycles.
C_FILES  := $(wildcard user/*/*.[ch] user/*/*/*.[ch] bpf/*.[ch] include/*.h tests/*.[ch] \
	      tests/unit/*.[ch] tests/tools/*.c \
	      bench/*.c clients/c/*.[ch])
SH_FILES := $(wildcard scripts/*.sh vmtest/*.sh bench/*.sh tests/*.sh) .ci/run

format:
	$(Q)clang-format -i $(C_FILES)

lint: test-deps all
	$(call msg,FORMAT,$(words $(C_FILES)) files)
	$(Q)clang-format --dry-run -Werror $(C_FILES)
	$(call msg,SHCHECK,$(words $(SH_FILES)) files)
	$(Q)shellcheck -x $(SH_FILES)
	$(call msg,MODGRAPH,$(BUILD)/user)
	$(Q)sh scripts/modgraph.sh $(BUILD) -q

# make install [PREFIX=/usr/local] [DESTDIR=]: the binaries, the systemd
# unit, sysusers entry and man pages. /etc/sockgate is created if missing
# (root's, mode 0750, its group the service's, so that the daemon, once
# it runs as sockgate, can read its secret file again on a reload); one
# left by an older install as root's 0700 gets the same; any other is
# never touched. Without DESTDIR the sockgate user is created first, by
# $(SYSUSERS) (empty: not).
PREFIX     ?= /usr/local
SYSCONFDIR ?= /etc
SBINDIR    := $(PREFIX)/sbin
BINDIR     := $(PREFIX)/bin
MAN8DIR    := $(PREFIX)/share/man/man8
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
SERVICE_GROUP ?= sockgate
SYSUSERS   ?= systemd-sysusers
ETCDIR     = $(DESTDIR)$(SYSCONFDIR)/sockgate

install: all
	$(call msg,INSTALL,$(DESTDIR)$(PREFIX))
	$(Q)install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MAN8DIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR)
	$(Q)install -m 0755 $(BUILD)/sockgate $(DESTDIR)$(SBINDIR)/sockgate
	$(Q)install -m 0755 $(BUILD)/sockgatectl $(DESTDIR)$(BINDIR)/sockgatectl
	$(Q)install -m 0644 dist/sockgate.8 dist/sockgatectl.8 $(DESTDIR)$(MAN8DIR)/
	$(Q)sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		-e 's|@BINDIR@|$(BINDIR)|g' \
		dist/sockgate.service.in >$(DESTDIR)$(UNITDIR)/sockgate.service
	$(Q)chmod 0644 $(DESTDIR)$(UNITDIR)/sockgate.service
	$(Q)install -m 0644 dist/sysusers.conf \
		$(DESTDIR)$(SYSUSERSDIR)/sockgate.conf
	$(Q)if [ -z "$(DESTDIR)" ] && [ -n "$(SYSUSERS)" ] && \
	    command -v $(SYSUSERS) >/dev/null; then \
		$(SYSUSERS) $(DESTDIR)$(SYSUSERSDIR)/sockgate.conf; fi
	$(Q)if [ ! -d $(ETCDIR) ] || \
	    [ "$$(stat -c '%a %U %G' $(ETCDIR))" = "700 root root" ]; then \
		install -d -m 0750 $(ETCDIR) && \
		chmod 0750 $(ETCDIR) && \
		{ ! getent group $(SERVICE_GROUP) >/dev/null || \
		  chgrp $(SERVICE_GROUP) $(ETCDIR); }; fi
	$(Q)if [ ! -e $(ETCDIR)/sockgate.conf ]; then \
		sed 's|/etc/sockgate/|$(SYSCONFDIR)/sockgate/|g' dist/sockgate.conf \
			>$(ETCDIR)/sockgate.conf && \
		chmod 0640 $(ETCDIR)/sockgate.conf && \
		{ ! getent group $(SERVICE_GROUP) >/dev/null || \
		  chgrp $(SERVICE_GROUP) $(ETCDIR)/sockgate.conf; }; fi

# The Debian package (debian/, debhelper): built from a copy of the tree
# in build/debsrc, so the working tree's build/ is left alone; the .deb
# lands in build/. Its build dependencies come from scripts/deps.sh.
VERSION := $(shell sed -n 's/^\#define SG_VERSION "\(.*\)"/\1/p' include/sockgate.h)
deb:
	$(Q)sh scripts/deps.sh deb
	$(call msg,DEB,$(BUILD)/sockgate_$(VERSION)_*.deb)
	$(Q)rm -rf $(BUILD)/debsrc && mkdir -p $(BUILD)/debsrc/sockgate-$(VERSION)
	$(Q)tar --exclude=./build --exclude=./.git -cf - . | \
		tar -C $(BUILD)/debsrc/sockgate-$(VERSION) -xf -
	$(Q)cd $(BUILD)/debsrc/sockgate-$(VERSION) && \
		dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
		{ tail -30 ../build.log; exit 1; }
	$(Q)mv $(BUILD)/debsrc/sockgate_$(VERSION)_*.deb $(BUILD)/

uninstall:
	$(call msg,UNINSTALL,$(DESTDIR)$(PREFIX))
	$(Q)rm -f $(DESTDIR)$(SBINDIR)/sockgate $(DESTDIR)$(BINDIR)/sockgatectl \
		$(DESTDIR)$(MAN8DIR)/sockgate.8 $(DESTDIR)$(MAN8DIR)/sockgatectl.8 \
		$(DESTDIR)$(UNITDIR)/sockgate.service \
		$(DESTDIR)$(SYSUSERSDIR)/sockgate.conf

clean:
	$(Q)rm -rf build

-include $(wildcard $(BUILD)/user/*/*.d $(BUILD)/user/*/*/*.d $(BUILD)/tests/unit/*.d $(BUILD)/tests/*.d $(BUILD)/bpf/*.d \
	   $(BUILD)/clients/*.d)
