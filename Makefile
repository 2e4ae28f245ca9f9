# idguard build. `make help` lists the targets.
#
# Flow for the kernel side (libbpf-bootstrap style): clang -target bpf ->
# bpftool gen object -> bpftool gen skeleton, all under $(BUILD)/.
# Userspace: one internal library (libidguard.a) linked by idguardd,
# idguardctl, the unit tests and the fuzzers.

VERSION := 0.1.0
BUILD ?= build
PREFIX ?= /usr
SYSCONFDIR ?= /etc
LOCALEDIR ?= $(PREFIX)/share/locale
DESTDIR ?=

CC ?= gcc
CLANG ?= clang
BPFTOOL ?= bpftool
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
MULTIARCH := $(shell $(CC) -print-multiarch 2>/dev/null)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

.DELETE_ON_ERROR:
.SUFFIXES:

PKGS := libbpf libsystemd libudev libcap inih json-c sqlite3 libsodium libcbor
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lelf -lz
# Only the programs that talk to the site's MQTT broker (the relay and
# idguardctl's approval inbox) link libmosquitto; idguardd does not.
MQTT_LIBS := $(shell pkg-config --libs libmosquitto 2>/dev/null)

WARNINGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Werror=missing-prototypes \
	-Werror=implicit-function-declaration -Werror=format=2 -Wno-unused-parameter \
	-Wno-format-truncation
HARDENING := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE -g -O2 -fno-common $(WARNINGS) -I$(BUILD) -Ibpf -Iagent/lib \
	-DIDG_VERSION='"$(VERSION)"' -DIDG_PREFIX='"$(PREFIX)"' -DIDG_SYSCONFDIR='"$(SYSCONFDIR)"' \
	-DIDG_LOCALEDIR='"$(LOCALEDIR)"' \
	$(PKG_CFLAGS)
CFLAGS ?=
override CFLAGS := $(BASE_CFLAGS) $(HARDENING) $(CFLAGS)
LDFLAGS ?=
override LDFLAGS := -pie -Wl,-z,relro,-z,now $(LDFLAGS)

BPF_CFLAGS := -g -O2 -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) \
	-I/usr/include/$(MULTIARCH) -Ibpf

