// Rebuild when a migration is added or changed: `embed_migrations!` reads the folder at
// compile time, and Cargo would not otherwise notice a new migration directory.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
