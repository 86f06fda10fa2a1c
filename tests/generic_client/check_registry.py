"""Talks to a running registry the way an outside bureau system would on day one: with no
.proto files and no code from this repository. It discovers the service by server
reflection, checks its health, then creates, reads, lists and summarises households,
asserting the answers. Exit status 0 means every check held.

Usage: check_registry.py HOST:PORT TOKEN
"""

import datetime
import sys
import uuid

import grpc
from google.protobuf import descriptor_pool, message_factory
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

SERVICE = "xiaokang.registry.v1.RegistryService"


def resident_id(address6: str, birth: datetime.date, seq: int) -> str:
    """A valid GB 11643-1999 resident id (the check character computed here)."""
    body = f"{address6}{birth:%Y%m%d}{seq:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(body, weights))
    return body + "10X98765432"[total % 11]


def main() -> int:
    addr, token = sys.argv[1], sys.argv[2]
    channel = grpc.insecure_channel(addr)

    health = health_pb2_grpc.HealthStub(channel)
    status = health.Check(health_pb2.HealthCheckRequest(service=SERVICE)).status
    assert status == health_pb2.HealthCheckResponse.SERVING, f"health: {status}"

    db = ProtoReflectionDescriptorDatabase(channel)
    services = db.get_services()
    assert SERVICE in services, f"reflection lists {services}"
    pool = descriptor_pool.DescriptorPool(db)
    service = pool.FindServiceByName(SERVICE)
    methods = {m.name: m for m in service.methods}
    for name in ["CreateHousehold", "GetHousehold", "ListHouseholds", "SummarizeByRegion"]:
        assert name in methods, f"{name} missing from {sorted(methods)}"

    auth = [("authorization", f"Bearer {token}")]

    def call(name, **fields):
        m = methods[name]
        req_cls = message_factory.GetMessageClass(m.input_type)
        resp_cls = message_factory.GetMessageClass(m.output_type)
        stub = channel.unary_unary(
            f"/{SERVICE}/{name}",
            request_serializer=req_cls.SerializeToString,
            response_deserializer=resp_cls.FromString,
        )
        return stub(req_cls(**fields), metadata=auth, timeout=10)

    household_cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("xiaokang.registry.v1.Household"))
    member_cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("xiaokang.registry.v1.Member"))
    enum = lambda t, v: pool.FindEnumTypeByName(f"xiaokang.registry.v1.{t}").values_by_name[v].number

    hid = "PY" + uuid.uuid4().hex[:12].upper()
    head = resident_id("420625", datetime.date(1975, 3, 14), 211)
    spouse = resident_id("420625", datetime.date(1977, 8, 2), 222)
    members = [
        member_cls(resident_id=head, name="王建国", relation=enum("Relation", "RELATION_HEAD"),
                   health=enum("HealthCondition", "HEALTH_CONDITION_HEALTHY"),
                   labour=enum("LabourCapacity", "LABOUR_CAPACITY_FULL")),
        member_cls(resident_id=spouse, name="李秀英", relation=enum("Relation", "RELATION_SPOUSE"),
                   health=enum("HealthCondition", "HEALTH_CONDITION_CHRONIC_ILLNESS"),
                   labour=enum("LabourCapacity", "LABOUR_CAPACITY_WEAK")),
    ]
    household = household_cls(
        household_id=hid, village_code="420625102201", members=members,
        causes=[enum("PovertyCause", "POVERTY_CAUSE_ILLNESS")],
        status=enum("ArchiveStatus", "ARCHIVE_STATUS_POOR"), identified_year=2014,
    )
    created = call("CreateHousehold", request_id=f"py-{hid}", household=household).household
    assert created.household_id == hid and created.etag == "1", created

    got = call("GetHousehold", household_id=hid).household
    assert [m.name for m in got.members] == ["王建国", "李秀英"], got.members
    assert got.members[0].resident_id == head

    listed = call("ListHouseholds", region_prefix="420625102", page_size=1000).households
    assert hid in [h.household_id for h in listed], "created household listed"

    summary = call("SummarizeByRegion", region_prefix="420625102201")
    assert summary.total.poor_households >= 1 and summary.total.poor_people >= 2, summary

    try:
        bad = household_cls(household_id=hid + "X", village_code="4206251022", members=members,
                            status=enum("ArchiveStatus", "ARCHIVE_STATUS_POOR"), identified_year=2014)
        call("CreateHousehold", request_id=f"py-bad-{hid}", household=bad)
        raise AssertionError("a malformed village code was accepted")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
        assert "household.village_code" in e.details(), e.details()

    print(f"generic client OK: health SERVING, contract discovered by reflection, household {hid} created, read, listed, summarised; bad input refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())
