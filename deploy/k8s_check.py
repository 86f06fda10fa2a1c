"""Checks the Kubernetes manifests offline: no cluster needed.

1. `kubectl kustomize` (or `kustomize build`, whichever is installed; $KUSTOMIZE picks
   one) renders every overlay under deploy/k8s/overlays.
2. `kubernetes-validate --strict -k $K8S_VERSION` (PyPI) validates every built-in object
   against the Kubernetes API's OpenAPI schema, rejecting unknown fields. A deliberately
   misspelt copy must be rejected, so a validator that checks nothing cannot pass.
3. The custom resources (CloudNativePG `Cluster`, prometheus-operator `PodMonitor`) are
   checked against CUSTOM_SCHEMAS below: the fields these manifests use, written from the
   operators' documented APIs, unknown fields rejected.
4. The rules of docs/kubernetes.md, which no schema can express: restricted pods, probes
   on the admin port (gRPC port + 1000), each Secret holding exactly the tokens its
   service must verify, Services selecting their Deployment, policies and monitors
   selecting the pods they are meant for.

Usage: k8s_check.py            (needs kubectl or kustomize, and kubernetes-validate)
"""

import base64
import copy
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import jsonschema
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
K8S_VERSION = os.environ.get("K8S_VERSION", "1.32.0")

# name -> gRPC port (DESIGN.md); the admin port is gRPC + 1000 (CONTRACTS: admin listener).
SERVICES = {"registry": 50051, "education": 50052, "health": 50053, "housing": 50054,
            "water": 50055, "aggregator": 50050}
# The bureau owning each service (shared/runtime/src/auth.rs, Principal::name): a service
# verifies its owner's, the aggregator's and admin's tokens, and no other.
OWNER_TOKEN = {"registry": "XK_TOKEN_POVERTY_OFFICE", "education": "XK_TOKEN_EDUCATION",
               "health": "XK_TOKEN_MEDICAL_SECURITY", "housing": "XK_TOKEN_RELOCATION",
               "water": "XK_TOKEN_WATER_RESOURCES"}
CUSTOM_GROUPS = ("postgresql.cnpg.io/", "monitoring.coreos.com/")

_QUANTITY = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$"}
_RESOURCES = {"type": "object", "additionalProperties": False, "properties": {
    "requests": {"type": "object", "additionalProperties": _QUANTITY},
    "limits": {"type": "object", "additionalProperties": _QUANTITY}}}
_META = {"type": "object", "required": ["name", "namespace"], "properties": {
    "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
    "namespace": {"type": "string"}, "labels": {"type": "object"}}}
_LABELS = {"type": "object", "additionalProperties": {"type": "string"}}

# The subset of postgresql.cnpg.io/v1 Cluster and monitoring.coreos.com/v1 PodMonitor that
# these manifests use, as their API references document them; anything else is refused so
# a misspelt field fails here instead of being pruned silently by the API server.
CUSTOM_SCHEMAS = {
    ("postgresql.cnpg.io/v1", "Cluster"): {
        "type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {"metadata": _META, "spec": {
            "type": "object", "additionalProperties": False,
            "required": ["instances", "storage", "bootstrap"],
            "properties": {
                "instances": {"type": "integer", "minimum": 1},
                "imageName": {"type": "string"},
                "primaryUpdateStrategy": {"enum": ["unsupervised", "supervised"]},
                "storage": {"type": "object", "additionalProperties": False, "required": ["size"],
                            "properties": {"size": _QUANTITY, "storageClass": {"type": "string"}}},
                "bootstrap": {"type": "object", "additionalProperties": False, "properties": {
                    "initdb": {"type": "object", "additionalProperties": False,
                               "required": ["database", "owner"], "properties": {
                                   "database": {"type": "string"}, "owner": {"type": "string"},
                                   "secret": {"type": "object", "required": ["name"]}}}}},
                "inheritedMetadata": {"type": "object", "additionalProperties": False, "properties": {
                    "labels": _LABELS, "annotations": _LABELS}},
                "resources": _RESOURCES,
                "affinity": {"type": "object", "additionalProperties": False, "properties": {
                    "enablePodAntiAffinity": {"type": "boolean"},
                    "topologyKey": {"type": "string"}}},
            }}}},
    ("monitoring.coreos.com/v1", "PodMonitor"): {
        "type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {"metadata": _META, "spec": {
            "type": "object", "additionalProperties": False,
            "required": ["selector", "podMetricsEndpoints"],
            "properties": {
                "selector": {"type": "object", "additionalProperties": False,
                             "properties": {"matchLabels": _LABELS}},
                "namespaceSelector": {"type": "object"},
                "podMetricsEndpoints": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "additionalProperties": False, "required": ["port"],
                    "properties": {
                        "port": {"type": "string"}, "path": {"type": "string"},
                        "interval": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
                        "scrapeTimeout": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
                        "scheme": {"enum": ["http", "https"]}}}},
            }}}},
}


