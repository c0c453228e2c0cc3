#!/usr/bin/env bats
# make install for a user prefix, and the systemd units it installs
# (cmt-live@NAME, system and user): what can be tested without a running
# systemd: systemd-analyze verify, and the unit's own ExecStart line run
# against the stand-in API, serving forecasts.
load helper
bats_require_minimum_version 1.5.0
load fakeapi

# install PREFIX [make args]: make install from the build the tests use,
# as built (-o all: never rebuilt here, with other flags than its own)
install_to() {
	local p=$1
	shift
	make -s -C "$ROOT" O="$(dirname "$BIN")" -o all install PREFIX="$p" "$@" >/dev/null
}

# execstart UNIT NAME: the unit's ExecStart command for instance NAME, as
# systemd would run it ($$ is a $ for the shell, %i the instance)
execstart() {
	sed -n 's/^ExecStart=//p' "$1" | sed -e 's/\$\$/$/g' -e "s/%i/$2/g"
}

# service ENVFILE CMD: CMD in the environment systemd's EnvironmentFile=
# gives it (KEY=rest of the line, spaces and all; # lines are comments)
service() {
	local line
	while IFS= read -r line; do
		case $line in '#'* | '') continue ;; esac
		export "$line"
	done < "$1"
	eval "exec $2"
}

@test "the README's set-up: after make demo, its PATH line and its make install line both run as written" {
	path_line=$(grep -m1 '^    export PATH=' "$ROOT/README.md" | sed 's/ *#.*//; s/^ *//')
	install_line=$(grep -m1 '^    make install PREFIX=\$HOME/.local' "$ROOT/README.md" | sed 's/ *#.*//; s/^ *//')
	[ "$path_line" = 'export PATH=$PWD/build/bin:$PATH' ]
	[ "$install_line" = 'make install PREFIX=$HOME/.local' ]
	# in the repository, as the README is read after make demo (which
	# builds build/bin; make asan alone builds build-asan/bin)
	cd "$ROOT"
	if [ -x "$ROOT/build/bin/cmt-fetch" ]; then
		run env -i HOME="$TMP/home" PATH=/usr/bin:/bin sh -c "$path_line; command -v cmt-fetch; cmt-replay --version"
		assert_success
		assert_line --index 0 "$ROOT/build/bin/cmt-fetch"
	fi
	run env -i HOME="$TMP/home" PATH=/usr/bin:/bin sh -c "$install_line O='$(dirname "$BIN")' -o all -s >/dev/null &&
		PATH=\$HOME/.local/bin:\$PATH && cd / && cmt-fetch --version && cmt-predict --info | head -1"
	assert_success
	assert_line --index 0 --regexp '^cmt-fetch \(cmt\) '
	assert_line --index 1 --partial 'model:       default'
}

@test "make install PREFIX=\$HOME/.local: binaries, man pages, models, units and settings, working from there" {
	home="$TMP/home"
	install_to "$home/.local"
	for t in cmt-fetch cmt-features cmt-predict cmt-sse cmt-replay cmt-backtest cmt-train cmt-sim cmt-bus; do
		[ -x "$home/.local/bin/$t" ]
	done
	[ -f "$home/.local/share/cmt/default.json" ]
	[ -f "$home/.local/share/cmt/default-price.json" ]
	[ -f "$home/.local/lib/systemd/system/cmt-live@.service" ]
	[ -f "$home/.local/share/systemd/user/cmt-live@.service" ]
	[ -f "$home/.local/etc/cmt/default.env" ]
	# from anywhere, with only the installed bin on PATH
	cd /
	run env PATH="$home/.local/bin:/usr/bin:/bin" cmt-predict --info
	assert_success
	assert_line "file:        $home/.local/bin/../share/cmt/default.json"
	run env PATH="$home/.local/bin:/usr/bin:/bin" man -w cmt-replay
	assert_output "$home/.local/share/man/man1/cmt-replay.1"
	# the units name the installed programs and settings, nothing else
	u="$home/.local/share/systemd/user/cmt-live@.service"
	grep -q "^EnvironmentFile=$home/.local/etc/cmt/%i.env$" "$u"
	grep -q "\"$home/.local/bin/cmt-fetch\"" "$u"
	! grep -q '@[A-Z]*@' "$u" "$home/.local/lib/systemd/system/cmt-live@.service"
	grep -q '^WantedBy=default.target$' "$u"
	grep -q '^WantedBy=multi-user.target$' "$home/.local/lib/systemd/system/cmt-live@.service"
	grep -q '^DynamicUser=yes$' "$home/.local/lib/systemd/system/cmt-live@.service"
}

