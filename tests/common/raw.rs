//! Raw gRPC calls by method path with undecoded message bytes, so a test can call every
//! RPC of a descriptor (auth matrix, conformance, oversize messages) without generated
//! clients. The RPCs themselves are enumerated from `xk_contracts::FILE_DESCRIPTOR_SET`.

use std::time::Duration;

use prost::Message;
use prost::bytes::{Buf, BufMut, Bytes};
use prost_types::{DescriptorProto, FileDescriptorSet};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;

/// A codec that passes message bytes through untouched.
#[derive(Clone, Copy, Default)]
pub struct RawCodec;

/// The encoding half of [`RawCodec`].
pub struct RawEncoder;

/// The decoding half of [`RawCodec`].
pub struct RawDecoder;

impl Encoder for RawEncoder {
    type Item = Bytes;
    type Error = tonic::Status;
    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawDecoder {
    type Item = Bytes;
    type Error = tonic::Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, tonic::Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

/// One RPC of a contract, as the descriptor describes it.
#[derive(Debug, Clone)]
pub struct Rpc {
    /// Fully qualified service name (`xiaokang.registry.v1.RegistryService`).
    pub service: String,
    /// Method name (`CreateHousehold`).
    pub method: String,
    /// The client sends a stream.
    pub client_streaming: bool,
    /// The server answers with a stream.
    pub server_streaming: bool,
    /// The request message's field names (e.g. whether it carries a `request_id`).
    pub request_fields: Vec<String>,
}

impl Rpc {
    /// `/service/method`.
    pub fn path(&self) -> String {
        format!("/{}/{}", self.service, self.method)
    }

    /// By the contract convention every mutating RPC takes a `request_id`.
    pub fn is_write(&self) -> bool {
        self.request_fields.iter().any(|f| f == "request_id")
    }
}

/// Every RPC of the contracts, from the descriptor set the build embeds.
pub fn all_rpcs() -> Vec<Rpc> {
    let set = FileDescriptorSet::decode(xk_contracts::FILE_DESCRIPTOR_SET).unwrap();
    let mut messages: std::collections::HashMap<String, &DescriptorProto> = Default::default();
    for f in &set.file {
        for m in &f.message_type {
            messages.insert(format!(".{}.{}", f.package(), m.name()), m);
        }
    }
    let mut out = Vec::new();
    for f in &set.file {
        for s in &f.service {
            for m in &s.method {
                let req = messages
                    .get(m.input_type())
                    .unwrap_or_else(|| panic!("no message {}", m.input_type()));
                out.push(Rpc {
                    service: format!("{}.{}", f.package(), s.name()),
                    method: m.name().to_string(),
                    client_streaming: m.client_streaming(),
                    server_streaming: m.server_streaming(),
                    request_fields: req.field.iter().map(|f| f.name().to_string()).collect(),
                });
            }
        }
    }
    out
}

/// Calls `path` with the given request messages (one for unary, any number for a client
/// stream) and metadata; the answer's status (a server stream's first item counts).
pub async fn call(
    ch: Channel,
    path: &str,
    client_streaming: bool,
    server_streaming: bool,
    messages: Vec<Bytes>,
    metadata: &[(&'static str, String)],
    timeout: Option<Duration>,
) -> Result<Vec<Bytes>, tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(ch);
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    let path = http::uri::PathAndQuery::try_from(path.to_string()).unwrap();
    let fill = |md: &mut tonic::metadata::MetadataMap| {
        for (k, v) in metadata {
            md.insert(*k, v.parse().unwrap());
        }
    };
    if client_streaming {
        let mut req = tonic::Request::new(tokio_stream::iter(messages));
        fill(req.metadata_mut());
        if let Some(t) = timeout {
            req.set_timeout(t);
        }
        if server_streaming {
            let s = grpc.streaming(req, path, RawCodec).await?;
            collect(s.into_inner()).await
        } else {
            Ok(vec![
                grpc.client_streaming(req, path, RawCodec)
                    .await?
                    .into_inner(),
            ])
        }
    } else {
        let msg = messages.into_iter().next().unwrap_or_default();
        let mut req = tonic::Request::new(msg);
        fill(req.metadata_mut());
        if let Some(t) = timeout {
            req.set_timeout(t);
        }
        if server_streaming {
            let s = grpc.server_streaming(req, path, RawCodec).await?;
            collect(s.into_inner()).await
        } else {
            Ok(vec![grpc.unary(req, path, RawCodec).await?.into_inner()])
        }
    }
}

/// Every message of a server stream, or its error.
async fn collect(mut s: tonic::Streaming<Bytes>) -> Result<Vec<Bytes>, tonic::Status> {
    let mut out = Vec::new();
    while let Some(m) = s.message().await? {
        out.push(m);
    }
    Ok(out)
}