def render(overlay: str) -> list:
    """The overlay's objects, as `kubectl apply -k` would send them."""
    tool = os.environ.get("KUSTOMIZE") or ("kubectl" if shutil.which("kubectl") else "kustomize")
    cmd = [tool, "kustomize"] if pathlib.Path(tool).name == "kubectl" else [tool, "build"]
    out = subprocess.run(cmd + [str(K8S / "overlays" / overlay)], check=True,
                         capture_output=True, text=True)
    return [d for d in yaml.safe_load_all(out.stdout) if d]


def by_kind(objs: list, kind: str) -> dict:
    return {o["metadata"]["name"]: o for o in objs if o["kind"] == kind}


def secret_data(secret: dict) -> dict:
    data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    data.update(secret.get("stringData") or {})
    return data


def kubernetes_validate(objs: list, label: str) -> int:
    """Runs kubernetes-validate on every built-in object; returns how many passed."""
    builtin = [o for o in objs if not o["apiVersion"].startswith(CUSTOM_GROUPS)]
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, o in enumerate(builtin):
            f = pathlib.Path(tmp) / f"{i:03}-{o['kind']}-{o['metadata']['name']}.yaml"
            f.write_text(yaml.safe_dump(o))
            files.append(str(f))
        r = subprocess.run(["kubernetes-validate", "--strict", "-k", K8S_VERSION, "--quiet"] + files,
                           capture_output=True, text=True)
        assert r.returncode == 0, f"{label}: kubernetes-validate:\n{r.stdout}{r.stderr}"
        # The validator must be live: one misspelt field in a copy is an error.
        broken = copy.deepcopy(builtin[0])
        broken["metadata"]["labelz"] = {"typo": "yes"}
        bad = pathlib.Path(tmp) / "broken.yaml"
        bad.write_text(yaml.safe_dump(broken))
        r = subprocess.run(["kubernetes-validate", "--strict", "-k", K8S_VERSION, "--quiet", str(bad)],
                           capture_output=True, text=True)
        assert r.returncode != 0 and "labelz" in r.stdout + r.stderr, \
            f"kubernetes-validate accepted an unknown field: {r.stdout}{r.stderr}"
    return len(builtin)


def validate_custom(objs: list, label: str) -> int:
    custom = [o for o in objs if o["apiVersion"].startswith(CUSTOM_GROUPS)]
    for o in custom:
        schema = CUSTOM_SCHEMAS.get((o["apiVersion"], o["kind"]))
        assert schema, f"{label}: no schema for {o['apiVersion']} {o['kind']}"
        jsonschema.validate(o, schema)
    for (api, kind), schema in CUSTOM_SCHEMAS.items():
        sample = next((o for o in custom if o["kind"] == kind), None)
        if sample:
            broken = copy.deepcopy(sample)
            broken["spec"]["instancez" if kind == "Cluster" else "selectorz"] = 1
            try:
                jsonschema.validate(broken, schema)
                raise AssertionError(f"the {kind} schema accepted an unknown field")
            except jsonschema.ValidationError:
                pass
    return len(custom)


def restricted(pod_spec: dict, where: str) -> None:
    psc = pod_spec.get("securityContext", {})
    assert psc.get("runAsNonRoot") is True, f"{where}: pod runAsNonRoot"
    assert psc.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{where}: seccomp"
    assert pod_spec.get("automountServiceAccountToken") is False, f"{where}: service account token mounted"
    for c in pod_spec["containers"] + pod_spec.get("initContainers", []):
        sc = c.get("securityContext", {})
        assert sc.get("allowPrivilegeEscalation") is False, f"{where}/{c['name']}: privilege escalation"
        assert sc.get("readOnlyRootFilesystem") is True, f"{where}/{c['name']}: writable root"
        assert sc.get("capabilities", {}).get("drop") == ["ALL"], f"{where}/{c['name']}: capabilities"
        res = c.get("resources", {})
        assert res.get("requests", {}).get("memory") and res.get("limits", {}).get("memory"), \
            f"{where}/{c['name']}: memory request and limit"


