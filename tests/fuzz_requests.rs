//! Fuzzing every service's request validation end to end: for each RPC in the embedded
//! descriptor set, random but well-formed protobuf requests are built from the request
//! message's descriptor (each field present or not, strings from a pool of near-valid and
//! hostile values — ids with a bad check digit, wrong-length region codes, over-long text,
//! astral-plane characters — integers at their edges, unknown enum values, nested
//! messages, repeated fields) and sent as admin. Whatever the answer, it must be a
//! documented one: never INTERNAL, UNKNOWN, DATA_LOSS, UNAVAILABLE, CANCELLED or
//! DEADLINE_EXCEEDED (a panic in a handler reaches the client as CANCELLED; the others are
//! unmapped errors), and every service is still SERVING afterwards.
//!
//! `XK_FUZZ_REQUESTS` sets the number of requests (default 3,000); the seed is
//! `XK_FUZZ_SEED` or the clock, printed first.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use prost::Message;
use prost::bytes::{BufMut, Bytes, BytesMut};
use prost::encoding::{WireType, encode_key, encode_varint};
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FileDescriptorSet};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tonic::Code;
use xiaokang::testing::TestSuite;
use xk_runtime::Principal;

/// How deep nested messages go (the contracts nest at most a few levels).
const MAX_DEPTH: usize = 4;

/// Message descriptors by fully qualified name (`.pkg.Name`, nested ones too).
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

/// A string from the pool of near-valid and hostile values.
fn string(rng: &mut StdRng) -> String {
    let good_id = common::person_id(rng.random_range(0..500), rng.random_range(0..5));
    let mut bad_id = good_id.clone();
    let last = if bad_id.ends_with('0') { "1" } else { "0" };
    bad_id.replace_range(17.., last);
    let pool: Vec<String> = vec![
        String::new(),
        good_id,
        bad_id,
        "420625".into(),
        "420625100".into(),
        "420625100201".into(),
        "42062510020".into(),
        "420625100201X".into(),
        "420625999999".into(),
        format!("HH{:06}", rng.random_range(0..20)),
        "HH000001".into(),
        " HH000001".into(),
        "H".repeat(65),
        "盛𡐓".into(),
        "张三".into(),
        "x".repeat(rng.random_range(100..3000)),
        "GC-CG-001".into(),
        "\u{0}\u{7f}\u{202e}".into(),
        "2019".into(),
        "-1".into(),
    ];
    if rng.random_bool(0.15) {
        let n = rng.random_range(0..24);
        return (0..n).map(|_| rng.random::<char>()).collect();
    }
    pool[rng.random_range(0..pool.len())].clone()
}

/// An integer at an edge or in a plausible range.
fn integer(rng: &mut StdRng) -> i64 {
    let pool = [
        0,
        1,
        -1,
        2,
        3,
        7,
        12,
        13,
        29,
        31,
        32,
        100,
        999,
        2014,
        2019,
        2020,
        2026,
        1849,
        10_000,
        i64::from(i32::MAX),
        i64::from(i32::MIN),
        i64::MAX,
        i64::MIN,
    ];
    if rng.random_bool(0.2) {
        rng.random_range(-1_000_000..10_000_000)
    } else {
        pool[rng.random_range(0..pool.len())]
    }
}

