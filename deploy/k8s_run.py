"""Runs the rendered dev overlay as local processes, as deploy/topology_check.py does for
docker-compose: what the manifests say, not a copy of it.

1. `kubectl kustomize deploy/k8s/overlays/dev` (or `kustomize build`).
2. The local PostgreSQL (127.0.0.1:5432, user postgres, trust) gets a role and a database
   per service from the overlay's own init script (ConfigMap postgres-init) with the
   passwords of Secret postgres-passwords, under a per-run prefix; all dropped at the end.
3. Before any migration, one replica must refuse to start (XK_MIGRATE=false and a pending
   migration): the ordering the migration Jobs rely on.
4. Each migration Job's command and env (Secret references resolved) must exit 0.
5. Each Deployment's replicas start as processes with the container's args and env
   (envFrom ConfigMap and Secret, env valueFrom resolved), replica r of the k-th service
   on 127.0.<k>.<r>; the database host `postgres` is this machine's PostgreSQL.
   `--replicas registry=2` (the default) runs two registry replicas.
6. The manifests' probes: startupProbe until it passes, then livenessProbe and
   readinessProbe must answer 200 (HTTP GET, path and port as written).
7. The registry answers the aggregator's token and does not know the water bureau's
   (UNAUTHENTICATED): each Secret holds only the tokens its service must verify.
8. The aggregator finds the services by their Service names through a resolve file
   (XK_RESOLVE_FILE: Service name -> every replica's address), then answers county
   summaries with every section available; each registry replica's /metrics must count
   the aggregator's calls, so both replicas were reached through the one name.
9. SIGTERM to all: each must exit 0.

For a binary without the obs-metrics work (the admin listener), `--no-admin` checks
readiness with the gRPC health check instead and skips the HTTP probes and the metrics of
steps 6 and 8; without the balance work (XK_RESOLVE_FILE), `--no-resolve-file` gives the
aggregator the replicas' addresses instead of the Service names. `--direct` is both.

Usage: k8s_run.py PATH/TO/xiaokang [--direct | --no-admin | --no-resolve-file] [--replicas NAME=N ...]
"""

import argparse
import base64
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import grpc
import yaml
from google.protobuf import descriptor_pool, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

ROOT = pathlib.Path(__file__).resolve().parent.parent
PG = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qAtc"]
# Upstream order of the aggregator's county summary (GetSummary's sections).
SECTIONS = ["registry", "education", "health", "housing", "water"]
GRPC_NAMES = {"registry": "xiaokang.registry.v1.RegistryService",
              "education": "xiaokang.education.v1.EducationService",
              "health": "xiaokang.health.v1.HealthInsuranceService",
              "housing": "xiaokang.housing.v1.HousingService",
              "water": "xiaokang.water.v1.WaterService",
              "aggregator": "xiaokang.aggregator.v1.AggregatorService"}


def render() -> dict:
    tool = os.environ.get("KUSTOMIZE") or "kubectl"
    cmd = [tool, "kustomize"] if pathlib.Path(tool).name == "kubectl" else [tool, "build"]
    out = subprocess.run(cmd + [str(ROOT / "deploy/k8s/overlays/dev")], check=True,
                         capture_output=True, text=True).stdout
    objs = {}
    for o in yaml.safe_load_all(out):
        if o:
            objs.setdefault(o["kind"], {})[o["metadata"]["name"]] = o
    return objs


def secret(objs: dict, name: str) -> dict:
    s = objs["Secret"][name]
    data = {k: base64.b64decode(v).decode() for k, v in (s.get("data") or {}).items()}
    data.update(s.get("stringData") or {})
    return data