def labels_match(selector: dict, labels: dict) -> bool:
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        if e["operator"] == "Exists" and e["key"] not in labels:
            return False
        if e["operator"] == "In" and labels.get(e["key"]) not in e["values"]:
            return False
    return True


def check_services(objs: list, label: str) -> None:
    deps, jobs = by_kind(objs, "Deployment"), by_kind(objs, "Job")
    cms, svcs, sas = by_kind(objs, "ConfigMap"), by_kind(objs, "Service"), by_kind(objs, "ServiceAccount")
    secrets = by_kind(objs, "Secret")
    for name, port in SERVICES.items():
        where = f"{label}/{name}"
        dep = deps[name]
        pod = dep["spec"]["template"]
        spec = pod["spec"]
        restricted(spec, where)
        (c,) = spec["containers"]
        assert c["image"] == "xiaokang:latest" and c["args"] == ["serve", name], f"{where}: command"
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        assert ports == {"grpc": port, "admin": port + 1000}, f"{where}: ports {ports}"
        for probe, path in [("startupProbe", "/livez"), ("livenessProbe", "/livez"), ("readinessProbe", "/readyz")]:
            get = c[probe]["httpGet"]
            assert get["path"] == path and ports.get(get["port"], get["port"]) == port + 1000, \
                f"{where}: {probe} {get}"
        cm = cms[f"{name}-config"]["data"]
        # The pod is killed terminationGracePeriodSeconds after it starts terminating: the
        # preStop pause and the service's own shutdown grace must both fit.
        pause = int(c["lifecycle"]["preStop"]["exec"]["command"][-1])
        grace = int(cm.get("XK_SHUTDOWN_GRACE_MS", "10000")) / 1000
        assert spec["terminationGracePeriodSeconds"] > pause + grace, f"{where}: termination grace"
        assert cm["XK_LISTEN"] == f"0.0.0.0:{port}", f"{where}: XK_LISTEN"
        assert cm["XK_ADMIN_LISTEN"] == f"0.0.0.0:{port + 1000}", f"{where}: XK_ADMIN_LISTEN"
        assert cm["XK_MIGRATE"] == "false", f"{where}: replicas must not migrate"
        refs = {(next(iter(e)), e[next(iter(e))]["name"]) for e in c["envFrom"]}
        assert refs == {("configMapRef", f"{name}-config"), ("secretRef", f"{name}-secrets")}, f"{where}: {refs}"
        assert spec["serviceAccountName"] == name and sas[name]["automountServiceAccountToken"] is False
        # A ClusterIP Service for clients and a headless one for the aggregator's balancing.
        for svc_name, headless in [(name, False), (f"{name}-headless", True)]:
            s = svcs[svc_name]["spec"]
            assert (s.get("clusterIP") == "None") == headless, f"{where}: {svc_name} clusterIP"
            assert labels_match({"matchLabels": s["selector"]}, pod["metadata"]["labels"]), \
                f"{where}: {svc_name} does not select the pods"
            assert s["ports"][0]["port"] == port and s["ports"][0]["targetPort"] == "grpc"
        job = jobs[f"{name}-migrate"]
        restricted(job["spec"]["template"]["spec"], f"{where}-migrate")
        (jc,) = job["spec"]["template"]["spec"]["containers"]
        assert jc["args"] == ["migrate", name], f"{where}: migration Job command"
        if name == "aggregator":
            for up, up_port in SERVICES.items():
                if up != "aggregator":
                    assert cm[f"XK_{up.upper()}_URL"] == f"http://{up}-headless:{up_port}", \
                        f"{where}: the aggregator must reach {up} through its headless Service"
        if secrets:  # dev keeps its (development) Secrets in the overlay; prod does not
            keys = set(secret_data(secrets[f"{name}-secrets"]))
            want = {"XK_DATABASE_URL", "XK_TOKEN_AGGREGATOR", "XK_TOKEN_ADMIN"}
            if name in OWNER_TOKEN:
                want.add(OWNER_TOKEN[name])
            assert keys == want, f"{where}: Secret keys {sorted(keys)}, want {sorted(want)}"
    if "Ingress" in {o["kind"] for o in objs}:
        (ing,) = by_kind(objs, "Ingress").values()
        assert ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/backend-protocol"] == "GRPC"
        tls_hosts = {h for t in ing["spec"]["tls"] for h in t["hosts"]}
        backends = {r["host"]: r["http"]["paths"][0]["backend"]["service"]["name"] for r in ing["spec"]["rules"]}
        assert sorted(backends.values()) == sorted(SERVICES), f"{label}: Ingress backends {backends}"
        assert set(backends) <= tls_hosts, f"{label}: every Ingress host is served over TLS"