@test "make install keeps edited settings; make uninstall removes what it wrote but the settings" {
	install_to "$TMP/p"
	echo "CMT_PORT=9999" >> "$TMP/p/etc/cmt/default.env"
	install_to "$TMP/p"
	grep -q "CMT_PORT=9999" "$TMP/p/etc/cmt/default.env"
	make -s -C "$ROOT" O="$(dirname "$BIN")" -o all uninstall PREFIX="$TMP/p" >/dev/null
	[ -z "$(find "$TMP/p" -type f ! -name default.env)" ]
	[ -f "$TMP/p/etc/cmt/default.env" ]
	# a package build: DESTDIR stages, the units name the final paths
	install_to /usr/local DESTDIR="$TMP/stage"
	grep -q '"/usr/local/bin/cmt-sse"' "$TMP/stage/usr/local/lib/systemd/system/cmt-live@.service"
}

@test "systemd-analyze verify has nothing to say about either unit" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze not installed"
	install_to "$TMP/p"
	mkdir -p "$TMP/sys" "$TMP/user" "$TMP/run"
	chmod 700 "$TMP/run"
	# a template is verified as an instance
	cp "$TMP/p/lib/systemd/system/cmt-live@.service" "$TMP/sys/cmt-live@default.service"
	cp "$TMP/p/share/systemd/user/cmt-live@.service" "$TMP/user/cmt-live@default.service"
	cd "$TMP/sys"
	run env MANPATH="$TMP/p/share/man:" systemd-analyze verify ./cmt-live@default.service
	assert_success
	assert_output ""
	cd "$TMP/user"
	run env MANPATH="$TMP/p/share/man:" XDG_RUNTIME_DIR="$TMP/run" \
		systemd-analyze verify --user ./cmt-live@default.service
	assert_success
	assert_output ""
}

@test "the unit's ExecStart runs the live pipeline: forecasts served on the settings' port" {
	start_api --live-clock
	install_to "$TMP/p"
	port=$(free_port)
	# the installed settings, pointed at the stand-in API and a free port
	sed -e "s|^CMT_FETCH_ARGS=.*|CMT_FETCH_ARGS=--base-url $URL --interval 300ms|" \
		-e "s|^CMT_PORT=.*|CMT_PORT=$port|" "$TMP/p/etc/cmt/default.env" > "$TMP/p/etc/cmt/test.env"
	cmd=$(execstart "$TMP/p/lib/systemd/system/cmt-live@.service" test)
	[[ "$cmd" == "/bin/bash -o pipefail -c '\"$TMP/p/bin/cmt-fetch\" --source \"\$CMT_SOURCE\""* ]]
	# systemd's EnvironmentFile, then the command as it would run it
	setsid bash -c "$(declare -f service); service '$TMP/p/etc/cmt/test.env' \"\$1\"" \
		_ "$cmd" 2>"$TMP/journal" &
	pid=$!
	wait_http "$port"
	curl -sN --max-time 3 "http://127.0.0.1:$port/events?lastEventId=0" > "$TMP/events" || true
	kill -TERM -- "-$pid" 2>/dev/null || kill "$pid"
	wait "$pid" || true
	n=$(grep -c '"p_up":' "$TMP/events" || true)
	echo "# $n forecasts served" >&3
	[ "$n" -ge 100 ]
	grep -q '"sym":"BTC-USDT"' "$TMP/events"
	grep -q '"sym":"ETH-USDT"' "$TMP/events"
	grep -q '"kind":"metrics"' "$TMP/events"
	grep -q "cmt-fetch: warm start" "$TMP/journal"
}

@test "a failing feed fails the ExecStart (Restart=on-failure restarts it); a usage error is not retried" {
	install_to "$TMP/p"
	u="$TMP/p/lib/systemd/system/cmt-live@.service"
	grep -q '^Restart=on-failure$' "$u"
	grep -q '^RestartPreventExitStatus=2$' "$u"
	port=$(free_port)
	sed -e "s|^CMT_FETCH_ARGS=.*|CMT_FETCH_ARGS=--base-url http://127.0.0.1:1 --retry-max 1 --backoff 1ms|" \
		-e "s|^CMT_PORT=.*|CMT_PORT=$port|" "$TMP/p/etc/cmt/default.env" > "$TMP/p/etc/cmt/down.env"
	cmd=$(execstart "$u" down)
	run service "$TMP/p/etc/cmt/down.env" "$cmd"
	assert_failure 1
	sed -e "s|^CMT_SYMBOLS=.*|CMT_SYMBOLS=no-such-thing-at-all|" \
		-e "s|^CMT_PORT=.*|CMT_PORT=$port|" "$TMP/p/etc/cmt/default.env" > "$TMP/p/etc/cmt/bad.env"
	cmd=$(execstart "$u" bad)
	run service "$TMP/p/etc/cmt/bad.env" "$cmd"
	assert_failure 2
}