class Local:
    """Maps the cluster's names to this machine: database URLs to the local PostgreSQL
    under the run's prefix, listen addresses to a replica's loopback address."""

    def __init__(self, prefix: str):
        self.prefix = prefix

    def database_url(self, url: str) -> str:
        u = urllib.parse.urlsplit(url)
        assert u.hostname == "postgres", f"dev database URLs name the postgres Service: {url}"
        user, db = u.username, u.path.lstrip("/")
        return f"postgres://{self.prefix}{user}:{u.password}@127.0.0.1:{u.port or 5432}/{self.prefix}{db}"

    def container_env(self, objs: dict, container: dict, addr: str) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("XK_")}
        for src in container.get("envFrom", []):
            if "configMapRef" in src:
                env.update(objs["ConfigMap"][src["configMapRef"]["name"]]["data"])
            else:
                env.update(secret(objs, src["secretRef"]["name"]))
        for e in container.get("env", []):
            if "value" in e:
                env[e["name"]] = e["value"]
            else:
                ref = e["valueFrom"]["secretKeyRef"]
                env[e["name"]] = secret(objs, ref["name"])[ref["key"]]
        if "XK_DATABASE_URL" in env:
            env["XK_DATABASE_URL"] = self.database_url(env["XK_DATABASE_URL"])
        for key in ("XK_LISTEN", "XK_ADMIN_LISTEN"):
            if key in env:
                host, port = env[key].rsplit(":", 1)
                assert host == "0.0.0.0", f"{key}={env[key]}: a pod listens on every address"
                env[key] = f"{addr}:{port}"
        return env


def create_databases(objs: dict, prefix: str) -> None:
    script = objs["ConfigMap"]["postgres-init"]["data"]["10-xiaokang.sh"]
    env = dict(os.environ, POSTGRES_USER="postgres", PGHOST="127.0.0.1", XK_DB_PREFIX=prefix,
               **secret(objs, "postgres-passwords"))
    subprocess.run(["bash", "-c", script], env=env, check=True, stdout=subprocess.DEVNULL)


def drop_databases(names: list, prefix: str) -> None:
    env = dict(os.environ, PGOPTIONS="-c client_min_messages=warning")
    for n in names:
        subprocess.run(PG + [f'DROP DATABASE IF EXISTS "{prefix}{n}" WITH (FORCE)'], env=env, check=False)
        subprocess.run(PG + [f'DROP ROLE IF EXISTS "{prefix}{n}"'], env=env, check=False)


def http_get(url: str) -> tuple:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return None, str(e)


