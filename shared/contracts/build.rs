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
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds)?;
    Ok(())
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