# ---- sources ---------------------------------------------------------------
LIB_SRCS := $(sort $(wildcard agent/lib/*.c))
DAEMON_SRCS := $(sort $(wildcard agent/daemon/*.c))
CTL_SRCS := $(sort $(wildcard agent/ctl/*.c))
NOTIFY_SRCS := $(sort $(wildcard agent/notify/*.c))
RELAY_SRCS := $(sort $(wildcard agent/relay/*.c))
UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(sort $(wildcard tests/unit/test_*.c)))
HELPERS := $(patsubst tests/helpers/%.c,%,$(sort $(wildcard tests/helpers/*.c)))
FUZZERS := $(patsubst tests/fuzz/%.c,%,$(sort $(wildcard tests/fuzz/fuzz_*.c)))

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
DAEMON_OBJS := $(DAEMON_SRCS:%.c=$(BUILD)/%.o)
CTL_OBJS := $(CTL_SRCS:%.c=$(BUILD)/%.o)
NOTIFY_OBJS := $(NOTIFY_SRCS:%.c=$(BUILD)/%.o)
RELAY_OBJS := $(RELAY_SRCS:%.c=$(BUILD)/%.o)
SKEL := $(BUILD)/gate.skel.h

# Translations (gettext domain "idguard"): po/LINGUAS lists them; the
# catalogs are built where IDGUARD_LOCALEDIR=$(BUILD)/locale finds them.
LINGUAS := $(shell sed -e 's/\#.*//' po/LINGUAS 2>/dev/null)
MO_FILES := $(LINGUAS:%=$(BUILD)/locale/%/LC_MESSAGES/idguard.mo)
# The sources whose texts are translated (those that call dgettext).
I18N_SRCS := agent/lib/notice_text.c agent/ctl/ctl_why.c agent/ctl/audit_report.c agent/ctl/audit_summary.c

all: $(BUILD)/idguardd $(BUILD)/idguardctl $(BUILD)/idguard-backend $(BUILD)/idguard-notify $(BUILD)/idguard-relay \
	$(MO_FILES)
.PHONY: all

# ---- kernel side -------------------------------------------------------------
$(BUILD)/bpf/gate.bpf.o: bpf/gate.bpf.c bpf/common.bpf.h bpf/idguard.h | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/bpf/gate.o: $(BUILD)/bpf/gate.bpf.o
	$(call msg,GEN-OBJ,$@)
	$(Q)$(BPFTOOL) gen object $@ $<

$(SKEL): $(BUILD)/bpf/gate.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name gate > $@

# ---- userspace ---------------------------------------------------------------
$(BUILD)/%.o: %.c $(SKEL) $(wildcard agent/*/*.h) bpf/idguard.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libidguard.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)$(AR) rcs $@ $^

$(BUILD)/idguardd: $(DAEMON_OBJS) $(BUILD)/libidguard.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/idguardctl: $(CTL_OBJS) $(BUILD)/libidguard.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(MQTT_LIBS)

# The approval relay (agent/relay): carries requests and tokens between
# idguardd and the site's MQTT broker, in a unit of its own.
$(BUILD)/idguard-relay: $(RELAY_OBJS) $(BUILD)/libidguard.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) $(MQTT_LIBS)

# The clerk's desktop notifications (agent/notify), a per-session agent.
$(BUILD)/idguard-notify: $(NOTIFY_OBJS) $(BUILD)/libidguard.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The CUPS backend (agent/cups): asks idguardd about each print job.
$(BUILD)/idguard-backend: $(BUILD)/agent/cups/backend.o $(BUILD)/libidguard.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/bpf:
	@mkdir -p $@

# ---- translations ------------------------------------------------------------
$(BUILD)/locale/%/LC_MESSAGES/idguard.mo: po/%.po
	@mkdir -p $(@D)
	$(call msg,MSGFMT,$@)
	$(Q)msgfmt --check --statistics -o $@ $< 2>$@.log || { cat $@.log; exit 1; }

# Regenerates po/idguard.pot from the sources and merges it into each
# po/LANG.po; translate what msgmerge marks fuzzy or leaves empty.
po:
	$(call msg,XGETTEXT,po/idguard.pot)
	$(Q)xgettext --language=C --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=P_:1,2 \
		--add-comments=TRANSLATORS: --package-name=idguard --package-version=$(VERSION) \
		--msgid-bugs-address=idguard@lists.example.org --sort-by-file -o po/idguard.pot $(I18N_SRCS)
	$(Q)for lang in $(LINGUAS); do \
		[ -f po/$$lang.po ] || msginit --no-translator --locale=$$lang.UTF-8 -i po/idguard.pot -o po/$$lang.po; \
		msgmerge --quiet --update --backup=none --previous po/$$lang.po po/idguard.pot && \
		msgfmt --check --statistics -o /dev/null po/$$lang.po; \
	done
.PHONY: po

# ---- tests -------------------------------------------------------------------
# test_notice_text reads the built catalogs (IDGUARD_LOCALEDIR).
$(BUILD)/tests/test_notice_text $(BUILD)/asan/tests/test_notice_text: | $(MO_FILES)
$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(BUILD)/libidguard.a
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter-out %.h,$^) $(PKG_LIBS) $(MQTT_LIBS) -lcmocka

# The testbed helper drives umockdev (simulated devices); only it links it.
$(BUILD)/helpers/testbed: HELPER_PKGS := umockdev-1.0
$(BUILD)/helpers/%: tests/helpers/%.c $(BUILD)/libidguard.a
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(if $(HELPER_PKGS),$(shell pkg-config --cflags $(HELPER_PKGS))) $(LDFLAGS) -o $@ $^ \
		$(PKG_LIBS) $(if $(HELPER_PKGS),$(shell pkg-config --libs $(HELPER_PKGS)))

# Sanitizer build of the library and unit tests, in its own tree.
ASAN := $(BUILD)/asan
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
$(ASAN)/%.o: %.c $(SKEL) $(wildcard agent/*/*.h) bpf/idguard.h
	@mkdir -p $(@D)
	$(call msg,CC-ASAN,$@)
	$(Q)$(CC) $(BASE_CFLAGS) -O1 $(ASAN_FLAGS) -c $< -o $@
$(ASAN)/libidguard.a: $(LIB_SRCS:%.c=$(ASAN)/%.o)
	$(Q)$(AR) rcs $@ $^
$(ASAN)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(ASAN)/libidguard.a
	@mkdir -p $(@D)
	$(call msg,CC-ASAN,$@)
	$(Q)$(CC) $(BASE_CFLAGS) -O1 $(ASAN_FLAGS) -o $@ $(filter-out %.h,$^) $(PKG_LIBS) $(MQTT_LIBS) -lcmocka

# libFuzzer targets, built with clang against the library sources.
FUZZ := $(BUILD)/fuzz
FUZZ_FLAGS := -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
$(FUZZ)/%: tests/fuzz/%.c $(LIB_SRCS) $(SKEL)
	@mkdir -p $(@D)
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(BASE_CFLAGS) -Wno-unused-command-line-argument -Wno-unknown-warning-option -O1 $(FUZZ_FLAGS) -o $@ $< $(LIB_SRCS) $(PKG_LIBS) $(MQTT_LIBS)

unit-tests: $(UNIT_TESTS:%=$(BUILD)/tests/%) $(UNIT_TESTS:%=$(ASAN)/tests/%)
helpers: $(HELPERS:%=$(BUILD)/helpers/%)
fuzzers: $(FUZZERS:%=$(FUZZ)/%)
.PHONY: unit-tests helpers fuzzers

# The whole suite (the README's test command): unit tests (plain and
# sanitized), fuzzers for a bounded time, the root integration tests, then
# the system test: the .deb built, checked with lintian and installed in a
# Debian 12 VM on Debian's own kernels. Ends with "N passed, N failed".
# `make deps` runs first in a make of its own, so that what it installs is
# seen by this one. SYSTEM_TEST=no leaves the VM out (for quick rounds).
SYSTEM_TEST ?= yes
check: deps
	$(Q)$(MAKE) --no-print-directory check-all
check-all: all unit-tests helpers fuzzers $(BUILD)/idguard-bench $(if $(filter yes,$(SYSTEM_TEST)),deb)
	$(Q)BUILD=$(abspath $(BUILD)) SYSTEM_TEST=$(SYSTEM_TEST) tests/run-all.sh
# The unit tests alone, as the package build runs them (no root needed).
check-unit: unit-tests
	$(Q)BUILD=$(abspath $(BUILD)) tests/run-all.sh --unit
# The system test alone (root): tests/system/run.sh --help.
check-system: deps
	$(Q)$(MAKE) --no-print-directory deb
	$(Q)BUILD=$(abspath $(BUILD)) tests/system/run.sh $(SYSTEM_ARGS)
.PHONY: check check-all check-unit check-system

# ---- the Debian package ----------------------------------------------------------
# Built the Debian way (dpkg-buildpackage, debian/) from a copy of the tree
# in $(BUILD)/deb, where the .debs land; then checked with lintian.
deb:
	$(call msg,DEB,$(BUILD)/deb)
	$(Q)rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/idguard
	$(Q)tar -c --exclude=./$(BUILD) --exclude=./.git . | tar -x -C $(BUILD)/deb/idguard
	$(Q)cd $(BUILD)/deb/idguard && dpkg-buildpackage -us -uc -b >../build.log 2>&1 || \
		{ tail -n 40 ../build.log; echo "dpkg-buildpackage failed: $(BUILD)/deb/build.log"; exit 1; }
	$(Q)rm -rf $(BUILD)/deb/idguard
	$(Q)ls $(BUILD)/deb/*.deb
.PHONY: deb

# ---- benchmark -----------------------------------------------------------------
# Not part of `make check`: it measures, it does not test. BENCH_ARGS passes
# options to the harness (bench/run.sh --help).
BENCH_SRCS := $(filter-out %.bpf.c,$(sort $(wildcard bench/*.c)))
$(BUILD)/bench/floor.bpf.o: bench/floor.bpf.c | $(BUILD)/bpf
	@mkdir -p $(@D)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(BUILD)/bench/floor.linked.o: $(BUILD)/bench/floor.bpf.o
	$(Q)$(BPFTOOL) gen object $@ $<
$(BUILD)/bench/floor.skel.h: $(BUILD)/bench/floor.linked.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor > $@
$(BUILD)/bench/%.o: bench/%.c bench/bench.h $(BUILD)/bench/floor.skel.h $(SKEL) $(wildcard agent/*/*.h) bpf/idguard.h
	@mkdir -p $(@D)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@
$(BUILD)/idguard-bench: $(BENCH_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/libidguard.a
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

bench: deps
	$(Q)$(MAKE) --no-print-directory deps-bench
	$(Q)$(MAKE) --no-print-directory bench-run
bench-run: all $(BUILD)/idguard-bench
	$(Q)BUILD=$(abspath $(BUILD)) bench/run.sh $(BENCH_ARGS)
.PHONY: bench bench-run

# idguardctl audit on a year of a 200-workstation network's central journal,
# beside journalctl with the same matches (bench/audit/run.sh --help). The
# journal is made once (a few GB in /var/tmp/idguard-bench-audit).
bench-audit: deps
	$(Q)$(MAKE) --no-print-directory bench-audit-run
bench-audit-run: all
	$(Q)BUILD=$(abspath $(BUILD)) bench/audit/run.sh $(BENCH_AUDIT_ARGS)
.PHONY: bench-audit bench-audit-run

# ---- running -------------------------------------------------------------------
# The agent in the foreground with the shipped default policy (plus local
# overrides in /etc/idguard/policy.d when present).
run: deps
	$(Q)$(MAKE) --no-print-directory run-agent
run-agent: all
	$(Q)$(BUILD)/idguardd --foreground --policy-dir $(CURDIR)/policy --policy-dir $(SYSCONFDIR)/idguard/policy.d
.PHONY: run run-agent

# ---- dependencies --------------------------------------------------------------
# One list: debian/control's Build-Depends, which include what the tests
# need. Installed with apt-get build-dep only when something is missing
# (dpkg-checkbuilddeps says what), so repeated runs are quick.
# $(call install-missing,PACKAGES)
install-missing = missing=$$(for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
deps:
	$(Q)$(call install-missing,dpkg-dev make)
	$(Q)if ! missing=$$(dpkg-checkbuilddeps debian/control 2>&1); then \
		echo "installing the build and test dependencies of debian/control:$${missing#*dependencies:}"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -qq --no-install-recommends ./ \
			>/dev/null || exit 1; \
	fi
# The notification tests and the screenshots read Chinese texts.
	$(Q)if ! locale -a 2>/dev/null | grep -qix 'zh_CN.utf-\?8'; then \
		echo "generating the zh_CN.UTF-8 locale"; localedef -i zh_CN -f UTF-8 zh_CN.UTF-8 || exit 1; \
	fi
.PHONY: deps

# The benchmark compares with an auditd watch; Debian's package does not
# start auditd here (the benchmark starts its own when none runs).
BENCH_DEPS := auditd
deps-bench:
	$(Q)$(call install-missing,$(BENCH_DEPS))
.PHONY: deps-bench

# ---- installing ----------------------------------------------------------------
# Everything a workstation needs, in the places Debian uses. Without
# DESTDIR (a hand install on this machine), the steps a package's
# maintainer scripts would take follow: the idguard-auditors group, the
# journal ACLs, the message catalog, systemd told of the unit. The package
# build sets POSTINSTALL=no and lets debhelper do them.
DOCDIR ?= $(PREFIX)/share/doc/idguard-tools
POSTINSTALL ?= $(if $(DESTDIR),no,yes)
install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/idguardd $(DESTDIR)$(PREFIX)/sbin/idguardd
	install -m 0755 $(BUILD)/idguardctl $(DESTDIR)$(PREFIX)/bin/idguardctl
	install -m 0755 $(BUILD)/idguard-notify $(DESTDIR)$(PREFIX)/bin/idguard-notify
	install -m 0755 $(BUILD)/idguard-relay $(DESTDIR)$(PREFIX)/sbin/idguard-relay
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/user $(DESTDIR)$(SYSCONFDIR)/xdg/autostart
	install -m 0644 packaging/idguard-notify.service $(DESTDIR)$(PREFIX)/lib/systemd/user/idguard-notify.service
	install -m 0644 packaging/idguard-notify.desktop $(DESTDIR)$(SYSCONFDIR)/xdg/autostart/idguard-notify.desktop
	for lang in $(LINGUAS); do \
		install -d $(DESTDIR)$(LOCALEDIR)/$$lang/LC_MESSAGES && \
		install -m 0644 $(BUILD)/locale/$$lang/LC_MESSAGES/idguard.mo $(DESTDIR)$(LOCALEDIR)/$$lang/LC_MESSAGES/idguard.mo; \
	done
	install -d $(DESTDIR)$(PREFIX)/lib/cups/backend
	install -m 0700 $(BUILD)/idguard-backend $(DESTDIR)$(PREFIX)/lib/cups/backend/idguard
	install -d $(DESTDIR)$(PREFIX)/share/idguard/cups
	install -m 0644 packaging/cupsd-idguard-policy.conf $(DESTDIR)$(PREFIX)/share/idguard/cups/idguard-policy.conf
	install -d $(DESTDIR)$(PREFIX)/share/idguard/policy.d $(DESTDIR)$(SYSCONFDIR)/idguard/policy.d \
		$(DESTDIR)$(SYSCONFDIR)/idguard/approvers.d
	install -m 0644 policy/*.conf $(DESTDIR)$(PREFIX)/share/idguard/policy.d/
	install -m 0644 packaging/policy.d-README $(DESTDIR)$(SYSCONFDIR)/idguard/policy.d/README
	install -m 0644 packaging/approvers.d-README $(DESTDIR)$(SYSCONFDIR)/idguard/approvers.d/README
	install -d $(DESTDIR)/lib/systemd/system
	install -m 0644 packaging/idguard.service $(DESTDIR)/lib/systemd/system/idguard.service
	install -m 0644 packaging/idguard-relay.service $(DESTDIR)/lib/systemd/system/idguard-relay.service
	install -d $(DESTDIR)$(PREFIX)/share/idguard/broker
	install -m 0644 packaging/mosquitto/idguard.conf packaging/mosquitto/idguard.acl packaging/relay.conf.example \
		$(DESTDIR)$(PREFIX)/share/idguard/broker/
	install -m 0755 packaging/mosquitto/idguard-certs $(DESTDIR)$(PREFIX)/share/idguard/broker/idguard-certs
	install -d $(DESTDIR)$(PREFIX)/share/idguard/siem
	install -m 0644 packaging/siem/alloy-idguard.alloy packaging/siem/filebeat-idguard.yml \
		$(DESTDIR)$(PREFIX)/share/idguard/siem/
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/catalog $(DESTDIR)$(PREFIX)/lib/sysusers.d $(DESTDIR)$(PREFIX)/lib/tmpfiles.d
	install -m 0644 packaging/idguard.catalog $(DESTDIR)$(PREFIX)/lib/systemd/catalog/idguard.catalog
	install -m 0644 packaging/idguard.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/idguard.conf
	install -m 0644 packaging/idguard.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/idguard.conf
	install -d $(DESTDIR)$(PREFIX)/share/idguard/collection/journal-upload.conf.d \
		$(DESTDIR)$(PREFIX)/share/idguard/collection/journal-remote.conf.d \
		$(DESTDIR)$(PREFIX)/share/idguard/collection/systemd-journal-remote.service.d
	install -m 0644 packaging/journal-upload.conf.d/idguard.conf $(DESTDIR)$(PREFIX)/share/idguard/collection/journal-upload.conf.d/idguard.conf
	install -m 0644 packaging/journal-remote.conf.d/idguard.conf $(DESTDIR)$(PREFIX)/share/idguard/collection/journal-remote.conf.d/idguard.conf
	install -m 0644 packaging/systemd-journal-remote.service.d/idguard.conf \
		$(DESTDIR)$(PREFIX)/share/idguard/collection/systemd-journal-remote.service.d/idguard.conf
	install -d $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 docs/man/idguard-notify.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 docs/man/idguardd.8 docs/man/idguardctl.8 docs/man/idguard-relay.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 docs/man/idguard-policy.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -d $(DESTDIR)$(DOCDIR)
	install -m 0644 README.md docs/administrators.md docs/tokens.md docs/journal.md docs/collection.md \
		docs/performance.md docs/relay.md $(DESTDIR)$(DOCDIR)/
ifeq ($(POSTINSTALL),yes)
	systemd-sysusers idguard.conf
	systemd-tmpfiles --create idguard.conf
	journalctl --update-catalog
	if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
endif
.PHONY: install

clean:
	rm -rf $(BUILD)
.PHONY: clean

help:
	@echo "make            build $(BUILD)/idguardd and $(BUILD)/idguardctl"
	@echo "make deps       install the Debian packages the build and tests need"
	@echo "make run        run the agent in the foreground with the shipped policy"
	@echo "make check      run every test (root tests need root)"
	@echo "make bench      measure the cost per open against no agent and auditd (root)"
	@echo "make bench-audit  time idguardctl audit beside journalctl on a year of 200 workstations"
	@echo "make install    install into DESTDIR (PREFIX=$(PREFIX))"
	@echo "make po         refresh po/idguard.pot and merge it into po/*.po"
	@echo "make V=1        show the commands"
.PHONY: help