def probe_url(container: dict, probe: str, addr: str) -> str:
    get = container[probe]["httpGet"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    return f"http://{addr}:{ports.get(get['port'], get['port'])}{get['path']}"


def wait_started(proc, container: dict, addr: str, admin: bool, binary: str, grpc_name: str) -> None:
    """Until the startupProbe passes (as the kubelet would poll it), or gRPC health with
    --no-admin. The process exiting first is a failure."""
    p = container["startupProbe"]
    deadline = time.time() + p.get("periodSeconds", 10) * p.get("failureThreshold", 3)
    grpc_port = next(x["containerPort"] for x in container["ports"] if x["name"] == "grpc")
    while time.time() < deadline:
        assert proc.poll() is None, f"{addr}: exited {proc.returncode}: {proc.stderr.read()[-2000:]}"
        if not admin:
            ok = subprocess.run([binary, "health", f"{addr}:{grpc_port}", "--service", grpc_name],
                                capture_output=True).returncode == 0
        else:
            ok = http_get(probe_url(container, "startupProbe", addr))[0] == 200
        if ok:
            return
        time.sleep(0.2)
    what = probe_url(container, "startupProbe", addr) if admin else "gRPC health"
    raise AssertionError(f"{addr}: startupProbe ({what}) did not pass; without the admin listener "
                         f"(obs-metrics) in the binary, run with --no-admin")


def call(addr: str, service: str, method: str, token: str, **fields):
    channel = grpc.insecure_channel(addr)
    pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
    m = pool.FindServiceByName(service).FindMethodByName(method)
    req_cls = message_factory.GetMessageClass(m.input_type)
    resp_cls = message_factory.GetMessageClass(m.output_type)
    stub = channel.unary_unary(f"/{service}/{method}", request_serializer=req_cls.SerializeToString,
                               response_deserializer=resp_cls.FromString)
    return stub(req_cls(**fields), metadata=[("authorization", f"Bearer {token}")], timeout=10)


def summarize_calls(metrics: str) -> float:
    """Finished SummarizeByRegion calls in a Prometheus exposition (xk_rpc_requests_total)."""
    total = 0.0
    for line in metrics.splitlines():
        if line.startswith("xk_rpc_requests_total{") and 'method="SummarizeByRegion"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def run(binary: str, admin: bool, by_name: bool, replicas: dict, procs: list, prefix: str) -> None:
    objs = render()
    deps = objs["Deployment"]
    names = sorted(deps, key=lambda n: (n == "aggregator", n))
    print(f"dev overlay: {sum(len(v) for v in objs.values())} objects, Deployments {', '.join(names)}")
    local = Local(prefix)
    create_databases(objs, prefix)
    print(f"postgres: roles and databases {prefix}<service> created by the overlay's init script")
    addrs = {n: [f"127.0.{k + 1}.{r + 1}" for r in range(replicas.get(n, deps[n]["spec"].get("replicas", 1)))]
             for k, n in enumerate(names)}

    def container(n):
        (c,) = deps[n]["spec"]["template"]["spec"]["containers"]
        return c

    # A replica before its migration: must refuse to start, not migrate by itself.
    first = names[0]
    early = subprocess.run([binary] + container(first)["args"], capture_output=True, text=True, timeout=60,
                           env=local.container_env(objs, container(first), addrs[first][0]))
    assert early.returncode != 0, f"{first} started before its migration Job ran"
    print(f"{first}: refuses to start before its migration Job ({early.stderr.strip().splitlines()[-1][:120]})")

    for job_name, job in sorted(objs["Job"].items()):
        (c,) = job["spec"]["template"]["spec"]["containers"]
        r = subprocess.run([binary] + c["args"], env=local.container_env(objs, c, "127.0.0.1"),
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"Job {job_name}: {r.stdout}{r.stderr}"
    print(f"migration Jobs: {len(objs['Job'])} exited 0")

    resolve = pathlib.Path(tempfile.mkdtemp(prefix="xk-k8s-")) / "hosts"
    ns = deps[first]["metadata"]["namespace"]
    lines = []
    for svc_name, svc in objs["Service"].items():
        target = svc["spec"]["selector"].get("app.kubernetes.io/name")
        for a in addrs.get(target, []):
            lines.append(f"{a} {svc_name} {svc_name}.{ns}.svc {svc_name}.{ns}.svc.cluster.local")
    resolve.write_text("# Service names -> replica addresses (deploy/k8s_run.py)\n" + "\n".join(lines) + "\n")

    for n in names:
        c = container(n)
        for a in addrs[n]:
            env = local.container_env(objs, c, a)
            if n == "aggregator":
                env["XK_RESOLVE_FILE"] = str(resolve)
                if not by_name:  # no resolve file support: the replicas' addresses instead
                    for up in SECTIONS:
                        u = urllib.parse.urlsplit(env[f"XK_{up.upper()}_URL"])
                        env[f"XK_{up.upper()}_URL"] = ",".join(f"http://{x}:{u.port}" for x in addrs[up])
            p = subprocess.Popen([binary] + c["args"], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE, text=True)
            procs.append((f"{n}@{a}", p))
            wait_started(p, c, a, admin, binary, GRPC_NAMES[n])
            if admin:
                url = probe_url(c, "livenessProbe", a)
                status, body = http_get(url)
                assert status == 200, f"{n}@{a}: livenessProbe {url} -> {status} {body}"
                # Ready may follow started by a database check: poll, as the kubelet does.
                url, deadline = probe_url(c, "readinessProbe", a), time.time() + 30
                while (got := http_get(url))[0] != 200:
                    assert time.time() < deadline, f"{n}@{a}: readinessProbe {url} -> {got}"
                    time.sleep(0.2)
        print(f"{n}: {len(addrs[n])} replica(s) on {', '.join(addrs[n])}"
              + (", startup/liveness/readiness probes answer 200" if admin else ""))

    # Each Secret holds only the tokens its service must verify: the registry answers the
    # aggregator's token, and does not know the water bureau's at all.
    reg = f"{addrs['registry'][0]}:{next(x['containerPort'] for x in container('registry')['ports'] if x['name'] == 'grpc')}"
    call(reg, GRPC_NAMES["registry"], "SummarizeByRegion", secret(objs, "registry-secrets")["XK_TOKEN_AGGREGATOR"],
         region_prefix="420625")
    try:
        call(reg, GRPC_NAMES["registry"], "SummarizeByRegion",
             secret(objs, "water-secrets")["XK_TOKEN_WATER_RESOURCES"], region_prefix="420625")
        raise AssertionError("the registry accepted the water bureau's token")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.UNAUTHENTICATED, e
    print("registry: answers the aggregator's token; the water bureau's token is unknown to it (UNAUTHENTICATED)")

    def registry_counts() -> list:
        """SummarizeByRegion calls each registry replica has finished (its /metrics)."""
        c, out = container("registry"), []
        for a in addrs["registry"]:
            url = probe_url(c, "livenessProbe", a).rsplit("/", 1)[0] + "/metrics"
            status, body = http_get(url)
            assert status == 200, f"registry@{a}: {url} -> {status}"
            out.append(summarize_calls(body))
        return out

    before = registry_counts() if admin else None
    agg = addrs["aggregator"][0]
    agg_port = next(x["containerPort"] for x in container("aggregator")["ports"] if x["name"] == "grpc")
    admin_token = secret(objs, "aggregator-secrets")["XK_TOKEN_ADMIN"]
    # 20 summaries: if calls were spread at random, both replicas get one but with
    # probability 1 - 2^-19.
    rounds = 20
    for _ in range(rounds):
        summary = call(f"{agg}:{agg_port}", GRPC_NAMES["aggregator"], "GetSummary", admin_token,
                       region_prefix="420625", year=2019).summary
        for section in SECTIONS:
            status = getattr(summary, section).status
            assert status.state == 1, f"{section} section: {status}"  # SECTION_STATE_AVAILABLE
    print(f"aggregator: {rounds} county summaries for 420625, all five sections available")
    how = "Service names (resolve file)" if by_name else "the replicas' addresses (--no-resolve-file)"
    print(f"aggregator: reached every service through {how}")
    if admin:
        for a, b, n in zip(addrs["registry"], before, registry_counts()):
            assert n > b, f"registry@{a}: no SummarizeByRegion call from the aggregator ({b} -> {n})"
            print(f"registry@{a}: served {n - b:.0f} of the aggregator's calls through Service name registry-headless")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--no-admin", action="store_true",
                    help="no admin listener in the binary: gRPC health, no HTTP probes or metrics")
    ap.add_argument("--no-resolve-file", action="store_true",
                    help="no XK_RESOLVE_FILE in the binary: the aggregator gets direct addresses")
    ap.add_argument("--direct", action="store_true", help="both of the above")
    ap.add_argument("--replicas", action="append", default=[], metavar="NAME=N",
                    help="replicas of a Deployment instead of the manifest's (default registry=2)")
    a = ap.parse_args()
    replicas = {k: int(v) for k, v in (r.split("=", 1) for r in a.replicas or ["registry=2"])}
    assert any(v >= 2 for v in replicas.values()), "run at least one service with two replicas"
    binary = str(pathlib.Path(a.binary).resolve())
    prefix = f"k8s{os.getpid()}_"
    procs, failed = [], []
    try:
        run(binary, not (a.direct or a.no_admin), not (a.direct or a.no_resolve_file), replicas, procs, prefix)
    finally:
        for _, p in procs:
            p.send_signal(signal.SIGTERM)
        for name, p in procs:
            try:
                code = p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                code = "killed"
            if code != 0:
                failed.append(f"{name}: exit {code}\n{p.stderr.read()[-2000:]}")
        drop_databases(["registry", "education", "health", "housing", "water", "aggregator"], prefix)
    if failed:
        print("\n".join(failed))
        return 1
    print(f"k8s dev overlay: {len(procs)} processes started, probed and stopped gracefully"
          + (" (not checked: admin probes and metrics)" if a.direct or a.no_admin else "")
          + (" (not checked: Service names)" if a.direct or a.no_resolve_file else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