/// Encodes a random instance of `msg` into `buf`.
fn random_message(
    msg: &DescriptorProto,
    all: &HashMap<String, DescriptorProto>,
    depth: usize,
    rng: &mut StdRng,
    buf: &mut BytesMut,
) {
    for f in &msg.field {
        let tag = f.number() as u32;
        let repeated = f.label() == Label::Repeated;
        let count = if repeated {
            rng.random_range(0..4)
        } else if rng.random_bool(0.8) {
            1
        } else {
            0
        };
        for _ in 0..count {
            match f.r#type() {
                Type::String | Type::Bytes => {
                    let s = string(rng);
                    encode_key(tag, WireType::LengthDelimited, buf);
                    encode_varint(s.len() as u64, buf);
                    buf.put_slice(s.as_bytes());
                }
                Type::Message => {
                    if depth >= MAX_DEPTH {
                        continue;
                    }
                    let Some(inner) = all.get(f.type_name()) else {
                        continue;
                    };
                    let mut sub = BytesMut::new();
                    random_message(inner, all, depth + 1, rng, &mut sub);
                    encode_key(tag, WireType::LengthDelimited, buf);
                    encode_varint(sub.len() as u64, buf);
                    buf.put_slice(&sub);
                }
                Type::Bool => {
                    encode_key(tag, WireType::Varint, buf);
                    encode_varint(rng.random_range(0..2), buf);
                }
                Type::Enum => {
                    // Mostly declared values, sometimes unknown ones.
                    let v: i64 = if rng.random_bool(0.8) {
                        rng.random_range(0..8)
                    } else {
                        [99, -1, 1 << 20][rng.random_range(0..3)]
                    };
                    encode_key(tag, WireType::Varint, buf);
                    encode_varint(v as u64, buf);
                }
                Type::Int32 | Type::Int64 | Type::Uint32 | Type::Uint64 => {
                    let mut v = integer(rng);
                    if matches!(f.r#type(), Type::Int32 | Type::Uint32) {
                        v = i64::from(v as i32);
                    }
                    encode_key(tag, WireType::Varint, buf);
                    encode_varint(v as u64, buf);
                }
                Type::Sint32 | Type::Sint64 => {
                    let v = integer(rng);
                    encode_key(tag, WireType::Varint, buf);
                    encode_varint(((v << 1) ^ (v >> 63)) as u64, buf);
                }
                Type::Double | Type::Fixed64 | Type::Sfixed64 => {
                    encode_key(tag, WireType::SixtyFourBit, buf);
                    buf.put_i64_le(integer(rng));
                }
                Type::Float | Type::Fixed32 | Type::Sfixed32 => {
                    encode_key(tag, WireType::ThirtyTwoBit, buf);
                    buf.put_i32_le(integer(rng) as i32);
                }
                Type::Group => {}
            }
        }
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_requests_to_every_rpc_get_documented_answers() {
    let seed: u64 = env_or(
        "XK_FUZZ_SEED",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    );
    let total: usize = env_or("XK_FUZZ_REQUESTS", 3000);
    eprintln!("request fuzz seed {seed} (replay with XK_FUZZ_SEED={seed})");
    let mut rng = StdRng::seed_from_u64(seed);
    let set = FileDescriptorSet::decode(xk_contracts::FILE_DESCRIPTOR_SET).unwrap();
    let all = messages(&set);
    let rpcs = common::raw::all_rpcs();
    let suite = TestSuite::start().await.unwrap();
    let specs: Vec<_> = xiaokang::suite::SERVICES
        .iter()
        .copied()
        .chain(std::iter::once(xiaokang::suite::AGGREGATOR))
        .collect();
    let mut channels = HashMap::new();
    for s in &specs {
        channels.insert(s.grpc_name, suite.channel(s.name).await.unwrap());
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
    let mut codes: HashMap<Code, usize> = HashMap::new();
    let mut failures = Vec::new();
    for i in 0..total {
        let rpc = &rpcs[i % rpcs.len()];
        let Some(ch) = channels.get(rpc.service.as_str()) else {
            continue;
        };
        let input = &all[&input_of[&rpc.path()]];
        let n = if rpc.client_streaming {
            rng.random_range(0..3)
        } else {
            1
        };
        let msgs: Vec<Bytes> = (0..n)
            .map(|_| {
                let mut buf = BytesMut::new();
                random_message(input, &all, 0, &mut rng, &mut buf);
                buf.freeze()
            })
            .collect();
        let got = common::raw::call(
            ch.clone(),
            &rpc.path(),
            rpc.client_streaming,
            rpc.server_streaming,
            msgs.clone(),
            &md,
            Some(Duration::from_secs(10)),
        )
        .await;
        let code = got.as_ref().err().map(|s| s.code()).unwrap_or(Code::Ok);
        *codes.entry(code).or_default() += 1;
        if matches!(
            code,
            Code::Internal
                | Code::Unknown
                | Code::DataLoss
                | Code::Unavailable
                | Code::DeadlineExceeded
                | Code::Cancelled
        ) {
            failures.push(format!(
                "{} -> {:?}\n  request(s): {:?}",
                rpc.path(),
                got.err(),
                msgs.iter().map(|m| format!("{m:02x?}")).collect::<Vec<_>>()
            ));
        }
    }
    let mut summary: Vec<_> = codes.iter().map(|(c, n)| format!("{c:?}: {n}")).collect();
    summary.sort();
    eprintln!(
        "request fuzz: {total} requests over {} RPCs: {}",
        rpcs.len(),
        summary.join(", ")
    );
    for s in &specs {
        xk_runtime::server::wait_until_serving(
            &suite.url(s.name),
            s.grpc_name,
            Duration::from_secs(5),
        )
        .await
        .unwrap_or_else(|e| panic!("{} not serving after the fuzz: {e:#}", s.name));
    }
    assert!(
        failures.is_empty(),
        "seed {seed}: {} undocumented answers:\n{}",
        failures.len(),
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    suite.stop().await.unwrap();
}
