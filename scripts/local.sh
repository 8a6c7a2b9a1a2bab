#!/usr/bin/env bash
# `npm run local [-- <pulumi up flags>]`: the platform on this machine, with no Pulumi account.
#   1. preflight: Docker running, k3d and the Pulumi CLI at supported versions, enough memory
#   2. PULUMI_CONFIG_PASSPHRASE must be set (it encrypts this stack's secrets; empty is allowed)
#   3. pulumi login file://<repo>/.pulumi-state   (Pulumi's local file backend, kept in this checkout)
#   4. pulumi stack select local --create
#   5. pulumi up --stack local
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# The preflight's defaults match Pulumi.local.yaml's; the program repeats it (without the CLI check) before the cluster.
K3D_MIN_VERSION=${K3D_MIN_VERSION:-v5.7.0} PULUMI_MIN_VERSION=${PULUMI_MIN_VERSION:-v3.265.0} \
    NEED_MEMORY_BYTES=${NEED_MEMORY_BYTES:-7516192768} NEED_CPUS=${NEED_CPUS:-3} CHECK_PULUMI=1 \
    CLUSTER_NAME=${CLUSTER_NAME:-aiops-local} PORTS=${PORTS:-"6550:local.apiPort 8080:local.httpPort"} \
    bash components/cluster/k3d/preflight.sh

if [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    cat >&2 <<'MSG'
PULUMI_CONFIG_PASSPHRASE is not set. The local backend encrypts this stack's secrets (passwords, your LLM
key) with a passphrase of your choice; set it in this shell and keep it (it is needed for every later
pulumi command on this stack):
    export PULUMI_CONFIG_PASSPHRASE='choose-a-passphrase'
    npm run local
(An empty passphrase is allowed for a throwaway laptop cluster: export PULUMI_CONFIG_PASSPHRASE=)
MSG
    exit 2
fi

mkdir -p .pulumi-state
pulumi login "file://$ROOT/.pulumi-state"
pulumi stack select local --create
pulumi up --stack local "$@"
