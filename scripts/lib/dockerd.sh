# A private, quiet Docker engine for the tests: its own socket, data and exec roots under one
# temporary directory, no bridge and no iptables rules, so it leaves nothing behind.
# Source this file (after lib/packages.sh); it defines functions only:
#   dockerd_install              installs docker.io, busybox-static and curl when missing
#   dockerd_start                starts the engine; sets DOCKERD_DIR, DOCKERD_PID, DOCKERD_SOCKET
#   dockerd_build_test_image REF imports a busybox root file system as image REF (repo:tag)
#   dockerd_stop                 removes leftover containers, stops the engine, cleans up
# Only the PID recorded at start is ever signalled.

DOCKERD_DIR=""
DOCKERD_PID=""
DOCKERD_SOCKET=""
# The Debian packages the functions below use; scripts can add them to one install.
DOCKERD_PACKAGES=(docker.io busybox-static curl)

dockerd_install() {
    ensure_apt_packages "${DOCKERD_PACKAGES[@]}"
}

# _dockerd_api METHOD PATH [curl args...]: one Engine API call on the private socket.
_dockerd_api() {
    local method=$1 path=$2
    shift 2
    curl --silent --show-error --fail-with-body --max-time 60 --unix-socket "$DOCKERD_SOCKET" \
        -X "$method" "$@" "http://localhost$path"
}

dockerd_start() {
    DOCKERD_DIR=$(mktemp -d /tmp/titan-dockerd.XXXXXX)
    DOCKERD_SOCKET="$DOCKERD_DIR/docker.sock"
    dockerd -H "unix://$DOCKERD_SOCKET" \
        --data-root "$DOCKERD_DIR/data" --exec-root "$DOCKERD_DIR/exec" \
        --pidfile "$DOCKERD_DIR/docker.pid" \
        --bridge=none --iptables=false --ip-forward=false \
        >"$DOCKERD_DIR/dockerd.log" 2>&1 &
    DOCKERD_PID=$!
    local attempt
    for attempt in $(seq 1 200); do
        if [ -S "$DOCKERD_SOCKET" ] && _dockerd_api GET /_ping >/dev/null 2>&1; then
            echo "Docker engine ready (pid $DOCKERD_PID, socket $DOCKERD_SOCKET)"
            return 0
        fi
        if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    echo "dockerd did not answer /_ping on $DOCKERD_SOCKET; its log:" >&2
    tail -n 40 "$DOCKERD_DIR/dockerd.log" >&2
    dockerd_stop
    return 1
}

# dockerd_build_test_image REF: a root file system with /bin/busybox and one link per applet
# (not "busybox" itself, which would replace the binary), imported with PATH=/bin.
dockerd_build_test_image() {
    local reference=$1
    local repository=${reference%:*} tag=${reference##*:}
    local rootfs="$DOCKERD_DIR/image-rootfs" applet
    mkdir -p "$rootfs/bin" "$rootfs/tmp"
    cp "$(command -v busybox)" "$rootfs/bin/busybox"
    for applet in $("$rootfs/bin/busybox" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
    done
    tar -C "$rootfs" -cf "$DOCKERD_DIR/image.tar" .
    local reply
    reply=$(_dockerd_api POST "/images/create?fromSrc=-&repo=$repository&tag=$tag&changes=ENV%20PATH%3D%2Fbin" \
        -H "Content-Type: application/x-tar" --data-binary "@$DOCKERD_DIR/image.tar") || {
        echo "importing the test image $reference failed: $reply" >&2
        return 1
    }
    if printf '%s' "$reply" | grep -q '"error"'; then
        echo "importing the test image $reference failed: $reply" >&2
        return 1
    fi
    rm -rf "$rootfs" "$DOCKERD_DIR/image.tar"
    echo "Test image $reference imported"
}

dockerd_stop() {
    [ -n "$DOCKERD_DIR" ] || return 0
    if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
        # Containers a failed test left behind would each delay shutdown by their stop timeout.
        local ids id
        ids=$(_dockerd_api GET "/containers/json?all=true" 2>/dev/null |
            python3 -c 'import json, sys; print(" ".join(c["Id"] for c in json.load(sys.stdin)))' 2>/dev/null) || true
        for id in $ids; do
            _dockerd_api DELETE "/containers/$id?force=true&v=true" >/dev/null 2>&1 || true
        done
        kill -TERM "$DOCKERD_PID" 2>/dev/null || true
        local waited
        for waited in $(seq 1 200); do
            kill -0 "$DOCKERD_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$DOCKERD_PID" 2>/dev/null; then
            echo "dockerd (pid $DOCKERD_PID) ignored SIGTERM for 20 s; sending SIGKILL" >&2
            kill -KILL "$DOCKERD_PID" 2>/dev/null || true
        fi
        wait "$DOCKERD_PID" 2>/dev/null || true
    fi
    # The engine leaves its network namespace mounted; anything else under the directory
    # (a container's overlay after a crash) is unmounted the same way, deepest first.
    local mount_point
    if mountpoint -q "$DOCKERD_DIR/exec/netns/default" 2>/dev/null; then
        umount "$DOCKERD_DIR/exec/netns/default" || true
    fi
    for mount_point in $(awk -v dir="$DOCKERD_DIR" 'index($2, dir) == 1 { print $2 }' /proc/mounts | sort -r); do
        umount "$mount_point" 2>/dev/null || umount -l "$mount_point" 2>/dev/null || true
    done
    rm -rf "$DOCKERD_DIR"
    DOCKERD_DIR=""
    DOCKERD_PID=""
    DOCKERD_SOCKET=""
}
