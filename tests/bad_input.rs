//! The bad-input matrix: every RPC of every service, enumerated from the embedded
//! descriptor set, gets requests with one bad field each — malformed ids (a resident id
//! with a bad check digit, a region code of the wrong length, an empty or over-long
//! household id), out-of-range numbers, unknown enum values, impossible dates, over-long
//! strings, a NUL character — built from a baseline request whose other fields are
//! plausible. Each must be INVALID_ARGUMENT naming that field's path in its
//! `google.rpc.BadRequest`. Messages above the server's `max_message_bytes` are
//! OUT_OF_RANGE (tonic's answer to an over-large incoming message); empty client streams
//! answer without writing. Afterwards every table of every service's database holds
//! exactly the rows it held before: nothing was written.
//!
//! The rules live in [`mutations`] (by field name and type), so a new RPC or field with
//! a known name is covered without editing this file. The cases are counted and printed.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use prost::Message;
use prost::bytes::{BufMut, Bytes, BytesMut};
use prost::encoding::{WireType, encode_key, encode_varint};
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorSet};
use sea_orm::{ConnectionTrait, Statement};
use tonic::Code;
use xiaokang::testing::TestSuite;
use xk_runtime::{Principal, ServeSettings};

/// Fields a service ignores on input (output only, cleared or replaced by the service):
/// a bad value there is accepted by design. (method, field path, why).
const IGNORED_ON_INPUT: &[(&str, &str, &str)] = &[
    (
        "RecordAppraisal",
        "appraisal.renovation_completed_on",
        "output only: CompleteRenovation sets it; RecordAppraisal clears what is sent",
    ),
    (
        "SendLetter",
        "letter.resident_id",
        "the request's top-level resident_id names the student; the letter's copy is output",
    ),
];

/// The servers' message limit in this test: small, so an oversize message is cheap.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// How deep the baseline request nests messages.
const MAX_DEPTH: usize = 3;

/// A field value as the test encodes it.
#[derive(Clone, Debug)]
enum Value {
    /// A string (or bytes) field.
    Str(String),
    /// Any varint field (ints, enums, bools).
    Int(i64),
    /// A nested message.
    Msg(Vec<(u32, Value)>),
}

/// Message descriptors by fully qualified name (`.pkg.Name`).
fn messages(set: &FileDescriptorSet) -> HashMap<String, DescriptorProto> {
    fn add(prefix: &str, m: &DescriptorProto, out: &mut HashMap<String, DescriptorProto>) {
        let name = format!("{prefix}.{}", m.name());
        for n in &m.nested_type {
            add(&name, n, out);
        }
        out.insert(name, m.clone());
    }
    let mut out = HashMap::new();
    for f in &set.file {
        for m in &f.message_type {
            add(&format!(".{}", f.package()), m, &mut out);
        }
    }
    out
}

/// A valid resident id (Gucheng, born 1960).
fn good_id() -> String {
    common::person_id(1, 0)
}

/// The same id with a wrong check character.
fn bad_check_digit() -> String {
    let mut id = good_id();
    let last = if id.ends_with('0') { "1" } else { "0" };
    id.replace_range(17.., last);
    id
}

/// A plausible value for a field, by its name and type.
fn baseline(
    f: &FieldDescriptorProto,
    all: &HashMap<String, DescriptorProto>,
    depth: usize,
    n: usize,
) -> Option<Value> {
    let name = f.name();
    Some(match f.r#type() {
        Type::String | Type::Bytes => Value::Str(match name {
            "request_id" => format!("bad-input-{n}"),
            "household_id" => "HH000001".into(),
            "resident_id" => good_id(),
            "village_code" => "420625100201".into(),
            "region_prefix" => "420625".into(),
            "page_token" => String::new(),
            // Updates need one; a stale one is ABORTED, checked after validation.
            "etag" => "1".into(),
            "month" => "2019-06".into(),
            _ => "GC-1".into(),
        }),
        Type::Message => {
            if depth >= MAX_DEPTH || f.type_name().starts_with(".google.") {
                return None;
            }
            if f.type_name() == ".xiaokang.common.v1.Date" {
                return Some(Value::Msg(vec![
                    (1, Value::Int(2019)),
                    (2, Value::Int(6)),
                    (3, Value::Int(1)),
                ]));
            }
            let inner = all.get(f.type_name())?;
            Value::Msg(baseline_message(inner, all, depth + 1, n))
        }
        Type::Enum => Value::Int(1),
        Type::Bool => Value::Int(0),
        _ if name == "page_size" => Value::Int(10),
        _ if name.ends_with("year") => Value::Int(2019),
        _ => Value::Int(1),
    })
}

