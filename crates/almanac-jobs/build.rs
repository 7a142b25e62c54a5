// Rebuild when a template changes: askama reads `templates/` at compile time, and Cargo does
// not see files a derive macro reads.
fn main() {
    println!("cargo:rerun-if-changed=../../templates");
}
