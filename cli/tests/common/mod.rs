//! What the command-line tests share: the fixtures' paths and a run of the built binary. Each
//! test file uses what it needs of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The path of `tests/fixtures/<name>` of the repository.
pub fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Runs `sightline args…`: (exit status, standard output, standard error).
pub fn sightline(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sightline"))
        .args(args)
        .output()
        .expect("run sightline");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