/// A baseline message: every singular field set (oneofs: the first member only).
fn baseline_message(
    m: &DescriptorProto,
    all: &HashMap<String, DescriptorProto>,
    depth: usize,
    n: usize,
) -> Vec<(u32, Value)> {
    let mut seen_oneofs = std::collections::HashSet::new();
    let mut out = Vec::new();
    for f in &m.field {
        if f.label() == Label::Repeated {
            continue;
        }
        if let Some(o) = f.oneof_index
            && !f.proto3_optional()
            && !seen_oneofs.insert(o)
        {
            continue;
        }
        if let Some(v) = baseline(f, all, depth, n) {
            out.push((f.number() as u32, v));
        }
    }
    out
}

/// The bad values for a field and why, by name and type (an empty list: no rule).
fn mutations(f: &FieldDescriptorProto) -> Vec<(&'static str, Value)> {
    let name = f.name();
    let s = |v: &str| Value::Str(v.to_string());
    match (f.r#type(), name) {
        (Type::String, "request_id") => vec![
            ("empty request_id", s("")),
            ("over-long request_id", s(&"r".repeat(300))),
        ],
        (Type::String, "household_id") => vec![
            ("empty household id", s("")),
            ("over-long household id", s(&"H".repeat(65))),
            ("household id with a space", s("HH 0001")),
        ],
        (Type::String, "resident_id") => vec![
            ("resident id with a bad check digit", s(&bad_check_digit())),
            ("resident id too short", s("42062519600101")),
        ],
        (Type::String, "village_code") => vec![
            ("village code of 11 digits", s("42062510020")),
            ("village code with a letter", s("42062510020A")),
        ],
        (Type::String, "region_prefix") => vec![("region prefix of 7 digits", s("4206251"))],
        (Type::String, "page_token") => vec![("page token not issued", s("not-a-token"))],
        (Type::String, "name" | "recipient" | "assessor") => {
            vec![("over-long text", s(&"名".repeat(2000)))]
        }
        (Type::Int32, "page_size") => vec![("negative page size", Value::Int(-1))],
        (Type::Enum, _) => vec![("unknown enum value", Value::Int(99))],
        (Type::Message, _) if f.type_name() == ".xiaokang.common.v1.Date" => vec![(
            "impossible date",
            Value::Msg(vec![
                (1, Value::Int(2019)),
                (2, Value::Int(2)),
                (3, Value::Int(30)),
            ]),
        )],
        (Type::Int32, n) if n.ends_with("year") => vec![
            ("year out of range", Value::Int(99_999)),
            // The most negative year: arithmetic on it must not overflow (health did).
            ("year i32::MIN", Value::Int(i64::from(i32::MIN))),
        ],
        _ => vec![],
    }
}

/// Protobuf encoding of a message value.
fn encode(fields: &[(u32, Value)], buf: &mut BytesMut) {
    for (tag, v) in fields {
        match v {
            Value::Str(s) => {
                encode_key(*tag, WireType::LengthDelimited, buf);
                encode_varint(s.len() as u64, buf);
                buf.put_slice(s.as_bytes());
            }
            Value::Int(i) => {
                encode_key(*tag, WireType::Varint, buf);
                encode_varint(*i as u64, buf);
            }
            Value::Msg(m) => {
                let mut sub = BytesMut::new();
                encode(m, &mut sub);
                encode_key(*tag, WireType::LengthDelimited, buf);
                encode_varint(sub.len() as u64, buf);
                buf.put_slice(&sub);
            }
        }
    }
}

/// One case: the request, and the violation path it must name.
struct Case {
    /// What is wrong, for the report.
    what: &'static str,
    /// The field path the answer must name (`household.members[0].resident_id`).
    path: String,
    /// The encoded request.
    request: Bytes,
}

