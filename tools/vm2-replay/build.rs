//! build.rs — links the project's liberavm.a (for eravm_precompile_run, the
//! precompile arithmetic vm2-replay hands to vm2) and the C libraries it
//! needs. ERAVM_LIB_DIR names the directory holding liberavm.a; by default
//! it is the project's build/ directory two levels above this crate.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=ERAVM_LIB_DIR");
    let dir = match std::env::var_os("ERAVM_LIB_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../build"),
    };
    let lib = dir.join("liberavm.a");
    if !lib.is_file() {
        panic!(
            "{} not found: run `make` in the project first, or set ERAVM_LIB_DIR",
            lib.display()
        );
    }
    println!("cargo:rerun-if-changed={}", lib.display());
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=static=eravm");
    for l in ["jansson", "secp256k1", "crypto", "gmp"] {
        println!("cargo:rustc-link-lib=dylib={l}");
    }
}
