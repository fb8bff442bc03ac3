# Two images from one file:
#   docker build --target cpu -t leisaac-dashboard:cpu .   # MuJoCo default, any x86-64 host
#   docker build --target gpu -t leisaac-dashboard:gpu .   # Isaac Lab 2.3 + LeIsaac, RTX GPU
#
# Both run `leisaac-dashboard serve` as a non-root user (uid 10001), bound to LEISAAC_HOST
# (0.0.0.0) and LEISAAC_PORT (8000; the health check follows it, so change the port with that
# variable). Binding 0.0.0.0 makes the server require a token: pass LEISAAC_TOKEN, or read the
# generated one from the container log. Datasets go to the /data volume (HF_LEROBOT_HOME).
#
# Plain Dockerfile syntax only (no `# syntax=` line, no RUN --mount): it builds with BuildKit
# and with the classic builder, which is all Debian's docker.io has and needs no registry.
# Stages are in build order: the classic builder builds every stage before --target.

# Any Debian bookworm image with Python 3.11 and venv; tools/build_base_image.sh makes one
# from Debian packages for machines without a container registry.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
ARG ISAACLAB_IMAGE=nvcr.io/nvidia/isaac-lab:2.3.0

# ---------------------------------------------------------------------------------------------
# wheel: build our wheel once; both targets install it.
FROM ${PYTHON_IMAGE} AS wheel
RUN python3 -m venv /opt/build
WORKDIR /src
COPY . .
RUN /opt/build/bin/pip wheel --no-cache-dir --no-deps --wheel-dir /dist .
LABEL org.opencontainers.image.title=leisaac-dashboard

# ---------------------------------------------------------------------------------------------
# cpu: Python + Mesa EGL (OSMesa as the fallback) for MuJoCo's offscreen renderer.
FROM ${PYTHON_IMAGE} AS cpu
# Versions come from the pinned Debian release of the base image; pinning each package would
# break the build on every Debian security update.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libegl1 libegl-mesa0 libgl1-mesa-dri libopengl0 libosmesa6 \
    && rm -rf /var/lib/apt/lists/*
# A fixed high uid that no base image uses, so USER can be numeric in both targets. The home
# is writable by any uid, so `docker run --user "$(id -u):$(id -g)"` works too (bind mounts).
RUN useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin leisaac \
    && chmod 1777 /home/leisaac \
    && mkdir -p /data \
    && chown leisaac:leisaac /data
# Dependencies first, from pyproject.toml alone: this layer is rebuilt only when it changes.
COPY pyproject.toml /tmp/pyproject.toml
RUN python3 -m venv /opt/venv \
    && python3 -c "import tomllib; print(chr(10).join(tomllib.load(open('/tmp/pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/pyproject.toml /tmp/requirements.txt
COPY --from=wheel /dist /tmp/dist
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps /tmp/dist/*.whl \
    && rm -rf /tmp/dist
ENV PATH=/opt/venv/bin:$PATH \
    MUJOCO_GL=egl \
    PYOPENGL_PLATFORM=egl \
    HOME=/home/leisaac \
    LEISAAC_HOST=0.0.0.0 \
    LEISAAC_PORT=8000 \
    HF_LEROBOT_HOME=/data \
    PYTHONUNBUFFERED=1
VOLUME ["/data"]
USER 10001:10001
WORKDIR /home/leisaac
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/api/health' % os.environ['LEISAAC_PORT'], timeout=4)"]
ENTRYPOINT []
CMD ["leisaac-dashboard", "serve"]
LABEL org.opencontainers.image.title=leisaac-dashboard

# ---------------------------------------------------------------------------------------------
# gpu: NVIDIA's Isaac Lab image (Isaac Sim 5.1, Python 3.11 at /isaac-sim/python.sh) + LeIsaac
# + our wheel, all in Isaac Sim's Python. Needs an RTX-class GPU and the NVIDIA Container
# Toolkit (`docker run --gpus all`). LeIsaac's scene assets are not in its git repository:
# mount them at /opt/leisaac/assets (see README, GPU section).
FROM ${ISAACLAB_IMAGE} AS gpu
ARG LEISAAC_REPO=https://github.com/LightwheelAI/leisaac.git
ARG LEISAAC_REF=v0.4.0
ENV ACCEPT_EULA=Y \
    PRIVACY_CONSENT=Y \
    ISAACSIM_PYTHON=/isaac-sim/python.sh \
    LEISAAC_ASSETS_ROOT=/opt/leisaac/assets \
    LEISAAC_BACKEND=isaaclab \
    LEISAAC_HOST=0.0.0.0 \
    LEISAAC_PORT=8000 \
    HF_LEROBOT_HOME=/data \
    PYTHONUNBUFFERED=1
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN git clone --depth 1 --branch "${LEISAAC_REF}" "${LEISAAC_REPO}" /opt/leisaac \
    && "${ISAACSIM_PYTHON}" -m pip install --no-cache-dir -e /opt/leisaac/source/leisaac \
    && mkdir -p /opt/leisaac/assets
COPY --from=wheel /dist /tmp/dist
RUN "${ISAACSIM_PYTHON}" -m pip install --no-cache-dir /tmp/dist/*.whl \
    && rm -rf /tmp/dist
# The console script must run under python.sh, which sets up Kit's library paths.
RUN printf '#!/bin/sh\nexec /isaac-sim/python.sh -m server.cli "$@"\n' \
        > /usr/local/bin/leisaac-dashboard \
    && chmod 0755 /usr/local/bin/leisaac-dashboard
# Kit writes its cache, data and logs under /isaac-sim/kit (the paths NVIDIA's docs mount) and
# the rest under $HOME.
RUN useradd --create-home --uid 10001 --user-group --shell /usr/sbin/nologin leisaac \
    && chmod 1777 /home/leisaac \
    && mkdir -p /data /isaac-sim/kit/cache /isaac-sim/kit/data /isaac-sim/kit/logs \
    && chown -R leisaac:leisaac /data /isaac-sim/kit/cache /isaac-sim/kit/data /isaac-sim/kit/logs
# Set only now: the build steps above run as root with the base image's HOME.
ENV HOME=/home/leisaac
VOLUME ["/data"]
USER 10001:10001
WORKDIR /home/leisaac
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=300s --retries=3 \
    CMD ["/isaac-sim/python.sh", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/api/health' % os.environ['LEISAAC_PORT'], timeout=4)"]
ENTRYPOINT []
CMD ["leisaac-dashboard", "serve"]
LABEL org.opencontainers.image.title=leisaac-dashboard