def database_pod_labels(objs: list) -> list:
    """Labels of the pods that serve databases: the dev StatefulSet's, or what the
    CloudNativePG operator puts on a Cluster's instances (spec.inheritedMetadata)."""
    out = [s["spec"]["template"]["metadata"]["labels"] for s in by_kind(objs, "StatefulSet").values()]
    out += [c["spec"].get("inheritedMetadata", {}).get("labels", {}) for c in by_kind(objs, "Cluster").values()]
    return out


def check_policies(objs: list, label: str) -> None:
    pols = by_kind(objs, "NetworkPolicy")
    deps = by_kind(objs, "Deployment")
    deny = pols["default-deny"]["spec"]
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"} and "ingress" not in deny and "egress" not in deny
    for name, sts in by_kind(objs, "StatefulSet").items():
        restricted(sts["spec"]["template"]["spec"], f"{label}/{name}")
    db_pods = database_pod_labels(objs)
    for name in SERVICES:
        labels = deps[name]["spec"]["template"]["metadata"]["labels"]
        assert labels_match(deny["podSelector"], labels), f"{label}/{name}: not under default deny"
        ing = pols[name]["spec"]
        assert labels_match(ing["podSelector"], labels)
        from_aggregator = any("podSelector" in f and f["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "aggregator"
                              for rule in ing["ingress"] for f in rule["from"])
        assert from_aggregator == (name != "aggregator"), f"{label}/{name}: aggregator ingress"
        egress = pols[f"{name}-database"]["spec"]
        assert labels_match(egress["podSelector"], labels), f"{label}/{name}: database egress"
        job_labels = by_kind(objs, "Job")[f"{name}-migrate"]["spec"]["template"]["metadata"]["labels"]
        assert labels_match(egress["podSelector"], job_labels), f"{label}/{name}-migrate: database egress"
        to = egress["egress"][0]["to"][0]["podSelector"]
        serving = [d for d in db_pods if labels_match(to, d)]
        assert len(serving) == 1, f"{label}/{name}: {len(serving)} database servers match its egress policy"
        others = [o for o in SERVICES if o != name]
        assert not any(labels_match(to, {f"xiaokang.io/serves-database-{o}": "true"}) for o in others)


def check_prod(objs: list) -> None:
    deps = by_kind(objs, "Deployment")
    hpas, pdbs = by_kind(objs, "HorizontalPodAutoscaler"), by_kind(objs, "PodDisruptionBudget")
    clusters = by_kind(objs, "Cluster")
    (mon,) = by_kind(objs, "PodMonitor").values()
    for name in SERVICES:
        dep = deps[name]
        assert dep["spec"]["replicas"] >= 2, f"prod/{name}: replicas"
        assert hpas[name]["spec"]["scaleTargetRef"]["name"] == name
        assert hpas[name]["spec"]["minReplicas"] <= dep["spec"]["replicas"]
        labels = dep["spec"]["template"]["metadata"]["labels"]
        assert labels_match(pdbs[name]["spec"]["selector"], labels), f"prod/{name}: PDB selector"
        assert labels_match(mon["spec"]["selector"], labels), f"prod/{name}: PodMonitor selector"
        assert clusters[f"{name}-db"]["spec"]["bootstrap"]["initdb"] == {"database": name, "owner": name}
        for kind, obj in [("Deployment", dep), ("Job", by_kind(objs, "Job")[f"{name}-migrate"])]:
            env = {e["name"]: e for e in obj["spec"]["template"]["spec"]["containers"][0].get("env", [])}
            ref = env["XK_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
            assert ref == {"name": f"{name}-db-app", "key": "uri"}, f"prod/{name}: {kind} database URL {ref}"
    assert mon["spec"]["podMetricsEndpoints"][0]["port"] == "admin"


def _find(objs: list, kind: str, name: str) -> dict:
    return next(o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name)


def _container(objs: list, kind: str, name: str) -> dict:
    return _find(objs, kind, name)["spec"]["template"]["spec"]["containers"][0]


# Each rule above, broken once in a copy of the rendered objects: the checks must refuse
# every one, so a check that passes everything cannot pass here.
MUTATIONS = [
    ("a container may escalate privileges", "dev", lambda o: _container(o, "Deployment", "water")
     ["securityContext"].update(allowPrivilegeEscalation=True)),
    ("the migration Job keeps capabilities", "dev", lambda o: _container(o, "Job", "health-migrate")
     ["securityContext"]["capabilities"].update(drop=[])),
    ("the dev PostgreSQL writes its root filesystem", "dev", lambda o: _container(o, "StatefulSet", "postgres")
     ["securityContext"].update(readOnlyRootFilesystem=False)),
    ("readiness on the gRPC port", "dev", lambda o: _container(o, "Deployment", "housing")
     ["readinessProbe"]["httpGet"].update(port="grpc")),
    ("liveness on /readyz", "dev", lambda o: _container(o, "Deployment", "registry")
     ["livenessProbe"]["httpGet"].update(path="/readyz")),
    ("the admin listener off gRPC + 1000", "dev", lambda o: _find(o, "ConfigMap", "education-config")
     ["data"].update(XK_ADMIN_LISTEN="0.0.0.0:9000")),
    ("replicas that migrate", "dev", lambda o: _find(o, "ConfigMap", "water-config")["data"].update(XK_MIGRATE="true")),
    ("another bureau's token in a Secret", "dev", lambda o: _find(o, "Secret", "registry-secrets")
     .setdefault("stringData", {}).update(XK_TOKEN_WATER_RESOURCES="x" * 20)),
    ("a headless Service with a cluster IP", "dev", lambda o: _find(o, "Service", "health-headless")
     ["spec"].pop("clusterIP")),
    ("a Service selecting no pod", "dev", lambda o: _find(o, "Service", "housing")
     ["spec"]["selector"].update({"app.kubernetes.io/name": "hosuing"})),
    ("the aggregator through a ClusterIP", "dev", lambda o: _find(o, "ConfigMap", "aggregator-config")
     ["data"].update(XK_WATER_URL="http://water:50055")),
    ("the aggregator may call the aggregator", "dev", lambda o: _find(o, "NetworkPolicy", "aggregator")
     ["spec"]["ingress"].append({"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "aggregator"}}}]})),
    ("a database egress to every server", "dev", lambda o: _find(o, "NetworkPolicy", "education-database")
     ["spec"]["egress"][0]["to"][0].update(podSelector={})),
    ("a CNPG Cluster missing its label", "prod", lambda o: _find(o, "Cluster", "water-db")
     ["spec"]["inheritedMetadata"]["labels"].clear()),
    ("the Job with the service Secret's URL in prod", "prod", lambda o: _container(o, "Job", "registry-migrate")
     ["env"][0]["valueFrom"]["secretKeyRef"].update(name="registry-secrets", key="XK_DATABASE_URL")),
    ("a PDB for the wrong pods", "prod", lambda o: _find(o, "PodDisruptionBudget", "health")
     ["spec"]["selector"]["matchLabels"].update({"app.kubernetes.io/name": "water"})),
    ("a grace period shorter than the shutdown", "dev", lambda o: _find(o, "Deployment", "education")
     ["spec"]["template"]["spec"].update(terminationGracePeriodSeconds=10)),
    ("one replica in prod", "prod", lambda o: _find(o, "Deployment", "aggregator")["spec"].update(replicas=1)),
]


def check_overlay(overlay: str, objs: list) -> None:
    check_services(objs, overlay)
    check_policies(objs, overlay)
    if overlay == "prod":
        check_prod(objs)


def self_test(rendered: dict) -> int:
    for what, overlay, mutate in MUTATIONS:
        objs = copy.deepcopy(rendered[overlay])
        mutate(objs)
        try:
            check_overlay(overlay, objs)
        except AssertionError:
            continue
        raise AssertionError(f"the checks accepted {what}")
    return len(MUTATIONS)


def main() -> int:
    overlays = sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir())
    assert {"dev", "prod"} <= set(overlays), overlays
    rendered = {}
    for overlay in overlays:
        objs = render(overlay)
        rendered[overlay] = objs
        builtin = kubernetes_validate(objs, overlay)
        custom = validate_custom(objs, overlay)
        check_overlay(overlay, objs)
        print(f"{overlay}: {len(objs)} objects rendered; {builtin} valid for Kubernetes {K8S_VERSION} "
              f"(strict), {custom} custom resources valid; restricted pods, probes, Secrets, "
              f"Services and policies as documented")
    print(f"self-test: {self_test(rendered)} broken copies of the manifests, every one refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
