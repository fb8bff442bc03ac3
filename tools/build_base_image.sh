#!/usr/bin/env bash
# Make a Debian bookworm + Python 3.11 base image from Debian packages alone, for machines that
# reach Debian's package repositories but no container registry (the dev and CI machines).
#
#   bash tools/build_base_image.sh            prints the image tag, building it if needed
#   docker build --build-arg PYTHON_IMAGE="$(bash tools/build_base_image.sh)" --target cpu .
#
# The image stands in for python:3.11-slim-bookworm, the Dockerfile's default base: Debian's
# python3 (3.11) with venv, ca-certificates, the same apt sources as this machine, and slim's
# dpkg excludes (no docs, man pages or locales). This machine's extra CA certificates
# (/usr/local/share/ca-certificates) are trusted inside too, so pip works behind the same
# TLS-inspecting proxy as the host.
#
# Cost: debootstrap once (~2-4 minutes, ~45 MB of packages); the rootfs is kept as a tarball
# under ~/.cache/leisaac-dashboard/docker/ and an image tagged by a hash of this script, the
# mirror and the CA files, so later calls print the tag at once (or re-import the tarball, ~10 s,
# when Docker's storage was wiped). Needs root (debootstrap, docker).
set -euo pipefail

SUITE=bookworm
PACKAGES=python3,python3-venv,ca-certificates

log() { echo "[build_base_image] $*" >&2; }

# The Debian mirror this machine's apt uses (deb822 or one-line format), else deb.debian.org.
host_mirror() {
    local uri
    uri=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null |
        awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
    if [[ -z "$uri" ]]; then
        uri=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
            awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

MIRROR="${DEBIAN_MIRROR:-$(host_mirror)}"
MIRROR="${MIRROR%/}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}"
mapfile -t EXTRA_CAS < <(find /usr/local/share/ca-certificates -name '*.crt' -type f 2>/dev/null | sort)

KEY=$(
    {
        cat "$0"
        echo "$SUITE $PACKAGES $MIRROR $SECURITY_MIRROR"
        ((${#EXTRA_CAS[@]})) && cat "${EXTRA_CAS[@]}"
    } | sha256sum | cut -c1-12
)
TAG="leisaac-base:${SUITE}-${KEY}"
CACHE="${LEISAAC_DOCKER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/leisaac-dashboard/docker}"
TARBALL="$CACHE/base-${SUITE}-${KEY}.tar"

if docker image inspect "$TAG" >/dev/null 2>&1; then
    echo "$TAG"
    exit 0
fi

import_tarball() {
    # PATH must be set: Dockerfiles extend it (ENV PATH=/opt/venv/bin:$PATH).
    docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt' \
        --change 'CMD ["python3"]' \
        "$TARBALL" "$TAG" >/dev/null
}

if [[ -f "$TARBALL" ]]; then
    log "importing the cached rootfs $TARBALL"
    import_tarball
    echo "$TAG"
    exit 0
fi

[[ $(id -u) -eq 0 ]] || {
    log "debootstrap needs root"
    exit 1
}
command -v debootstrap >/dev/null || {
    log "debootstrap is missing: apt-get install debootstrap"
    exit 1
}

mkdir -p "$CACHE"
# Private temporaries: two runs at once each build their own and the last rename wins.
ROOTFS=$(mktemp -d "$CACHE/rootfs.XXXXXX")
PARTIAL=$(mktemp "$CACHE/partial.XXXXXX")
trap 'rm -rf "$ROOTFS" "$PARTIAL"' EXIT

log "debootstrap --variant=minbase $SUITE from $MIRROR (a few minutes, once)"
debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$ROOTFS" "$MIRROR" >&2

cat >"$ROOTFS/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
rm -f "$ROOTFS/etc/apt/sources.list"

# What Debian's slim images leave out; later apt-get installs leave it out too.
cat >"$ROOTFS/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
cat >"$ROOTFS/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF

if ((${#EXTRA_CAS[@]})); then
    cp "${EXTRA_CAS[@]}" "$ROOTFS/usr/local/share/ca-certificates/"
    chroot "$ROOTFS" update-ca-certificates >/dev/null
fi

find "$ROOTFS/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$ROOTFS/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$ROOTFS"/usr/share/{man,info,locale,lintian}/* "$ROOTFS"/var/lib/apt/lists/* \
    "$ROOTFS"/var/cache/apt/* "$ROOTFS"/var/log/*.log "$ROOTFS"/tmp/*

tar --numeric-owner -C "$ROOTFS" -cf "$PARTIAL" .
chmod 0644 "$PARTIAL"
mv "$PARTIAL" "$TARBALL"
log "rootfs $(du -h "$TARBALL" | cut -f1) cached at $TARBALL"
import_tarball
echo "$TAG"
