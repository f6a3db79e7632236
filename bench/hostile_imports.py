"""Peak memory of one process importing hostile files (docs/decisions/0011).

`python bench/hostile_imports.py [--with-coco]` builds each hostile input, imports it in a
fresh child process through the real services (a throwaway SQLite database in a temporary
folder) and prints the child's peak RSS (ru_maxrss) beside the same child importing nothing.
Not run by the test suite: the worst cases allocate hundreds of MB.
"""

import argparse
import bz2
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def lying_zip(name: str, payload_mb: int, method: int) -> bytes:
    payload = b"\0" * (1024 * 1024)
    if method == 12:
        compressor = bz2.BZ2Compressor(9)
        blob = b"".join(compressor.compress(payload) for _ in range(payload_mb)) + compressor.flush()
    else:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        blob = b"".join(compressor.compress(payload) for _ in range(payload_mb)) + compressor.flush()
    encoded, claimed, crc = name.encode(), 1000, zlib.crc32(b"\0" * 1000)
    local = struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 46, 0, 0, method, 0, 0, crc, len(blob), claimed, len(encoded), 0)
    central = struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 46, 3, 46, 0, 0, method, 0, 0, crc, len(blob), claimed,
                          len(encoded), 0, 0, 0, 0, 0o100644 << 16, 0)  # fmt: skip
    head = local + encoded + blob
    return (
        head
        + central
        + encoded
        + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central) + len(encoded), len(head), 0)
    )


def big_image(kind: str) -> bytes:
    from PIL import Image

    side = 6324  # 39.99 MP, just under IMPORT_MAX_PIXELS
    out = io.BytesIO()
    if kind == "png-rgba":
        Image.new("RGBA", (side, side), (1, 2, 3, 4)).save(out, "PNG", compress_level=1)
    elif kind == "jpeg-cmyk-progressive":
        Image.new("CMYK", (side, side), (1, 2, 3, 4)).save(out, "JPEG", progressive=True, quality=50, subsampling=0)
    elif kind == "jpeg-rotated":
        exif = Image.Exif()
        exif[0x0112] = 6
        Image.new("RGB", (side, side), (9, 9, 9)).save(out, "JPEG", quality=50, exif=exif.tobytes())
    return out.getvalue()


def worst_coco(mb: int) -> bytes:
    # Empty objects: the most Python objects per byte of JSON a COCO list can hold.
    return b'{"images": [' + b"{}," * (mb * 1024 * 1024 // 3) + b"{}]}"


def _peak_mb() -> int:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork and exec, so a child started
    # by a parent holding the inputs would report the parent's peak as its own.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return 0


def _child(kind: str, path: str) -> None:
    """In a fresh process: set up, note the peak so far, import the file, print both."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aidou.settings")
    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from annotation.models import Organisation, Project
    from annotation.services.imports import import_run, import_start

    org = Organisation.objects.create(name=f"bench {os.getpid()} {kind}")
    project = Project.objects.create(organisation=org, name="p", label_schema={"tools": ["bbox"], "labels": [
        {"name": "car", "color": "#e6194b"}]})  # fmt: skip
    baseline = _peak_mb()
    outcome = "-"
    if kind != "nothing":
        try:
            with open(path, "rb") as handle:
                upload = SimpleUploadedFile("c.json" if kind == "coco" else "f.bin", handle.read())
            if kind == "coco":
                import_start(
                    project=project, files=[SimpleUploadedFile("a.jpg", b"x")], annotations=upload, enqueue=False
                )
                outcome = "accepted"
            else:
                job = import_start(project=project, files=[upload], enqueue=False)
                del upload
                job = import_run(job_id=job.pk)
                outcome = ",".join(e["code"] for e in job.errors) or "accepted"
        except Exception as exc:  # noqa: BLE001 - reported, that is the point
            outcome = f"{type(exc).__name__}: {str(exc)[:80]}"
    print(json.dumps([baseline, _peak_mb(), outcome]))


def measure(kind: str, path: str) -> tuple[int, int, str]:
    done = subprocess.run([sys.executable, __file__, "--child", kind, path], capture_output=True, text=True)
    if done.returncode:
        return 0, 0, f"child failed ({done.returncode}): {done.stderr.strip().splitlines()[-1:]}"
    return tuple(json.loads(done.stdout.strip().splitlines()[-1]))  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bomb-mb", type=int, default=2048, help="what the bzip2 bomb unpacks to")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory() as folder:
        os.environ["AIDOU_VAR_DIR"] = folder
        os.environ["MEDIA_ROOT"] = str(Path(folder) / "media")
        cases = [
            ("nothing", "nothing", lambda: b""),
            (f"zip: bzip2 entry lying ({args.bomb_mb} MB)", "zip", lambda: lying_zip("a.jpg", args.bomb_mb, 12)),
            ("zip: deflate entry lying (1 GB)", "zip", lambda: lying_zip("a.jpg", 1024, 8)),
            ("PNG RGBA 40 MP", "image", lambda: big_image("png-rgba")),
            ("JPEG CMYK progressive 40 MP", "image", lambda: big_image("jpeg-cmyk-progressive")),
            ("JPEG EXIF-rotated 40 MP", "image", lambda: big_image("jpeg-rotated")),
            ("COCO: 3.8M empty objects (11 MB)", "coco", lambda: worst_coco(11)),
            ("COCO: one 63 MB string and an emoji", "coco",
             lambda: b'{"images": [], "x": "' + b"a" * (63 * 1024 * 1024) + "\U0001f600\"}".encode()),
        ]  # fmt: skip
        print(f"{'input':38} {'bytes':>10} {'baseline MB':>12} {'peak MB':>8}  outcome", flush=True)
        for label, kind, build in cases:
            path = Path(folder) / "input"
            data = build()
            path.write_bytes(data)
            baseline, peak, outcome = measure(kind, str(path))
            print(f"{label:38} {len(data):>10} {baseline:>12} {peak:>8}  {outcome}", flush=True)


if __name__ == "__main__":
    main()
