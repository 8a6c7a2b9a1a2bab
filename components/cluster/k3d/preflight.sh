#!/usr/bin/env bash
# Preflight of the local stack: is everything a k3d cluster on this machine needs present? Collects
# every problem, names what is missing and how to install it, and exits 1 if there is any.
# Run by `npm run local` before `pulumi up`, and by the program (a local Command) before the cluster.
# Parameters (environment): K3D_MIN_VERSION (v5.7.0), PULUMI_MIN_VERSION (v3.265.0),
# NEED_MEMORY_BYTES (memory Docker must offer), NEED_CPUS, CHECK_PULUMI (1 to check the Pulumi CLI),
# CLUSTER_NAME and PORTS ("6550:local.apiPort 8080:local.httpPort"): loopback ports the new cluster will
# bind, checked only while no k3d cluster of that name exists (a running one holds them itself).
set -u
K3D_MIN_VERSION=${K3D_MIN_VERSION:-v5.7.0}
PULUMI_MIN_VERSION=${PULUMI_MIN_VERSION:-v3.265.0}
NEED_MEMORY_BYTES=${NEED_MEMORY_BYTES:-0}
NEED_CPUS=${NEED_CPUS:-0}
CHECK_PULUMI=${CHECK_PULUMI:-1}
CLUSTER_NAME=${CLUSTER_NAME:-}
PORTS=${PORTS:-}
problems=()
found=()

# True when version $1 >= $2 (both vX.Y.Z, "v" optional).
version_ge() {
    local a=${1#v} b=${2#v}
    [ "$(printf '%s\n%s\n' "$b" "$a" | sort -V | head -n1)" = "$b" ]
}

if ! command -v docker >/dev/null 2>&1; then
    problems+=("docker is not on PATH: install Docker Desktop (macOS, Windows) or Docker Engine (Linux): https://docs.docker.com/get-docker/")
elif ! docker info >/dev/null 2>&1; then
    problems+=("Docker is installed but not running (docker info failed): start Docker Desktop, or on Linux: sudo systemctl start docker (and add yourself to the docker group)")
else
    mem=$(docker info --format '{{.MemTotal}}' 2>/dev/null || echo 0)
    cpus=$(docker info --format '{{.NCPU}}' 2>/dev/null || echo 0)
    found+=("docker: $((mem / 1073741824)) GiB, ${cpus} CPUs")
    if [ "${mem:-0}" -lt "$NEED_MEMORY_BYTES" ] 2>/dev/null; then
        problems+=("Docker offers $((mem / 1048576)) MiB of memory; the local platform needs $((NEED_MEMORY_BYTES / 1048576)) MiB: raise it in Docker Desktop > Settings > Resources > Memory, or close other containers")
    fi
    if [ "${cpus:-0}" -lt "$NEED_CPUS" ] 2>/dev/null; then
        problems+=("Docker offers ${cpus} CPUs; the local platform needs ${NEED_CPUS}: raise it in Docker Desktop > Settings > Resources > CPUs")
    fi
fi

k3d_install="install k3d ${K3D_MIN_VERSION} or newer: curl -s https://raw.githubusercontent.com/k3d-io/k3d/main/install.sh | TAG=${K3D_MIN_VERSION} bash  (or: brew install k3d)"
if ! command -v k3d >/dev/null 2>&1; then
    problems+=("k3d is not on PATH: ${k3d_install}")
else
    have=$(k3d version 2>/dev/null | sed -n 's/^k3d version //p' | head -n1)
    if [ -z "$have" ] || ! version_ge "$have" "$K3D_MIN_VERSION"; then
        problems+=("k3d ${have:-of unknown version} is too old (need ${K3D_MIN_VERSION} or newer): ${k3d_install}")
    else
        found+=("k3d: ${have}")
    fi
fi

# A port something else listens on makes k3d fail late with a Docker error; name it and the setting now.
if [ -n "$PORTS" ] && command -v k3d >/dev/null 2>&1 && ! k3d cluster get "$CLUSTER_NAME" >/dev/null 2>&1; then
    for entry in $PORTS; do
        port=${entry%%:*} setting=${entry#*:}
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            problems+=("port $port on 127.0.0.1 is in use (k3d needs it for ${setting}): stop what listens there (lsof -i :$port) or pulumi config set --path 'aiops-mlops-platform:${setting}' <free port>")
        fi
    done
fi

if [ "$CHECK_PULUMI" = 1 ]; then
    pulumi_install="install the Pulumi CLI ${PULUMI_MIN_VERSION} or newer the official way: curl -fsSL https://get.pulumi.com | sh  (or: brew install pulumi/tap/pulumi); not npx pulumi"
    if ! command -v pulumi >/dev/null 2>&1; then
        problems+=("pulumi is not on PATH: ${pulumi_install}")
    else
        have=$(pulumi version 2>/dev/null | head -n1)
        if [ -z "$have" ] || ! version_ge "$have" "$PULUMI_MIN_VERSION"; then
            problems+=("Pulumi CLI ${have:-of unknown version} is too old (need ${PULUMI_MIN_VERSION} or newer): ${pulumi_install}")
        else
            found+=("pulumi: ${have}")
        fi
    fi
fi

if [ "${#problems[@]}" -gt 0 ]; then
    echo "local preflight failed (${#problems[@]} problem(s)):" >&2
    for p in "${problems[@]}"; do echo "  - $p" >&2; done
    exit 1
fi
echo "local preflight ok: ${found[*]}"