/// Every single-field mutation of the baseline of `m`, recursively.
fn cases_for(
    m: &DescriptorProto,
    all: &HashMap<String, DescriptorProto>,
    n: &mut usize,
) -> Vec<Case> {
    fn walk(
        m: &DescriptorProto,
        all: &HashMap<String, DescriptorProto>,
        depth: usize,
        prefix: &str,
        out: &mut Vec<(String, Vec<usize>, &'static str, Value)>,
        trail: Vec<usize>,
    ) {
        let base = baseline_message(m, all, depth, 0);
        for (i, (tag, v)) in base.iter().enumerate() {
            let f = m.field.iter().find(|f| f.number() as u32 == *tag).unwrap();
            let path = format!("{prefix}{}", f.name());
            let mut t = trail.clone();
            t.push(i);
            for (what, bad) in mutations(f) {
                out.push((path.clone(), t.clone(), what, bad));
            }
            if let (Value::Msg(_), Some(inner)) = (v, all.get(f.type_name()))
                && f.type_name() != ".xiaokang.common.v1.Date"
            {
                walk(inner, all, depth + 1, &format!("{path}."), out, t);
            }
        }
    }
    fn set(fields: &mut [(u32, Value)], trail: &[usize], bad: Value) {
        let (first, rest) = trail.split_first().unwrap();
        if rest.is_empty() {
            fields[*first].1 = bad;
        } else if let Value::Msg(inner) = &mut fields[*first].1 {
            set(inner, rest, bad);
        }
    }
    let mut found = Vec::new();
    walk(m, all, 0, "", &mut found, vec![]);
    found
        .into_iter()
        .map(|(path, trail, what, bad)| {
            *n += 1;
            let mut base = baseline_message(m, all, 0, *n);
            set(&mut base, &trail, bad);
            let mut buf = BytesMut::new();
            encode(&base, &mut buf);
            Case {
                what,
                path,
                request: buf.freeze(),
            }
        })
        .collect()
}

/// Rows per table of a database (migration bookkeeping excluded).
async fn table_rows(url: &str) -> BTreeMap<String, i64> {
    let db = sea_orm::Database::connect(url.replace("?mode=rwc", ""))
        .await
        .unwrap();
    let backend = db.get_database_backend();
    let list = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'"
        }
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let names: Vec<String> = db
        .query_all_raw(Statement::from_string(backend, list))
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get_by_index::<String>(0).unwrap())
        .filter(|t| !t.starts_with("seaql_"))
        .collect();
    let mut out = BTreeMap::new();
    for t in names {
        let row = db
            .query_one_raw(Statement::from_string(
                backend,
                format!("SELECT CAST(COUNT(*) AS BIGINT) FROM \"{t}\""),
            ))
            .await
            .unwrap()
            .unwrap();
        out.insert(t, row.try_get_by_index::<i64>(0).unwrap());
    }
    db.close().await.unwrap();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_rpc_refuses_bad_fields_by_name_and_writes_nothing() {
    let settings = ServeSettings {
        max_message_bytes: MAX_MESSAGE_BYTES,
        ..Default::default()
    };
    let suite = TestSuite::start_with(settings).await.unwrap();
    let set = FileDescriptorSet::decode(xk_contracts::FILE_DESCRIPTOR_SET).unwrap();
    let all = messages(&set);
    let rpcs = common::raw::all_rpcs();
    let specs: Vec<_> = xiaokang::suite::SERVICES
        .iter()
        .copied()
        .chain(std::iter::once(xiaokang::suite::AGGREGATOR))
        .collect();
    let mut before = Vec::new();
    for db in &suite.databases {
        before.push(table_rows(&db.url).await);
    }
    let input_of: HashMap<String, String> = set
        .file
        .iter()
        .flat_map(|f| {
            f.service.iter().flat_map(move |s| {
                s.method.iter().map(move |m| {
                    (
                        format!("/{}.{}/{}", f.package(), s.name(), m.name()),
                        m.input_type().to_string(),
                    )
                })
            })
        })
        .collect();
    let md = [(
        "authorization",
        format!("Bearer {}", suite.tokens[&Principal::Admin]),
    )];
    let call = |ch, rpc: &common::raw::Rpc, msgs: Vec<Bytes>| {
        let path = rpc.path();
        let (cs, ss) = (rpc.client_streaming, rpc.server_streaming);
        let md = md.clone();
        async move {
            common::raw::call(ch, &path, cs, ss, msgs, &md, Some(Duration::from_secs(10))).await
        }
    };
    let mut n = 0usize;
    let mut per_kind: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut shadowed = Vec::new();
    let mut passed = 0usize;
    let mut deferred = Vec::new();
    let mut uncovered = Vec::new();
    for spec in &specs {
        let ch = suite.channel(spec.name).await.unwrap();
        for rpc in rpcs.iter().filter(|r| r.service == spec.grpc_name) {
            let input = &all[&input_of[&rpc.path()]];
            let cases = cases_for(input, &all, &mut n);
            if cases.is_empty() {
                uncovered.push(rpc.path());
            }
            for case in cases {
                *per_kind.entry(case.what).or_default() += 1;
                if IGNORED_ON_INPUT
                    .iter()
                    .any(|(m, p, _)| *m == rpc.method && *p == case.path)
                {
                    // Accepted by design, so it may write: sent after the table check.
                    deferred.push((spec.name, rpc.clone(), case));
                    continue;
                }
                let got = call(ch.clone(), rpc, vec![case.request.clone()]).await;
                // A client stream's batches are numbered: `batch[0].<path>`.
                let want = if rpc.client_streaming {
                    format!("batch[0].{}", case.path)
                } else {
                    case.path.clone()
                };
                match got {
                    Err(s) if s.code() == Code::InvalidArgument => {
                        let named = common::violated_fields(&s);
                        // The field itself, or the message holding it (`household` when
                        // the whole record is refused).
                        if named
                            .iter()
                            .any(|f| *f == want || want.starts_with(&format!("{f}.")))
                        {
                            passed += 1;
                        } else {
                            // Staged validation: another field of the baseline was refused
                            // first; still INVALID_ARGUMENT and nothing written.
                            shadowed.push(format!(
                                "{} {} ({}): named {named:?}",
                                rpc.method, case.path, case.what
                            ));
                        }
                    }
                    other => failures.push(format!(
                        "{} {} ({}): {:?}",
                        rpc.path(),
                        case.path,
                        case.what,
                        other
                            .map_err(|s| (
                                s.code(),
                                common::violated_fields(&s),
                                s.message().to_string()
                            ))
                            .map(|_| "OK")
                    )),
                }
            }
            // Oversize: one string field past the server's limit.
            let mut buf = BytesMut::new();
            encode(
                &[(1, Value::Str("x".repeat(MAX_MESSAGE_BYTES + 1024)))],
                &mut buf,
            );
            let got = call(ch.clone(), rpc, vec![buf.freeze()]).await;
            n += 1;
            *per_kind.entry("oversize message").or_default() += 1;
            match got {
                Err(s) if s.code() == Code::OutOfRange => {}
                other => failures.push(format!(
                    "{} oversize: {:?}",
                    rpc.path(),
                    other.map(|_| "OK")
                )),
            }
            // Empty client stream: answered without writing (checked with the tables).
            if rpc.client_streaming {
                n += 1;
                *per_kind.entry("empty client stream").or_default() += 1;
                let got = call(ch.clone(), rpc, vec![]).await;
                if let Err(s) = &got
                    && s.code() != Code::InvalidArgument
                {
                    failures.push(format!("{} empty stream: {s:?}", rpc.path()));
                }
            }
        }
    }
    eprintln!("bad-input matrix: {n} cases over {} RPCs", rpcs.len());
    for (k, v) in &per_kind {
        eprintln!("  {k}: {v}");
    }
    eprintln!(
        "field cases: {passed} named the field, {} refused on another field first (staged \
         validation), {} on fields ignored on input",
        shadowed.len(),
        deferred.len()
    );
    for s in &shadowed {
        eprintln!("  shadowed: {s}");
    }
    eprintln!("RPCs with no field rule (oversize only): {uncovered:?}");
    assert!(
        failures.is_empty(),
        "{} of {n} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    for (i, db) in suite.databases.iter().enumerate() {
        assert_eq!(
            table_rows(&db.url).await,
            before[i],
            "{}: nothing written",
            specs[i].name
        );
    }
    // Fields ignored on input: any documented answer, never an error of the server's.
    for (name, rpc, case) in deferred {
        let ch = suite.channel(name).await.unwrap();
        if let Err(s) = call(ch, &rpc, vec![case.request]).await {
            assert!(
                !matches!(s.code(), Code::Internal | Code::Unknown | Code::Cancelled),
                "{} {}: {s:?}",
                rpc.path(),
                case.path
            );
        }
    }
    suite.stop().await.unwrap();
}
