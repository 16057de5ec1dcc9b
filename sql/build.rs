//! The SQL worker's stack: DataFusion's planner recurses through a query's expressions, and the
//! default 1 MiB wasm stack overflows on a few hundred terms. 8 MiB takes a thousand.
fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-bins=-zstack-size=8388608");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
