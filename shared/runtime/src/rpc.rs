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
/// Rust prefers to the trait's). Every handler's error becomes the status through `?`
/// (`From<ApiError> for Status`).
///
/// - `writes`: the request id is claimed first for the principal the auth layer attached
///   (a bad id is INVALID_ARGUMENT before anything else is checked), under the RPC's name
///   (the request message's name without `Request`); `handler(api, idem, request)`.
/// - `reads`: `handler(api, request)`.
/// - `writes via handler { … }`, `reads via handler { … }`: the same, every RPC of the
///   group with the one handler (generic over the request).
/// - `imports`: client streams: `handler(api)` starts one stream's
///   [`crate::import::Importer`] (an error refuses the stream before any batch is read),
///   which [`crate::import::run`] drives on the API's `db` for the principal.
/// - `with_metadata`: `handler(api, tonic_request)`, for handlers that read the metadata.
/// - `in_context`: `handler(context, request)`, the context taken from the call's
///   metadata by the API's [`CallContext`] (a refusal is the call's status); the handler
///   needs nothing else of the API.
///
/// Anything else (associated types, methods that differ) follows in `by_hand { … }`. The
/// groups become one list of `kind method(Request) -> Response;` lines, written out by one
/// method template.
///
/// ```ignore
/// xk_runtime::rpc_service! {
///     impl WaterService for WaterApi;
///     writes {
///         create_scheme(CreateSchemeRequest) -> CreateSchemeResponse => schemes::create;
///     }
///     reads { get_scheme(GetSchemeRequest) -> GetSchemeResponse => schemes::get; }
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
    // `self` and the request are passed in as identifiers: a `self` written here would
    // not be the method's (macro hygiene).
    (@call write $this:ident $req:ident $handler:ident $request:ty) => {{
        let principal = $crate::idempotency::principal_of(&$req)?;
        let $req = $req.into_inner();
        let method = ::std::stringify!($request).trim_end_matches("Request");
        let idem = $crate::idempotency::Idempotent::new(
            principal,
            method,
            &$req.request_id,
            "request_id",
            &$req,
        )?;
        $handler($this, idem, $req).await?
    }};
    (@call read $this:ident $req:ident $handler:ident $request:ty) => {
        $handler($this, $req.into_inner()).await?
    };
    (@call import $this:ident $req:ident $handler:ident $request:ty) => {{
        let principal = $crate::idempotency::principal_of(&$req)?;
        let importer = $handler($this)?;
        $crate::import::run(&$this.db, &importer, principal, $req.into_inner()).await?
    }};
    (@call with_metadata $this:ident $req:ident $handler:ident $request:ty) => {
        $handler($this, $req).await?
    };
    (@call in_context $this:ident $req:ident $handler:ident $request:ty) => {{
        let context = $crate::rpc::CallContext::context($this, &$req)?;
        $handler(context, $req.into_inner()).await?
    }};
    // Every RPC as `kind method(Request) -> Response => handler;`, then the by-hand items:
    // one method template for all kinds.
    (@impl $service:ident [$api:ty]
        [$($kind:ident $method:ident($request:ty) -> $response:ty $(=> $handler:path)?;)*]
        [$($by_hand:tt)*]
    ) => {
        #[::tonic::async_trait]
        impl $service for $api {
            $(
                async fn $method(
                    &self,
                    req: ::tonic::Request<$request>,
                ) -> ::std::result::Result<::tonic::Response<$response>, ::tonic::Status> {
                    let handler = $crate::rpc_service!(@handler [$api] $method $($handler)?);
                    let answer = $crate::rpc_service!(@call $kind self req handler $request);
                    ::std::result::Result::Ok(::tonic::Response::new(answer))
                }
            )*
            $($by_hand)*
        }
    };
    (
        impl $service:ident for $api:ty;
        $(writes { $($write:ident($wreq:ident) -> $wresp:ty $(=> $whandler:path)?;)* })?
        $(writes via $wvia:path { $($wv:ident($wvreq:ident) -> $wvresp:ty;)* })?
        $(reads { $($read:ident($rreq:ident) -> $rresp:ty $(=> $rhandler:path)?;)* })?
        $(reads via $rvia:path { $($rv:ident($rvreq:ident) -> $rvresp:ty;)* })?
        $(imports { $($import:ident($ireq:ident) -> $iresp:ty $(=> $ihandler:path)?;)* })?
        $(with_metadata { $($meta:ident($mreq:ident) -> $mresp:ty $(=> $mhandler:path)?;)* })?
        $(in_context { $($ctx:ident($creq:ident) -> $cresp:ty $(=> $chandler:path)?;)* })?
        $(by_hand { $($by_hand:tt)* })?
    ) => {
        $crate::rpc_service!(@impl $service [$api] [
            $($(write $write($wreq) -> $wresp $(=> $whandler)?;)*)?
            $($(write $wv($wvreq) -> $wvresp => $wvia;)*)?
            $($(read $read($rreq) -> $rresp $(=> $rhandler)?;)*)?
            $($(read $rv($rvreq) -> $rvresp => $rvia;)*)?
            $($(import $import(::tonic::Streaming<$ireq>) -> $iresp $(=> $ihandler)?;)*)?
            $($(with_metadata $meta($mreq) -> $mresp $(=> $mhandler)?;)*)?
            $($(in_context $ctx($creq) -> $cresp $(=> $chandler)?;)*)?
        ] [$($($by_hand)*)?]);
    };
}

/// What a service's `in_context` handlers get before their request: what the call's
/// metadata says about the calls they make in turn (the aggregator's deadline budget and
/// request id), taken in one place rather than by each handler.
pub trait CallContext {
    /// The context a handler gets.
    type Context;

    /// The context of the call `req`, or the status that refuses the call.
    fn context<T>(&self, req: &tonic::Request<T>) -> Result<Self::Context, tonic::Status>;
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
