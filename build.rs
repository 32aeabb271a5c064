//! Release builds embed `static/`; rebuild when a file there is added or changed.
fn main() {
    println!("cargo:rerun-if-changed=static");
    println!("cargo:rerun-if-changed=templates");
    println!("cargo:rerun-if-changed=migrations");
}
