//! Compiles every contract under `proto/` with protox (a pure-Rust protobuf compiler, so a
//! fresh machine needs no system `protoc`), generates the tonic clients and servers, and
//! writes the encoded descriptor set that server reflection serves.

use std::path::PathBuf;

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_root = manifest.join("../../proto");
    let mut files = Vec::new();
    collect_protos(&proto_root, &mut files)?;
    files.sort();
    // compile_fds does not emit rerun-if-changed: do it ourselves, for every file and the
    // root (a new file must trigger a rebuild too).
    println!("cargo:rerun-if-changed={}", proto_root.display());
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    let fds = protox::compile(&files, [&proto_root])?;
    // compile_fds ignores file_descriptor_set_path, so the reflection set is written here.
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("xiaokang_descriptor.bin"), fds.encode_to_vec())?;
    // One module per package, nested as the packages are (xiaokang.registry.v1 ->
    // pb::registry::v1), so a new .proto file needs no edit to lib.rs.
    let mut packages: Vec<String> = fds
        .file
        .iter()
        .map(|f| f.package().to_string())
        .filter(|p| p.starts_with("xiaokang."))
        .collect();
    packages.sort();
    packages.dedup();
    let mut tree = String::new();
    let mut by_service: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for p in &packages {
        let parts: Vec<&str> = p.split('.').collect();
        if let [_, service, version] = parts.as_slice() {
            by_service
                .entry(service.to_string())
                .or_default()
                .push(version.to_string());
        }
    }
    for (service, versions) in &by_service {
        tree.push_str(&format!(
            "/// `xiaokang.{service}`.\npub mod {service} {{\n"
        ));
        for v in versions {
            tree.push_str(&format!(
                "    /// `xiaokang.{service}.{v}`.\n    pub mod {v} {{\n        tonic::include_proto!(\"xiaokang.{service}.{v}\");\n    }}\n"
            ));
        }
        tree.push_str("}\n");
    }
    std::fs::write(out_dir.join("xiaokang_packages.rs"), tree)?;
    std::fs::write(out_dir.join("xiaokang_list_pages.rs"), list_pages(&fds))?;
    std::fs::write(out_dir.join("xiaokang_summaries.rs"), summaries(&fds))?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;
    Ok(())
}

/// `impl ListPage` for every paged list response: a message `List…Response` of exactly a
/// repeated message field (the rows) and `string next_page_token`, as the contracts
/// write every paged list (AIP-158). Derived here so no table restates the row fields.
fn list_pages(fds: &prost_types::FileDescriptorSet) -> String {
    use prost_types::field_descriptor_proto::{Label, Type};
    let mut out = String::new();
    for (module, message) in messages(fds) {
        let name = message.name();
        if !(name.starts_with("List") && name.ends_with("Response")) {
            continue;
        }
        let [a, b] = message.field.as_slice() else {
            continue;
        };
        let (rows, token) = if b.name() == "next_page_token" {
            (a, b)
        } else {
            (b, a)
        };
        let row = rows.type_name().trim_start_matches('.');
        let Some((row_package, row_name)) = row.rsplit_once('.') else {
            continue;
        };
        let Some(row_module) = rust_module(row_package) else {
            continue;
        };
        if token.name() != "next_page_token"
            || token.r#type() != Type::String
            || rows.label() != Label::Repeated
            || rows.r#type() != Type::Message
        {
            continue;
        }
        out.push_str(&format!(
            "impl crate::ListPage for {module}::{name} {{\n    type Row = {row_module}::{row_name};\n\n    fn page(rows: Vec<Self::Row>, next_page_token: String) -> Self {{\n        Self {{\n            {field}: rows,\n            next_page_token,\n        }}\n    }}\n}}\n",
            field = rows.name(),
        ));
    }
    out.push_str(&paged_requests(fds));
    out
}

/// `impl RegionListRequest` / `impl YearRegionListRequest` for every `List…Request` whose
/// fields are exactly those of the trait (so a list with any other filter never gets one:
/// its tokens must be bound to that filter too).
fn paged_requests(fds: &prost_types::FileDescriptorSet) -> String {
    use prost_types::field_descriptor_proto::Type;
    let mut out = String::new();
    for (module, message) in messages(fds) {
        let name = message.name();
        if !(name.starts_with("List") && name.ends_with("Request")) {
            continue;
        }
        let mut fields: Vec<(&str, Type)> = message
            .field
            .iter()
            .map(|f| (f.name(), f.r#type()))
            .collect();
        fields.sort();
        let paging = [
            ("page_size", Type::Int32),
            ("page_token", Type::String),
            ("region_prefix", Type::String),
        ];
        let with_year = [
            ("page_size", Type::Int32),
            ("page_token", Type::String),
            ("region_prefix", Type::String),
            ("year", Type::Int32),
        ];
        let (tr, year) = if fields == paging {
            ("RegionListRequest", "")
        } else if fields == with_year {
            (
                "YearRegionListRequest",
                "\n    fn year(&self) -> i32 {\n        self.year\n    }\n",
            )
        } else {
            continue;
        };
        out.push_str(&format!(
            "impl crate::pages::{tr} for {module}::{name} {{\n    fn region_prefix(&self) -> &str {{\n        &self.region_prefix\n    }}\n\n    fn page_size(&self) -> i32 {{\n        self.page_size\n    }}\n\n    fn page_token(&self) -> &str {{\n        &self.page_token\n    }}\n{year}}}\n"
        ));
    }
    out
}

/// `impl RegionSummary` for every response of exactly `repeated X groups` and `X total`
/// (a summary that answers nothing else).
fn summaries(fds: &prost_types::FileDescriptorSet) -> String {
    use prost_types::field_descriptor_proto::{Label, Type};
    let mut out = String::new();
    for (module, message) in messages(fds) {
        let [groups, total] = message.field.as_slice() else {
            continue;
        };
        if groups.name() != "groups"
            || total.name() != "total"
            || groups.label() != Label::Repeated
            || groups.r#type() != Type::Message
            || total.type_name() != groups.type_name()
        {
            continue;
        }
        let Some((row_package, row_name)) =
            groups.type_name().trim_start_matches('.').rsplit_once('.')
        else {
            continue;
        };
        let Some(row_module) = rust_module(row_package) else {
            continue;
        };
        out.push_str(&format!(
            "impl crate::summaries::RegionSummary for {module}::{name} {{\n    type Group = {row_module}::{row_name};\n\n    fn of(groups: Vec<Self::Group>, total: Self::Group) -> Self {{\n        Self {{\n            groups,\n            total: Some(total),\n        }}\n    }}\n}}\n",
            name = message.name(),
        ));
    }
    out
}

/// Every message of a file whose package has a Rust module, with that module's path.
fn messages(
    fds: &prost_types::FileDescriptorSet,
) -> impl Iterator<Item = (String, &prost_types::DescriptorProto)> {
    fds.file.iter().flat_map(|file| {
        rust_module(file.package())
            .into_iter()
            .flat_map(move |module| file.message_type.iter().map(move |m| (module.clone(), m)))
    })
}

/// The generated module of a `xiaokang.<service>.<version>` package.
fn rust_module(package: &str) -> Option<String> {
    match package.split('.').collect::<Vec<_>>().as_slice() {
        ["xiaokang", service, version] => Some(format!("crate::pb::{service}::{version}")),
        _ => None,
    }
}

fn collect_protos(dir: &std::path::Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "proto") {
            out.push(path);
        }
    }
    Ok(())
}
