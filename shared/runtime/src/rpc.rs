//! The service shell every crate used to write out by hand: the tonic trait impl that
//! hands each RPC to its handler ([`rpc_service!`]), the generated server with the
//! settings' message-size limits ([`sized_routes!`]), and the test that a service's
//! [`crate::ServiceSpec`] names the generated service ([`spec_names_the_generated_service!`]).
//!
//! Macros, not functions: the generated tonic traits are `async_trait`s (so the impl must
//! be written in one piece) and the size limits are inherent methods of each generated
//! server (no trait to be generic over).

/// Implements a generated tonic service trait from tables of RPCs, each
/// `method(Request) -> Response => handler;`, grouped by how the handler is called; without
/// `=> handler`, the handler is the API type's inherent method of the RPC's name (which
/// Rust prefers to the trait's).
/// Every handler's error becomes the status through `?` (`From<ApiError> for Status`).
///
/// - `writes`: the request id is claimed first for the principal the auth layer attached
///   (a bad id is INVALID_ARGUMENT before anything else is checked), under the RPC's name
///   (the request message's name without `Request`); `handler(api, idem, request)`.
/// - `reads`: `handler(api, request)`.
/// - `by_principal`: `handler(api, principal, request)` (the handler claims ids itself).
/// - `imports`: client streams, `handler(api, principal, stream)`.
/// - `with_metadata`: `handler(api, tonic_request)`, for handlers that read the metadata.
///
/// Anything else (associated types, methods that differ) follows in `by_hand { … }`.
///
/// ```ignore
/// xk_runtime::rpc_service! {
///     impl WaterService for WaterApi;
///     reads { get_scheme(GetSchemeRequest) -> GetSchemeResponse => schemes::get; }
///     by_principal {
///         create_scheme(CreateSchemeRequest) -> CreateSchemeResponse => schemes::create;
///     }
/// }
/// ```
#[macro_export]
macro_rules! rpc_service {
    (@handler [$api:ty] $method:ident) => {
        <$api>::$method
    };
    (@handler [$api:ty] $method:ident $handler:path) => {
        $handler
    };
    (
        impl $service:ident for $api:ty;
        $(writes { $($write:ident($wreq:ident) -> $wresp:ty $(=> $whandler:path)?;)* })?
        $(reads { $($read:ident($rreq:ident) -> $rresp:ty $(=> $rhandler:path)?;)* })?
        $(by_principal { $($by:ident($breq:ident) -> $bresp:ty $(=> $bhandler:path)?;)* })?
        $(imports { $($import:ident($ireq:ident) -> $iresp:ty $(=> $ihandler:path)?;)* })?
        $(with_metadata { $($meta:ident($mreq:ident) -> $mresp:ty $(=> $mhandler:path)?;)* })?
        $(by_hand { $($by_hand:tt)* })?
    ) => {
        #[::tonic::async_trait]
        impl $service for $api {
            $($(
                async fn $write(
                    &self,
                    req: ::tonic::Request<$wreq>,
                ) -> ::std::result::Result<::tonic::Response<$wresp>, ::tonic::Status> {
                    let principal = $crate::idempotency::principal_of(&req)?;
                    let req = req.into_inner();
                    let method = ::std::stringify!($wreq).trim_end_matches("Request");
                    let idem = $crate::idempotency::Idempotent::new(
                        principal,
                        method,
                        &req.request_id,
                        "request_id",
                        &req,
                    )?;
                    let handler = $crate::rpc_service!(@handler [$api] $write $($whandler)?);
                    let answer = handler(self, idem, req).await?;
                    ::std::result::Result::Ok(::tonic::Response::new(answer))
                }
            )*)?
            $($(
                async fn $read(
                    &self,
                    req: ::tonic::Request<$rreq>,
                ) -> ::std::result::Result<::tonic::Response<$rresp>, ::tonic::Status> {
                    let handler = $crate::rpc_service!(@handler [$api] $read $($rhandler)?);
                    let answer = handler(self, req.into_inner()).await?;
                    ::std::result::Result::Ok(::tonic::Response::new(answer))
                }
            )*)?
            $($(
                async fn $by(
                    &self,
                    req: ::tonic::Request<$breq>,
                ) -> ::std::result::Result<::tonic::Response<$bresp>, ::tonic::Status> {
                    let principal = $crate::idempotency::principal_of(&req)?;
                    let handler = $crate::rpc_service!(@handler [$api] $by $($bhandler)?);
                    let answer = handler(self, principal, req.into_inner()).await?;
                    ::std::result::Result::Ok(::tonic::Response::new(answer))
                }
            )*)?
            $($(
                async fn $import(
                    &self,
                    req: ::tonic::Request<::tonic::Streaming<$ireq>>,
                ) -> ::std::result::Result<::tonic::Response<$iresp>, ::tonic::Status> {
                    let principal = $crate::idempotency::principal_of(&req)?;
                    let handler = $crate::rpc_service!(@handler [$api] $import $($ihandler)?);
                    let answer = handler(self, principal, req.into_inner()).await?;
                    ::std::result::Result::Ok(::tonic::Response::new(answer))
                }
            )*)?
            $($(
                async fn $meta(
                    &self,
                    req: ::tonic::Request<$mreq>,
                ) -> ::std::result::Result<::tonic::Response<$mresp>, ::tonic::Status> {
                    let handler = $crate::rpc_service!(@handler [$api] $meta $($mhandler)?);
                    let answer = handler(self, req).await?;
                    ::std::result::Result::Ok(::tonic::Response::new(answer))
                }
            )*)?
            $($($by_hand)*)?
        }
    };
}

/// `tonic::service::Routes` of a generated server built with `$server::new($api)`,
/// accepting and sending messages up to the settings' `max_message_bytes`.
///
/// ```ignore
/// Ok(xk_runtime::sized_routes!(WaterServiceServer::new(api), settings))
/// ```
#[macro_export]
macro_rules! sized_routes {
    ($server:ident::new($api:expr), $settings:expr) => {
        ::tonic::service::Routes::new(
            $server::new($api)
                .max_decoding_message_size($settings.max_message_bytes)
                .max_encoding_message_size($settings.max_message_bytes),
        )
    };
}

/// A test that `$spec.grpc_name` is the name the generated server answers to, so the
/// runtime's auth and health checks speak of the service tonic serves.
#[macro_export]
macro_rules! spec_names_the_generated_service {
    ($spec:path, $server:ty) => {
        #[cfg(test)]
        #[test]
        fn spec_names_the_generated_service() {
            assert_eq!(
                $spec.grpc_name,
                <$server as ::tonic::server::NamedService>::NAME
            );
        }
    };
}
